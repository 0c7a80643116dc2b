/**
 * Shared pieces of the broker benchmarks (broker.produce, broker.fetch):
 * the broker in a child process, a one-request-at-a-time admin connection,
 * and the request frames, all built by Samsa's own protocol code.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { apiDefinitions, requestHeaderVersion, responseHeaderVersion, type ApiDefinition, type ApiKey, type ApiMessages } from '../../src/protocol/generated/api-registry.js';
import { ApiKey as Api } from '../../src/protocol/generated/api-registry.js';
import { encodeRequestHeader } from '../../src/protocol/generated/messages/request-header.js';
import { decodeResponseHeader } from '../../src/protocol/generated/messages/response-header.js';
import { Reader } from '../../src/protocol/primitives/reader.js';
import { Writer } from '../../src/protocol/primitives/writer.js';
import { buildRecordBatch } from '../../src/protocol/records/batch-builder.js';
import { FrameSplitter } from '../load/frame-splitter.js';
import type { BrokerServerMessage } from '../servers/broker-server.js';
import type { BenchContext } from '../suite.js';
import { withMallocTunables } from '../../src/cli/malloc-tunables.js';

export const brokerLoad = {
  connections: 4,
  inFlightMax: 16,
  /** Distinct Produce frames, cycled. */
  frameCount: 64,
  recordsPerBatch: 64,
  recordBytes: 1024,
  topic: 'bench',
  produceVersion: 9,
} as const;

/** Where a profile goes: SAMSA_BENCH_CPU_PROF=<dir> runs the broker child with --cpu-prof. */
const profileDir = process.env['SAMSA_BENCH_CPU_PROF'];

export interface RunningBroker {
  port: number;
  pid: number;
  /** The broker's data dir (under ctx.tmpDir), for a suite that deletes a phase's files. */
  dataDir: string;
  /** Resident set size of the broker process now, in bytes. */
  rssBytes(): number;
  stop(): Promise<void>;
}

/** VmRSS of a process from /proc (Linux), in bytes; 0 where unavailable. */
export function rssOf(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** utime + stime of a process, all threads, in ms (Linux: 100 ticks/s); NaN where /proc is missing. */
export function processCpuMs(pid: number): number {
  return statCpuMs(`/proc/${pid}/stat`);
}

/** utime + stime in ms from a /proc stat file (a process's, or a thread's under /proc/<pid>/task); NaN if unreadable. */
export function statCpuMs(statPath: string): number {
  try {
    const stat = readFileSync(statPath, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

/** Opens a connection, completes one ApiVersions exchange, and leaves it open. */
function idleConnection(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, noDelay: true }, () => {
      socket.write(requestFrame(Api.ApiVersions, 3, { clientSoftwareName: 'samsa-bench-idle', clientSoftwareVersion: '1' }, 1));
    });
    const splitter = new FrameSplitter(1 << 20);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('idle client: no ApiVersions answer within 10 s'));
    }, 10_000);
    socket.on('data', (chunk: Buffer) => {
      splitter.push(chunk, () => {
        clearTimeout(timer);
        resolve(socket);
      });
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** `count` idle client connections (opened 100 at a time), as the scale benchmarks hold them. */
export async function openIdleConnections(port: number, count: number): Promise<Socket[]> {
  const sockets: Socket[] = [];
  for (let i = 0; i < count; i += 100) {
    sockets.push(...(await Promise.all(Array.from({ length: Math.min(100, count - i) }, () => idleConnection(port)))));
  }
  return sockets;
}

const serverPath = fileURLToPath(new URL('../servers/broker-server.js', import.meta.url));

function isMessage(value: unknown): value is BrokerServerMessage {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

/**
 * Starts the broker in a child process with a fresh data dir under ctx.tmpDir.
 * It stops by itself after `lifetimeMs` (default: well past the suite's run).
 */
export function startBroker(
  ctx: BenchContext,
  name: string,
  config: Record<string, string | number | boolean> = {},
  lifetimeMs = ctx.durationMs * 8 + 60_000,
): Promise<RunningBroker> {
  const dataDir = join(ctx.tmpDir, name);
  mkdirSync(dataDir, { recursive: true });
  const execArgv = profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir, '--cpu-prof-name', `broker-${name}-${Date.now()}.cpuprofile`] : [];
  // Extra node flags for the broker child, e.g. SAMSA_BENCH_BROKER_NODE_ARGS="--trace-gc".
  execArgv.push(...(process.env['SAMSA_BENCH_BROKER_NODE_ARGS'] ?? '').split(' ').filter((a) => a !== ''));
  const child: ChildProcess = fork(serverPath, [dataDir, String(lifetimeMs), JSON.stringify(config)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv,
    // The malloc settings `npm start` and kafka-server-start.sh give the broker.
    env: withMallocTunables(process.env),
    // A wrapper such as strace or perf for the broker: SAMSA_BENCH_BROKER_EXEC=/path/to/wrapper.
    ...(process.env['SAMSA_BENCH_BROKER_EXEC'] ? { execPath: process.env['SAMSA_BENCH_BROKER_EXEC'] } : {}),
  });
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  const stop = async (): Promise<void> => {
    if (exited) return;
    child.send({ type: 'stop' });
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exitedPromise;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('broker did not start within 20 s'));
    }, 20_000);
    child.on('message', (message: unknown) => {
      if (isMessage(message) && message.type === 'listening') {
        clearTimeout(timer);
        const pid = child.pid ?? 0;
        resolve({ port: message.port, pid, dataDir, rssBytes: () => rssOf(pid), stop });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`broker exited early with code ${code}`));
    });
  });
}

/** A size-prefixed request frame encoded by the generated codecs. */
export function requestFrame<K extends ApiKey>(apiKey: K, version: number, body: ApiMessages[K]['requestInput'], correlationId: number): Buffer {
  const definition = apiDefinitions[apiKey] as ApiDefinition<K>;
  const w = new Writer(1024);
  w.writeInt32(0);
  encodeRequestHeader(w, requestHeaderVersion(apiKey, version), { requestApiKey: apiKey, requestApiVersion: version, correlationId, clientId: 'samsa-bench' });
  definition.encodeRequest(w, version, body);
  const frame = w.toBuffer();
  frame.writeInt32BE(frame.length - 4, 0);
  return frame;
}

/** One connection sending one request at a time: topic creation, prefill. */
export class AdminConnection {
  private readonly splitter = new FrameSplitter(1 << 30);
  private waiting: ((frame: Buffer) => void) | null = null;
  private nextId = 1;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.splitter.push(chunk, (parts) => {
        const resolve = this.waiting;
        this.waiting = null;
        resolve?.(Buffer.concat(parts).subarray(4));
      });
    });
  }

  static open(port: number): Promise<AdminConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, noDelay: true }, () => resolve(new AdminConnection(socket)));
      socket.once('error', reject);
    });
  }

  /** Sends a ready frame and resolves with the response frame (without its size). */
  sendFrame(frame: Buffer): Promise<Buffer> {
    return new Promise<Buffer>((resolve) => {
      this.waiting = resolve;
      this.socket.write(frame);
    });
  }

  async send<K extends ApiKey>(apiKey: K, version: number, body: ApiMessages[K]['requestInput']): Promise<ApiMessages[K]['response']> {
    return decodeResponse(apiKey, version, await this.sendFrame(requestFrame(apiKey, version, body, this.nextId++)));
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Decodes a response frame (without its size prefix). */
export function decodeResponse<K extends ApiKey>(apiKey: K, version: number, frame: Buffer): ApiMessages[K]['response'] {
    const definition = apiDefinitions[apiKey] as ApiDefinition<K>;
    const r = new Reader(frame);
    decodeResponseHeader(r, responseHeaderVersion(apiKey, version));
    return definition.decodeResponse(r, version);
}

export async function createTopic(admin: AdminConnection, topic: string, partitions: number): Promise<void> {
  const response = await admin.send(Api.CreateTopics, 7, {
    topics: [{ name: topic, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 10_000,
  });
  const error = response.topics[0]?.errorCode ?? -1;
  if (error !== 0) throw new Error(`CreateTopics ${topic}: error ${error}`);
}

/** One valid RecordBatch v2 of `recordsPerBatch` records of about `recordBytes` each, random values. */
export function buildBenchBatch(): Buffer {
  const now = Date.now();
  const records = Array.from({ length: brokerLoad.recordsPerBatch }, (_, i) => ({
    key: Buffer.from(`key-${String(i).padStart(6, '0')}`),
    value: randomBytes(brokerLoad.recordBytes - 24),
    timestamp: now,
  }));
  return buildRecordBatch({ records });
}

/** Pre-built Produce requests, one 64 KiB batch each, for partition 0 of the bench topic. */
export function buildProduceFrames(acks: number, count: number = brokerLoad.frameCount): Buffer[] {
  const frames: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    frames.push(
      requestFrame(Api.Produce, brokerLoad.produceVersion, {
        acks,
        timeoutMs: 30_000,
        topicData: [{ name: brokerLoad.topic, partitionData: [{ index: 0, records: buildBenchBatch() }] }],
      }, i + 1),
    );
  }
  return frames;
}

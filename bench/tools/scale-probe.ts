/**
 * Diagnostics for scale.partitions (not a suite): runs the same node-rdkafka
 * produce job against topics with the given partition counts and reports,
 * besides msgs/s, the CPU time the broker process and the client process
 * (all threads, from /proc/<pid>/stat) spent per 1,000 messages. CPU per
 * message moves much less than throughput when other work shares the CPUs.
 *
 *   node dist/bench/tools/scale-probe.js [--partitions 6,1000] [--idle 1000]
 *     [--ms 3000] [--runs 1] [--count] [--client-prof DIR] [--conf k=v,...]
 *     [--topic-conf k=v,...]
 *
 * --count puts a frame-parsing proxy between client and broker and reports
 * Produce requests, partitions per request and records per batch (the proxy
 * costs CPU itself: use it for counts, not for rates). --topic-conf acks=1
 * runs scale-probe-child.js, which passes topic properties as node-rdkafka's
 * topic configuration. SAMSA_BENCH_CPU_PROF
 * profiles the broker as in the suites; --client-prof the client child.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiKey as Api, apiDefinitions, responseHeaderVersion } from '../../src/protocol/generated/api-registry.js';
import { encodeResponseHeader, decodeResponseHeader } from '../../src/protocol/generated/messages/response-header.js';
import { Reader } from '../../src/protocol/primitives/reader.js';
import { Writer } from '../../src/protocol/primitives/writer.js';
import { AdminConnection, createTopic, openIdleConnections, processCpuMs, rssOf, startBroker } from '../suites/broker-common.js';
import { FrameSplitter } from '../load/frame-splitter.js';
import type { RdkafkaChildMessage, RdkafkaJob, ThroughputResult } from '../peers/rdkafka-jobs.js';

const childPath = fileURLToPath(new URL('../peers/rdkafka-child.js', import.meta.url));
const ownChildPath = fileURLToPath(new URL('./scale-probe-child.js', import.meta.url));

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** CPU ms per thread name (threads with the same name summed; the main thread apart), from /proc/<pid>/task. */
function threadCpuMs(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      // The main thread apart from same-named ones (libuv's pool threads are also "node").
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) + (tid === String(pid) ? '(main)' : '');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(name, (out.get(name) ?? 0) + (Number(fields[11]) + Number(fields[12])) * 10);
    } catch {
      /* thread ended */
    }
  }
  return out;
}

function threadDelta(before: Map<string, number>, after: Map<string, number>, elapsedMs: number): string {
  return [...after]
    .map(([name, ms]) => [name, ms - (before.get(name) ?? 0)] as const)
    .filter(([, ms]) => ms / elapsedMs >= 0.02)
    .sort((a, b) => b[1] - a[1])
    .map(([name, ms]) => `${name} ${((ms / elapsedMs) * 100).toFixed(0)}%`)
    .join(', ');
}

interface Counts {
  produceRequests: number;
  partitions: number;
  batches: number;
  records: number;
  bytes: number;
  /** acks of the last Produce request seen. */
  acks: number;
}

/**
 * A proxy that parses Produce v3+ requests just enough to count partitions,
 * batches and records. It walks the compact or non-compact layout by version.
 */
function countingProxy(targetPort: number, counts: Counts): Promise<{ server: Server; port: number }> {
  const server = createServer((client) => {
    client.setNoDelay(true);
    const upstream = connect({ host: '127.0.0.1', port: targetPort, noDelay: true });
    const proxyPort = (server.address() as { port: number }).port;
    // Correlation ids of Metadata requests and their versions: the answers are
    // rewritten to name the proxy's port so the client stays on the proxy.
    const metadataVersions = new Map<number, number>();
    const upSplitter = new FrameSplitter(1 << 30);
    upstream.on('data', (chunk: Buffer) => {
      upSplitter.push(chunk, (parts) => {
        const f = Buffer.concat(parts);
        const correlationId = f.readInt32BE(4);
        const version = metadataVersions.get(correlationId);
        if (version === undefined) {
          client.write(f);
          return;
        }
        metadataVersions.delete(correlationId);
        const r = new Reader(f.subarray(4));
        const headerVersion = responseHeaderVersion(Api.Metadata, version);
        decodeResponseHeader(r, headerVersion);
        const body = apiDefinitions[Api.Metadata].decodeResponse(r, version);
        for (const b of body.brokers) b.port = proxyPort;
        const w = new Writer(f.length + 64);
        w.writeInt32(0);
        encodeResponseHeader(w, headerVersion, { correlationId });
        apiDefinitions[Api.Metadata].encodeResponse(w, version, body);
        const out = w.toBuffer();
        out.writeInt32BE(out.length - 4, 0);
        client.write(out);
      });
    });
    const splitter = new FrameSplitter(1 << 30);
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      splitter.push(chunk, (parts) => {
        const f = Buffer.concat(parts);
        if (f.readInt16BE(4) === Api.Metadata) metadataVersions.set(f.readInt32BE(8), f.readInt16BE(6));
        if (f.readInt16BE(4) !== Api.Produce) return;
        const version = f.readInt16BE(6);
        counts.produceRequests++;
        counts.bytes += f.length;
        try {
          countProduce(f, version, counts);
        } catch {
          /* counts are best effort */
        }
      });
    });
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port })));
}

function countProduce(f: Buffer, version: number, counts: Counts): void {
  const flexible = version >= 9;
  let p = 4 + 8; // size, api key, version, correlation id
  const clientIdLen = f.readInt16BE(p);
  p += 2 + Math.max(0, clientIdLen);
  const uvarint = (): number => {
    let v = 0;
    let shift = 0;
    for (;;) {
      const b = f[p++]!;
      v |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return v;
      shift += 7;
    }
  };
  if (flexible) uvarint(); // header tagged fields (count 0 expected)
  // transactional id
  if (flexible) {
    const n = uvarint();
    p = p + Math.max(0, n - 1);
  } else {
    const n = f.readInt16BE(p);
    p += 2 + Math.max(0, n);
  }
  counts.acks = f.readInt16BE(p);
  p += 2 + 4; // acks, timeout
  const arrayLen = (): number => (flexible ? uvarint() - 1 : ((p += 4), f.readInt32BE(p - 4)));
  const topics = arrayLen();
  for (let t = 0; t < topics; t++) {
    // Not `p += uvarint()`: that reads p before uvarint() moves it.
    if (flexible) {
      const nameBytes = uvarint() - 1;
      p += nameBytes;
    } else p += 2 + f.readInt16BE(p);
    const parts = arrayLen();
    for (let i = 0; i < parts; i++) {
      counts.partitions++;
      p += 4;
      const size = flexible ? uvarint() - 1 : ((p += 4), f.readInt32BE(p - 4));
      let q = p;
      while (q < p + size) {
        const batchLength = f.readInt32BE(q + 8);
        counts.batches++;
        counts.records += f.readInt32BE(q + 57);
        q += 12 + batchLength;
      }
      p += size;
      if (flexible) uvarint(); // partition tagged fields
    }
    if (flexible) uvarint();
  }
}

async function main(): Promise<void> {
  const partitionCounts = (arg('partitions') ?? '6,1000').split(',').map(Number);
  const idle = Number(arg('idle') ?? 1000);
  const durationMs = Number(arg('ms') ?? 3000);
  const runs = Number(arg('runs') ?? 1);
  const count = process.argv.includes('--count');
  const clientProf = arg('client-prof');
  const parseConf = (text: string | undefined): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const kv of (text ?? '').split(',').filter((s) => s !== '')) {
      const [k, v] = kv.split('=');
      out[k!] = v!;
    }
    return out;
  };
  const conf = parseConf(arg('conf'));
  // --topic-conf acks=1: topic properties where node-rdkafka honours them (own child).
  const topicConf = arg('topic-conf') !== undefined ? parseConf(arg('topic-conf')) : undefined;
  const tmpDir = mkdtempSync(join(tmpdir(), 'scale-probe-'));
  const ctx = { durationMs, quick: false, tmpDir, log: (m: string) => process.stderr.write(`${m}\n`) };
  const brokerForkedAt = performance.now();
  const broker = await startBroker(ctx, 'probe', {}, 600_000);
  /** ms since the broker was forked: about where a --cpu-prof profile's clock starts. */
  const sinceFork = (): string => (performance.now() - brokerForkedAt).toFixed(0);
  const sockets: Socket[] = [];
  try {
    process.stdout.write(`rss.start ${(broker.rssBytes() / 1e6).toFixed(1)} MB\n`);
    const admin = await AdminConnection.open(broker.port);
    for (const n of partitionCounts) {
      const t0 = performance.now();
      await createTopic(admin, `probe-p${n}`, n);
      process.stdout.write(`create p${n}: ${(performance.now() - t0).toFixed(0)} ms, rss ${(broker.rssBytes() / 1e6).toFixed(1)} MB\n`);
    }
    admin.close();
    sockets.push(...(await openIdleConnections(broker.port, idle)));
    process.stdout.write(`rss.idle (${idle} connections) ${(broker.rssBytes() / 1e6).toFixed(1)} MB\n`);
    const counts: Counts = { produceRequests: 0, partitions: 0, batches: 0, records: 0, bytes: 0, acks: 0 };
    const proxy = count ? await countingProxy(broker.port, counts) : null;
    const bootstrapPort = proxy ? proxy.port : broker.port;
    const execArgv = clientProf ? ['--cpu-prof', '--cpu-prof-dir', clientProf] : [];
    const child = fork(topicConf ? ownChildPath : childPath, ['600000'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv });
    const next = (): Promise<RdkafkaChildMessage> => new Promise((resolve) => child.once('message', (m) => resolve(m as RdkafkaChildMessage)));
    await next();
    const clientPid = child.pid!;
    for (let r = 0; r < runs; r++) {
      for (const n of partitionCounts) {
        Object.assign(counts, { produceRequests: 0, partitions: 0, batches: 0, records: 0, bytes: 0, acks: 0 });
        const job: RdkafkaJob = { kind: 'produce', bootstrap: `127.0.0.1:${bootstrapPort}`, topic: `probe-p${n}`, messageBytes: 100, acks: 1, durationMs, keys: 1000, conf };
        const window0 = sinceFork();
        const b0 = processCpuMs(broker.pid);
        const c0 = processCpuMs(clientPid);
        // Threads are sampled inside the produce loop (librdkafka's end with the producer).
        let threads = '';
        const sampleFrom = setTimeout(() => {
          const t0 = performance.now();
          const bt0 = threadCpuMs(broker.pid);
          const ct0 = threadCpuMs(clientPid);
          setTimeout(() => {
            const ms = performance.now() - t0;
            threads = `\n   broker threads: ${threadDelta(bt0, threadCpuMs(broker.pid), ms)}\n   client threads: ${threadDelta(ct0, threadCpuMs(clientPid), ms)}`;
          }, durationMs - 1000);
        }, 700);
        const answer = next();
        child.send({ type: 'job', job, topicConf });
        const m = await answer;
        if (m.type !== 'result') throw new Error(JSON.stringify(m));
        const res = m.result as ThroughputResult;
        const b = processCpuMs(broker.pid) - b0;
        const c = processCpuMs(clientPid) - c0;
        clearTimeout(sampleFrom);
        const rate = res.messages / (res.elapsedMs / 1000);
        const k = res.messages / 1000;
        let line = `p${n} [broker-relative window ${window0},${sinceFork()} ms]: ${Math.round(rate).toLocaleString('en-US')} msgs/s; CPU per 1k msgs: broker ${(b / k).toFixed(2)} ms, client ${(c / k).toFixed(2)} ms; broker util ${((b / res.elapsedMs) * 100).toFixed(0)}%, client ${((c / res.elapsedMs) * 100).toFixed(0)}%; rss ${(rssOf(broker.pid) / 1e6).toFixed(1)} MB${threads}`;
        if (count) {
          line += `\n   produce requests ${counts.produceRequests}, partitions/request ${(counts.partitions / counts.produceRequests).toFixed(2)}, records/batch ${(counts.records / counts.batches).toFixed(2)}, bytes/record ${(counts.bytes / counts.records).toFixed(1)}, acks ${counts.acks}`;
        }
        process.stdout.write(`${line}\n`);
      }
    }
    child.send({ type: 'exit' });
    await new Promise((resolve) => child.once('exit', resolve));
    proxy?.server.close();
  } finally {
    for (const s of sockets) s.destroy();
    await broker.stop();
    rmSync(tmpDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);

/**
 * Capture server: a fake one-node Kafka cluster that saves every request
 * frame a real client sends, so tests can replay the exact bytes through our
 * codecs (src/protocol/golden.test.ts). Answers come from FakeCluster and are
 * encoded with the generated encoders.
 *
 * Saved layout, under `outDir`:
 *   NN-ApiName-vV-SEQ.bin   the frame as it came after its 4-byte size prefix
 *                           (request header + body); NN = api key, SEQ = arrival order
 *   index.json              one entry per saved frame, in arrival order
 *
 * CLI: node dist/tools/capture/capture-server.js --client NAME --out DIR
 *        [--port 0] [--client-version TEXT] [--max-per-api 6]
 * prints `listening 127.0.0.1:PORT` once ready; SIGINT/SIGTERM stop it.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  apiDefinitions,
  ApiKey,
  decodeRequestHeader,
  encodeResponseHeader,
  isApiKey,
  requestHeaderVersion,
  responseHeaderVersion,
  type ApiMessages,
} from '../../src/protocol/generated/index.js';
import { Reader } from '../../src/protocol/primitives/reader.js';
import { Writer } from '../../src/protocol/primitives/writer.js';
import { FakeCluster, type RequestContext } from './responder.js';

/** Frames above this are refused; real clients in the recordings send a few KiB. */
const FRAME_BYTES_MAX = 64 * 1024 * 1024;
const HOST = '127.0.0.1';

export interface CaptureOptions {
  /** Folder name under test/fixtures/golden and the `client` field of the index. */
  client: string;
  outDir: string;
  /** 0 picks a free port. */
  port?: number;
  clientVersion?: string;
  /**
   * Keep at most this many frames per (api key, version, client id); Produce is
   * always kept, since every batch there is a case worth having.
   */
  maxPerApi?: number;
  /** Delete the *.bin and index.json already in outDir first (default true). */
  clean?: boolean;
  log?: (line: string) => void;
}

export interface FrameEntry {
  file: string;
  seq: number;
  connection: number;
  apiKey: number;
  apiName: string;
  apiVersion: number;
  headerVersion: number;
  correlationId: number;
  clientId: string | null;
  /** What the recording script was doing: the client id's part after `golden.`, if it has that form. */
  scenario: string | null;
  sizeBytes: number;
}

export interface FrameIndex {
  client: string;
  clientVersion: string | null;
  frames: FrameEntry[];
}

export interface CaptureServer {
  port: number;
  index: FrameIndex;
  close(): Promise<void>;
}

/** Splits a client id `golden.<scenario>` into its scenario. */
export function scenarioOf(clientId: string | null): string | null {
  if (clientId === null || !clientId.startsWith('golden.')) return null;
  return clientId.slice('golden.'.length);
}

export async function startCaptureServer(options: CaptureOptions): Promise<CaptureServer> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const outDir = resolve(options.outDir);
  const maxPerApi = options.maxPerApi ?? 6;
  mkdirSync(outDir, { recursive: true });
  if (options.clean ?? true) {
    for (const name of readdirSync(outDir)) {
      if (name.endsWith('.bin') || name === 'index.json') rmSync(join(outDir, name));
    }
  }

  const cluster = new FakeCluster();
  const index: FrameIndex = { client: options.client, clientVersion: options.clientVersion ?? null, frames: [] };
  const keptPerKey = new Map<string, number>();
  let seq = 0;
  let connectionCounter = 0;
  let port = 0;

  const writeIndex = () => writeFileSync(join(outDir, 'index.json'), `${JSON.stringify(index, null, 2)}\n`);

  const save = (frame: Buffer, connection: number, apiKey: ApiKey, apiVersion: number, headerVersion: number, correlationId: number, clientId: string | null) => {
    const name = apiDefinitions[apiKey].name;
    const key = `${apiKey}/${apiVersion}/${clientId ?? ''}`;
    const kept = keptPerKey.get(key) ?? 0;
    if (apiKey !== ApiKey.Produce && kept >= maxPerApi) return;
    keptPerKey.set(key, kept + 1);
    seq += 1;
    const file = `${String(apiKey).padStart(2, '0')}-${name}-v${apiVersion}-${String(seq).padStart(3, '0')}.bin`;
    writeFileSync(join(outDir, file), frame);
    index.frames.push({
      file,
      seq,
      connection,
      apiKey,
      apiName: name,
      apiVersion,
      headerVersion,
      correlationId,
      clientId,
      scenario: scenarioOf(clientId),
      sizeBytes: frame.length,
    });
    writeIndex();
  };

  /** Answers one frame; null means no response (acks=0) or a closed connection. */
  async function answer(frame: Buffer, connection: number, socket: Socket): Promise<Buffer[] | null> {
    if (frame.length < 4) {
      socket.destroy();
      return null;
    }
    const apiKeyRaw = frame.readInt16BE(0);
    const apiVersion = frame.readInt16BE(2);
    if (!isApiKey(apiKeyRaw)) {
      log(`conn ${connection}: unknown api key ${apiKeyRaw}, closing`);
      socket.destroy();
      return null;
    }
    const apiKey: ApiKey = apiKeyRaw;
    const def = apiDefinitions[apiKey];
    const reader = new Reader(frame);
    const headerVersion = requestHeaderVersion(apiKey, apiVersion);
    const header = decodeRequestHeader(reader, headerVersion);

    if (apiVersion < def.minVersion || apiVersion > def.maxVersion) {
      if (apiKey === ApiKey.ApiVersions) {
        // Kafka's rule: an ApiVersions it cannot parse gets a v0 answer listing what it can.
        log(`conn ${connection}: ApiVersions v${apiVersion} unsupported, answering v0 with error 35`);
        const w = new Writer();
        encodeResponseHeader(w, 0, { correlationId: header.correlationId });
        apiDefinitions[ApiKey.ApiVersions].encodeResponse(w, 0, {
          errorCode: 35,
          apiKeys: cluster.advertisedVersions(),
        });
        return w.toChunks();
      }
      log(`conn ${connection}: ${def.name} v${apiVersion} outside ${def.minVersion}-${def.maxVersion}, closing`);
      socket.destroy();
      return null;
    }

    save(frame, connection, apiKey, apiVersion, headerVersion, header.correlationId, header.clientId);
    const ctx: RequestContext = { clientId: header.clientId ?? '', host: HOST, port };
    const body = await respond(apiKey, apiVersion, reader, ctx, connection);
    if (body === null) return null;
    const w = new Writer();
    encodeResponseHeader(w, responseHeaderVersion(apiKey, apiVersion), { correlationId: header.correlationId });
    for (const chunk of body) w.writeRaw(chunk);
    return w.toChunks();
  }

  async function respond<K extends ApiKey>(
    apiKey: K,
    apiVersion: number,
    reader: Reader,
    ctx: RequestContext,
    connection: number,
  ): Promise<Buffer[] | null> {
    const def = apiDefinitions[apiKey];
    const request: ApiMessages[K]['request'] = def.decodeRequest(reader, apiVersion);
    if (reader.remaining !== 0) {
      log(`conn ${connection}: ${def.name} v${apiVersion} left ${reader.remaining} bytes undecoded`);
    }
    const handler = cluster.handler(apiKey);
    let response: ApiMessages[K]['responseInput'] | null;
    if (handler === undefined) {
      log(`conn ${connection}: ${def.name} v${apiVersion} has no handler, answering error 35`);
      response = cluster.unsupportedResponse(apiKey);
    } else {
      response = await handler(request, apiVersion, ctx);
    }
    if (response === null) return null;
    const w = new Writer();
    def.encodeResponse(w, apiVersion, response);
    return w.toChunks();
  }

  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    const connection = ++connectionCounter;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let pending: Buffer = Buffer.alloc(0);
    // Responses go out in request order, as Kafka guarantees per connection.
    let chain: Promise<void> = Promise.resolve();
    socket.setNoDelay(true);
    socket.on('error', (err) => log(`conn ${connection}: ${err.message}`));
    socket.on('data', (data: Buffer) => {
      pending = pending.length === 0 ? data : Buffer.concat([pending, data]);
      while (pending.length >= 4) {
        const size = pending.readInt32BE(0);
        if (size < 0 || size > FRAME_BYTES_MAX) {
          log(`conn ${connection}: frame size ${size} refused`);
          socket.destroy();
          return;
        }
        if (pending.length < 4 + size) break;
        const frame = Buffer.from(pending.subarray(4, 4 + size));
        pending = pending.subarray(4 + size);
        chain = chain
          .then(() => answer(frame, connection, socket))
          .then((chunks) => {
            if (chunks === null || socket.destroyed) return;
            const size = chunks.reduce((n, c) => n + c.length, 0);
            const prefix = Buffer.alloc(4);
            prefix.writeInt32BE(size, 0);
            socket.cork();
            socket.write(prefix);
            for (const c of chunks) socket.write(c);
            socket.uncork();
          })
          .catch((err: unknown) => {
            log(`conn ${connection}: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
            socket.destroy();
          });
      }
    });
  });

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, HOST, () => resolveListen());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('capture server has no TCP address');
  port = address.port;
  writeIndex();

  return {
    port,
    index,
    close: () =>
      new Promise<void>((resolveClose) => {
        writeIndex();
        server.close(() => resolveClose());
        // Clients may keep idle connections open; they do not hold the recording back.
        for (const socket of sockets) socket.destroy();
      }),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      client: { type: 'string' },
      out: { type: 'string' },
      port: { type: 'string', default: '0' },
      'client-version': { type: 'string' },
      'max-per-api': { type: 'string', default: '6' },
    },
  });
  if (values.client === undefined || values.out === undefined) {
    process.stderr.write('usage: capture-server --client NAME --out DIR [--port N] [--client-version TEXT] [--max-per-api N]\n');
    process.exit(2);
  }
  const capture = await startCaptureServer({
    client: values.client,
    outDir: values.out,
    port: Number(values.port),
    clientVersion: values['client-version'],
    maxPerApi: Number(values['max-per-api']),
  });
  process.stdout.write(`listening ${HOST}:${capture.port}\n`);
  const stop = () => {
    void capture.close().then(() => {
      process.stderr.write(`capture: saved ${capture.index.frames.length} frames to ${values.out}\n`);
      process.exit(0);
    });
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === new URL(import.meta.url).pathname) {
  void main();
}

/**
 * Peers on this machine, when installed (Debian `redis-server`,
 * `nats-server`): the same 100-byte messages as rdkafka's headline figures,
 * a fixed count, written and read back through
 *  - Redis Streams: XADD pipelined (1,000 per write, 8 writes in flight),
 *    then XREAD COUNT 1000 from 0-0 until all are read; AOF on with
 *    appendfsync everysec, no RDB snapshots;
 *  - NATS JetStream: a file-storage stream; PUB with a reply subject (a PubAck
 *    per stored message), 8,000 unacknowledged at most; then an ephemeral
 *    push consumer (deliver all, no acks).
 * Each is reported in msgs/s with its ratio to Samsa's rdkafka figure of the
 * same run (rdkafka.produce.100B.p1.acks1 / rdkafka.consume.100B.p1) when
 * that suite ran too. The peers' clients are minimal protocol clients written
 * here, so they cost less per message than librdkafka does. A peer that is
 * not installed is reported as `<peer>.installed = 0`.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { BenchContext, Measurement, Suite } from '../suite.js';
import { startExternal, which } from '../peers/external.js';
import { RespClient, RespError, encodeCommand, type RespValue } from '../peers/resp.js';
import { NatsClient } from '../peers/nats.js';
import { freePort } from './startup.js';

const messageBytes = 100;
const chunk = 1_000;
const chunksInFlight = 8;

interface PeerResult {
  produceMsgsPerSec: number;
  consumeMsgsPerSec: number;
}

async function redisStreams(ctx: BenchContext, program: string, count: number): Promise<PeerResult> {
  const port = await freePort();
  const dir = join(ctx.tmpDir, 'redis');
  mkdirSync(dir, { recursive: true });
  const server = await startExternal(
    program,
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec', '--daemonize', 'no', '--protected-mode', 'no', '--loglevel', 'warning'],
    port,
    ctx.durationMs * 10 + 60_000,
  );
  try {
    const client = await RespClient.open(port);
    try {
      const value = Buffer.alloc(messageBytes, 0x61);
      const xadd = encodeCommand(['XADD', 'bench', '*', 'v', value]);
      const batch = Array.from({ length: chunk }, () => xadd);
      const produceStarted = performance.now();
      const inFlight: Array<Promise<RespValue[]>> = [];
      for (let sent = 0; sent < count; sent += chunk) {
        inFlight.push(client.pipeline(batch.slice(0, Math.min(chunk, count - sent))));
        if (inFlight.length >= chunksInFlight) checkReplies(await inFlight.shift()!);
      }
      for (const p of inFlight) checkReplies(await p);
      const produceMs = performance.now() - produceStarted;
      const consumeStarted = performance.now();
      let read = 0;
      let last = '0-0';
      while (read < count) {
        const reply = await client.command('XREAD', 'COUNT', String(chunk), 'STREAMS', 'bench', last);
        const entries = streamEntries(reply);
        if (entries.length === 0) throw new Error(`XREAD returned nothing after ${read} of ${count}`);
        read += entries.length;
        last = String(entries[entries.length - 1]![0]);
      }
      const consumeMs = performance.now() - consumeStarted;
      return { produceMsgsPerSec: count / (produceMs / 1000), consumeMsgsPerSec: read / (consumeMs / 1000) };
    } finally {
      client.close();
    }
  } finally {
    await server.stop();
  }
}

function checkReplies(replies: RespValue[]): void {
  const bad = replies.find((r) => r instanceof RespError);
  if (bad) throw bad as RespError;
}

/** XREAD's reply: [[stream, [[id, [field, value]], ...]]]. */
function streamEntries(reply: RespValue): RespValue[][] {
  if (!Array.isArray(reply)) return [];
  const stream = reply[0];
  if (!Array.isArray(stream) || !Array.isArray(stream[1])) return [];
  return stream[1] as RespValue[][];
}

async function natsJetStream(ctx: BenchContext, program: string, count: number): Promise<PeerResult> {
  const port = await freePort();
  const dir = join(ctx.tmpDir, 'nats');
  mkdirSync(dir, { recursive: true });
  const server = await startExternal(program, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir], port, ctx.durationMs * 10 + 60_000);
  try {
    const client = await NatsClient.open(port);
    try {
      await client.request('$JS.API.STREAM.CREATE.BENCH', { name: 'BENCH', subjects: ['bench'], storage: 'file', retention: 'limits', discard: 'old' });
      const payload = Buffer.alloc(messageBytes, 0x61);
      const frame = NatsClient.pubFrame('bench', '_INBOX.samsa.ack', payload);
      let acked = 0;
      let ackError = '';
      let wake: (() => void) | null = null;
      let wakeAt = 0;
      client.subscribe('_INBOX.samsa.ack', (m) => {
        acked++;
        if (!ackError && m.payload.includes('"error"')) ackError = m.payload.toString();
        if (wake && acked >= wakeAt) {
          const w = wake;
          wake = null;
          w();
        }
      });
      const ackedAtLeast = (n: number): Promise<void> => (acked >= n ? Promise.resolve() : new Promise((resolve) => ((wakeAt = n), (wake = resolve))));
      await client.flush();
      const produceStarted = performance.now();
      const chunkFrames = Buffer.concat(Array.from({ length: chunk }, () => frame));
      for (let sent = 0; sent < count; sent += chunk) {
        const n = Math.min(chunk, count - sent);
        client.writeRaw(n === chunk ? chunkFrames : chunkFrames.subarray(0, n * frame.length));
        await ackedAtLeast(sent + n - chunk * chunksInFlight);
      }
      await ackedAtLeast(count);
      const produceMs = performance.now() - produceStarted;
      if (ackError) throw new Error(`JetStream publish: ${ackError}`);
      let received = 0;
      let done: () => void = () => {};
      const all = new Promise<void>((resolve) => (done = resolve));
      client.subscribe('samsa.deliver', () => {
        if (++received === count) done();
      });
      await client.flush();
      const consumeStarted = performance.now();
      await client.request('$JS.API.CONSUMER.CREATE.BENCH', {
        stream_name: 'BENCH',
        config: { deliver_subject: 'samsa.deliver', ack_policy: 'none', deliver_policy: 'all', replay_policy: 'instant' },
      });
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([all, new Promise<void>((_, reject) => (timer = setTimeout(() => reject(new Error(`JetStream consumer delivered ${received} of ${count}`)), 60_000)))]);
      clearTimeout(timer);
      const consumeMs = performance.now() - consumeStarted;
      return { produceMsgsPerSec: count / (produceMs / 1000), consumeMsgsPerSec: count / (consumeMs / 1000) };
    } finally {
      client.close();
    }
  } finally {
    await server.stop();
  }
}

export const peersStreams: Suite = {
  name: 'peers',
  description: 'Redis Streams and NATS JetStream (when installed): 100-byte messages written and read back, msgs/s beside Samsa via rdkafka',
  async run(ctx) {
    const count = Math.max(20_000, Math.round((ctx.durationMs / 1000) * 100_000));
    const out: Measurement[] = [];
    const peers = [
      { name: 'redis', program: 'redis-server', run: redisStreams },
      { name: 'nats', program: 'nats-server', run: natsJetStream },
    ] as const;
    for (const peer of peers) {
      const program = which(peer.program);
      if (!program) {
        ctx.log(`${peer.name}: ${peer.program} not installed`);
        out.push({ metric: `${peer.name}.installed`, value: 0, unit: 'flag' });
        continue;
      }
      const r = await peer.run(ctx, program, count);
      ctx.log(`${peer.name}: ${count.toLocaleString('en-US')} messages, produce ${Math.round(r.produceMsgsPerSec).toLocaleString('en-US')} msgs/s, consume ${Math.round(r.consumeMsgsPerSec).toLocaleString('en-US')} msgs/s`);
      out.push(
        { metric: `${peer.name}.produce`, value: r.produceMsgsPerSec, unit: 'msgs/s', ratioTo: 'rdkafka.produce.100B.p1.acks1' },
        { metric: `${peer.name}.consume`, value: r.consumeMsgsPerSec, unit: 'msgs/s', ratioTo: 'rdkafka.consume.100B.p1' },
      );
    }
    return out;
  },
};

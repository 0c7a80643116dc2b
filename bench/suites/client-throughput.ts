/**
 * The Samsa client's produce and consume throughput against a Samsa broker,
 * side by side with kafkajs and node-rdkafka in the same run (issue 8).
 *
 * The broker runs in a child process (broker-common.ts) and every client
 * phase in its own child process (client-worker.ts), so no two of them share
 * an event loop. For 100-byte and 1 KiB records: each client produces for
 * `durationMs` into its own 4-partition topic (acks=1, no compression), then
 * each client reads the topic the Samsa producer wrote from the start, for up
 * to `durationMs`. Reported: records/s and MB/s of record values per client,
 * and the Samsa figures again as ratios to kafkajs and to node-rdkafka.
 * Targets: Samsa produce ≥ 3 × kafkajs and ≥ 0.7 × node-rdkafka.
 *
 * node-rdkafka is test-only (test/compat/node_modules, installed by .ci/run);
 * without it its rows are reported as "not installed" and left out.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Measurement, Suite } from '../suite.js';
import { AdminConnection, createTopic, startBroker } from './broker-common.js';
import type { ClientName, WorkerJob, WorkerReply } from './client-worker.js';

const workerPath = fileURLToPath(new URL('./client-worker.js', import.meta.url));
const clients: readonly ClientName[] = ['samsa', 'kafkajs', 'rdkafka'];
const sizes = [
  { label: '100B', bytes: 100 },
  { label: '1KiB', bytes: 1024 },
] as const;
const partitions = 4;
/** Where a profile of the worker goes: SAMSA_BENCH_CLIENT_CPU_PROF=<dir> runs client workers with --cpu-prof. */
const profileDir = process.env['SAMSA_BENCH_CLIENT_CPU_PROF'];

function isReply(value: unknown): value is WorkerReply {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

function runWorker(job: WorkerJob): Promise<WorkerReply> {
  const execArgv = profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir, '--cpu-prof-name', `client-${job.client}-${job.mode}-${job.messageBytes}-${Date.now()}.cpuprofile`] : [];
  const child = fork(workerPath, [JSON.stringify(job)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv });
  return new Promise((resolve, reject) => {
    let reply: WorkerReply | null = null;
    const timer = setTimeout(() => child.kill('SIGKILL'), job.lifetimeMs + 5_000);
    child.on('message', (message: unknown) => {
      if (isReply(message)) reply = message;
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (reply !== null) resolve(reply);
      else reject(new Error(`${job.client} ${job.mode} worker exited with code ${code} and no reply`));
    });
  });
}

interface Row {
  messagesPerSec: number;
  mbPerSec: number;
  /** The worker's CPU time per record (set-up included): steadier than rates when other work shares the CPUs. */
  cpuUsPerMessage: number;
}

export const clientThroughput: Suite = {
  name: 'client.throughput',
  description: `Samsa client vs kafkajs vs node-rdkafka: produce (acks=1) and consume, 100 B and 1 KiB records, ${partitions} partitions, each client in its own process`,
  async run(ctx) {
    const phaseMs = Math.max(250, ctx.quick ? Math.round(ctx.durationMs * 0.8) : ctx.durationMs);
    const lifetimeMs = phaseMs * 8 + 60_000;
    const broker = await startBroker(ctx, 'client-throughput', { 'group.initial.rebalance.delay.ms': 0 });
    const bootstrap = `127.0.0.1:${broker.port}`;
    const out: Measurement[] = [];
    const missing = new Map<ClientName, string>();
    const table: string[] = [];
    try {
      const admin = await AdminConnection.open(broker.port);
      try {
        for (const size of sizes) for (const client of clients) await createTopic(admin, `produce-${client}-${size.label}`, partitions);
      } finally {
        admin.close();
      }
      for (const size of sizes) {
        const produced = new Map<ClientName, Row>();
        const consumed = new Map<ClientName, Row>();
        let samsaWrote = 0;
        for (const mode of ['produce', 'consume'] as const) {
          for (const client of clients) {
            if (missing.has(client)) continue;
            const topic = mode === 'produce' ? `produce-${client}-${size.label}` : `produce-samsa-${size.label}`;
            const reply = await runWorker({ client, mode, bootstrap, topic, partitions, messageBytes: size.bytes, durationMs: phaseMs, expected: samsaWrote, lifetimeMs });
            if (reply.type === 'unavailable') {
              missing.set(client, reply.reason);
              continue;
            }
            if (reply.type === 'error') throw new Error(`${client} ${mode} ${size.label}: ${reply.message}`);
            if (reply.messages === 0 || reply.elapsedMs <= 0) throw new Error(`${client} ${mode} ${size.label}: nothing measured`);
            if (mode === 'produce' && client === 'samsa') samsaWrote = reply.messages + 1; // + the warm-up record
            const row = { messagesPerSec: (reply.messages * 1000) / reply.elapsedMs, mbPerSec: reply.bytes / 1000 / reply.elapsedMs, cpuUsPerMessage: (reply.cpuMs * 1000) / reply.messages };
            (mode === 'produce' ? produced : consumed).set(client, row);
            const id = `${mode}.${size.label}.${client}`;
            out.push({ metric: `${id}.msgs`, value: row.messagesPerSec, unit: 'msgs/s' }, { metric: `${id}.throughput`, value: row.mbPerSec, unit: 'MB/s' });
          }
          const rows = mode === 'produce' ? produced : consumed;
          const samsa = rows.get('samsa');
          for (const other of ['kafkajs', 'rdkafka'] as const) {
            if (samsa === undefined || !rows.has(other)) continue;
            out.push({ metric: `${mode}.${size.label}.samsa.vs.${other}`, value: samsa.messagesPerSec, unit: 'msgs/s', ratioTo: `client.throughput.${mode}.${size.label}.${other}.msgs` });
          }
          for (const client of clients) {
            const row = rows.get(client);
            const text =
              row === undefined
                ? (missing.get(client) ?? 'no figure')
                : `${Math.round(row.messagesPerSec).toLocaleString('en-US')} msgs/s ${row.mbPerSec.toFixed(1)} MB/s, ${row.cpuUsPerMessage.toFixed(2)} µs CPU/msg`;
            const ratio = row !== undefined && samsa !== undefined && client !== 'samsa' ? `  (samsa ${(samsa.messagesPerSec / row.messagesPerSec).toFixed(2)}×)` : '';
            table.push(`${mode.padEnd(7)} ${size.label.padEnd(4)} ${client.padEnd(7)} ${text}${ratio}`);
          }
        }
      }
    } finally {
      await broker.stop();
    }
    for (const line of table) ctx.log(line);
    return out;
  },
};

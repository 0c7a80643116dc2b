/**
 * Scale: one broker holding a 1,000-partition topic and 1,000 idle client
 * connections (each has done an ApiVersions exchange and then stays open).
 * node-rdkafka produces 100-byte values with 1,000 distinct keys, so every
 * partition takes traffic (librdkafka hashes keys to partitions; linger.ms=5,
 * acks=1), first to a 6-partition topic, then to the 1,000-partition one, with
 * the idle connections open throughout. Target: the 1,000-partition figure ≥
 * 0.8 of the 6-partition one. Broker RSS is read from /proc at start, with
 * the partitions and connections, and after the load.
 *
 * Where the 1,000-partition case loses is reported as CPU time per message
 * of each process (broker from /proc, all threads; client as the job
 * measures it), which moves far less than msgs/s when other work shares the
 * CPUs: librdkafka puts one partition in each ProduceRequest, so with 1,000
 * partitions its batches shrink from hundreds of records to tens and both
 * sides pay per request. bench/tools/scale-probe.ts splits this further
 * (per thread, requests and records per batch).
 */
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Measurement, Suite } from '../suite.js';
import { AdminConnection, createTopic, openIdleConnections, processCpuMs, startBroker } from './broker-common.js';
import { rdkafkaMissing, startRdkafkaClient } from '../peers/rdkafka.js';

export const scaleTarget = 0.8;

const partitionsMax = 1_000;
const idleConnections = 1_000;

export const scalePartitions: Suite = {
  name: 'scale.partitions',
  description: `node-rdkafka produce (100 B, keyed) to 1,000 partitions with ${idleConnections.toLocaleString('en-US')} idle connections vs 6 partitions (target ≥ ${scaleTarget}); broker RSS`,
  async run(ctx) {
    const missing = rdkafkaMissing();
    const phaseMs = Math.max(300, Math.round(ctx.durationMs * 0.7));
    const lifetimeMs = ctx.durationMs * 10 + 90_000;
    const broker = await startBroker(ctx, 'scale', {}, lifetimeMs);
    const sockets: Socket[] = [];
    const out: Measurement[] = [];
    const mb = (bytes: number): number => bytes / 1e6;
    try {
      out.push({ metric: 'rss.start', value: mb(broker.rssBytes()), unit: 'MB' });
      const admin = await AdminConnection.open(broker.port);
      await createTopic(admin, 'scale-p6', 6);
      const createStarted = performance.now();
      await createTopic(admin, 'scale-p1000', partitionsMax);
      const createMs = performance.now() - createStarted;
      admin.close();
      const connectStarted = performance.now();
      sockets.push(...(await openIdleConnections(broker.port, idleConnections)));
      const connectMs = performance.now() - connectStarted;
      const idleRss = broker.rssBytes();
      ctx.log(`1,000 partitions created in ${createMs.toFixed(0)} ms; ${sockets.length} connections in ${connectMs.toFixed(0)} ms; broker RSS ${mb(idleRss).toFixed(1)} MB`);
      out.push(
        { metric: 'create.p1000', value: createMs, unit: 'ms' },
        { metric: 'rss.idle', value: mb(idleRss), unit: 'MB' },
      );
      if (missing) {
        ctx.log(`scale.partitions: ${missing}; produce skipped`);
        out.push({ metric: 'node-rdkafka.installed', value: 0, unit: 'flag' });
        return out;
      }
      const client = await startRdkafkaClient(lifetimeMs);
      try {
        const bootstrap = `127.0.0.1:${broker.port}`;
        const rates: number[] = [];
        const cpuNotes: string[] = [];
        for (const [label, topic] of [['p6', 'scale-p6'], ['p1000', 'scale-p1000']] as const) {
          const brokerCpu0 = processCpuMs(broker.pid);
          const r = await client.run({ kind: 'produce', bootstrap, topic, messageBytes: 100, acks: 1, durationMs: phaseMs, keys: partitionsMax });
          const brokerCpuMs = processCpuMs(broker.pid) - brokerCpu0;
          const rate = r.messages / (r.elapsedMs / 1000);
          rates.push(rate);
          out.push({ metric: `produce.${label}`, value: rate, unit: 'msgs/s', ...(label === 'p1000' ? { ratioTo: 'scale.partitions.produce.p6' } : {}) });
          // CPU per message: the broker's over the job (its set-up and flush included), the client's as the job measured it.
          const perMsgUs = (ms: number): number => (ms * 1000) / Math.max(1, r.messages);
          if (Number.isFinite(brokerCpuMs) && r.messages > 0) {
            out.push({ metric: `cpu.broker.${label}`, value: perMsgUs(brokerCpuMs), unit: 'us/msg', ...(label === 'p1000' ? { ratioTo: 'scale.partitions.cpu.broker.p6' } : {}) });
          }
          if (r.cpuMs !== undefined && r.messages > 0) {
            out.push({ metric: `cpu.client.${label}`, value: perMsgUs(r.cpuMs), unit: 'us/msg', ...(label === 'p1000' ? { ratioTo: 'scale.partitions.cpu.client.p6' } : {}) });
          }
          cpuNotes.push(`${label} broker ${perMsgUs(brokerCpuMs).toFixed(2)} + client ${r.cpuMs === undefined ? '?' : perMsgUs(r.cpuMs).toFixed(2)} us/msg`);
        }
        ctx.log(`produce: 6 partitions ${Math.round(rates[0]!).toLocaleString('en-US')} msgs/s, 1,000 partitions ${Math.round(rates[1]!).toLocaleString('en-US')} msgs/s: ${(rates[1]! / rates[0]!).toFixed(2)} (target ≥ ${scaleTarget}); CPU ${cpuNotes.join(', ')}`);
      } finally {
        await client.close();
      }
      out.push({ metric: 'rss.loaded', value: mb(broker.rssBytes()), unit: 'MB' });
    } finally {
      for (const s of sockets) s.destroy();
      await broker.stop();
    }
    return out;
  },
};

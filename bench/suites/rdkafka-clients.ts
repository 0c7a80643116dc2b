/**
 * node-rdkafka (librdkafka 2.x) against the broker, both in child processes:
 * produce for a fixed time as fast as librdkafka accepts messages (keyless,
 * librdkafka's default sticky partitioning, linger.ms=5, no compression),
 * for 100-byte and 1 KiB values, 1 and 6 partitions, acks=1 and acks=all,
 * counting acknowledged messages by the growth of the partitions' high
 * watermarks (no per-message delivery reports; `produce.100B.p1.acks1.dr`
 * is the same with node-rdkafka's per-message delivery-report events, to
 * show their cost); then consume the acks=1 topics from the start with
 * consume(n), counting the messages the application receives.
 *
 * Then the same library without the Node binding: librdkafka's own
 * rdkafka_performance tool (`librdkafka.*`, see peers/librdkafka-perf.ts),
 * built on demand by a full run and reused from a cache; a --quick or
 * harness run only uses an already built one. When it cannot be built the
 * suite reports `rdkafka.librdkafka.installed = 0`.
 *
 * Targets with 100-byte values: 1,000,000 msgs/s produce and 2,000,000 msgs/s
 * consume; they are reported as measurements so the table shows each figure's
 * ratio to its target. Without node-rdkafka the suite reports
 * `rdkafka.node-rdkafka.installed = 0`.
 */
import type { BenchContext, Measurement, Suite } from '../suite.js';
import { AdminConnection, createTopic, startBroker } from './broker-common.js';
import { notInstalled, rdkafkaMissing, startRdkafkaClient } from '../peers/rdkafka.js';
import type { ThroughputResult } from '../peers/rdkafka-child.js';
import { perfConsume, perfProduce, perfTool } from '../peers/librdkafka-perf.js';

export const rdkafkaTargets = { produceMsgsPerSec: 1_000_000, consumeMsgsPerSec: 2_000_000 } as const;

const sizes = [100, 1024] as const;
const partitionCounts = [1, 6] as const;
const acksList = [1, -1] as const;

const sizeLabel = (bytes: number): string => (bytes === 1024 ? '1KiB' : `${bytes}B`);
const acksLabel = (acks: number): string => (acks === 1 ? 'acks1' : 'acksall');

function rates(metric: string, r: ThroughputResult, target?: string): Measurement[] {
  const seconds = r.elapsedMs / 1000;
  return [
    { metric, value: r.messages / seconds, unit: 'msgs/s', ...(target ? { ratioTo: target } : {}) },
    { metric: `${metric}.mb`, value: r.bytes / seconds / 1e6, unit: 'MB/s' },
  ];
}

export const rdkafkaClients: Suite = {
  name: 'rdkafka',
  description: 'node-rdkafka producer/consumer: 100 B and 1 KiB, 1 and 6 partitions, acks=1/all; librdkafka rdkafka_performance (C) for comparison (targets 1M msgs/s produce, 2M consume at 100 B)',
  async run(ctx) {
    const missing = rdkafkaMissing();
    if (missing) {
      ctx.log(`rdkafka: ${missing}; skipped`);
      return [...notInstalled('node-rdkafka'), ...notInstalled('librdkafka')];
    }
    const phaseMs = Math.max(200, Math.round(ctx.durationMs / 2));
    const out: Measurement[] = [
      { metric: 'produce.target', value: rdkafkaTargets.produceMsgsPerSec, unit: 'msgs/s' },
      { metric: 'consume.target', value: rdkafkaTargets.consumeMsgsPerSec, unit: 'msgs/s' },
    ];
    const lifetimeMs = ctx.durationMs * 12 + 60_000;
    const broker = await startBroker(ctx, 'rdkafka');
    const client = await startRdkafkaClient(lifetimeMs).catch(async (err: unknown) => {
      await broker.stop();
      throw err;
    });
    try {
      const bootstrap = `127.0.0.1:${broker.port}`;
      const admin = await AdminConnection.open(broker.port);
      const filled: Array<{ topic: string; bytes: number; partitions: number; messages: number }> = [];
      try {
        for (const bytes of sizes) {
          for (const partitions of partitionCounts) {
            for (const acks of acksList) {
              const name = `${sizeLabel(bytes)}.p${partitions}.${acksLabel(acks)}`;
              const topic = `rd-${name.replace(/\./g, '-')}`;
              await createTopic(admin, topic, partitions);
              const r = await client.run({ kind: 'produce', bootstrap, topic, messageBytes: bytes, acks, durationMs: phaseMs });
              out.push(...rates(`produce.${name}`, r, bytes === 100 ? 'rdkafka.produce.target' : undefined));
              ctx.log(`produce ${name}: ${Math.round(r.messages / (r.elapsedMs / 1000)).toLocaleString('en-US')} msgs/s`);
              if (acks === 1) filled.push({ topic, bytes, partitions, messages: r.messages });
            }
          }
        }
        // The same with a per-message delivery-report event, as many applications run it.
        await createTopic(admin, 'rd-100B-p1-acks1-dr', 1);
        const dr = await client.run({ kind: 'produce', bootstrap, topic: 'rd-100B-p1-acks1-dr', messageBytes: 100, acks: 1, durationMs: phaseMs, count: 'dr' });
        out.push(...rates('produce.100B.p1.acks1.dr', dr));
        ctx.log(`produce 100B.p1.acks1 with delivery reports: ${Math.round(dr.messages / (dr.elapsedMs / 1000)).toLocaleString('en-US')} msgs/s`);
      } finally {
        admin.close();
      }
      for (const f of filled) {
        const name = `${sizeLabel(f.bytes)}.p${f.partitions}`;
        const r = await client.run({ kind: 'consume', bootstrap, topic: f.topic, partitions: f.partitions, count: f.messages, timeoutMs: 30_000 + ctx.durationMs * 4 });
        out.push(...rates(`consume.${name}`, r, f.bytes === 100 ? 'rdkafka.consume.target' : undefined));
        ctx.log(`consume ${name}: ${Math.round(r.messages / (r.elapsedMs / 1000)).toLocaleString('en-US')} msgs/s (${r.messages} messages)`);
      }
      out.push(...(await librdkafka(ctx, bootstrap, broker.port, phaseMs)));
    } finally {
      await client.close();
      await broker.stop();
    }
    return out;
  },
};

/** librdkafka's rdkafka_performance against the same broker: produce (acks=1, 1 partition) then consume what it produced. */
async function librdkafka(ctx: BenchContext, bootstrap: string, port: number, phaseMs: number): Promise<Measurement[]> {
  const tool = perfTool(!ctx.quick);
  if ('missing' in tool) {
    ctx.log(`rdkafka: librdkafka's rdkafka_performance: ${tool.missing}; skipped`);
    return notInstalled('librdkafka');
  }
  const out: Measurement[] = [];
  const admin = await AdminConnection.open(port);
  try {
    for (const bytes of sizes) {
      const name = `${sizeLabel(bytes)}.p1`;
      const topic = `rc-${name.replace(/\./g, '-')}`;
      await createTopic(admin, topic, 1);
      const p = await perfProduce(tool.path, { bootstrap, topic, messageBytes: bytes, acks: 1, durationMs: phaseMs });
      out.push(...rates(`librdkafka.produce.${name}.acks1`, p, bytes === 100 ? 'rdkafka.produce.target' : undefined));
      ctx.log(`librdkafka produce ${name}.acks1: ${Math.round(p.messages / (p.elapsedMs / 1000)).toLocaleString('en-US')} msgs/s`);
      const c = await perfConsume(tool.path, { bootstrap, topic, partitions: 1, count: p.messages, timeoutMs: 30_000 + ctx.durationMs * 4 });
      out.push(...rates(`librdkafka.consume.${name}`, c, bytes === 100 ? 'rdkafka.consume.target' : undefined));
      ctx.log(`librdkafka consume ${name}: ${Math.round(c.messages / (c.elapsedMs / 1000)).toLocaleString('en-US')} msgs/s (${c.messages} messages)`);
    }
  } finally {
    admin.close();
  }
  return out;
}

/**
 * End-to-end latency: node-rdkafka produces 1 KiB messages at a fixed
 * 10,000 msgs/s to one partition while a flowing consumer in the same client
 * process reads them; each value carries its send time, so latency =
 * receive − send on one clock (what the application sees: produce() call to
 * its 'data' event), recorded in the log-linear histogram. acks=1 and
 * acks=all (on one node acks=all waits for the group-committed fsync). The
 * first quarter second of each phase is warm-up. Targets: p50 ≤ 1 ms,
 * p99 ≤ 5 ms, p99.9 ≤ 20 ms, reported as measurements so each percentile
 * shows its ratio to its target (≤ 1 meets it).
 *
 * Client settings (rdkafka-latency-job.ts), as a latency-minded user sets
 * them: producer linger.ms=0, socket.nagle.disable, `acks` in the topic
 * configuration (node-rdkafka replaces topic properties given globally with
 * its own default topic configuration, so a global `acks` silently became
 * -1 and both phases measured acks=all); consumer fetch.min.bytes=1,
 * fetch.wait.max.ms=500 (a long poll the broker answers as soon as the high
 * watermark moves), fetch.queue.backoff.ms=0, socket.nagle.disable, flowing
 * consume(). Measured and left at their defaults because they made no
 * difference: the consume loop's timeout delay (it only sleeps after a poll
 * that returned nothing for 1 s), the producer's poll interval (10 vs 50 ms),
 * fetch.wait.max.ms 10 vs 500.
 */
import type { Measurement, Suite } from '../suite.js';
import { AdminConnection, createTopic, startBroker } from './broker-common.js';
import { notInstalled, rdkafkaMissing, startRdkafkaClient } from '../peers/rdkafka.js';

export const latencyTargetsMs = { p50: 1, p99: 5, p999: 20 } as const;
const ratePerSec = 10_000;
const messageBytes = 1024;

export const latencyE2e: Suite = {
  name: 'latency.e2e',
  description: `node-rdkafka produce → consume latency at ${ratePerSec.toLocaleString('en-US')} msgs/s of 1 KiB, acks=1 and acks=all (targets p50 ≤ 1, p99 ≤ 5, p99.9 ≤ 20 ms)`,
  async run(ctx) {
    const missing = rdkafkaMissing();
    if (missing) {
      ctx.log(`latency.e2e: ${missing}; skipped`);
      return notInstalled('node-rdkafka');
    }
    const out: Measurement[] = [
      { metric: 'target.p50', value: latencyTargetsMs.p50, unit: 'ms' },
      { metric: 'target.p99', value: latencyTargetsMs.p99, unit: 'ms' },
      { metric: 'target.p999', value: latencyTargetsMs.p999, unit: 'ms' },
    ];
    const durationMs = Math.max(300, ctx.durationMs);
    const broker = await startBroker(ctx, 'latency');
    const client = await startRdkafkaClient(ctx.durationMs * 8 + 60_000).catch(async (err: unknown) => {
      await broker.stop();
      throw err;
    });
    try {
      const admin = await AdminConnection.open(broker.port);
      for (const acks of [1, -1]) {
        const label = acks === 1 ? 'acks1' : 'acksall';
        const topic = `latency-${label}`;
        await createTopic(admin, topic, 1);
        const r = await client.run({ kind: 'latency', bootstrap: `127.0.0.1:${broker.port}`, topic, messageBytes, acks, ratePerSec, durationMs, warmupMs: 250 });
        const ms = (us: number): number => us / 1000;
        ctx.log(`${label}: ${r.sent} sent (${Math.round(r.sent / ((durationMs + 250) / 1000))} msgs/s), ${r.latencyUs.count} measured, p50 ${ms(r.latencyUs.p50).toFixed(2)} p99 ${ms(r.latencyUs.p99).toFixed(2)} p99.9 ${ms(r.latencyUs.p999).toFixed(2)} max ${ms(r.latencyUs.max).toFixed(2)} ms`);
        out.push(
          { metric: `${label}.p50`, value: ms(r.latencyUs.p50), unit: 'ms', ratioTo: 'latency.e2e.target.p50' },
          { metric: `${label}.p99`, value: ms(r.latencyUs.p99), unit: 'ms', ratioTo: 'latency.e2e.target.p99' },
          { metric: `${label}.p999`, value: ms(r.latencyUs.p999), unit: 'ms', ratioTo: 'latency.e2e.target.p999' },
          { metric: `${label}.max`, value: ms(r.latencyUs.max), unit: 'ms' },
        );
      }
      admin.close();
    } finally {
      await client.close();
      await broker.stop();
    }
    return out;
  },
};

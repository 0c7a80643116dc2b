/**
 * node-rdkafka (librdkafka) as a load client, in its own process so that its
 * JavaScript and native threads do not share the suite's event loop.
 *
 * Forked with an IPC channel by rdkafka.ts. Loads node-rdkafka from
 * test/compat/node_modules (the test-only client install) and answers
 * {type:'job', job} messages one at a time with {type:'result', result} or
 * {type:'error', message}. Exits on {type:'exit'}, when the parent goes away,
 * or after the lifetime given as argv[2].
 */
import { consume } from './rdkafka-consume-job.js';
import { latency } from './rdkafka-latency-job.js';
import { produce } from './rdkafka-produce-job.js';
import type { LatencyResult, RdkafkaChildMessage, RdkafkaJob, ThroughputResult } from './rdkafka-jobs.js';

export type { LatencyResult, RdkafkaChildMessage, RdkafkaJob, ThroughputResult } from './rdkafka-jobs.js';

function reply(message: RdkafkaChildMessage): void {
  process.send?.(message);
}

function run(job: RdkafkaJob): Promise<ThroughputResult | LatencyResult> {
  if (job.kind === 'produce') return produce(job);
  if (job.kind === 'consume') return consume(job);
  return latency(job);
}

process.on('message', (message: unknown) => {
  const m = message as { type?: string; job?: RdkafkaJob };
  if (m.type === 'exit') process.exit(0);
  if (m.type === 'job' && m.job) {
    run(m.job).then(
      (result) => reply({ type: 'result', result }),
      (err: unknown) => reply({ type: 'error', message: err instanceof Error ? err.message : String(err) }),
    );
  }
});
process.on('disconnect', () => process.exit(0));
setTimeout(() => {
  process.stderr.write('rdkafka-child: lifetime exceeded, exiting\n');
  process.exit(3);
}, Number(process.argv[2] ?? 600_000)).unref();
reply({ type: 'ready' });

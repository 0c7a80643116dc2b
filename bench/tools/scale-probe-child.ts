/**
 * rdkafka-child.ts's produce job for scale-probe.ts, with topic properties
 * (e.g. acks=1) passed where node-rdkafka honours them: its second
 * constructor argument. In the global configuration they are lost, because
 * node-rdkafka always installs a default topic configuration built from that
 * second argument (so the job's `acks: 1` goes out as librdkafka's default,
 * acks=-1). The job itself is unchanged: Producer is wrapped around it.
 * Answers {type:'job', job, topicConf} like rdkafka-child.ts.
 */
import { kafka, type Conf } from '../peers/rdkafka-native.js';
import { produce } from '../peers/rdkafka-produce-job.js';
import type { RdkafkaJob } from '../peers/rdkafka-jobs.js';

type ProduceJob = Extract<RdkafkaJob, { kind: 'produce' }>;
const OriginalProducer = kafka.Producer;

process.on('message', (message: unknown) => {
  const m = message as { type?: string; job?: ProduceJob; topicConf?: Conf };
  if (m.type === 'exit') process.exit(0);
  if (m.type === 'job' && m.job) {
    const topicConf = m.topicConf ?? {};
    kafka.Producer = class extends OriginalProducer {
      constructor(conf: Conf, tconf?: Conf) {
        super(conf, { ...tconf, ...topicConf });
      }
    } as typeof kafka.Producer;
    produce(m.job).then(
      (result) => process.send?.({ type: 'result', result }),
      (err: unknown) => process.send?.({ type: 'error', message: err instanceof Error ? err.message : String(err) }),
    );
  }
});
process.on('disconnect', () => process.exit(0));
setTimeout(() => process.exit(3), Number(process.argv[2] ?? 600_000)).unref();
process.send?.({ type: 'ready' });

/**
 * Turns a consumer tool's "what to read" (a topic, a regex, one partition at
 * an offset, a group) into a started client Consumer.
 *
 * With a group the consumer joins it (subscribe) and starts from the group's
 * committed offsets. Without one it takes every partition itself (assign),
 * so nothing is left behind in the broker's group list; Kafka's tool makes a
 * throw-away "console-consumer-NNNNN" group instead, with the same output.
 *
 * A missing topic is waited for, as Kafka's consumer does, asking the broker
 * to auto-create it (`allow.auto.create.topics`, on by default).
 */
import type { Cluster } from '../../../client/cluster.js';
import { Consumer, type ConsumerOptions } from '../../../client/consumer.js';
import type { AssignorName } from '../../../client/assignors.js';
import { KafkaProtocolError } from '../../../client/errors.js';
import { sleep } from '../../../client/backoff.js';
import { INTERNAL_TOPICS } from './admin-helpers.js';
import { UsageError, numberProp } from './common.js';

export type StartAt = 'earliest' | 'latest' | bigint;

export interface SubscriptionSpec {
  topic?: string;
  include?: RegExp;
  /** Read only this partition of `topic`. */
  partition?: number;
  /** Where to start without a committed offset (always, without a group). */
  start: StartAt;
  group?: string;
  allowAutoCreate: boolean;
  /** Gives up waiting for a missing topic at this time (ms since epoch). */
  deadlineMs: number;
  isCancelled: () => boolean;
}

const ASSIGNOR_CLASSES: Record<string, AssignorName> = {
  RangeAssignor: 'range',
  RoundRobinAssignor: 'roundrobin',
  StickyAssignor: 'sticky',
  CooperativeStickyAssignor: 'cooperative-sticky',
};

/** Consumer options from Kafka's consumer property names. */
export function consumerOptions(base: ConsumerOptions, props: Map<string, string>): ConsumerOptions {
  const options: ConsumerOptions = { ...base };
  const set = <K extends keyof ConsumerOptions>(key: K, prop: string): void => {
    const n = numberProp(props, prop);
    if (n !== undefined) options[key] = n as ConsumerOptions[K];
  };
  set('sessionTimeoutMs', 'session.timeout.ms');
  set('heartbeatIntervalMs', 'heartbeat.interval.ms');
  set('maxPollIntervalMs', 'max.poll.interval.ms');
  set('autoCommitIntervalMs', 'auto.commit.interval.ms');
  set('fetchMinBytes', 'fetch.min.bytes');
  set('fetchMaxBytes', 'fetch.max.bytes');
  set('fetchMaxWaitMs', 'fetch.max.wait.ms');
  set('maxPartitionFetchBytes', 'max.partition.fetch.bytes');
  set('maxPollRecords', 'max.poll.records');
  const instance = props.get('group.instance.id');
  if (instance !== undefined && instance !== '') options.groupInstanceId = instance;
  const strategies = props.get('partition.assignment.strategy');
  if (strategies !== undefined) {
    options.partitionAssignors = strategies
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '')
      .map((s) => {
        const simple = s.slice(s.lastIndexOf('.') + 1);
        const name = ASSIGNOR_CLASSES[simple] ?? (s as AssignorName);
        if (!['range', 'roundrobin', 'sticky', 'cooperative-sticky'].includes(name)) {
          throw new UsageError(`Invalid value ${s} for configuration partition.assignment.strategy: Class ${s} cannot be found`);
        }
        return name;
      });
  }
  return options;
}

/** Waits for topics to appear (and have leaders). Returns [] when cancelled or past the deadline. */
export async function waitForTopics(cluster: Cluster, spec: Pick<SubscriptionSpec, 'topic' | 'include' | 'deadlineMs' | 'isCancelled'>): Promise<string[]> {
  for (let attempt = 0; ; attempt++) {
    if (spec.include !== undefined) {
      await cluster.refreshMetadata([], true);
      const names = cluster
        .cachedTopics()
        .filter((t) => !t.isInternal && !INTERNAL_TOPICS.has(t.name) && spec.include!.test(t.name))
        .map((t) => t.name)
        .sort();
      if (names.length > 0) {
        await cluster.topicsMetadata(names);
        return names;
      }
    } else {
      try {
        await cluster.topicsMetadata([spec.topic!]);
        return [spec.topic!];
      } catch (error) {
        if (!(error instanceof KafkaProtocolError) || !error.retriable) throw error;
      }
    }
    if (spec.isCancelled() || Date.now() >= spec.deadlineMs) return [];
    await sleep(Math.min(500, 100 * 2 ** Math.min(attempt, 3), Math.max(0, spec.deadlineMs - Date.now())));
  }
}

/**
 * Creates the consumer and starts it on the spec's partitions. Returns null
 * when the topics never appeared before the deadline or the tool was told to
 * stop; the consumer is closed then.
 */
export async function openConsumer(options: ConsumerOptions, spec: SubscriptionSpec): Promise<Consumer | null> {
  const consumer = new Consumer(spec.group === undefined ? { ...options, enableAutoCommit: false } : { ...options, groupId: spec.group });
  consumer.cluster.allowAutoTopicCreation = spec.allowAutoCreate;
  try {
    await consumer.connect();
    const topics = await waitForTopics(consumer.cluster, spec);
    if (topics.length === 0) {
      await consumer.close();
      return null;
    }
    if (spec.partition !== undefined) {
      const info = consumer.cluster.topic(spec.topic!)!;
      if (info.partitions[spec.partition] === undefined) {
        throw new KafkaProtocolError('UNKNOWN_TOPIC_OR_PARTITION', `Partition ${spec.partition} of topic ${spec.topic!} does not exist`);
      }
      const tp = { topic: spec.topic!, partition: spec.partition };
      await consumer.assign([tp]);
      consumer.seek(tp, spec.start);
    } else if (spec.group !== undefined) {
      // Resolves once the group handed out the first assignment.
      const cancelled = new Promise<'cancelled'>((resolve) => {
        const check = (): void => {
          if (spec.isCancelled()) resolve('cancelled');
          else setTimeout(check, 100).unref();
        };
        check();
      });
      if ((await Promise.race([consumer.subscribe(topics), cancelled])) === 'cancelled') {
        await consumer.close();
        return null;
      }
    } else {
      const tps = topics.flatMap((t) =>
        consumer.cluster
          .topic(t)!
          .partitions.filter((p) => p !== undefined)
          .map((p) => ({ topic: t, partition: p.partition })),
      );
      await consumer.assign(tps);
      for (const tp of tps) consumer.seek(tp, spec.start);
    }
    return consumer;
  } catch (error) {
    await consumer.close().catch(() => {});
    throw error;
  }
}

/**
 * Turns a consumer tool's "what to read" (a topic, a regex, one partition at
 * an offset, a group) into a started PartitionFetcher.
 *
 * A missing topic is waited for, as Kafka's consumer does, asking the broker
 * to auto-create it (`allow.auto.create.topics`, on by default).
 */
import { Cluster, type ClientOptions } from '../../../client/cluster.js';
import { KafkaProtocolError } from '../../../client/errors.js';
import { commitOffsets, fetchCommittedOffsets } from '../../../client/offsets.js';
import { sleep } from '../../../client/backoff.js';
import { INTERNAL_TOPICS } from './admin-helpers.js';
import { PartitionFetcher, type FetcherOptions } from './fetcher.js';

export type StartAt = 'earliest' | 'latest' | bigint;

export interface SubscriptionSpec {
  topic?: string;
  include?: RegExp;
  /** Read only this partition of `topic`. */
  partition?: number;
  /** Where to start when there is no committed offset (or no group). */
  start: StartAt;
  group?: string;
  allowAutoCreate: boolean;
  /** Gives up waiting for a missing topic at this time (ms since epoch). */
  deadlineMs: number;
  isCancelled: () => boolean;
}

export interface OpenedSource {
  cluster: Cluster;
  fetcher: PartitionFetcher;
  partitions: Array<{ topic: string; partition: number; offset: bigint }>;
}

/** Waits for topics to appear (and have leaders). Returns [] when cancelled or past the deadline. */
async function waitForTopics(cluster: Cluster, spec: SubscriptionSpec): Promise<string[]> {
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

export async function openSource(clientOptions: ClientOptions, fetcherOptions: Partial<FetcherOptions>, spec: SubscriptionSpec): Promise<OpenedSource | null> {
  const cluster = new Cluster(clientOptions);
  cluster.allowAutoTopicCreation = spec.allowAutoCreate;
  try {
    await cluster.connect();
    const topics = await waitForTopics(cluster, spec);
    if (topics.length === 0) {
      await cluster.close();
      return null;
    }
    let assigned: Array<{ topic: string; partition: number }>;
    if (spec.partition !== undefined) {
      const info = cluster.topic(spec.topic!)!;
      if (info.partitions[spec.partition] === undefined) {
        throw new KafkaProtocolError('UNKNOWN_TOPIC_OR_PARTITION', `Partition ${spec.partition} of topic ${spec.topic!} does not exist`);
      }
      assigned = [{ topic: spec.topic!, partition: spec.partition }];
    } else {
      assigned = topics.flatMap((t) =>
        cluster
          .topic(t)!
          .partitions.filter((p) => p !== undefined)
          .map((p) => ({ topic: t, partition: p.partition })),
      );
    }
    const committed = new Map<string, bigint>();
    if (spec.group !== undefined) {
      for (const c of await fetchCommittedOffsets(cluster, spec.group, assigned)) {
        if (c.offset >= 0n) committed.set(`${c.topic}\u0000${c.partition}`, c.offset);
      }
    }
    const fetcher = new PartitionFetcher(cluster, fetcherOptions);
    await fetcher.assign(
      assigned.map((p) => ({ ...p, start: committed.get(`${p.topic}\u0000${p.partition}`) ?? spec.start })),
    );
    return { cluster, fetcher, partitions: fetcher.assignment() };
  } catch (error) {
    await cluster.close();
    throw error;
  }
}

/** Commits positions for a group that has no live members (generation -1). */
export async function commitPositions(
  cluster: Cluster,
  group: string,
  positions: Array<{ topic: string; partition: number; offset: bigint }>,
): Promise<void> {
  await commitOffsets(cluster, group, positions.map((p) => ({ topic: p.topic, partition: p.partition, offset: p.offset })));
}

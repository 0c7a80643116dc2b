/**
 * Offset look-ups shared by Admin and Consumer: ListOffsets (sent to each
 * partition's leader) and the group's committed offsets (OffsetFetch and
 * OffsetCommit, sent to the group coordinator).
 */
import { ApiKey } from '../protocol/generated/api-registry.js';
import { ErrorCode } from '../protocol/errors/index.js';
import type { Cluster } from './cluster.js';
import { groupByTopic, type TopicPartition } from './consumer-protocol.js';
import { KafkaProtocolError, checkErrorCode } from './errors.js';

/** Where to look: the first offset, the next offset to be written, the record with the largest timestamp, or the first at/after a time. */
export type OffsetSpec = 'earliest' | 'latest' | 'maxTimestamp' | { timestamp: number };

export const IsolationLevel = { readUncommitted: 0, readCommitted: 1 } as const;
export type IsolationLevelName = 'read_uncommitted' | 'read_committed';

export interface ListOffsetsRequestItem extends TopicPartition {
  spec: OffsetSpec;
}

export interface ListedOffset extends TopicPartition {
  /** -1 when no record matches a timestamp spec. */
  offset: bigint;
  timestamp: number;
  leaderEpoch: number;
}

export interface CommittedOffset extends TopicPartition {
  /** -1 when the group has no committed offset for the partition. */
  offset: bigint;
  leaderEpoch: number;
  metadata: string | null;
}

export interface OffsetToCommit extends TopicPartition {
  offset: bigint;
  leaderEpoch?: number;
  metadata?: string | null;
}

export function specTimestamp(spec: OffsetSpec): bigint {
  if (spec === 'earliest') return -2n;
  if (spec === 'latest') return -1n;
  if (spec === 'maxTimestamp') return -3n;
  return BigInt(spec.timestamp);
}

function key(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

/**
 * ListOffsets for many partitions: one request per leader, retried (with a
 * metadata refresh) on stale leadership. A partition asked about more than
 * once (say earliest and latest) goes in separate rounds, since a request may
 * name each partition only once.
 */
export async function listOffsets(
  cluster: Cluster,
  items: ListOffsetsRequestItem[],
  isolationLevel: number = IsolationLevel.readUncommitted,
): Promise<ListedOffset[]> {
  const rounds: ListOffsetsRequestItem[][] = [];
  const roundOf = new Map<string, number>();
  const placed: Array<{ round: number; index: number }> = [];
  for (const item of items) {
    const k = key(item.topic, item.partition);
    const round = (roundOf.get(k) ?? -1) + 1;
    roundOf.set(k, round);
    (rounds[round] ??= []).push(item);
    placed.push({ round, index: rounds[round]!.length - 1 });
  }
  const answers: ListedOffset[][] = [];
  for (const round of rounds) answers.push(await listOffsetsOnce(cluster, round, isolationLevel));
  return placed.map(({ round, index }) => answers[round]![index]!);
}

async function listOffsetsOnce(cluster: Cluster, items: ListOffsetsRequestItem[], isolationLevel: number): Promise<ListedOffset[]> {
  const results = new Map<string, ListedOffset>();
  let remaining = items;
  await cluster.topicsMetadata([...new Set(items.map((i) => i.topic))]);
  await cluster.retry(async () => {
    const byLeader = new Map<number, ListOffsetsRequestItem[]>();
    for (const item of remaining) {
      const leader = cluster.leaderFor(item.topic, item.partition);
      if (leader < 0) throw new KafkaProtocolError(ErrorCode.LEADER_NOT_AVAILABLE, `no leader for ${item.topic}-${item.partition}`);
      let list = byLeader.get(leader);
      if (list === undefined) byLeader.set(leader, (list = []));
      list.push(item);
    }
    const failed: ListOffsetsRequestItem[] = [];
    let firstError: unknown = null;
    await Promise.all(
      [...byLeader].map(async ([leader, list]) => {
        const byTopic = new Map<string, ListOffsetsRequestItem[]>();
        for (const item of list) {
          let l = byTopic.get(item.topic);
          if (l === undefined) byTopic.set(item.topic, (l = []));
          l.push(item);
        }
        try {
          const response = await cluster.send(leader, ApiKey.ListOffsets, {
            replicaId: -1,
            isolationLevel,
            topics: [...byTopic].map(([name, ps]) => ({
              name,
              partitions: ps.map((p) => ({ partitionIndex: p.partition, timestamp: specTimestamp(p.spec), currentLeaderEpoch: -1, maxNumOffsets: 1 })),
            })),
          });
          for (const t of response.topics) {
            for (const p of t.partitions) {
              const item = byTopic.get(t.name)?.find((i) => i.partition === p.partitionIndex);
              if (item === undefined) continue;
              if (p.errorCode !== 0) {
                const error = new KafkaProtocolError(p.errorCode, `ListOffsets ${t.name}-${p.partitionIndex}: ${new KafkaProtocolError(p.errorCode).message}`);
                if (!error.retriable) throw error;
                failed.push(item);
                firstError ??= error;
                continue;
              }
              const offset = p.oldStyleOffsets.length > 0 && p.offset === -1n ? p.oldStyleOffsets[0]! : p.offset;
              results.set(key(t.name, p.partitionIndex), {
                topic: t.name,
                partition: p.partitionIndex,
                offset,
                timestamp: Number(p.timestamp),
                leaderEpoch: p.leaderEpoch,
              });
            }
          }
        } catch (error) {
          if (error instanceof KafkaProtocolError && !error.retriable) throw error;
          failed.push(...list);
          firstError ??= error;
        }
      }),
    );
    remaining = failed;
    if (failed.length > 0) throw firstError;
  });
  return items.map((i) => results.get(key(i.topic, i.partition))!);
}

/** The group's committed offsets, for the given partitions or (when omitted) all it has. */
export async function fetchCommittedOffsets(
  cluster: Cluster,
  groupId: string,
  partitions?: TopicPartition[],
  options: { requireStable?: boolean } = {},
): Promise<CommittedOffset[]> {
  const topics =
    partitions === undefined ? null : [...groupByTopic(partitions)].map(([name, partitionIndexes]) => ({ name, partitionIndexes }));
  return cluster.sendToCoordinator(
    'group',
    groupId,
    ApiKey.OffsetFetch,
    (version) =>
      version >= 8
        ? { groups: [{ groupId, topics }], requireStable: options.requireStable ?? false }
        : { groupId, topics, requireStable: options.requireStable ?? false },
    (response) => {
      const out: CommittedOffset[] = [];
      const group = response.groups.length > 0 ? response.groups[0]! : null;
      checkErrorCode(group !== null ? group.errorCode : response.errorCode, null, `OffsetFetch group "${groupId}"`);
      const list = group !== null ? group.topics : response.topics;
      for (const t of list) {
        for (const p of t.partitions) {
          checkErrorCode(p.errorCode, null, `OffsetFetch ${t.name}-${p.partitionIndex}`);
          out.push({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch, metadata: p.metadata });
        }
      }
      return out;
    },
  );
}

export interface CommitContext {
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

/** OffsetCommit; with generation -1 and no member id it is an admin commit for an empty group. */
export async function commitOffsets(
  cluster: Cluster,
  groupId: string,
  offsets: OffsetToCommit[],
  context: CommitContext = { generationId: -1, memberId: '', groupInstanceId: null },
  options: { retries?: number } = {},
): Promise<void> {
  if (offsets.length === 0) return;
  const byTopic = new Map<string, OffsetToCommit[]>();
  for (const o of offsets) {
    let l = byTopic.get(o.topic);
    if (l === undefined) byTopic.set(o.topic, (l = []));
    l.push(o);
  }
  await cluster.sendToCoordinator(
    'group',
    groupId,
    ApiKey.OffsetCommit,
    {
      groupId,
      generationIdOrMemberEpoch: context.generationId,
      memberId: context.memberId,
      groupInstanceId: context.groupInstanceId,
      topics: [...byTopic].map(([name, ps]) => ({
        name,
        partitions: ps.map((p) => ({
          partitionIndex: p.partition,
          committedOffset: p.offset,
          committedLeaderEpoch: p.leaderEpoch ?? -1,
          committedMetadata: p.metadata ?? null,
        })),
      })),
    },
    (response) => {
      for (const t of response.topics) {
        for (const p of t.partitions) checkErrorCode(p.errorCode, null, `OffsetCommit ${t.name}-${p.partitionIndex}`);
      }
    },
    options.retries === undefined ? undefined : { retries: options.retries },
  );
}

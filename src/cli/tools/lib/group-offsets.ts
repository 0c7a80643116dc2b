/**
 * A consumer group's position per partition: committed offset, log end
 * offset and lag, with the member that owns the partition. Shared by
 * kafka-consumer-groups.sh --describe and `samsa groups`.
 *
 * Rows come in Kafka's order: assigned partitions first (members with the
 * most partitions first), then partitions with a committed offset that no
 * member owns, sorted by topic and partition.
 */
import type { Admin, GroupDescription, GroupMemberDescription } from '../../../client/admin.js';
import type { CommittedOffset, OffsetSpec } from '../../../client/offsets.js';
import type { TopicPartition } from '../../../client/consumer-protocol.js';

export interface GroupOffsetRow {
  topic: string;
  partition: number;
  /** null when the group has no committed offset here. */
  current: bigint | null;
  /** null when the log end offset could not be read. */
  end: bigint | null;
  /** end - current, or null when either is missing. */
  lag: bigint | null;
  /** The member that owns the partition, or null. */
  member: GroupMemberDescription | null;
}

export async function groupOffsetRows(admin: Admin, g: GroupDescription): Promise<GroupOffsetRow[]> {
  const committed = g.state === 'Dead' ? [] : await admin.listConsumerGroupOffsets(g.groupId);
  const key = (tp: TopicPartition): string => `${tp.topic}\u0000${tp.partition}`;
  const byTp = new Map<string, CommittedOffset>(committed.map((c) => [key(c), c]));
  const assigned: Array<{ tp: TopicPartition; member: GroupMemberDescription }> = [];
  const sortedMembers = [...g.members].sort((a, b) => (b.assignment?.length ?? 0) - (a.assignment?.length ?? 0));
  for (const m of sortedMembers) for (const tp of m.assignment ?? []) assigned.push({ tp, member: m });
  const assignedKeys = new Set(assigned.map((a) => key(a.tp)));
  const unassigned = committed
    .filter((c) => !assignedKeys.has(key(c)))
    .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
  const all = [...assigned.map((a) => a.tp), ...unassigned];
  const ends = new Map<string, bigint>();
  if (all.length > 0) {
    const listed = await admin.listOffsets(all.map((tp) => ({ topic: tp.topic, partition: tp.partition, spec: 'latest' as OffsetSpec })));
    for (const l of listed) ends.set(key(l), l.offset);
  }
  const row = (tp: TopicPartition, member: GroupMemberDescription | null): GroupOffsetRow => {
    const c = byTp.get(key(tp));
    const current = c !== undefined && c.offset >= 0n ? c.offset : null;
    const end = ends.get(key(tp)) ?? null;
    return { topic: tp.topic, partition: tp.partition, current, end, lag: current !== null && end !== null ? end - current : null, member };
  };
  return [...assigned.map((a) => row(a.tp, a.member)), ...unassigned.map((c) => row(c, null))];
}

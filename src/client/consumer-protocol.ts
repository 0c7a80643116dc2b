/**
 * The "consumer" embedded protocol: what members put in JoinGroup metadata
 * (their subscription) and what the leader hands out in SyncGroup (each
 * member's assignment). Both are a version int16 followed by the body, with
 * the generated codecs for the body. A newer version than we know is read as
 * our newest: later versions only append fields.
 */
import {
  decodeConsumerProtocolAssignment,
  encodeConsumerProtocolAssignment,
  consumerProtocolAssignmentVersions,
} from '../protocol/generated/messages/consumer-protocol-assignment.js';
import {
  decodeConsumerProtocolSubscription,
  encodeConsumerProtocolSubscription,
  consumerProtocolSubscriptionVersions,
} from '../protocol/generated/messages/consumer-protocol-subscription.js';
import { Reader } from '../protocol/primitives/reader.js';
import { Writer } from '../protocol/primitives/writer.js';

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface Subscription {
  topics: string[];
  userData: Buffer | null;
  ownedPartitions: TopicPartition[];
  generationId: number;
  rackId: string | null;
}

export interface Assignment {
  partitions: TopicPartition[];
  userData: Buffer | null;
}

export function groupByTopic(partitions: Iterable<TopicPartition>): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const { topic, partition } of partitions) {
    let list = out.get(topic);
    if (list === undefined) out.set(topic, (list = []));
    list.push(partition);
  }
  for (const list of out.values()) list.sort((a, b) => a - b);
  return out;
}

function flatten(list: Array<{ topic: string; partitions: number[] }>): TopicPartition[] {
  return list.flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition })));
}

export function encodeSubscription(s: Partial<Subscription> & { topics: string[] }, version: number = consumerProtocolSubscriptionVersions.max): Buffer {
  const w = new Writer();
  w.writeInt16(version);
  encodeConsumerProtocolSubscription(w, version, {
    topics: s.topics,
    userData: s.userData ?? null,
    ownedPartitions: [...groupByTopic(s.ownedPartitions ?? [])].map(([topic, partitions]) => ({ topic, partitions })),
    generationId: s.generationId ?? -1,
    rackId: s.rackId ?? null,
  });
  return w.toBuffer();
}

export function decodeSubscription(buf: Buffer): Subscription {
  const r = new Reader(buf);
  const version = Math.min(r.readInt16(), consumerProtocolSubscriptionVersions.max);
  const s = decodeConsumerProtocolSubscription(r, version);
  return {
    topics: s.topics,
    userData: s.userData,
    ownedPartitions: flatten(s.ownedPartitions),
    generationId: s.generationId,
    rackId: s.rackId,
  };
}

export function encodeAssignment(a: Assignment, version: number = consumerProtocolAssignmentVersions.max): Buffer {
  const w = new Writer();
  w.writeInt16(version);
  encodeConsumerProtocolAssignment(w, version, {
    assignedPartitions: [...groupByTopic(a.partitions)].map(([topic, partitions]) => ({ topic, partitions })),
    userData: a.userData,
  });
  return w.toBuffer();
}

/** An empty buffer is a valid "nothing assigned" (a member that joined after the leader computed). */
export function decodeAssignment(buf: Buffer): Assignment {
  if (buf.length === 0) return { partitions: [], userData: null };
  const r = new Reader(buf);
  const version = Math.min(r.readInt16(), consumerProtocolAssignmentVersions.max);
  const a = decodeConsumerProtocolAssignment(r, version);
  return { partitions: flatten(a.assignedPartitions), userData: a.userData };
}

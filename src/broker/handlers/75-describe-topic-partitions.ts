/**
 * DescribeTopicPartitions (key 75), version 0.
 *
 * Topics and their partitions (leader, epoch, replicas, ISR, ELR, offline
 * replicas) in name order, paged: at most min(ResponsePartitionLimit,
 * max.request.partition.size.limit = 2000) partitions per answer, and a
 * NextCursor naming the first partition left out. An empty topic list means
 * every topic (from the cursor's topic on); otherwise the named topics, where
 * an unknown one is UNKNOWN_TOPIC_OR_PARTITION (INVALID_TOPIC_EXCEPTION for a
 * bad name) and a cursor topic missing from the list fails every topic with
 * INVALID_REQUEST. A topic cut by the limit is answered with the partitions
 * that fit; when the limit falls exactly at a topic's end, the cursor points
 * at partition 0 of the next topic. These are Kafka's paging rules.
 *
 * There is no eligible-leader-replica machinery with one replica, so ELR
 * and last-known ELR are empty.
 */
import { ApiKey } from '../../protocol/generated/api-registry.js';
import { ErrorCode } from '../../protocol/errors/index.js';
import type {
  DescribeTopicPartitionsResponseCursorInput,
  DescribeTopicPartitionsResponsePartitionInput,
  DescribeTopicPartitionsResponseTopicInput,
} from '../../protocol/generated/messages/describe-topic-partitions-response.js';
import { topicNameProblem } from '../../metadata/controller.js';
import { ZERO_UUID } from '../../metadata/uuid.js';
import { defineHandler } from './handler.js';
import { TOPIC_OPERATIONS_ALL } from './common.js';

/** Kafka's max.request.partition.size.limit default. */
const RESPONSE_PARTITIONS_MAX = 2000;
const NO_LEADER = -1;

function isInternal(name: string): boolean {
  return name === '__consumer_offsets' || name === '__transaction_state';
}

export const describeTopicPartitionsHandler = defineHandler({
  apiKey: ApiKey.DescribeTopicPartitions,
  minVersion: 0,
  maxVersion: 0,
  handle(request, ctx) {
    const image = ctx.broker.image();
    const cursor = request.cursor;
    const cursorTopic = cursor?.topicName ?? '';
    const fetchAll = request.topics.length === 0;
    const names = new Set<string>();
    for (const name of fetchAll ? image.topicsByName.keys() : request.topics.map((t) => t.name)) {
      if (name >= cursorTopic) names.add(name);
    }
    if (cursor !== null && !fetchAll && !names.has(cursor.topicName)) {
      return {
        throttleTimeMs: 0,
        topics: request.topics.map((t) => ({ errorCode: ErrorCode.INVALID_REQUEST, name: t.name, topicId: ZERO_UUID, partitions: [] })),
        nextCursor: null,
      };
    }
    const sorted = [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const live = new Set([...image.brokers.values()].filter((b) => !b.fenced).map((b) => b.nodeId));
    let remaining = Math.min(RESPONSE_PARTITIONS_MAX, request.responsePartitionLimit);
    const topics: DescribeTopicPartitionsResponseTopicInput[] = [];
    let nextCursor: DescribeTopicPartitionsResponseCursorInput | null = null;
    for (const name of sorted) {
      if (remaining <= 0) {
        nextCursor = { topicName: name, partitionIndex: 0 };
        break;
      }
      const topic = image.topic(name);
      if (topic === undefined) {
        if (!fetchAll) {
          const errorCode = topicNameProblem(name) === null ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.INVALID_TOPIC_EXCEPTION;
          topics.push({ errorCode, name, topicId: ZERO_UUID, isInternal: isInternal(name), partitions: [] });
        }
        continue;
      }
      const start = cursor !== null && name === cursor.topicName ? Math.max(cursor.partitionIndex, 0) : 0;
      const upper = Math.min(topic.partitions.length, start + remaining);
      const partitions: DescribeTopicPartitionsResponsePartitionInput[] = [];
      for (let i = start; i < upper; i++) {
        const p = topic.partitions[i]!;
        partitions.push({
          errorCode: ErrorCode.NONE,
          partitionIndex: p.partitionId,
          leaderId: live.has(p.leader) ? p.leader : NO_LEADER,
          leaderEpoch: p.leaderEpoch,
          replicaNodes: p.replicas.slice(),
          isrNodes: p.isr.slice(),
          eligibleLeaderReplicas: [],
          lastKnownElr: [],
          offlineReplicas: p.replicas.filter((r) => !live.has(r)),
        });
      }
      topics.push({
        errorCode: ErrorCode.NONE,
        name,
        topicId: topic.topicId,
        isInternal: isInternal(name),
        partitions,
        topicAuthorizedOperations: TOPIC_OPERATIONS_ALL,
      });
      if (upper < topic.partitions.length) {
        nextCursor = { topicName: name, partitionIndex: upper };
        break;
      }
      remaining -= partitions.length;
    }
    return { throttleTimeMs: 0, topics, nextCursor };
  },
  errorResponse(request, errorCode) {
    return { throttleTimeMs: 0, topics: request.topics.map((t) => ({ errorCode, name: t.name, topicId: ZERO_UUID, partitions: [] })), nextCursor: null };
  },
});

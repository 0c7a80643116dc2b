/**
 * ListOffsets (key 2), versions 0-10.
 *
 * Per partition, by the request's timestamp:
 *   -1 latest: the high watermark (also the last stable offset: no
 *      transactions are open on this broker yet)
 *   -2 earliest, -4 earliest local (v8): the log start offset
 *   -3 max timestamp (v7): the record with the largest timestamp
 *   -5 earliest pending upload (v9): no tiered storage, so offset -1
 *   t >= 0: the first record whose timestamp is at or after t, or offset -1
 *      when there is none
 * Timestamp lookups are storage's: the time index finds the batch, then
 * its records are walked (decompressing it if needed).
 *
 * v0 answers with a list of offsets (old_style_offsets) of at most
 * max_num_offsets entries: [high watermark] for latest, [log start] for
 * earliest, [the offset found] for a timestamp (empty when none); Kafka's
 * extra segment base offsets are not listed (old consumers ask for one).
 * v1 one offset and its timestamp; v2 isolation level; v4 adds the leader
 * epoch check and the leader epoch in the answer; v6 flexible.
 */
import { ApiKey } from '../../protocol/generated/api-registry.js';
import { ErrorCode } from '../../protocol/errors/index.js';
import type { ListOffsetsResponseListOffsetsPartitionResponseInput } from '../../protocol/generated/messages/list-offsets-response.js';
import type { PartitionLog } from '../replica/partition-log.js';
import { defineHandler } from './handler.js';
import { leaderEpochError } from './common.js';

const LATEST = -1;
const EARLIEST = -2;
const MAX_TIMESTAMP = -3;
const EARLIEST_LOCAL = -4;
const EARLIEST_PENDING_UPLOAD = -5;

function lookup(log: PartitionLog, target: number, readCommitted: boolean): { offset: number; timestamp: number } {
  const none = { offset: -1, timestamp: -1 };
  switch (target) {
    case LATEST:
      return { offset: readCommitted ? log.lastStableOffset : log.highWatermark, timestamp: -1 };
    case EARLIEST:
    case EARLIEST_LOCAL:
      return { offset: log.logStartOffset, timestamp: -1 };
    case EARLIEST_PENDING_UPLOAD:
      return none;
    case MAX_TIMESTAMP:
      return log.maxTimestamp() ?? none;
    default:
      if (target < 0) return none;
      return log.offsetForTimestamp(target) ?? none;
  }
}

export const listOffsetsHandler = defineHandler({
  apiKey: ApiKey.ListOffsets,
  minVersion: 0,
  maxVersion: 10,
  handle(request, ctx) {
    const image = ctx.broker.image();
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((t) => {
        const topic = image.topic(t.name);
        return {
          name: t.name,
          partitions: t.partitions.map((p): ListOffsetsResponseListOffsetsPartitionResponseInput => {
            const fail = (errorCode: number) => ({ partitionIndex: p.partitionIndex, errorCode, timestamp: -1n, offset: -1n, leaderEpoch: -1 });
            const partition = topic === undefined ? undefined : ctx.broker.replicas.partition(topic.topicId, p.partitionIndex);
            if (partition === undefined) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
            const epochError = leaderEpochError(p.currentLeaderEpoch, partition.leaderEpoch);
            if (epochError !== ErrorCode.NONE) return fail(epochError);
            const found = lookup(partition.log, Number(p.timestamp), request.isolationLevel === 1);
            if (ctx.apiVersion === 0) {
              const offsets = found.offset >= 0 && p.maxNumOffsets > 0 ? [BigInt(found.offset)] : [];
              return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE, oldStyleOffsets: offsets };
            }
            return {
              partitionIndex: p.partitionIndex,
              errorCode: ErrorCode.NONE,
              timestamp: BigInt(found.timestamp),
              offset: BigInt(found.offset),
              leaderEpoch: partition.leaderEpoch,
            };
          }),
        };
      }),
    };
  },
  errorResponse(request, errorCode) {
    return {
      topics: request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode, timestamp: -1n, offset: -1n })),
      })),
    };
  },
});

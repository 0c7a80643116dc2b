/**
 * OffsetForLeaderEpoch (key 23), versions 0-4.
 *
 * For each partition, the end offset of the requested leader epoch from the
 * log's leader-epoch cache: the start offset of the next higher epoch, or
 * the log end offset for the latest epoch, with the largest epoch at or
 * below the requested one. An epoch the cache cannot place (older than
 * anything kept, or no entries yet) answers epoch -1 and offset -1 with no
 * error, as Kafka does. Consumers use this to detect log truncation
 * (KIP-320); followers will use it to find where their logs diverge.
 *
 * The caller's currentLeaderEpoch is checked first: older is
 * FENCED_LEADER_EPOCH, newer UNKNOWN_LEADER_EPOCH. Unknown partitions are
 * UNKNOWN_TOPIC_OR_PARTITION; an offline log KAFKA_STORAGE_ERROR.
 *
 * v1 adds the leader epoch to the answer; v2 the current leader epoch and
 * throttle time; v3 the replica id; v4 is flexible.
 */
import { ApiKey } from '../../protocol/generated/api-registry.js';
import { ErrorCode } from '../../protocol/errors/index.js';
import type { OffsetForLeaderEpochResponseEpochEndOffsetInput } from '../../protocol/generated/messages/offset-for-leader-epoch-response.js';
import { defineHandler } from './handler.js';
import { leaderEpochError } from './common.js';

export const offsetForLeaderEpochHandler = defineHandler({
  apiKey: ApiKey.OffsetForLeaderEpoch,
  minVersion: 0,
  maxVersion: 4,
  handle(request, ctx) {
    const image = ctx.broker.image();
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((t) => ({
        topic: t.topic,
        partitions: t.partitions.map((p): OffsetForLeaderEpochResponseEpochEndOffsetInput => {
          const fail = (errorCode: number): OffsetForLeaderEpochResponseEpochEndOffsetInput => ({ errorCode, partition: p.partition, leaderEpoch: -1, endOffset: -1n });
          const partition = image.topic(t.topic)?.partitions[p.partition];
          const log = partition === undefined ? undefined : ctx.broker.replicas.storageLog(t.topic, p.partition);
          if (partition === undefined || log === undefined) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
          if (partition.leader !== ctx.broker.nodeId) return fail(ErrorCode.NOT_LEADER_OR_FOLLOWER);
          const epochProblem = leaderEpochError(ctx.apiVersion >= 2 ? p.currentLeaderEpoch : -1, partition.leaderEpoch);
          if (epochProblem !== ErrorCode.NONE) return fail(epochProblem);
          if (log.isOffline) return fail(ErrorCode.KAFKA_STORAGE_ERROR);
          const found = log.leaderEpochCache.endOffsetFor(p.leaderEpoch, log.logEndOffset);
          return { errorCode: ErrorCode.NONE, partition: p.partition, leaderEpoch: found.epoch, endOffset: BigInt(found.endOffset) };
        }),
      })),
    };
  },
  errorResponse(request, errorCode) {
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((t) => ({ topic: t.topic, partitions: t.partitions.map((p) => ({ errorCode, partition: p.partition, leaderEpoch: -1, endOffset: -1n })) })),
    };
  },
});

/**
 * DeleteRecords (key 21), versions 0-2.
 *
 * Moves each partition's log start offset up to the given offset (-1: the
 * high watermark); records below it are no longer readable and whole
 * segments below it go at the next retention pass. Answers the new low
 * watermark, the log start offset. With one replica nothing needs to catch
 * up, so the answer comes at once and `timeoutMs` never expires.
 *
 * Errors per partition, as Kafka: unknown topic or partition
 * UNKNOWN_TOPIC_OR_PARTITION; an offset below 0 (other than -1) or above the
 * high watermark OFFSET_OUT_OF_RANGE; a topic without `delete` in its
 * cleanup.policy POLICY_VIOLATION; an offline log KAFKA_STORAGE_ERROR. An
 * offset at or below the current start changes nothing and still succeeds.
 *
 * v1 is the same as v0; v2 is flexible.
 */
import { ApiKey } from '../../protocol/generated/api-registry.js';
import { ErrorCode, errorByName } from '../../protocol/errors/index.js';
import { StorageError } from '../../storage/errors.js';
import { defineHandler } from './handler.js';

const HIGH_WATERMARK = -1n;

export const deleteRecordsHandler = defineHandler({
  apiKey: ApiKey.DeleteRecords,
  minVersion: 0,
  maxVersion: 2,
  handle(request, ctx) {
    const image = ctx.broker.image();
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => {
          const answer = (errorCode: number, lowWatermark = -1n): { partitionIndex: number; lowWatermark: bigint; errorCode: number } => ({
            partitionIndex: p.partitionIndex,
            lowWatermark,
            errorCode,
          });
          const topic = image.topic(t.name);
          const log = topic?.partitions[p.partitionIndex] === undefined ? undefined : ctx.broker.replicas.storageLog(t.name, p.partitionIndex);
          if (topic === undefined || log === undefined) return answer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
          if (!log.logConfig['cleanup.policy'].delete) return answer(ErrorCode.POLICY_VIOLATION);
          const highWatermark = BigInt(ctx.broker.replicas.partition(topic.topicId, p.partitionIndex)?.log.highWatermark ?? log.logEndOffset);
          const target = p.offset === HIGH_WATERMARK ? highWatermark : p.offset;
          if (target < 0n || target > highWatermark) return answer(ErrorCode.OFFSET_OUT_OF_RANGE);
          try {
            log.maybeIncrementLogStartOffset(Number(target));
          } catch (err) {
            if (err instanceof StorageError) return answer(errorByName(err.kafkaError).code);
            throw err;
          }
          return answer(ErrorCode.NONE, BigInt(log.logStartOffset));
        }),
      })),
    };
  },
  errorResponse(request, errorCode) {
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode })) })),
    };
  },
});

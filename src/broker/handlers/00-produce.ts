/**
 * Produce (key 0), versions 3-11.
 *
 * Each partition's data must be exactly one RecordBatch v2 (what v3+
 * requires). The batch stays opaque: its header and CRC32C are checked, its
 * size against the topic's max.message.bytes, its timestamps against
 * message.timestamp.before/after.max.ms (on the header's base and max
 * timestamps, not per record), then the log assigns offsets by rewriting the
 * base offset in place. LogAppendTime topics get the broker's clock stamped
 * into the header. Batches are stored with the producer's compression
 * (compression.type=producer); other topic compression types are not
 * applied yet.
 *
 * Appends happen synchronously, in request order, before anything awaits.
 * acks=1 answers after the append; acks=-1 after the group-committed
 * fdatasync of every partition written; acks=0 gets no response, and when a
 * partition failed the connection is closed instead, as Kafka does, so the
 * client notices and refreshes its metadata.
 *
 * Versions 0-2 (message format v0/v1) are not served. v5 adds the log start
 * offset; v8 per-record errors (KIP-467; we report the batch as a whole);
 * v9 flexible; v10 the current leader on NOT_LEADER errors.
 */
import { ApiKey } from '../../protocol/generated/api-registry.js';
import { ErrorCode, errorByName } from '../../protocol/errors/index.js';
import type {
  ProduceResponsePartitionProduceResponseInput,
  ProduceResponseTopicProduceResponseInput,
} from '../../protocol/generated/messages/produce-response.js';
import { iterateBatches, validateBatch } from '../../protocol/records/index.js';
import { CloseConnection } from '../network/connection.js';
import { StorageError } from '../../storage/errors.js';
import { topicConfigValue } from '../config/topic-config.js';
import type { Partition } from '../replica/replica-manager.js';
import { defineHandler } from './handler.js';

const LONG_MAX = '9223372036854775807';

function limitMs(text: string | undefined): number {
  return text === undefined || text === LONG_MAX ? Number.POSITIVE_INFINITY : Number(text);
}

export const produceHandler = defineHandler({
  apiKey: ApiKey.Produce,
  minVersion: 3,
  maxVersion: 11,
  handle(request, ctx) {
    const { acks } = request;
    const image = ctx.broker.image();
    const now = ctx.broker.clock.nowMs();
    const written: Array<{ partition: Partition; response: ProduceResponsePartitionProduceResponseInput }> = [];
    let failed = false;

    const responses: ProduceResponseTopicProduceResponseInput[] = request.topicData.map((topicData) => {
      const topic = image.topic(topicData.name);
      return {
        name: topicData.name,
        partitionResponses: topicData.partitionData.map((data): ProduceResponsePartitionProduceResponseInput => {
          const answer = (errorCode: number, errorMessage: string | null = null): ProduceResponsePartitionProduceResponseInput => {
            if (errorCode !== ErrorCode.NONE) failed = true;
            return { index: data.index, errorCode, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, errorMessage };
          };
          if (acks !== -1 && acks !== 0 && acks !== 1) return answer(ErrorCode.INVALID_REQUIRED_ACKS);
          const partitionImage = topic?.partitions[data.index];
          const partition = partitionImage === undefined ? undefined : ctx.broker.replicas.partition(topic!.topicId, data.index);
          if (topic === undefined || partition === undefined) return answer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
          if (partitionImage!.leader !== ctx.broker.nodeId) return answer(ErrorCode.NOT_LEADER_OR_FOLLOWER);

          const records = data.records;
          if (records === null || records.length === 0) {
            return answer(ErrorCode.INVALID_RECORD, 'Produce requests from version 3 on must contain exactly one record batch');
          }
          const walk = iterateBatches(records);
          if (walk.badLength || walk.tailOffset !== records.length) return answer(ErrorCode.CORRUPT_MESSAGE, 'The record set is cut short or has a bad length');
          if (walk.batches.length !== 1) {
            return answer(ErrorCode.INVALID_RECORD, 'Produce requests from version 3 on must contain exactly one record batch');
          }
          const maxMessageBytes = Number(topicConfigValue(ctx.broker.config, topic.configs, 'max.message.bytes'));
          if (records.length > maxMessageBytes) {
            return answer(ErrorCode.MESSAGE_TOO_LARGE, `The batch is ${records.length} bytes, more than max.message.bytes ${maxMessageBytes}`);
          }
          const check = validateBatch(records, 0, records.length, { origin: 'client' });
          if (!check.ok) return answer(errorByName(check.error).code, check.message);

          const timestampType = topicConfigValue(ctx.broker.config, topic.configs, 'message.timestamp.type');
          const logAppendTime = timestampType === 'LogAppendTime';
          if (!logAppendTime) {
            const beforeMs = limitMs(topicConfigValue(ctx.broker.config, topic.configs, 'message.timestamp.before.max.ms'));
            const afterMs = limitMs(topicConfigValue(ctx.broker.config, topic.configs, 'message.timestamp.after.max.ms'));
            const { baseTimestamp, maxTimestamp } = check.header;
            if ((baseTimestamp >= 0 && now - baseTimestamp > beforeMs) || maxTimestamp - now > afterMs) {
              return answer(ErrorCode.INVALID_TIMESTAMP, 'A record timestamp is outside the range message.timestamp.before.max.ms/after.max.ms allows');
            }
          }

          let appended;
          try {
            appended = partition.log.append(records, partition.leaderEpoch);
          } catch (err) {
            if (err instanceof StorageError) return answer(errorByName(err.kafkaError).code, err.message);
            ctx.broker.logger.error({ err, topic: topic.name, partition: data.index }, 'append failed');
            return answer(ErrorCode.KAFKA_STORAGE_ERROR);
          }
          partition.notifyAppend();
          const response: ProduceResponsePartitionProduceResponseInput = {
            index: data.index,
            errorCode: ErrorCode.NONE,
            baseOffset: BigInt(appended.firstOffset),
            logAppendTimeMs: BigInt(appended.logAppendTimeMs),
            logStartOffset: BigInt(appended.logStartOffset),
            errorMessage: null,
          };
          written.push({ partition, response });
          return response;
        }),
      };
    });

    if (acks === 0) {
      if (failed) throw new CloseConnection('an acks=0 produce failed');
      return null;
    }
    const result = { responses, throttleTimeMs: 0 };
    if (acks !== -1 || written.length === 0) return result;
    return Promise.all(
      written.map(({ partition, response }) =>
        partition.log.flush().catch((err: unknown) => {
          ctx.broker.logger.error({ err, topic: partition.topic, partition: partition.index }, 'flush failed');
          response.errorCode = ErrorCode.KAFKA_STORAGE_ERROR;
          response.baseOffset = -1n;
        }),
      ),
    ).then(() => result);
  },
  errorResponse(request, errorCode) {
    return {
      responses: request.topicData.map((t) => ({
        name: t.name,
        partitionResponses: t.partitionData.map((p) => ({ index: p.index, errorCode, baseOffset: -1n })),
      })),
    };
  },
});

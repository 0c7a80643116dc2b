/**
 * Produce (key 0), versions 0-11.
 *
 * Hot path (v3+, a v2 batch in the topic's codec, CreateTime within the
 * limits): the batch stays opaque. Its header and CRC32C are checked, its
 * size against the topic's max.message.bytes, its max timestamp against
 * message.timestamp.after.max.ms, then the log assigns offsets by rewriting
 * the base offset in place. No record is decoded.
 *
 * Slow paths, each decoding the batch's records:
 *  - v0-2 send message sets of magic 0/1: up-converted to one v2 batch
 *    before the append (the log stores v2 only);
 *  - message.timestamp.before.max.ms set (the batch header has no minimum
 *    timestamp), or a max timestamp past the after limit: every record is
 *    checked, and the ones out of range are reported one by one in
 *    record_errors (KIP-467, v8+) with INVALID_TIMESTAMP; records without a
 *    timestamp (-1) are not checked, as in Kafka;
 *  - the topic's compression.type is a codec (not `producer`) other than
 *    the batch's: the batch is rebuilt in that codec, keeping its producer
 *    id, epoch, sequence, timestamps and headers;
 *  - a CreateTime header whose max timestamp is below its base timestamp
 *    (sarama 1.22 sends -1): rebuilt in its own codec with the records' max,
 *    as Kafka's LogValidator sets it, so the time index finds the batch.
 * LogAppendTime topics skip the timestamp checks; the log stamps the time.
 *
 * Appends happen synchronously, in request order, before anything awaits;
 * storage writes their bytes to the file at once, or off the event loop
 * while an fdatasync of that file runs. acks=1 answers
 * once every partition's bytes are in the file; acks=-1 after the
 * group-committed fdatasync of every partition written; acks=0 gets no
 * response, and when a partition failed the connection is closed instead, as
 * Kafka does, so the client notices and refreshes its metadata.
 *
 * Versions: v2 adds the log append time; v3 transactional id and v2
 * batches only, exactly one per partition; v5 the log start offset; v8
 * per-record errors and the error message; v9 flexible; v10 the current
 * leader on NOT_LEADER errors.
 */
import { ApiKey } from '../../protocol/generated/api-registry.js';
import { ErrorCode, errorByName } from '../../protocol/errors/index.js';
import type {
  ProduceResponseBatchIndexAndErrorMessageInput,
  ProduceResponsePartitionProduceResponseInput,
  ProduceResponseTopicProduceResponseInput,
} from '../../protocol/generated/messages/produce-response.js';
import type { ProduceRequestPartitionProduceData } from '../../protocol/generated/messages/produce-request.js';
import {
  MAGIC_AT,
  NO_TIMESTAMP,
  TimestampType,
  buildRecordBatch,
  decodeRecordBatch,
  iterateBatches,
  legacyMessageSetToBatch,
  validateBatch,
  type BatchHeader,
  type DecodedBatch,
} from '../../protocol/records/index.js';
import { DecodeError } from '../../protocol/primitives/decode-error.js';
import { InvalidRecordsError } from '../../protocol/records/invalid-records-error.js';
import { compressionCodecFromName, type CompressionCodec } from '../../protocol/compression/codec.js';
import { CloseConnection } from '../network/connection.js';
import { StorageError } from '../../storage/errors.js';
import { topicConfigValue } from '../config/topic-config.js';
import type { Partition } from '../replica/replica-manager.js';
import type { AppendResult } from '../replica/partition-log.js';
import type { MetadataImage } from '../../metadata/image.js';
import { defineHandler, type RequestContext } from './handler.js';

const LONG_MAX = '9223372036854775807';
/** Where the magic byte sits in both a v2 batch and a legacy message (after offset, length, epoch or crc). */
const FORMAT_MAGIC_AT = MAGIC_AT;
/** A legacy message's attributes follow its magic byte. */
const LEGACY_ATTRIBUTES_AT = MAGIC_AT + 1;

type PartitionResponse = ProduceResponsePartitionProduceResponseInput;
type Topic = NonNullable<ReturnType<MetadataImage['topic']>>;

function limitMs(text: string | undefined): number {
  return text === undefined || text === LONG_MAX ? Number.POSITIVE_INFINITY : Number(text);
}

function failure(index: number, errorCode: number, errorMessage: string | null = null, recordErrors: ProduceResponseBatchIndexAndErrorMessageInput[] = []): PartitionResponse {
  return { index, errorCode, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, errorMessage, recordErrors };
}

function decodeFailure(index: number, err: unknown): PartitionResponse {
  if (err instanceof InvalidRecordsError) return failure(index, errorByName(err.errorName).code, err.message);
  if (err instanceof DecodeError) return failure(index, ErrorCode.CORRUPT_MESSAGE, err.message);
  throw err;
}

/** The topic's codec when compression.type names one other than the batch's; null to keep the batch as it is. */
function targetCodec(compressionType: string, batchCodec: number): CompressionCodec | null {
  if (compressionType === 'producer') return null;
  const codec = compressionCodecFromName(compressionType === 'uncompressed' ? 'none' : compressionType);
  return codec === null || codec === batchCodec ? null : codec;
}

/** Rebuilds a decoded batch with another codec, keeping everything else the producer set. */
function rebuild(decoded: DecodedBatch, compression: CompressionCodec): Buffer {
  const h = decoded.header;
  return buildRecordBatch({
    records: decoded.records.map((r) => ({ key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp, offsetDelta: r.offsetDelta, attributes: r.attributes })),
    compression,
    baseOffset: 0,
    producerId: h.producerId,
    producerEpoch: h.producerEpoch,
    baseSequence: h.baseSequence,
    transactional: h.isTransactional,
    timestampType: h.timestampType,
    baseTimestamp: h.baseTimestamp,
    // As Kafka's LogValidator: the max of the records, whatever the header claimed.
    maxTimestamp: h.timestampType === TimestampType.createTime ? decoded.records.reduce((max, r) => Math.max(max, r.timestamp), h.maxTimestamp) : h.maxTimestamp,
    lastOffsetDelta: h.lastOffsetDelta,
  });
}

interface TimestampLimits {
  nowMs: number;
  beforeMs: number;
  afterMs: number;
}

function outOfRange(timestamp: number, limits: TimestampLimits): boolean {
  return timestamp !== NO_TIMESTAMP && (limits.nowMs - timestamp > limits.beforeMs || timestamp - limits.nowMs > limits.afterMs);
}

/** Record errors for the records whose timestamps are out of range; empty when all are fine. */
function timestampErrors(decoded: DecodedBatch, limits: TimestampLimits): ProduceResponseBatchIndexAndErrorMessageInput[] {
  const errors: ProduceResponseBatchIndexAndErrorMessageInput[] = [];
  decoded.records.forEach((r, batchIndex) => {
    if (outOfRange(r.timestamp, limits)) {
      errors.push({
        batchIndex,
        batchIndexErrorMessage: `timestamp ${r.timestamp} is outside [now - message.timestamp.before.max.ms, now + message.timestamp.after.max.ms] = [${limits.nowMs - limits.beforeMs}, ${limits.nowMs + limits.afterMs}]`,
      });
    }
  });
  return errors;
}

/** A partition ready to be appended: the v2 batch to write and where. */
interface Prepared {
  partition: Partition;
  batch: Buffer;
}

/**
 * Checks one partition's records and turns them into the v2 batch to
 * append; a response when they are refused.
 */
function prepare(data: ProduceRequestPartitionProduceData, topic: Topic, partition: Partition, ctx: RequestContext): Prepared | PartitionResponse {
  const index = data.index;
  const config = ctx.broker.config;
  const records = data.records;
  const v3Rule = 'Produce requests from version 3 on must contain exactly one record batch of format v2';
  if (records === null || records.length <= LEGACY_ATTRIBUTES_AT) return failure(index, ErrorCode.INVALID_RECORD, 'The record set is empty or too short');

  const maxMessageBytes = Number(topicConfigValue(config, topic.configs, 'max.message.bytes'));
  if (records.length > maxMessageBytes) {
    return failure(index, ErrorCode.MESSAGE_TOO_LARGE, `The record set is ${records.length} bytes, more than max.message.bytes ${maxMessageBytes}`);
  }
  const compressionType = topicConfigValue(config, topic.configs, 'compression.type') ?? 'producer';
  const logAppendTime = topicConfigValue(config, topic.configs, 'message.timestamp.type') === 'LogAppendTime';
  const limits: TimestampLimits = {
    nowMs: ctx.broker.clock.nowMs(),
    beforeMs: limitMs(topicConfigValue(config, topic.configs, 'message.timestamp.before.max.ms')),
    afterMs: limitMs(topicConfigValue(config, topic.configs, 'message.timestamp.after.max.ms')),
  };

  const magic = records.readInt8(FORMAT_MAGIC_AT);
  let batch: Buffer;
  let header: BatchHeader;
  let decoded: DecodedBatch | undefined;
  if (magic === 0 || magic === 1) {
    if (ctx.apiVersion >= 3) return failure(index, ErrorCode.INVALID_RECORD, v3Rule);
    // Slow path: an old producer's message set becomes one v2 batch.
    try {
      const firstCodec = records.readInt8(LEGACY_ATTRIBUTES_AT) & 0x07;
      const converted = legacyMessageSetToBatch(records, { compression: targetCodec(compressionType, firstCodec) ?? undefined });
      decoded = decodeRecordBatch(converted, 0, { origin: 'client' });
      batch = converted;
      header = decoded.header;
    } catch (err) {
      return decodeFailure(index, err);
    }
  } else {
    const walk = iterateBatches(records);
    if (walk.badLength || walk.tailOffset !== records.length) return failure(index, ErrorCode.CORRUPT_MESSAGE, 'The record set is cut short or has a bad length');
    if (walk.batches.length !== 1) return failure(index, ErrorCode.INVALID_RECORD, v3Rule);
    const check = validateBatch(records, 0, records.length, { origin: 'client' });
    if (!check.ok) return failure(index, errorByName(check.error).code, check.message);
    batch = records;
    header = check.header;
  }

  if (!logAppendTime && header.timestampType === TimestampType.createTime) {
    // The header's max timestamp bounds every record from above; nothing bounds them from below.
    const needRecords = limits.beforeMs !== Number.POSITIVE_INFINITY || outOfRange(header.maxTimestamp, limits);
    if (needRecords) {
      try {
        decoded ??= decodeRecordBatch(batch, 0, { origin: 'client' });
      } catch (err) {
        return decodeFailure(index, err);
      }
      const recordErrors = timestampErrors(decoded, limits);
      if (recordErrors.length > 0) {
        return failure(index, ErrorCode.INVALID_TIMESTAMP, `${recordErrors.length} of ${decoded.records.length} records have a timestamp out of range: ${recordErrors[0]!.batchIndexErrorMessage}`, recordErrors);
      }
    }
  }

  // A CreateTime header whose max timestamp is below its base (sarama 1.22 leaves it -1) would
  // keep the batch out of the time index; rebuild it (same codec) so the max is the records'.
  const badMax = !logAppendTime && header.timestampType === TimestampType.createTime && header.maxTimestamp < header.baseTimestamp;
  const codec = batch === records ? (targetCodec(compressionType, header.compression) ?? (badMax ? (header.compression as CompressionCodec) : null)) : null;
  if (codec !== null) {
    // Slow path: the topic wants another codec than the producer used, or the max timestamp is wrong.
    try {
      decoded ??= decodeRecordBatch(batch, 0, { origin: 'client' });
      batch = rebuild(decoded, codec);
    } catch (err) {
      return decodeFailure(index, err);
    }
  }
  return { partition, batch };
}

function appended(index: number, result: AppendResult): PartitionResponse {
  return {
    index,
    errorCode: ErrorCode.NONE,
    baseOffset: BigInt(result.firstOffset),
    logAppendTimeMs: BigInt(result.logAppendTimeMs),
    logStartOffset: BigInt(result.logStartOffset),
    errorMessage: null,
  };
}

export const produceHandler = defineHandler({
  apiKey: ApiKey.Produce,
  minVersion: 0,
  maxVersion: 11,
  handle(request, ctx) {
    const { acks } = request;
    const image = ctx.broker.image();
    const logger = ctx.broker.logger;
    let failed = false;
    /** Partitions appended to, each with its answer (which a failed write or flush turns into an error). */
    const appendedTo: Array<{ partition: Partition; response: PartitionResponse }> = [];

    const appendFailure = (index: number, partition: Partition, err: unknown): PartitionResponse => {
      failed = true;
      if (err instanceof StorageError) return failure(index, errorByName(err.kafkaError).code, err.message);
      logger.error({ err, topic: partition.topic, partition: index }, 'append failed');
      return failure(index, ErrorCode.KAFKA_STORAGE_ERROR);
    };

    const responses: ProduceResponseTopicProduceResponseInput[] = request.topicData.map((topicData) => {
      const topic = image.topic(topicData.name);
      const partitionResponses: PartitionResponse[] = topicData.partitionData.map((data): PartitionResponse => {
        const refuse = (errorCode: number): PartitionResponse => {
          failed = true;
          return failure(data.index, errorCode);
        };
        if (acks !== -1 && acks !== 0 && acks !== 1) return refuse(ErrorCode.INVALID_REQUIRED_ACKS);
        const partitionImage = topic?.partitions[data.index];
        const partition = partitionImage === undefined ? undefined : ctx.broker.replicas.partition(topic!.topicId, data.index);
        if (topic === undefined || partition === undefined) return refuse(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        if (partitionImage!.leader !== ctx.broker.nodeId) return refuse(ErrorCode.NOT_LEADER_OR_FOLLOWER);

        const prepared = prepare(data, topic, partition, ctx);
        if (!('batch' in prepared)) {
          failed = true;
          return prepared;
        }
        let response: PartitionResponse;
        try {
          response = appended(data.index, partition.log.append(prepared.batch, partition.leaderEpoch));
        } catch (err) {
          return appendFailure(data.index, partition, err);
        }
        appendedTo.push({ partition, response });
        return response;
      });
      return { name: topicData.name, partitionResponses };
    });

    const result = { responses, throttleTimeMs: 0 };
    if (acks === 0) {
      if (failed) throw new CloseConnection('an acks=0 produce failed');
      return null;
    }
    // acks=1: the bytes are in the file (they survive the process dying); acks=all: fdatasync'ed
    // (group-committed by the log: appends arriving during a sync share the next one).
    const waits: Array<Promise<void>> = [];
    for (const { partition, response } of appendedTo) {
      const wait = acks === -1 ? partition.log.flush() : partition.log.whenWritten();
      if (wait === undefined) continue;
      waits.push(
        wait.catch((err: unknown) => {
          logger.error({ err, topic: partition.topic, partition: partition.index }, acks === -1 ? 'flush failed' : 'write failed');
          response.errorCode = ErrorCode.KAFKA_STORAGE_ERROR;
          response.baseOffset = -1n;
        }),
      );
    }
    if (waits.length === 0) return result;
    return Promise.all(waits).then(() => result);
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

/**
 * Fetch (key 1), versions 4-17.
 *
 * Reads whole batches from each partition's log, as stored (no
 * decompression, no copying beyond the one read from the file), bounded by
 * the partition's max bytes and the request's max bytes (capped by the
 * broker's fetch.max.bytes). The first partition with data may exceed both
 * by returning at least one whole batch (KIP-74).
 *
 * Long poll: when fewer than `minBytes` are available and nothing failed,
 * the request waits until an append to one of its partitions, `maxWaitMs`,
 * or broker shutdown, and then reads again.
 *
 * Fetch sessions (KIP-227) are not kept yet: a request with session id 0
 * is answered in full with session id 0, which tells the client no session
 * was created, so it keeps sending full requests; a non-zero session id gets
 * FETCH_SESSION_ID_NOT_FOUND.
 *
 * Versions 0-3 (which need down-conversion to message format v0/v1) are not
 * served. v7 adds sessions; v9 the current leader epoch check; v11 rack id;
 * v12 flexible; v13 topic ids instead of names; v15 the replica state.
 */
import { ApiKey } from '../../protocol/generated/api-registry.js';
import { ErrorCode, errorByName } from '../../protocol/errors/index.js';
import { StorageError } from '../../storage/errors.js';
import type {
  FetchResponseFetchableTopicResponseInput,
  FetchResponseInput,
  FetchResponsePartitionDataInput,
} from '../../protocol/generated/messages/fetch-response.js';
import type { FetchRequest } from '../../protocol/generated/messages/fetch-request.js';
import type { Partition } from '../replica/replica-manager.js';
import { defineHandler, type RequestContext } from './handler.js';
import { EMPTY_RECORDS, leaderEpochError } from './common.js';

/** The isolation level that only sees committed transactions. */
const READ_COMMITTED = 1;

interface Round {
  response: FetchResponseInput;
  bytes: number;
  failed: boolean;
  partitions: Partition[];
}

async function readOnce(request: FetchRequest, ctx: RequestContext): Promise<Round> {
  const image = ctx.broker.image();
  const byId = ctx.apiVersion >= 13;
  let remaining = Math.min(request.maxBytes, ctx.broker.config.fetchMaxBytes);
  let bytes = 0;
  let failed = false;
  const partitions: Partition[] = [];
  const abortedTransactions = request.isolationLevel === READ_COMMITTED ? [] : null;

  const responses: FetchResponseFetchableTopicResponseInput[] = [];
  for (const t of request.topics) {
    const topic = byId ? image.topicById(t.topicId) : image.topic(t.topic);
    const out: FetchResponsePartitionDataInput[] = [];
    responses.push({ topic: t.topic, topicId: t.topicId, partitions: out });
    for (const p of t.partitions) {
      const fail = (errorCode: number, highWatermark = -1n): void => {
        failed = true;
        out.push({ partitionIndex: p.partition, errorCode, highWatermark, records: EMPTY_RECORDS });
      };
      if (topic === undefined) {
        fail(byId ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        continue;
      }
      const partition = ctx.broker.replicas.partition(topic.topicId, p.partition);
      if (partition === undefined) {
        fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        continue;
      }
      const epochError = leaderEpochError(p.currentLeaderEpoch, partition.leaderEpoch);
      if (epochError !== ErrorCode.NONE) {
        fail(epochError);
        continue;
      }
      const log = partition.log;
      const offset = Number(p.fetchOffset);
      if (offset < log.logStartOffset || offset > log.logEndOffset) {
        fail(ErrorCode.OFFSET_OUT_OF_RANGE, BigInt(log.highWatermark));
        continue;
      }
      partitions.push(partition);
      const limit = Math.min(p.partitionMaxBytes, remaining);
      let records: readonly Buffer[] = [];
      let size = 0;
      let aborted: FetchResponsePartitionDataInput['abortedTransactions'] = abortedTransactions;
      if (limit > 0 || bytes === 0) {
        try {
          const read = await log.read(offset, Math.max(limit, 0), bytes === 0, abortedTransactions !== null);
          if (aborted !== null) aborted = (read.abortedTransactions ?? []).map((a) => ({ producerId: a.producerId, firstOffset: BigInt(a.firstOffset) }));
          records = read.chunks;
          size = read.sizeBytes;
        } catch (err) {
          if (err instanceof StorageError) {
            fail(errorByName(err.kafkaError).code, BigInt(log.highWatermark));
            continue;
          }
          throw err;
        }
      }
      bytes += size;
      remaining -= size;
      out.push({
        partitionIndex: p.partition,
        errorCode: ErrorCode.NONE,
        highWatermark: BigInt(log.highWatermark),
        lastStableOffset: BigInt(log.lastStableOffset),
        logStartOffset: BigInt(log.logStartOffset),
        abortedTransactions: aborted,
        preferredReadReplica: -1,
        records,
      });
    }
  }
  return { response: { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: 0, responses }, bytes, failed, partitions };
}

export const fetchHandler = defineHandler({
  apiKey: ApiKey.Fetch,
  minVersion: 4,
  maxVersion: 17,
  async handle(request, ctx) {
    if (request.sessionId !== 0) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND, sessionId: 0, responses: [] };
    }
    if (request.sessionEpoch !== 0 && request.sessionEpoch !== -1) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_FETCH_SESSION_EPOCH, sessionId: 0, responses: [] };
    }
    const clock = ctx.broker.clock;
    const deadline = clock.monotonicMs() + Math.max(request.maxWaitMs, 0);
    for (;;) {
      const round = await readOnce(request, ctx);
      const waitMs = deadline - clock.monotonicMs();
      if (round.bytes >= request.minBytes || round.failed || waitMs <= 0 || round.partitions.length === 0) {
        return round.response;
      }
      await ctx.broker.replicas.waitForAppend(round.partitions, waitMs);
      if (ctx.broker.replicas.isStopping) return (await readOnce(request, ctx)).response;
    }
  },
  errorResponse(_request, errorCode) {
    return { throttleTimeMs: 0, errorCode, sessionId: 0, responses: [] };
  },
});

/**
 * Fetch (key 1), versions 0-17.
 *
 * Reads whole batches from each partition's log as stored and hands the
 * log's chunks (tail cache entries or one disk read) to the encoder, which
 * writes them under one length without copying; the connection sends them
 * with one writev. Reads are bounded by the partition's max bytes and the
 * request's max bytes (capped by the broker's fetch.max.bytes); the first
 * partition with data may exceed both by returning one whole batch (KIP-74).
 *
 * Long poll: when fewer than `minBytes` are available and nothing failed,
 * the request waits until an append to one of its partitions, `maxWaitMs`,
 * or broker shutdown, and then reads again.
 *
 * Fetch sessions (KIP-227, v7+): see fetch-session/fetch-session-cache.ts.
 * A full request with epoch 0 creates a session (answered with its id); an
 * incremental one reads every partition of the session and answers only the
 * ones with something new.
 *
 * read_committed (isolation level 1) stops at the last stable offset and
 * lists the aborted transactions the returned data overlaps.
 *
 * Versions 0-3 (message format v0/v1) take the slow path: the v2 batches
 * read are decoded and rebuilt as magic 0 (v0-1) or magic 1 (v2-3) message
 * sets, dropping control batches and record headers; zstd data cannot be
 * expressed that way and is answered with UNSUPPORTED_COMPRESSION_TYPE.
 * v3 adds the request max bytes; v4 isolation level, last stable offset and
 * aborted transactions; v5 log start offset; v7 sessions; v9 the current
 * leader epoch check; v11 rack id; v12 flexible; v13 topic ids instead of
 * names; v15 the replica state.
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
import { batchesToLegacyMessageSet } from '../../protocol/records/legacy-convert.js';
import { InvalidRecordsError } from '../../protocol/records/invalid-records-error.js';
import { DecodeError } from '../../protocol/primitives/decode-error.js';
import type { Partition } from '../replica/replica-manager.js';
import {
  FetchSessionCache,
  INVALID_SESSION_ID,
  SESSION_CACHE_SLOTS_DEFAULT,
  type FetchContext,
  type FetchTarget,
  type PartitionOutcome,
} from '../fetch-session/fetch-session-cache.js';
import { defineHandler, type BrokerContext, type RequestContext } from './handler.js';
import { EMPTY_RECORDS, leaderEpochError } from './common.js';

/** The isolation level that only sees committed transactions. */
const READ_COMMITTED = 1;
/** The first version whose records are v2 batches; older ones get magic 0/1. */
const RECORD_BATCH_VERSION_MIN = 4;
/** The first version that names topics by id. */
const TOPIC_ID_VERSION_MIN = 13;

/** One session cache per broker. */
const sessionCaches = new WeakMap<BrokerContext, FetchSessionCache>();

function sessionCache(broker: BrokerContext): FetchSessionCache {
  let cache = sessionCaches.get(broker);
  if (cache === undefined) {
    const slots = Number(broker.config.raw.get('max.incremental.fetch.session.cache.slots') ?? SESSION_CACHE_SLOTS_DEFAULT);
    cache = new FetchSessionCache({ slotsMax: Number.isFinite(slots) && slots >= 0 ? slots : SESSION_CACHE_SLOTS_DEFAULT });
    sessionCaches.set(broker, cache);
  }
  return cache;
}

function targetKey(usesTopicIds: boolean, topic: string, topicId: string, partition: number): string {
  return `${usesTopicIds ? topicId : topic}:${partition}`;
}

interface PartitionRead {
  target: FetchTarget;
  data: FetchResponsePartitionDataInput;
  outcome: PartitionOutcome;
}

interface Round {
  reads: PartitionRead[];
  bytes: number;
  failed: boolean;
  partitions: Partition[];
}

async function readOnce(targets: readonly FetchTarget[], request: FetchRequest, ctx: RequestContext): Promise<Round> {
  const image = ctx.broker.image();
  const byId = ctx.apiVersion >= TOPIC_ID_VERSION_MIN;
  const legacyMagic = ctx.apiVersion < RECORD_BATCH_VERSION_MIN ? (ctx.apiVersion <= 1 ? 0 : 1) : null;
  let remaining = Math.min(request.maxBytes, ctx.broker.config.fetchMaxBytes);
  let bytes = 0;
  let failed = false;
  const partitions: Partition[] = [];
  const abortedTransactions = request.isolationLevel === READ_COMMITTED ? [] : null;
  const reads: PartitionRead[] = [];

  for (const target of targets) {
    const fail = (errorCode: number, highWatermark = -1n): void => {
      failed = true;
      reads.push({
        target,
        data: { partitionIndex: target.partition, errorCode, highWatermark, records: EMPTY_RECORDS },
        outcome: { errorCode, highWatermark, lastStableOffset: -1n, logStartOffset: -1n, recordBytes: 0 },
      });
    };
    const topic = byId ? image.topicById(target.topicId) : image.topic(target.topic);
    if (topic === undefined) {
      fail(byId ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      continue;
    }
    const partition = ctx.broker.replicas.partition(topic.topicId, target.partition);
    if (partition === undefined) {
      fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      continue;
    }
    const epochError = leaderEpochError(target.currentLeaderEpoch, partition.leaderEpoch);
    if (epochError !== ErrorCode.NONE) {
      fail(epochError);
      continue;
    }
    const log = partition.log;
    const offset = Number(target.fetchOffset);
    if (offset < log.logStartOffset || offset > log.logEndOffset) {
      fail(ErrorCode.OFFSET_OUT_OF_RANGE, BigInt(log.highWatermark));
      continue;
    }
    partitions.push(partition);
    const limit = Math.min(target.maxBytes, remaining);
    let records: Buffer | readonly Buffer[] = EMPTY_RECORDS;
    let size = 0;
    let aborted: FetchResponsePartitionDataInput['abortedTransactions'] = abortedTransactions;
    if (limit > 0 || bytes === 0) {
      try {
        const read = await log.read(offset, Math.max(limit, 0), bytes === 0, abortedTransactions !== null);
        if (aborted !== null) aborted = (read.abortedTransactions ?? []).map((a) => ({ producerId: a.producerId, firstOffset: BigInt(a.firstOffset) }));
        records = read.chunks;
        size = read.sizeBytes;
        if (legacyMagic !== null && size > 0) records = batchesToLegacyMessageSet(read.records!, { magic: legacyMagic, minOffset: offset });
      } catch (err) {
        if (err instanceof StorageError) {
          fail(errorByName(err.kafkaError).code, BigInt(log.highWatermark));
          continue;
        }
        if (err instanceof InvalidRecordsError) {
          fail(errorByName(err.errorName).code, BigInt(log.highWatermark));
          continue;
        }
        if (err instanceof DecodeError) {
          fail(ErrorCode.CORRUPT_MESSAGE, BigInt(log.highWatermark));
          continue;
        }
        throw err;
      }
    }
    bytes += size;
    remaining -= size;
    const highWatermark = BigInt(log.highWatermark);
    const lastStableOffset = BigInt(log.lastStableOffset);
    const logStartOffset = BigInt(log.logStartOffset);
    reads.push({
      target,
      data: {
        partitionIndex: target.partition,
        errorCode: ErrorCode.NONE,
        highWatermark,
        lastStableOffset,
        logStartOffset,
        abortedTransactions: aborted,
        preferredReadReplica: -1,
        records,
      },
      outcome: { errorCode: ErrorCode.NONE, highWatermark, lastStableOffset, logStartOffset, recordBytes: size },
    });
  }
  return { reads, bytes, failed, partitions };
}

/** Groups partition answers into topics, keeping their order. */
function topicResponses(reads: readonly PartitionRead[]): FetchResponseFetchableTopicResponseInput[] {
  const out: FetchResponseFetchableTopicResponseInput[] = [];
  let last: FetchResponseFetchableTopicResponseInput | undefined;
  let lastKey = '';
  for (const read of reads) {
    const key = `${read.target.topicId}/${read.target.topic}`;
    if (last === undefined || key !== lastKey) {
      last = { topic: read.target.topic, topicId: read.target.topicId, partitions: [] };
      lastKey = key;
      out.push(last);
    }
    last.partitions.push(read.data);
  }
  return out;
}

/** The request's partitions as session targets, and the forgotten ones as keys. */
function requestTargets(request: FetchRequest, ctx: RequestContext): { targets: FetchTarget[]; forgotten: string[] } {
  const usesTopicIds = ctx.apiVersion >= TOPIC_ID_VERSION_MIN;
  const image = ctx.broker.image();
  const targets: FetchTarget[] = [];
  for (const t of request.topics) {
    // Keep both names of the topic so either kind of response can be written.
    const known = usesTopicIds ? image.topicById(t.topicId) : image.topic(t.topic);
    const topic = usesTopicIds ? (known?.name ?? '') : t.topic;
    const topicId = usesTopicIds ? t.topicId : (known?.topicId ?? t.topicId);
    for (const p of t.partitions) {
      targets.push({
        key: targetKey(usesTopicIds, topic, topicId, p.partition),
        topic,
        topicId,
        partition: p.partition,
        fetchOffset: p.fetchOffset,
        maxBytes: p.partitionMaxBytes,
        currentLeaderEpoch: p.currentLeaderEpoch,
        logStartOffset: p.logStartOffset,
      });
    }
  }
  const forgotten: string[] = [];
  for (const t of request.forgottenTopicsData) {
    for (const partition of t.partitions) forgotten.push(targetKey(usesTopicIds, t.topic, t.topicId, partition));
  }
  return { targets, forgotten };
}

function answer(context: FetchContext, round: Round, ctx: RequestContext): FetchResponseInput {
  const cache = sessionCache(ctx.broker);
  switch (context.kind) {
    case 'error':
      return { throttleTimeMs: 0, errorCode: ErrorCode[context.errorCode], sessionId: INVALID_SESSION_ID, responses: [] };
    case 'sessionless':
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: INVALID_SESSION_ID, responses: topicResponses(round.reads) };
    case 'full': {
      const outcomes = new Map(round.reads.map((r) => [r.target.key, r.outcome]));
      const sessionId = cache.maybeCreate(context, outcomes, ctx.broker.clock.monotonicMs());
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId, responses: topicResponses(round.reads) };
    }
    case 'incremental': {
      const { session } = context;
      // Another request on this session got in while this one waited: its answer would be stale.
      if (cache.get(session.id) !== session || session.epoch !== context.epoch) {
        return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_FETCH_SESSION_EPOCH, sessionId: session.id, responses: [] };
      }
      const selected = round.reads.filter((r) => session.select(r.target.key, r.outcome));
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: session.id, responses: topicResponses(selected) };
    }
  }
}

export const fetchHandler = defineHandler({
  apiKey: ApiKey.Fetch,
  minVersion: 0,
  maxVersion: 17,
  async handle(request, ctx) {
    const { targets, forgotten } = requestTargets(request, ctx);
    const clock = ctx.broker.clock;
    const context = sessionCache(ctx.broker).newContext({
      sessionId: request.sessionId,
      sessionEpoch: request.sessionEpoch,
      targets,
      forgotten,
      usesTopicIds: ctx.apiVersion >= TOPIC_ID_VERSION_MIN,
      privileged: request.replicaId >= 0,
      nowMs: clock.monotonicMs(),
    });
    if (context.kind === 'error') return answer(context, { reads: [], bytes: 0, failed: true, partitions: [] }, ctx);
    const deadline = clock.monotonicMs() + Math.max(request.maxWaitMs, 0);
    for (;;) {
      const round = await readOnce(context.targets, request, ctx);
      const waitMs = deadline - clock.monotonicMs();
      if (round.bytes >= request.minBytes || round.failed || waitMs <= 0 || round.partitions.length === 0) {
        return answer(context, round, ctx);
      }
      await ctx.broker.replicas.waitForAppend(round.partitions, waitMs);
      if (ctx.broker.replicas.isStopping) return answer(context, await readOnce(context.targets, request, ctx), ctx);
    }
  },
  errorResponse(_request, errorCode) {
    return { throttleTimeMs: 0, errorCode, sessionId: 0, responses: [] };
  },
});

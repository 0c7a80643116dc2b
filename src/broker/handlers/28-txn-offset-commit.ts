/**
 * TxnOffsetCommit (key 28), versions 0-4.
 *
 * Offsets committed inside a transaction (sendOffsetsToTransaction): checked
 * against the producer's ongoing transaction, which must include the group's
 * `__consumer_offsets` partition (AddOffsetsToTxn), then handed to the group
 * coordinator, which writes them there as a transactional batch of the
 * producer and keeps them pending: the commit marker on that partition makes
 * them committed (also when the partition is replayed after a restart), an
 * abort drops them, and meanwhile OffsetFetch with requireStable answers
 * UNSTABLE_OFFSET_COMMIT. Group checks are Kafka's for transactional
 * commits: an unknown group with a generation is ILLEGAL_GENERATION (else a
 * simple group is made); from v3 a member and generation, when given, must
 * match; no REBALANCE_IN_PROGRESS.
 *
 * v1 changes nothing on the wire; v2 adds the leader epoch per offset; v3
 * the member id, generation and instance id and is flexible; v4 changes
 * nothing on the wire.
 */
import { ApiKey } from '../../protocol/generated/api-registry.js';
import { groupRequestContext } from '../../coordinator/group/group-coordinator-service.js';
import { fencedForVersion } from '../../coordinator/transaction/transaction-coordinator-service.js';
import { defineHandler } from './handler.js';
import { txnService } from './txn-common.js';

export const txnOffsetCommitHandler = defineHandler({
  apiKey: ApiKey.TxnOffsetCommit,
  minVersion: 0,
  maxVersion: 4,
  async handle(request, ctx) {
    const codes = await txnService(ctx).txnOffsetCommit(groupRequestContext(ctx), request);
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: fencedForVersion(codes.get(t.name)?.get(p.partitionIndex) ?? 0, ctx.apiVersion, 3) })),
      })),
    };
  },
  errorResponse(request, errorCode) {
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })),
    };
  },
});

/**
 * TxnOffsetCommit (key 28), versions 0-4.
 *
 * Offsets committed inside a transaction (sendOffsetsToTransaction): checked
 * against the producer's ongoing transaction, which must include the group's
 * `__consumer_offsets` partition (AddOffsetsToTxn), then written there as a
 * transactional batch of the producer. They become visible to OffsetFetch
 * when the commit marker lands on that partition and vanish with an abort.
 * From v3 a member's generation is checked when the group exists
 * (ILLEGAL_GENERATION).
 *
 * v1 changes nothing on the wire; v2 adds the leader epoch per offset; v3
 * the member id, generation and instance id and is flexible; v4 changes
 * nothing on the wire.
 */
import { ApiKey } from '../../protocol/generated/api-registry.js';
import { fencedForVersion } from '../../coordinator/transaction/transaction-coordinator-service.js';
import { defineHandler } from './handler.js';
import { txnService } from './txn-common.js';

export const txnOffsetCommitHandler = defineHandler({
  apiKey: ApiKey.TxnOffsetCommit,
  minVersion: 0,
  maxVersion: 4,
  async handle(request, ctx) {
    const codes = await txnService(ctx).txnOffsetCommit(request);
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

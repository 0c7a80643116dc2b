/**
 * EndTxn (key 26), versions 0-4.
 *
 * Commits or aborts the producer's transaction: answered once
 * PrepareCommit/PrepareAbort is durable; the markers are then written to
 * every partition of the transaction and the state becomes Complete*.
 * Repeating the same decision is NONE, the other one INVALID_TXN_STATE, as
 * is EndTxn without AddPartitions (Empty). A stale epoch is PRODUCER_FENCED
 * (INVALID_PRODUCER_EPOCH before v2).
 *
 * v1-v2 change nothing on the wire; v3 is flexible; v4 changes nothing on
 * the wire. v5 (transaction version 2: an epoch bump per transaction,
 * KIP-890) is not served.
 */
import { ApiKey } from '../../protocol/generated/api-registry.js';
import { fencedForVersion } from '../../coordinator/transaction/transaction-coordinator-service.js';
import { defineHandler } from './handler.js';
import { txnCoordinatorReady, txnService } from './txn-common.js';

export const endTxnHandler = defineHandler({
  apiKey: ApiKey.EndTxn,
  minVersion: 0,
  maxVersion: 4,
  async handle(request, ctx) {
    const notReady = await txnCoordinatorReady(ctx);
    if (notReady !== null) return { throttleTimeMs: 0, errorCode: notReady };
    const code = await txnService(ctx).coordinator.endTxn(request.transactionalId, request.producerId, request.producerEpoch, request.committed);
    return { throttleTimeMs: 0, errorCode: fencedForVersion(code, ctx.apiVersion, 2) };
  },
  errorResponse(_request, errorCode) {
    return { throttleTimeMs: 0, errorCode };
  },
});

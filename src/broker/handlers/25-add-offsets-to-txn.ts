/**
 * AddOffsetsToTxn (key 25), versions 0-4.
 *
 * Adds the group's `__consumer_offsets` partition to the transaction, so the
 * TxnOffsetCommit that follows commits or aborts with it. Errors as for
 * AddPartitionsToTxn (PRODUCER_FENCED from v2, INVALID_PRODUCER_EPOCH
 * before). v1-v2 change nothing on the wire; v3 is flexible; v4 changes
 * nothing on the wire.
 */
import { ApiKey } from '../../protocol/generated/api-registry.js';
import { ErrorCode } from '../../protocol/errors/index.js';
import { groupCoordinatorFor, OFFSETS_TOPIC } from '../../coordinator/group/group-coordinator-service.js';
import { fencedForVersion } from '../../coordinator/transaction/transaction-coordinator-service.js';
import { defineHandler } from './handler.js';
import { txnCoordinatorReady, txnService } from './txn-common.js';

export const addOffsetsToTxnHandler = defineHandler({
  apiKey: ApiKey.AddOffsetsToTxn,
  minVersion: 0,
  maxVersion: 4,
  async handle(request, ctx) {
    const groups = groupCoordinatorFor(ctx.broker);
    if (!(await groups.ensureTopic())) return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE };
    const notReady = await txnCoordinatorReady(ctx);
    if (notReady !== null) return { throttleTimeMs: 0, errorCode: notReady };
    const partition = groups.coordinator.partitionFor(request.groupId);
    const codes = await txnService(ctx).coordinator.addPartitions(request.transactionalId, request.producerId, request.producerEpoch, [
      { topic: OFFSETS_TOPIC, partition },
    ]);
    return { throttleTimeMs: 0, errorCode: fencedForVersion(codes.get(OFFSETS_TOPIC)?.get(partition) ?? 0, ctx.apiVersion, 2) };
  },
  errorResponse(_request, errorCode) {
    return { throttleTimeMs: 0, errorCode };
  },
});

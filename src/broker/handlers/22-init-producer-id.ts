/**
 * InitProducerId (key 22), versions 0-5.
 *
 * Without a transactional id: a fresh producer id at epoch 0 for an
 * idempotent producer (ids come in durable blocks and are never reused).
 * With one: the transaction coordinator bumps the id's epoch, fencing older
 * producers; an open transaction is aborted first and the call answers
 * CONCURRENT_TRANSACTIONS so the client retries. transaction.timeout.ms must
 * be within transaction.max.timeout.ms (INVALID_TRANSACTION_TIMEOUT).
 *
 * v1 and v2 only change throttling and flexibility (v2 flexible); v3 adds
 * the producer's current id and epoch (KIP-360: recover without a new id);
 * v4 answers PRODUCER_FENCED where older versions get INVALID_PRODUCER_EPOCH;
 * v5 changes nothing on the wire.
 */
import { ApiKey } from '../../protocol/generated/api-registry.js';
import { ErrorCode } from '../../protocol/errors/index.js';
import { fencedForVersion } from '../../coordinator/transaction/transaction-coordinator-service.js';
import { defineHandler } from './handler.js';
import { txnCoordinatorReady, txnService } from './txn-common.js';

export const initProducerIdHandler = defineHandler({
  apiKey: ApiKey.InitProducerId,
  minVersion: 0,
  maxVersion: 5,
  async handle(request, ctx) {
    const transactional = request.transactionalId !== null;
    if (transactional) {
      const notReady = await txnCoordinatorReady(ctx);
      if (notReady !== null) return { throttleTimeMs: 0, errorCode: notReady, producerId: -1n, producerEpoch: -1 };
    }
    const result = await txnService(ctx).coordinator.initProducerId(request.transactionalId, request.transactionTimeoutMs, {
      producerId: request.producerId ?? -1n,
      producerEpoch: request.producerEpoch ?? -1,
    });
    return {
      throttleTimeMs: 0,
      errorCode: fencedForVersion(result.errorCode, ctx.apiVersion, 4),
      producerId: result.errorCode === ErrorCode.NONE ? result.producerId : -1n,
      producerEpoch: result.errorCode === ErrorCode.NONE ? result.producerEpoch : -1,
    };
  },
  errorResponse(_request, errorCode) {
    return { throttleTimeMs: 0, errorCode, producerId: -1n, producerEpoch: -1 };
  },
});

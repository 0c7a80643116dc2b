/**
 * DescribeTransactions (key 65), version 0.
 *
 * State, timeout, start time, producer id and epoch and the partitions of
 * each transactional id this coordinator owns; TRANSACTIONAL_ID_NOT_FOUND
 * for an unknown id (KIP-664).
 */
import { ApiKey } from '../../protocol/generated/api-registry.js';
import { defineHandler } from './handler.js';
import { txnCoordinatorReady, txnService } from './txn-common.js';

export const describeTransactionsHandler = defineHandler({
  apiKey: ApiKey.DescribeTransactions,
  minVersion: 0,
  maxVersion: 0,
  async handle(request, ctx) {
    const notReady = await txnCoordinatorReady(ctx);
    const coordinator = txnService(ctx).coordinator;
    return {
      throttleTimeMs: 0,
      transactionStates: request.transactionalIds.map((transactionalId) => {
        const empty = { transactionalId, transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: -1n, producerId: -1n, producerEpoch: -1, topics: [] };
        if (notReady !== null) return { ...empty, errorCode: notReady };
        const { errorCode, txn } = coordinator.describe(transactionalId);
        if (txn === undefined) return { ...empty, errorCode };
        return {
          errorCode,
          transactionalId,
          transactionState: txn.state,
          transactionTimeoutMs: txn.timeoutMs,
          transactionStartTimeMs: BigInt(txn.startMs),
          producerId: txn.producerId,
          producerEpoch: txn.producerEpoch,
          topics: [...txn.partitions].map(([topic, partitions]) => ({ topic, partitions })),
        };
      }),
    };
  },
  errorResponse(request, errorCode) {
    return {
      throttleTimeMs: 0,
      transactionStates: request.transactionalIds.map((transactionalId) => ({
        errorCode,
        transactionalId,
        transactionState: '',
        transactionTimeoutMs: 0,
        transactionStartTimeMs: -1n,
        producerId: -1n,
        producerEpoch: -1,
        topics: [],
      })),
    };
  },
});

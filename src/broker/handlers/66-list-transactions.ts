/**
 * ListTransactions (key 66), versions 0-1.
 *
 * Transactional ids this coordinator owns, filtered by state and producer id
 * (empty filters match everything); state names this broker does not know
 * come back in `unknownStateFilters`. v1 adds `durationFilter` (KIP-994):
 * only transactions open for at least that many milliseconds.
 */
import { ApiKey } from '../../protocol/generated/api-registry.js';
import { txnStateByName, type TxnState } from '../../coordinator/transaction/records.js';
import { defineHandler } from './handler.js';
import { txnCoordinatorReady, txnService } from './txn-common.js';

export const listTransactionsHandler = defineHandler({
  apiKey: ApiKey.ListTransactions,
  minVersion: 0,
  maxVersion: 1,
  async handle(request, ctx) {
    const notReady = await txnCoordinatorReady(ctx);
    if (notReady !== null) return { throttleTimeMs: 0, errorCode: notReady, unknownStateFilters: [], transactionStates: [] };
    const states = new Set<TxnState>();
    const unknownStateFilters: string[] = [];
    for (const name of request.stateFilters) {
      const state = txnStateByName(name);
      if (state === undefined) unknownStateFilters.push(name);
      else states.add(state);
    }
    if (unknownStateFilters.length > 0 && states.size === 0) return { throttleTimeMs: 0, errorCode: 0, unknownStateFilters, transactionStates: [] };
    const durationMs = request.durationFilter === undefined ? -1 : Number(request.durationFilter);
    const listed = txnService(ctx).coordinator.list(states, new Set(request.producerIdFilters), durationMs);
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      unknownStateFilters,
      transactionStates: listed.map((t) => ({ transactionalId: t.transactionalId, producerId: t.producerId, transactionState: t.state })),
    };
  },
  errorResponse(_request, errorCode) {
    return { throttleTimeMs: 0, errorCode, unknownStateFilters: [], transactionStates: [] };
  },
});

/**
 * What the transaction handlers (22, 24-28, 61, 65, 66) share: the broker's
 * transaction coordinator service, found from the request context.
 */
import { groupCoordinatorFor } from '../../coordinator/group/group-coordinator-service.js';
import { transactionCoordinatorFor, type TransactionCoordinatorService } from '../../coordinator/transaction/transaction-coordinator-service.js';
import { ErrorCode } from '../../protocol/errors/index.js';
import type { BrokerContext, RequestContext } from './handler.js';

export function txnService(ctx: RequestContext): TransactionCoordinatorService {
  return transactionCoordinatorFor(ctx.broker, () => groupCoordinatorFor(ctx.broker));
}

/** Loads the coordinator (creating `__transaction_state` on first use); the error to answer when it is not available. */
export async function txnCoordinatorReady(ctx: RequestContext): Promise<number | null> {
  return (await txnService(ctx).start(true)) ? null : ErrorCode.COORDINATOR_NOT_AVAILABLE;
}

/**
 * Loads the `__transaction_state` partitions this node leads right after
 * start-up (when the topic exists), so transactions a crash caught in
 * PrepareCommit/PrepareAbort get their markers and timed-out ones are
 * aborted without waiting for a client to ask.
 */
export function startTransactionCoordinator(broker: BrokerContext): Promise<boolean> {
  return transactionCoordinatorFor(broker, () => groupCoordinatorFor(broker)).start(false);
}

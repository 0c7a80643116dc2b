/**
 * FindCoordinator (key 10), versions 0-6.
 *
 * Group keys (key type 0) map to a `__consumer_offsets` partition (Java
 * String.hashCode of the group id, modulo offsets.topic.num.partitions) and
 * the answer is that partition's leader, which on a single node is this node.
 * Where Kafka answers COORDINATOR_NOT_AVAILABLE while it creates the offsets
 * topic on first use, Samsa creates it and answers once it exists, so the
 * first consumer does not have to retry. Transaction keys (type 1) go to the
 * leader of the id's `__transaction_state` partition, created the same way on
 * first use (src/coordinator/transaction); other key types are INVALID_REQUEST.
 *
 * v1 adds throttle time and an error message; v3 is flexible; v4 batches keys
 * (`coordinatorKeys`, answered per key in `coordinators`); v5-v6 only widen
 * the error codes a client must expect.
 */
import { ApiKey } from '../../protocol/generated/api-registry.js';
import { ErrorCode } from '../../protocol/errors/index.js';
import type { FindCoordinatorResponseCoordinatorInput } from '../../protocol/generated/messages/find-coordinator-response.js';
import { groupCoordinatorFor } from '../../coordinator/group/group-coordinator-service.js';
import { defineHandler, type RequestContext } from './handler.js';
import { brokerEndpoints } from './common.js';
import { txnService } from './txn-common.js';

const KEY_TYPE_GROUP = 0;
const KEY_TYPE_TRANSACTION = 1;
/** v4+ carry many keys. */
const BATCHED_KEYS_VERSION = 4;

async function findOne(key: string, keyType: number, ctx: RequestContext): Promise<FindCoordinatorResponseCoordinatorInput> {
  const none = { key, nodeId: -1, host: '', port: -1 };
  if (keyType === KEY_TYPE_TRANSACTION) {
    const txnNode = await txnService(ctx).coordinatorNodeFor(key);
    const at = txnNode === null ? undefined : brokerEndpoints(ctx).find((b) => b.nodeId === txnNode);
    if (at !== undefined) return { key, nodeId: at.nodeId, host: at.host, port: at.port, errorCode: ErrorCode.NONE, errorMessage: null };
    return { ...none, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: 'The transaction coordinator is not available.' };
  }
  if (keyType !== KEY_TYPE_GROUP) return { ...none, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unsupported key type ${keyType}.` };
  const service = groupCoordinatorFor(ctx.broker);
  if (!(await service.ensureTopic())) {
    return { ...none, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: 'The coordinator is not available.' };
  }
  const nodeId = service.coordinatorNodeFor(key);
  const endpoint = nodeId === null ? undefined : brokerEndpoints(ctx).find((b) => b.nodeId === nodeId);
  if (endpoint === undefined) {
    return { ...none, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: 'The coordinator is not available.' };
  }
  return { key, nodeId: endpoint.nodeId, host: endpoint.host, port: endpoint.port, errorCode: ErrorCode.NONE, errorMessage: null };
}

export const findCoordinatorHandler = defineHandler({
  apiKey: ApiKey.FindCoordinator,
  minVersion: 0,
  maxVersion: 6,
  async handle(request, ctx) {
    if (ctx.apiVersion >= BATCHED_KEYS_VERSION) {
      const coordinators = await Promise.all(request.coordinatorKeys.map((key) => findOne(key, request.keyType, ctx)));
      return { throttleTimeMs: 0, coordinators };
    }
    const one = await findOne(request.key, request.keyType, ctx);
    return { throttleTimeMs: 0, errorCode: one.errorCode, errorMessage: one.errorMessage, nodeId: one.nodeId, host: one.host, port: one.port };
  },
  errorResponse(request, errorCode, ctx) {
    if (ctx.apiVersion >= BATCHED_KEYS_VERSION) {
      return { throttleTimeMs: 0, coordinators: request.coordinatorKeys.map((key) => ({ key, nodeId: -1, host: '', port: -1, errorCode, errorMessage: null })) };
    }
    return { throttleTimeMs: 0, errorCode, errorMessage: null, nodeId: -1, host: '', port: -1 };
  },
});

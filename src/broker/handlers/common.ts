/**
 * Small pieces several handlers share: where this broker is reachable on the
 * caller's listener, leader-epoch checks, and authorized-operation bit sets.
 */
import { ErrorCode } from '../../protocol/errors/index.js';
import type { MetadataImage } from '../../metadata/image.js';
import type { RequestContext } from './handler.js';

export interface NodeEndpoint {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

/** Every registered, unfenced broker's endpoint on the listener the request came in on. */
export function liveBrokerEndpoints(image: MetadataImage, listenerName: string): NodeEndpoint[] {
  const out: NodeEndpoint[] = [];
  for (const broker of image.brokers.values()) {
    if (broker.fenced) continue;
    const endpoint = broker.endpoints.find((e) => e.name === listenerName) ?? broker.endpoints[0];
    if (endpoint === undefined) continue;
    out.push({ nodeId: broker.nodeId, host: endpoint.host, port: endpoint.port, rack: broker.rack });
  }
  return out.sort((a, b) => a.nodeId - b.nodeId);
}

export function brokerEndpoints(ctx: RequestContext): NodeEndpoint[] {
  return liveBrokerEndpoints(ctx.broker.image(), ctx.connection.listenerName);
}

/**
 * Kafka's check of a client's idea of the leader epoch: -1 means "not
 * given"; older means the client is behind (FENCED_LEADER_EPOCH), newer
 * means we are (UNKNOWN_LEADER_EPOCH).
 */
export function leaderEpochError(requestEpoch: number, currentEpoch: number): number {
  if (requestEpoch < 0 || requestEpoch === currentEpoch) return ErrorCode.NONE;
  return requestEpoch < currentEpoch ? ErrorCode.FENCED_LEADER_EPOCH : ErrorCode.UNKNOWN_LEADER_EPOCH;
}

/** AclOperation codes (Kafka's ids) as a bit set, the form the protocol reports them in. */
function operationBits(ops: readonly number[]): number {
  let bits = 0;
  for (const op of ops) bits |= 1 << op;
  return bits;
}

/** Without an authorizer every operation is allowed: READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS. */
export const TOPIC_OPERATIONS_ALL = operationBits([3, 4, 5, 6, 7, 8, 10, 11]);
/** CREATE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE. */
export const CLUSTER_OPERATIONS_ALL = operationBits([5, 7, 8, 9, 10, 11, 12]);
/** Kafka's "not requested" value for authorized operations. */
export const OPERATIONS_NOT_REQUESTED = -2147483648;

export const EMPTY_RECORDS: Buffer = Buffer.alloc(0);

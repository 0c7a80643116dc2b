/**
 * DescribeCluster (key 60), versions 0-1.
 *
 * The brokers on the caller's listener, the cluster id and the controller.
 * v1 adds the endpoint type: 1 asks for brokers (what we serve); 2 asks for
 * controllers, which a combined single node answers with itself.
 */
import { ApiKey } from '../../protocol/generated/api-registry.js';
import { ErrorCode } from '../../protocol/errors/index.js';
import { defineHandler } from './handler.js';
import { brokerEndpoints, CLUSTER_OPERATIONS_ALL, OPERATIONS_NOT_REQUESTED } from './common.js';

export const describeClusterHandler = defineHandler({
  apiKey: ApiKey.DescribeCluster,
  minVersion: 0,
  maxVersion: 1,
  handle(request, ctx) {
    if (request.endpointType !== 1 && request.endpointType !== 2) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.UNSUPPORTED_ENDPOINT_TYPE, errorMessage: `Unknown endpoint type ${request.endpointType}`, clusterId: ctx.broker.clusterId, brokers: [] };
    }
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      endpointType: request.endpointType,
      clusterId: ctx.broker.clusterId,
      controllerId: ctx.broker.nodeId,
      brokers: brokerEndpoints(ctx).map((b) => ({ brokerId: b.nodeId, host: b.host, port: b.port, rack: b.rack })),
      clusterAuthorizedOperations: request.includeClusterAuthorizedOperations ? CLUSTER_OPERATIONS_ALL : OPERATIONS_NOT_REQUESTED,
    };
  },
  errorResponse(_request, errorCode, ctx) {
    return { throttleTimeMs: 0, errorCode, clusterId: ctx.broker.clusterId, brokers: [] };
  },
});

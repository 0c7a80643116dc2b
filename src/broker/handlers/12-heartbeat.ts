/**
 * Heartbeat (key 12), versions 0-4.
 *
 * Keeps a member's session alive. REBALANCE_IN_PROGRESS tells it to rejoin;
 * UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION and FENCED_INSTANCE_ID that it is no
 * longer part of the generation it names.
 *
 * v1 adds throttle time; v3 group.instance.id; v4 is flexible.
 */
import { ApiKey } from '../../protocol/generated/api-registry.js';
import { groupCoordinatorFor, groupRequestContext } from '../../coordinator/group/group-coordinator-service.js';
import { defineHandler } from './handler.js';

export const heartbeatHandler = defineHandler({
  apiKey: ApiKey.Heartbeat,
  minVersion: 0,
  maxVersion: 4,
  handle(request, ctx) {
    return groupCoordinatorFor(ctx.broker).heartbeat(groupRequestContext(ctx), request);
  },
  errorResponse(_request, errorCode) {
    return { errorCode };
  },
});

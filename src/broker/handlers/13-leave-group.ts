/**
 * LeaveGroup (key 13), versions 0-5.
 *
 * Members leave at once instead of waiting for their session to expire, which
 * starts a rebalance for the rest. v0-2 name one member (its error is the
 * top-level error); v3 batches members and allows removing a static member by
 * group.instance.id alone (KIP-345, for admin tools); v4 is flexible; v5 adds
 * a reason per member.
 */
import { ApiKey } from '../../protocol/generated/api-registry.js';
import { groupCoordinatorFor, groupRequestContext } from '../../coordinator/group/group-coordinator-service.js';
import { defineHandler } from './handler.js';

export const leaveGroupHandler = defineHandler({
  apiKey: ApiKey.LeaveGroup,
  minVersion: 0,
  maxVersion: 5,
  handle(request, ctx) {
    return groupCoordinatorFor(ctx.broker).leaveGroup(groupRequestContext(ctx), request);
  },
  errorResponse(_request, errorCode) {
    return { errorCode, members: [] };
  },
});

/**
 * SyncGroup (key 14), versions 0-5.
 *
 * The leader sends the assignment it computed; every member gets its share
 * once the group metadata carrying it is durable in `__consumer_offsets`.
 * Followers that arrive first wait for the leader.
 *
 * v1 adds throttle time; v3 group.instance.id; v4 is flexible; v5 carries the
 * protocol type and name both ways (checked against the group's when given).
 */
import { ApiKey } from '../../protocol/generated/api-registry.js';
import { groupCoordinatorFor, groupRequestContext } from '../../coordinator/group/group-coordinator-service.js';
import { defineHandler } from './handler.js';

export const syncGroupHandler = defineHandler({
  apiKey: ApiKey.SyncGroup,
  minVersion: 0,
  maxVersion: 5,
  handle(request, ctx) {
    return groupCoordinatorFor(ctx.broker).syncGroup(groupRequestContext(ctx), request);
  },
  errorResponse(_request, errorCode) {
    return { errorCode, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) };
  },
});

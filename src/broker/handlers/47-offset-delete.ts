/**
 * OffsetDelete (key 47), version 0.
 *
 * Deletes a group's committed offsets for some partitions. Allowed in an
 * Empty group, or for topics a consumer-protocol group no longer subscribes
 * to (GROUP_SUBSCRIBED_TO_TOPIC otherwise); NON_EMPTY_GROUP for other live
 * groups, GROUP_ID_NOT_FOUND for unknown ones.
 */
import { ApiKey } from '../../protocol/generated/api-registry.js';
import { groupCoordinatorFor, groupRequestContext } from '../../coordinator/group/group-coordinator-service.js';
import { defineHandler } from './handler.js';

export const offsetDeleteHandler = defineHandler({
  apiKey: ApiKey.OffsetDelete,
  minVersion: 0,
  maxVersion: 0,
  handle(request, ctx) {
    return groupCoordinatorFor(ctx.broker).offsetDelete(groupRequestContext(ctx), request);
  },
  errorResponse(_request, errorCode) {
    return { errorCode, throttleTimeMs: 0, topics: [] };
  },
});

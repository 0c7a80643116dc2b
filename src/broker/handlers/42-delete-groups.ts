/**
 * DeleteGroups (key 42), versions 0-2.
 *
 * Deletes Empty groups with their committed offsets (tombstones in
 * `__consumer_offsets`); answered once those are durable. A group with
 * members is NON_EMPTY_GROUP, an unknown one GROUP_ID_NOT_FOUND.
 *
 * v1 changes nothing on the wire (throttling after the response); v2 is
 * flexible.
 */
import { ApiKey } from '../../protocol/generated/api-registry.js';
import { groupCoordinatorFor, groupRequestContext } from '../../coordinator/group/group-coordinator-service.js';
import { defineHandler } from './handler.js';

export const deleteGroupsHandler = defineHandler({
  apiKey: ApiKey.DeleteGroups,
  minVersion: 0,
  maxVersion: 2,
  handle(request, ctx) {
    return groupCoordinatorFor(ctx.broker).deleteGroups(groupRequestContext(ctx), request);
  },
  errorResponse(request, errorCode) {
    return { throttleTimeMs: 0, results: request.groupsNames.map((groupId) => ({ groupId, errorCode })) };
  },
});

/**
 * ListGroups (key 16), versions 0-5.
 *
 * Every group this node coordinates, including "simple" groups that only
 * hold offsets (empty protocol type). A partition still loading makes the
 * answer COORDINATOR_LOAD_IN_PROGRESS with what is known so far.
 *
 * v1 adds throttle time; v3 is flexible; v4 filters by state (case does not
 * matter) and reports it; v5 filters by type ("classic" is all Samsa has).
 */
import { ApiKey } from '../../protocol/generated/api-registry.js';
import { groupCoordinatorFor, groupRequestContext } from '../../coordinator/group/group-coordinator-service.js';
import { defineHandler } from './handler.js';

export const listGroupsHandler = defineHandler({
  apiKey: ApiKey.ListGroups,
  minVersion: 0,
  maxVersion: 5,
  handle(request, ctx) {
    return groupCoordinatorFor(ctx.broker).listGroups(groupRequestContext(ctx), request);
  },
  errorResponse(_request, errorCode) {
    return { errorCode, groups: [] };
  },
});

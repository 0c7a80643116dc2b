/**
 * DescribeGroups (key 15), versions 0-5.
 *
 * State, protocol and members of each group. Member metadata and assignments
 * are only filled in while the group is Stable (as Kafka does); a group that
 * does not exist is reported as Dead with no error.
 *
 * v1 adds throttle time; v3 authorized operations (every group operation:
 * there is no authorizer yet); v4 group.instance.id; v5 is flexible.
 */
import { ApiKey } from '../../protocol/generated/api-registry.js';
import { groupCoordinatorFor, groupRequestContext } from '../../coordinator/group/group-coordinator-service.js';
import { defineHandler } from './handler.js';

export const describeGroupsHandler = defineHandler({
  apiKey: ApiKey.DescribeGroups,
  minVersion: 0,
  maxVersion: 5,
  handle(request, ctx) {
    return groupCoordinatorFor(ctx.broker).describeGroups(groupRequestContext(ctx), request);
  },
  errorResponse(request, errorCode) {
    return {
      groups: request.groups.map((groupId) => ({ errorCode, groupId, groupState: '', protocolType: '', protocolData: '', members: [] })),
    };
  },
});

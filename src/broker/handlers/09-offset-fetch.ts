/**
 * OffsetFetch (key 9), versions 0-9.
 *
 * Committed offsets of a group: -1 (with no error) for partitions without
 * one. Null topics (v2+) ask for everything the group has. Offsets of
 * transactions not decided yet are not shown; with requireStable (v7+,
 * KIP-447) a partition that has one answers UNSTABLE_OFFSET_COMMIT (offset
 * -1), which clients retry until the marker lands.
 *
 * v1 reads from `__consumer_offsets` (v0 meant ZooKeeper; both are served
 * from the same place here); v2 adds a top-level error and null topics; v3
 * throttle time; v5 leader epochs; v6 is flexible; v7 requireStable; v8
 * batches groups; v9 adds member id and epoch for KIP-848 groups (ignored by
 * classic groups).
 */
import { ApiKey } from '../../protocol/generated/api-registry.js';
import { groupCoordinatorFor, groupRequestContext } from '../../coordinator/group/group-coordinator-service.js';
import { defineHandler } from './handler.js';

const BATCHED_GROUPS_VERSION = 8;

export const offsetFetchHandler = defineHandler({
  apiKey: ApiKey.OffsetFetch,
  minVersion: 0,
  maxVersion: 9,
  handle(request, ctx) {
    return groupCoordinatorFor(ctx.broker).offsetFetch(groupRequestContext(ctx), request);
  },
  errorResponse(request, errorCode, ctx) {
    if (ctx.apiVersion >= BATCHED_GROUPS_VERSION) {
      return { topics: [], groups: request.groups.map((g) => ({ groupId: g.groupId, errorCode, topics: [] })) };
    }
    return { errorCode, topics: [] };
  },
});

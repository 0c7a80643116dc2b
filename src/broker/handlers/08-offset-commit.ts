/**
 * OffsetCommit (key 8), versions 0-9.
 *
 * Stores consumers' positions in `__consumer_offsets`; answered once the
 * records are durable. Members commit with their generation; consumers that
 * use assign() (and admin tools) commit with generation -1 and no member id,
 * accepted while the group has no members. Partitions of unknown topics get
 * UNKNOWN_TOPIC_OR_PARTITION, metadata longer than offset.metadata.max.bytes
 * OFFSET_METADATA_TOO_LARGE.
 *
 * v1 adds generation, member id and a per-partition commit timestamp; v2-v4
 * a retention time (kept as an expire timestamp); v5 drops the retention
 * time; v6 adds the leader epoch; v7 group.instance.id; v8 is flexible; v9
 * answers GROUP_ID_NOT_FOUND instead of ILLEGAL_GENERATION for a missing group.
 */
import { ApiKey } from '../../protocol/generated/api-registry.js';
import { groupCoordinatorFor, groupRequestContext } from '../../coordinator/group/group-coordinator-service.js';
import { defineHandler } from './handler.js';

export const offsetCommitHandler = defineHandler({
  apiKey: ApiKey.OffsetCommit,
  minVersion: 0,
  maxVersion: 9,
  handle(request, ctx) {
    return groupCoordinatorFor(ctx.broker).offsetCommit(groupRequestContext(ctx), request);
  },
  errorResponse(request, errorCode) {
    return {
      topics: request.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })),
    };
  },
});

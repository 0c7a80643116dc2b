/**
 * ElectLeaders (key 43), versions 0-2.
 *
 * Preferred (0) or unclean (1) leader election. Each partition's leader is
 * its first replica, so a preferred election is never needed, and an unclean
 * one is needed only for a partition without a live leader; Samsa answers
 * ELECTION_NOT_NEEDED, as Kafka does, and ELIGIBLE_LEADERS_NOT_AVAILABLE /
 * PREFERRED_LEADER_NOT_AVAILABLE for a leaderless partition until partition
 * reassignment exists. Unknown topics or partitions are
 * UNKNOWN_TOPIC_OR_PARTITION. A null partition list means every partition,
 * and then partitions that need no election are left out of the answer; an
 * empty list answers nothing. An unknown election type fails the request
 * with INVALID_REQUEST.
 *
 * v1 adds the election type and a top-level error code; v2 is flexible.
 */
import { ApiKey } from '../../protocol/generated/api-registry.js';
import { ErrorCode } from '../../protocol/errors/index.js';
import type { MetadataImage } from '../../metadata/image.js';
import type { ElectLeadersResponseReplicaElectionResultInput } from '../../protocol/generated/messages/elect-leaders-response.js';
import { defineHandler } from './handler.js';

const PREFERRED = 0;
const UNCLEAN = 1;

interface Election {
  errorCode: number;
  errorMessage: string | null;
}

function elect(image: MetadataImage, topicName: string, partitionId: number, electionType: number): Election {
  const topic = image.topic(topicName);
  if (topic === undefined) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `No such topic as ${topicName}` };
  const partition = topic.partitions[partitionId];
  if (partition === undefined) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `No such partition as ${topicName}-${partitionId}` };
  const live = (id: number): boolean => image.brokers.get(id)?.fenced === false;
  const hasLeader = partition.leader >= 0 && live(partition.leader);
  const preferred = partition.replicas[0];
  if (electionType === PREFERRED && hasLeader && partition.leader === preferred) return { errorCode: ErrorCode.ELECTION_NOT_NEEDED, errorMessage: null };
  if (electionType === UNCLEAN && hasLeader) return { errorCode: ErrorCode.ELECTION_NOT_NEEDED, errorMessage: null };
  return electionType === PREFERRED
    ? { errorCode: ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE, errorMessage: null }
    : { errorCode: ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE, errorMessage: null };
}

export const electLeadersHandler = defineHandler({
  apiKey: ApiKey.ElectLeaders,
  minVersion: 0,
  maxVersion: 2,
  handle(request, ctx) {
    const electionType = ctx.apiVersion >= 1 ? request.electionType : PREFERRED;
    if (electionType !== PREFERRED && electionType !== UNCLEAN) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REQUEST, replicaElectionResults: [] };
    }
    const image = ctx.broker.image();
    const results: ElectLeadersResponseReplicaElectionResultInput[] = [];
    if (request.topicPartitions === null) {
      for (const topic of image.topicsByName.values()) {
        const partitionResult = topic.partitions
          .map((p) => ({ partitionId: p.partitionId, ...elect(image, topic.name, p.partitionId, electionType) }))
          .filter((r) => r.errorCode !== ErrorCode.ELECTION_NOT_NEEDED);
        results.push({ topic: topic.name, partitionResult });
      }
    } else {
      for (const t of request.topicPartitions) {
        results.push({ topic: t.topic, partitionResult: t.partitions.map((partitionId) => ({ partitionId, ...elect(image, t.topic, partitionId, electionType) })) });
      }
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, replicaElectionResults: results };
  },
  errorResponse(_request, errorCode) {
    return { throttleTimeMs: 0, errorCode, replicaElectionResults: [] };
  },
});

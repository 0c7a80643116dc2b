/**
 * Metadata (key 3), versions 0-12.
 *
 * Brokers, cluster id, controller, and per topic its id, partitions, leader,
 * leader epoch, replicas and ISR, from the current MetadataImage.
 *
 * Topics asked for by name that do not exist are created when the request
 * allows it (always before v4, `allowAutoTopicCreation` from v4) and
 * `auto.create.topics.enable` is true, with `num.partitions` partitions.
 * Samsa waits for the creation to commit and answers with the new topic
 * ready, where Kafka answers LEADER_NOT_AVAILABLE first and makes the client
 * ask again; clients accept both.
 *
 * v0: an empty topic list means all topics; v1+: null means all, empty none.
 * v8 adds authorized operations (everything is allowed without an
 * authorizer); v10 topic ids; v12 lookup by topic id with a null name.
 */
import { ApiKey } from '../../protocol/generated/api-registry.js';
import { ErrorCode } from '../../protocol/errors/index.js';
import type { MetadataResponseTopicInput } from '../../protocol/generated/messages/metadata-response.js';
import type { TopicImage } from '../../metadata/image.js';
import { topicNameProblem } from '../../metadata/controller.js';
import { ZERO_UUID } from '../../metadata/uuid.js';
import { defineHandler, type RequestContext } from './handler.js';
import { brokerEndpoints, CLUSTER_OPERATIONS_ALL, OPERATIONS_NOT_REQUESTED, TOPIC_OPERATIONS_ALL } from './common.js';

function describeTopic(topic: TopicImage, withOperations: boolean): MetadataResponseTopicInput {
  return {
    errorCode: ErrorCode.NONE,
    name: topic.name,
    topicId: topic.topicId,
    isInternal: topic.name === '__consumer_offsets' || topic.name === '__transaction_state',
    partitions: topic.partitions.map((p) => ({
      errorCode: ErrorCode.NONE,
      partitionIndex: p.partitionId,
      leaderId: p.leader,
      leaderEpoch: p.leaderEpoch,
      replicaNodes: p.replicas.slice(),
      isrNodes: p.isr.slice(),
      offlineReplicas: [],
    })),
    topicAuthorizedOperations: withOperations ? TOPIC_OPERATIONS_ALL : OPERATIONS_NOT_REQUESTED,
  };
}

function missingTopic(name: string | null, topicId: string, errorCode: number): MetadataResponseTopicInput {
  return { errorCode, name, topicId, partitions: [] };
}

/** Creates the named topics with the broker defaults; returns the ones that exist afterwards. */
export async function autoCreateTopics(ctx: RequestContext, names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  await ctx.broker.controller.createTopics(
    names.map((name) => ({ name, numPartitions: -1, replicationFactor: -1, assignments: [], configs: new Map() })),
    false,
  );
}

export const metadataHandler = defineHandler({
  apiKey: ApiKey.Metadata,
  minVersion: 0,
  maxVersion: 12,
  async handle(request, ctx) {
    const v = ctx.apiVersion;
    const allTopics = request.topics === null || (v === 0 && request.topics.length === 0);
    const withTopicOps = v >= 8 && request.includeTopicAuthorizedOperations;
    const allowAutoCreate = ctx.broker.config.autoCreateTopicsEnable && (v < 4 || request.allowAutoTopicCreation);

    let image = ctx.broker.image();
    if (!allTopics && allowAutoCreate) {
      const toCreate = new Set<string>();
      for (const t of request.topics ?? []) {
        if (t.name !== null && image.topic(t.name) === undefined && topicNameProblem(t.name) === null && !t.name.startsWith('__')) {
          toCreate.add(t.name);
        }
      }
      if (toCreate.size > 0) {
        await autoCreateTopics(ctx, [...toCreate]);
        image = ctx.broker.image();
      }
    }

    const topics: MetadataResponseTopicInput[] = [];
    if (allTopics) {
      for (const topic of image.topicsByName.values()) topics.push(describeTopic(topic, withTopicOps));
    } else {
      for (const t of request.topics ?? []) {
        if (t.name === null) {
          const topic = t.topicId === ZERO_UUID ? undefined : image.topicById(t.topicId);
          topics.push(topic === undefined ? missingTopic(null, t.topicId, ErrorCode.UNKNOWN_TOPIC_ID) : describeTopic(topic, withTopicOps));
          continue;
        }
        const topic = image.topic(t.name);
        if (topic !== undefined) topics.push(describeTopic(topic, withTopicOps));
        else if (topicNameProblem(t.name) !== null) topics.push(missingTopic(t.name, ZERO_UUID, ErrorCode.INVALID_TOPIC_EXCEPTION));
        else topics.push(missingTopic(t.name, ZERO_UUID, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
      }
    }

    return {
      brokers: brokerEndpoints(ctx),
      clusterId: ctx.broker.clusterId,
      controllerId: ctx.broker.nodeId,
      topics,
      clusterAuthorizedOperations: v >= 8 && v <= 10 && request.includeClusterAuthorizedOperations ? CLUSTER_OPERATIONS_ALL : OPERATIONS_NOT_REQUESTED,
    };
  },
  errorResponse(request, errorCode, ctx) {
    return {
      brokers: brokerEndpoints(ctx),
      clusterId: ctx.broker.clusterId,
      controllerId: ctx.broker.nodeId,
      topics: (request.topics ?? []).map((t) => missingTopic(t.name, t.topicId, errorCode)),
    };
  },
});

/**
 * CreateTopics (key 19), versions 0-7.
 *
 * Validated and committed by the controller: name rules, existing names and
 * '.'/'_' collisions, partition count and replication factor (-1 takes the
 * broker defaults num.partitions and default.replication.factor), explicit
 * replica assignments, topic configs (unknown names and bad values are
 * INVALID_CONFIG, with Kafka's messages: checked by name, type and range).
 * A replication factor above the number of live brokers is
 * INVALID_REPLICATION_FACTOR. `validateOnly` runs every check and creates
 * nothing, and still answers (v5+) the configs the topic would get. A name
 * given twice in one request fails both entries with INVALID_REQUEST. There
 * is no create-topic policy, so POLICY_VIOLATION never happens.
 *
 * The configs answered (v5+) are every topic config with its value and
 * source, including broker defaults changed at runtime (see
 * config/dynamic-config.ts).
 *
 * The topic exists, with its leader, as soon as this answers: a single node
 * has nothing to wait for, so `timeoutMs` never expires.
 *
 * v1 adds validateOnly; v2 error messages; v5 (flexible in v5) the resulting
 * partition count, replication factor and configs; v7 the topic id.
 */
import { ApiKey } from '../../protocol/generated/api-registry.js';
import { ErrorCode, errorByName } from '../../protocol/errors/index.js';
import type { CreateTopicsResponseCreatableTopicResultInput } from '../../protocol/generated/messages/create-topics-response.js';
import type { CreateTopicSpec } from '../../metadata/controller.js';
import { describeTopicConfigs } from '../config/dynamic-config.js';
import { defineHandler } from './handler.js';

export const createTopicsHandler = defineHandler({
  apiKey: ApiKey.CreateTopics,
  minVersion: 0,
  maxVersion: 7,
  async handle(request, ctx) {
    const counts = new Map<string, number>();
    for (const t of request.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);

    const results = new Map<number, CreateTopicsResponseCreatableTopicResultInput>();
    const specs: CreateTopicSpec[] = [];
    const specIndex: number[] = [];
    request.topics.forEach((t, i) => {
      const fail = (errorCode: number, errorMessage: string): void => {
        results.set(i, { name: t.name, errorCode, errorMessage });
      };
      if (counts.get(t.name)! > 1) return fail(ErrorCode.INVALID_REQUEST, `Create topics request from client contains a duplicate topic: ${t.name}`);
      const configs = new Map<string, string>();
      for (const c of t.configs) {
        if (c.value === null) return fail(ErrorCode.INVALID_REQUEST, `Null value not supported for topic configs: ${c.name}`);
        configs.set(c.name, c.value);
      }
      specs.push({
        name: t.name,
        numPartitions: t.numPartitions,
        replicationFactor: t.replicationFactor,
        assignments: t.assignments.map((a) => ({ partitionIndex: a.partitionIndex, brokerIds: a.brokerIds })),
        configs,
      });
      specIndex.push(i);
    });

    const outcomes = await ctx.broker.controller.createTopics(specs, request.validateOnly);
    outcomes.forEach((outcome, k) => {
      const i = specIndex[k]!;
      if (!outcome.ok) {
        results.set(i, { name: outcome.name, errorCode: errorByName(outcome.error).code, errorMessage: outcome.message });
        return;
      }
      results.set(i, {
        name: outcome.name,
        topicId: outcome.topicId,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        numPartitions: outcome.numPartitions,
        replicationFactor: outcome.replicationFactor,
        configs: describeTopicConfigs(ctx.broker.config, ctx.broker.image(), outcome.configs).map((c) => ({
          name: c.name,
          value: c.value,
          readOnly: c.readOnly,
          configSource: c.source,
          isSensitive: c.isSensitive,
        })),
      });
    });
    return { throttleTimeMs: 0, topics: request.topics.map((_t, i) => results.get(i)!) };
  },
  errorResponse(request, errorCode) {
    return { throttleTimeMs: 0, topics: request.topics.map((t) => ({ name: t.name, errorCode })) };
  },
});

/**
 * DeleteTopics (key 20), versions 0-6.
 *
 * Topics by name (v0-5) or by name or id (v6). The controller commits a
 * RemoveTopicRecord per topic; the broker then closes the partitions and
 * removes their directories. With `delete.topic.enable=false` every topic
 * answers TOPIC_DELETION_DISABLED.
 *
 * v5 adds error messages; v6 (flexible from v4) topic ids.
 */
import { ApiKey } from '../../protocol/generated/api-registry.js';
import { ErrorCode, errorByName } from '../../protocol/errors/index.js';
import type { DeleteTopicsResponseDeletableTopicResultInput } from '../../protocol/generated/messages/delete-topics-response.js';
import { ZERO_UUID } from '../../metadata/uuid.js';
import { defineHandler } from './handler.js';

interface Target {
  name: string | null;
  topicId: string;
}

function targets(request: { topics: Array<{ name: string | null; topicId: string }>; topicNames: string[] }, version: number): Target[] {
  return version >= 6 ? request.topics.map((t) => ({ name: t.name, topicId: t.topicId })) : request.topicNames.map((name) => ({ name, topicId: ZERO_UUID }));
}

export const deleteTopicsHandler = defineHandler({
  apiKey: ApiKey.DeleteTopics,
  minVersion: 0,
  maxVersion: 6,
  async handle(request, ctx) {
    const image = ctx.broker.image();
    const wanted = targets(request, ctx.apiVersion);
    const results: DeleteTopicsResponseDeletableTopicResultInput[] = new Array(wanted.length);
    const toDelete: Array<{ index: number; topicId: string }> = [];
    wanted.forEach((t, i) => {
      const answer = (errorCode: number, errorMessage: string | null, name = t.name, topicId = t.topicId): void => {
        results[i] = { name, topicId, errorCode, errorMessage };
      };
      if (!ctx.broker.config.deleteTopicEnable) return answer(ErrorCode.TOPIC_DELETION_DISABLED, 'Topic deletion is disabled.');
      const byId = t.topicId !== ZERO_UUID;
      if (byId && t.name !== null) return answer(ErrorCode.INVALID_REQUEST, 'Topic name and topic id must not both be set.');
      const topic = byId ? image.topicById(t.topicId) : t.name === null ? undefined : image.topic(t.name);
      if (topic === undefined) {
        return byId
          ? answer(ErrorCode.UNKNOWN_TOPIC_ID, `Topic id ${t.topicId} not found.`)
          : answer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.');
      }
      results[i] = { name: topic.name, topicId: topic.topicId, errorCode: ErrorCode.NONE, errorMessage: null };
      toDelete.push({ index: i, topicId: topic.topicId });
    });
    const outcomes = await ctx.broker.controller.deleteTopics(toDelete.map((d) => d.topicId));
    outcomes.forEach((outcome, k) => {
      if (outcome.ok) return;
      const i = toDelete[k]!.index;
      results[i] = { ...results[i]!, errorCode: errorByName(outcome.error).code, errorMessage: outcome.message };
    });
    return { throttleTimeMs: 0, responses: results };
  },
  errorResponse(request, errorCode, ctx) {
    return { throttleTimeMs: 0, responses: targets(request, ctx.apiVersion).map((t) => ({ name: t.name, topicId: t.topicId, errorCode })) };
  },
});

/**
 * CreatePartitions (key 37), versions 0-3.
 *
 * Raises a topic's partition count. New partitions keep the topic's
 * replication factor; without assignments the controller places them on the
 * live brokers (on one node: itself), with assignments each new partition's
 * replica list is checked (INVALID_REPLICA_ASSIGNMENT). A count that is not
 * an increase is INVALID_PARTITIONS; a topic named twice is INVALID_REQUEST.
 * The partitions exist, with their logs open, when this answers, so
 * `timeoutMs` never expires. `validateOnly` checks and creates nothing.
 *
 * v1 is the same as v0; v2 is flexible; v3 is the same as v2.
 */
import { ApiKey } from '../../protocol/generated/api-registry.js';
import { ErrorCode, errorByName } from '../../protocol/errors/index.js';
import type { CreatePartitionsResponseCreatePartitionsTopicResultInput } from '../../protocol/generated/messages/create-partitions-response.js';
import type { CreatePartitionsSpec } from '../../metadata/controller.js';
import { defineHandler } from './handler.js';

export const createPartitionsHandler = defineHandler({
  apiKey: ApiKey.CreatePartitions,
  minVersion: 0,
  maxVersion: 3,
  async handle(request, ctx) {
    const counts = new Map<string, number>();
    for (const t of request.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
    const results: CreatePartitionsResponseCreatePartitionsTopicResultInput[] = request.topics.map((t) => ({ name: t.name, errorCode: ErrorCode.NONE, errorMessage: null }));
    const specs: CreatePartitionsSpec[] = [];
    const specIndex: number[] = [];
    request.topics.forEach((t, i) => {
      if (counts.get(t.name)! > 1) {
        results[i] = { name: t.name, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Duplicate topic name.' };
        return;
      }
      specs.push({ name: t.name, count: t.count, assignments: t.assignments === null ? null : t.assignments.map((a) => a.brokerIds) });
      specIndex.push(i);
    });
    const outcomes = await ctx.broker.controller.createPartitions(specs, request.validateOnly);
    outcomes.forEach((outcome, k) => {
      if (outcome.ok) return;
      results[specIndex[k]!] = { name: outcome.name, errorCode: errorByName(outcome.error).code, errorMessage: outcome.message };
    });
    return { throttleTimeMs: 0, results };
  },
  errorResponse(request, errorCode) {
    return { throttleTimeMs: 0, results: request.topics.map((t) => ({ name: t.name, errorCode, errorMessage: null })) };
  },
});

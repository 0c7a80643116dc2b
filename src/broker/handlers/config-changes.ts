/**
 * What AlterConfigs and IncrementalAlterConfigs share: turning each resource
 * into a plan the controller runs against the current image, and answering
 * per resource. A resource named twice in one request fails every time it
 * appears, with INVALID_REQUEST, as Kafka answers.
 */
import { ErrorCode, errorByName } from '../../protocol/errors/index.js';
import type { ConfigChange } from '../../metadata/controller.js';
import { ConfigResourceType } from '../../metadata/records.js';
import { ConfigResourceTypeId, planBrokerConfigChange, planTopicConfigChange, type ConfigOperation } from '../config/dynamic-config.js';
import type { RequestContext } from './handler.js';

export interface ConfigResourceChange {
  readonly resourceType: number;
  readonly resourceName: string;
  readonly ops: readonly ConfigOperation[];
}

export interface ConfigResourceResult {
  errorCode: number;
  errorMessage: string | null;
  resourceType: number;
  resourceName: string;
}

export async function changeConfigs(
  ctx: RequestContext,
  resources: readonly ConfigResourceChange[],
  replace: boolean,
  validateOnly: boolean,
): Promise<ConfigResourceResult[]> {
  const results: ConfigResourceResult[] = resources.map((r) => ({ errorCode: ErrorCode.NONE, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName }));
  const counts = new Map<string, number>();
  const key = (r: ConfigResourceChange): string => `${r.resourceType}:${r.resourceName}`;
  for (const r of resources) counts.set(key(r), (counts.get(key(r)) ?? 0) + 1);

  const changes: ConfigChange[] = [];
  const changeIndex: number[] = [];
  resources.forEach((r, i) => {
    const fail = (errorCode: number, errorMessage: string): void => {
      results[i] = { ...results[i]!, errorCode, errorMessage };
    };
    if (counts.get(key(r))! > 1) return fail(ErrorCode.INVALID_REQUEST, 'Duplicate resource.');
    const config = ctx.broker.config;
    if (r.resourceType === ConfigResourceTypeId.topic) {
      changes.push({ resourceType: ConfigResourceType.topic, resourceName: r.resourceName, plan: (image) => planTopicConfigChange(config, image, r.resourceName, r.ops, replace) });
    } else if (r.resourceType === ConfigResourceTypeId.broker) {
      changes.push({ resourceType: ConfigResourceType.broker, resourceName: r.resourceName, plan: (image) => planBrokerConfigChange(config, image, r.resourceName, r.ops, replace) });
    } else {
      return fail(ErrorCode.INVALID_REQUEST, `Unsupported resource type: ${r.resourceType}`);
    }
    changeIndex.push(i);
  });
  const outcomes = await ctx.broker.controller.alterConfigs(changes, validateOnly);
  outcomes.forEach((outcome, k) => {
    if (outcome.ok) return;
    const i = changeIndex[k]!;
    results[i] = { ...results[i]!, errorCode: errorByName(outcome.error).code, errorMessage: outcome.message };
  });
  return results;
}

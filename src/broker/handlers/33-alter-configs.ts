/**
 * AlterConfigs (key 33), versions 0-2.
 *
 * The legacy, whole-set form: the configs given become the resource's
 * entire set of dynamic configs; keys not given go back to their defaults.
 * Topics (type 2) and brokers (type 4, a broker id or "" for the cluster
 * default). Changes are committed as ConfigRecords through the controller,
 * so they survive restart, and reach the live logs and request checks as
 * soon as they commit. `validateOnly` checks and writes nothing.
 *
 * Topic configs are checked by name, type and range (INVALID_CONFIG; a
 * missing topic is UNKNOWN_TOPIC_OR_PARTITION). Every problem with a broker
 * config (static-only key, bad value) is INVALID_REQUEST, as in Kafka.
 *
 * v1 is the same as v0; v2 is flexible.
 */
import { ApiKey } from '../../protocol/generated/api-registry.js';
import { AlterConfigOp } from '../config/dynamic-config.js';
import { defineHandler } from './handler.js';
import { changeConfigs } from './config-changes.js';

export const alterConfigsHandler = defineHandler({
  apiKey: ApiKey.AlterConfigs,
  minVersion: 0,
  maxVersion: 2,
  async handle(request, ctx) {
    const responses = await changeConfigs(
      ctx,
      request.resources.map((r) => ({
        resourceType: r.resourceType,
        resourceName: r.resourceName,
        ops: r.configs.map((c) => ({ name: c.name, op: AlterConfigOp.set, value: c.value })),
      })),
      true,
      request.validateOnly,
    );
    return { throttleTimeMs: 0, responses };
  },
  errorResponse(request, errorCode) {
    return { throttleTimeMs: 0, responses: request.resources.map((r) => ({ errorCode, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName })) };
  },
});

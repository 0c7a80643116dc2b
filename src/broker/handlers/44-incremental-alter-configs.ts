/**
 * IncrementalAlterConfigs (key 44), versions 0-1.
 *
 * Key-by-key changes: SET (0), DELETE (1, back to the default), APPEND (2)
 * and SUBTRACT (3) on list-typed configs (e.g. cleanup.policy), starting
 * from the value in force when the resource has none of its own. Topics
 * (type 2) and brokers (type 4, a broker id or "" for the cluster default).
 * Committed as ConfigRecords through the controller, so changes survive
 * restart and reach the live logs at once. `validateOnly` writes nothing.
 *
 * Errors per resource as AlterConfigs: topic config problems are
 * INVALID_CONFIG (APPEND/SUBTRACT on a non-list config too), broker config
 * problems INVALID_REQUEST, a key given twice or an unknown operation
 * INVALID_REQUEST.
 *
 * v1 is flexible.
 */
import { ApiKey } from '../../protocol/generated/api-registry.js';
import { defineHandler } from './handler.js';
import { changeConfigs } from './config-changes.js';

export const incrementalAlterConfigsHandler = defineHandler({
  apiKey: ApiKey.IncrementalAlterConfigs,
  minVersion: 0,
  maxVersion: 1,
  async handle(request, ctx) {
    const responses = await changeConfigs(
      ctx,
      request.resources.map((r) => ({
        resourceType: r.resourceType,
        resourceName: r.resourceName,
        ops: r.configs.map((c) => ({ name: c.name, op: c.configOperation, value: c.value })),
      })),
      false,
      request.validateOnly,
    );
    return { throttleTimeMs: 0, responses };
  },
  errorResponse(request, errorCode) {
    return { throttleTimeMs: 0, responses: request.resources.map((r) => ({ errorCode, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName })) };
  },
});

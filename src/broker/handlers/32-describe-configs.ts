/**
 * DescribeConfigs (key 32), versions 0-4.
 *
 * Topics (type 2) and brokers (type 4): this broker by its id, or the
 * cluster-wide dynamic defaults by the empty name. A topic reports every
 * topic config, a broker every config Samsa knows plus any other key set for
 * it, each with its value, where it came from (topic override, dynamic
 * broker, dynamic default, static file/options, Kafka's default) and, when
 * asked, the synonyms behind it (see config/dynamic-config.ts). Sensitive
 * (password-typed or unknown) broker configs report a null value. Broker
 * configs are read-only unless Samsa can change them at runtime; topic
 * configs never are. There is no config documentation (always null).
 *
 * Errors per resource: an unknown topic is UNKNOWN_TOPIC_OR_PARTITION, a bad
 * topic name INVALID_TOPIC_EXCEPTION, another broker's id or a resource type
 * we do not keep configs for (broker loggers, groups, client metrics)
 * INVALID_REQUEST.
 *
 * v1 adds includeSynonyms, the config source (instead of isDefault) and
 * synonyms; v2 is the same as v1; v3 adds includeDocumentation, the config
 * type and documentation; v4 is flexible.
 */
import { ApiKey } from '../../protocol/generated/api-registry.js';
import { ErrorCode } from '../../protocol/errors/index.js';
import type { DescribeConfigsResponseDescribeConfigsResultInput } from '../../protocol/generated/messages/describe-configs-response.js';
import { topicNameProblem } from '../../metadata/controller.js';
import { ConfigSource } from '../config/topic-config.js';
import { ConfigResourceTypeId, describeBrokerConfigs, describeTopicConfigs, type DescribedConfig } from '../config/dynamic-config.js';
import { defineHandler } from './handler.js';

export const describeConfigsHandler = defineHandler({
  apiKey: ApiKey.DescribeConfigs,
  minVersion: 0,
  maxVersion: 4,
  handle(request, ctx) {
    const image = ctx.broker.image();
    const config = ctx.broker.config;
    const synonymsWanted = ctx.apiVersion >= 1 && request.includeSynonyms;
    const results = request.resources.map((resource): DescribeConfigsResponseDescribeConfigsResultInput => {
      const answer = (configs: DescribedConfig[]): DescribeConfigsResponseDescribeConfigsResultInput => {
        const keys = resource.configurationKeys;
        const wanted = keys === null || keys.length === 0 ? configs : configs.filter((c) => keys.includes(c.name));
        return {
          errorCode: ErrorCode.NONE,
          errorMessage: null,
          resourceType: resource.resourceType,
          resourceName: resource.resourceName,
          configs: wanted.map((c) => ({
            name: c.name,
            value: c.value,
            readOnly: c.readOnly,
            isDefault: c.source === ConfigSource.default,
            configSource: c.source,
            isSensitive: c.isSensitive,
            synonyms: synonymsWanted ? c.synonyms.map((s) => ({ ...s })) : [],
            configType: c.configType,
            documentation: null,
          })),
        };
      };
      const fail = (errorCode: number, errorMessage: string | null): DescribeConfigsResponseDescribeConfigsResultInput => ({
        errorCode,
        errorMessage,
        resourceType: resource.resourceType,
        resourceName: resource.resourceName,
        configs: [],
      });
      switch (resource.resourceType) {
        case ConfigResourceTypeId.topic: {
          const problem = topicNameProblem(resource.resourceName);
          if (problem !== null) return fail(ErrorCode.INVALID_TOPIC_EXCEPTION, problem);
          const topic = image.topic(resource.resourceName);
          if (topic === undefined) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, null);
          return answer(describeTopicConfigs(config, image, topic.configs));
        }
        case ConfigResourceTypeId.broker: {
          if (resource.resourceName === '') return answer(describeBrokerConfigs(config, image, false));
          if (!/^-?\d+$/.test(resource.resourceName)) return fail(ErrorCode.INVALID_REQUEST, `Broker id must be an integer, but it is: ${resource.resourceName}`);
          if (Number(resource.resourceName) !== ctx.broker.nodeId) {
            return fail(ErrorCode.INVALID_REQUEST, `Unexpected broker id, expected ${ctx.broker.nodeId} or empty string, but received ${resource.resourceName}`);
          }
          return answer(describeBrokerConfigs(config, image, true));
        }
        default:
          return fail(ErrorCode.INVALID_REQUEST, `Unsupported resource type: ${resource.resourceType}`);
      }
    });
    return { throttleTimeMs: 0, results };
  },
  errorResponse(request, errorCode) {
    return {
      throttleTimeMs: 0,
      results: request.resources.map((r) => ({ errorCode, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName, configs: [] })),
    };
  },
});

/**
 * ApiVersions (key 18), versions 0-4.
 *
 * Lists exactly the APIs this broker has a handler for, with the version
 * ranges those handlers serve (the table in ./index.ts is the only source).
 * A request with a version above ours never reaches here: the dispatcher
 * answers it with UNSUPPORTED_VERSION and this same list (KIP-511).
 *
 * v1 adds throttle time; v3 (flexible) adds the client's software name and
 * version, which must match Kafka's pattern or the answer is INVALID_REQUEST,
 * and the supported and finalized features (metadata.version).
 */
import { ApiKey } from '../../protocol/generated/api-registry.js';
import { ErrorCode } from '../../protocol/errors/index.js';
import { defineHandler } from './handler.js';

/** Kafka's rule for client software names and versions (KIP-511). */
const SOFTWARE_PATTERN = /^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$/;

/** The metadata.version levels this broker can run: 3.3-IV0 (4) to 3.9-IV0 (21). */
export const METADATA_VERSION_MIN = 4;
export const METADATA_VERSION_MAX = 21;

export const apiVersionsHandler = defineHandler({
  apiKey: ApiKey.ApiVersions,
  minVersion: 0,
  maxVersion: 4,
  handle(request, ctx) {
    const apiKeys = ctx.broker.apiVersions.map((v) => ({ ...v }));
    if (ctx.apiVersion >= 3 && (!SOFTWARE_PATTERN.test(request.clientSoftwareName) || !SOFTWARE_PATTERN.test(request.clientSoftwareVersion))) {
      return { errorCode: ErrorCode.INVALID_REQUEST, apiKeys };
    }
    const image = ctx.broker.image();
    const level = image.features.get('metadata.version') ?? ctx.broker.metadataVersion;
    return {
      errorCode: ErrorCode.NONE,
      apiKeys,
      supportedFeatures: [{ name: 'metadata.version', minVersion: METADATA_VERSION_MIN, maxVersion: METADATA_VERSION_MAX }],
      finalizedFeaturesEpoch: BigInt(image.offset),
      finalizedFeatures: [{ name: 'metadata.version', minVersionLevel: level, maxVersionLevel: level }],
    };
  },
  errorResponse(_request, errorCode, ctx) {
    return { errorCode, apiKeys: ctx.broker.apiVersions.map((v) => ({ ...v })) };
  },
});

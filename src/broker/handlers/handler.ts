/**
 * The shape of a request handler and what it may use. Each API lives in its
 * own file (`NN-api-name.ts`) exporting one `defineHandler(...)`; the table
 * in `index.ts` lists them, and ApiVersions is built from that table.
 */
import { apiDefinitions, type ApiDefinition, type ApiKey, type ApiMessages } from '../../protocol/generated/api-registry.js';
import type { RequestHeader } from '../../protocol/generated/messages/request-header.js';
import type { Reader } from '../../protocol/primitives/reader.js';
import { Writer } from '../../protocol/primitives/writer.js';
import { ErrorCode } from '../../protocol/errors/index.js';
import type { Clock } from '../../platform/clock.js';
import type { MetadataImage } from '../../metadata/image.js';
import type { Controller } from '../../metadata/controller.js';
import type { BrokerConfig } from '../config/broker-config.js';
import type { ReplicaManager } from '../replica/replica-manager.js';
import { CloseConnection, type ConnectionInfo } from '../network/connection.js';
import type { Logger } from '../logger.js';

export interface AdvertisedVersionRange {
  readonly apiKey: number;
  readonly minVersion: number;
  readonly maxVersion: number;
}

/** What every handler can reach: the broker's services, read through small interfaces. */
export interface BrokerContext {
  readonly config: BrokerConfig;
  readonly nodeId: number;
  readonly clusterId: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly controller: Controller;
  readonly replicas: ReplicaManager;
  /** The current metadata image; hold it for the length of a request. */
  image(): MetadataImage;
  /** The API versions this broker serves, built from the handler table. */
  readonly apiVersions: readonly AdvertisedVersionRange[];
  /** Finalized feature levels as ApiVersions reports them. */
  readonly metadataVersion: number;
}

export interface RequestContext {
  readonly apiVersion: number;
  readonly header: RequestHeader;
  readonly connection: ConnectionInfo;
  readonly broker: BrokerContext;
}

/** A handler's result: the response, null for none (acks=0), or a promise of either. */
export type HandlerResult<K extends ApiKey> =
  | ApiMessages[K]['responseInput']
  | null
  | Promise<ApiMessages[K]['responseInput'] | null>;

export interface Handler<K extends ApiKey> {
  readonly apiKey: K;
  readonly minVersion: number;
  readonly maxVersion: number;
  handle(request: ApiMessages[K]['request'], ctx: RequestContext): HandlerResult<K>;
  /**
   * The response that reports `errorCode` for everything in `request`, used
   * when the handler throws. Without one, a throwing handler closes the
   * connection.
   */
  errorResponse?(request: ApiMessages[K]['request'], errorCode: number, ctx: RequestContext): ApiMessages[K]['responseInput'];
}

/** A handler with its types closed over, so the table can hold every API. */
export interface RegisteredHandler {
  readonly apiKey: ApiKey;
  readonly name: string;
  readonly minVersion: number;
  readonly maxVersion: number;
  /**
   * Decodes the body from `r`, handles it and returns the encoded response
   * body, or null when no response is to be sent.
   */
  run(r: Reader, ctx: RequestContext): Writer | null | Promise<Writer | null>;
}

export function defineHandler<K extends ApiKey>(handler: Handler<K>): RegisteredHandler {
  const definition = apiDefinitions[handler.apiKey] as ApiDefinition<K>;
  if (handler.minVersion < definition.minVersion || handler.maxVersion > definition.maxVersion) {
    throw new Error(`${definition.name}: handler versions ${handler.minVersion}-${handler.maxVersion} exceed the schema's ${definition.minVersion}-${definition.maxVersion}`);
  }
  const encode = (ctx: RequestContext, response: ApiMessages[K]['responseInput'] | null): Writer | null => {
    if (response === null) return null;
    return definition.encodeResponse(new Writer(), ctx.apiVersion, response);
  };
  const recover = (request: ApiMessages[K]['request'], ctx: RequestContext, err: unknown): Writer => {
    if (handler.errorResponse === undefined) throw err;
    ctx.broker.logger.error({ err, api: definition.name }, 'handler failed; answering UNKNOWN_SERVER_ERROR');
    const response = handler.errorResponse(request, ErrorCode.UNKNOWN_SERVER_ERROR, ctx);
    return definition.encodeResponse(new Writer(), ctx.apiVersion, response);
  };
  return {
    apiKey: handler.apiKey,
    name: definition.name,
    minVersion: handler.minVersion,
    maxVersion: handler.maxVersion,
    run(r, ctx) {
      const request = definition.decodeRequest(r, ctx.apiVersion);
      let result: HandlerResult<K>;
      try {
        result = handler.handle(request, ctx);
      } catch (err) {
        if (err instanceof CloseConnection) throw err;
        return recover(request, ctx, err);
      }
      if (result instanceof Promise) {
        return result.then(
          (response) => encode(ctx, response),
          (err: unknown) => {
            if (err instanceof CloseConnection) throw err;
            return recover(request, ctx, err);
          },
        );
      }
      return encode(ctx, result);
    },
  };
}

/**
 * From a frame to a response: reads the api key and version, finds the
 * handler, decodes the header and body, runs the handler and prepends the
 * response header.
 *
 * - An ApiVersions request with a version we do not serve is answered with
 *   error 35 (UNSUPPORTED_VERSION) and our version list, encoded as v0
 *   (KIP-511), so the client can pick a version and retry.
 * - Any other unknown api key or unsupported version, a header or body that
 *   does not decode, or a handler failure without an error response closes
 *   the connection, which is what Kafka does.
 */
import { ApiKey, requestHeaderVersion, responseHeaderVersion, isApiKey } from '../protocol/generated/api-registry.js';
import { decodeRequestHeader } from '../protocol/generated/messages/request-header.js';
import { encodeResponseHeader } from '../protocol/generated/messages/response-header.js';
import { encodeApiVersionsResponse } from '../protocol/generated/messages/api-versions-response.js';
import { Reader } from '../protocol/primitives/reader.js';
import { Writer } from '../protocol/primitives/writer.js';
import { ErrorCode } from '../protocol/errors/index.js';
import { CloseConnection, type ConnectionInfo, type Dispatch } from './network/connection.js';
import type { BrokerContext, RegisteredHandler, RequestContext } from './handlers/handler.js';

/** apiKey(2) + apiVersion(2) + correlationId(4): the least a request can be. */
const REQUEST_HEADER_BYTES_MIN = 8;

export function createDispatcher(handlers: ReadonlyMap<number, RegisteredHandler>, broker: BrokerContext): Dispatch {
  const respond = (correlationId: number, headerVersion: number, body: Writer | null): Buffer[] | null => {
    if (body === null) return null;
    const header = encodeResponseHeader(new Writer(16), headerVersion, { correlationId }).toBuffer();
    return [header, ...body.toChunks()];
  };

  const served = new Map(broker.apiVersions.map((v) => [v.apiKey, v]));
  return (frame: Buffer, connection: ConnectionInfo) => {
    if (frame.length < REQUEST_HEADER_BYTES_MIN) throw new CloseConnection(`a ${frame.length}-byte frame cannot hold a request header`);
    const apiKey = frame.readInt16BE(0);
    const apiVersion = frame.readInt16BE(2);
    const correlationId = frame.readInt32BE(4);
    const handler = handlers.get(apiKey);
    const range = served.get(apiKey);
    if (handler === undefined || range === undefined || apiVersion < range.minVersion || apiVersion > range.maxVersion) {
      if (apiKey === ApiKey.ApiVersions) {
        const body = encodeApiVersionsResponse(new Writer(), 0, {
          errorCode: ErrorCode.UNSUPPORTED_VERSION,
          apiKeys: broker.apiVersions.map((v) => ({ ...v })),
        });
        return respond(correlationId, 0, body);
      }
      const what = isApiKey(apiKey) ? `version ${apiVersion} of api ${apiKey}` : `unknown api key ${apiKey}`;
      throw new CloseConnection(`unsupported request: ${what}`);
    }
    const key = handler.apiKey;
    const r = new Reader(frame);
    const header = decodeRequestHeader(r, requestHeaderVersion(key, apiVersion));
    const ctx: RequestContext = { apiVersion, header, connection, broker };
    const headerVersion = responseHeaderVersion(key, apiVersion);
    const result = handler.run(r, ctx);
    if (result instanceof Promise) return result.then((body) => respond(correlationId, headerVersion, body));
    return respond(correlationId, headerVersion, result);
  };
}

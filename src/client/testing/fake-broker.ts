/**
 * A tiny scripted Kafka server for connection-layer tests: it frames
 * requests, decodes them with the generated codecs and answers through a
 * handler the test supplies (or not at all, to test timeouts).
 */
import * as net from 'node:net';
import {
  ApiKey,
  apiDefinitions,
  isApiKey,
  requestHeaderVersion,
  responseHeaderVersion,
  type ApiMessages,
} from '../../protocol/generated/api-registry.js';
import { decodeRequestHeader, type RequestHeader } from '../../protocol/generated/messages/request-header.js';
import { encodeResponseHeader } from '../../protocol/generated/messages/response-header.js';
import { encodeApiVersionsResponse } from '../../protocol/generated/messages/api-versions-response.js';
import { Reader } from '../../protocol/primitives/reader.js';
import { Writer } from '../../protocol/primitives/writer.js';

export interface FakeRequest {
  header: RequestHeader;
  apiKey: ApiKey;
  version: number;
  body: unknown;
}

/** What a handler returns: a response body to encode, a raw body, or nothing (never answer). */
export type FakeReply =
  | { body: unknown; version?: number; headerVersion?: number; delayMs?: number }
  | { raw: Buffer; headerVersion: number }
  | null;

export type FakeHandler = (request: FakeRequest) => FakeReply;

export interface FakeBroker {
  port: number;
  requests: FakeRequest[];
  close(): Promise<void>;
}

/** The ApiVersions a fake broker advertises by default: everything the codecs know. */
export function allApiVersions(): Array<{ apiKey: number; minVersion: number; maxVersion: number }> {
  return Object.values(apiDefinitions).map((d) => ({ apiKey: d.apiKey, minVersion: d.minVersion, maxVersion: d.maxVersion }));
}

export function typedBody<K extends ApiKey>(_apiKey: K, body: ApiMessages[K]['responseInput']): { body: unknown } {
  return { body };
}

export async function startFakeBroker(handler: FakeHandler): Promise<FakeBroker> {
  const requests: FakeRequest[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 4) {
        const size = buffered.readInt32BE(0);
        if (buffered.length < 4 + size) break;
        const frame = buffered.subarray(4, 4 + size);
        buffered = buffered.subarray(4 + size);
        const apiKey = frame.readInt16BE(0);
        const version = frame.readInt16BE(2);
        if (!isApiKey(apiKey)) continue;
        const r = new Reader(frame);
        const header = decodeRequestHeader(r, requestHeaderVersion(apiKey, version));
        let body: unknown = null;
        try {
          body = apiDefinitions[apiKey].decodeRequest(r, version);
        } catch {
          body = null; // an ApiVersions version the fake pretends not to know
        }
        const request: FakeRequest = { header, apiKey, version, body };
        requests.push(request);
        const reply = handler(request);
        if (reply === null) continue;
        const w = new Writer();
        if ('raw' in reply) {
          encodeResponseHeader(w, reply.headerVersion, { correlationId: header.correlationId });
          w.writeRaw(reply.raw);
        } else {
          const v = reply.version ?? version;
          encodeResponseHeader(w, reply.headerVersion ?? responseHeaderVersion(apiKey, v), { correlationId: header.correlationId });
          // The handler promises the body matches the API; the codec checks the shape as it writes.
          (apiDefinitions[apiKey].encodeResponse as (w: Writer, v: number, m: unknown) => Writer)(w, v, reply.body);
        }
        const payload = w.toBuffer();
        const sizeBuf = Buffer.alloc(4);
        sizeBuf.writeInt32BE(payload.length, 0);
        const out = Buffer.concat([sizeBuf, payload]);
        const delayMs = 'delayMs' in reply ? reply.delayMs ?? 0 : 0;
        if (delayMs > 0) setTimeout(() => socket.write(out), delayMs);
        else socket.write(out);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** An ApiVersions v0 body with error 35, the way a broker answers a version it does not know. */
export function unsupportedApiVersionsBody(apiVersionsMax: number): Buffer {
  const w = new Writer();
  encodeApiVersionsResponse(w, 0, {
    errorCode: 35,
    apiKeys: [{ apiKey: ApiKey.ApiVersions, minVersion: 0, maxVersion: apiVersionsMax }],
  });
  return w.toBuffer();
}

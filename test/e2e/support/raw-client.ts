/**
 * A bare-bones Kafka connection for tests: sends requests encoded with the
 * generated codecs (or raw bytes) and matches responses by correlation id.
 * It also notices when the broker closes the connection, which is what the
 * bad-input tests look for.
 */
import { connect, type Socket } from 'node:net';
import {
  apiDefinitions,
  requestHeaderVersion,
  responseHeaderVersion,
  type ApiKey,
  type ApiMessages,
  type ApiDefinition,
} from '../../../src/protocol/generated/api-registry.js';
import { encodeRequestHeader } from '../../../src/protocol/generated/messages/request-header.js';
import { decodeResponseHeader } from '../../../src/protocol/generated/messages/response-header.js';
import { Reader } from '../../../src/protocol/primitives/reader.js';
import { Writer } from '../../../src/protocol/primitives/writer.js';
import { FrameDecoder } from '../../../src/broker/network/frame-decoder.js';

interface Pending {
  resolve: (frame: Buffer) => void;
  reject: (err: Error) => void;
}

export class RawClient {
  private readonly decoder = new FrameDecoder(1 << 30);
  private readonly pending = new Map<number, Pending>();
  private nextCorrelationId = 1;
  readonly closed: Promise<void>;
  isClosed = false;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.decoder.push(chunk);
      for (let frame = this.decoder.next(); frame !== null; frame = this.decoder.next()) {
        const correlationId = frame.readInt32BE(0);
        const p = this.pending.get(correlationId);
        this.pending.delete(correlationId);
        p?.resolve(frame);
      }
    });
    this.closed = new Promise((resolve) => {
      socket.on('close', () => {
        this.isClosed = true;
        for (const p of this.pending.values()) p.reject(new Error('connection closed'));
        this.pending.clear();
        resolve();
      });
    });
    socket.on('error', () => undefined);
  }

  static connect(bootstrap: string): Promise<RawClient> {
    const at = bootstrap.lastIndexOf(':');
    const host = bootstrap.slice(0, at);
    const port = Number(bootstrap.slice(at + 1));
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port }, () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Encodes a request frame (with its size prefix) without sending it. */
  frame<K extends ApiKey>(apiKey: K, version: number, body: ApiMessages[K]['requestInput'], correlationId: number): Buffer {
    const definition = apiDefinitions[apiKey] as ApiDefinition<K>;
    const w = new Writer();
    encodeRequestHeader(w, requestHeaderVersion(apiKey, version), { requestApiKey: apiKey, requestApiVersion: version, correlationId, clientId: 'samsa-test' });
    definition.encodeRequest(w, version, body);
    const payload = w.toBuffer();
    const size = Buffer.alloc(4);
    size.writeInt32BE(payload.length, 0);
    return Buffer.concat([size, payload]);
  }

  /** Sends one request and resolves with its decoded response. */
  async send<K extends ApiKey>(apiKey: K, version: number, body: ApiMessages[K]['requestInput']): Promise<ApiMessages[K]['response']> {
    const correlationId = this.nextCorrelationId++;
    const response = this.expect(correlationId);
    this.socket.write(this.frame(apiKey, version, body, correlationId));
    return decodeBody(apiKey, version, await response);
  }

  /** Resolves with the raw response frame for `correlationId` (header included). */
  expect(correlationId: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      if (this.isClosed) reject(new Error('connection closed'));
      else this.pending.set(correlationId, { resolve, reject });
    });
  }

  writeRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  close(): void {
    this.socket.destroy();
  }
}

export function decodeBody<K extends ApiKey>(apiKey: K, version: number, frame: Buffer): ApiMessages[K]['response'] {
  const definition = apiDefinitions[apiKey] as ApiDefinition<K>;
  const r = new Reader(frame);
  decodeResponseHeader(r, responseHeaderVersion(apiKey, version));
  return definition.decodeResponse(r, version);
}

/**
 * One TCP connection to one broker.
 *
 * Frames are a 4-byte big-endian size followed by the message. Requests are
 * pipelined: any number may be in flight, each tagged with a correlation id,
 * and Kafka answers them in order on a connection. Requests written in the
 * same tick are corked together and leave in one writev.
 *
 * Right after connecting we send ApiVersions and keep the broker's ranges; each
 * request then goes out at the highest version both sides speak. A broker
 * that does not know our ApiVersions version answers UNSUPPORTED_VERSION (35)
 * with its own ApiVersions range in a v0 body, and we ask again at that version.
 *
 * A request that times out closes the connection (as Kafka's Java client
 * does): its response may still arrive later, and everything queued behind it
 * on the same socket would be delayed anyway.
 */
import * as net from 'node:net';
import {
  ApiKey,
  apiDefinitions,
  requestHeaderVersion,
  responseHeaderVersion,
  type ApiMessages,
} from '../protocol/generated/api-registry.js';
import { encodeRequestHeader } from '../protocol/generated/messages/request-header.js';
import { decodeResponseHeader } from '../protocol/generated/messages/response-header.js';
import {
  decodeApiVersionsResponse,
  type ApiVersionsResponse,
} from '../protocol/generated/messages/api-versions-response.js';
import { Reader } from '../protocol/primitives/reader.js';
import { Writer } from '../protocol/primitives/writer.js';
import { ErrorCode } from '../protocol/errors/index.js';
import {
  ClientClosedError,
  ConnectionError,
  KafkaProtocolError,
  ProtocolDecodeError,
  RequestTimeoutError,
  UnsupportedVersionError,
} from './errors.js';
import { noopLogger, type Logger } from './logger.js';

export const CLIENT_SOFTWARE_NAME = 'samsa-client';
export const CLIENT_SOFTWARE_VERSION = '0.1.0';

/** Largest response frame we accept; anything bigger means a confused peer. */
export const RESPONSE_BYTES_MAX = 1024 * 1024 * 1024;
const CORRELATION_ID_MAX = 0x7fffffff;

export interface ConnectionOptions {
  host: string;
  port: number;
  clientId: string;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  /** Upper bounds on the versions we send, per API (for APIs whose newer versions we do not use). */
  versionCaps?: Partial<Record<ApiKey, number>>;
  logger?: Logger;
}

export interface RequestOptions {
  /** Send at this version instead of the highest common one. */
  version?: number;
  /** Overrides the connection's request timeout (long-poll fetches add their wait). */
  timeoutMs?: number;
}

export interface VersionRange {
  min: number;
  max: number;
}

interface Pending {
  apiKey: ApiKey;
  version: number;
  decode: (r: Reader) => unknown;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** The versions this client can speak for an API: the codec's range minus any unstable newest version. */
export function clientVersionRange(apiKey: ApiKey, caps?: Partial<Record<ApiKey, number>>): VersionRange {
  const def = apiDefinitions[apiKey];
  let max = def.latestVersionUnstable ? def.maxVersion - 1 : def.maxVersion;
  const cap = caps?.[apiKey];
  if (cap !== undefined) max = Math.min(max, cap);
  return { min: def.minVersion, max };
}

export class BrokerConnection {
  readonly host: string;
  readonly port: number;
  readonly address: string;
  private readonly options: ConnectionOptions;
  private readonly logger: Logger;
  private socket: net.Socket | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextCorrelationId = 1;
  private corked = false;
  private closedError: Error | null = null;
  private readonly closeListeners: Array<(error: Error) => void> = [];
  /** The broker's version range for each API it advertises. */
  private brokerVersions = new Map<number, VersionRange>();

  // Incoming bytes not yet framed.
  private readonly inChunks: Buffer[] = [];
  private inBytes = 0;
  private frameSize = -1;

  private constructor(options: ConnectionOptions) {
    this.options = options;
    this.host = options.host;
    this.port = options.port;
    this.address = `${options.host}:${options.port}`;
    this.logger = options.logger ?? noopLogger;
  }

  /** Connects and negotiates API versions. */
  static async open(options: ConnectionOptions): Promise<BrokerConnection> {
    const connection = new BrokerConnection(options);
    await connection.connect();
    try {
      await connection.negotiateVersions();
    } catch (error) {
      connection.close(error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
    return connection;
  }

  get isOpen(): boolean {
    return this.closedError === null && this.socket !== null;
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /** Called once when the connection closes, for whatever reason. */
  onClose(listener: (error: Error) => void): void {
    if (this.closedError !== null) listener(this.closedError);
    else this.closeListeners.push(listener);
  }

  /** The broker's advertised range for an API, or undefined when it does not offer the API. */
  brokerVersionRange(apiKey: ApiKey): VersionRange | undefined {
    return this.brokerVersions.get(apiKey);
  }

  /** True when the broker offers the API at a version this client speaks. */
  supports(apiKey: ApiKey): boolean {
    const theirs = this.brokerVersions.get(apiKey);
    if (theirs === undefined) return false;
    const ours = clientVersionRange(apiKey, this.options.versionCaps);
    return Math.min(ours.max, theirs.max) >= Math.max(ours.min, theirs.min);
  }

  /** The highest version of an API both sides speak. Throws UnsupportedVersionError when there is none. */
  versionFor(apiKey: ApiKey): number {
    const name = apiDefinitions[apiKey].name;
    const theirs = this.brokerVersions.get(apiKey);
    if (theirs === undefined) {
      throw new UnsupportedVersionError(name, `broker ${this.address} does not support ${name}`);
    }
    const ours = clientVersionRange(apiKey, this.options.versionCaps);
    const version = Math.min(ours.max, theirs.max);
    if (version < Math.max(ours.min, theirs.min)) {
      throw new UnsupportedVersionError(
        name,
        `no common ${name} version: client speaks ${ours.min}-${ours.max}, broker ${this.address} ${theirs.min}-${theirs.max}`,
      );
    }
    return version;
  }

  /** Sends a request and resolves with the decoded response. */
  request<K extends ApiKey>(
    apiKey: K,
    body: ApiMessages[K]['requestInput'],
    options: RequestOptions = {},
  ): Promise<ApiMessages[K]['response']> {
    const version = options.version ?? this.versionFor(apiKey);
    const def = apiDefinitions[apiKey];
    return this.send(apiKey, version, (w) => def.encodeRequest(w, version, body), (r) => def.decodeResponse(r, version), options.timeoutMs) as Promise<
      ApiMessages[K]['response']
    >;
  }

  /** Sends a request that the broker will not answer (Produce with acks=0). */
  requestNoResponse<K extends ApiKey>(apiKey: K, body: ApiMessages[K]['requestInput'], options: RequestOptions = {}): void {
    const version = options.version ?? this.versionFor(apiKey);
    const def = apiDefinitions[apiKey];
    const correlationId = this.takeCorrelationId();
    this.write(apiKey, version, correlationId, (w) => def.encodeRequest(w, version, body));
  }

  /** Closes the socket; in-flight requests fail with `error` (ClientClosedError by default). */
  close(error: Error = new ClientClosedError('connection')): void {
    if (this.closedError !== null) return;
    this.closedError = error;
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(error);
    }
    this.pending.clear();
    const socket = this.socket;
    if (socket !== null) {
      if (error instanceof ClientClosedError) {
        // A clean close still delivers what was written (acks=0 produce requests).
        socket.end();
        setTimeout(() => socket.destroy(), 1000).unref();
      } else {
        socket.destroy();
      }
    }
    for (const listener of this.closeListeners.splice(0)) listener(error);
  }

  // -------------------------------------------------------------------------

  private connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: this.host, port: this.port, noDelay: true });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new ConnectionError(this.address, `connect timed out after ${this.options.connectTimeoutMs} ms`));
      }, this.options.connectTimeoutMs);
      const onError = (error: Error): void => {
        clearTimeout(timer);
        reject(new ConnectionError(this.address, `connect failed: ${error.message}`, { cause: error }));
      };
      socket.once('error', onError);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', onError);
        this.socket = socket;
        socket.on('data', (chunk: Buffer) => this.onData(chunk));
        socket.on('error', (error: Error) => {
          this.close(new ConnectionError(this.address, error.message, { cause: error }));
        });
        socket.on('close', () => this.close(new ConnectionError(this.address, 'connection closed by broker')));
        resolve();
      });
    });
  }

  private async negotiateVersions(): Promise<void> {
    const ours = clientVersionRange(ApiKey.ApiVersions, this.options.versionCaps);
    let version = ours.max;
    for (let attempt = 0; attempt < 2; attempt++) {
      const response = await this.sendApiVersions(version);
      if (response.errorCode === ErrorCode.UNSUPPORTED_VERSION) {
        const theirs = response.apiKeys.find((k) => k.apiKey === ApiKey.ApiVersions);
        const next = theirs === undefined ? 0 : Math.min(ours.max, theirs.maxVersion);
        if (next >= version) break;
        version = next;
        continue;
      }
      if (response.errorCode !== 0) throw new KafkaProtocolError(response.errorCode, `ApiVersions from ${this.address}`);
      this.brokerVersions = new Map(response.apiKeys.map((k) => [k.apiKey, { min: k.minVersion, max: k.maxVersion }]));
      return;
    }
    throw new UnsupportedVersionError('ApiVersions', `broker ${this.address} accepts no ApiVersions version this client speaks`);
  }

  private sendApiVersions(version: number): Promise<ApiVersionsResponse> {
    const def = apiDefinitions[ApiKey.ApiVersions];
    const body = { clientSoftwareName: CLIENT_SOFTWARE_NAME, clientSoftwareVersion: CLIENT_SOFTWARE_VERSION };
    // The error code leads every version of the body; on UNSUPPORTED_VERSION
    // the broker writes a v0 body whatever version we asked for.
    const decode = (r: Reader): ApiVersionsResponse => {
      const errorCode = r.buf.readInt16BE(r.pos);
      return decodeApiVersionsResponse(r, errorCode === ErrorCode.UNSUPPORTED_VERSION ? 0 : version);
    };
    return this.send(ApiKey.ApiVersions, version, (w) => def.encodeRequest(w, version, body), decode, undefined) as Promise<ApiVersionsResponse>;
  }

  private takeCorrelationId(): number {
    const id = this.nextCorrelationId;
    this.nextCorrelationId = id >= CORRELATION_ID_MAX ? 1 : id + 1;
    return id;
  }

  private send(
    apiKey: ApiKey,
    version: number,
    encodeBody: (w: Writer) => void,
    decode: (r: Reader) => unknown,
    timeoutMs: number | undefined,
  ): Promise<unknown> {
    if (this.closedError !== null) return Promise.reject(this.closedError);
    const correlationId = this.takeCorrelationId();
    const effectiveTimeoutMs = timeoutMs ?? this.options.requestTimeoutMs;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        if (!this.pending.delete(correlationId)) return;
        const error = new RequestTimeoutError(`${apiDefinitions[apiKey].name} v${version} to ${this.address}`, effectiveTimeoutMs);
        reject(error);
        this.close(new ConnectionError(this.address, 'closed after a request timed out', { cause: error }));
      }, effectiveTimeoutMs);
      this.pending.set(correlationId, { apiKey, version, decode, resolve, reject, timer });
      try {
        this.write(apiKey, version, correlationId, encodeBody);
      } catch (error) {
        clearTimeout(timer);
        this.pending.delete(correlationId);
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  private write(apiKey: ApiKey, version: number, correlationId: number, encodeBody: (w: Writer) => void): void {
    const socket = this.socket;
    if (socket === null || this.closedError !== null) throw this.closedError ?? new ConnectionError(this.address, 'not connected');
    const w = new Writer(512);
    w.writeInt32(0); // size, patched below
    encodeRequestHeader(w, requestHeaderVersion(apiKey, version), {
      requestApiKey: apiKey,
      requestApiVersion: version,
      correlationId,
      clientId: this.options.clientId,
    });
    encodeBody(w);
    const chunks = w.toChunks();
    chunks[0]!.writeInt32BE(w.length - 4, 0);
    if (!this.corked) {
      this.corked = true;
      socket.cork();
      process.nextTick(() => {
        this.corked = false;
        socket.uncork();
      });
    }
    for (const chunk of chunks) socket.write(chunk);
  }

  private onData(chunk: Buffer): void {
    this.inChunks.push(chunk);
    this.inBytes += chunk.length;
    while (this.closedError === null) {
      if (this.frameSize < 0) {
        if (this.inBytes < 4) return;
        const size = this.take(4).readInt32BE(0);
        if (size < 4 || size > RESPONSE_BYTES_MAX) {
          this.close(new ProtocolDecodeError(`${this.address}: bad response size ${size}`));
          return;
        }
        this.frameSize = size;
      }
      if (this.inBytes < this.frameSize) return;
      const frame = this.take(this.frameSize);
      this.frameSize = -1;
      this.onFrame(frame);
    }
  }

  /** Removes `byteCount` bytes from the front of the input, copying only when they span chunks. */
  private take(byteCount: number): Buffer {
    this.inBytes -= byteCount;
    const first = this.inChunks[0]!;
    if (first.length >= byteCount) {
      if (first.length === byteCount) this.inChunks.shift();
      else this.inChunks[0] = first.subarray(byteCount);
      return first.subarray(0, byteCount);
    }
    const out = Buffer.allocUnsafe(byteCount);
    let filled = 0;
    while (filled < byteCount) {
      const head = this.inChunks[0]!;
      const n = Math.min(head.length, byteCount - filled);
      head.copy(out, filled, 0, n);
      filled += n;
      if (n === head.length) this.inChunks.shift();
      else this.inChunks[0] = head.subarray(n);
    }
    return out;
  }

  private onFrame(frame: Buffer): void {
    const correlationId = frame.readInt32BE(0);
    const p = this.pending.get(correlationId);
    if (p === undefined) {
      this.logger.warn({ broker: this.address, correlationId }, 'response for an unknown correlation id');
      return;
    }
    this.pending.delete(correlationId);
    clearTimeout(p.timer);
    let value: unknown;
    try {
      const r = new Reader(frame);
      decodeResponseHeader(r, responseHeaderVersion(p.apiKey, p.version));
      value = p.decode(r);
    } catch (error) {
      const decodeError = new ProtocolDecodeError(
        `${this.address}: cannot decode ${apiDefinitions[p.apiKey].name} v${p.version} response: ${(error as Error).message}`,
        { cause: error },
      );
      p.reject(decodeError);
      this.close(decodeError);
      return;
    }
    p.resolve(value);
  }
}

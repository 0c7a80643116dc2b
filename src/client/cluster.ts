/**
 * What every client (Admin, Producer, Consumer) shares: the bootstrap list,
 * a connection per broker, the metadata cache and coordinator lookups.
 *
 * Metadata is fetched for the topics the owner asked about (or for all topics
 * when asked), refreshed every `metadataMaxAgeMs`, and on demand after an
 * error that means it went stale. Concurrent refreshes share one request.
 */
import { ApiKey, type ApiMessages } from '../protocol/generated/api-registry.js';
import type { MetadataResponse } from '../protocol/generated/messages/metadata-response.js';
import { ErrorCode } from '../protocol/errors/index.js';
import { BrokerConnection, type RequestOptions } from './connection.js';
import { backoffMs, sleep, withRetry } from './backoff.js';
import { ClientClosedError, ConnectionError, KafkaConfigError, KafkaProtocolError, checkErrorCode } from './errors.js';
import { noopLogger, type Logger } from './logger.js';

/** Options every client takes. Kafka's property names in comments. */
export interface ClientOptions {
  /** `bootstrap.servers`: "host:port" strings, or one comma-separated string. */
  bootstrapServers: string | string[];
  /** `client.id`, sent in every request header. Default "samsa". */
  clientId?: string;
  /** `request.timeout.ms`. Default 30000. */
  requestTimeoutMs?: number;
  /** `socket.connection.setup.timeout.ms`. Default 10000. */
  connectionTimeoutMs?: number;
  /** How often a retriable failure is retried before it is thrown. Default 5. */
  retries?: number;
  /** `retry.backoff.ms`. Default 100. */
  retryBackoffMs?: number;
  /** `retry.backoff.max.ms`. Default 1000. */
  retryBackoffMaxMs?: number;
  /** `metadata.max.age.ms`. Default 300000. */
  metadataMaxAgeMs?: number;
  /** A pino logger or anything with the same four methods. Default: silent. */
  logger?: Logger;
}

export interface BrokerInfo {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

export interface PartitionInfo {
  partition: number;
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  offlineReplicas: number[];
  errorCode: number;
}

export interface TopicInfo {
  name: string;
  topicId: string;
  isInternal: boolean;
  /** Indexed by partition number. */
  partitions: PartitionInfo[];
  /** Partitions that have a leader, ascending (computed once per metadata update). */
  availablePartitions: number[];
}

export type CoordinatorType = 'group' | 'transaction';

export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

/** Topic-level errors that mean "ask again shortly" rather than "this topic is broken". */
const STALE_METADATA_CODES = new Set<number>([
  ErrorCode.LEADER_NOT_AVAILABLE,
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.UNKNOWN_TOPIC_ID,
  ErrorCode.FENCED_LEADER_EPOCH,
  ErrorCode.UNKNOWN_LEADER_EPOCH,
  ErrorCode.REPLICA_NOT_AVAILABLE,
  ErrorCode.NOT_ENOUGH_REPLICAS,
  ErrorCode.KAFKA_STORAGE_ERROR,
  ErrorCode.OFFSET_NOT_AVAILABLE,
]);

/** True for errors after which the metadata (leaders, topics) should be fetched again. */
export function isStaleMetadataError(error: unknown): boolean {
  if (error instanceof KafkaProtocolError) return STALE_METADATA_CODES.has(error.code);
  return error instanceof ConnectionError;
}

export function parseBootstrap(servers: string | string[]): Array<{ host: string; port: number }> {
  const list = (Array.isArray(servers) ? servers : servers.split(','))
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (list.length === 0) throw new KafkaConfigError('bootstrapServers is empty');
  return list.map((entry) => {
    const at = entry.lastIndexOf(':');
    const host = at < 0 ? entry : entry.slice(0, at).replace(/^\[(.*)\]$/, '$1');
    const port = at < 0 ? 9092 : Number(entry.slice(at + 1));
    if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new KafkaConfigError(`bad bootstrap server "${entry}"`);
    return { host, port };
  });
}

export class Cluster {
  readonly clientId: string;
  readonly requestTimeoutMs: number;
  readonly retries: number;
  readonly retryBackoffMs: number;
  readonly retryBackoffMaxMs: number;
  readonly logger: Logger;
  private readonly connectionTimeoutMs: number;
  private readonly metadataMaxAgeMs: number;
  private readonly bootstrap: Array<{ host: string; port: number }>;
  private readonly versionCaps: Partial<Record<ApiKey, number>>;

  /** Open or opening connections by "host:port". */
  private readonly connections = new Map<string, Promise<BrokerConnection>>();
  private brokers = new Map<number, BrokerInfo>();
  private readonly topics = new Map<string, TopicInfo>();
  private readonly topicNamesById = new Map<string, string>();
  /** Topics whose metadata we keep fresh. */
  private readonly interest = new Set<string>();
  /** The last topic-level error code seen per topic in a Metadata response. */
  private readonly topicErrors = new Map<string, number>();
  private clusterIdValue: string | null = null;
  private controllerIdValue = -1;
  private refreshing: Promise<void> | null = null;
  private refreshQueued: Promise<void> | null = null;
  private lastRefreshMs = 0;
  private readonly coordinators = new Map<string, number>();
  private metadataTimer: NodeJS.Timeout | null = null;
  private closed = false;
  /** Set by the producer: let Metadata auto-create topics where the broker allows it. */
  allowAutoTopicCreation = false;

  constructor(options: ClientOptions, versionCaps: Partial<Record<ApiKey, number>> = {}) {
    this.bootstrap = parseBootstrap(options.bootstrapServers);
    this.clientId = options.clientId ?? 'samsa';
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.connectionTimeoutMs = options.connectionTimeoutMs ?? 10_000;
    this.retries = options.retries ?? 5;
    this.retryBackoffMs = options.retryBackoffMs ?? 100;
    this.retryBackoffMaxMs = options.retryBackoffMaxMs ?? 1000;
    this.metadataMaxAgeMs = options.metadataMaxAgeMs ?? 300_000;
    this.logger = options.logger ?? noopLogger;
    this.versionCaps = versionCaps;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get clusterId(): string | null {
    return this.clusterIdValue;
  }

  get controllerId(): number {
    return this.controllerIdValue;
  }

  /** Connects to a bootstrap server and loads the broker list. */
  async connect(): Promise<void> {
    await this.refreshMetadata();
    if (this.metadataTimer === null) {
      this.metadataTimer = setInterval(() => {
        if (Date.now() - this.lastRefreshMs >= this.metadataMaxAgeMs) {
          this.refreshMetadata().catch((error: unknown) => this.logger.warn({ error }, 'periodic metadata refresh failed'));
        }
      }, Math.min(this.metadataMaxAgeMs, 60_000));
      this.metadataTimer.unref();
    }
  }

  /** Closes every connection. In-flight requests fail with ClientClosedError. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.metadataTimer !== null) clearInterval(this.metadataTimer);
    const all = [...this.connections.values()];
    this.connections.clear();
    await Promise.all(
      all.map(async (p) => {
        try {
          (await p).close(new ClientClosedError());
        } catch {
          // never connected
        }
      }),
    );
  }

  // ---------------------------------------------------------------------------
  // Connections

  brokerList(): BrokerInfo[] {
    return [...this.brokers.values()].sort((a, b) => a.nodeId - b.nodeId);
  }

  broker(nodeId: number): BrokerInfo | undefined {
    return this.brokers.get(nodeId);
  }

  private connectTo(host: string, port: number): Promise<BrokerConnection> {
    if (this.closed) return Promise.reject(new ClientClosedError());
    const key = `${host}:${port}`;
    const existing = this.connections.get(key);
    if (existing !== undefined) return existing;
    const opening = BrokerConnection.open({
      host,
      port,
      clientId: this.clientId,
      connectTimeoutMs: this.connectionTimeoutMs,
      requestTimeoutMs: this.requestTimeoutMs,
      versionCaps: this.versionCaps,
      logger: this.logger,
    }).then(
      (connection) => {
        connection.onClose(() => {
          if (this.connections.get(key) === opening) this.connections.delete(key);
        });
        if (this.closed) connection.close();
        return connection;
      },
      (error: unknown) => {
        if (this.connections.get(key) === opening) this.connections.delete(key);
        throw error;
      },
    );
    this.connections.set(key, opening);
    return opening;
  }

  /** The connection to a broker by node id, opening it when needed. */
  async connection(nodeId: number): Promise<BrokerConnection> {
    let info = this.brokers.get(nodeId);
    if (info === undefined) {
      await this.refreshMetadata();
      info = this.brokers.get(nodeId);
      if (info === undefined) throw new ConnectionError(`node ${nodeId}`, 'broker is not in the cluster metadata');
    }
    return this.connectTo(info.host, info.port);
  }

  /** Any reachable broker: an open connection when there is one, else the known brokers, then the bootstrap list. */
  async anyConnection(): Promise<BrokerConnection> {
    for (const p of this.connections.values()) {
      try {
        const c = await p;
        if (c.isOpen) return c;
      } catch {
        // try the next
      }
    }
    const candidates = [...this.brokers.values(), ...this.bootstrap];
    let lastError: unknown = new ConnectionError('bootstrap', 'no brokers to connect to');
    const start = Math.floor(Math.random() * candidates.length);
    for (let i = 0; i < candidates.length; i++) {
      const c = candidates[(start + i) % candidates.length]!;
      try {
        return await this.connectTo(c.host, c.port);
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError;
  }

  /** Sends to a broker by node id (or any broker), without retries. */
  async send<K extends ApiKey>(
    target: number | 'any' | 'controller',
    apiKey: K,
    body: ApiMessages[K]['requestInput'],
    options?: RequestOptions,
  ): Promise<ApiMessages[K]['response']> {
    const connection = await this.target(target);
    return connection.request(apiKey, body, options);
  }

  async target(target: number | 'any' | 'controller'): Promise<BrokerConnection> {
    if (target === 'any') return this.anyConnection();
    if (target === 'controller') {
      if (this.controllerIdValue < 0) await this.refreshMetadata();
      return this.controllerIdValue < 0 ? this.anyConnection() : this.connection(this.controllerIdValue);
    }
    return this.connection(target);
  }

  /** Runs `fn` with this cluster's retry policy; stale-metadata errors refresh metadata before the next try. */
  retry<T>(fn: (attempt: number) => Promise<T>, onRetry?: (error: unknown) => void | Promise<void>): Promise<T> {
    return withRetry(fn, {
      retries: this.retries,
      initialMs: this.retryBackoffMs,
      maxMs: this.retryBackoffMaxMs,
      isCancelled: () => this.closed,
      onRetry: async (error) => {
        this.logger.debug({ error: String(error) }, 'retrying');
        if (isStaleMetadataError(error)) await this.refreshMetadata().catch(() => {});
        await onRetry?.(error);
      },
    });
  }

  // ---------------------------------------------------------------------------
  // Metadata

  /** Adds topics to the set kept fresh. Returns true when any was new. */
  addTopics(names: Iterable<string>): boolean {
    let added = false;
    for (const name of names) {
      if (!this.interest.has(name)) {
        this.interest.add(name);
        added = true;
      }
    }
    return added;
  }

  removeTopics(names: Iterable<string>): void {
    for (const name of names) this.interest.delete(name);
  }

  topic(name: string): TopicInfo | undefined {
    return this.topics.get(name);
  }

  topicNameById(topicId: string): string | undefined {
    return this.topicNamesById.get(topicId);
  }

  /** Every topic in the cache. */
  cachedTopics(): TopicInfo[] {
    return [...this.topics.values()];
  }

  /**
   * Fetches metadata for the topics of interest (plus `extra`), or for all
   * topics when `all` is set. Refreshes that overlap share a request; one
   * asked for while another is in flight runs right after it.
   */
  refreshMetadata(extra: Iterable<string> = [], all = false): Promise<void> {
    if (this.closed) return Promise.reject(new ClientClosedError());
    const extraNames = [...extra];
    if (extraNames.length > 0 || all) {
      // A specific request; do not coalesce with one that may not cover it.
      this.addTopics(extraNames);
      return this.fetchMetadata(all);
    }
    if (this.refreshing === null) {
      this.refreshing = this.fetchMetadata(false).finally(() => {
        this.refreshing = null;
      });
      return this.refreshing;
    }
    if (this.refreshQueued === null) {
      const current = this.refreshing;
      this.refreshQueued = current
        .catch(() => {})
        .then(() => {
          this.refreshQueued = null;
          return this.refreshMetadata();
        });
    }
    return this.refreshQueued;
  }

  /** Metadata for the given topics, fetched when not cached yet. Throws for topics the broker does not have. */
  async topicsMetadata(names: string[], waitForLeaders = true): Promise<TopicInfo[]> {
    this.addTopics(names);
    const missing = (): string[] =>
      names.filter((n) => {
        const t = this.topics.get(n);
        return t === undefined || (waitForLeaders && t.partitions.some((p) => p === undefined || p.leader < 0));
      });
    if (missing().length > 0) {
      await this.retry(async () => {
        await this.fetchMetadata(false);
        const still = missing();
        if (still.length > 0) {
          const error = this.topicErrors.get(still[0]!) ?? ErrorCode.LEADER_NOT_AVAILABLE;
          throw new KafkaProtocolError(error, `topic ${still[0]!}: ${new KafkaProtocolError(error).message}`);
        }
      });
    }
    return names.map((n) => this.topics.get(n)!);
  }

  private async fetchMetadata(all: boolean): Promise<void> {
    const names = [...this.interest];
    const response = await withRetry(
      async () => {
        const connection = await this.anyConnection();
        const version = connection.versionFor(ApiKey.Metadata);
        const topics = all ? (version === 0 ? [] : null) : names.map((name) => ({ name }));
        return connection.request(ApiKey.Metadata, {
          topics,
          allowAutoTopicCreation: this.allowAutoTopicCreation,
          includeTopicAuthorizedOperations: false,
        });
      },
      { retries: this.retries, initialMs: this.retryBackoffMs, maxMs: this.retryBackoffMaxMs, isCancelled: () => this.closed },
    );
    this.applyMetadata(response, all);
  }

  private applyMetadata(response: MetadataResponse, all: boolean): void {
    this.lastRefreshMs = Date.now();
    if (response.brokers.length > 0) {
      this.brokers = new Map(response.brokers.map((b) => [b.nodeId, { nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack }]));
    }
    this.clusterIdValue = response.clusterId;
    this.controllerIdValue = response.controllerId;
    const seen = new Set<string>();
    for (const t of response.topics) {
      if (t.name === null) continue;
      seen.add(t.name);
      this.topicErrors.set(t.name, t.errorCode);
      if (t.errorCode !== 0 && t.partitions.length === 0) {
        // Unknown or not ready: forget what we knew, except on a transient leader hiccup.
        if (t.errorCode !== ErrorCode.LEADER_NOT_AVAILABLE) this.forgetTopic(t.name);
        continue;
      }
      const partitions: PartitionInfo[] = [];
      for (const p of t.partitions) {
        partitions[p.partitionIndex] = {
          partition: p.partitionIndex,
          leader: p.leaderId,
          leaderEpoch: p.leaderEpoch,
          replicas: p.replicaNodes,
          isr: p.isrNodes,
          offlineReplicas: p.offlineReplicas,
          errorCode: p.errorCode,
        };
      }
      const previous = this.topics.get(t.name);
      if (previous !== undefined && previous.topicId !== t.topicId) this.topicNamesById.delete(previous.topicId);
      const availablePartitions = partitions.filter((p) => p !== undefined && p.leader >= 0).map((p) => p.partition);
      this.topics.set(t.name, { name: t.name, topicId: t.topicId, isInternal: t.isInternal, partitions, availablePartitions });
      if (t.topicId !== ZERO_UUID) this.topicNamesById.set(t.topicId, t.name);
    }
    if (all) {
      for (const name of [...this.topics.keys()]) if (!seen.has(name)) this.forgetTopic(name);
    }
  }

  private forgetTopic(name: string): void {
    const t = this.topics.get(name);
    if (t !== undefined) this.topicNamesById.delete(t.topicId);
    this.topics.delete(name);
  }

  /** The leader of a partition from the cache, or -1. */
  leaderFor(topic: string, partition: number): number {
    return this.topics.get(topic)?.partitions[partition]?.leader ?? -1;
  }

  // ---------------------------------------------------------------------------
  // Coordinators

  /** The coordinator node for a group or transactional id, looked up once and cached. */
  async coordinator(type: CoordinatorType, key: string): Promise<number> {
    const cacheKey = `${type}:${key}`;
    const cached = this.coordinators.get(cacheKey);
    if (cached !== undefined && this.brokers.has(cached)) return cached;
    const nodeId = await this.retry(async () => {
      const connection = await this.anyConnection();
      const version = connection.versionFor(ApiKey.FindCoordinator);
      const keyType = type === 'group' ? 0 : 1;
      const response = await connection.request(
        ApiKey.FindCoordinator,
        version >= 4 ? { keyType, coordinatorKeys: [key] } : { key, keyType },
      );
      if (version >= 4) {
        const c = response.coordinators.find((x) => x.key === key) ?? response.coordinators[0];
        if (c === undefined) throw new KafkaProtocolError(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'empty FindCoordinator response');
        checkErrorCode(c.errorCode, c.errorMessage, `FindCoordinator ${type} "${key}"`);
        this.rememberBroker(c.nodeId, c.host, c.port);
        return c.nodeId;
      }
      checkErrorCode(response.errorCode, response.errorMessage, `FindCoordinator ${type} "${key}"`);
      this.rememberBroker(response.nodeId, response.host, response.port);
      return response.nodeId;
    });
    this.coordinators.set(cacheKey, nodeId);
    return nodeId;
  }

  /** Drops a cached coordinator after NOT_COORDINATOR or a lost connection. */
  forgetCoordinator(type: CoordinatorType, key: string): void {
    this.coordinators.delete(`${type}:${key}`);
  }

  private rememberBroker(nodeId: number, host: string, port: number): void {
    if (!this.brokers.has(nodeId)) this.brokers.set(nodeId, { nodeId, host, port, rack: null });
  }

  /**
   * Sends to the coordinator, looking it up first and again after
   * NOT_COORDINATOR / COORDINATOR_NOT_AVAILABLE / a dropped connection.
   * `check` throws the response's error (so the retry loop can see it).
   */
  async sendToCoordinator<K extends ApiKey, T>(
    type: CoordinatorType,
    key: string,
    apiKey: K,
    body: ApiMessages[K]['requestInput'] | ((version: number) => ApiMessages[K]['requestInput']),
    check: (response: ApiMessages[K]['response']) => T,
    options?: RequestOptions & { retries?: number },
  ): Promise<T> {
    const attemptOnce = async (): Promise<T> => {
      const nodeId = await this.coordinator(type, key);
      try {
        const connection = await this.connection(nodeId);
        const input = typeof body === 'function' ? body(connection.versionFor(apiKey)) : body;
        const response = await connection.request(apiKey, input, options);
        return check(response);
      } catch (error) {
        if (
          error instanceof ConnectionError ||
          KafkaProtocolError.is(error, 'NOT_COORDINATOR') ||
          KafkaProtocolError.is(error, 'COORDINATOR_NOT_AVAILABLE')
        ) {
          this.forgetCoordinator(type, key);
        }
        throw error;
      }
    };
    return withRetry(attemptOnce, {
      retries: options?.retries ?? this.retries,
      initialMs: this.retryBackoffMs,
      maxMs: this.retryBackoffMaxMs,
      isCancelled: () => this.closed,
    });
  }

  /** Waits a backoff step; used by loops that retry by themselves. */
  backoff(attempt: number): Promise<void> {
    return sleep(backoffMs(attempt, this.retryBackoffMs, this.retryBackoffMaxMs));
  }
}

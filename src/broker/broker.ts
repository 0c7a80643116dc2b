/**
 * A running Samsa node: combined broker and controller, node id from the
 * config, one voter in the metadata quorum. This is the one start-up path;
 * the CLI (`samsa start`, `kafka-server-start.sh`) and `Broker.start` in a
 * user's test both end up here.
 *
 * Start: read (or, when allowed, format) the data dirs, replay the metadata
 * log into an image, open the partition logs the image names, bind the
 * listeners, register this broker. Stop: stop accepting, wake long polls,
 * let in-flight requests finish, flush and close the logs, write the
 * clean-shutdown marker.
 */
import type { FileSystem } from '../platform/file-system.js';
import { nodeFileSystem } from '../platform/node-file-system.js';
import { systemClock, type Clock } from '../platform/clock.js';
import { MetadataImage } from '../metadata/image.js';
import { RaftQuorum } from '../metadata/quorum.js';
import { Controller } from '../metadata/controller.js';
import { randomUuid } from '../metadata/uuid.js';
import type { BrokerConfig, ListenerSpec } from './config/broker-config.js';
import { validateTopicConfigs } from './config/topic-config.js';
import { effectiveBrokerConfig } from './config/dynamic-config.js';
import { clearCleanShutdown, formatStorage, readStorage, StorageNotFormattedError, writeCleanShutdown } from './data-dir.js';
import { ReplicaManager } from './replica/replica-manager.js';
import { SocketServer } from './network/socket-server.js';
import { createDispatcher } from './dispatcher.js';
import { startGroupCoordinator, stopGroupCoordinator } from '../coordinator/group/group-coordinator-service.js';
import { advertisedVersions, handlerTable } from './handlers/index.js';
import { METADATA_VERSION_MAX } from './handlers/18-api-versions.js';
import type { BrokerContext } from './handlers/handler.js';
import { startTransactionCoordinator } from './handlers/txn-common.js';
import type { Logger } from './logger.js';

/** Kafka's SecurityProtocol ids. */
const securityProtocolIds: Record<string, number> = { PLAINTEXT: 0, SSL: 1, SASL_PLAINTEXT: 2, SASL_SSL: 3 };

/** How long shutdown waits for in-flight requests before closing connections. */
const SHUTDOWN_GRACE_MS = 5_000;

export interface BoundListener {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly advertisedHost: string;
  readonly advertisedPort: number;
}

export interface StartOptions {
  readonly config: BrokerConfig;
  readonly logger: Logger;
  /** Format unformatted data dirs with a random cluster id (samsa start, embedded); Kafka's scripts do not. */
  readonly autoFormat: boolean;
  readonly fs?: FileSystem;
  readonly clock?: Clock;
}

export class RunningNode {
  private stopping: Promise<void> | null = null;

  constructor(
    readonly clusterId: string,
    readonly nodeId: number,
    readonly listeners: readonly BoundListener[],
    /** `host:port` of the first client listener, as advertised. */
    readonly bootstrap: string,
    private readonly shutdownSteps: () => Promise<void>,
  ) {}

  stop(): Promise<void> {
    this.stopping ??= this.shutdownSteps();
    return this.stopping;
  }
}

function advertisedHostFor(host: string): string {
  return host === '' || host === '0.0.0.0' || host === '::' ? 'localhost' : host;
}

export async function startNode(options: StartOptions): Promise<RunningNode> {
  const { config, logger } = options;
  const fs = options.fs ?? nodeFileSystem;
  const clock = options.clock ?? systemClock;
  const startedMs = clock.monotonicMs();

  if (!config.processRoles.includes('broker') || !config.processRoles.includes('controller')) {
    throw new Error(
      `process.roles=${config.processRoles.join(',') || '(unset)'}: Samsa runs as a combined broker and controller (process.roles=broker,controller) in KRaft mode`,
    );
  }
  if (config.nodeId < 0) throw new Error('node.id must be set to a value >= 0');
  if (config.logDirs.length > 1) logger.warn({ logDirs: config.logDirs }, 'only the first of log.dirs holds partitions for now');
  const logDir = config.logDirs[0]!;

  let storage;
  try {
    storage = readStorage(fs, config);
  } catch (err) {
    if (!(err instanceof StorageNotFormattedError) || !options.autoFormat) throw err;
    const clusterId = randomUuid();
    await formatStorage(fs, config, clusterId, { ignoreFormatted: true });
    logger.info({ clusterId, logDir }, 'formatted new storage');
    storage = readStorage(fs, config);
  }
  clearCleanShutdown(fs, config);

  const quorum = await RaftQuorum.open({
    fs,
    clock,
    metadataLogDir: config.metadataLogDir,
    nodeId: config.nodeId,
    quorumVoters: config.raw.get('controller.quorum.voters') ?? '',
    clusterId: storage.clusterId,
    onFatal: (err) => logger.error({ err }, 'the metadata quorum failed; metadata changes fail from now on'),
  });
  let image = MetadataImage.empty;
  for (const batch of quorum.replay()) image = image.apply(batch.records, batch.lastOffset);

  // The static config with the dynamic broker configs (AlterConfigs) applied.
  let effectiveConfig = effectiveBrokerConfig(config, image);
  const replicas = await ReplicaManager.open(fs, clock, effectiveConfig, logger);
  await replicas.removeStrayLogs(image);
  await replicas.applyImage(image);
  replicas.startBackgroundTasks();
  quorum.onCommit((batch) => {
    const before = image;
    image = image.apply(batch.records, batch.lastOffset);
    if (image.brokerConfigs !== before.brokerConfigs) {
      effectiveConfig = effectiveBrokerConfig(config, image);
      replicas.updateBrokerConfig(effectiveConfig);
    }
    return replicas.applyImage(image);
  });

  const controller = new Controller({
    nodeId: config.nodeId,
    quorum,
    image: () => image,
    newUuid: randomUuid,
    defaultPartitions: config.numPartitions,
    defaultReplicationFactor: config.defaultReplicationFactor,
    validateTopicConfigs,
  });
  if (!image.features.has('metadata.version')) await controller.bootstrap(new Map([['metadata.version', METADATA_VERSION_MAX]]));

  const table = handlerTable();
  const context: BrokerContext = {
    get config(): BrokerConfig {
      return effectiveConfig;
    },
    nodeId: config.nodeId,
    clusterId: storage.clusterId,
    clock,
    logger,
    controller,
    replicas,
    image: () => image,
    apiVersions: advertisedVersions(table),
    metadataVersion: METADATA_VERSION_MAX,
  };
  const dispatch = createDispatcher(table, context);
  // Groups and committed offsets are loaded before the first request (and session timers run from now).
  await startGroupCoordinator(context);

  const servers: SocketServer[] = [];
  const bound: BoundListener[] = [];
  const closeAll = async (): Promise<void> => {
    stopGroupCoordinator(context);
    await Promise.all(servers.map((s) => s.shutdown(0)));
    await replicas.close(-1);
    quorum.close();
  };
  try {
    for (const listener of config.listeners) {
      const server = new SocketServer(
        {
          listenerName: listener.name,
          host: listener.host,
          port: listener.port,
          maxConnections: config.maxConnections,
          frameBytesMax: config.socketRequestMaxBytes,
          inFlightMax: config.queuedMaxRequests,
          idleTimeoutMs: config.connectionsMaxIdleMs,
        },
        dispatch,
        logger,
      );
      const address = await server.listen();
      servers.push(server);
      const advertised: ListenerSpec | undefined = config.advertisedListeners.find((a) => a.name === listener.name);
      bound.push({
        name: listener.name,
        host: address.host,
        port: address.port,
        advertisedHost: advertisedHostFor(advertised?.host ?? listener.host),
        advertisedPort: advertised === undefined || advertised.port === 0 ? address.port : advertised.port,
      });
    }
  } catch (err) {
    await closeAll();
    throw err;
  }

  const clientListeners = bound.filter((l) => !config.controllerListenerNames.includes(l.name));
  if (clientListeners.length === 0) {
    await closeAll();
    throw new Error('listeners: no broker listener (every listener is a controller listener)');
  }
  const brokerEpoch = await controller.registerBroker({
    incarnationId: randomUuid(),
    endpoints: clientListeners.map((l) => ({
      name: l.name,
      host: l.advertisedHost,
      port: l.advertisedPort,
      securityProtocol: securityProtocolIds[config.listeners.find((s) => s.name === l.name)!.securityProtocol] ?? 0,
    })),
    rack: config.raw.get('broker.rack') ?? null,
  });

  const first = clientListeners[0]!;
  logger.info(
    { clusterId: storage.clusterId, nodeId: config.nodeId, listeners: bound, startupMs: Math.round(clock.monotonicMs() - startedMs), cleanShutdown: storage.cleanShutdown },
    'Samsa started',
  );
  void startTransactionCoordinator(context).catch((err: unknown) => logger.error({ err }, 'loading the transaction coordinator failed'));

  return new RunningNode(storage.clusterId, config.nodeId, bound, `${first.advertisedHost}:${first.advertisedPort}`, async () => {
    logger.info({}, 'shutting down');
    const draining = Promise.all(servers.map((s) => s.shutdown(SHUTDOWN_GRACE_MS)));
    replicas.wakeAll();
    stopGroupCoordinator(context);
    await draining;
    await replicas.close(Number(brokerEpoch));
    quorum.close();
    await writeCleanShutdown(fs, config, Number(brokerEpoch));
    logger.info({}, 'shut down cleanly');
  });
}

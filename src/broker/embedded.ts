/**
 * `Broker.start(...)`: a Samsa node inside the caller's process, for tests.
 * Same start-up path as `samsa start`; defaults differ only where a test
 * wants them to: loopback, port 0 (a free port), a fresh temporary data dir
 * (removed on stop) unless one is given, and a silent logger.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseBrokerConfig } from './config/broker-config.js';
import { samsaDefaults } from './config/defaults.js';
import { startNode, type BoundListener, type RunningNode } from './broker.js';
import { createLogger, silentLogger, type Logger } from './logger.js';

export interface BrokerOptions {
  /** TCP port for clients; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to listen on; default 127.0.0.1. */
  host?: string;
  /** Where data lives; formatted on first use. Default: a temporary dir removed by stop(). */
  dataDir?: string;
  /** Any broker config by Kafka name, e.g. `{ 'num.partitions': 3 }`; wins over the defaults. */
  config?: Readonly<Record<string, string | number | boolean>>;
  /** A pino-style logger, or a level name for a pino logger on stderr; default silent. */
  logger?: Logger | string;
}

export class Broker {
  private constructor(
    private readonly node: RunningNode,
    private readonly tempDir: string | null,
  ) {}

  /** Starts a node and resolves once clients can use it. */
  static async start(options: BrokerOptions = {}): Promise<Broker> {
    const tempDir = options.dataDir === undefined ? mkdtempSync(join(tmpdir(), 'samsa-')) : null;
    const dataDir = options.dataDir ?? tempDir!;
    const host = options.host ?? '127.0.0.1';
    const props: Record<string, string> = {
      ...samsaDefaults({ dataDir, host, port: options.port ?? 0, controllerPort: null }),
    };
    for (const [key, value] of Object.entries(options.config ?? {})) props[key] = String(value);
    const logger = options.logger === undefined ? silentLogger : typeof options.logger === 'string' ? createLogger(options.logger) : options.logger;
    const { config, warnings } = parseBrokerConfig(props);
    for (const warning of warnings) logger.warn({}, warning);
    try {
      const node = await startNode({ config, logger, autoFormat: true });
      return new Broker(node, tempDir);
    } catch (err) {
      if (tempDir !== null) rmSync(tempDir, { recursive: true, force: true });
      throw err;
    }
  }

  /** `host:port` for a client's bootstrap servers. */
  get bootstrap(): string {
    return this.node.bootstrap;
  }

  get port(): number {
    return this.listeners[0]!.advertisedPort;
  }

  get clusterId(): string {
    return this.node.clusterId;
  }

  get nodeId(): number {
    return this.node.nodeId;
  }

  get listeners(): readonly BoundListener[] {
    return this.node.listeners;
  }

  /** Stops the node (finishing in-flight requests) and releases its ports and files. */
  async stop(): Promise<void> {
    await this.node.stop();
    if (this.tempDir !== null) rmSync(this.tempDir, { recursive: true, force: true });
  }
}

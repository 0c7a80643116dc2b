/**
 * Runs a node in the foreground for the CLI: builds the config, starts, says
 * where it listens, and stops cleanly on SIGTERM/SIGINT (stop accepting,
 * finish in-flight requests, flush, clean-shutdown marker). A bad config or
 * storage problem is one line on stderr and exit code 1.
 */
import { ConfigError, parseBrokerConfig } from '../broker/config/broker-config.js';
import { startNode, type RunningNode } from '../broker/broker.js';
import { createLogger } from '../broker/logger.js';
import { VERSION } from '../index.js';

export interface RunServerOptions {
  readonly props: Record<string, string>;
  readonly autoFormat: boolean;
  /** What to call the data dir in the ready message. */
  readonly describeDataDir?: string;
}

export function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

export async function runServer(options: RunServerOptions): Promise<void> {
  let parsed;
  try {
    parsed = parseBrokerConfig(options.props);
  } catch (err) {
    if (err instanceof ConfigError) fail(`Invalid configuration: ${err.message}`);
    throw err;
  }
  const logger = createLogger('info');
  for (const warning of parsed.warnings) logger.warn({}, warning);

  let node: RunningNode;
  try {
    node = await startNode({ config: parsed.config, logger, autoFormat: options.autoFormat });
  } catch (err) {
    fail(`Samsa failed to start: ${err instanceof Error ? err.message : String(err)}`);
  }
  const running = node;
  // Handlers go in before the ready line: whoever reads it may signal at once.
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`Received ${signal}; shutting down\n`);
    running.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`Shutdown failed: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  const where = node.listeners.map((l) => `${l.name}://${l.advertisedHost}:${l.advertisedPort}`).join(', ');
  process.stdout.write(
    `Samsa ${VERSION} started (node ${node.nodeId}, cluster ${node.clusterId}); listening on ${where}; data in ${options.describeDataDir ?? parsed.config.logDirs.join(',')}\n`,
  );

}

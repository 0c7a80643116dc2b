/**
 * The real Samsa broker in a child process for the broker benchmarks, so the
 * load generator does not share its event loop (the ceilings run the same
 * way, see frame-server.ts).
 *
 * Usage (forked with an IPC channel):
 *   node broker-server.js <dataDir> <lifetimeMs> [<config json>]
 * Sends {type:'listening', port} once `Broker.start({ port: 0, dataDir })`
 * resolved; on {type:'stop'} stops the broker cleanly, replies
 * {type:'stopped'} and exits. Exits by itself when the parent goes away or
 * the lifetime passes. Run with `--cpu-prof` in execArgv to profile.
 */
import { Broker } from '../../src/index.js';

export type BrokerServerMessage = { type: 'listening'; port: number } | { type: 'stopped' };

async function main(): Promise<void> {
  const [dataDir, lifetimeArg, configJson] = process.argv.slice(2);
  if (!dataDir || !lifetimeArg) {
    process.stderr.write('usage: broker-server <dataDir> <lifetimeMs> [<config json>]\n');
    process.exit(2);
  }
  const config = configJson ? (JSON.parse(configJson) as Record<string, string | number | boolean>) : {};
  const broker = await Broker.start({ port: 0, dataDir, config });
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await broker.stop();
    if (process.send) process.send({ type: 'stopped' } satisfies BrokerServerMessage, () => process.exit(0));
    else process.exit(0);
  };
  process.on('message', (message: unknown) => {
    if (typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'stop') void stop();
  });
  process.on('disconnect', () => process.exit(0));
  setTimeout(() => {
    process.stderr.write('broker-server: lifetime exceeded, exiting\n');
    process.exit(3);
  }, Number(lifetimeArg)).unref();
  process.send?.({ type: 'listening', port: broker.port } satisfies BrokerServerMessage);
}

main().catch((err: unknown) => {
  process.stderr.write(`broker-server: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});

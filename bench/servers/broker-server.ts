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
import { monitorEventLoopDelay } from 'node:perf_hooks';
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
  const loopStalls = process.env['SAMSA_BENCH_LOOP_STALLS'] === '1' ? watchLoopStalls() : undefined;
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await broker.stop();
    if (loopStalls) process.stderr.write(`broker-server: event loop stalls over 2 ms (epoch ms, ms): ${JSON.stringify(loopStalls())}\n`);
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

/**
 * SAMSA_BENCH_LOOP_STALLS=1: the broker's event-loop delay, checked every
 * 50 ms; windows whose worst delay passed 2 ms are reported on stop with
 * their wall-clock time, to line up with a client's slow records.
 */
function watchLoopStalls(): () => Array<[number, number]> {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  const stalls: Array<[number, number]> = [];
  setInterval(() => {
    const maxMs = histogram.max / 1e6;
    if (maxMs > 2) stalls.push([Date.now(), Math.round(maxMs * 10) / 10]);
    histogram.reset();
  }, 50).unref();
  return () => stalls;
}

main().catch((err: unknown) => {
  process.stderr.write(`broker-server: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});

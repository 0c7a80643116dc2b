/**
 * Preloaded (`node --import <this file>`) into processes the benchmarks start
 * from programs that do not know about benchmarks (`samsa start`): the
 * process exits when the parent's IPC channel closes (the parent died) or
 * after SAMSA_BENCH_LIFETIME_MS, so nothing outlives a run.
 */
if (process.channel) {
  process.channel.unref();
  process.on('disconnect', () => process.exit(0));
}
const lifetimeMs = Number(process.env['SAMSA_BENCH_LIFETIME_MS'] ?? 0);
if (lifetimeMs > 0) {
  setTimeout(() => {
    process.stderr.write('lifetime-guard: lifetime exceeded, exiting\n');
    process.exit(3);
  }, lifetimeMs).unref();
}
export {};

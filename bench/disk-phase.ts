/**
 * Puts the page cache in the same state before every phase that writes to
 * disk, so that a broker phase and its ceiling phase compare software, not
 * the luck of what ran before them.
 *
 * Two things carried over from earlier phases and moved the results more
 * than anything measured:
 *
 * - Dirty pages. A phase that writes gigabytes leaves them dirty, and the
 *   kernel writes them back (and, past vm.dirty_background_ratio, throttles
 *   writers) while the next phase runs. `settleDisk` writes them back first
 *   (syncfs, through coreutils' `sync -f`).
 * - Fresh versus recycled memory. On a VM whose host backs guest memory on
 *   first touch and takes free pages back (free page reporting), writing
 *   into page-cache pages the guest never used is several times slower than
 *   writing into pages a deleted file has just freed. Whichever phase came
 *   first after a deletion got the fast pages. `warmPageCache` writes a
 *   scratch file and deletes it, so the phase that follows writes into
 *   pages that are backed, as every page is on a machine without such a
 *   host.
 *
 * Measured with broker.produce's frames (acks=1, MB/s, ceiling.append then
 * broker): 850/247, 861/299, 1410/296 as the suite ran them before; with the
 * order swapped 563/533, 821/538; after settling and warming each phase
 * 1701/570, 1666/624, 1785/629, 1592/505: stable, and what the software does.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

/** How much the scratch file writes: more than a 2 s phase at the ceiling's usual rate uses from fresh memory. */
export const warmBytes = 2 * 1024 * 1024 * 1024;

/** Writes back the dirty pages of the file system holding `dir` and waits for the disk. Returns ms taken. */
export function settleDisk(dir: string): number {
  const started = performance.now();
  const result = spawnSync('sync', ['-f', dir], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (result.error) throw new Error(`sync -f ${dir}: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`sync -f ${dir} exited ${result.status}: ${result.stderr.trim()}`);
  return performance.now() - started;
}

/** Writes `bytes` to a scratch file in `dir` and deletes it, leaving that much backed, free memory. Returns ms taken. */
export function warmPageCache(dir: string, bytes: number = warmBytes): number {
  const started = performance.now();
  const path = join(dir, `.warm-${process.pid}`);
  const chunk = Buffer.alloc(1024 * 1024, 0x5a);
  const fd = openSync(path, 'w');
  try {
    for (let written = 0; written < bytes; written += chunk.length) writeSync(fd, chunk);
  } finally {
    closeSync(fd);
    unlinkSync(path);
  }
  return performance.now() - started;
}

/** Both, in that order: call right before a phase that writes to disk. */
export function prepareDiskPhase(dir: string): void {
  settleDisk(dir);
  warmPageCache(dir);
}

/**
 * An in-memory FileSystem that remembers what is durable, for tests and the
 * simulator. Every file keeps two images: what readers see now, and what the
 * disk would hold after a power cut (updated by datasync). `crash()` throws
 * the volatile image away, optionally keeping a torn, partly garbage prefix of
 * the unsynced tail the way a real disk may.
 *
 * Directory entries follow the same rule: creating, renaming or unlinking is
 * visible at once but survives a crash only after syncDir on the parent
 * (writeFileAtomic does that). Faults (EIO, ENOSPC, short writes) come from a
 * seeded schedule or are armed one by one, so every failure replays.
 */
import {
  dirname,
  fsError,
  type FileHandle,
  type FileStat,
  type FileSystem,
  type OpenMode,
} from './file-system.js';
import type { Clock } from './clock.js';
import type { Random } from './random.js';

class Inode {
  data: Buffer = Buffer.alloc(0);
  length = 0;
  durable: Buffer = Buffer.alloc(0);
  durableLength = 0;
  /** Lowest byte changed since the last sync; Infinity when clean. */
  dirtyFrom = Infinity;
  mtimeMs = 0;

  ensureCapacity(size: number): void {
    if (size <= this.data.length) return;
    const next = Buffer.alloc(Math.max(size, this.data.length * 2, 4096));
    this.data.copy(next, 0, 0, this.length);
    this.data = next;
  }

  writeAt(src: Buffer, position: number): void {
    const end = position + src.length;
    this.ensureCapacity(end);
    if (position > this.length) this.data.fill(0, this.length, position);
    src.copy(this.data, position);
    if (end > this.length) this.length = end;
    this.dirtyFrom = Math.min(this.dirtyFrom, position);
  }

  truncate(size: number): void {
    this.ensureCapacity(size);
    if (size > this.length) this.data.fill(0, this.length, size);
    this.length = size;
    this.dirtyFrom = Math.min(this.dirtyFrom, size);
  }

  sync(): void {
    if (this.dirtyFrom === Infinity) return;
    if (this.durable.length < this.length) {
      const next = Buffer.alloc(Math.max(this.length, this.durable.length * 2));
      this.durable.copy(next, 0, 0, Math.min(this.durableLength, this.length));
      this.durable = next;
    }
    const from = Math.min(this.dirtyFrom, this.length);
    this.data.copy(this.durable, from, from, this.length);
    this.durableLength = this.length;
    this.dirtyFrom = Infinity;
  }

  /** Back to the durable image, plus (when tearing) some of the unsynced tail. */
  revert(random: Random | undefined, tearProbability: number): void {
    const extra = this.length - this.durableLength;
    let keep = 0;
    let garbageFrom = -1;
    if (random !== undefined && extra > 0 && this.dirtyFrom >= this.durableLength && random.chance(tearProbability)) {
      keep = random.int(extra + 1);
      // A torn page: the last partial 4 KiB of what survived may be garbage.
      if (keep > 0 && random.chance(0.5)) garbageFrom = this.durableLength + Math.max(0, keep - 1 - random.int(4096));
    }
    const tail = keep > 0 ? Buffer.from(this.data.subarray(this.durableLength, this.durableLength + keep)) : undefined;
    this.data = Buffer.alloc(Math.max(this.durableLength + keep, 16));
    this.durable.copy(this.data, 0, 0, this.durableLength);
    this.length = this.durableLength;
    this.dirtyFrom = Infinity;
    if (tail !== undefined) {
      tail.copy(this.data, this.durableLength);
      this.length += keep;
      if (garbageFrom >= 0) {
        for (let i = garbageFrom; i < this.length; i++) this.data[i] = random!.int(256);
      }
      // What reached the platter is as durable as anything synced.
      this.dirtyFrom = this.durableLength;
      this.sync();
    }
  }
}

export type FaultOp = 'open' | 'write' | 'read' | 'sync' | 'truncate' | 'rename' | 'unlink' | 'mkdir';

export interface ArmedFault {
  op: FaultOp;
  code: string;
  /** Only paths containing this string; any path when absent. */
  pathIncludes?: string;
  /** How many times it fires before disarming; forever when absent. */
  count?: number;
  /** For writes: how many bytes land before the error (a short write then failure). */
  partialBytes?: number;
}

export interface SimulatedFaults {
  random: Random;
  /** Probability that a raw write returns after writing only part of its bytes (the handle retries). */
  shortWriteProbability?: number;
  /** Per-call probabilities of an EIO. */
  writeErrorProbability?: number;
  syncErrorProbability?: number;
  readErrorProbability?: number;
  /** Only paths containing this string get random faults. */
  pathIncludes?: string;
}

export interface CrashOptions {
  /** Source of randomness for torn tails; no tearing without it. */
  random?: Random;
  /** Probability that a file with an unsynced tail keeps part of it. */
  tearProbability?: number;
}

interface DirEntryState {
  /** path -> inode, as visible now. */
  files: Map<string, Inode>;
  dirs: Set<string>;
}

export class SimulatedFileSystem implements FileSystem {
  private live: DirEntryState = { files: new Map(), dirs: new Set(['/']) };
  private durable: DirEntryState = { files: new Map(), dirs: new Set(['/']) };
  private generation = 0;
  private armed: ArmedFault[] = [];
  /** Random fault schedule; none when undefined. */
  faults: SimulatedFaults | undefined;
  /** Total bytes the disk holds before writes fail with ENOSPC. */
  capacityBytes = Infinity;
  /** Counts of calls, for tests that assert batching (e.g. one sync per group commit). */
  readonly stats = { syncs: 0, writes: 0, bytesWritten: 0 };

  constructor(private readonly clock?: Clock) {}

  /** Arms a one-shot (or n-shot, or permanent) fault. */
  inject(fault: ArmedFault): void {
    this.armed.push({ ...fault });
  }

  clearFaults(): void {
    this.armed = [];
    this.faults = undefined;
  }

  /**
   * Power cut: everything not made durable disappears, open handles die.
   * Directory entries revert to their last syncDir; file contents to their
   * last datasync, with an optional torn tail.
   */
  crash(options: CrashOptions = {}): void {
    this.generation++;
    const tearProbability = options.tearProbability ?? 0.5;
    const seen = new Set<Inode>();
    for (const inode of this.durable.files.values()) {
      if (seen.has(inode)) continue;
      seen.add(inode);
      inode.revert(options.random, tearProbability);
    }
    this.live = { files: new Map(this.durable.files), dirs: new Set(this.durable.dirs) };
  }

  /** Total bytes currently stored (for ENOSPC accounting and tests). */
  usedBytes(): number {
    let total = 0;
    for (const inode of new Set(this.live.files.values())) total += inode.length;
    return total;
  }

  // -- fault plumbing --------------------------------------------------------

  /** Throws an armed or random fault for this call, if one is due. Returns partial bytes for writes. */
  private checkFault(op: FaultOp, path: string): { code: string; partialBytes: number } | undefined {
    for (let i = 0; i < this.armed.length; i++) {
      const f = this.armed[i]!;
      if (f.op !== op || (f.pathIncludes !== undefined && !path.includes(f.pathIncludes))) continue;
      if (f.count !== undefined) {
        f.count--;
        if (f.count <= 0) this.armed.splice(i, 1);
      }
      return { code: f.code, partialBytes: f.partialBytes ?? 0 };
    }
    const plan = this.faults;
    if (plan === undefined || (plan.pathIncludes !== undefined && !path.includes(plan.pathIncludes))) return undefined;
    const p =
      op === 'write' ? plan.writeErrorProbability : op === 'sync' ? plan.syncErrorProbability : op === 'read' ? plan.readErrorProbability : 0;
    if (p !== undefined && p > 0 && plan.random.chance(p)) return { code: 'EIO', partialBytes: 0 };
    return undefined;
  }

  private fail(op: FaultOp, path: string): void {
    const fault = this.checkFault(op, path);
    if (fault !== undefined) throw fsError(fault.code, op, path);
  }

  // -- namespace -------------------------------------------------------------

  private requireParent(path: string): void {
    if (!this.live.dirs.has(dirname(path))) throw fsError('ENOENT', 'open', path);
  }

  private inode(path: string, syscall: string): Inode {
    const inode = this.live.files.get(path);
    if (inode === undefined) throw fsError(this.live.dirs.has(path) ? 'EISDIR' : 'ENOENT', syscall, path);
    return inode;
  }

  open(path: string, mode: OpenMode): FileHandle {
    this.fail('open', path);
    let inode = this.live.files.get(path);
    if (mode === 'createNew' && inode !== undefined) throw fsError('EEXIST', 'open', path);
    if (inode === undefined) {
      if (mode === 'read' || mode === 'readWrite') throw fsError('ENOENT', 'open', path);
      this.requireParent(path);
      inode = new Inode();
      inode.mtimeMs = this.clock?.nowMs() ?? 0;
      this.live.files.set(path, inode);
    }
    return new SimulatedFileHandle(this, path, inode, this.generation, mode === 'read');
  }

  readFile(path: string): Buffer {
    this.fail('read', path);
    const inode = this.inode(path, 'open');
    return Buffer.from(inode.data.subarray(0, inode.length));
  }

  async writeFileAtomic(path: string, data: Buffer): Promise<void> {
    const tmp = `${path}.tmp`;
    const handle = this.open(tmp, 'create');
    try {
      handle.truncate(0);
      handle.write(data, 0);
      await handle.datasync();
    } finally {
      handle.close();
    }
    this.rename(tmp, path);
    await this.syncDir(dirname(path));
  }

  rename(from: string, to: string): void {
    this.fail('rename', from);
    if (this.live.dirs.has(from)) {
      this.requireParent(to);
      if (this.live.dirs.has(to) || this.live.files.has(to)) throw fsError('EEXIST', 'rename', to);
      const prefix = `${from}/`;
      for (const d of [...this.live.dirs]) {
        if (d === from || d.startsWith(prefix)) {
          this.live.dirs.delete(d);
          this.live.dirs.add(to + d.slice(from.length));
        }
      }
      for (const [p, inode] of [...this.live.files]) {
        if (p.startsWith(prefix)) {
          this.live.files.delete(p);
          this.live.files.set(to + p.slice(from.length), inode);
        }
      }
      return;
    }
    const inode = this.inode(from, 'rename');
    this.requireParent(to);
    this.live.files.delete(from);
    this.live.files.set(to, inode);
  }

  unlink(path: string): void {
    this.fail('unlink', path);
    this.inode(path, 'unlink');
    this.live.files.delete(path);
  }

  readdir(path: string): string[] {
    if (!this.live.dirs.has(path)) throw fsError('ENOENT', 'scandir', path);
    const prefix = path.endsWith('/') ? path : `${path}/`;
    const names = new Set<string>();
    const collect = (p: string): void => {
      if (p.startsWith(prefix)) {
        const rest = p.slice(prefix.length);
        if (rest.length > 0 && !rest.includes('/')) names.add(rest);
      }
    };
    for (const p of this.live.files.keys()) collect(p);
    for (const p of this.live.dirs) collect(p);
    return [...names].sort();
  }

  mkdir(path: string): void {
    this.fail('mkdir', path);
    let p = path;
    const chain: string[] = [];
    while (!this.live.dirs.has(p)) {
      if (this.live.files.has(p)) throw fsError('EEXIST', 'mkdir', p);
      chain.push(p);
      p = dirname(p);
    }
    for (const d of chain) {
      this.live.dirs.add(d);
      // Directory creation is made durable with its parent's syncDir; tests
      // that do not care get parents for free so paths stay reachable.
    }
  }

  removeTree(path: string): void {
    const prefix = `${path}/`;
    for (const p of [...this.live.files.keys()]) if (p === path || p.startsWith(prefix)) this.live.files.delete(p);
    for (const d of [...this.live.dirs]) if (d === path || d.startsWith(prefix)) this.live.dirs.delete(d);
  }

  stat(path: string): FileStat | undefined {
    const inode = this.live.files.get(path);
    if (inode !== undefined) return { sizeBytes: inode.length, mtimeMs: inode.mtimeMs, isDirectory: false };
    if (this.live.dirs.has(path)) return { sizeBytes: 0, mtimeMs: 0, isDirectory: true };
    return undefined;
  }

  async syncDir(path: string): Promise<void> {
    this.fail('sync', path);
    const prefix = path.endsWith('/') ? path : `${path}/`;
    const isChild = (p: string): boolean => p.startsWith(prefix) && !p.slice(prefix.length).includes('/');
    // The directory itself and its ancestors become durable (mkdir -p then sync).
    for (let d = path; ; d = dirname(d)) {
      if (this.live.dirs.has(d)) this.durable.dirs.add(d);
      if (d === '/' || d === '.') break;
    }
    for (const p of [...this.durable.files.keys()]) if (isChild(p) && !this.live.files.has(p)) this.durable.files.delete(p);
    for (const d of [...this.durable.dirs]) if (isChild(d) && !this.live.dirs.has(d)) this.durable.dirs.delete(d);
    for (const [p, inode] of this.live.files) if (isChild(p)) this.durable.files.set(p, inode);
    for (const d of this.live.dirs) if (isChild(d)) this.durable.dirs.add(d);
    await Promise.resolve();
  }

  // -- used by handles -------------------------------------------------------

  /** @internal */
  checkGeneration(generation: number, path: string): void {
    if (generation !== this.generation) throw fsError('EBADF', 'write', path);
  }

  /** @internal One raw write: may be short, may fail. Returns bytes written. */
  rawWrite(inode: Inode, path: string, src: Buffer, position: number): number {
    this.stats.writes++;
    const fault = this.checkFault('write', path);
    if (fault !== undefined) {
      const partial = Math.min(fault.partialBytes, src.length);
      if (partial > 0) inode.writeAt(src.subarray(0, partial), position);
      throw fsError(fault.code, 'write', path);
    }
    let length = src.length;
    const plan = this.faults;
    if (plan?.shortWriteProbability !== undefined && length > 1 && plan.random.chance(plan.shortWriteProbability)) {
      length = 1 + plan.random.int(length - 1);
    }
    const growth = Math.max(0, position + length - inode.length);
    if (growth > 0 && this.usedBytes() + growth > this.capacityBytes) {
      const room = Math.max(0, this.capacityBytes - this.usedBytes());
      if (room > 0) inode.writeAt(src.subarray(0, Math.min(room, length)), position);
      throw fsError('ENOSPC', 'write', path);
    }
    inode.writeAt(length === src.length ? src : src.subarray(0, length), position);
    inode.mtimeMs = this.clock?.nowMs() ?? inode.mtimeMs;
    this.stats.bytesWritten += length;
    return length;
  }

  /** @internal */
  rawSync(inode: Inode, path: string): void {
    this.stats.syncs++;
    this.fail('sync', path);
    inode.sync();
  }

  /** @internal */
  rawRead(path: string): void {
    this.fail('read', path);
  }

  /** @internal */
  rawTruncate(inode: Inode, path: string, size: number): void {
    this.fail('truncate', path);
    inode.truncate(size);
  }
}

class SimulatedFileHandle implements FileHandle {
  private closed = false;

  constructor(
    private readonly fs: SimulatedFileSystem,
    readonly path: string,
    private readonly inode: Inode,
    private readonly generation: number,
    private readonly readOnly: boolean,
  ) {}

  private check(syscall: string): void {
    if (this.closed) throw fsError('EBADF', syscall, this.path);
    this.fs.checkGeneration(this.generation, this.path);
  }

  write(buf: Buffer, position: number): void {
    this.check('write');
    if (this.readOnly) throw fsError('EBADF', 'write', this.path);
    let done = 0;
    while (done < buf.length) {
      done += this.fs.rawWrite(this.inode, this.path, done === 0 ? buf : buf.subarray(done), position + done);
    }
  }

  writev(bufs: readonly Buffer[], position: number): void {
    let at = position;
    for (const b of bufs) {
      this.write(b, at);
      at += b.length;
    }
  }

  async writevAsync(bufs: readonly Buffer[], position: number): Promise<void> {
    // The bytes land a turn later, as a thread-pool write would; a crash before then loses them.
    await Promise.resolve();
    this.writev(bufs, position);
  }

  read(buf: Buffer, bufOffset: number, length: number, position: number): number {
    this.check('read');
    this.fs.rawRead(this.path);
    const n = Math.max(0, Math.min(length, this.inode.length - position));
    if (n === 0) return 0;
    this.inode.data.copy(buf, bufOffset, position, position + n);
    return n;
  }

  async readAsync(buf: Buffer, bufOffset: number, length: number, position: number): Promise<number> {
    await Promise.resolve();
    return this.read(buf, bufOffset, length, position);
  }

  async datasync(): Promise<void> {
    this.check('fdatasync');
    // The image is taken now: a sync covers the writes issued before it.
    this.fs.rawSync(this.inode, this.path);
    await Promise.resolve();
  }

  truncate(sizeBytes: number): void {
    this.check('ftruncate');
    this.fs.rawTruncate(this.inode, this.path, sizeBytes);
  }

  sizeBytes(): number {
    this.check('fstat');
    return this.inode.length;
  }

  close(): void {
    this.closed = true;
  }
}

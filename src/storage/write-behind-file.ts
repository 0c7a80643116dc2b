/**
 * A segment's `.log` file whose appends never wait for the disk on the
 * event loop.
 *
 * On an idle file an append is written on the spot (a page-cache copy; see
 * INLINE_WRITE_BYTES_MAX for why not in the background). Behind
 * queued work or beside a running fdatasync it is queued instead, and one
 * vectored write on the libuv thread pool stores everything queued while
 * the previous operation ran: a synchronous write there would wait for the
 * disk, since ext4 holds pages under writeback.
 *
 * The file behaves as if every call took effect at once:
 * - reads see queued bytes (they are laid over what the file returns), and
 *   never go past the logical size;
 * - `truncate`, `datasync` and `close` run in order after the writes queued
 *   before them; a datasync therefore covers every earlier write, and later
 *   writes run beside it (truncate and close wait for it);
 * - `onWritten(tag)` reports each write once it is in the file (the page
 *   cache); the log turns that into its written end offset, which an acks=1
 *   produce waits for, so an acknowledged record survives the process dying.
 *
 * A failed background write makes the file unusable: the failure is
 * reported once to `onError` (the log goes offline), every waiter is
 * rejected, and later calls throw it.
 */
import type { FileHandle } from '../platform/file-system.js';

type Operation =
  | { kind: 'write'; position: number; bufs: Buffer[]; bytes: number; tag: number }
  | { kind: 'truncate'; size: number }
  | { kind: 'sync'; resolve: () => void; reject: (err: unknown) => void }
  | { kind: 'close' };

type WriteOperation = Extract<Operation, { kind: 'write' }>;

/** Queued bytes are merged into one write up to this size and buffer count (IOV_MAX is 1024 on Linux). */
const WRITE_GROUP_BYTES_MAX = 4 * 1024 * 1024;
const WRITE_GROUP_BUFFERS_MAX = 1024;

/**
 * A write up to this size on an idle file (nothing queued, running or
 * syncing) is done on the spot; write() then says so by returning true, and
 * no onWritten follows. That is every write: the thread pool is for writes
 * behind a running fdatasync, where a synchronous write would wait for the
 * disk (ext4 holds pages under writeback), and behind other queued work.
 *
 * Measured on 2 cores, pool for writes over 32 KiB vs on the spot:
 * - With no write-back running (each phase started from a clean page
 *   cache), 64 KiB batches at acks=1 ran at 578-621 vs 387-516 MB/s.
 * - With 3 GB of dirty pages being written back, as on a broker that has
 *   been taking writes for a while: 64 KiB batches 384-469 vs 505-519 MB/s;
 *   librdkafka's 1 KiB producer (1 MB batches) 133-162k vs 364-390k msgs/s,
 *   with the broker's RSS at 380 MB instead of 130 MB as queued writes
 *   piled up behind throttled pool writes.
 * - ~3 KiB batches across 1,000 partitions: the pool nearly doubled the CPU
 *   per request.
 * A broker under steady load lives in the second case, so writes stay on
 * the spot.
 */
const INLINE_WRITE_BYTES_MAX = Number.POSITIVE_INFINITY;

export interface WriteBehindOptions {
  /** Called once with the first background failure. */
  onError?: (err: unknown) => void;
  /** Called after each background write with the largest tag it carried (the log passes its write sequence). */
  onWritten?: (tag: number) => void;
  /** Writes up to this size on an idle file are done on the spot (default INLINE_WRITE_BYTES_MAX; 0: never). */
  inlineWriteBytesMax?: number;
}

export class WriteBehindFile {
  private readonly queue: Operation[] = [];
  /** The operation running on the thread pool, if any (it stays readable as an overlay until done). */
  private running: Operation | undefined;
  private logicalSize: number;
  private failure: unknown;
  private closed = false;
  /**
   * fdatasyncs started and not finished. A sync starts once every write
   * queued before it is in the file, and then runs beside later writes:
   * those need not wait for the disk (the written end, which readers wait
   * for, is not the durable end). Truncate and close wait for it.
   */
  private syncsRunning = 0;
  private fileClosedAfterFailure = false;

  constructor(
    private readonly file: FileHandle,
    private readonly options: WriteBehindOptions = {},
  ) {
    this.logicalSize = file.sizeBytes();
  }

  get path(): string {
    return this.file.path;
  }

  /** True while queued, running or syncing operations have not finished. */
  get busy(): boolean {
    return this.running !== undefined || this.queue.length > 0 || this.syncsRunning > 0;
  }

  /** Writes or queues the bytes; true when they are already in the file (an idle file is written at once). */
  write(buf: Buffer, position: number, tag = -1): boolean {
    return this.writev([buf], position, tag);
  }

  writev(bufs: readonly Buffer[], position: number, tag = -1): boolean {
    this.checkUsable();
    let bytes = 0;
    for (const b of bufs) bytes += b.length;
    if (bytes === 0) return true;
    let inFile = false;
    const last = this.queue[this.queue.length - 1];
    if (last?.kind === 'write' && last.position + last.bytes === position && last.bytes + bytes <= WRITE_GROUP_BYTES_MAX && last.bufs.length + bufs.length <= WRITE_GROUP_BUFFERS_MAX) {
      // Contiguous with the newest queued write, which has not started: ride along.
      for (const b of bufs) last.bufs.push(b);
      last.bytes += bytes;
      if (tag > last.tag) last.tag = tag;
    } else if (!this.busy && bytes <= (this.options.inlineWriteBytesMax ?? INLINE_WRITE_BYTES_MAX)) {
      this.file.writev(bufs, position);
      inFile = true;
    } else {
      this.enqueue({ kind: 'write', position, bufs: [...bufs], bytes, tag });
    }
    if (position + bytes > this.logicalSize) this.logicalSize = position + bytes;
    return inFile;
  }

  read(buf: Buffer, bufOffset: number, length: number, position: number): number {
    this.checkUsable();
    const wanted = Math.max(0, Math.min(length, this.logicalSize - position));
    if (wanted === 0) return 0;
    const overlay = this.pendingWrites();
    const fromFile = this.file.read(buf, bufOffset, wanted, position);
    return this.applyOverlay(overlay, buf, bufOffset, wanted, position, fromFile);
  }

  async readAsync(buf: Buffer, bufOffset: number, length: number, position: number): Promise<number> {
    this.checkUsable();
    const wanted = Math.max(0, Math.min(length, this.logicalSize - position));
    if (wanted === 0) return 0;
    // Writes finishing during the read may or may not be seen by it: lay the ones pending now over it.
    const overlay = this.pendingWrites();
    const fromFile = await this.file.readAsync(buf, bufOffset, wanted, position);
    return this.applyOverlay(overlay, buf, bufOffset, wanted, position, fromFile);
  }

  datasync(): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(Object.assign(new Error(`EBADF: fdatasync '${this.path}'`), { code: 'EBADF' }));
    // Always through the queue, so a close or truncate can never overtake a running sync.
    return new Promise<void>((resolve, reject) => this.enqueue({ kind: 'sync', resolve, reject }));
  }

  truncate(sizeBytes: number): void {
    this.checkUsable();
    this.logicalSize = sizeBytes;
    if (!this.busy) this.file.truncate(sizeBytes);
    else this.enqueue({ kind: 'truncate', size: sizeBytes });
  }

  sizeBytes(): number {
    this.checkUsable();
    return this.logicalSize;
  }

  /** Closes once the queued operations have run. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (!this.busy) this.file.close();
    else this.enqueue({ kind: 'close' });
  }

  /**
   * Closes without running what has not started (a crash, a deleted
   * partition); the running operation finishes first, since its file
   * descriptor must not be reused under it.
   */
  abandon(): void {
    if (this.closed && !this.busy) return;
    this.closed = true;
    const dropped = this.queue.splice(0);
    const err = Object.assign(new Error(`file ${this.path} closed with writes pending`), { code: 'EBADF' });
    for (const op of dropped) if (op.kind === 'sync') op.reject(err);
    if (this.running === undefined && this.syncsRunning === 0) this.file.close();
    else this.queue.push({ kind: 'close' });
  }

  private checkUsable(): void {
    if (this.failure !== undefined) throw this.failure;
    if (this.closed) throw Object.assign(new Error(`EBADF: '${this.path}' is closed`), { code: 'EBADF' });
  }

  private enqueue(op: Operation): void {
    this.queue.push(op);
    if (this.running === undefined) this.runNext();
  }

  /** A truncate or close must not pull the file from under a running sync. */
  private waitsForSyncs(op: Operation): boolean {
    return this.syncsRunning > 0 && (op.kind === 'truncate' || op.kind === 'close');
  }

  /** The writes not yet known to be in the file, oldest first. */
  private pendingWrites(): WriteOperation[] {
    const out: WriteOperation[] = [];
    if (this.running?.kind === 'write') out.push(this.running);
    for (const op of this.queue) if (op.kind === 'write') out.push(op);
    return out;
  }

  /** Copies pending bytes over a file read; returns how many bytes of the request are valid. */
  private applyOverlay(overlay: readonly WriteOperation[], buf: Buffer, bufOffset: number, wanted: number, position: number, fromFile: number): number {
    let valid = fromFile;
    const end = position + wanted;
    for (const op of overlay) {
      let at = op.position;
      for (const b of op.bufs) {
        const from = Math.max(at, position);
        const to = Math.min(at + b.length, end);
        if (from < to) {
          b.copy(buf, bufOffset + (from - position), from - at, to - at);
          // Bytes past what the file returned count only when they continue the valid prefix.
          if (from <= position + valid && to - position > valid) valid = to - position;
        }
        at += b.length;
      }
    }
    return Math.min(valid, wanted);
  }

  private runNext(): void {
    const head = this.queue[0];
    if (head === undefined || this.waitsForSyncs(head)) {
      this.running = undefined;
      return;
    }
    const op = this.queue.shift()!;
    this.running = op;
    switch (op.kind) {
      case 'write':
        this.file.writevAsync(op.bufs, op.position).then(
          () => this.finish(op),
          (err: unknown) => this.fail(err),
        );
        return;
      case 'sync':
        this.syncsRunning++;
        this.file.datasync().then(
          () => {
            this.syncsRunning--;
            op.resolve();
            if (this.failure !== undefined) this.closeFileAfterFailure();
            else if (this.running === undefined) this.runNext();
          },
          (err: unknown) => {
            this.syncsRunning--;
            op.reject(err);
            this.fail(err);
            this.closeFileAfterFailure();
          },
        );
        // Later writes go ahead while the disk works.
        this.running = undefined;
        this.runNext();
        return;
      case 'truncate':
        try {
          this.file.truncate(op.size);
        } catch (err) {
          this.fail(err);
          return;
        }
        this.finish(op);
        return;
      case 'close':
        this.running = undefined;
        this.file.close();
        return;
    }
  }

  private finish(op: Operation): void {
    this.running = undefined;
    if (op.kind === 'write' && op.tag >= 0) this.options.onWritten?.(op.tag);
    if (this.running === undefined && this.failure === undefined) this.runNext();
  }

  private fail(err: unknown): void {
    this.running = undefined;
    if (this.failure !== undefined) return;
    this.failure = err;
    for (const op of this.queue.splice(0)) if (op.kind === 'sync') op.reject(err);
    this.options.onError?.(err);
    this.closeFileAfterFailure();
  }

  /** After a failure nobody uses the file again; a sync still running keeps the descriptor until it ends. */
  private closeFileAfterFailure(): void {
    if (this.syncsRunning > 0 || this.fileClosedAfterFailure) return;
    this.fileClosedAfterFailure = true;
    try {
      this.file.close();
    } catch {
      // Already failing; the first error is the one that matters.
    }
  }
}

/**
 * FileSystem on node:fs. Positional writes (pwrite) so appends never depend on
 * a shared file position, and fdatasync on the libuv thread pool so a sync
 * never blocks the event loop while other partitions keep appending.
 */
import * as fs from 'node:fs';
import { dirname, type FileHandle, type FileStat, type FileSystem, type OpenMode } from './file-system.js';

function openFlags(mode: OpenMode): number | string {
  switch (mode) {
    case 'read':
      return 'r';
    case 'readWrite':
      return 'r+';
    case 'create':
      // Not 'a+': O_APPEND would ignore our positions. Only O_CREAT is wanted.
      return fs.constants.O_RDWR | fs.constants.O_CREAT;
    case 'createNew':
      return 'wx+';
  }
}

/** What is left of `bufs` after a vectored write stored its first `written` bytes (a short write). */
function unwrittenAfter(bufs: Buffer[], written: number): Buffer[] {
  let i = 0;
  while (i < bufs.length && written >= bufs[i]!.length) written -= bufs[i++]!.length;
  if (i === bufs.length) return [];
  const rest = bufs.slice(i);
  rest[0] = rest[0]!.subarray(written);
  return rest;
}

class NodeFileHandle implements FileHandle {
  private fd: number;

  constructor(
    readonly path: string,
    fd: number,
  ) {
    this.fd = fd;
  }

  write(buf: Buffer, position: number): void {
    let done = 0;
    while (done < buf.length) {
      done += fs.writeSync(this.fd, buf, done, buf.length - done, position + done);
    }
  }

  writev(bufs: readonly Buffer[], position: number): void {
    let pending = bufs as Buffer[];
    let at = position;
    while (pending.length > 0) {
      const written = fs.writevSync(this.fd, pending, at);
      pending = unwrittenAfter(pending, written);
      at += written;
    }
  }

  writevAsync(bufs: readonly Buffer[], position: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const step = (pending: Buffer[], at: number): void => {
        if (pending.length === 0) return resolve();
        fs.writev(this.fd, pending, at, (err, written) => {
          if (err) return reject(err);
          step(unwrittenAfter(pending, written), at + written);
        });
      };
      step(bufs as Buffer[], position);
    });
  }

  read(buf: Buffer, bufOffset: number, length: number, position: number): number {
    let done = 0;
    while (done < length) {
      const n = fs.readSync(this.fd, buf, bufOffset + done, length - done, position + done);
      if (n === 0) break;
      done += n;
    }
    return done;
  }

  readAsync(buf: Buffer, bufOffset: number, length: number, position: number): Promise<number> {
    return new Promise((resolve, reject) => {
      let done = 0;
      const step = (): void => {
        fs.read(this.fd, buf, bufOffset + done, length - done, position + done, (err, n) => {
          if (err) return reject(err);
          done += n;
          if (n === 0 || done >= length) resolve(done);
          else step();
        });
      };
      if (length === 0) resolve(0);
      else step();
    });
  }

  datasync(): Promise<void> {
    return new Promise((resolve, reject) => {
      fs.fdatasync(this.fd, (err) => (err ? reject(err) : resolve()));
    });
  }

  truncate(sizeBytes: number): void {
    fs.ftruncateSync(this.fd, sizeBytes);
  }

  sizeBytes(): number {
    return fs.fstatSync(this.fd).size;
  }

  close(): void {
    if (this.fd < 0) return;
    const fd = this.fd;
    this.fd = -1;
    fs.closeSync(fd);
  }
}

export class NodeFileSystem implements FileSystem {
  open(path: string, mode: OpenMode): FileHandle {
    return new NodeFileHandle(path, fs.openSync(path, openFlags(mode), 0o644));
  }

  readFile(path: string): Buffer {
    return fs.readFileSync(path);
  }

  async writeFileAtomic(path: string, data: Buffer): Promise<void> {
    const tmp = `${path}.tmp`;
    const handle = await fs.promises.open(tmp, 'w', 0o644);
    try {
      let done = 0;
      while (done < data.length) {
        const { bytesWritten } = await handle.write(data, done, data.length - done, done);
        done += bytesWritten;
      }
      await handle.datasync();
    } finally {
      await handle.close();
    }
    fs.renameSync(tmp, path);
    await this.syncDir(dirname(path));
  }

  rename(from: string, to: string): void {
    fs.renameSync(from, to);
  }

  unlink(path: string): void {
    fs.unlinkSync(path);
  }

  readdir(path: string): string[] {
    return fs.readdirSync(path);
  }

  mkdir(path: string): void {
    fs.mkdirSync(path, { recursive: true });
  }

  removeTree(path: string): void {
    fs.rmSync(path, { recursive: true, force: true });
  }

  stat(path: string): FileStat | undefined {
    const s = fs.statSync(path, { throwIfNoEntry: false });
    if (s === undefined) return undefined;
    return { sizeBytes: s.size, mtimeMs: s.mtimeMs, isDirectory: s.isDirectory() };
  }

  async syncDir(path: string): Promise<void> {
    const handle = await fs.promises.open(path, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}

export const nodeFileSystem: FileSystem = new NodeFileSystem();

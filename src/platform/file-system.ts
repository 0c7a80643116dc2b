/**
 * The file system as storage sees it. Writes, reads and namespace operations
 * are synchronous: on a page-cache-backed file they cost microseconds, and
 * synchronous calls keep ordering trivial. The calls that really wait on the
 * device (datasync, directory sync, whole-file durable writes), cold reads,
 * and segment appends made while an fdatasync of the same file runs
 * (writevAsync, see storage/write-behind-file.ts: such a write can wait for
 * the disk) are asynchronous.
 *
 * Every implementation reports failures as errors carrying a POSIX `code`
 * ('ENOENT', 'EIO', 'ENOSPC', ...), exactly like node:fs does, so callers can
 * tell "missing" from "the disk is broken" with `errorCode(err)`.
 */
export type OpenMode =
  /** Existing file, read only. */
  | 'read'
  /** Existing file, read and write. */
  | 'readWrite'
  /** Read and write, created empty when missing. */
  | 'create'
  /** Read and write, created empty; fails with EEXIST when present. */
  | 'createNew';

export interface FileStat {
  sizeBytes: number;
  mtimeMs: number;
  isDirectory: boolean;
}

export interface FileHandle {
  readonly path: string;
  /** Writes every byte of `buf` at `position`, retrying short writes; throws on error. */
  write(buf: Buffer, position: number): void;
  /** Writes the buffers back to back starting at `position`; all or throw. */
  writev(bufs: readonly Buffer[], position: number): void;
  /** Same as writev, off the event loop; the buffers must not change until it settles. */
  writevAsync(bufs: readonly Buffer[], position: number): Promise<void>;
  /** Reads up to `length` bytes; returns how many were read (short at end of file). */
  read(buf: Buffer, bufOffset: number, length: number, position: number): number;
  /** Same as read, off the event loop: for cold reads that may hit the device. */
  readAsync(buf: Buffer, bufOffset: number, length: number, position: number): Promise<number>;
  /** Makes every write issued before this call durable (fdatasync). */
  datasync(): Promise<void>;
  truncate(sizeBytes: number): void;
  sizeBytes(): number;
  close(): void;
}

export interface FileSystem {
  open(path: string, mode: OpenMode): FileHandle;
  /** Whole file; throws ENOENT when missing. */
  readFile(path: string): Buffer;
  /** Writes a new file at `path` atomically and durably: temp file, datasync, rename, directory sync. */
  writeFileAtomic(path: string, data: Buffer): Promise<void>;
  rename(from: string, to: string): void;
  unlink(path: string): void;
  /** Names (not paths) of the entries of a directory. */
  readdir(path: string): string[];
  /** Creates the directory and any missing parents; no error when present. */
  mkdir(path: string): void;
  /** Removes a directory and everything under it; no error when missing. */
  removeTree(path: string): void;
  /** undefined when the path does not exist. */
  stat(path: string): FileStat | undefined;
  /** Makes the directory's entries (creates, renames, unlinks) durable. */
  syncDir(path: string): Promise<void>;
}

/** The POSIX code of a file-system error, or undefined for anything else. */
export function errorCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/** An error shaped like node:fs's, for implementations that are not node:fs. */
export function fsError(code: string, syscall: string, path: string): Error & { code: string; syscall: string; path: string } {
  const err = new Error(`${code}: ${syscall} '${path}'`) as Error & { code: string; syscall: string; path: string };
  err.code = code;
  err.syscall = syscall;
  err.path = path;
  return err;
}

/** Parent directory of a '/'-separated path. */
export function dirname(path: string): string {
  const at = path.lastIndexOf('/');
  if (at < 0) return '.';
  if (at === 0) return '/';
  return path.slice(0, at);
}

export function joinPath(...parts: string[]): string {
  return parts.join('/').replace(/\/{2,}/g, '/');
}

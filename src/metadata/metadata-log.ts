/**
 * The metadata log on disk: `<metadata.log.dir>/__cluster_metadata-0/metadata.log`.
 *
 * A simple append-only file of batches, each written with one write and made
 * durable before the controller reports it committed:
 *
 *   int32  bodyLength
 *   uint32 crc32c(body)
 *   body:  int64 baseOffset, int32 epoch, int32 recordCount,
 *          recordCount x (int32 length, framed metadata record)
 *
 * A batch is all or nothing: recovery stops at the first batch that is cut
 * short or fails its CRC and truncates the file there, so a crash in the
 * middle of creating a topic leaves either all of its records or none.
 *
 * Samsa-specific: Kafka stores these records in RecordBatches inside regular
 * log segments; this file is the seam the Raft module will replace.
 */
import { crc32c } from '@node-rs/crc32';
import type { FileHandle, FileSystem } from '../platform/file-system.js';
import { joinPath } from '../platform/file-system.js';

export const METADATA_TOPIC = '__cluster_metadata';
export const METADATA_PARTITION_DIR = `${METADATA_TOPIC}-0`;
const FILE_NAME = 'metadata.log';
const ENTRY_HEADER_BYTES = 8;
const BODY_HEADER_BYTES = 16;
/** A batch above this size is damage, not data: the controller never writes one. */
const BATCH_BYTES_MAX = 64 * 1024 * 1024;

export interface MetadataLogBatch {
  readonly baseOffset: number;
  readonly epoch: number;
  readonly records: readonly Buffer[];
}

export class MetadataLogFile {
  private constructor(
    private readonly handle: FileHandle,
    private sizeBytes: number,
    private nextOffset: number,
    readonly batches: readonly MetadataLogBatch[],
    readonly truncatedBytes: number,
  ) {}

  static dirFor(metadataLogDir: string): string {
    return joinPath(metadataLogDir, METADATA_PARTITION_DIR);
  }

  /** Opens (creating when missing) and reads every intact batch. */
  static open(fs: FileSystem, metadataLogDir: string): MetadataLogFile {
    const dir = MetadataLogFile.dirFor(metadataLogDir);
    fs.mkdir(dir);
    const handle = fs.open(joinPath(dir, FILE_NAME), 'create');
    const fileBytes = handle.sizeBytes();
    const batches: MetadataLogBatch[] = [];
    let position = 0;
    let nextOffset = 0;
    const header = Buffer.alloc(ENTRY_HEADER_BYTES);
    while (position + ENTRY_HEADER_BYTES <= fileBytes) {
      handle.read(header, 0, ENTRY_HEADER_BYTES, position);
      const bodyLength = header.readInt32BE(0);
      if (bodyLength < BODY_HEADER_BYTES || bodyLength > BATCH_BYTES_MAX) break;
      if (position + ENTRY_HEADER_BYTES + bodyLength > fileBytes) break;
      const body = Buffer.allocUnsafe(bodyLength);
      handle.read(body, 0, bodyLength, position + ENTRY_HEADER_BYTES);
      if ((crc32c(body) >>> 0) !== header.readUInt32BE(4)) break;
      const batch = parseBody(body);
      if (batch === null || batch.baseOffset !== nextOffset) break;
      batches.push(batch);
      nextOffset += batch.records.length;
      position += ENTRY_HEADER_BYTES + bodyLength;
    }
    const truncatedBytes = fileBytes - position;
    if (truncatedBytes > 0) handle.truncate(position);
    return new MetadataLogFile(handle, position, nextOffset, batches, truncatedBytes);
  }

  get endOffset(): number {
    return this.nextOffset;
  }

  /** Appends one batch and waits until it is on disk; returns its base offset. */
  async append(records: readonly Buffer[], epoch: number): Promise<number> {
    if (records.length === 0) throw new RangeError('an empty metadata batch');
    const baseOffset = this.nextOffset;
    let bodyLength = BODY_HEADER_BYTES;
    for (const r of records) bodyLength += 4 + r.length;
    const entry = Buffer.allocUnsafe(ENTRY_HEADER_BYTES + bodyLength);
    entry.writeInt32BE(bodyLength, 0);
    entry.writeBigInt64BE(BigInt(baseOffset), 8);
    entry.writeInt32BE(epoch, 16);
    entry.writeInt32BE(records.length, 20);
    let at = 24;
    for (const r of records) {
      entry.writeInt32BE(r.length, at);
      r.copy(entry, at + 4);
      at += 4 + r.length;
    }
    entry.writeUInt32BE(crc32c(entry.subarray(ENTRY_HEADER_BYTES)) >>> 0, 4);
    this.handle.write(entry, this.sizeBytes);
    this.sizeBytes += entry.length;
    this.nextOffset += records.length;
    await this.handle.datasync();
    return baseOffset;
  }

  close(): void {
    this.handle.close();
  }
}

function parseBody(body: Buffer): MetadataLogBatch | null {
  const baseOffset = Number(body.readBigInt64BE(0));
  const epoch = body.readInt32BE(8);
  const count = body.readInt32BE(12);
  if (count <= 0) return null;
  const records: Buffer[] = [];
  let at = BODY_HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    if (at + 4 > body.length) return null;
    const length = body.readInt32BE(at);
    if (length < 0 || at + 4 + length > body.length) return null;
    records.push(body.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  return at === body.length ? { baseOffset, epoch, records } : null;
}

/**
 * An append-only encoder. Small values go into a growing scratch buffer; large
 * byte payloads (record batches) are kept by reference as separate chunks, so
 * a Fetch response carrying megabytes of records is never copied before it is
 * written to the socket with writev.
 */
export class Writer {
  /** Payloads at least this large are referenced, not copied. */
  static readonly zeroCopyThresholdBytes = 4096;

  private scratch: Buffer;
  private pos = 0;
  private readonly chunks: Buffer[] = [];
  private chunkedBytes = 0;

  constructor(initialSizeBytes = 256) {
    this.scratch = Buffer.allocUnsafe(initialSizeBytes);
  }

  /** Total bytes written so far. */
  get length(): number {
    return this.chunkedBytes + this.pos;
  }

  private ensure(byteCount: number): void {
    if (this.pos + byteCount <= this.scratch.length) return;
    let size = this.scratch.length * 2;
    while (size < this.pos + byteCount) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.scratch.copy(grown, 0, 0, this.pos);
    this.scratch = grown;
  }

  writeInt8(value: number): this {
    this.ensure(1);
    this.scratch.writeInt8(value, this.pos);
    this.pos += 1;
    return this;
  }

  writeUInt8(value: number): this {
    this.ensure(1);
    this.scratch[this.pos++] = value & 0xff;
    return this;
  }

  writeBool(value: boolean): this {
    return this.writeUInt8(value ? 1 : 0);
  }

  writeInt16(value: number): this {
    this.ensure(2);
    this.scratch.writeInt16BE(value, this.pos);
    this.pos += 2;
    return this;
  }

  writeUInt16(value: number): this {
    this.ensure(2);
    this.scratch.writeUInt16BE(value, this.pos);
    this.pos += 2;
    return this;
  }

  writeInt32(value: number): this {
    this.ensure(4);
    this.scratch.writeInt32BE(value, this.pos);
    this.pos += 4;
    return this;
  }

  writeUInt32(value: number): this {
    this.ensure(4);
    this.scratch.writeUInt32BE(value, this.pos);
    this.pos += 4;
    return this;
  }

  writeInt64(value: bigint): this {
    this.ensure(8);
    this.scratch.writeBigInt64BE(BigInt.asIntN(64, value), this.pos);
    this.pos += 8;
    return this;
  }

  writeFloat64(value: number): this {
    this.ensure(8);
    this.scratch.writeDoubleBE(value, this.pos);
    this.pos += 8;
    return this;
  }

  writeUVarint(value: number): this {
    this.ensure(5);
    let v = value >>> 0;
    while (v >= 0x80) {
      this.scratch[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.scratch[this.pos++] = v;
    return this;
  }

  writeVarint(value: number): this {
    return this.writeUVarint(((value << 1) ^ (value >> 31)) >>> 0);
  }

  writeVarlong(value: number | bigint): this {
    if (typeof value === 'number' && Number.isSafeInteger(value) && value >= -0x40000000 && value < 0x40000000) {
      return this.writeVarint(value);
    }
    const big = BigInt.asIntN(64, BigInt(value));
    let zigzag = BigInt.asUintN(64, (big << 1n) ^ (big >> 63n));
    this.ensure(10);
    while (zigzag >= 0x80n) {
      this.scratch[this.pos++] = Number(zigzag & 0x7fn) | 0x80;
      zigzag >>= 7n;
    }
    this.scratch[this.pos++] = Number(zigzag);
    return this;
  }

  writeUuid(value: string): this {
    const bytes = Buffer.from(value, 'base64url');
    if (bytes.length !== 16) throw new RangeError(`not a 16-byte uuid: ${value}`);
    return this.writeRaw(bytes);
  }

  private writeUtf8(value: string, byteLength: number): void {
    this.ensure(byteLength);
    this.scratch.write(value, this.pos, byteLength, 'utf8');
    this.pos += byteLength;
  }

  writeNullableString(value: string | null): this {
    if (value === null) return this.writeInt16(-1);
    const byteLength = Buffer.byteLength(value, 'utf8');
    if (byteLength > 0x7fff) throw new RangeError(`string of ${byteLength} bytes is too long`);
    this.writeInt16(byteLength);
    this.writeUtf8(value, byteLength);
    return this;
  }

  writeString(value: string): this {
    return this.writeNullableString(value);
  }

  writeCompactNullableString(value: string | null): this {
    if (value === null) return this.writeUVarint(0);
    const byteLength = Buffer.byteLength(value, 'utf8');
    this.writeUVarint(byteLength + 1);
    this.writeUtf8(value, byteLength);
    return this;
  }

  writeCompactString(value: string): this {
    return this.writeCompactNullableString(value);
  }

  /** Appends bytes as they are; large buffers are referenced, not copied. */
  writeRaw(bytes: Uint8Array): this {
    if (bytes.length >= Writer.zeroCopyThresholdBytes) {
      this.sealScratch();
      const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
      this.chunks.push(buffer);
      this.chunkedBytes += buffer.length;
      return this;
    }
    this.ensure(bytes.length);
    this.scratch.set(bytes, this.pos);
    this.pos += bytes.length;
    return this;
  }

  writeNullableBytes(value: Uint8Array | null): this {
    if (value === null) return this.writeInt32(-1);
    this.writeInt32(value.length);
    return this.writeRaw(value);
  }

  writeBytes(value: Uint8Array): this {
    return this.writeNullableBytes(value);
  }

  writeCompactNullableBytes(value: Uint8Array | null): this {
    if (value === null) return this.writeUVarint(0);
    this.writeUVarint(value.length + 1);
    return this.writeRaw(value);
  }

  writeCompactBytes(value: Uint8Array): this {
    return this.writeCompactNullableBytes(value);
  }

  /**
   * Record batches, given as one buffer or as the pieces a log read returned;
   * the pieces are written back to back under one length, without copying.
   */
  writeNullableRecords(value: Uint8Array | readonly Uint8Array[] | null): this {
    if (value === null || value instanceof Uint8Array) return this.writeNullableBytes(value);
    this.writeInt32(totalLength(value));
    for (const piece of value) this.writeRaw(piece);
    return this;
  }

  writeRecords(value: Uint8Array | readonly Uint8Array[]): this {
    return this.writeNullableRecords(value);
  }

  writeCompactNullableRecords(value: Uint8Array | readonly Uint8Array[] | null): this {
    if (value === null || value instanceof Uint8Array) return this.writeCompactNullableBytes(value);
    this.writeUVarint(totalLength(value) + 1);
    for (const piece of value) this.writeRaw(piece);
    return this;
  }

  writeCompactRecords(value: Uint8Array | readonly Uint8Array[]): this {
    return this.writeCompactNullableRecords(value);
  }

  writeArrayLength(length: number | null): this {
    return this.writeInt32(length === null ? -1 : length);
  }

  writeCompactArrayLength(length: number | null): this {
    return this.writeUVarint(length === null ? 0 : length + 1);
  }

  /** Moves what is in the scratch buffer into the chunk list. */
  private sealScratch(): void {
    if (this.pos === 0) return;
    const sealed = this.scratch.subarray(0, this.pos);
    this.chunks.push(sealed);
    this.chunkedBytes += sealed.length;
    // Continue in the unused remainder: sealed bytes are never written again.
    this.scratch = this.scratch.subarray(this.pos);
    this.pos = 0;
    if (this.scratch.length < 64) this.scratch = Buffer.allocUnsafe(256);
  }

  /** The encoded bytes as a list of buffers, ready for writev. */
  toChunks(): Buffer[] {
    this.sealScratch();
    return this.chunks.slice();
  }

  /** The encoded bytes as one buffer (copies when there is more than one chunk). */
  toBuffer(): Buffer {
    const chunks = this.toChunks();
    if (chunks.length === 1) return chunks[0]!;
    return Buffer.concat(chunks, this.chunkedBytes);
  }
}

function totalLength(pieces: readonly Uint8Array[]): number {
  let total = 0;
  for (const piece of pieces) total += piece.length;
  return total;
}

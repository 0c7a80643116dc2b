import { DecodeError } from './decode-error.js';

const textDecoder = new TextDecoder('utf-8', { fatal: false });

/**
 * A bounds-checked cursor over a Buffer. Every read checks the remaining bytes
 * first and throws DecodeError instead of reading past `end`, so a length that
 * lies can never make us read foreign memory or allocate more than the frame.
 */
export class Reader {
  readonly buf: Buffer;
  pos: number;
  /** Where reading stops; a reader may narrow it, e.g. to one record of a batch. */
  end: number;

  constructor(buf: Buffer, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  /** Throws unless `byteCount` more bytes are available. */
  need(byteCount: number): void {
    if (byteCount < 0 || byteCount > this.end - this.pos) {
      throw new DecodeError(`need ${byteCount} bytes at offset ${this.pos}, only ${this.end - this.pos} left`);
    }
  }

  skip(byteCount: number): void {
    this.need(byteCount);
    this.pos += byteCount;
  }

  readInt8(): number {
    this.need(1);
    return this.buf.readInt8(this.pos++);
  }

  readUInt8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  readBool(): boolean {
    return this.readInt8() !== 0;
  }

  readInt16(): number {
    this.need(2);
    const value = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return value;
  }

  readUInt16(): number {
    this.need(2);
    const value = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return value;
  }

  readInt32(): number {
    this.need(4);
    const value = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return value;
  }

  readUInt32(): number {
    this.need(4);
    const value = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return value;
  }

  readInt64(): bigint {
    this.need(8);
    const value = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return value;
  }

  readFloat64(): number {
    this.need(8);
    const value = this.buf.readDoubleBE(this.pos);
    this.pos += 8;
    return value;
  }

  /** Unsigned LEB128 varint of at most 5 bytes (32 bits), as Kafka's ByteUtils. */
  readUVarint(): number {
    let result = 0;
    let shift = 0;
    for (let i = 0; i < 5; i++) {
      if (this.pos >= this.end) throw new DecodeError(`truncated varint at offset ${this.pos}`);
      const byte = this.buf[this.pos++]!;
      result |= (byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result >>> 0;
      shift += 7;
    }
    throw new DecodeError('varint longer than 5 bytes');
  }

  /** Zig-zag signed varint (32 bits). */
  readVarint(): number {
    const raw = this.readUVarint();
    return (raw >>> 1) ^ -(raw & 1);
  }

  /** Zig-zag signed varlong (64 bits) as a bigint. */
  readVarlongBig(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new DecodeError(`truncated varlong at offset ${this.pos}`);
      const byte = this.buf[this.pos++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) {
        return (result >> 1n) ^ -(result & 1n);
      }
      shift += 7n;
    }
    throw new DecodeError('varlong longer than 10 bytes');
  }

  /**
   * Zig-zag signed varlong as a number. Exact for |value| < 2^53, which covers
   * timestamp and offset deltas inside a batch; use readVarlongBig otherwise.
   */
  readVarlong(): number {
    // Fast path: up to 4 bytes fit a 28-bit unsigned value, no bigint needed.
    let result = 0;
    let multiplier = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new DecodeError(`truncated varlong at offset ${this.pos}`);
      const byte = this.buf[this.pos++]!;
      result += (byte & 0x7f) * multiplier;
      if ((byte & 0x80) === 0) {
        // zig-zag decode without 32-bit bit operations
        return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
      }
      multiplier *= 128;
    }
    throw new DecodeError('varlong longer than 10 bytes');
  }

  /** Kafka's Uuid: 16 bytes, presented as unpadded base64url (its toString form). */
  readUuid(): string {
    this.need(16);
    const value = this.buf.toString('base64url', this.pos, this.pos + 16);
    this.pos += 16;
    return value;
  }

  private readUtf8(byteLength: number): string {
    this.need(byteLength);
    const start = this.pos;
    this.pos += byteLength;
    if (byteLength < 64) {
      // Short ASCII strings dominate (topic names, client ids): avoid the decoder call.
      let ascii = '';
      for (let i = start; i < start + byteLength; i++) {
        const c = this.buf[i]!;
        if (c >= 0x80) return textDecoder.decode(this.buf.subarray(start, start + byteLength));
        ascii += String.fromCharCode(c);
      }
      return ascii;
    }
    return this.buf.toString('utf8', start, start + byteLength);
  }

  readNullableString(): string | null {
    const length = this.readInt16();
    if (length < 0) {
      if (length !== -1) throw new DecodeError(`invalid string length ${length}`);
      return null;
    }
    return this.readUtf8(length);
  }

  readString(): string {
    const value = this.readNullableString();
    if (value === null) throw new DecodeError('null value for a non-nullable string');
    return value;
  }

  readCompactNullableString(): string | null {
    const lengthPlusOne = this.readUVarint();
    if (lengthPlusOne === 0) return null;
    return this.readUtf8(lengthPlusOne - 1);
  }

  readCompactString(): string {
    const value = this.readCompactNullableString();
    if (value === null) throw new DecodeError('null value for a non-nullable compact string');
    return value;
  }

  /** Returns a view into the underlying buffer (no copy). */
  readRaw(byteLength: number): Buffer {
    this.need(byteLength);
    const view = this.buf.subarray(this.pos, this.pos + byteLength);
    this.pos += byteLength;
    return view;
  }

  readNullableBytes(): Buffer | null {
    const length = this.readInt32();
    if (length < 0) {
      if (length !== -1) throw new DecodeError(`invalid bytes length ${length}`);
      return null;
    }
    return this.readRaw(length);
  }

  readBytes(): Buffer {
    const value = this.readNullableBytes();
    if (value === null) throw new DecodeError('null value for non-nullable bytes');
    return value;
  }

  readCompactNullableBytes(): Buffer | null {
    const lengthPlusOne = this.readUVarint();
    if (lengthPlusOne === 0) return null;
    return this.readRaw(lengthPlusOne - 1);
  }

  readCompactBytes(): Buffer {
    const value = this.readCompactNullableBytes();
    if (value === null) throw new DecodeError('null value for non-nullable compact bytes');
    return value;
  }

  /**
   * An int32 array length, -1 meaning null. Each element takes at least
   * `minElementBytes` bytes, so a length larger than what is left is a lie we
   * reject before allocating anything.
   */
  readArrayLength(minElementBytes = 1): number | null {
    const length = this.readInt32();
    if (length < 0) {
      if (length !== -1) throw new DecodeError(`invalid array length ${length}`);
      return null;
    }
    this.checkArrayLength(length, minElementBytes);
    return length;
  }

  /** A compact (uvarint length + 1) array length, 0 meaning null. */
  readCompactArrayLength(minElementBytes = 1): number | null {
    const lengthPlusOne = this.readUVarint();
    if (lengthPlusOne === 0) return null;
    const length = lengthPlusOne - 1;
    this.checkArrayLength(length, minElementBytes);
    return length;
  }

  private checkArrayLength(length: number, minElementBytes: number): void {
    const bound = minElementBytes > 0 ? Math.floor(this.remaining / minElementBytes) : this.remaining + 1024;
    if (length > bound) {
      throw new DecodeError(`array length ${length} exceeds the ${this.remaining} bytes left`);
    }
  }

  /** Skips a whole tagged-field section (count, then tag/size/bytes each). */
  skipTaggedFields(): void {
    const count = this.readUVarint();
    for (let i = 0; i < count; i++) {
      this.readUVarint();
      this.skip(this.readUVarint());
    }
  }
}

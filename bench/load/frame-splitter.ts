/**
 * Splits a byte stream into size-prefixed frames (4-byte big-endian length,
 * then that many bytes) without copying: a frame is handed out as the list of
 * socket chunks (sub-arrays) that hold it, prefix included. Used by the
 * ceiling servers and by the load generator for responses.
 */
export class FrameSplitter {
  private readonly chunks: Buffer[] = [];
  /** Bytes of chunks[0] already handed out. */
  private offset = 0;
  private buffered = 0;
  /** Size of the frame being assembled, prefix included; -1 until its prefix is complete. */
  private frameBytes = -1;
  private readonly scratch = Buffer.alloc(4);

  /** @param frameBytesMax frames whose size field exceeds this are rejected. */
  constructor(private readonly frameBytesMax: number) {}

  /**
   * Adds a chunk and calls onFrame for every frame it completes, in order.
   * Throws RangeError on a frame larger than frameBytesMax; the stream is then
   * unusable and the caller should drop the connection.
   */
  push(chunk: Buffer, onFrame: (parts: Buffer[], frameBytes: number) => void): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      if (this.frameBytes < 0) {
        if (this.buffered < 4) return;
        const size = this.peekUInt32();
        if (size > this.frameBytesMax - 4) {
          throw new RangeError(`frame of ${size} bytes exceeds the limit of ${this.frameBytesMax}`);
        }
        this.frameBytes = 4 + size;
      }
      if (this.buffered < this.frameBytes) return;
      const frameBytes = this.frameBytes;
      this.frameBytes = -1;
      onFrame(this.take(frameBytes), frameBytes);
    }
  }

  private peekUInt32(): number {
    const first = this.chunks[0]!;
    if (first.length - this.offset >= 4) return first.readUInt32BE(this.offset);
    let copied = 0;
    let at = this.offset;
    for (const chunk of this.chunks) {
      while (at < chunk.length && copied < 4) this.scratch[copied++] = chunk[at++]!;
      if (copied === 4) break;
      at = 0;
    }
    return this.scratch.readUInt32BE(0);
  }

  private take(byteCount: number): Buffer[] {
    const parts: Buffer[] = [];
    let remaining = byteCount;
    while (remaining > 0) {
      const chunk = this.chunks[0]!;
      const available = chunk.length - this.offset;
      if (available <= remaining) {
        parts.push(this.offset === 0 ? chunk : chunk.subarray(this.offset));
        this.chunks.shift();
        this.offset = 0;
        remaining -= available;
      } else {
        parts.push(chunk.subarray(this.offset, this.offset + remaining));
        this.offset += remaining;
        remaining = 0;
      }
    }
    this.buffered -= byteCount;
    return parts;
  }
}

/** Reads a big-endian uint32 at a byte offset of a frame held as parts; undefined if out of range. */
export function readUInt32InParts(parts: readonly Buffer[], at: number): number | undefined {
  let base = 0;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (at < base + part.length) {
      const local = at - base;
      if (local + 4 <= part.length) return part.readUInt32BE(local);
      // Spans parts: collect byte by byte.
      let value = 0;
      let need = 4;
      let j = i;
      let k = local;
      while (need > 0 && j < parts.length) {
        const p = parts[j]!;
        while (k < p.length && need > 0) {
          value = value * 256 + p[k++]!;
          need--;
        }
        j++;
        k = 0;
      }
      return need === 0 ? value : undefined;
    }
    base += part.length;
  }
  return undefined;
}

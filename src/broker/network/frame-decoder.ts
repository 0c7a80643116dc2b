/**
 * Splits a TCP byte stream into Kafka frames: a 4-byte big-endian size, then
 * that many bytes. The size is checked against the limit as soon as its four
 * bytes arrive, before any of the body is buffered, so a client announcing
 * 2 GB cannot make us allocate it.
 */
export class FrameError extends Error {
  override readonly name = 'FrameError';
}

const SIZE_BYTES = 4;

export class FrameDecoder {
  private readonly chunks: Buffer[] = [];
  private bufferedBytes = 0;
  /** Size of the frame being assembled, or -1 while its size field is incomplete. */
  private frameBytes = -1;

  constructor(private readonly frameBytesMax: number) {}

  get buffered(): number {
    return this.bufferedBytes;
  }

  /** Adds received bytes; throws FrameError when a size field is out of bounds. */
  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.bufferedBytes += chunk.length;
    this.checkSize();
  }

  private checkSize(): void {
    if (this.frameBytes >= 0 || this.bufferedBytes < SIZE_BYTES) return;
    const size = this.take(SIZE_BYTES).readInt32BE(0);
    if (size < 0 || size > this.frameBytesMax) {
      throw new FrameError(`frame size ${size} is outside [0, ${this.frameBytesMax}] (socket.request.max.bytes)`);
    }
    this.frameBytes = size;
  }

  /** The next complete frame (its body, without the size), or null. */
  next(): Buffer | null {
    if (this.frameBytes < 0 || this.bufferedBytes < this.frameBytes) return null;
    const frame = this.take(this.frameBytes);
    this.frameBytes = -1;
    this.checkSize();
    return frame;
  }

  /** Removes `count` bytes from the front; a view when they sit in one chunk. */
  private take(count: number): Buffer {
    this.bufferedBytes -= count;
    const head = this.chunks[0];
    if (head !== undefined && head.length >= count) {
      const out = head.subarray(0, count);
      if (head.length === count) this.chunks.shift();
      else this.chunks[0] = head.subarray(count);
      return out;
    }
    const out = Buffer.allocUnsafe(count);
    let filled = 0;
    while (filled < count) {
      const c = this.chunks[0]!;
      const n = Math.min(c.length, count - filled);
      c.copy(out, filled, 0, n);
      filled += n;
      if (n === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(n);
    }
    return out;
  }
}

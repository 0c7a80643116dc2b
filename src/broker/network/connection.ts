/**
 * One client connection: frames in, responses out in request order.
 *
 * - Pipelining: every complete frame is dispatched at once (so a produce and
 *   the next one on the same connection are appended in order), and the
 *   responses wait in a queue until everything before them has been written.
 * - Backpressure: reading pauses while `inFlightMax` requests are unanswered
 *   or the socket's write buffer is full, and resumes when both clear.
 * - A frame that breaks the rules closes this connection only.
 * - Responses are written corked, one writev for everything that is ready
 *   by the end of the current event-loop turn.
 */
import type { Socket } from 'node:net';
import { FrameDecoder } from './frame-decoder.js';

/** Thrown (or rejected with) by a dispatcher to close the connection instead of answering. */
export class CloseConnection extends Error {
  override readonly name = 'CloseConnection';
}

export interface ConnectionInfo {
  readonly id: number;
  readonly remoteAddress: string;
  readonly listenerName: string;
}

/**
 * Handles one frame. Called synchronously in arrival order; returns the
 * encoded response (without its size prefix), null for no response
 * (acks=0 produce), or a promise of either. Throwing or rejecting with
 * CloseConnection (or anything else) closes the connection.
 */
export type Dispatch = (frame: Buffer, connection: ConnectionInfo) => Buffer[] | null | Promise<Buffer[] | null>;

export interface ConnectionOptions {
  readonly frameBytesMax: number;
  readonly inFlightMax: number;
  /** Closes a connection with nothing in flight after this long without traffic; <= 0 disables. */
  readonly idleTimeoutMs: number;
}

interface Slot {
  done: boolean;
  chunks: Buffer[] | null;
}

export class Connection implements ConnectionInfo {
  private readonly decoder: FrameDecoder;
  private readonly slots: Slot[] = [];
  private readPaused = false;
  private waitingForDrain = false;
  private closed = false;
  private flushScheduled = false;
  private readonly closeListeners: Array<() => void> = [];
  private readonly idleListeners: Array<() => void> = [];

  constructor(
    readonly id: number,
    readonly listenerName: string,
    private readonly socket: Socket,
    private readonly options: ConnectionOptions,
    private readonly dispatch: Dispatch,
    private readonly onError: (err: unknown, connection: Connection) => void,
  ) {
    this.decoder = new FrameDecoder(options.frameBytesMax);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => {
      this.waitingForDrain = false;
      this.pump();
    });
    socket.on('error', () => this.close());
    socket.on('close', () => this.close());
    socket.on('end', () => socket.end());
    if (options.idleTimeoutMs > 0) {
      socket.setTimeout(options.idleTimeoutMs, () => {
        if (this.slots.length === 0) this.close();
      });
    }
  }

  get remoteAddress(): string {
    return `${this.socket.remoteAddress ?? '?'}:${this.socket.remotePort ?? '?'}`;
  }

  get inFlight(): number {
    return this.slots.length;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  onClose(listener: () => void): void {
    if (this.closed) listener();
    else this.closeListeners.push(listener);
  }

  /** Calls `listener` once nothing is in flight (at once if already so). */
  whenIdle(listener: () => void): void {
    if (this.slots.length === 0 || this.closed) listener();
    else this.idleListeners.push(listener);
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    try {
      this.decoder.push(chunk);
    } catch (err) {
      this.fail(err);
      return;
    }
    this.pump();
  }

  /** Dispatches buffered frames while under the in-flight limit, then sets the read state. */
  private pump(): void {
    while (!this.closed && this.slots.length < this.options.inFlightMax) {
      let frame: Buffer | null;
      try {
        frame = this.decoder.next();
      } catch (err) {
        this.fail(err);
        return;
      }
      if (frame === null) break;
      this.start(frame);
    }
    if (this.closed) return;
    const shouldPause = this.slots.length >= this.options.inFlightMax || this.waitingForDrain;
    if (shouldPause && !this.readPaused) {
      this.readPaused = true;
      this.socket.pause();
    } else if (!shouldPause && this.readPaused) {
      this.readPaused = false;
      this.socket.resume();
    }
  }

  private start(frame: Buffer): void {
    const slot: Slot = { done: false, chunks: null };
    this.slots.push(slot);
    let result: Buffer[] | null | Promise<Buffer[] | null>;
    try {
      result = this.dispatch(frame, this);
    } catch (err) {
      this.fail(err);
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (chunks) => this.complete(slot, chunks),
        (err: unknown) => this.fail(err),
      );
    } else {
      this.complete(slot, result);
    }
  }

  private complete(slot: Slot, chunks: Buffer[] | null): void {
    if (this.closed) return;
    slot.done = true;
    slot.chunks = chunks;
    if (this.slots[0] !== slot || this.flushScheduled) return;
    // Write at the end of this turn of the event loop rather than now: every
    // response that becomes ready meanwhile (the rest of a pipelined burst, a
    // group commit's waiters) goes out in the same writev. On loopback each
    // send system call also runs the receiver's TCP path, so one per response
    // is what bounded small-response throughput.
    this.flushScheduled = true;
    setImmediate(this.flushReady);
  }

  private readonly flushReady = (): void => {
    this.flushScheduled = false;
    if (this.closed) return;
    if (this.slots.length === 0 || !this.slots[0]!.done) return;
    this.socket.cork();
    while (this.slots.length > 0 && this.slots[0]!.done) {
      const ready = this.slots.shift()!;
      if (ready.chunks !== null) this.writeFrame(ready.chunks);
    }
    this.socket.uncork();
    if (this.slots.length === 0 && this.idleListeners.length > 0) {
      for (const listener of this.idleListeners.splice(0)) listener();
    }
    this.pump();
  };

  private writeFrame(chunks: Buffer[]): void {
    let size = 0;
    for (const c of chunks) size += c.length;
    const prefix = Buffer.allocUnsafe(4);
    prefix.writeInt32BE(size, 0);
    let ok = this.socket.write(prefix);
    for (const c of chunks) ok = this.socket.write(c);
    if (!ok) this.waitingForDrain = true;
  }

  private fail(err: unknown): void {
    if (this.closed) return;
    this.onError(err, this);
    this.close();
  }

  /** Closes at once; responses not yet written are dropped. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.slots.length = 0;
    this.socket.destroy();
    for (const listener of this.closeListeners.splice(0)) listener();
    for (const listener of this.idleListeners.splice(0)) listener();
  }
}

/**
 * A tiny RESP2 client for the Redis Streams comparison: pipelined commands,
 * replies parsed into strings, numbers, Buffers and arrays, answered in order.
 */
import { connect, type Socket } from 'node:net';

export type RespValue = string | number | Buffer | null | RespError | RespValue[];

export class RespError extends Error {}

/** Encodes one command as a RESP array of bulk strings. */
export function encodeCommand(args: ReadonlyArray<string | Buffer>): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = typeof a === 'string' ? Buffer.from(a) : a;
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/**
 * Incremental reply parser. Arrays are built on an explicit stack, so a reply
 * split across many socket chunks is parsed once, not re-parsed from its
 * start whenever a chunk arrives (large XREAD replies made that quadratic).
 */
class ReplyParser {
  private buf: Buffer = Buffer.alloc(0);
  private at = 0;
  private readonly stack: Array<{ items: RespValue[]; remaining: number }> = [];

  push(chunk: Buffer): void {
    this.buf = this.at < this.buf.length ? Buffer.concat([this.buf.subarray(this.at), chunk]) : chunk;
    this.at = 0;
  }

  /** The next whole top-level reply, or undefined until more bytes arrive. */
  next(): RespValue | undefined {
    for (;;) {
      const start = this.at;
      const item = this.item();
      if (item === undefined) {
        this.at = start;
        return undefined;
      }
      let value: RespValue;
      if (typeof item === 'object' && item !== null && 'arrayLength' in item) {
        if (item.arrayLength > 0) {
          this.stack.push({ items: [], remaining: item.arrayLength });
          continue;
        }
        value = item.arrayLength < 0 ? null : [];
      } else value = item;
      for (;;) {
        const top = this.stack[this.stack.length - 1];
        if (!top) return value;
        top.items.push(value);
        if (--top.remaining > 0) break;
        this.stack.pop();
        value = top.items;
      }
    }
  }

  private line(): string | undefined {
    const end = this.buf.indexOf('\r\n', this.at);
    if (end < 0) return undefined;
    const text = this.buf.toString('latin1', this.at, end);
    this.at = end + 2;
    return text;
  }

  /** One scalar, or the header of an array; undefined when incomplete. */
  private item(): RespValue | { arrayLength: number } | undefined {
    const line = this.line();
    if (line === undefined) return undefined;
    const body = line.slice(1);
    switch (line[0]) {
      case '+':
        return body;
      case '-':
        return new RespError(body);
      case ':':
        return Number(body);
      case '$': {
        const n = Number(body);
        if (n < 0) return null;
        if (this.at + n + 2 > this.buf.length) return undefined;
        const value = this.buf.subarray(this.at, this.at + n);
        this.at += n + 2;
        return value;
      }
      case '*':
        return { arrayLength: Number(body) };
      default:
        throw new Error(`bad RESP reply: ${line.slice(0, 40)}`);
    }
  }
}

export class RespClient {
  private readonly parser = new ReplyParser();
  private readonly waiting: Array<(value: RespValue) => void> = [];

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.parser.push(chunk);
      for (let v = this.parser.next(); v !== undefined; v = this.parser.next()) this.waiting.shift()?.(v);
    });
  }

  static open(port: number): Promise<RespClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, noDelay: true }, () => resolve(new RespClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Sends the encoded commands in one write; resolves with their replies in order. */
  pipeline(commands: readonly Buffer[]): Promise<RespValue[]> {
    const replies = commands.map(() => new Promise<RespValue>((resolve) => this.waiting.push(resolve)));
    this.socket.write(Buffer.concat(commands));
    return Promise.all(replies);
  }

  async command(...args: Array<string | Buffer>): Promise<RespValue> {
    const [reply] = await this.pipeline([encodeCommand(args)]);
    if (reply instanceof RespError) throw reply;
    return reply!;
  }

  close(): void {
    this.socket.destroy();
  }
}

/**
 * A small NATS protocol client for the JetStream comparison: CONNECT, PUB
 * with a reply subject, SUB, and the MSG/HMSG/PING/+OK/-ERR frames from the
 * server. JetStream's API is request/reply on `$JS.API.…` subjects with JSON
 * bodies; a publish to a stream's subject with a reply subject is answered
 * with a JSON PubAck once the message is stored.
 */
import { connect, type Socket } from 'node:net';

export interface NatsMessage {
  subject: string;
  sid: number;
  payload: Buffer;
}

export class NatsClient {
  private buf: Buffer = Buffer.alloc(0);
  private readonly handlers = new Map<number, (m: NatsMessage) => void>();
  private nextSid = 1;
  private pongs: Array<() => void> = [];
  private error: string | undefined;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buf = this.buf.length > 0 ? Buffer.concat([this.buf, chunk]) : chunk;
      this.drain();
    });
  }

  static async open(port: number): Promise<NatsClient> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port, noDelay: true }, () => resolve(s));
      s.once('error', reject);
    });
    const client = new NatsClient(socket);
    socket.write('CONNECT {"verbose":false,"pedantic":false,"headers":true,"no_responders":true,"lang":"samsa-bench","version":"1"}\r\n');
    await client.flush();
    return client;
  }

  private drain(): void {
    let at = 0;
    for (;;) {
      const end = this.buf.indexOf('\r\n', at);
      if (end < 0) break;
      const line = this.buf.toString('latin1', at, end);
      if (line.startsWith('MSG ') || line.startsWith('HMSG ')) {
        const parts = line.split(' ');
        const headers = line.startsWith('HMSG ');
        const total = Number(parts[parts.length - 1]);
        const headerBytes = headers ? Number(parts[parts.length - 2]) : 0;
        if (end + 2 + total + 2 > this.buf.length) break;
        const payload = this.buf.subarray(end + 2 + headerBytes, end + 2 + total);
        at = end + 2 + total + 2;
        const sid = Number(parts[2]);
        this.handlers.get(sid)?.({ subject: parts[1]!, sid, payload });
        continue;
      }
      at = end + 2;
      if (line === 'PING') this.socket.write('PONG\r\n');
      else if (line === 'PONG') this.pongs.shift()?.();
      else if (line.startsWith('-ERR')) this.error ??= line;
    }
    this.buf = at < this.buf.length ? this.buf.subarray(at) : Buffer.alloc(0);
  }

  /** Resolves once the server has processed everything sent before (PING/PONG). */
  flush(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pongs.push(() => (this.error ? reject(new Error(this.error)) : resolve()));
      this.socket.write('PING\r\n');
    });
  }

  subscribe(subject: string, handler: (m: NatsMessage) => void): number {
    const sid = this.nextSid++;
    this.handlers.set(sid, handler);
    this.socket.write(`SUB ${subject} ${sid}\r\n`);
    return sid;
  }

  /** Encodes a PUB frame (append to a batch and write with writeRaw). */
  static pubFrame(subject: string, reply: string, payload: Buffer): Buffer {
    return Buffer.concat([Buffer.from(`PUB ${subject} ${reply} ${payload.length}\r\n`), payload, Buffer.from('\r\n')]);
  }

  writeRaw(data: Buffer): void {
    this.socket.write(data);
  }

  /** One JetStream API request: publishes the JSON body and resolves with the parsed reply. */
  async request(subject: string, body: object): Promise<Record<string, unknown>> {
    const inbox = `_INBOX.samsa.${this.nextSid}`;
    const reply = new Promise<Record<string, unknown>>((resolve) => {
      const sid = this.subscribe(inbox, (m) => {
        this.socket.write(`UNSUB ${sid}\r\n`);
        resolve(JSON.parse(m.payload.toString()) as Record<string, unknown>);
      });
    });
    this.writeRaw(NatsClient.pubFrame(subject, inbox, Buffer.from(JSON.stringify(body))));
    const answer = await reply;
    if (answer['error'] !== undefined) throw new Error(`${subject}: ${JSON.stringify(answer['error'])}`);
    return answer;
  }

  close(): void {
    this.socket.destroy();
  }
}

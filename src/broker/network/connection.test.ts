import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { Connection, type ConnectionOptions, type Dispatch } from './connection.js';

function frame(id: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeInt32BE(4, 0);
  b.writeInt32BE(id, 4);
  return b;
}

async function pair(options: ConnectionOptions, dispatch: Dispatch): Promise<{ server: Server; client: Socket; replies: number[]; closed: Promise<void> }> {
  const server = createServer((socket) => new Connection(1, 'PLAINTEXT', socket, options, dispatch, () => undefined));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const client = connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve) => client.once('connect', resolve));
  const replies: number[] = [];
  let pending = Buffer.alloc(0);
  client.on('data', (d: Buffer) => {
    pending = Buffer.concat([pending, d]);
    while (pending.length >= 8) {
      replies.push(pending.readInt32BE(4));
      pending = pending.subarray(8);
    }
  });
  const closed = new Promise<void>((resolve) => client.on('close', () => resolve()));
  return { server, client, replies, closed };
}

test('at most inFlightMax requests are dispatched; responses keep request order', { timeout: 10_000 }, async () => {
  const waiting: Array<{ id: number; resolve: (b: Buffer[]) => void }> = [];
  let dispatched = 0;
  const dispatch: Dispatch = (body) => {
    dispatched++;
    const id = body.readInt32BE(0);
    return new Promise<Buffer[]>((resolve) => waiting.push({ id, resolve }));
  };
  const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20));
  const { server, client, replies } = await pair({ frameBytesMax: 100, inFlightMax: 3, idleTimeoutMs: 0 }, dispatch);
  try {
    client.write(Buffer.concat(Array.from({ length: 10 }, (_, i) => frame(i))));
    while (dispatched < 3) await tick();
    await tick();
    assert.equal(dispatched, 3, 'no more than inFlightMax in flight');
    while (replies.length < 10) {
      // Answer newest first: nothing may be written before the requests ahead of it.
      for (const w of waiting.splice(0).reverse()) {
        const b = Buffer.alloc(4);
        b.writeInt32BE(w.id, 0);
        w.resolve([b]);
      }
      await tick();
      assert.ok(dispatched - replies.length <= 3);
    }
    assert.deepEqual(replies, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  } finally {
    client.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
});

test('an idle connection is closed after connections.max.idle.ms', { timeout: 10_000 }, async () => {
  const { server, client, closed } = await pair({ frameBytesMax: 100, inFlightMax: 10, idleTimeoutMs: 100 }, () => null);
  try {
    const started = Date.now();
    await closed;
    assert.ok(Date.now() - started >= 80);
  } finally {
    client.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
});

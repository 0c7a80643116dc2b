/**
 * The client across a broker restart (same port, same data): connections
 * drop mid-request, in-flight batches are retried, and the idempotent
 * producer's retries leave no duplicates and no gaps; a group consumer picks
 * up where it was.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Broker } from '../index.js';
import { Admin } from './admin.js';
import { Producer } from './producer.js';
import { Consumer } from './consumer.js';
import type { ConsumerMessage } from './fetch-records.js';

test('producer and group consumer ride out a broker restart without loss or duplicates', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'samsa-client-restart-'));
  const config = { 'group.initial.rebalance.delay.ms': 0 };
  let broker = await Broker.start({ port: 0, dataDir, config });
  const port = broker.port;
  const bootstrapServers = broker.bootstrap;
  const fast = { retryBackoffMs: 20, retryBackoffMaxMs: 200, requestTimeoutMs: 5000, retries: 50 };
  const admin = new Admin({ bootstrapServers, ...fast });
  const producer = new Producer({ bootstrapServers, lingerMs: 2, ...fast });
  const consumer = new Consumer({
    bootstrapServers,
    groupId: 'restart-group',
    autoOffsetReset: 'earliest',
    heartbeatIntervalMs: 100,
    sessionTimeoutMs: 10_000,
    fetchMaxWaitMs: 50,
    autoCommitIntervalMs: 100,
    ...fast,
  });
  try {
    await admin.createTopics([{ name: 'restart', numPartitions: 2 }]);
    await consumer.subscribe(['restart']);
    const total = 3000;
    const sends: Array<Promise<unknown>> = [];
    const received: ConsumerMessage[] = [];
    let restarted = false;
    for (let i = 0; i < total; i++) {
      sends.push(producer.send({ topic: 'restart', key: `k${i % 10}`, value: String(i) }));
      if (i % 100 === 99) {
        await new Promise((r) => setTimeout(r, 5));
        received.push(...(await consumer.poll({ timeoutMs: 0 })));
      }
      if (i === total / 2) {
        // Stop mid-stream: requests in flight fail, the sockets close.
        await broker.stop();
        broker = await Broker.start({ port, dataDir, config });
        restarted = true;
      }
    }
    assert.ok(restarted);
    await Promise.all(sends);
    const deadline = Date.now() + 30_000;
    while (new Set(received.map((m) => m.value!.toString())).size < total && Date.now() < deadline) {
      received.push(...(await consumer.poll({ timeoutMs: 200 })));
    }
    const values = received.map((m) => Number(m.value!.toString()));
    assert.equal(new Set(values).size, total, 'every record arrived');
    // Within a key (one partition), records keep their order and are never written twice.
    const offsets = new Set(received.map((m) => `${m.partition}:${m.offset}`));
    assert.equal(offsets.size, new Set(received.map((m) => `${m.partition}:${m.offset}:${m.value!.toString()}`)).size);
    const [p0, p1] = (await admin.fetchTopicOffsets('restart')).map((p) => p.high);
    assert.equal(p0! + p1!, BigInt(total), 'the log holds each record once');
    for (let k = 0; k < 10; k++) {
      const seq = received.filter((m) => m.key!.toString() === `k${k}`).map((m) => Number(m.value!.toString()));
      const firstSeen = seq.filter((v, i) => seq.indexOf(v) === i);
      assert.deepEqual(firstSeen, [...firstSeen].sort((a, b) => a - b), `order of key k${k}`);
    }
  } finally {
    await consumer.close();
    await producer.close();
    await admin.close();
    await broker.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

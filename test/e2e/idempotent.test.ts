/**
 * Idempotent producers under connection drops: a proxy between the client
 * and the broker cuts connections in the middle of requests and after the
 * broker acted on them but before the answer got back. The producer retries
 * with the same sequence numbers; the broker answers a retried batch with
 * its original offsets and does not write it again. 100,000 messages, no
 * duplicates, no gaps, order kept per partition.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Broker } from '../../src/index.js';
import { seededRandom } from '../../src/platform/random.js';
import { RawClient } from './support/raw-client.js';
import { fetchAll } from './support/helpers.js';
import { ChaosProxy } from './txn-support.js';

const MESSAGES = 100_000;
const PER_SEND = 250;
const PARTITIONS = 3;

/** Every value 0..n-1 exactly once over all partitions, increasing within each. */
function checkExactlyOnce(byPartition: Map<number, Array<{ value: string | null }>>, n: number): void {
  const seen = new Uint8Array(n);
  for (const [partition, records] of byPartition) {
    let last = -1;
    for (const r of records) {
      const v = Number(r.value);
      assert.ok(Number.isInteger(v) && v >= 0 && v < n, `bad value ${r.value}`);
      assert.equal(seen[v], 0, `duplicate ${v} (partition ${partition})`);
      seen[v] = 1;
      assert.ok(v > last, `order in partition ${partition}: ${v} after ${last}`);
      last = v;
    }
  }
  const missing = seen.indexOf(0);
  assert.equal(missing, -1, `gap: ${missing} missing`);
}

test('kafkajs idempotent producer: 100,000 messages through a proxy that cuts connections, no duplicates, no gaps', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'samsa-idem-'));
  const proxy = await ChaosProxy.listen(seededRandom(42));
  const broker = await Broker.start({ port: 0, dataDir, config: { 'advertised.listeners': `PLAINTEXT://127.0.0.1:${proxy.port}` } });
  const brokerPort = broker.listeners[0]!.port;
  proxy.targetPort = brokerPort;
  const kafka = new Kafka({
    brokers: [`127.0.0.1:${proxy.port}`],
    clientId: 'idem-e2e',
    logLevel: logLevel.NOTHING,
    retry: { initialRetryTime: 5, maxRetryTime: 50, retries: 1000 },
    connectionTimeout: 2000,
    requestTimeout: 5000,
  });
  const admin = kafka.admin();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  const raw = await RawClient.connect(`127.0.0.1:${brokerPort}`);
  try {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'idem', numPartitions: PARTITIONS }] });
    await admin.disconnect();
    await producer.connect();
    proxy.cutChance = 0.12;
    for (let base = 0; base < MESSAGES; base += PER_SEND) {
      await producer.send({
        topic: 'idem',
        acks: -1,
        messages: Array.from({ length: PER_SEND }, (_, i) => ({ key: `k${(base + i) % 97}`, value: String(base + i) })),
      });
    }
    proxy.cutChance = 0;
    assert.ok(proxy.cuts.lostResponse > 5 && proxy.cuts.midRequest > 5, `cuts: ${JSON.stringify(proxy.cuts)}`);
    const byPartition = await fetchAll(raw, 'idem', PARTITIONS);
    let total = 0;
    for (const records of byPartition.values()) total += records.length;
    assert.equal(total, MESSAGES, `${total} records for ${MESSAGES} messages (cuts ${JSON.stringify(proxy.cuts)})`);
    checkExactlyOnce(byPartition, MESSAGES);
  } finally {
    await producer.disconnect().catch(() => undefined);
    raw.close();
    await broker.stop();
    await proxy.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

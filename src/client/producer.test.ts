import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiKey } from '../protocol/generated/api-registry.js';
import { CompressionCodec } from '../protocol/compression/codec.js';
import type { ProduceRequest } from '../protocol/generated/messages/produce-request.js';
import { Producer } from './producer.js';
import { BufferExhaustedError, UnsupportedVersionError } from './errors.js';
import { partitionForKey } from './partitioner.js';
import { startFakeCluster } from './testing/fake-cluster.js';
import { typedBody } from './testing/fake-broker.js';

test('records linger into one batch per partition and resolve with consecutive offsets', async () => {
  const fake = await startFakeCluster({ topics: { orders: 3 } });
  const producer = new Producer({ bootstrapServers: fake.bootstrap, lingerMs: 30, batchSize: 1 << 20 });
  try {
    await producer.connect();
    const sends = Array.from({ length: 30 }, (_, i) =>
      producer.send({ topic: 'orders', partition: i % 3, key: `k${i}`, value: `v${i}`, headers: { n: String(i), empty: null } }),
    );
    const results = await Promise.all(sends);
    assert.equal(fake.produceRequests.length, 1);
    assert.equal(fake.produceRequests[0]!.topicData[0]!.partitionData.length, 3);
    for (let p = 0; p < 3; p++) {
      const got = results.filter((r) => r.partition === p).map((r) => r.offset);
      assert.deepEqual(got, Array.from({ length: 10 }, (_, i) => BigInt(i)));
      const [batch] = fake.batches.get(`orders/${p}`)!;
      assert.equal(batch!.records.length, 10);
      assert.equal(batch!.records[0]!.value!.toString(), `v${p}`);
      assert.deepEqual(
        batch!.records[1]!.headers.map((h) => [h.key, h.value?.toString() ?? null]),
        [
          ['n', String(p + 3)],
          ['empty', null],
        ],
      );
      // Idempotent by default: producer id from InitProducerId, sequences from 0.
      assert.equal(batch!.header.producerId, 4242n);
      assert.equal(batch!.header.producerEpoch, 3);
      assert.equal(batch!.header.baseSequence, 0);
    }
    assert.equal(fake.produceRequests[0]!.acks, -1);
  } finally {
    await producer.close();
    await fake.close();
  }
});

test('a full batch leaves without waiting for linger.ms; sequences continue across batches', async () => {
  const fake = await startFakeCluster({ topics: { t: 1 } });
  const producer = new Producer({ bootstrapServers: fake.bootstrap, lingerMs: 5000, batchSize: 61 + 4 * 121 });
  try {
    await producer.connect();
    const value = Buffer.alloc(100, 1);
    const started = Date.now();
    for (let round = 0; round < 3; round++) {
      await Promise.all(Array.from({ length: 4 }, () => producer.send({ topic: 't', value })));
    }
    assert.ok(Date.now() - started < 2000, 'full batches should not linger');
    const list = fake.batches.get('t/0')!;
    assert.deepEqual(
      list.map((b) => [b.header.baseSequence, b.records.length]),
      [
        [0, 4],
        [4, 4],
        [8, 4],
      ],
    );
  } finally {
    await producer.close();
    await fake.close();
  }
});

test('a backlog of full batches leaves merged, up to max.request.size', async () => {
  const fake = await startFakeCluster({ topics: { t: 1 } });
  const producer = new Producer({ bootstrapServers: fake.bootstrap, lingerMs: 0, batchSize: 1000, maxRequestSize: 20_000 });
  try {
    await producer.connect();
    const value = Buffer.alloc(100, 1);
    await Promise.all(Array.from({ length: 500 }, () => producer.send({ topic: 't', value })));
    const list = fake.batches.get('t/0')!;
    assert.equal(list.reduce((n, b) => n + b.records.length, 0), 500);
    assert.ok(list.length < 20, `expected merged batches, got ${list.length}`);
    assert.ok(list.every((b) => b.sizeBytes <= 20_000));
  } finally {
    await producer.close();
    await fake.close();
  }
});

test('a retriable error is retried with the same sequence; the delivery resolves once', async () => {
  let failures = 1;
  const seen: Array<{ seq: number; records: number }> = [];
  const fake = await startFakeCluster({
    topics: { t: 1 },
    intercept: (req) => {
      if (req.apiKey !== ApiKey.Produce) return undefined;
      const body = req.body as ProduceRequest;
      const records = body.topicData[0]!.partitionData[0]!.records!;
      seen.push({ seq: records.readInt32BE(53), records: records.readInt32BE(57) });
      if (failures-- > 0) {
        return typedBody(ApiKey.Produce, {
          responses: [{ name: 't', partitionResponses: [{ index: 0, errorCode: 6, baseOffset: -1n }] }],
        });
      }
      return undefined;
    },
  });
  const producer = new Producer({ bootstrapServers: fake.bootstrap, lingerMs: 0, retryBackoffMs: 5 });
  try {
    const first = await producer.send({ topic: 't', value: 'a' });
    const second = await producer.send({ topic: 't', value: 'b' });
    assert.equal(first.offset, 0n);
    assert.equal(second.offset, 1n);
    assert.deepEqual(seen, [
      { seq: 0, records: 1 },
      { seq: 0, records: 1 },
      { seq: 1, records: 1 },
    ]);
  } finally {
    await producer.close();
    await fake.close();
  }
});

test('several batches in flight per partition; a failure resends them in order with the same sequences', async () => {
  let produceCount = 0;
  const fake = await startFakeCluster({
    topics: { t: 1 },
    intercept: (req) => {
      if (req.apiKey !== ApiKey.Produce) return undefined;
      produceCount++;
      // The second request fails; the ones pipelined behind it then hit a sequence gap.
      if (produceCount === 2) {
        return typedBody(ApiKey.Produce, { responses: [{ name: 't', partitionResponses: [{ index: 0, errorCode: 6, baseOffset: -1n }] }] });
      }
      return undefined;
    },
  });
  // max.request.size keeps each batch to two records, so the 40 records need many requests.
  const producer = new Producer({ bootstrapServers: fake.bootstrap, lingerMs: 0, batchSize: 61 + 2 * 121, maxRequestSize: 61 + 2 * 121 + 1024, retryBackoffMs: 5 });
  try {
    await producer.connect();
    const value = Buffer.alloc(100);
    const sends = Array.from({ length: 40 }, (_, i) => producer.send({ topic: 't', value, headers: { i: String(i) } }));
    const results = await Promise.all(sends);
    assert.deepEqual(
      results.map((r) => r.offset),
      Array.from({ length: 40 }, (_, i) => BigInt(i)),
    );
    const log = fake.batches.get('t/0')!;
    assert.deepEqual(
      log.flatMap((b) => b.records.map((r) => r.headers[0]!.value!.toString())),
      Array.from({ length: 40 }, (_, i) => String(i)),
    );
    assert.ok(fake.produceRequests.length > log.length, 'some requests were refused and resent');
  } finally {
    await producer.close();
    await fake.close();
  }
});

test('a broker without InitProducerId fails clearly; idempotent: false produces anyway', async () => {
  const fake = await startFakeCluster({ topics: { t: 1 }, withoutApis: [ApiKey.InitProducerId] });
  try {
    const idempotent = new Producer({ bootstrapServers: fake.bootstrap });
    await assert.rejects(idempotent.send({ topic: 't', value: 'x' }), (e: unknown) => e instanceof UnsupportedVersionError && /idempotent: false/.test(e.message));
    await idempotent.close();
    const plain = new Producer({ bootstrapServers: fake.bootstrap, idempotent: false, acks: 1 });
    const meta = await plain.send({ topic: 't', value: 'x' });
    assert.equal(meta.offset, 0n);
    assert.equal(fake.batches.get('t/0')![0]!.header.producerId, -1n);
    assert.equal(fake.produceRequests[0]!.acks, 1);
    await plain.close();
  } finally {
    await fake.close();
  }
});

test('compression codecs mark the batch and round-trip', async () => {
  const fake = await startFakeCluster({ topics: { t: 1 } });
  try {
    for (const name of ['gzip', 'snappy', 'lz4', 'zstd'] as const) {
      const producer = new Producer({ bootstrapServers: fake.bootstrap, compression: name, lingerMs: 20 });
      await Promise.all(Array.from({ length: 5 }, (_, i) => producer.send({ topic: 't', value: `${name}-${i}`.repeat(20) })));
      await producer.close();
      const last = fake.batches.get('t/0')!.at(-1)!;
      assert.equal(last.header.compression, CompressionCodec[name]);
      assert.equal(last.records[4]!.value!.toString(), `${name}-4`.repeat(20));
    }
  } finally {
    await fake.close();
  }
});

test('keyed records go to the murmur2 partition; acks=0 resolves with offset -1', async () => {
  const fake = await startFakeCluster({ topics: { t: 7 } });
  const producer = new Producer({ bootstrapServers: fake.bootstrap, acks: 0, lingerMs: 0 });
  try {
    for (const key of ['alpha', 'beta', 'gamma', 'delta']) {
      const meta = await producer.send({ topic: 't', key, value: 'v' });
      assert.equal(meta.partition, partitionForKey(Buffer.from(key), 7));
      assert.equal(meta.offset, -1n);
    }
    await producer.flush();
    // acks=0 implies no idempotence.
    assert.equal(fake.produceRequests.every((r) => r.acks === 0), true);
  } finally {
    await producer.close();
    await fake.close();
  }
});

test('buffer.memory: sends wait for room and fail after max.block.ms', async () => {
  const fake = await startFakeCluster({
    topics: { t: 1 },
    intercept: (req) => (req.apiKey === ApiKey.Produce ? undefined : undefined),
  });
  const producer = new Producer({ bootstrapServers: fake.bootstrap, bufferMemory: 1000, maxBlockMs: 100, lingerMs: 200, batchSize: 1 << 20 });
  try {
    await producer.connect();
    const value = Buffer.alloc(400);
    const a = producer.send({ topic: 't', value });
    const b = producer.send({ topic: 't', value });
    // The third does not fit until the first two are acknowledged, which linger.ms delays past max.block.ms.
    await assert.rejects(producer.send({ topic: 't', value }), BufferExhaustedError);
    await Promise.all([a, b]);
    // With room again, a send goes through.
    const c = await producer.send({ topic: 't', value });
    assert.equal(c.offset, 2n);
  } finally {
    await producer.close();
    await fake.close();
  }
});

test('flush waits for queued records; sends after close fail', async () => {
  const fake = await startFakeCluster({ topics: { t: 2 } });
  const producer = new Producer({ bootstrapServers: fake.bootstrap, lingerMs: 10_000 });
  await producer.connect();
  let delivered = 0;
  for (let i = 0; i < 10; i++) void producer.send({ topic: 't', value: String(i) }).then(() => delivered++);
  await producer.flush();
  assert.equal(delivered, 10);
  // flush() waits for what was queued when it was called, not for sends that keep coming.
  let sending = true;
  const keepSending = (async () => {
    while (sending) {
      void producer.send({ topic: 't', value: 'more' });
      await new Promise((r) => setImmediate(r));
    }
  })();
  await producer.flush();
  sending = false;
  await keepSending;
  await producer.close();
  await assert.rejects(producer.send({ topic: 't', value: 'late' }), /closed/);
  await fake.close();
});

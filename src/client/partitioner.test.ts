import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { DefaultPartitioner, murmur2, partitionForKey, toPositive } from './partitioner.js';

const require = createRequire(import.meta.url);

interface KafkajsPartitionerArgs {
  topic: string;
  partitionMetadata: Array<{ partitionId: number; leader: number }>;
  message: { key: Buffer | string | null; value: Buffer | null };
}
type KafkajsPartitioner = (args: KafkajsPartitionerArgs) => number;
const kafkajs = require('kafkajs') as { Partitioners: { DefaultPartitioner: () => KafkajsPartitioner } };

function javaPartition(key: Buffer, partitionCount: number): number {
  const partitioner = kafkajs.Partitioners.DefaultPartitioner();
  return partitioner({
    topic: 't',
    partitionMetadata: Array.from({ length: partitionCount }, (_, i) => ({ partitionId: i, leader: 1 })),
    message: { key, value: null },
  });
}

test('murmur2 matches known values of the Java client', () => {
  // Values from Kafka's own UtilsTest (murmur2 of UTF-8 strings).
  assert.equal(murmur2(Buffer.from('21')), -973932308);
  assert.equal(murmur2(Buffer.from('foobar')), -790332482);
  assert.equal(murmur2(Buffer.from('a-little-bit-long-string')), -985981536);
  assert.equal(murmur2(Buffer.from('a-little-bit-longer-string')), -1486304829);
  assert.equal(murmur2(Buffer.from('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8')), -58897971);
  assert.equal(murmur2(Buffer.from([97, 98, 99])), 479470107);
  assert.equal(toPositive(-1), 0x7fffffff);
});

test('keyed records land where the Java-compatible partitioner puts them', () => {
  for (const key of ['order-1', 'order-2', 'customer-42', '', 'ü-ñ-€', 'a', 'ab', 'abc', 'abcd', 'abcde']) {
    for (const count of [1, 3, 6, 10, 32]) {
      assert.equal(partitionForKey(Buffer.from(key), count), javaPartition(Buffer.from(key), count), `key "${key}" count ${count}`);
    }
  }
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 1, max: 100 }), (bytes, count) => {
      const key = Buffer.from(bytes);
      return partitionForKey(key, count) === javaPartition(key, count);
    }),
    { numRuns: 500 },
  );
});

test('sticky partitioner: one partition until batch.size bytes, then another available one', () => {
  let r = 0;
  const seq = [0.1, 0.9, 0.5, 0.3];
  const p = new DefaultPartitioner(100, () => seq[r++ % seq.length]!);
  const args = { topic: 't', key: null, value: null, partitionCount: 4, availablePartitions: [0, 1, 2, 3] };
  const first = p.partition(args);
  for (let i = 0; i < 9; i++) {
    assert.equal(p.partition(args), first);
    p.onAppend('t', first, 10);
  }
  p.onAppend('t', first, 10);
  const second = p.partition(args);
  assert.notEqual(second, first);
  // Only partitions with a leader are candidates.
  const q = new DefaultPartitioner(1);
  for (let i = 0; i < 50; i++) {
    const chosen = q.partition({ ...args, availablePartitions: [2] });
    assert.equal(chosen, 2);
    q.onAppend('t', chosen, 5);
  }
  // Keyed records ignore stickiness.
  assert.equal(p.partition({ ...args, key: Buffer.from('k') }), partitionForKey(Buffer.from('k'), 4));
});

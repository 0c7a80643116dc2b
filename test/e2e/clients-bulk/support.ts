/**
 * Shared by clients-bulk.test.ts: the 10,000 keyed records every client
 * produces, the checks on what a client consumed back, and the checks on the
 * broker's side (ListOffsets, DescribeConfigs, and the stored batches read
 * with a raw Fetch so a client cannot pass by quietly not compressing).
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Admin } from '../../../src/client/index.js';
import { murmur2, toPositive } from '../../../src/client/partitioner.js';
import { ApiKey } from '../../../src/protocol/generated/api-registry.js';
import { iterateBatches, readBatchHeader, type BatchHeader } from '../../../src/protocol/records/index.js';
import { RawClient } from '../support/raw-client.js';
import { readRecords } from '../support/records.js';

export const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type Codec = (typeof CODECS)[number];
export const CODEC_IDS: Record<Codec, number> = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 };

export const COUNT = 10_000;
export const PARTITIONS = 6;
export const KEYS = 97;
export const RETENTION_MS = '3600000';
export const TOPIC_CONFIGS: Readonly<Record<string, string>> = { 'retention.ms': RETENTION_MS };

/** Text that compresses well, so librdkafka keeps every batch compressed (it sends a batch raw when compression does not shrink it). */
const PAD = 'samsa bulk payload, compressible on purpose; '.repeat(2);

export interface OutRecord {
  readonly key: string;
  readonly value: string;
}

/** Record i: key k(i mod 97), value "i|" plus ~90 bytes of padding. */
export const RECORDS: readonly OutRecord[] = Array.from({ length: COUNT }, (_, i) => ({ key: `k${i % KEYS}`, value: `${i}|${PAD}` }));

export function indexOf(value: string): number {
  const bar = value.indexOf('|');
  assert.ok(bar > 0 && value.slice(bar + 1) === PAD, `value "${value.slice(0, 40)}..." is not one this test produced`);
  return Number(value.slice(0, bar));
}

/** A record as the client under test handed it back. */
export interface InRecord {
  readonly partition: number;
  readonly offset: number;
  readonly key: string | null;
  readonly value: string | null;
}

/** Where the Java client's default partitioner (murmur2, positive, mod partitions) puts a key. */
export function javaPartition(key: string, partitions = PARTITIONS): number {
  return toPositive(murmur2(Buffer.from(key))) % partitions;
}

/** Guards the expectation itself: Kafka's UtilsTest values for murmur2. */
export function checkMurmur2Vectors(): void {
  assert.equal(murmur2(Buffer.from('21')), -973932308);
  assert.equal(murmur2(Buffer.from('a-little-bit-long-string')), -985981536);
}

/**
 * What a client consumed: exactly the 10,000 records, none twice, each key
 * with its own value, each key on one partition (the Java partition when
 * `javaPartitioner`), values per key and offsets per partition strictly
 * increasing in the order received, offsets per partition 0..n-1.
 * Returns the records per partition, in the order received.
 */
export function checkConsumed(label: string, records: readonly InRecord[], javaPartitioner: boolean): Map<number, InRecord[]> {
  assert.equal(records.length, COUNT, `${label}: records consumed`);
  const seen = new Set<number>();
  const partitionOfKey = new Map<string, number>();
  const lastOfKey = new Map<string, number>();
  const byPartition = new Map<number, InRecord[]>();
  for (const r of records) {
    assert.ok(r.value !== null && r.key !== null, `${label}: a record without key or value at ${r.partition}/${r.offset}`);
    const i = indexOf(r.value);
    assert.ok(Number.isInteger(i) && i >= 0 && i < COUNT, `${label}: value index ${i}`);
    assert.ok(!seen.has(i), `${label}: record ${i} consumed twice (second at partition ${r.partition} offset ${r.offset})`);
    seen.add(i);
    assert.equal(r.key, RECORDS[i]!.key, `${label}: key of record ${i}`);
    assert.ok(r.partition >= 0 && r.partition < PARTITIONS, `${label}: partition ${r.partition}`);

    const p = partitionOfKey.get(r.key);
    if (p === undefined) partitionOfKey.set(r.key, r.partition);
    else assert.equal(r.partition, p, `${label}: key ${r.key} on partitions ${p} and ${r.partition}`);

    const last = lastOfKey.get(r.key);
    assert.ok(last === undefined || i > last, `${label}: key ${r.key}: record ${i} came after ${last}`);
    lastOfKey.set(r.key, i);

    let list = byPartition.get(r.partition);
    if (list === undefined) byPartition.set(r.partition, (list = []));
    const prev = list[list.length - 1];
    assert.ok(prev === undefined || r.offset > prev.offset, `${label}: partition ${r.partition}: offset ${r.offset} came after ${prev?.offset}`);
    list.push(r);
  }
  assert.equal(seen.size, COUNT, `${label}: distinct records`);
  assert.equal(partitionOfKey.size, KEYS, `${label}: keys seen`);
  if (javaPartitioner) {
    const wrong = [...partitionOfKey].filter(([key, p]) => javaPartition(key) !== p);
    assert.deepEqual(wrong.slice(0, 5).map(([key, p]) => `${key} on ${p}, Java puts it on ${javaPartition(key)}`), [], `${label}: ${wrong.length} keys not on their murmur2 partition`);
  }
  for (const [partition, list] of byPartition) {
    list.forEach((r, n) => assert.equal(r.offset, n, `${label}: partition ${partition}: offset of its record #${n}`));
  }
  return byPartition;
}

/** The whole log of one partition, read with raw Fetch v11 requests from offset 0 to `high`. */
async function fetchPartition(client: RawClient, topic: string, partition: number, high: number): Promise<{ batches: BatchHeader[]; records: ReturnType<typeof readRecords> }> {
  const batches: BatchHeader[] = [];
  const records: ReturnType<typeof readRecords> = [];
  let next = 0;
  while (next < high) {
    const response = await client.send(ApiKey.Fetch, 11, {
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 16 << 20,
      isolationLevel: 0,
      topics: [{ topic, partitions: [{ partition, fetchOffset: BigInt(next), partitionMaxBytes: 8 << 20 }] }],
    });
    const p = response.responses[0]?.partitions[0];
    assert.ok(p !== undefined, `raw Fetch: no answer for ${topic}-${partition}`);
    assert.equal(p.errorCode, 0, `raw Fetch of ${topic}-${partition} at ${next}: error`);
    const bytes = p.records ?? Buffer.alloc(0);
    const spans = iterateBatches(bytes).batches;
    assert.ok(spans.length > 0, `raw Fetch of ${topic}-${partition} at ${next} (high ${high}): no batch`);
    for (const span of spans) {
      const header = readBatchHeader(bytes, span.offset);
      batches.push(header);
      next = header.baseOffset + header.lastOffsetDelta + 1;
    }
    records.push(...readRecords(bytes));
  }
  return { batches, records };
}

/**
 * The broker's side: ListOffsets earliest 0 and latest = what was consumed
 * (summing to 10,000), retention.ms as created, and every stored batch in the
 * requested codec holding exactly the records the client consumed.
 */
export async function checkBroker(label: string, bootstrap: string, topic: string, codec: Codec, consumed: Map<number, InRecord[]>): Promise<{ batches: number }> {
  const admin = new Admin({ bootstrapServers: bootstrap, clientId: 'clients-bulk-check' });
  const raw = await RawClient.connect(bootstrap);
  try {
    const partitions = Array.from({ length: PARTITIONS }, (_, partition) => partition);
    const earliest = await admin.listOffsets(partitions.map((partition) => ({ topic, partition, spec: 'earliest' })));
    const latest = await admin.listOffsets(partitions.map((partition) => ({ topic, partition, spec: 'latest' })));
    assert.deepEqual(earliest.map((o) => Number(o.offset)), partitions.map(() => 0), `${label}: ListOffsets earliest`);
    const highs = partitions.map((p) => Number(latest.find((o) => o.partition === p)!.offset));
    assert.equal(highs.reduce((a, b) => a + b, 0), COUNT, `${label}: ListOffsets latest summed over ${PARTITIONS} partitions (${highs.join(', ')})`);
    assert.deepEqual(highs, partitions.map((p) => consumed.get(p)?.length ?? 0), `${label}: ListOffsets latest per partition = records consumed per partition`);

    const [configs] = await admin.describeConfigs([{ type: 'topic', name: topic, keys: ['retention.ms'] }]);
    const retention = configs!.entries.find((e) => e.name === 'retention.ms');
    assert.equal(retention?.value, RETENTION_MS, `${label}: DescribeConfigs retention.ms`);
    assert.equal(retention?.source, 'dynamicTopic', `${label}: retention.ms source`);

    let batchCount = 0;
    for (const partition of partitions) {
      const { batches, records } = await fetchPartition(raw, topic, partition, highs[partition]!);
      const data = batches.filter((b) => !b.isControl);
      batchCount += data.length;
      const wrong = data.filter((b) => b.compression !== CODEC_IDS[codec]);
      assert.equal(wrong.length, 0, `${label}: partition ${partition}: ${wrong.length} of ${data.length} stored batches have codec ${wrong[0]?.compression}, not ${codec} (${CODEC_IDS[codec]})`);
      const stored = records.filter((r) => r.offset < highs[partition]!).map((r) => `${r.offset} ${r.key} ${r.value}`);
      const got = (consumed.get(partition) ?? []).map((r) => `${r.offset} ${r.key} ${r.value}`);
      assert.deepEqual(stored, got, `${label}: partition ${partition}: stored records = consumed records`);
    }
    return { batches: batchCount };
  } finally {
    raw.close();
    await admin.close();
  }
}

/** The repository's source root (compiled helpers live in dist/test/e2e/clients-bulk). */
const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const compatRequire = createRequire(`${repoRoot}test/compat/package.json`);

/** A test-only client from test/compat/node_modules; a missing one fails the test with a clear message. */
export function requireCompat<T>(name: string): T {
  try {
    return compatRequire(name) as T;
  } catch (err) {
    throw new Error(`${name} is not installed in test/compat (run \`npm --prefix test/compat ci\`, as .ci/run does): ${(err as Error).message}`);
  }
}

export async function waitFor(what: string, done: () => boolean, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Transactional offsets across broker crashes (KIP-98 sendOffsetsToTransaction,
 * KIP-447 requireStable). The broker runs as a child process (`samsa start`,
 * one fixed port so clients reconnect to the restarted broker):
 *
 * 1. kafkajs consume-transform-produce: a consumer in group `etl` reads `in`,
 *    and each batch goes out transformed to `out` in a transaction that also
 *    commits the batch's input offsets (sendOffsets), then commits.
 * 2. One more transaction moves the offsets and aborts; another commits.
 * 3. A third transaction (another producer) commits offsets and stays open:
 *    OffsetFetch with requireStable answers UNSTABLE_OFFSET_COMMIT for its
 *    partition, a plain OffsetFetch the last committed offsets.
 * 4. SIGKILL and restart: the group's committed offsets are exactly those of
 *    committed transactions (the aborted and the open one's are not applied
 *    on load); the open transaction is still unstable; committing it after
 *    the restart makes its offsets committed, and they survive another kill.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { ApiKey } from '../../src/protocol/generated/api-registry.js';
import { ErrorCode } from '../../src/protocol/errors/index.js';
import { RawClient } from './support/raw-client.js';
import { readCommittedRaw } from './txn-support.js';

const samsa = join(new URL('../../src/cli/', import.meta.url).pathname, 'samsa.js');
const GROUP = 'etl';
const IN = 'in';
const OUT = 'out';
const PARTITIONS = 2;
const FIRST_MESSAGES = 10;

interface Child {
  child: ChildProcess;
  bootstrap: string;
  exited: Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

function startBroker(dataDir: string, port: number): Promise<Child> {
  const child = spawn(process.execPath, [samsa, 'start', '--data-dir', dataDir, '--host', '127.0.0.1', '--port', String(port), '--controller-port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SAMSA_LOG_LEVEL: 'warn' },
  });
  let stdout = '';
  let stderr = '';
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      const m = /listening on PLAINTEXT:\/\/([^,;\s]+)/.exec(stdout);
      if (m !== null) resolve({ child, bootstrap: m[1]!, exited });
    });
    void exited.then(() => reject(new Error(`broker exited before listening: ${stderr}`)));
  });
}

async function kill(broker: Child): Promise<void> {
  broker.child.kill('SIGKILL');
  await broker.exited;
}

/** OffsetFetch v7 of `in`: partition → [offset, error code]. */
async function fetchOffsets(raw: RawClient, requireStable: boolean): Promise<Array<[bigint, number]>> {
  const partitionIndexes = Array.from({ length: PARTITIONS }, (_, i) => i);
  const res = await raw.send(ApiKey.OffsetFetch, 7, { groupId: GROUP, topics: [{ name: IN, partitionIndexes }], requireStable });
  assert.equal(res.errorCode, ErrorCode.NONE);
  const out: Array<[bigint, number]> = [];
  for (const p of res.topics[0]!.partitions) out[p.partitionIndex] = [p.committedOffset, p.errorCode];
  return out;
}

/** The committed offsets once no transaction is pending, as a requireStable client waits for them (markers follow EndTxn). */
async function stableOffsets(raw: RawClient): Promise<bigint[]> {
  for (let attempt = 0; ; attempt++) {
    const offsets = await fetchOffsets(raw, true);
    if (offsets.every(([, error]) => error === ErrorCode.NONE)) return offsets.map(([o]) => o);
    assert.ok(offsets.every(([, error]) => error === ErrorCode.NONE || error === ErrorCode.UNSTABLE_OFFSET_COMMIT), JSON.stringify(offsets, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)));
    assert.ok(attempt < 2000, 'offsets never became stable');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A raw client that retries connecting while the broker restarts. */
async function rawClient(bootstrap: string): Promise<RawClient> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await RawClient.connect(bootstrap);
    } catch (err) {
      if (attempt > 200) throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

test('transactional offsets: only committed transactions move the group, before and after SIGKILL; requireStable sees open ones', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'samsa-txn-offsets-'));
  const port = await freePort();
  let broker = await startBroker(dataDir, port);
  const clientConfig = {
    brokers: [broker.bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries: 30, initialRetryTime: 50, maxRetryTime: 500 },
    connectionTimeout: 1000,
    requestTimeout: 5000,
  };
  const kafka = new Kafka({ ...clientConfig, clientId: 'txn-offsets' });
  let raw = await rawClient(broker.bootstrap);
  const disconnects: Array<() => Promise<void>> = [];
  try {
    const admin = kafka.admin();
    await admin.connect();
    disconnects.push(() => admin.disconnect());
    await admin.createTopics({ topics: [{ topic: IN, numPartitions: PARTITIONS }, { topic: OUT, numPartitions: PARTITIONS }] });
    const plain = kafka.producer();
    await plain.connect();
    disconnects.push(() => plain.disconnect());
    const produceInput = async (from: number, count: number): Promise<void> => {
      for (let p = 0; p < PARTITIONS; p++) {
        await plain.send({ topic: IN, messages: Array.from({ length: count }, (_, i) => ({ partition: p, value: `m${p}-${from + i}` })) });
      }
    };
    await produceInput(0, FIRST_MESSAGES);

    // 1. Consume-transform-produce: every batch's output and input offsets commit together.
    const ctp: Producer = kafka.producer({ transactionalId: 'etl-ctp', maxInFlightRequests: 1, idempotent: true });
    await ctp.connect();
    disconnects.push(() => ctp.disconnect());
    const consumer = kafka.consumer({ groupId: GROUP, sessionTimeout: 10_000, heartbeatInterval: 500 });
    await consumer.connect();
    disconnects.push(() => consumer.disconnect());
    await consumer.subscribe({ topic: IN, fromBeginning: true });
    let consumed = 0;
    let doneConsuming: () => void = () => undefined;
    const allConsumed = new Promise<void>((resolve) => (doneConsuming = resolve));
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const txn = await ctp.transaction();
        await txn.send({ topic: OUT, messages: batch.messages.map((m) => ({ partition: batch.partition, value: `t(${m.value?.toString() ?? ''})` })) });
        await txn.sendOffsets({
          consumerGroupId: GROUP,
          topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: String(Number(batch.lastOffset()) + 1) }] }],
        });
        await txn.commit();
        consumed += batch.messages.length;
        if (consumed >= PARTITIONS * FIRST_MESSAGES) doneConsuming();
      },
    });
    await allConsumed;
    await consumer.disconnect();
    disconnects.pop();
    assert.deepEqual(await stableOffsets(raw), [10n, 10n], 'the consume-transform-produce loop committed every input offset');

    // 2. One transaction aborts, the next commits.
    await produceInput(FIRST_MESSAGES, 5);
    const aborted = await ctp.transaction();
    await aborted.send({ topic: OUT, messages: [{ partition: 0, value: 'aborted' }] });
    await aborted.sendOffsets({ consumerGroupId: GROUP, topics: [{ topic: IN, partitions: [{ partition: 0, offset: '13' }, { partition: 1, offset: '13' }] }] });
    await aborted.abort();
    assert.deepEqual(await stableOffsets(raw), [10n, 10n], 'an aborted transaction moves no offsets');
    const committed = await ctp.transaction();
    await committed.send({ topic: OUT, messages: [{ partition: 1, value: 'committed' }] });
    await committed.sendOffsets({ consumerGroupId: GROUP, topics: [{ topic: IN, partitions: [{ partition: 0, offset: '12' }, { partition: 1, offset: '15' }] }] });
    await committed.commit();
    assert.deepEqual(await stableOffsets(raw), [12n, 15n]);

    // 3. A transaction left open: requireStable clients must wait for it, others read the committed offsets.
    const other = kafka.producer({ transactionalId: 'etl-open', maxInFlightRequests: 1, idempotent: true, transactionTimeout: 60_000 });
    await other.connect();
    const open = await other.transaction();
    await open.send({ topic: OUT, messages: [{ partition: 0, value: 'open' }] });
    await open.sendOffsets({ consumerGroupId: GROUP, topics: [{ topic: IN, partitions: [{ partition: 0, offset: '14' }] }] });
    assert.deepEqual(await fetchOffsets(raw, true), [
      [-1n, ErrorCode.UNSTABLE_OFFSET_COMMIT],
      [15n, ErrorCode.NONE],
    ]);
    assert.deepEqual(await fetchOffsets(raw, false), [
      [12n, ErrorCode.NONE],
      [15n, ErrorCode.NONE],
    ]);
    const viaKafkajs = await admin.fetchOffsets({ groupId: GROUP, topics: [IN] });
    assert.deepEqual(viaKafkajs[0]!.partitions.map((p) => [p.partition, p.offset]).sort(), [[0, '12'], [1, '15']]);

    // 4. SIGKILL: the load replays the transactional batches and their markers.
    while (disconnects.length > 0) await disconnects.pop()!().catch(() => undefined);
    raw.close();
    await kill(broker);
    broker = await startBroker(dataDir, port);
    raw = await rawClient(broker.bootstrap);
    assert.deepEqual(await fetchOffsets(raw, false), [
      [12n, ErrorCode.NONE],
      [15n, ErrorCode.NONE],
    ], 'after a restart: the offsets of committed transactions only');
    assert.deepEqual((await fetchOffsets(raw, true))[0], [-1n, ErrorCode.UNSTABLE_OFFSET_COMMIT], 'the open transaction is still open');

    // The open transaction's producer reconnects to the restarted broker and commits it.
    await open.commit();
    await other.disconnect().catch(() => undefined);
    assert.deepEqual(await stableOffsets(raw), [14n, 15n], 'committed after the restart');
    const out = (await readCommittedRaw(raw, OUT, PARTITIONS)).flat();
    assert.equal(out.filter((v) => v.startsWith('t(')).length, PARTITIONS * FIRST_MESSAGES);
    assert.deepEqual(out.filter((v) => !v.startsWith('t(')).sort(), ['committed', 'open']);

    raw.close();
    await kill(broker);
    broker = await startBroker(dataDir, port);
    raw = await rawClient(broker.bootstrap);
    assert.deepEqual(await fetchOffsets(raw, true), [
      [14n, ErrorCode.NONE],
      [15n, ErrorCode.NONE],
    ], 'and after another restart');
    const restarted = new Kafka({ ...clientConfig, brokers: [broker.bootstrap], clientId: 'txn-offsets-after' }).admin();
    await restarted.connect();
    const final = await restarted.fetchOffsets({ groupId: GROUP, topics: [IN] });
    await restarted.disconnect();
    assert.deepEqual(final[0]!.partitions.map((p) => [p.partition, p.offset]).sort(), [[0, '14'], [1, '15']]);
  } finally {
    while (disconnects.length > 0) await disconnects.pop()!().catch(() => undefined);
    raw.close();
    await kill(broker);
    rmSync(dataDir, { recursive: true, force: true });
  }
});

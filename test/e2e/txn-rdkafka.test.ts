/**
 * Idempotence and transactions with node-rdkafka (librdkafka) against the
 * embedded broker:
 *  - an idempotent producer (5 requests in flight) writes 100,000 messages
 *    through a proxy that cuts connections mid-request and before answers:
 *    read back, no duplicates, no gaps, order kept per partition;
 *  - a transactional producer commits, aborts, commits: read_committed (a
 *    node-rdkafka consumer and the raw reader) sees the committed records
 *    only; consume-transform-produce in a group with sendOffsetsToTransaction,
 *    one transaction committed, one aborted and reprocessed, one committed:
 *    the group's committed offsets (OffsetFetch) and the read_committed
 *    output agree exactly.
 *
 * node-rdkafka is a test-only client installed in test/compat
 * (`npm --prefix test/compat ci`); without it these tests fail rather than
 * skip. Only node-rdkafka's asynchronous calls (and the non-blocking produce,
 * poll, assign, subscribe) are used: the broker runs on this event loop.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { Broker } from '../../src/index.js';
import { seededRandom } from '../../src/platform/random.js';
import { ApiKey } from '../../src/protocol/generated/api-registry.js';
import { RawClient } from './support/raw-client.js';
import { fetchAll } from './support/helpers.js';
import { buildBatch } from './support/records.js';
import { ChaosProxy, readCommittedRaw } from './txn-support.js';

/** Compiled tests live in dist/test/e2e; the module is in the source tree's test/compat. */
const RDKAFKA_PATH = fileURLToPath(new URL('../../../test/compat/node_modules/node-rdkafka', import.meta.url));
const ERR_QUEUE_FULL = -184;
const MESSAGES = 100_000;
const TIMEOUT_MS = 15_000;

type RdConfig = Record<string, string | number | boolean>;
interface RdError {
  readonly code: number;
  readonly message: string;
}
interface RdTopicPartition {
  readonly topic: string;
  readonly partition: number;
  readonly offset?: number;
}
interface RdMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
}
type Done = (err: RdError | null | undefined) => void;
interface RdProducer {
  connect(options: object, callback: Done): void;
  produce(topic: string, partition: number | null, value: Buffer, key: string): void;
  setPollInterval(interval: number): void;
  flush(timeout: number, callback: Done): void;
  disconnect(timeout: number, callback: Done): void;
  initTransactions(timeout: number, callback: Done): void;
  beginTransaction(callback: Done): void;
  commitTransaction(timeout: number, callback: Done): void;
  abortTransaction(timeout: number, callback: Done): void;
  sendOffsetsToTransaction(offsets: RdTopicPartition[], consumer: RdConsumer, timeout: number, callback: Done): void;
  on(event: string, listener: (...args: never[]) => void): void;
}
interface RdConsumer {
  connect(options: object, callback: Done): void;
  subscribe(topics: string[]): void;
  assign(assignments: RdTopicPartition[]): void;
  consume(size: number, callback: (err: RdError | null | undefined, messages: RdMessage[]) => void): void;
  setDefaultConsumeTimeout(ms: number): void;
  disconnect(callback: Done): void;
}
interface RdkafkaModule {
  readonly librdkafkaVersion: string;
  readonly Producer: new (config: RdConfig, topicConfig?: RdConfig) => RdProducer;
  readonly KafkaConsumer: new (config: RdConfig, topicConfig: RdConfig) => RdConsumer;
}

let rdkafka: RdkafkaModule | undefined;

function loadRdkafka(): RdkafkaModule {
  if (rdkafka !== undefined) return rdkafka;
  try {
    rdkafka = createRequire(import.meta.url)(RDKAFKA_PATH) as RdkafkaModule;
  } catch (err) {
    throw new Error(`node-rdkafka is not installed in test/compat (run \`npm --prefix test/compat ci\`): ${(err as Error).message}`);
  }
  process.stdout.write(`# node-rdkafka with librdkafka ${rdkafka.librdkafkaVersion}\n`);
  return rdkafka;
}

/** Turns one of node-rdkafka's callback calls into a promise, with a deadline. */
function call(what: string, start: (done: Done) => void, timeoutMs = TIMEOUT_MS * 2): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: no answer within ${timeoutMs} ms`)), timeoutMs);
    start((err) => {
      clearTimeout(timer);
      if (err === null || err === undefined) resolve();
      else reject(new Error(`${what}: ${err.message} (${err.code})`));
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

async function createTopics(raw: RawClient, names: string[], partitions: number): Promise<void> {
  const res = await raw.send(ApiKey.CreateTopics, 5, {
    topics: names.map((name) => ({ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] })),
    timeoutMs: 5000,
    validateOnly: false,
  });
  for (const t of res.topics) assert.equal(t.errorCode, 0, `create ${t.name}`);
}

async function waitForTxnState(raw: RawClient, transactionalId: string, state: string): Promise<void> {
  let last: string | undefined;
  for (let i = 0; i < 1000; i++) {
    const d = await raw.send(ApiKey.DescribeTransactions, 0, { transactionalIds: [transactionalId] });
    last = d.transactionStates[0]?.transactionState;
    if (last === state) return;
    await sleep(2);
  }
  assert.fail(`${transactionalId} never reached ${state} (last ${last})`);
}

/** Consumes with node-rdkafka's asynchronous batch consume until `expected` messages arrived, then a little longer to see nothing more does. */
async function consumeN(consumer: RdConsumer, expected: number, timeoutMs = TIMEOUT_MS): Promise<RdMessage[]> {
  consumer.setDefaultConsumeTimeout(100);
  const got: RdMessage[] = [];
  const once = (): Promise<RdMessage[]> =>
    new Promise((resolve, reject) => consumer.consume(500, (err, messages) => (err === null || err === undefined ? resolve(messages) : reject(new Error(`consume: ${err.message}`)))));
  const deadline = Date.now() + timeoutMs;
  while (got.length < expected && Date.now() < deadline) got.push(...(await once()));
  for (let i = 0; i < 5; i++) got.push(...(await once()));
  return got;
}

test('node-rdkafka idempotent producer (5 in flight): 100,000 messages through a cutting proxy, no duplicates, no gaps', async () => {
  const { Producer } = loadRdkafka();
  const dataDir = mkdtempSync(join(tmpdir(), 'samsa-idem-rk-'));
  const proxy = await ChaosProxy.listen(seededRandom(11));
  const broker = await Broker.start({ port: 0, dataDir, config: { 'advertised.listeners': `PLAINTEXT://127.0.0.1:${proxy.port}` } });
  const brokerPort = broker.listeners[0]!.port;
  proxy.targetPort = brokerPort;
  const raw = await RawClient.connect(`127.0.0.1:${brokerPort}`);
  const producer = new Producer({
    'bootstrap.servers': `127.0.0.1:${proxy.port}`,
    'client.id': 'idem-rdkafka',
    'enable.idempotence': true,
    'max.in.flight.requests.per.connection': 5,
    // Small batches, so that 100,000 messages make many requests for the proxy to cut.
    'linger.ms': 2,
    'batch.num.messages': 100,
    'retry.backoff.ms': 10,
    'reconnect.backoff.ms': 10,
    'reconnect.backoff.max.ms': 100,
    'socket.timeout.ms': 5000,
    'message.timeout.ms': 120_000,
    dr_cb: true,
    log_level: 0,
  });
  let delivered = 0;
  const errors: string[] = [];
  producer.on('delivery-report', (err: RdError | null, _report: never) => {
    if (err === null || err === undefined) delivered++;
    else if (errors.length < 10) errors.push(`${err.code} ${err.message}`);
  });
  let connected = false;
  try {
    await createTopics(raw, ['idem-rk'], 3);
    await call('connect', (done) => producer.connect({}, done));
    connected = true;
    producer.setPollInterval(5);
    const started = Date.now();
    proxy.cutChance = 0.05;
    for (let i = 0; i < MESSAGES; i++) {
      for (;;) {
        try {
          producer.produce('idem-rk', null, Buffer.from(String(i)), `k${i % 97}`);
          break;
        } catch (err) {
          if ((err as { code?: number }).code !== ERR_QUEUE_FULL) throw err;
          await sleep(5);
        }
      }
      // The broker shares this event loop.
      if (i % 1000 === 999) await new Promise((r) => setImmediate(r));
    }
    await until('delivery reports', () => delivered + errors.length >= MESSAGES || errors.length > 0, 120_000);
    proxy.cutChance = 0;
    process.stdout.write(`# ${MESSAGES} delivered in ${Date.now() - started} ms, cuts ${JSON.stringify(proxy.cuts)}\n`);
    assert.deepEqual(errors, []);
    assert.equal(delivered, MESSAGES);
    assert.ok(proxy.cuts.lostResponse + proxy.cuts.midRequest >= 5, `cuts: ${JSON.stringify(proxy.cuts)}`);

    const byPartition = await fetchAll(raw, 'idem-rk', 3);
    const seen = new Uint8Array(MESSAGES);
    let total = 0;
    for (const [partition, records] of byPartition) {
      let last = -1;
      for (const r of records) {
        const v = Number(r.value);
        assert.ok(Number.isInteger(v) && v >= 0 && v < MESSAGES, `bad value ${r.value}`);
        assert.equal(seen[v], 0, `duplicate ${v} (partition ${partition})`);
        seen[v] = 1;
        assert.ok(v > last, `order in partition ${partition}: ${v} after ${last}`);
        last = v;
        total++;
      }
    }
    assert.equal(total, MESSAGES, `${total} records for ${MESSAGES} messages (cuts ${JSON.stringify(proxy.cuts)})`);
    assert.equal(seen.indexOf(0), -1, `gap: ${seen.indexOf(0)} missing`);
  } finally {
    proxy.cutChance = 0;
    if (connected) await call('disconnect', (done) => producer.disconnect(5000, done)).catch(() => undefined);
    raw.close();
    await broker.stop();
    await proxy.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('node-rdkafka transactions: commit/abort/commit visible to read_committed; consume-transform-produce with sendOffsetsToTransaction', async () => {
  const { Producer, KafkaConsumer } = loadRdkafka();
  const dataDir = mkdtempSync(join(tmpdir(), 'samsa-txn-rk-'));
  const broker = await Broker.start({ port: 0, dataDir, config: { 'group.initial.rebalance.delay.ms': 0 } });
  const raw = await RawClient.connect(broker.bootstrap);
  const kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'txn-rk-admin', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const cleanups: Array<() => Promise<void>> = [];
  const PARTITIONS = 2;
  const INPUT_PER_PARTITION = 10;
  try {
    await createTopics(raw, ['rk-txn', 'rk-in', 'rk-out'], PARTITIONS);
    await admin.connect();

    // 1. Commit, abort, commit.
    const producer = new Producer({
      'bootstrap.servers': broker.bootstrap,
      'client.id': 'txn-rdkafka',
      'transactional.id': 'rk-txn',
      'transaction.timeout.ms': 60_000,
      log_level: 0,
    });
    await call('producer connect', (done) => producer.connect({}, done));
    cleanups.push(() => call('producer disconnect', (done) => producer.disconnect(5000, done)));
    await call('initTransactions', (done) => producer.initTransactions(TIMEOUT_MS, done));
    for (const [tag, commit] of [['c1', true], ['a1', false], ['c2', true]] as const) {
      await call('beginTransaction', (done) => producer.beginTransaction(done));
      for (let i = 0; i < 10; i++) producer.produce('rk-txn', null, Buffer.from(`${tag}-${i}`), `k${i}`);
      // Written to the log before the decision, so the abort has records to hide (abortTransaction would purge queued ones).
      await call('flush', (done) => producer.flush(TIMEOUT_MS, done));
      if (commit) await call('commitTransaction', (done) => producer.commitTransaction(TIMEOUT_MS, done));
      else await call('abortTransaction', (done) => producer.abortTransaction(TIMEOUT_MS, done));
      await waitForTxnState(raw, 'rk-txn', commit ? 'CompleteCommit' : 'CompleteAbort');
    }
    const expected = [...Array.from({ length: 10 }, (_, i) => `c1-${i}`), ...Array.from({ length: 10 }, (_, i) => `c2-${i}`)].sort();
    // The aborted records were written (and count in the high watermark), with the markers.
    const everything = await fetchAll(raw, 'rk-txn', PARTITIONS);
    const uncommittedValues = [...everything.values()].flat().map((r) => r.value);
    assert.equal(uncommittedValues.filter((v) => v?.startsWith('a1-') === true).length, 10, 'aborted records are in the log');
    assert.deepEqual((await readCommittedRaw(raw, 'rk-txn', PARTITIONS)).flat().sort(), expected);

    const reader = new KafkaConsumer(
      { 'bootstrap.servers': broker.bootstrap, 'group.id': 'rk-reader', 'isolation.level': 'read_committed', 'enable.auto.commit': false, 'fetch.wait.max.ms': 50, log_level: 0 },
      { 'auto.offset.reset': 'earliest' },
    );
    await call('reader connect', (done) => reader.connect({}, done));
    cleanups.push(() => call('reader disconnect', (done) => reader.disconnect(done)));
    reader.assign(Array.from({ length: PARTITIONS }, (_, partition) => ({ topic: 'rk-txn', partition, offset: 0 })));
    const read = await consumeN(reader, expected.length);
    assert.deepEqual(read.map((m) => m.value?.toString() ?? '').sort(), expected, 'node-rdkafka read_committed consumer');

    // 2. Consume-transform-produce.
    for (let p = 0; p < PARTITIONS; p++) {
      const res = await raw.send(ApiKey.Produce, 9, {
        transactionalId: null,
        acks: -1,
        timeoutMs: 5000,
        topicData: [{ name: 'rk-in', partitionData: [{ index: p, records: buildBatch(Array.from({ length: INPUT_PER_PARTITION }, (_, i) => ({ key: `k${i}`, value: `in-${p}-${i}` }))) }] }],
      });
      assert.equal(res.responses[0]!.partitionResponses[0]!.errorCode, 0);
    }
    const consumer = new KafkaConsumer(
      {
        'bootstrap.servers': broker.bootstrap,
        'group.id': 'rk-ctp',
        'client.id': 'rk-ctp-consumer',
        'isolation.level': 'read_committed',
        'enable.auto.commit': false,
        'session.timeout.ms': 6000,
        'heartbeat.interval.ms': 300,
        'fetch.wait.max.ms': 50,
        log_level: 0,
      },
      { 'auto.offset.reset': 'earliest' },
    );
    await call('consumer connect', (done) => consumer.connect({}, done));
    cleanups.push(() => call('consumer disconnect', (done) => consumer.disconnect(done)));
    consumer.subscribe(['rk-in']);
    const input = await consumeN(consumer, PARTITIONS * INPUT_PER_PARTITION);
    assert.equal(input.length, PARTITIONS * INPUT_PER_PARTITION);
    const byPartition = Array.from({ length: PARTITIONS }, (_, p) => input.filter((m) => m.partition === p).sort((a, b) => a.offset - b.offset));
    for (const [p, list] of byPartition.entries()) assert.deepEqual(list.map((m) => m.offset), Array.from({ length: INPUT_PER_PARTITION }, (_, i) => i), `input partition ${p}`);

    const ctp = new Producer({
      'bootstrap.servers': broker.bootstrap,
      'client.id': 'rk-ctp-producer',
      'transactional.id': 'rk-ctp-txn',
      'transaction.timeout.ms': 60_000,
      log_level: 0,
    });
    await call('ctp connect', (done) => ctp.connect({}, done));
    cleanups.push(() => call('ctp disconnect', (done) => ctp.disconnect(5000, done)));
    await call('ctp initTransactions', (done) => ctp.initTransactions(TIMEOUT_MS, done));

    const committedOffsets = async (): Promise<number[]> => {
      const fetched = await admin.fetchOffsets({ groupId: 'rk-ctp', topics: ['rk-in'] });
      return Array.from({ length: PARTITIONS }, (_, p) => Number(fetched[0]!.partitions.find((x) => x.partition === p)!.offset));
    };
    const outputCommitted = async (): Promise<string[]> => (await readCommittedRaw(raw, 'rk-out', PARTITIONS)).flat().sort();
    const outputOf = (tag: string, from: number, to: number): string[] =>
      byPartition.flatMap((list) => list.slice(from, to).map((m) => `${tag}:${m.value?.toString() ?? ''}`));

    /** One transaction: transforms input offsets [from, to) of every partition, sends offsets `to`, commits or aborts. */
    const step = async (tag: string, from: number, to: number, commit: boolean): Promise<void> => {
      await call('ctp beginTransaction', (done) => ctp.beginTransaction(done));
      for (const list of byPartition) {
        for (const m of list.slice(from, to)) ctp.produce('rk-out', m.partition, Buffer.from(`${tag}:${m.value?.toString() ?? ''}`), m.key?.toString() ?? '');
      }
      await call('ctp flush', (done) => ctp.flush(TIMEOUT_MS, done));
      const offsets = Array.from({ length: PARTITIONS }, (_, partition) => ({ topic: 'rk-in', partition, offset: to }));
      await call('sendOffsetsToTransaction', (done) => ctp.sendOffsetsToTransaction(offsets, consumer, TIMEOUT_MS, done));
      if (commit) await call('ctp commitTransaction', (done) => ctp.commitTransaction(TIMEOUT_MS, done));
      else await call('ctp abortTransaction', (done) => ctp.abortTransaction(TIMEOUT_MS, done));
      // EndTxn answers once the decision is durable; the markers follow (Kafka's requireStable would wait the same way).
      await waitForTxnState(raw, 'rk-ctp-txn', commit ? 'CompleteCommit' : 'CompleteAbort');
    };

    assert.deepEqual(await committedOffsets(), [-1, -1], 'no offsets before the first transaction');
    await step('A', 0, 4, true);
    assert.deepEqual(await committedOffsets(), [4, 4], 'offsets after committed A');
    assert.deepEqual(await outputCommitted(), outputOf('A', 0, 4).sort(), 'output after committed A');

    await step('B', 4, 8, false);
    assert.deepEqual(await committedOffsets(), [4, 4], 'an aborted transaction moves no offsets');
    assert.deepEqual(await outputCommitted(), outputOf('A', 0, 4).sort(), 'an aborted transaction leaves no output');

    // Reprocess from the committed offsets, as an application does after an abort.
    await step('C', 4, 7, true);
    const finalOffsets = await committedOffsets();
    const finalOutput = await outputCommitted();
    assert.deepEqual(finalOffsets, [7, 7], 'offsets equal the end of the last committed transaction');
    assert.deepEqual(finalOutput, [...outputOf('A', 0, 4), ...outputOf('C', 4, 7)].sort(), 'output is exactly the committed transactions');
    // Offsets and output agree: each partition's output covers input offsets [0, committed) exactly once.
    for (let p = 0; p < PARTITIONS; p++) {
      const inputs = finalOutput.map((v) => v.slice(v.indexOf(':') + 1)).filter((v) => v.startsWith(`in-${p}-`)).sort();
      assert.deepEqual(inputs, Array.from({ length: finalOffsets[p]! }, (_, i) => `in-${p}-${i}`).sort(), `partition ${p}: output and offsets agree`);
    }
    // The aborted transaction's records are in the log, hidden from read_committed only.
    const outLog = [...(await fetchAll(raw, 'rk-out', PARTITIONS)).values()].flat().map((r) => r.value ?? '');
    assert.equal(outLog.filter((v) => v.startsWith('B:')).length, PARTITIONS * 4, 'B was written and aborted');

    // A node-rdkafka read_committed consumer agrees.
    reader.assign(Array.from({ length: PARTITIONS }, (_, partition) => ({ topic: 'rk-out', partition, offset: 0 })));
    const out = await consumeN(reader, finalOutput.length);
    assert.deepEqual(out.map((m) => m.value?.toString() ?? '').sort(), finalOutput, 'node-rdkafka read_committed consumer on the output');
  } finally {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    raw.close();
    await broker.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

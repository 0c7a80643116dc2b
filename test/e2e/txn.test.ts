/**
 * Transactions with a real client (kafkajs) against the embedded broker:
 * committed messages are visible to read_committed consumers, aborted ones
 * never; consume-transform-produce with sendOffsets moves input offsets and
 * output records together; a zombie producer is fenced; the admin APIs
 * (DescribeProducers, DescribeTransactions, ListTransactions) and bad input
 * (wrong epoch, EndTxn without AddPartitions, stale markers) answer with
 * Kafka's error codes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { Broker } from '../../src/index.js';
import { ApiKey } from '../../src/protocol/generated/api-registry.js';
import { ErrorCode } from '../../src/protocol/errors/index.js';
import { RawClient } from './support/raw-client.js';
import { readCommittedRaw } from './txn-support.js';

async function waitForTxnState(raw: RawClient, transactionalId: string, state: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const d = await raw.send(ApiKey.DescribeTransactions, 0, { transactionalIds: [transactionalId] });
    if (d.transactionStates[0]?.transactionState === state) return;
    await new Promise((r) => setImmediate(r));
  }
  assert.fail(`${transactionalId} never reached ${state}`);
}

async function consumeAll(consumer: Consumer, topic: string, expected: number, timeoutMs = 20_000): Promise<string[]> {
  const seen: string[] = [];
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((r) => (resolveDone = r));
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      seen.push(message.value?.toString() ?? '');
      if (seen.length >= expected) resolveDone();
    },
  });
  const timer = setTimeout(resolveDone, timeoutMs);
  await done;
  clearTimeout(timer);
  return seen;
}

test('kafkajs transactions: commit visible, abort never; sendOffsets; zombie fencing; admin APIs', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'samsa-txn-'));
  const broker = await Broker.start({ port: 0, dataDir });
  const kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'txn-e2e', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const raw = await RawClient.connect(broker.bootstrap);
  const cleanups: Array<() => Promise<void>> = [];
  try {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'in', numPartitions: 2 }, { topic: 'out', numPartitions: 2 }] });

    // 1. Commit, abort, commit: read_committed sees the first and third only.
    const producer = kafka.producer({ transactionalId: 'txn-a', maxInFlightRequests: 1, idempotent: true });
    cleanups.push(() => producer.disconnect());
    await producer.connect();
    const sendIn = async (commit: boolean, tag: string): Promise<void> => {
      const txn = await producer.transaction();
      await txn.send({ topic: 'in', messages: Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `${tag}-${i}` })) });
      if (commit) await txn.commit();
      else await txn.abort();
    };
    await sendIn(true, 'c1');
    await sendIn(false, 'a1');
    await sendIn(true, 'c2');
    const committed = (await readCommittedRaw(raw, 'in', 2)).flat().sort();
    const expected = [...Array.from({ length: 10 }, (_, i) => `c1-${i}`), ...Array.from({ length: 10 }, (_, i) => `c2-${i}`)].sort();
    assert.deepEqual(committed, expected);

    const reader = kafka.consumer({ groupId: 'reader', readUncommitted: false });
    cleanups.push(() => reader.disconnect());
    await reader.connect();
    const consumed = await consumeAll(reader, 'in', 20);
    assert.deepEqual(consumed.sort(), expected);
    await reader.disconnect();

    // An open transaction holds back read_committed (LSO) but not read_uncommitted.
    const open = await producer.transaction();
    await open.send({ topic: 'in', messages: [{ key: 'k0', value: 'pending' }] });
    const lso = await raw.send(ApiKey.ListOffsets, 5, { replicaId: -1, isolationLevel: 1, topics: [{ name: 'in', partitions: [{ partitionIndex: 0, timestamp: -1n }, { partitionIndex: 1, timestamp: -1n }] }] });
    const hw = await raw.send(ApiKey.ListOffsets, 5, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'in', partitions: [{ partitionIndex: 0, timestamp: -1n }, { partitionIndex: 1, timestamp: -1n }] }] });
    const lsoSum = lso.topics[0]!.partitions.reduce((s, p) => s + Number(p.offset), 0);
    const hwSum = hw.topics[0]!.partitions.reduce((s, p) => s + Number(p.offset), 0);
    assert.ok(lsoSum < hwSum, `LSO ${lsoSum} below HW ${hwSum} during a transaction`);

    // Admin views of the open transaction.
    const described = await raw.send(ApiKey.DescribeTransactions, 0, { transactionalIds: ['txn-a', 'nope'] });
    assert.equal(described.transactionStates[0]!.transactionState, 'Ongoing');
    assert.deepEqual(described.transactionStates[0]!.topics.map((t) => t.topic), ['in']);
    assert.equal(described.transactionStates[1]!.errorCode, ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
    const listed = await raw.send(ApiKey.ListTransactions, 1, { stateFilters: ['Ongoing'], producerIdFilters: [], durationFilter: -1n });
    assert.deepEqual(listed.transactionStates.map((t) => t.transactionalId), ['txn-a']);
    const producers = await raw.send(ApiKey.DescribeProducers, 0, { topics: [{ name: 'in', partitionIndexes: [0, 1] }] });
    const active = producers.topics[0]!.partitions.flatMap((p) => p.activeProducers);
    assert.ok(active.some((a) => a.currentTxnStartOffset >= 0n), 'an open transaction shows its start offset');
    await open.abort();

    // 2. Zombie fencing: a second producer with the same transactional id fences the first.
    const zombie = kafka.producer({ transactionalId: 'txn-z', maxInFlightRequests: 1, idempotent: true });
    const successor = kafka.producer({ transactionalId: 'txn-z', maxInFlightRequests: 1, idempotent: true });
    cleanups.push(() => zombie.disconnect(), () => successor.disconnect());
    await zombie.connect();
    const zt = await zombie.transaction();
    await zt.send({ topic: 'out', messages: [{ key: 'z', value: 'zombie' }] });
    await successor.connect();
    const st = await successor.transaction();
    await st.send({ topic: 'out', messages: [{ key: 's', value: 'successor' }] });
    await st.commit();
    await assert.rejects(zt.commit());
    const out = (await readCommittedRaw(raw, 'out', 2)).flat();
    assert.deepEqual(out, ['successor']);

    // 3. Consume-transform-produce: output records and input offsets commit together, or neither does.
    const ctp = kafka.producer({ transactionalId: 'txn-ctp', maxInFlightRequests: 1, idempotent: true });
    cleanups.push(() => ctp.disconnect());
    await ctp.connect();
    for (const commit of [false, true]) {
      const txn = await ctp.transaction();
      await txn.send({ topic: 'out', messages: [{ key: 'x', value: commit ? 'ctp-commit' : 'ctp-abort' }] });
      await txn.sendOffsets({ consumerGroupId: 'ctp-group', topics: [{ topic: 'in', partitions: [{ partition: 0, offset: commit ? '7' : '3' }] }] });
      if (commit) await txn.commit();
      else await txn.abort();
      // EndTxn answers once the decision is durable; the markers follow. Wait for them, as Kafka's requireStable would.
      await waitForTxnState(raw, 'txn-ctp', commit ? 'CompleteCommit' : 'CompleteAbort');
      const offsets = await admin.fetchOffsets({ groupId: 'ctp-group', topics: ['in'] });
      const p0 = offsets[0]!.partitions.find((p) => p.partition === 0)!;
      assert.equal(p0.offset, commit ? '7' : '-1', `offsets after ${commit ? 'commit' : 'abort'}`);
    }
    assert.deepEqual((await readCommittedRaw(raw, 'out', 2)).flat().sort(), ['ctp-commit', 'successor']);

    // 4. Bad input, raw: EndTxn without AddPartitions, wrong epoch, unknown producer id, stale marker.
    const init = await raw.send(ApiKey.InitProducerId, 4, { transactionalId: 'raw-txn', transactionTimeoutMs: 10_000, producerId: -1n, producerEpoch: -1 });
    assert.equal(init.errorCode, 0);
    const end = await raw.send(ApiKey.EndTxn, 3, { transactionalId: 'raw-txn', producerId: init.producerId, producerEpoch: init.producerEpoch, committed: true });
    assert.equal(end.errorCode, ErrorCode.INVALID_TXN_STATE);
    const fenced = await raw.send(ApiKey.EndTxn, 3, { transactionalId: 'raw-txn', producerId: init.producerId, producerEpoch: init.producerEpoch + 1, committed: true });
    assert.equal(fenced.errorCode, ErrorCode.PRODUCER_FENCED);
    const oldClient = await raw.send(ApiKey.EndTxn, 1, { transactionalId: 'raw-txn', producerId: init.producerId, producerEpoch: init.producerEpoch + 1, committed: true });
    assert.equal(oldClient.errorCode, ErrorCode.INVALID_PRODUCER_EPOCH);
    const mapping = await raw.send(ApiKey.EndTxn, 3, { transactionalId: 'raw-txn', producerId: init.producerId + 99n, producerEpoch: 0, committed: true });
    assert.equal(mapping.errorCode, ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    const timeout = await raw.send(ApiKey.InitProducerId, 4, { transactionalId: 'raw-txn', transactionTimeoutMs: 2_000_000, producerId: -1n, producerEpoch: -1 });
    assert.equal(timeout.errorCode, ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    // AddPartitionsToTxn: the batched broker form (v4+, KIP-890) verifies without adding; v3 adds.
    const verify = async (): Promise<number> =>
      (await raw.send(ApiKey.AddPartitionsToTxn, 4, {
        transactions: [{ transactionalId: 'raw-txn', producerId: init.producerId, producerEpoch: init.producerEpoch, verifyOnly: true, topics: [{ name: 'in', partitions: [0] }] }],
      })).resultsByTransaction[0]!.topicResults[0]!.resultsByPartition[0]!.partitionErrorCode;
    assert.equal(await verify(), ErrorCode.INVALID_TXN_STATE);
    const added = await raw.send(ApiKey.AddPartitionsToTxn, 3, {
      v3AndBelowTransactionalId: 'raw-txn',
      v3AndBelowProducerId: init.producerId,
      v3AndBelowProducerEpoch: init.producerEpoch,
      v3AndBelowTopics: [{ name: 'in', partitions: [0] }, { name: 'missing', partitions: [0] }],
    });
    assert.deepEqual(added.resultsByTopicV3AndBelow.map((t) => t.resultsByPartition[0]!.partitionErrorCode), [ErrorCode.OPERATION_NOT_ATTEMPTED, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
    await raw.send(ApiKey.AddPartitionsToTxn, 3, { v3AndBelowTransactionalId: 'raw-txn', v3AndBelowProducerId: init.producerId, v3AndBelowProducerEpoch: init.producerEpoch, v3AndBelowTopics: [{ name: 'in', partitions: [0] }] });
    assert.equal(await verify(), ErrorCode.NONE);
    assert.equal((await raw.send(ApiKey.EndTxn, 3, { transactionalId: 'raw-txn', producerId: init.producerId, producerEpoch: init.producerEpoch, committed: false })).errorCode, ErrorCode.NONE);

    // Markers for txn-a's producer on 'in': an older epoch, an older coordinator, a bad epoch.
    const pa = (await raw.send(ApiKey.DescribeProducers, 0, { topics: [{ name: 'in', partitionIndexes: [0] }] })).topics[0]!.partitions[0]!.activeProducers[0]!;
    const marker = async (producerEpoch: number, coordinatorEpoch: number): Promise<number> =>
      (await raw.send(ApiKey.WriteTxnMarkers, 1, { markers: [{ producerId: pa.producerId, producerEpoch, transactionResult: true, topics: [{ name: 'in', partitionIndexes: [0] }], coordinatorEpoch }] }))
        .markers[0]!.topics[0]!.partitions[0]!.errorCode;
    assert.equal(await marker(pa.producerEpoch, pa.coordinatorEpoch - 1), ErrorCode.TRANSACTION_COORDINATOR_FENCED);
    assert.equal(await marker(-1, pa.coordinatorEpoch), ErrorCode.INVALID_RECORD);
  } finally {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    raw.close();
    await broker.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

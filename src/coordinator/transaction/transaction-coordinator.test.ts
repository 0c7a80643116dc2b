import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../platform/clock.js';
import { seededRandom, type Random } from '../../platform/random.js';
import { ErrorCode } from '../../protocol/errors/error-codes.js';
import { ProducerStateError, ProducerStateManager } from '../../storage/producer-state.js';
import { MemoryProducerIdBlockStore, ProducerIdManager } from './producer-id-manager.js';
import { TxnState, decodeTxnLogKey, decodeTxnLogValue } from './records.js';
import { TransactionCoordinator, defaultTransactionCoordinatorConfig, type CoordinatorIo, type TopicPartitionRef, type TxnMarker } from './transaction-coordinator.js';

const config = { ...defaultTransactionCoordinatorConfig, logPartitions: 3, abortTimedOutIntervalMs: 100 };

/** A data partition: producer state as the real log keeps it, and the markers written. */
interface SimPartition {
  state: ProducerStateManager;
  markers: Array<{ producerId: bigint; epoch: number; commit: boolean }>;
  nextOffset: number;
}

/** Durable state shared by every life of the coordinator, and the I/O of one life. */
class World {
  readonly txnLog: Array<{ partition: number; key: Buffer; value: Buffer | null }> = [];
  readonly partitions = new Map<string, SimPartition>();
  readonly pidStore = new MemoryProducerIdBlockStore();
  /** Completions waiting for the scheduler to run them (one life's). */
  pending: Array<() => void> = [];
  failRate = 0;

  constructor(readonly random: Random) {
    for (const name of ['a-0', 'a-1', 'b-0']) this.partitions.set(name, { state: new ProducerStateManager(), markers: [], nextOffset: 0 });
  }

  io(pids: ProducerIdManager): CoordinatorIo {
    // This life's queue: a crashed life's late I/O lands in an array nobody runs.
    const queue = this.pending;
    return {
      appendTxnLog: (partition, records) =>
        new Promise((resolve) => {
          queue.push(() => {
            if (this.random.chance(this.failRate)) return resolve(ErrorCode.NOT_LEADER_OR_FOLLOWER);
            for (const r of records) this.txnLog.push({ partition, key: r.key, value: r.value });
            resolve(ErrorCode.NONE);
          });
        }),
      writeMarkers: (marker: TxnMarker, tps: readonly TopicPartitionRef[]) =>
        new Promise((resolve) => {
          queue.push(() => {
            const left: TopicPartitionRef[] = [];
            for (const tp of tps) {
              if (this.random.chance(this.failRate)) {
                left.push(tp);
                continue;
              }
              this.writeMarker(`${tp.topic}-${tp.partition}`, marker);
            }
            resolve(left);
          });
        }),
      allocateProducerId: () => pids.allocate(),
      partitionExists: (topic, partition) => this.partitions.has(`${topic}-${partition}`),
    };
  }

  writeMarker(name: string, marker: TxnMarker): void {
    const p = this.partitions.get(name)!;
    try {
      const plan = p.state.plan(
        [{ producerId: marker.producerId, epoch: marker.producerEpoch, baseSequence: -1, firstOffset: p.nextOffset, lastOffset: p.nextOffset, maxTimestamp: 0, isTransactional: true, isControl: true, marker: { commit: marker.commit, coordinatorEpoch: marker.coordinatorEpoch } }],
        'coordinator',
      );
      p.state.apply(plan);
      p.nextOffset++;
      p.markers.push({ producerId: marker.producerId, epoch: marker.producerEpoch, commit: marker.commit });
    } catch (err) {
      if (!(err instanceof ProducerStateError)) throw err;
    }
  }

  /** A producer's transactional write; false when the partition refuses it (fenced). */
  produce(name: string, producerId: bigint, epoch: number): boolean {
    const p = this.partitions.get(name)!;
    try {
      p.state.apply(p.state.plan([{ producerId, epoch, baseSequence: -1, firstOffset: p.nextOffset, lastOffset: p.nextOffset, maxTimestamp: 0, isTransactional: true, isControl: false }], 'coordinator'));
      p.nextOffset++;
      return true;
    } catch (err) {
      if (!(err instanceof ProducerStateError)) throw err;
      return false;
    }
  }

  /** Runs every queued completion (and those they queue). */
  async drain(): Promise<void> {
    // Completions queue more work a few microtasks later: run until a full turn adds nothing.
    for (let i = 0; i < 1000; i++) {
      await new Promise((r) => setImmediate(r));
      if (this.pending.length === 0) return;
      const next = this.pending.splice(0, this.pending.length);
      for (const run of next) run();
    }
  }
}

function boot(world: World, clock: ManualClock, life: number): TransactionCoordinator {
  world.pending = [];
  const pids = new ProducerIdManager(world.pidStore, 10);
  const c = new TransactionCoordinator(clock, world.io(pids), config);
  for (let p = 0; p < config.logPartitions; p++) {
    c.beginLoad(p, life);
    for (const r of world.txnLog) if (r.partition === p) c.replay(p, r.key, r.value);
    c.completeLoad(p);
  }
  return c;
}

test('a transaction end to end: init, add, commit with markers, then abort; errors for bad input', async () => {
  const world = new World(seededRandom(1));
  const clock = new ManualClock();
  const c = boot(world, clock, 0);
  const run = async <T>(p: Promise<T>): Promise<T> => {
    await world.drain();
    return p;
  };
  const init = await run(c.initProducerId('tx', 60_000));
  assert.equal(init.errorCode, ErrorCode.NONE);
  assert.equal(init.producerEpoch, 0);
  const { producerId: pid } = init;
  assert.equal(await run(c.endTxn('tx', pid, 0, true)), ErrorCode.INVALID_TXN_STATE);
  assert.equal(await run(c.endTxn('tx', pid + 1n, 0, true)), ErrorCode.INVALID_PRODUCER_ID_MAPPING);
  assert.equal((await run(c.initProducerId('tx', 2_000_000))).errorCode, ErrorCode.INVALID_TRANSACTION_TIMEOUT);
  const added = await run(c.addPartitions('tx', pid, 0, [{ topic: 'a', partition: 0 }, { topic: 'b', partition: 0 }]));
  assert.equal(added.get('a')?.get(0), ErrorCode.NONE);
  const unknown = await run(c.addPartitions('tx', pid, 0, [{ topic: 'zz', partition: 0 }, { topic: 'a', partition: 1 }]));
  assert.equal(unknown.get('zz')?.get(0), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  assert.equal(unknown.get('a')?.get(1), ErrorCode.OPERATION_NOT_ATTEMPTED);
  assert.equal((await run(c.addPartitions('tx', pid, 1, [{ topic: 'a', partition: 0 }]))).get('a')?.get(0), ErrorCode.PRODUCER_FENCED);
  assert.equal(c.transaction('tx')?.state, TxnState.Ongoing);
  assert.ok(world.produce('a-0', pid, 0));
  assert.equal(await run(c.endTxn('tx', pid, 0, true)), ErrorCode.NONE);
  await world.drain();
  assert.equal(c.transaction('tx')?.state, TxnState.CompleteCommit);
  assert.deepEqual(world.partitions.get('a-0')!.markers, [{ producerId: pid, epoch: 0, commit: true }]);
  assert.deepEqual(world.partitions.get('b-0')!.markers, [{ producerId: pid, epoch: 0, commit: true }]);
  assert.equal(world.partitions.get('a-0')!.state.firstUnstableOffset(), undefined);
  // Retrying the commit is fine; aborting the committed one is not.
  assert.equal(await run(c.endTxn('tx', pid, 0, true)), ErrorCode.NONE);
  assert.equal(await run(c.endTxn('tx', pid, 0, false)), ErrorCode.INVALID_TXN_STATE);

  const described = c.describe('tx');
  assert.equal(described.txn?.state, 'CompleteCommit');
  assert.equal(c.describe('nope').errorCode, ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
  assert.deepEqual(c.list(new Set([TxnState.CompleteCommit]), new Set(), -1).map((t) => t.transactionalId), ['tx']);

  // The log holds Kafka's records: the last one for tx is CompleteCommit with no partitions.
  const last = world.txnLog.at(-1)!;
  assert.equal(decodeTxnLogKey(last.key), 'tx');
  assert.equal(decodeTxnLogValue(last.value!).state, TxnState.CompleteCommit);
});

test('zombie fencing: a new InitProducerId during a transaction aborts it with a bumped epoch', async () => {
  const world = new World(seededRandom(2));
  const clock = new ManualClock();
  const c = boot(world, clock, 0);
  const run = async <T>(p: Promise<T>): Promise<T> => {
    await world.drain();
    return p;
  };
  const { producerId: pid } = await run(c.initProducerId('tx', 60_000));
  await run(c.addPartitions('tx', pid, 0, [{ topic: 'a', partition: 0 }]));
  assert.ok(world.produce('a-0', pid, 0));
  assert.equal((await run(c.initProducerId('tx', 60_000))).errorCode, ErrorCode.CONCURRENT_TRANSACTIONS);
  await world.drain();
  const again = await run(c.initProducerId('tx', 60_000));
  assert.deepEqual([again.errorCode, again.producerId, again.producerEpoch], [ErrorCode.NONE, pid, 2]);
  assert.deepEqual(world.partitions.get('a-0')!.markers, [{ producerId: pid, epoch: 1, commit: false }]);
  // The zombie (epoch 0) can neither write nor end its transaction.
  assert.equal(world.produce('a-0', pid, 0), false);
  assert.equal(await run(c.endTxn('tx', pid, 0, true)), ErrorCode.PRODUCER_FENCED);
  // KIP-360: the new producer retrying with its previous epoch gets the same answer.
  const retry = await run(c.initProducerId('tx', 60_000, { producerId: pid, producerEpoch: 2 }));
  assert.deepEqual([retry.errorCode, retry.producerEpoch], [ErrorCode.NONE, 3]);
  const retried = await run(c.initProducerId('tx', 60_000, { producerId: pid, producerEpoch: 2 }));
  assert.deepEqual([retried.errorCode, retried.producerEpoch], [ErrorCode.NONE, 3]);
  assert.equal((await run(c.initProducerId('tx', 60_000, { producerId: pid, producerEpoch: 0 }))).errorCode, ErrorCode.PRODUCER_FENCED);
});

test('transaction.timeout.ms aborts and fences; restart finishes Prepare states and keeps producer ids unique', async () => {
  const world = new World(seededRandom(3));
  const clock = new ManualClock();
  let c = boot(world, clock, 0);
  const run = async <T>(p: Promise<T>): Promise<T> => {
    await world.drain();
    return p;
  };
  const { producerId: pid } = await run(c.initProducerId('slow', 1000));
  await run(c.addPartitions('slow', pid, 0, [{ topic: 'a', partition: 1 }]));
  clock.advance(1001);
  c.poll();
  await world.drain();
  assert.equal(c.transaction('slow')?.state, TxnState.CompleteAbort);
  assert.equal(c.transaction('slow')?.producerEpoch, 1);
  assert.equal(await run(c.endTxn('slow', pid, 0, true)), ErrorCode.PRODUCER_FENCED);

  // Crash right after PrepareCommit is durable, before any marker.
  const { producerId: p2 } = await run(c.initProducerId('crashy', 60_000));
  await run(c.addPartitions('crashy', p2, 0, [{ topic: 'b', partition: 0 }]));
  const ended = c.endTxn('crashy', p2, 0, true);
  world.pending.splice(0, 1)[0]!();
  assert.equal(await ended, ErrorCode.NONE);
  c = boot(world, clock, 1);
  await world.drain();
  assert.equal(c.transaction('crashy')?.state, TxnState.CompleteCommit);
  assert.deepEqual(world.partitions.get('b-0')!.markers.at(-1), { producerId: p2, epoch: 0, commit: true });
  const { producerId: p3 } = await run(c.initProducerId('fresh', 60_000));
  assert.ok(p3 !== pid && p3 !== p2, `${p3} reused`);
});

test('seeded simulation: random requests, failures and restarts keep the invariants', async () => {
  for (let seed = 1; seed <= 60; seed++) {
    const random = seededRandom(seed);
    const world = new World(random);
    world.failRate = 0.1;
    const clock = new ManualClock();
    let life = 0;
    let c = boot(world, clock, life);
    const ids = ['t0', 't1', 't2', 't3'];
    const clients = new Map<string, { pid: bigint; epoch: number }>();
    const pidOwner = new Map<bigint, string>();
    const committedAcks: Array<{ pid: bigint; epoch: number; partitions: string[] }> = [];
    const added = new Map<string, Set<string>>();
    const inflight: Promise<void>[] = [];
    for (let step = 0; step < 300; step++) {
      const r = random.next();
      const id = ids[random.int(ids.length)]!;
      const client = clients.get(id);
      const coordinator = c;
      if (r < 0.15) {
        inflight.push(
          coordinator.initProducerId(id, 500 + random.int(2000)).then((res) => {
            if (res.errorCode !== ErrorCode.NONE) return;
            const owner = pidOwner.get(res.producerId);
            assert.ok(owner === undefined || owner === id, `seed ${seed}: producer id ${res.producerId} of ${owner} given to ${id}`);
            pidOwner.set(res.producerId, id);
            clients.set(id, { pid: res.producerId, epoch: res.producerEpoch });
            added.set(id, new Set());
          }),
        );
      } else if (r < 0.4 && client !== undefined) {
        const names = [...world.partitions.keys()].filter(() => random.chance(0.5));
        const tps = names.map((n) => ({ topic: n.slice(0, 1), partition: Number(n.slice(2)) }));
        inflight.push(
          coordinator.addPartitions(id, client.pid, client.epoch, tps).then((res) => {
            for (const n of names) {
              if (res.get(n.slice(0, 1))?.get(Number(n.slice(2))) === ErrorCode.NONE) {
                added.get(id)?.add(n);
                world.produce(n, client.pid, client.epoch);
              }
            }
          }),
        );
      } else if (r < 0.55 && client !== undefined) {
        const commit = random.chance(0.6);
        const partitions = [...(added.get(id) ?? [])];
        inflight.push(
          coordinator.endTxn(id, client.pid, client.epoch, commit).then((code) => {
            if (code === ErrorCode.NONE && commit) committedAcks.push({ pid: client.pid, epoch: client.epoch, partitions });
            if (code === ErrorCode.NONE) added.set(id, new Set());
          }),
        );
      } else if (r < 0.85) {
        const n = 1 + random.int(world.pending.length);
        for (const run of world.pending.splice(0, n)) run();
        await new Promise((res) => setImmediate(res));
      } else if (r < 0.95) {
        clock.advance(random.int(1500));
        c.poll();
      } else {
        // Crash: pending I/O of the old life is lost; the new one replays the log.
        life++;
        c = boot(world, clock, life);
      }
    }
    // Quiesce: no failures, time passes, everything completes.
    world.failRate = 0;
    for (let i = 0; i < 20; i++) {
      await world.drain();
      clock.advance(5000);
      c.poll();
    }
    await world.drain();
    await Promise.race([Promise.all(inflight), Promise.resolve()]);
    for (const m of c.allTransactions()) {
      assert.ok(m.state !== TxnState.PrepareCommit && m.state !== TxnState.PrepareAbort, `seed ${seed}: ${m.transactionalId} stuck in ${m.state}`);
      // Long past every timeout: nothing is left open.
      assert.notEqual(m.state, TxnState.Ongoing, `seed ${seed}: ${m.transactionalId} still ongoing`);
    }
    for (const [name, p] of world.partitions) {
      assert.equal(p.state.firstUnstableOffset(), undefined, `seed ${seed}: ${name} has an open transaction`);
    }
    // Every acknowledged commit reached each of its partitions as a commit marker.
    for (const ack of committedAcks) {
      for (const n of ack.partitions) {
        assert.ok(
          world.partitions.get(n)!.markers.some((m) => m.producerId === ack.pid && m.epoch === ack.epoch && m.commit),
          `seed ${seed}: commit of ${ack.pid}/${ack.epoch} missing in ${n}`,
        );
      }
    }
    // Epochs in the log never go back for an id with the same producer id.
    const seen = new Map<string, { pid: bigint; epoch: number }>();
    for (const rec of world.txnLog) {
      if (rec.value === null) continue;
      const id = decodeTxnLogKey(rec.key)!;
      const v = decodeTxnLogValue(rec.value);
      const before = seen.get(id);
      if (before !== undefined && before.pid === v.producerId) assert.ok(v.producerEpoch >= before.epoch, `seed ${seed}: ${id} epoch went back`);
      seen.set(id, { pid: v.producerId, epoch: v.producerEpoch });
    }
  }
});

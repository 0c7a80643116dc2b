/**
 * Transactions across broker crashes: the broker runs as a child process
 * (`samsa start`); transactional kafkajs producers commit and abort at
 * random (seeded) while the broker is SIGKILLed at random points (between
 * sends, mid-commit) and restarted, three times. Afterwards a
 * read_committed reader sees exactly the committed transactions: every
 * acknowledged commit, whole; no aborted one; one caught by the crash either
 * whole or not at all; each at most once; in commit order per producer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { seededRandom } from '../../src/platform/random.js';
import { ApiKey } from '../../src/protocol/generated/api-registry.js';
import { ErrorCode } from '../../src/protocol/errors/index.js';
import { RawClient } from './support/raw-client.js';
import { readCommittedRaw } from './txn-support.js';

const samsa = join(new URL('../../src/cli/', import.meta.url).pathname, 'samsa.js');
const TOPIC = 'crash';
const PARTITIONS = 2;
const PRODUCERS = 3;
const LIVES = 3;

interface Child {
  child: ChildProcess;
  bootstrap: string;
  exited: Promise<void>;
}

function startBroker(dataDir: string): Promise<Child> {
  const child = spawn(process.execPath, [samsa, 'start', '--data-dir', dataDir, '--host', '127.0.0.1', '--port', '0', '--controller-port', '0'], {
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

type Outcome = 'committed' | 'aborted' | 'unknown';

interface TxnRecord {
  producer: number;
  txn: number;
  messages: string[];
  outcome: Outcome;
}

test('transactions survive SIGKILL: read_committed sees exactly the committed transactions, whole, in order, once', async (t) => {
  const seed = Number(process.env.SAMSA_TEST_SEED ?? 20261125);
  const random = seededRandom(seed);
  const dataDir = mkdtempSync(join(tmpdir(), 'samsa-txn-crash-'));
  const txns: TxnRecord[] = [];
  const nextTxn = new Array<number>(PRODUCERS).fill(0);
  let broker = await startBroker(dataDir);
  try {
    for (let life = 0; life < LIVES; life++) {
      const kafka = new Kafka({
        brokers: [broker.bootstrap],
        clientId: `crash-${life}`,
        logLevel: logLevel.NOTHING,
        retry: { retries: 30, initialRetryTime: 20, maxRetryTime: 200 },
        connectionTimeout: 1000,
        requestTimeout: 3000,
      });
      if (life === 0) {
        const admin = kafka.admin();
        await admin.connect();
        await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }] });
        await admin.disconnect();
      }
      const producers: Producer[] = [];
      for (let p = 0; p < PRODUCERS; p++) {
        const producer = kafka.producer({ transactionalId: `crash-${p}`, maxInFlightRequests: 1, idempotent: true, transactionTimeout: 10_000, retry: { retries: 3, initialRetryTime: 20, maxRetryTime: 100 } });
        await producer.connect();
        producers.push(producer);
      }
      // The crash comes after a random number of producer steps, at a random kind of point.
      let stepsLeft = 40 + random.int(60);
      let killed = false;
      const kill = (): void => {
        if (killed) return;
        killed = true;
        broker.child.kill('SIGKILL');
      };
      const step = (): boolean => {
        if (killed) return false;
        if (--stepsLeft <= 0) {
          kill();
          return false;
        }
        return true;
      };
      const loops = producers.map(async (producer, p) => {
        while (!killed) {
          const record: TxnRecord = { producer: p, txn: nextTxn[p]!++, messages: [], outcome: 'unknown' };
          txns.push(record);
          try {
            const txn = await producer.transaction();
            const sends = 1 + random.int(2);
            for (let s = 0; s < sends; s++) {
              const messages = Array.from({ length: 1 + random.int(4) }, (_, i) => ({ key: `k${random.int(10)}`, value: `${p}:${record.txn}:${s}:${i}` }));
              record.messages.push(...messages.map((m) => m.value));
              await txn.send({ topic: TOPIC, acks: -1, messages });
              if (!step()) return;
            }
            const commit = random.chance(0.7);
            const ending = commit ? txn.commit() : txn.abort();
            if (stepsLeft < 8 && random.chance(0.3)) kill(); // mid-commit/abort: the outcome stays unknown
            await ending;
            if (killed) return;
            record.outcome = commit ? 'committed' : 'aborted';
            if (!step()) return;
          } catch {
            if (!killed) throw new Error(`producer ${p} failed without a crash`);
            return;
          }
        }
      });
      // Once the broker is dead the producers' pending requests only fail slowly: do not wait for them.
      await Promise.race([Promise.all(loops), broker.exited]);
      await broker.exited;
      for (const loop of loops) loop.catch(() => undefined);
      void Promise.all(producers.map((pr) => pr.disconnect().catch(() => undefined)));
      broker = await startBroker(dataDir);
    }

    // Fence every transactional id once: what a crash left open is aborted.
    const raw = await RawClient.connect(broker.bootstrap);
    try {
      for (let p = 0; p < PRODUCERS; p++) {
        for (let attempt = 0; ; attempt++) {
          const found = await raw.send(ApiKey.FindCoordinator, 3, { key: `crash-${p}`, keyType: 1 });
          const init = found.errorCode === 0 ? await raw.send(ApiKey.InitProducerId, 4, { transactionalId: `crash-${p}`, transactionTimeoutMs: 10_000, producerId: -1n, producerEpoch: -1 }) : found;
          if (init.errorCode === ErrorCode.NONE) break;
          assert.ok(attempt < 2000, `InitProducerId for crash-${p}: error ${init.errorCode}`);
          await new Promise((r) => setImmediate(r));
        }
      }
      // Everything decided: the LSO reaches the high watermark.
      for (let attempt = 0; ; attempt++) {
        const lso = await raw.send(ApiKey.ListOffsets, 5, { replicaId: -1, isolationLevel: 1, topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, timestamp: -1n }, { partitionIndex: 1, timestamp: -1n }] }] });
        const hw = await raw.send(ApiKey.ListOffsets, 5, { replicaId: -1, isolationLevel: 0, topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, timestamp: -1n }, { partitionIndex: 1, timestamp: -1n }] }] });
        const same = lso.topics[0]!.partitions.every((p, i) => p.offset === hw.topics[0]!.partitions[i]!.offset);
        if (same) break;
        assert.ok(attempt < 5000, 'the LSO never reached the high watermark');
        await new Promise((r) => setImmediate(r));
      }

      const partitions = await readCommittedRaw(raw, TOPIC, PARTITIONS);
      const seen = new Map<string, number>();
      for (const values of partitions) {
        const lastTxnOf = new Map<number, number>();
        for (const v of values) {
          assert.equal(seen.has(v), false, `${v} seen twice`);
          seen.set(v, 1);
          const [producer, txn] = v.split(':').map(Number) as [number, number];
          assert.ok((lastTxnOf.get(producer) ?? -1) <= txn, `producer ${producer}: transaction ${txn} after ${lastTxnOf.get(producer)}`);
          lastTxnOf.set(producer, txn);
        }
      }
      const counts = { committed: 0, aborted: 0, unknown: 0, unknownVisible: 0 };
      for (const t of txns) {
        const visible = t.messages.filter((m) => seen.has(m)).length;
        counts[t.outcome]++;
        if (t.outcome === 'committed') assert.equal(visible, t.messages.length, `committed ${t.producer}:${t.txn} not whole (${visible}/${t.messages.length})`);
        else if (t.outcome === 'aborted') assert.equal(visible, 0, `aborted ${t.producer}:${t.txn} visible`);
        else {
          assert.ok(visible === 0 || visible === t.messages.length, `unknown ${t.producer}:${t.txn} partly visible (${visible}/${t.messages.length})`);
          if (visible > 0) counts.unknownVisible++;
        }
      }
      const expected = txns.filter((t) => seen.has(t.messages[0] ?? '')).reduce((n, t) => n + t.messages.length, 0);
      assert.equal(seen.size, expected, 'only messages of transactions that were sent');
      t.diagnostic(`seed ${seed}: ${JSON.stringify(counts)} transactions over ${LIVES} SIGKILLs`);
      assert.ok(counts.committed >= 10 && counts.aborted >= 3, `too little happened: ${JSON.stringify(counts)}`);
    } finally {
      raw.close();
    }
  } finally {
    broker.child.kill('SIGKILL');
    await broker.exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
});

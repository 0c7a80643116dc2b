/**
 * Idempotence and transactions with Python's confluent-kafka (librdkafka),
 * each run as `python3 test/e2e/python/txn_client.py` child process:
 *  - an idempotent producer with 5 requests in flight writes 100,000
 *    messages through a proxy that cuts connections: no duplicates, no gaps;
 *  - commit / abort / commit, then consume-transform-produce with
 *    send_offsets_to_transaction: read_committed sees the committed records
 *    only, and the group's offsets moved with the output.
 * A missing python3 or confluent_kafka fails the tests (Debian:
 * python3-confluent-kafka).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Broker } from '../../src/index.js';
import { seededRandom } from '../../src/platform/random.js';
import { ApiKey } from '../../src/protocol/generated/api-registry.js';
import { RawClient } from './support/raw-client.js';
import { fetchAll } from './support/helpers.js';
import { buildBatch } from './support/records.js';
import { ChaosProxy } from './txn-support.js';

const PYTHON = process.env['SAMSA_TEST_PYTHON'] ?? '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('../../../test/e2e/python/txn_client.py', import.meta.url));
const MESSAGES = 100_000;

function checkPython(): void {
  const r = spawnSync(PYTHON, ['-c', 'import confluent_kafka'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${PYTHON} cannot import confluent_kafka (Debian: apt-get install python3-confluent-kafka): ${r.stderr}`);
}

function runPython<T>(options: object): Promise<T> {
  const child = spawn(PYTHON, [SCRIPT, JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`txn_client.py exited ${code}: ${stderr.slice(-2000)}`));
      const last = stdout.trim().split('\n').at(-1) ?? '';
      resolve(JSON.parse(last) as T);
    });
  });
}

async function createTopics(raw: RawClient, names: string[], partitions: number): Promise<void> {
  const res = await raw.send(ApiKey.CreateTopics, 5, {
    topics: names.map((name) => ({ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] })),
    timeoutMs: 5000,
    validateOnly: false,
  });
  for (const t of res.topics) assert.equal(t.errorCode, 0, `create ${t.name}`);
}

test('confluent-kafka idempotent producer (5 in flight): 100,000 messages through a cutting proxy, no duplicates, no gaps', async () => {
  checkPython();
  const dataDir = mkdtempSync(join(tmpdir(), 'samsa-idem-py-'));
  const proxy = await ChaosProxy.listen(seededRandom(7));
  const broker = await Broker.start({ port: 0, dataDir, config: { 'advertised.listeners': `PLAINTEXT://127.0.0.1:${proxy.port}` } });
  const brokerPort = broker.listeners[0]!.port;
  proxy.targetPort = brokerPort;
  const raw = await RawClient.connect(`127.0.0.1:${brokerPort}`);
  try {
    await createTopics(raw, ['idem-py'], 3);
    proxy.cutChance = 0.03;
    const result = await runPython<{ delivered: number; errors: string[] }>({ mode: 'idempotent', bootstrap: `127.0.0.1:${proxy.port}`, topic: 'idem-py', count: MESSAGES });
    proxy.cutChance = 0;
    assert.deepEqual(result.errors, []);
    assert.equal(result.delivered, MESSAGES);
    assert.ok(proxy.cuts.lostResponse + proxy.cuts.midRequest >= 5, `cuts: ${JSON.stringify(proxy.cuts)}`);
    const byPartition = await fetchAll(raw, 'idem-py', 3);
    const seen = new Uint8Array(MESSAGES);
    let total = 0;
    for (const [partition, records] of byPartition) {
      let last = -1;
      for (const r of records) {
        const v = Number(r.value);
        assert.equal(seen[v], 0, `duplicate ${v}`);
        seen[v] = 1;
        assert.ok(v > last, `order in partition ${partition}`);
        last = v;
        total++;
      }
    }
    assert.equal(total, MESSAGES, `cuts ${JSON.stringify(proxy.cuts)}`);
    assert.equal(seen.indexOf(0), -1);
  } finally {
    raw.close();
    await broker.stop();
    await proxy.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('confluent-kafka transactions: commit/abort/commit and consume-transform-produce with send_offsets_to_transaction', async () => {
  checkPython();
  const dataDir = mkdtempSync(join(tmpdir(), 'samsa-txn-py-'));
  const broker = await Broker.start({ port: 0, dataDir });
  const raw = await RawClient.connect(broker.bootstrap);
  try {
    await createTopics(raw, ['py-txn', 'py-in', 'py-out'], 2);
    // Plain input for the consume-transform-produce step.
    for (let p = 0; p < 2; p++) {
      const res = await raw.send(ApiKey.Produce, 9, {
        transactionalId: null,
        acks: -1,
        timeoutMs: 5000,
        topicData: [{ name: 'py-in', partitionData: [{ index: p, records: buildBatch(Array.from({ length: 6 }, (_, i) => ({ key: `k${i}`, value: `in-${p}-${i}` }))) }] }],
      });
      assert.equal(res.responses[0]!.partitionResponses[0]!.errorCode, 0);
    }
    const result = await runPython<{ committed_read: string[]; output_read: string[]; consumed: number; committed_offsets: number }>({
      mode: 'transactions',
      bootstrap: broker.bootstrap,
      topic: 'py-txn',
      input: 'py-in',
      output: 'py-out',
      group: 'py-ctp',
      partitions: 2,
      input_count: 12,
    });
    const expected = [...Array.from({ length: 5 }, (_, i) => `c1-${i}`), ...Array.from({ length: 5 }, (_, i) => `c2-${i}`)].sort();
    assert.deepEqual([...result.committed_read].sort(), expected);
    assert.equal(result.consumed, 12);
    assert.equal(result.output_read.length, 12);
    assert.equal(result.committed_offsets, 12);
  } finally {
    raw.close();
    await broker.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

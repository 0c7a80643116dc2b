/**
 * A disk fault on one partition takes only that partition's log offline: the
 * broker answers KAFKA_STORAGE_ERROR for it and keeps serving every other
 * partition. The fault comes from a file system wrapper that fails writes to
 * one partition's files with EIO once switched on.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNode, type RunningNode } from '../../src/broker/broker.js';
import { parseBrokerConfig } from '../../src/broker/config/broker-config.js';
import { samsaDefaults } from '../../src/broker/config/defaults.js';
import { silentLogger } from '../../src/broker/logger.js';
import type { FileHandle, FileSystem } from '../../src/platform/file-system.js';
import { nodeFileSystem } from '../../src/platform/node-file-system.js';
import { ErrorCode } from '../../src/protocol/errors/index.js';
import { ApiKey } from '../../src/protocol/generated/api-registry.js';
import { RawClient } from './support/raw-client.js';
import { buildBatch, readRecords } from './support/records.js';

const FAULTY_DIR = '/disk-1/';
let faultOn = false;

function eio(path: string): Error {
  return Object.assign(new Error(`EIO: i/o error, write '${path}'`), { code: 'EIO' });
}

/** Delegates to the real file system; once `faultOn`, writes and syncs under FAULTY_DIR fail. */
function faultyHandle(inner: FileHandle): FileHandle {
  const faulty = (): boolean => faultOn && inner.path.includes(FAULTY_DIR);
  return {
    path: inner.path,
    write: (buf, position) => (faulty() ? (() => { throw eio(inner.path); })() : inner.write(buf, position)),
    writev: (bufs, position) => (faulty() ? (() => { throw eio(inner.path); })() : inner.writev(bufs, position)),
    writevAsync: (bufs, position) => (faulty() ? Promise.reject(eio(inner.path)) : inner.writevAsync(bufs, position)),
    read: (buf, off, len, pos) => inner.read(buf, off, len, pos),
    readAsync: (buf, off, len, pos) => inner.readAsync(buf, off, len, pos),
    datasync: () => (faulty() ? Promise.reject(eio(inner.path)) : inner.datasync()),
    truncate: (size) => inner.truncate(size),
    sizeBytes: () => inner.sizeBytes(),
    close: () => inner.close(),
  };
}

const faultyFileSystem: FileSystem = new Proxy(nodeFileSystem, {
  get(target, property, receiver) {
    if (property === 'open') return (path: string, mode: Parameters<FileSystem['open']>[1]) => faultyHandle(target.open(path, mode));
    const value: unknown = Reflect.get(target, property, receiver);
    return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
  },
});

let node: RunningNode;
let client: RawClient;
let dataDir: string;

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'samsa-fault-'));
  const { config } = parseBrokerConfig(samsaDefaults({ dataDir, host: '127.0.0.1', port: 0, controllerPort: null }));
  node = await startNode({ config, logger: silentLogger, autoFormat: true, fs: faultyFileSystem });
  client = await RawClient.connect(node.bootstrap);
  const created = await client.send(ApiKey.CreateTopics, 5, {
    topics: [{ name: 'disk', numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }],
  });
  assert.equal(created.topics[0]!.errorCode, 0);
});

after(async () => {
  client.close();
  await node.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function produce(partition: number, value: string): Promise<number> {
  const response = await client.send(ApiKey.Produce, 9, {
    acks: -1,
    timeoutMs: 5000,
    topicData: [{ name: 'disk', partitionData: [{ index: partition, records: buildBatch([{ key: null, value }]) }] }],
  });
  return response.responses[0]!.partitionResponses[0]!.errorCode;
}

async function fetchValues(partition: number): Promise<{ errorCode: number; values: string[] }> {
  const response = await client.send(ApiKey.Fetch, 12, {
    maxWaitMs: 0,
    minBytes: 0,
    topics: [{ topic: 'disk', partitions: [{ partition, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }],
  });
  const p = response.responses[0]!.partitions[0]!;
  return { errorCode: p.errorCode, values: readRecords(p.records).map((r) => r.value ?? '') };
}

test('EIO on one partition: KAFKA_STORAGE_ERROR for it, the other partition keeps serving', async () => {
  assert.equal(await produce(0, 'a0'), ErrorCode.NONE);
  assert.equal(await produce(1, 'a1'), ErrorCode.NONE);

  faultOn = true;
  assert.equal(await produce(1, 'b1'), ErrorCode.KAFKA_STORAGE_ERROR);
  assert.equal(await produce(0, 'b0'), ErrorCode.NONE);

  const healthy = await fetchValues(0);
  assert.equal(healthy.errorCode, ErrorCode.NONE);
  assert.deepEqual(healthy.values, ['a0', 'b0']);
  assert.equal((await fetchValues(1)).errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
  // Still offline after the disk "recovers": an offline log stays offline until restart, as in Kafka.
  faultOn = false;
  assert.equal(await produce(1, 'c1'), ErrorCode.KAFKA_STORAGE_ERROR);
  assert.equal(await produce(0, 'c0'), ErrorCode.NONE);
});

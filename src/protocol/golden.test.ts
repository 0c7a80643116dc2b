/**
 * Golden bytes: request frames real clients sent to tools/capture's server
 * (kcat/librdkafka, kafkajs, confluent-kafka-python, kafka-python), stored in
 * test/fixtures/golden/<client>/. For every frame we decode the header and the
 * body with the generated codecs, check the fields say what the recording
 * script asked the client to do, and encode both again: the bytes must be the
 * ones the client wrote. No client runs here; re-recording is described in
 * tools/capture/README.md.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { CompressionCodec, compressionCodecFromName, decompress, isCompressionCodec } from './compression/index.js';
import {
  apiDefinitions,
  ApiKey,
  decodeConsumerProtocolAssignment,
  decodeConsumerProtocolSubscription,
  decodeRequestHeader,
  encodeConsumerProtocolAssignment,
  encodeConsumerProtocolSubscription,
  encodeRequestHeader,
  isApiKey,
  requestHeaderVersion,
  type ApiMessages,
} from './generated/index.js';
import { Reader } from './primitives/reader.js';
import { Writer } from './primitives/writer.js';
import { validateBatch } from './records/index.js';

/** dist/src/protocol/ → repository root. */
const goldenRoot = fileURLToPath(new URL('../../../test/fixtures/golden/', import.meta.url));

const TOPIC = 'golden';
const ADMIN_TOPIC = 'golden-admin';
const PARTITION_COUNT = 3;

/** What each recording script named its group and transaction. */
const groupIdOf: Record<string, string> = {
  kcat: 'golden-kcat',
  kafkajs: 'golden-kafkajs',
  'confluent-kafka': 'golden-confluent',
  'kafka-python': 'golden-kafka-python',
  'platformatic-kafka': 'golden-platformatic',
};
const transactionalIdOf: Record<string, string> = {
  kafkajs: 'golden-kafkajs-txn',
  'confluent-kafka': 'golden-confluent-txn',
  'platformatic-kafka': 'golden-platformatic-txn',
};

/** Assignor names the clients offer in JoinGroup. */
const knownAssignors = new Set(['range', 'roundrobin', 'sticky', 'cooperative-sticky', 'RoundRobinAssigner']);

/** Codecs each client must have produced with (what it can do without plugins). */
const codecsOf: Record<string, string[]> = {
  kcat: ['none', 'gzip', 'snappy', 'lz4', 'zstd'],
  'confluent-kafka': ['none', 'gzip', 'snappy', 'lz4', 'zstd'],
  kafkajs: ['none', 'gzip'],
  'kafka-python': ['none', 'gzip'],
  // zstd only where Node's zlib has it (22+); recorded on Node 20.
  'platformatic-kafka': ['none', 'gzip', 'snappy', 'lz4'],
};

interface FrameEntry {
  file: string;
  seq: number;
  apiKey: number;
  apiName: string;
  apiVersion: number;
  headerVersion: number;
  correlationId: number;
  clientId: string | null;
  scenario: string | null;
}

interface FrameIndex {
  client: string;
  clientVersion: string | null;
  frames: FrameEntry[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseIndex(text: string, where: string): FrameIndex {
  const raw: unknown = JSON.parse(text);
  assert.ok(isRecord(raw) && typeof raw.client === 'string' && Array.isArray(raw.frames), `${where}: not a frame index`);
  const frames = raw.frames.map((f: unknown, i: number): FrameEntry => {
    assert.ok(isRecord(f), `${where}: frame ${i} is not an object`);
    const num = (k: string) => {
      const v = f[k];
      assert.equal(typeof v, 'number', `${where}: frame ${i}.${k}`);
      return v as number;
    };
    const strOrNull = (k: string) => {
      const v = f[k];
      assert.ok(v === null || typeof v === 'string', `${where}: frame ${i}.${k}`);
      return v as string | null;
    };
    const file = f.file;
    assert.equal(typeof file, 'string', `${where}: frame ${i}.file`);
    const apiName = f.apiName;
    assert.equal(typeof apiName, 'string', `${where}: frame ${i}.apiName`);
    return {
      file: file as string,
      seq: num('seq'),
      apiKey: num('apiKey'),
      apiName: apiName as string,
      apiVersion: num('apiVersion'),
      headerVersion: num('headerVersion'),
      correlationId: num('correlationId'),
      clientId: strOrNull('clientId'),
      scenario: strOrNull('scenario'),
    };
  });
  return { client: raw.client, clientVersion: typeof raw.clientVersion === 'string' ? raw.clientVersion : null, frames };
}

/** Where two buffers first differ, with hex around it, for a failure message worth reading. */
function describeDifference(expected: Buffer, actual: Buffer): string {
  let at = 0;
  while (at < expected.length && at < actual.length && expected[at] === actual[at]) at++;
  const from = Math.max(0, at - 8);
  const hex = (b: Buffer) => b.subarray(from, at + 24).toString('hex').replace(/(..)/g, '$1 ').trim();
  return (
    `lengths ${expected.length} (recorded) vs ${actual.length} (re-encoded); first difference at byte ${at}\n` +
    `  recorded   @${from}: ${hex(expected)}\n` +
    `  re-encoded @${from}: ${hex(actual)}`
  );
}

// ---------------------------------------------------------------------------
// Records inside a produce batch, parsed here so the test does not lean on the
// record-level codec: enough to count records and read keys.

interface PlainRecord {
  offsetDelta: number;
  key: Buffer | null;
  value: Buffer | null;
  headerKeys: string[];
}

function readVarBytes(r: Reader): Buffer | null {
  const length = r.readVarint();
  return length < 0 ? null : r.readRaw(length);
}

function parseRecords(payload: Buffer, count: number): PlainRecord[] {
  const r = new Reader(payload);
  const out: PlainRecord[] = [];
  for (let i = 0; i < count; i++) {
    const length = r.readVarint();
    const end = r.pos + length;
    r.readInt8(); // attributes
    r.readVarlong(); // timestamp delta
    const offsetDelta = r.readVarint();
    const key = readVarBytes(r);
    const value = readVarBytes(r);
    const headerKeys: string[] = [];
    const headerCount = r.readVarint();
    for (let h = 0; h < headerCount; h++) {
      headerKeys.push((readVarBytes(r) ?? Buffer.alloc(0)).toString('utf8'));
      readVarBytes(r);
    }
    assert.equal(r.pos, end, `record ${i} is ${length} bytes but its fields end elsewhere`);
    out.push({ offsetDelta, key, value, headerKeys });
  }
  assert.equal(r.remaining, 0, 'bytes after the last record');
  return out;
}

// ---------------------------------------------------------------------------
// Field checks per API: what the recording scripts asked each client to do.

interface CheckContext {
  client: string;
  scenario: string;
  version: number;
}

type Check<K extends ApiKey> = (request: ApiMessages[K]['request'], ctx: CheckContext) => void;

/** Produce scenarios are named produce-[modifiers-]<codec>. */
function expectedCodec(scenario: string): CompressionCodec {
  const codec = compressionCodecFromName(scenario.slice(scenario.lastIndexOf('-') + 1));
  assert.ok(codec !== null, `scenario ${scenario} names no codec`);
  return codec;
}

function assertGroup(client: string, groupId: string): void {
  assert.equal(groupId, groupIdOf[client], 'group id');
}

/**
 * Clients whose group subscription claims one version but is laid out as
 * another. The bytes are opaque to a classic-group broker, so this is legal
 * on the wire; it only matters to whoever parses the subscription (the
 * group's leader, or a broker describing the group), which must then be lenient.
 */
const subscriptionLayoutQuirks: Record<string, { claimed: number; layout: number; why: string }> = {
  'platformatic-kafka': {
    claimed: 1,
    layout: 0,
    why: '@platformatic/kafka writes version 1 but only the version 0 fields (no OwnedPartitions)',
  },
};

function assertSubscription(metadata: Buffer, client: string): void {
  const r = new Reader(metadata);
  const version = r.readInt16();
  const quirk = subscriptionLayoutQuirks[client];
  if (quirk !== undefined) assert.equal(version, quirk.claimed, `quirk no longer holds: ${quirk.why}`);
  const layout = quirk?.layout ?? version;
  const subscription = decodeConsumerProtocolSubscription(r, layout);
  assert.equal(r.remaining, 0, 'bytes after the subscription');
  assert.deepEqual(subscription.topics, [TOPIC]);
  const w = new Writer().writeInt16(version);
  encodeConsumerProtocolSubscription(w, layout, subscription);
  assert.deepEqual(w.toBuffer(), metadata, 'subscription re-encodes to the same bytes');
}

function assertAssignment(bytes: Buffer): void {
  if (bytes.length === 0) return;
  const r = new Reader(bytes);
  const version = r.readInt16();
  const assignment = decodeConsumerProtocolAssignment(r, version);
  assert.equal(r.remaining, 0, 'bytes after the assignment');
  for (const tp of assignment.assignedPartitions) {
    assert.equal(tp.topic, TOPIC);
    for (const p of tp.partitions) assert.ok(p >= 0 && p < PARTITION_COUNT, `assigned partition ${p}`);
  }
  const w = new Writer().writeInt16(version);
  encodeConsumerProtocolAssignment(w, version, assignment);
  assert.deepEqual(w.toBuffer(), bytes, 'assignment re-encodes to the same bytes');
}

const checks: { [K in ApiKey]?: Check<K> } = {
  [ApiKey.Produce]: (request, { client, scenario }) => {
    assert.match(scenario, /^produce-/);
    const transactional = scenario.includes('transactional');
    const idempotent = transactional || scenario.includes('idempotent');
    assert.equal(request.transactionalId, transactional ? transactionalIdOf[client] : null, 'transactional id');
    if (scenario.includes('acks0')) assert.equal(request.acks, 0, 'acks');
    else assert.ok(request.acks === -1 || request.acks === 1, `acks ${request.acks}`);
    assert.ok(request.timeoutMs > 0, 'timeout');
    const codec = expectedCodec(scenario);
    assert.ok(request.topicData.length > 0);
    for (const topic of request.topicData) {
      assert.equal(topic.name, TOPIC);
      for (const partition of topic.partitionData) {
        assert.ok(partition.index >= 0 && partition.index < PARTITION_COUNT, `partition ${partition.index}`);
        const records = partition.records;
        assert.ok(records !== null && records.length > 0, 'records');
        let at = 0;
        while (at < records.length) {
          const result = validateBatch(records, at, records.length, { origin: 'client' });
          assert.ok(result.ok, result.ok ? '' : `batch at ${at}: ${result.fault}: ${result.message}`);
          const header = result.header;
          assert.equal(header.magic, 2, 'magic');
          assert.equal(header.compression, codec, `compression codec in the batch attributes (asked for ${scenario})`);
          assert.equal(header.isTransactional, transactional, 'transactional flag');
          if (idempotent) {
            assert.ok(header.producerId >= 0n, 'producer id');
            assert.ok(header.baseSequence >= 0, 'base sequence');
          } else {
            assert.equal(header.producerId, -1n, 'producer id');
          }
          assert.ok(isCompressionCodec(header.compression));
          const payload = decompress(header.compression, records.subarray(at + 61, at + result.sizeBytes), {
            maxOutputBytes: 1 << 20,
          });
          const parsed = parseRecords(payload, header.recordCount);
          parsed.forEach((rec, i) => {
            assert.equal(rec.offsetDelta, i, 'offset delta');
            if (rec.key !== null) assert.match(rec.key.toString('utf8'), /^k\d+$/);
            assert.ok(rec.value !== null && rec.value.length > 0, 'value');
          });
          at += result.sizeBytes;
        }
      }
    }
  },

  [ApiKey.Fetch]: (request, { version }) => {
    if (version < 15) assert.equal(request.replicaId, -1, 'replica id');
    assert.ok(request.maxWaitMs >= 0 && request.maxBytes > 0);
    assert.ok(request.isolationLevel === 0 || request.isolationLevel === 1);
    assert.ok(request.topics.length > 0);
    for (const topic of request.topics) {
      if (version < 13) assert.equal(topic.topic, TOPIC);
      for (const p of topic.partitions) {
        assert.ok(p.partition >= 0 && p.partition < PARTITION_COUNT, `partition ${p.partition}`);
        assert.ok(p.fetchOffset >= 0n, 'fetch offset');
        assert.ok(p.partitionMaxBytes > 0, 'partition max bytes');
      }
    }
  },

  [ApiKey.ListOffsets]: (request) => {
    assert.equal(request.replicaId, -1, 'replica id');
    for (const topic of request.topics) {
      assert.equal(topic.name, TOPIC);
      for (const p of topic.partitions) {
        assert.ok(p.partitionIndex >= 0 && p.partitionIndex < PARTITION_COUNT);
        assert.ok(p.timestamp === -1n || p.timestamp === -2n, `timestamp ${p.timestamp}`);
      }
    }
  },

  [ApiKey.Metadata]: (request) => {
    if (request.topics === null) return;
    for (const t of request.topics) assert.ok(t.name === TOPIC || t.name === ADMIN_TOPIC, `topic ${t.name}`);
  },

  [ApiKey.FindCoordinator]: (request, { client, version }) => {
    const keys = version >= 4 ? request.coordinatorKeys : [request.key];
    for (const key of keys) {
      if (request.keyType === 1) assert.equal(key, transactionalIdOf[client], 'transaction coordinator key');
      else assertGroup(client, key);
    }
  },

  [ApiKey.JoinGroup]: (request, { client }) => {
    assertGroup(client, request.groupId);
    assert.equal(request.protocolType, 'consumer');
    assert.ok(request.sessionTimeoutMs > 0);
    assert.ok(request.protocols.length > 0);
    for (const protocol of request.protocols) {
      assert.ok(knownAssignors.has(protocol.name), `assignor ${protocol.name}`);
      assertSubscription(protocol.metadata, client);
    }
  },

  [ApiKey.SyncGroup]: (request, { client }) => {
    assertGroup(client, request.groupId);
    assert.ok(request.generationId >= 1 && request.memberId !== '');
    // The only member leads, so it sends the whole assignment.
    assert.equal(request.assignments.length, 1);
    assert.equal(request.assignments[0]!.memberId, request.memberId);
    for (const a of request.assignments) assertAssignment(a.assignment);
  },

  [ApiKey.Heartbeat]: (request, { client }) => {
    assertGroup(client, request.groupId);
    assert.ok(request.generationId >= 1 && request.memberId !== '');
  },

  [ApiKey.LeaveGroup]: (request, { client, version }) => {
    assertGroup(client, request.groupId);
    const members = version >= 3 ? request.members.map((m) => m.memberId) : [request.memberId];
    assert.ok(members.length > 0 && members.every((m) => m !== ''));
  },

  [ApiKey.OffsetCommit]: (request, { client, version }) => {
    assertGroup(client, request.groupId);
    if (version >= 1) assert.ok(request.generationIdOrMemberEpoch >= 1 && request.memberId !== '');
    assert.ok(request.topics.length > 0);
    for (const t of request.topics) {
      assert.equal(t.name, TOPIC);
      for (const p of t.partitions) assert.ok(p.committedOffset >= 0n, `committed offset ${p.committedOffset}`);
    }
  },

  [ApiKey.OffsetFetch]: (request, { client, version }) => {
    const groups = version >= 8 ? request.groups : [{ groupId: request.groupId, topics: request.topics }];
    for (const g of groups) {
      assertGroup(client, g.groupId);
      for (const t of g.topics ?? []) assert.equal(t.name, TOPIC);
    }
  },

  [ApiKey.ApiVersions]: (request, { version }) => {
    if (version >= 3) {
      assert.match(request.clientSoftwareName, /^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$/);
      assert.ok(request.clientSoftwareVersion.length > 0);
    }
  },

  [ApiKey.CreateTopics]: (request) => {
    assert.equal(request.topics.length, 1);
    const topic = request.topics[0]!;
    assert.equal(topic.name, ADMIN_TOPIC);
    assert.equal(topic.numPartitions, 2);
    assert.equal(topic.replicationFactor, 1);
    assert.deepEqual(
      topic.configs.map((c) => [c.name, c.value]),
      [['retention.ms', '3600000']],
    );
  },

  [ApiKey.DeleteTopics]: (request, { version }) => {
    const names = version >= 6 ? request.topics.map((t) => t.name) : request.topicNames;
    assert.deepEqual(names, [ADMIN_TOPIC]);
  },

  [ApiKey.DescribeConfigs]: (request) => {
    assert.equal(request.resources.length, 1);
    assert.equal(request.resources[0]!.resourceType, 2, 'topic resource');
    assert.equal(request.resources[0]!.resourceName, TOPIC);
  },

  [ApiKey.InitProducerId]: (request, { client, scenario }) => {
    if (scenario.includes('transactional')) {
      // kafkajs asks once without the transactional id when the producer
      // connects (it is idempotent too), then again with it for transaction().
      if (request.transactionalId !== null) assert.equal(request.transactionalId, transactionalIdOf[client]);
      else assert.equal(client, 'kafkajs');
      assert.ok(request.transactionTimeoutMs > 0);
    } else {
      assert.equal(request.transactionalId, null);
    }
  },

  [ApiKey.AddPartitionsToTxn]: (request, { client, version }) => {
    const transactions =
      version >= 4
        ? request.transactions
        : [
            {
              transactionalId: request.v3AndBelowTransactionalId,
              producerId: request.v3AndBelowProducerId,
              verifyOnly: false,
              topics: request.v3AndBelowTopics,
            },
          ];
    assert.equal(transactions.length, 1);
    const txn = transactions[0]!;
    assert.equal(txn.transactionalId, transactionalIdOf[client]);
    assert.ok(txn.producerId >= 0n);
    assert.equal(txn.verifyOnly, false, 'a client never asks verify-only');
    assert.deepEqual(
      txn.topics.map((t) => t.name),
      [TOPIC],
    );
  },

  [ApiKey.EndTxn]: (request, { client }) => {
    assert.equal(request.transactionalId, transactionalIdOf[client]);
    assert.equal(request.committed, true);
  },
};

// ---------------------------------------------------------------------------

interface Decoded {
  reencoded: Buffer;
  remaining: number;
}

/** Decodes header + body, runs the field checks, encodes both again. */
function roundTrip<K extends ApiKey>(apiKey: K, frame: Buffer, entry: FrameEntry, client: string): Decoded {
  const def = apiDefinitions[apiKey];
  const r = new Reader(frame);
  const header = decodeRequestHeader(r, entry.headerVersion);
  assert.equal(header.requestApiKey, entry.apiKey, 'api key');
  assert.equal(header.requestApiVersion, entry.apiVersion, 'api version');
  assert.equal(header.correlationId, entry.correlationId, 'correlation id');
  assert.equal(header.clientId, entry.clientId, 'client id');
  const request = def.decodeRequest(r, entry.apiVersion);
  const check = checks[apiKey];
  assert.ok(entry.scenario !== null, 'every recorded client names its scenario in its client id');
  check?.(request, { client, scenario: entry.scenario, version: entry.apiVersion });
  const w = new Writer();
  encodeRequestHeader(w, entry.headerVersion, header);
  def.encodeRequest(w, entry.apiVersion, request);
  return { reencoded: w.toBuffer(), remaining: r.remaining };
}

const clients = existsSync(goldenRoot)
  ? readdirSync(goldenRoot, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort()
  : [];

test('golden fixtures exist for every recorded client', () => {
  assert.deepEqual(clients, ['confluent-kafka', 'kafka-python', 'kafkajs', 'kcat', 'platformatic-kafka']);
});

for (const client of clients) {
  const dir = `${goldenRoot}${client}/`;
  const index = parseIndex(readFileSync(`${dir}index.json`, 'utf8'), `${client}/index.json`);

  describe(`golden ${client} (${index.clientVersion ?? 'unknown version'})`, () => {
    test('index matches the files on disk', () => {
      assert.equal(index.client, client);
      const onDisk = readdirSync(dir).filter((n) => n.endsWith('.bin')).sort();
      assert.deepEqual(index.frames.map((f) => f.file).sort(), onDisk);
    });

    test('covers the APIs and codecs the recording asked for', () => {
      const apis = new Set(index.frames.map((f) => f.apiName));
      for (const api of ['ApiVersions', 'Metadata', 'Produce', 'Fetch', 'ListOffsets', 'FindCoordinator', 'JoinGroup', 'SyncGroup', 'OffsetFetch', 'OffsetCommit', 'LeaveGroup']) {
        assert.ok(apis.has(api), `${client} recorded no ${api}`);
      }
      const codecs = new Set(
        index.frames.filter((f) => f.apiKey === ApiKey.Produce && f.scenario !== null).map((f) => f.scenario!.slice(f.scenario!.lastIndexOf('-') + 1)),
      );
      assert.deepEqual([...codecs].sort(), [...(codecsOf[client] ?? [])].sort());
    });

    for (const entry of index.frames) {
      test(`${entry.file} (${entry.scenario ?? '?'})`, () => {
        const frame = readFileSync(`${dir}${entry.file}`);
        assert.ok(isApiKey(entry.apiKey), `api key ${entry.apiKey}`);
        const def = apiDefinitions[entry.apiKey];
        assert.equal(def.name, entry.apiName);
        assert.equal(frame.readInt16BE(0), entry.apiKey, 'api key in the frame');
        assert.equal(frame.readInt16BE(2), entry.apiVersion, 'api version in the frame');
        assert.ok(entry.apiVersion >= def.minVersion && entry.apiVersion <= def.maxVersion);
        assert.equal(entry.headerVersion, requestHeaderVersion(entry.apiKey, entry.apiVersion), 'header version');
        const { reencoded, remaining } = roundTrip(entry.apiKey, frame, entry, client);
        assert.equal(remaining, 0, 'the decoder consumed the whole frame');
        if (!reencoded.equals(frame)) assert.fail(`${def.name} v${entry.apiVersion} re-encodes differently: ${describeDifference(frame, reencoded)}`);
      });
    }
  });
}

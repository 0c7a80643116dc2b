import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiKey } from '../protocol/generated/api-registry.js';
import { BrokerConnection } from './connection.js';
import { Cluster } from './cluster.js';
import { ConnectionError, RequestTimeoutError, UnsupportedVersionError } from './errors.js';
import { withRetry } from './backoff.js';
import { KafkaProtocolError } from '../protocol/errors/index.js';
import {
  allApiVersions,
  startFakeBroker,
  typedBody,
  unsupportedApiVersionsBody,
  type FakeHandler,
  type FakeRequest,
} from './testing/fake-broker.js';

function open(port: number, overrides: { requestTimeoutMs?: number } = {}): Promise<BrokerConnection> {
  return BrokerConnection.open({
    host: '127.0.0.1',
    port,
    clientId: 'test-client',
    connectTimeoutMs: 2000,
    requestTimeoutMs: overrides.requestTimeoutMs ?? 2000,
  });
}

function metadataReply(port: number, topics: Array<{ name: string; errorCode?: number; partitions?: number }> = []) {
  return typedBody(ApiKey.Metadata, {
    brokers: [{ nodeId: 1, host: '127.0.0.1', port }],
    clusterId: 'fake',
    controllerId: 1,
    topics: topics.map((t) => ({
      errorCode: t.errorCode ?? 0,
      name: t.name,
      topicId: 'AAAAAAAAAAAAAAAAAAAAAQ',
      partitions: Array.from({ length: t.errorCode ? 0 : t.partitions ?? 1 }, (_, i) => ({
        errorCode: 0,
        partitionIndex: i,
        leaderId: 1,
        replicaNodes: [1],
        isrNodes: [1],
      })),
    })),
  });
}

function baseHandler(port: () => number, extra?: FakeHandler, apiKeys = allApiVersions()): FakeHandler {
  return (req: FakeRequest) => {
    if (req.apiKey === ApiKey.ApiVersions) return typedBody(ApiKey.ApiVersions, { errorCode: 0, apiKeys });
    const answer = extra?.(req);
    if (answer !== undefined) return answer;
    if (req.apiKey === ApiKey.Metadata) return metadataReply(port());
    return null;
  };
}

test('ApiVersions negotiation picks the highest version both sides speak', async () => {
  const apiKeys = allApiVersions().map((k) => (k.apiKey === ApiKey.Metadata ? { ...k, maxVersion: 7 } : k));
  const broker = await startFakeBroker(baseHandler(() => broker.port, undefined, apiKeys));
  try {
    const c = await open(broker.port);
    assert.equal(c.versionFor(ApiKey.Metadata), 7);
    assert.equal(c.versionFor(ApiKey.Produce), 11);
    // EndTxn's newest version is marked unstable; we stop one short.
    assert.equal(c.versionFor(ApiKey.EndTxn), 4);
    const response = await c.request(ApiKey.Metadata, { topics: null });
    assert.equal(response.clusterId, 'fake');
    assert.equal(broker.requests[1]!.version, 7);
    assert.equal(broker.requests[0]!.header.clientId, 'test-client');
    assert.deepEqual(broker.requests[0]!.body, { clientSoftwareName: 'samsa-client', clientSoftwareVersion: '0.1.0' });
    c.close();
  } finally {
    await broker.close();
  }
});

test('an API the broker lacks fails with UnsupportedVersionError', async () => {
  const apiKeys = allApiVersions().filter((k) => k.apiKey !== ApiKey.InitProducerId);
  const broker = await startFakeBroker(baseHandler(() => broker.port, undefined, apiKeys));
  try {
    const c = await open(broker.port);
    assert.equal(c.supports(ApiKey.InitProducerId), false);
    assert.throws(() => c.versionFor(ApiKey.InitProducerId), (e: unknown) => e instanceof UnsupportedVersionError && /InitProducerId/.test(e.message));
    c.close();
  } finally {
    await broker.close();
  }
});

test('UNSUPPORTED_VERSION on ApiVersions: retry at the version the broker lists', async () => {
  const seen: number[] = [];
  const broker = await startFakeBroker((req) => {
    if (req.apiKey !== ApiKey.ApiVersions) return null;
    seen.push(req.version);
    if (req.version > 2) return { raw: unsupportedApiVersionsBody(2), headerVersion: 0 };
    return typedBody(ApiKey.ApiVersions, { errorCode: 0, apiKeys: allApiVersions() });
  });
  try {
    const c = await open(broker.port);
    assert.deepEqual(seen, [4, 2]);
    assert.equal(c.versionFor(ApiKey.Fetch), 17);
    c.close();
  } finally {
    await broker.close();
  }
});

test('pipelined requests resolve to their own responses', async () => {
  let n = 0;
  const broker = await startFakeBroker(
    baseHandler(
      () => broker.port,
      (req) => {
        if (req.apiKey !== ApiKey.Metadata) return undefined as never;
        n++;
        // Later requests answer sooner on the wire only in order; vary size instead.
        return metadataReply(broker.port, [{ name: `t${req.header.correlationId}`, partitions: 1 + (n % 3) }]);
      },
    ),
  );
  try {
    const c = await open(broker.port);
    const results = await Promise.all(Array.from({ length: 50 }, () => c.request(ApiKey.Metadata, { topics: null })));
    const ids = broker.requests.filter((r) => r.apiKey === ApiKey.Metadata).map((r) => `t${r.header.correlationId}`);
    assert.deepEqual(
      results.map((r) => r.topics[0]!.name),
      ids,
    );
    assert.equal(new Set(ids).size, 50);
    c.close();
  } finally {
    await broker.close();
  }
});

test('a request without an answer times out and closes the connection', async () => {
  const broker = await startFakeBroker(baseHandler(() => broker.port, (req) => (req.apiKey === ApiKey.Metadata ? null : (undefined as never))));
  try {
    const c = await open(broker.port, { requestTimeoutMs: 150 });
    const first = c.request(ApiKey.Metadata, { topics: null });
    const second = c.request(ApiKey.Metadata, { topics: null }, { timeoutMs: 5000 });
    await assert.rejects(first, (e: unknown) => e instanceof RequestTimeoutError && e.retriable);
    await assert.rejects(second, (e: unknown) => e instanceof ConnectionError);
    assert.equal(c.isOpen, false);
  } finally {
    await broker.close();
  }
});

test('the broker going away fails in-flight requests with a retriable ConnectionError', async () => {
  const broker = await startFakeBroker(baseHandler(() => broker.port, (req) => (req.apiKey === ApiKey.Metadata ? null : (undefined as never))));
  const c = await open(broker.port);
  const pending = c.request(ApiKey.Metadata, { topics: null });
  await new Promise((r) => setTimeout(r, 20));
  await broker.close();
  await assert.rejects(pending, (e: unknown) => e instanceof ConnectionError && e.retriable);
});

test('connect failure is a ConnectionError', async () => {
  const broker = await startFakeBroker(() => null);
  const port = broker.port;
  await broker.close();
  await assert.rejects(open(port), ConnectionError);
});

test('Cluster: bootstrap, metadata cache, retry of a topic whose leader is not ready', async () => {
  let metadataCalls = 0;
  const broker = await startFakeBroker(
    baseHandler(
      () => broker.port,
      (req) => {
        if (req.apiKey !== ApiKey.Metadata) return undefined as never;
        metadataCalls++;
        const body = req.body as { topics: Array<{ name: string }> | null };
        const names = body.topics?.map((t) => t.name) ?? [];
        // The first time a topic is asked for, it has no leader yet.
        return metadataReply(
          broker.port,
          names.map((name) => ({ name, errorCode: metadataCalls <= 2 ? 5 : 0, partitions: 3 })),
        );
      },
    ),
  );
  const cluster = new Cluster({ bootstrapServers: `127.0.0.1:${broker.port}`, clientId: 'c1', retryBackoffMs: 10 });
  try {
    await cluster.connect();
    assert.deepEqual(cluster.brokerList().map((b) => b.nodeId), [1]);
    assert.equal(cluster.clusterId, 'fake');
    const [topic] = await cluster.topicsMetadata(['orders']);
    assert.equal(topic!.partitions.length, 3);
    assert.equal(cluster.leaderFor('orders', 2), 1);
    assert.ok(metadataCalls >= 3);
  } finally {
    await cluster.close();
    await broker.close();
  }
});

test('withRetry retries retriable errors only, with backoff', async () => {
  let calls = 0;
  const value = await withRetry(
    async () => {
      calls++;
      if (calls < 3) throw new KafkaProtocolError('NOT_LEADER_OR_FOLLOWER');
      return 'ok';
    },
    { retries: 5, initialMs: 1, maxMs: 5 },
  );
  assert.equal(value, 'ok');
  assert.equal(calls, 3);
  calls = 0;
  await assert.rejects(
    withRetry(
      async () => {
        calls++;
        throw new KafkaProtocolError('TOPIC_AUTHORIZATION_FAILED');
      },
      { retries: 5, initialMs: 1, maxMs: 5 },
    ),
    (e: unknown) => KafkaProtocolError.is(e, 'TOPIC_AUTHORIZATION_FAILED'),
  );
  assert.equal(calls, 1);
});

test('closing the cluster fails in-flight requests', async () => {
  const broker = await startFakeBroker(baseHandler(() => broker.port));
  const cluster = new Cluster({ bootstrapServers: [`127.0.0.1:${broker.port}`] });
  try {
    await cluster.connect();
    const c = await cluster.anyConnection();
    const pending = c.request(ApiKey.ListGroups, {});
    await cluster.close();
    await assert.rejects(pending, /closed/);
  } finally {
    await broker.close();
  }
});

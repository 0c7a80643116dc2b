/**
 * Bad input hurts only the connection it came on: garbage, a 2 GB length
 * prefix, an unknown api key, a truncated frame each close that connection
 * while another client on the same broker keeps working; a corrupt or
 * oversized batch gets Kafka's error code. Also: pipelined requests are
 * answered in order, and acks=0 produces get no response.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Broker } from '../../src/index.js';
import { ApiKey } from '../../src/protocol/generated/api-registry.js';
import { RawClient } from './support/raw-client.js';
import { buildBatch } from './support/records.js';

let broker: Broker;
let witness: RawClient;

before(async () => {
  broker = await Broker.start({ config: { 'message.max.bytes': 10_000 } });
  witness = await RawClient.connect(broker.bootstrap);
  const created = await witness.send(ApiKey.CreateTopics, 5, {
    topics: [{ name: 'bad', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
  });
  assert.equal(created.topics[0]!.errorCode, 0);
});

after(async () => {
  witness.close();
  await broker.stop();
});

async function witnessStillWorks(): Promise<void> {
  const response = await witness.send(ApiKey.Metadata, 9, { topics: [{ name: 'bad' }] });
  assert.equal(response.topics[0]!.errorCode, 0);
  assert.equal(witness.isClosed, false);
}

async function expectClosedAfter(bytes: Buffer): Promise<void> {
  const victim = await RawClient.connect(broker.bootstrap);
  victim.writeRaw(bytes);
  await victim.closed;
  await witnessStillWorks();
}

test('garbage bytes close only that connection', async () => {
  // A plausible size followed by a header that is not a request (api key -1234).
  await expectClosedAfter(Buffer.from([0, 0, 0, 12, 0xfb, 0x2e, 0, 0, 0, 0, 0, 1, 0xde, 0xad, 0xbe, 0xef]));
  // HTTP on the Kafka port: "GET " read as a size is ~1.2 GB, far over socket.request.max.bytes.
  await expectClosedAfter(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
});

test('a 2 GB length prefix is refused before any of it is buffered', async () => {
  const prefix = Buffer.alloc(4);
  prefix.writeInt32BE(0x7fffffff, 0);
  await expectClosedAfter(prefix);
  prefix.writeInt32BE(-5, 0);
  await expectClosedAfter(prefix);
});

test('an unknown api key or unsupported version closes the connection', async () => {
  const victim = await RawClient.connect(broker.bootstrap);
  const frame = victim.frame(ApiKey.Metadata, 9, { topics: null }, 5);
  frame.writeInt16BE(999, 4); // api key
  victim.writeRaw(frame);
  await victim.closed;
  await witnessStillWorks();

  const again = await RawClient.connect(broker.bootstrap);
  const tooNew = again.frame(ApiKey.Metadata, 9, { topics: null }, 6);
  tooNew.writeInt16BE(300, 6); // api version
  again.writeRaw(tooNew);
  await again.closed;
  await witnessStillWorks();
});

test('a truncated frame (a body shorter than its fields claim) closes the connection', async () => {
  const victim = await RawClient.connect(broker.bootstrap);
  const full = victim.frame(ApiKey.Metadata, 9, { topics: [{ name: 'bad' }] }, 7);
  // Keep the header but cut the body in the middle of the topic name, and fix the size to match.
  const cut = full.subarray(0, full.length - 2);
  cut.writeInt32BE(cut.length - 4, 0);
  victim.writeRaw(cut);
  await victim.closed;
  await witnessStillWorks();

  // Fewer bytes than a request header.
  await expectClosedAfter(Buffer.from([0, 0, 0, 3, 0, 3, 0]));
});

test('a batch with a wrong CRC gets CORRUPT_MESSAGE; one over message.max.bytes gets MESSAGE_TOO_LARGE', async () => {
  const client = await RawClient.connect(broker.bootstrap);
  try {
    const batch = buildBatch([{ key: 'a', value: 'b' }]);
    batch[batch.length - 1]! ^= 0xff;
    const corrupt = await client.send(ApiKey.Produce, 8, {
      acks: 1,
      timeoutMs: 1000,
      topicData: [{ name: 'bad', partitionData: [{ index: 0, records: batch }] }],
    });
    assert.equal(corrupt.responses[0]!.partitionResponses[0]!.errorCode, 2);

    const big = buildBatch([{ key: 'a', value: 'x'.repeat(20_000) }]);
    const tooLarge = await client.send(ApiKey.Produce, 8, {
      acks: -1,
      timeoutMs: 1000,
      topicData: [{ name: 'bad', partitionData: [{ index: 0, records: big }] }],
    });
    assert.equal(tooLarge.responses[0]!.partitionResponses[0]!.errorCode, 10);

    const unknown = await client.send(ApiKey.Produce, 8, {
      acks: 1,
      timeoutMs: 1000,
      topicData: [{ name: 'nope', partitionData: [{ index: 0, records: buildBatch([{ key: null, value: 'v' }]) }] }],
    });
    assert.equal(unknown.responses[0]!.partitionResponses[0]!.errorCode, 3);
    assert.equal(client.isClosed, false);
  } finally {
    client.close();
  }
});

test('pipelined requests are answered in order; acks=0 produce gets no response', async () => {
  const client = await RawClient.connect(broker.bootstrap);
  try {
    const frames: Buffer[] = [];
    const expected: number[] = [];
    const order: number[] = [];
    const replies: Promise<void>[] = [];
    for (let i = 0; i < 60; i++) {
      const correlationId = 1000 + i;
      if (i % 3 === 0) {
        frames.push(client.frame(ApiKey.Produce, 8, {
          acks: 0,
          timeoutMs: 1000,
          topicData: [{ name: 'bad', partitionData: [{ index: 0, records: buildBatch([{ key: 'p', value: String(i) }]) }] }],
        }, correlationId));
        continue;
      }
      frames.push(
        i % 3 === 1
          ? client.frame(ApiKey.Metadata, 9, { topics: [{ name: 'bad' }] }, correlationId)
          : client.frame(ApiKey.Fetch, 11, {
              maxWaitMs: 0,
              minBytes: 0,
              topics: [{ topic: 'bad', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 16 }] }],
            }, correlationId),
      );
      expected.push(correlationId);
      replies.push(client.expect(correlationId).then(() => void order.push(correlationId)));
    }
    client.writeRaw(Buffer.concat(frames));
    await Promise.all(replies);
    assert.deepEqual(order, expected);
    // acks=0 waits for nothing: the high watermark reaches the batches once their bytes are in the file.
    const deadline = Date.now() + 10_000;
    let latest = -1n;
    while (latest < 20n && Date.now() < deadline) {
      const offsets = await client.send(ApiKey.ListOffsets, 5, {
        replicaId: -1,
        topics: [{ name: 'bad', partitions: [{ partitionIndex: 0, timestamp: -1n }] }],
      });
      latest = offsets.topics[0]!.partitions[0]!.offset;
    }
    assert.ok(latest >= 20n, `the acks=0 batches were appended (latest offset ${latest})`);
  } finally {
    client.close();
  }
});

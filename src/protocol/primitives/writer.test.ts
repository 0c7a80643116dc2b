import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Writer } from './writer.js';
import { Reader } from './reader.js';
import { encodeFetchResponse, decodeFetchResponse } from '../generated/messages/fetch-response.js';

test('records given as pieces encode exactly like the joined buffer, and large pieces are not copied', () => {
  const pieces = [randomBytes(10), randomBytes(Writer.zeroCopyThresholdBytes), randomBytes(7)];
  for (const version of [4, 11, 12, 16]) {
    const response = (records: Buffer | readonly Buffer[]) => ({
      responses: [{ topic: 't', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: [{ partitionIndex: 0, errorCode: 0, highWatermark: 5n, records }] }],
    });
    const joined = encodeFetchResponse(new Writer(), version, response(Buffer.concat(pieces))).toBuffer();
    const writer = encodeFetchResponse(new Writer(), version, response(pieces));
    const chunks = writer.toChunks();
    assert.ok(chunks.includes(pieces[1]!), `v${version}: the large piece is referenced, not copied`);
    assert.ok(Buffer.concat(chunks).equals(joined), `v${version}: same bytes`);
    const decoded = decodeFetchResponse(new Reader(joined), version);
    assert.ok(decoded.responses[0]!.partitions[0]!.records!.equals(Buffer.concat(pieces)));
  }
});

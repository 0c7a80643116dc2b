/**
 * Cross-checks against an independent implementation: kafkajs's own record
 * batch and message set codecs (a dev dependency). Its encoder output must
 * pass our validation and decode to the same records, and ours must decode in
 * kafkajs. Only none and gzip: kafkajs has no built-in snappy/lz4/zstd.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { CompressionCodec } from '../compression/codec.js';
import { buildRecordBatch } from './batch-builder.js';
import { decodeRecordBatch } from './batch-decoder.js';
import { validateBatch } from './batch-header.js';
import { buildLegacyMessageSet, decodeLegacyMessageSet } from './legacy-message.js';

const require = createRequire(import.meta.url);

interface KafkajsEncoder {
  buffer: Buffer;
}
interface KafkajsDecoderInstance {
  offset: number;
}
type KafkajsDecoderClass = new (buffer: Buffer) => KafkajsDecoderInstance;
interface KafkajsRecordOut {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: { [key: string]: Buffer | Buffer[] };
}
interface KafkajsMessageOut {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  timestamp?: string;
}

const Decoder = require('kafkajs/src/protocol/decoder') as KafkajsDecoderClass;
const RecordEncoder = require('kafkajs/src/protocol/recordBatch/record/v0') as (record: {
  offsetDelta: number;
  timestampDelta: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: { [key: string]: Buffer };
}) => KafkajsEncoder;
const { RecordBatch: RecordBatchEncoder } = require('kafkajs/src/protocol/recordBatch/v0') as { RecordBatch: (options: {
  compression: number;
  firstOffset: unknown;
  firstTimestamp: number;
  maxTimestamp: number;
  lastOffsetDelta: number;
  records: KafkajsEncoder[];
}) => Promise<KafkajsEncoder> };
const RecordBatchDecoder = require('kafkajs/src/protocol/recordBatch/v0/decoder') as (
  decoder: KafkajsDecoderInstance,
) => Promise<{ records: KafkajsRecordOut[] }>;
const MessageSetEncoder = require('kafkajs/src/protocol/messageSet') as (options: {
  messageVersion: number;
  compression: number;
  entries: { key: Buffer | null; value: Buffer | null; timestamp?: number; compression?: number }[];
}) => KafkajsEncoder;
const MessageSetDecoder = require('kafkajs/src/protocol/messageSet/decoder') as (
  decoder: KafkajsDecoderInstance,
  size: number,
) => Promise<KafkajsMessageOut[]>;
const gzipCodec = require('kafkajs/src/protocol/message/compression/gzip') as { compress(e: KafkajsEncoder): Promise<Buffer> };
const Long = require('kafkajs/src/utils/long') as { fromInt(value: number): unknown };

const values = ['first', 'second value', '', 'fourth'].map((v) => Buffer.from(v));

test('kafkajs record batches pass our validation and decode the same', async () => {
  for (const compression of [0, 1]) {
    const records = values.map((value, i) =>
      RecordEncoder({
        offsetDelta: i,
        timestampDelta: i * 10,
        key: i === 1 ? null : Buffer.from(`k${i}`),
        value,
        headers: i === 2 ? { h: Buffer.from('hv') } : {},
      }),
    );
    const encoded = await RecordBatchEncoder({
      compression,
      firstOffset: Long.fromInt(0),
      firstTimestamp: 1_000,
      maxTimestamp: 1_030,
      lastOffsetDelta: values.length - 1,
      records,
    });
    const batch = encoded.buffer;
    const validation = validateBatch(batch, 0, batch.length, { origin: 'client' });
    assert.ok(validation.ok, validation.ok ? '' : validation.message);
    const decoded = decodeRecordBatch(batch);
    assert.deepEqual(
      decoded.records.map((r) => [r.offset, r.timestamp, r.key?.toString() ?? null, r.value?.toString(), r.headers.length]),
      values.map((v, i) => [i, 1_000 + i * 10, i === 1 ? null : `k${i}`, v.toString(), i === 2 ? 1 : 0]),
    );
  }
});

test('our record batches decode in kafkajs', async () => {
  for (const compression of [CompressionCodec.none, CompressionCodec.gzip]) {
    const batch = buildRecordBatch({
      baseOffset: 500,
      compression,
      records: values.map((value, i) => ({
        key: Buffer.from(`k${i}`),
        value,
        timestamp: 2_000 + i,
        headers: [{ key: 'trace', value: Buffer.from(`t${i}`) }],
      })),
    });
    const { records } = await RecordBatchDecoder(new Decoder(batch));
    assert.deepEqual(
      records.map((r) => [r.offset, r.timestamp, r.key?.toString(), r.value?.toString(), String(r.headers['trace'])]),
      values.map((v, i) => [String(500 + i), String(2_000 + i), `k${i}`, v.toString(), `t${i}`]),
    );
  }
});

test('kafkajs message sets (magic 0 and 1, plain and gzip wrapper) decode here', async () => {
  for (const messageVersion of [0, 1]) {
    const entries = values.map((value, i) => ({ key: null, value, timestamp: 3_000 + i }));
    const plain = MessageSetEncoder({ messageVersion, compression: 0, entries }).buffer;
    const wrapped = MessageSetEncoder({
      messageVersion,
      compression: 0,
      entries: [
        {
          key: null,
          compression: 1,
          timestamp: 3_000,
          value: await gzipCodec.compress(MessageSetEncoder({ messageVersion, compression: 1, entries })),
        },
      ],
    }).buffer;
    for (const set of [plain, wrapped]) {
      const decoded = decodeLegacyMessageSet(set);
      assert.deepEqual(
        decoded.map((r) => [r.value?.toString(), r.timestamp]),
        values.map((v, i) => [v.toString(), messageVersion === 0 ? -1 : 3_000 + i]),
      );
    }
  }
});

test('our message sets decode in kafkajs with the same offsets', async () => {
  for (const magic of [0, 1] as const) {
    for (const compression of [CompressionCodec.none, CompressionCodec.gzip]) {
      const set = buildLegacyMessageSet({
        magic,
        compression,
        baseOffset: 70,
        records: values.map((value, i) => ({ key: Buffer.from(`k${i}`), value, timestamp: 4_000 + i })),
      });
      const messages = await MessageSetDecoder(new Decoder(set), set.length);
      assert.deepEqual(
        messages.map((m) => [String(m.offset), m.key?.toString(), m.value?.toString()]),
        values.map((v, i) => [String(70 + i), `k${i}`, v.toString()]),
      );
    }
  }
});

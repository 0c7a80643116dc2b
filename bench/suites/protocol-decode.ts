import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { crc32c } from '@node-rs/crc32';
import type { Suite } from '../suite.js';
import { Reader } from '../../src/protocol/primitives/reader.js';
import { Writer } from '../../src/protocol/primitives/writer.js';
import { decodeRequestHeader, encodeRequestHeader } from '../../src/protocol/generated/messages/request-header.js';
import { decodeProduceRequest, encodeProduceRequest } from '../../src/protocol/generated/messages/produce-request.js';
import { ApiKey, requestHeaderVersion } from '../../src/protocol/generated/api-registry.js';
import { buildRecordBatch } from '../../src/protocol/records/batch-builder.js';
import { validateBatch } from '../../src/protocol/records/batch-header.js';

const PRODUCE_VERSION = 9;
const PARTITIONS = 16;
const RECORDS_PER_BATCH = 64;
const RECORD_VALUE_BYTES = 1000;

/** A ~1 MiB Produce request: 16 partitions, each one 64 KiB batch of 1 KiB records. */
function buildProduceFrame(): Buffer {
  const records = Array.from({ length: RECORDS_PER_BATCH }, (_, i) => ({
    key: Buffer.from(`key-${i}`),
    value: randomBytes(RECORD_VALUE_BYTES),
    timestamp: Date.now(),
  }));
  const w = new Writer(1 << 20);
  encodeRequestHeader(w, requestHeaderVersion(ApiKey.Produce, PRODUCE_VERSION), {
    requestApiKey: ApiKey.Produce,
    requestApiVersion: PRODUCE_VERSION,
    correlationId: 1,
    clientId: 'bench',
  });
  encodeProduceRequest(w, PRODUCE_VERSION, {
    acks: -1,
    timeoutMs: 30000,
    topicData: [
      {
        name: 'bench',
        partitionData: Array.from({ length: PARTITIONS }, (_, index) => ({
          index,
          records: buildRecordBatch({ records }),
        })),
      },
    ],
  });
  return w.toBuffer();
}

/**
 * What the broker does with every Produce frame before touching storage:
 * decode the header and body (records stay zero-copy slices), then validate
 * every batch header and its CRC32C. Returns the number of batches seen.
 */
function decodeAndValidate(frame: Buffer): number {
  const reader = new Reader(frame);
  const header = decodeRequestHeader(reader, 2);
  const request = decodeProduceRequest(reader, header.requestApiVersion);
  let batches = 0;
  for (const topic of request.topicData) {
    for (const partition of topic.partitionData) {
      const records = partition.records;
      if (records === null) continue;
      let at = 0;
      while (at < records.length) {
        const result = validateBatch(records, at, records.length, { origin: 'client' });
        if (!result.ok) throw new Error(`bench batch invalid: ${result.message}`);
        at += result.sizeBytes;
        batches++;
      }
    }
  }
  return batches;
}

/** Decode + validate throughput of a 1 MiB Produce request, compared with raw CRC32C over the same bytes. */
export const protocolDecode: Suite = {
  name: 'protocol.decode',
  description: 'decode + validate a 1 MiB Produce request (header, body, every batch CRC), vs raw CRC32C',
  async run(ctx) {
    const frame = buildProduceFrame();
    for (let i = 0; i < 50; i++) decodeAndValidate(frame); // warm up
    // Decode and the raw CRC32C baseline run in alternating short slices, so
    // that a busy neighbour slows both alike and the ratio stays meaningful.
    let decodeRounds = 0;
    let decodeMs = 0;
    let crcRounds = 0;
    let crcMs = 0;
    let state = 0;
    const sliceMs = 50;
    const end = performance.now() + ctx.durationMs;
    while (performance.now() < end) {
      let start = performance.now();
      while (performance.now() - start < sliceMs) {
        decodeAndValidate(frame);
        decodeRounds++;
      }
      decodeMs += performance.now() - start;
      start = performance.now();
      while (performance.now() - start < sliceMs) {
        state = crc32c(frame, state);
        crcRounds++;
      }
      crcMs += performance.now() - start;
    }
    if (state === -1) ctx.log('impossible checksum');
    ctx.log(`protocol.decode: ${decodeRounds} requests of ${frame.length} bytes`);
    return [
      {
        metric: 'throughput',
        value: (decodeRounds * frame.length) / 1e6 / (decodeMs / 1000),
        unit: 'MB/s',
        ratioTo: 'protocol.decode.crc32c-same-bytes',
      },
      { metric: 'crc32c-same-bytes', value: (crcRounds * frame.length) / 1e6 / (crcMs / 1000), unit: 'MB/s' },
      { metric: 'requests', value: decodeRounds / (decodeMs / 1000), unit: 'req/s' },
    ];
  },
};

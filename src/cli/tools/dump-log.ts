/**
 * kafka-dump-log.sh: prints what is inside log segment files (.log), offset
 * indexes (.index) and time indexes (.timeindex), read straight from disk,
 * in Kafka's line formats:
 *
 *   Dumping /data/orders-0/00000000000000000000.log
 *   Log starting offset: 0
 *   baseOffset: 0 lastOffset: 1 count: 2 baseSequence: -1 lastSequence: -1 producerId: -1 ... crc: 123 isvalid: true
 *   | offset: 0 CreateTime: 1700000000000 keySize: -1 valueSize: 5 sequence: -1 headerKeys: [] payload: hello
 *
 * --deep-iteration prints each record; --print-data-log adds keys and
 * payloads (and implies deep iteration); --offsets-decoder decodes
 * __consumer_offsets records into JSON.
 */
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { Reader } from '../../protocol/primitives/reader.js';
import { computeBatchCrc, iterateBatches, readBatchHeader, MAGIC_AT } from '../../protocol/records/batch-header.js';
import { decodeRecordBatch } from '../../protocol/records/batch-decoder.js';
import { decodeControlRecordKey, decodeEndTxnMarker, ControlRecordType } from '../../protocol/records/control-record.js';
import { compressionName } from '../../protocol/compression/codec.js';
import { decodeOffsetCommitKey } from '../../protocol/generated/group-coordinator/offset-commit-key.js';
import { decodeOffsetCommitValue } from '../../protocol/generated/group-coordinator/offset-commit-value.js';
import { decodeGroupMetadataKey } from '../../protocol/generated/group-coordinator/group-metadata-key.js';
import { decodeGroupMetadataValue } from '../../protocol/generated/group-coordinator/group-metadata-value.js';
import { OFFSET_INDEX_ENTRY_BYTES } from '../../storage/offset-index.js';
import { TIME_INDEX_ENTRY_BYTES } from '../../storage/time-index.js';
import { ToolError, UsageError, collect, createProgram, flag, list, parseProgram, runTool, writeOut } from './lib/common.js';
import type { CompressionCodec } from '../../protocol/compression/codec.js';

/** Kafka's names for the control record types other than transaction markers (KRaft's). */
const CONTROL_TYPE_NAMES: Readonly<Record<number, string>> = {
  [ControlRecordType.leaderChange]: 'LEADER_CHANGE',
  [ControlRecordType.snapshotHeader]: 'SNAPSHOT_HEADER',
  [ControlRecordType.snapshotFooter]: 'SNAPSHOT_FOOTER',
  [ControlRecordType.kraftVersion]: 'KRAFT_VERSION',
  [ControlRecordType.kraftVoters]: 'KRAFT_VOTERS',
};

const TIMESTAMP_TYPES = ['CreateTime', 'LogAppendTime'];

function json(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v === 'bigint') return Number(v);
    if (Buffer.isBuffer(v)) return v.toString('base64');
    if (v !== null && typeof v === 'object' && 'type' in v && (v as { type: unknown }).type === 'Buffer' && 'data' in v) {
      return Buffer.from((v as { data: number[] }).data).toString('base64');
    }
    return v;
  });
}

/** __consumer_offsets records: key version 0/1 is an offset commit, 2 is group metadata. */
function decodeOffsetsRecord(key: Buffer | null, value: Buffer | null, offset: number): { key: string; payload: string | null } {
  if (key === null) throw new ToolError(`Failed to decode message at offset ${offset} using offset topic decoder (message had a missing key)`);
  try {
    const kr = new Reader(key);
    const keyVersion = kr.readInt16();
    if (keyVersion <= 1) {
      const k = decodeOffsetCommitKey(kr, keyVersion);
      let payload: string = '<DELETE>';
      if (value !== null) {
        const vr = new Reader(value);
        const v = vr.readInt16();
        payload = json({ version: String(v), data: decodeOffsetCommitValue(vr, v) });
      }
      return { key: json({ type: String(keyVersion), data: k }), payload };
    }
    if (keyVersion === 2) {
      const k = decodeGroupMetadataKey(kr, keyVersion);
      let payload: string = '<DELETE>';
      if (value !== null) {
        const vr = new Reader(value);
        const v = vr.readInt16();
        payload = json({ version: String(v), data: decodeGroupMetadataValue(vr, v) });
      }
      return { key: json({ type: String(keyVersion), data: k }), payload };
    }
    return { key: `Unknown record type ${keyVersion} at offset ${offset}, skipping.`, payload: null };
  } catch (error) {
    return { key: `Error at offset ${offset}, skipping. ${error instanceof Error ? error.message : String(error)}`, payload: null };
  }
}

function dumpLog(file: string, data: Buffer, opts: { deep: boolean; printData: boolean; offsetsDecoder: boolean; maxBytes: number }): string[] {
  const out: string[] = [];
  const startOffset = Number(basename(file).split('.')[0]);
  out.push(`Log starting offset: ${Number.isFinite(startOffset) ? startOffset : 0}`);
  const buf = data.subarray(0, Math.min(data.length, opts.maxBytes));
  const walk = iterateBatches(buf);
  let validBytes = 0;
  for (const span of walk.batches) {
    const magic = buf[span.offset + MAGIC_AT]!;
    if (magic !== 2) {
      out.push(`offset: ${buf.readBigInt64BE(span.offset)} position: ${span.offset} (legacy message format v${magic}, not decoded) size: ${span.sizeBytes}`);
      validBytes += span.sizeBytes;
      continue;
    }
    const h = readBatchHeader(buf, span.offset);
    const valid = computeBatchCrc(buf, span.offset) === h.crc;
    const lastOffset = h.baseOffset + h.lastOffsetDelta;
    const lastSequence = h.baseSequence < 0 ? -1 : (h.baseSequence + h.lastOffsetDelta) % 2 ** 31;
    out.push(
      `baseOffset: ${h.baseOffset} lastOffset: ${lastOffset} count: ${h.recordCount} baseSequence: ${h.baseSequence} lastSequence: ${lastSequence}` +
        ` producerId: ${h.producerId} producerEpoch: ${h.producerEpoch} partitionLeaderEpoch: ${h.partitionLeaderEpoch}` +
        ` isTransactional: ${h.isTransactional} isControl: ${h.isControl} deleteHorizonMs: ${h.hasDeleteHorizon ? `OptionalLong[${h.baseTimestamp}]` : 'OptionalLong.empty'}` +
        ` position: ${span.offset} ${TIMESTAMP_TYPES[h.timestampType]}: ${h.maxTimestamp} size: ${span.sizeBytes} magic: ${h.magic}` +
        ` compresscodec: ${compressionName(h.compression as CompressionCodec) ?? 'unknown'} crc: ${h.crc >>> 0} isvalid: ${valid}`,
    );
    if (opts.deep && valid) {
      const batch = decodeRecordBatch(buf, span.offset);
      batch.records.forEach((r, i) => {
        const sequence = h.baseSequence < 0 ? -1 : (h.baseSequence + r.offsetDelta) % 2 ** 31;
        let line =
          `| offset: ${r.offset} ${TIMESTAMP_TYPES[h.timestampType]}: ${r.timestamp} keySize: ${r.key?.length ?? -1} valueSize: ${r.value?.length ?? -1}` +
          ` sequence: ${sequence} headerKeys: [${r.headers.map((x) => x.key).join(', ')}]`;
        if (h.isControl) {
          const type = decodeControlRecordKey(r.key).type;
          if (type === ControlRecordType.abort || type === ControlRecordType.commit) {
            line += ` endTxnMarker: ${type === ControlRecordType.commit ? 'COMMIT' : 'ABORT'} coordinatorEpoch: ${decodeEndTxnMarker(r.value).coordinatorEpoch}`;
          } else {
            line += ` controlType: ${CONTROL_TYPE_NAMES[type] ?? 'UNKNOWN'}(${type})`;
          }
        } else if (opts.printData) {
          if (opts.offsetsDecoder) {
            const decoded = decodeOffsetsRecord(r.key, r.value, r.offset);
            line += ` key: ${decoded.key}`;
            if (decoded.payload !== null) line += ` payload: ${decoded.payload}`;
          } else {
            if (r.key !== null) line += ` key: ${r.key.toString('utf8')}`;
            if (r.value !== null) line += ` payload: ${r.value.toString('utf8')}`;
          }
        }
        void i;
        out.push(line);
      });
    }
    validBytes += span.sizeBytes;
  }
  const trailing = buf.length - validBytes;
  if (trailing > 0 && opts.maxBytes === Number.MAX_SAFE_INTEGER) out.push(`Found ${trailing} invalid bytes at the end of ${basename(file)}`);
  return out;
}

function dumpOffsetIndex(file: string, data: Buffer): string[] {
  const base = BigInt(basename(file).split('.')[0] ?? '0');
  const out: string[] = [];
  for (let at = 0; at + OFFSET_INDEX_ENTRY_BYTES <= data.length; at += OFFSET_INDEX_ENTRY_BYTES) {
    const relative = data.readInt32BE(at);
    const position = data.readInt32BE(at + 4);
    // Preallocated index files end in zeros: the first all-zero entry after the start ends it.
    if (at > 0 && relative === 0 && position === 0) break;
    out.push(`offset: ${base + BigInt(relative)} position: ${position}`);
  }
  return out;
}

function dumpTimeIndex(file: string, data: Buffer): string[] {
  const base = BigInt(basename(file).split('.')[0] ?? '0');
  const out: string[] = [];
  for (let at = 0; at + TIME_INDEX_ENTRY_BYTES <= data.length; at += TIME_INDEX_ENTRY_BYTES) {
    const timestamp = data.readBigInt64BE(at);
    const relative = data.readInt32BE(at + 8);
    if (at > 0 && timestamp === 0n && relative === 0) break;
    out.push(`timestamp: ${timestamp} offset: ${base + BigInt(relative)}`);
  }
  return out;
}

export async function main(argv: string[]): Promise<number> {
  const program = createProgram('kafka-dump-log.sh', 'This tool helps to parse a log file and dump its contents to the console, useful for debugging a seemingly corrupt log segment.')
    .option('--files <file1, file2, ...>', 'REQUIRED: The comma separated list of data and index log files to be dumped.', collect)
    .option('--deep-iteration', 'If set, uses deep instead of shallow iteration. Automatically set if print-data-log is enabled.')
    .option('--print-data-log', 'If set, printing the messages content when dumping data logs. Automatically set if any decoder option is specified.')
    .option('--offsets-decoder', 'If set, log data will be parsed as offset data from the __consumer_offsets topic.')
    .option('--max-bytes <size>', 'Limit the amount of total batches read in bytes avoiding reading the whole .log file(s).')
    .option('--index-sanity-check', 'If set, just checks the index sanity without printing its content.')
    .option('--verify-index-only', 'If set, just verify the index log without printing its content.')
    .option('--key-decoder-class <class>', 'Only the default string decoder is supported.')
    .option('--value-decoder-class <class>', 'Only the default string decoder is supported.');
  const opts = parseProgram(program, argv);
  const files = list(opts, 'files').flatMap((f) => f.split(',')).map((f) => f.trim()).filter((f) => f !== '');
  if (files.length === 0) throw new UsageError('Missing required argument "[files]"');
  const offsetsDecoder = flag(opts, 'offsetsDecoder');
  const printData = flag(opts, 'printDataLog') || offsetsDecoder;
  const deep = flag(opts, 'deepIteration') || printData;
  const maxBytesText = opts['maxBytes'];
  const maxBytes = typeof maxBytesText === 'string' ? Number(maxBytesText) : Number.MAX_SAFE_INTEGER;
  const indexOnly = flag(opts, 'indexSanityCheck') || flag(opts, 'verifyIndexOnly');

  for (const file of files) {
    let data: Buffer;
    try {
      if (!statSync(file).isFile()) throw new Error('not a file');
      data = readFileSync(file);
    } catch {
      throw new ToolError(`Error: ${file} (No such file or directory)`);
    }
    let lines: string[];
    if (file.endsWith('.log')) lines = dumpLog(file, data, { deep, printData, offsetsDecoder, maxBytes });
    else if (file.endsWith('.timeindex')) lines = indexOnly ? [`${file} passed sanity check.`] : dumpTimeIndex(file, data);
    else if (file.endsWith('.index')) lines = indexOnly ? [`${file} passed sanity check.`] : dumpOffsetIndex(file, data);
    else {
      await writeOut(`Dumping ${file}\n`);
      throw new ToolError(`Ignoring unknown file ${file}`);
    }
    await writeOut(`Dumping ${file}\n${lines.length > 0 ? `${lines.join('\n')}\n` : ''}`);
  }
  return 0;
}

runTool(main);

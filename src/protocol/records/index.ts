export * from './batch-header.js';
export { buildRecordBatch, type BuildBatchOptions, type RecordInput } from './batch-builder.js';
export {
  DECODED_RECORDS_BYTES_MAX,
  decodeRecordBatch,
  decodeRecordBatches,
  type DecodeBatchOptions,
  type DecodedBatch,
  type DecodedRecord,
} from './batch-decoder.js';
export {
  decodeRecord,
  encodeRecord,
  recordBodySizeBytes,
  recordSizeBytes,
  varintSizeBytes,
  varlongSizeBytes,
  type KafkaRecord,
  type Record,
  type RecordHeader,
} from './record.js';
export {
  CONTROL_KEY_VERSION,
  ControlRecordType,
  END_TXN_MARKER_VERSION,
  buildControlBatch,
  buildEndTxnMarkerBatch,
  decodeControlRecordKey,
  decodeEndTxnMarker,
  encodeControlRecordKey,
  encodeEndTxnMarker,
  type ControlBatchRecord,
  type ControlRecordKey,
  type EndTxnMarker,
  type EndTxnMarkerBatchOptions,
} from './control-record.js';
export { InvalidRecordsError } from './invalid-records-error.js';
export {
  LEGACY_DECOMPRESSED_BYTES_MAX,
  LEGACY_V0_SIZE_MIN,
  LEGACY_V1_SIZE_MIN,
  buildLegacyMessageSet,
  decodeLegacyMessageSet,
  legacyMessageSetCompleteBytes,
  legacySizeMin,
  readLegacyMessage,
  type BuildLegacyOptions,
  type DecodeLegacyOptions,
  type LegacyMagic,
  type LegacyMessage,
  type LegacyRecord,
  type LegacyRecordInput,
} from './legacy-message.js';
export {
  batchesToLegacyMessageSet,
  legacyMessageSetToBatch,
  type DownConvertOptions,
  type UpConvertOptions,
} from './legacy-convert.js';

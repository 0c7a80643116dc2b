/**
 * KRaft metadata records as the controller writes them to `__cluster_metadata`.
 *
 * Each record is framed the way Kafka's metadata serde frames it: a frame
 * version (uvarint, 1), the record's api key (uvarint), its version (uvarint),
 * then the record body. Only the record types a single-node cluster needs are
 * modelled; an unknown type found on replay is an error, never skipped, so a
 * newer log is not silently misread by an older broker.
 */
import { Reader } from '../protocol/primitives/reader.js';
import { Writer } from '../protocol/primitives/writer.js';
import { DecodeError } from '../protocol/primitives/decode-error.js';
import {
  decodeConfigRecord,
  decodeFeatureLevelRecord,
  decodeNoOpRecord,
  decodePartitionRecord,
  decodeRegisterBrokerRecord,
  decodeRemoveTopicRecord,
  decodeTopicRecord,
  encodeConfigRecord,
  encodeFeatureLevelRecord,
  encodeNoOpRecord,
  encodePartitionRecord,
  encodeRegisterBrokerRecord,
  encodeRemoveTopicRecord,
  encodeTopicRecord,
  type ConfigRecord,
  type FeatureLevelRecord,
  type NoOpRecord,
  type PartitionRecord,
  type RegisterBrokerRecord,
  type RemoveTopicRecord,
  type TopicRecord,
} from '../protocol/generated/index.js';

const FRAME_VERSION = 1;

/** Kafka's api keys for metadata records. */
export const MetadataRecordType = {
  RegisterBroker: 0,
  Topic: 2,
  Partition: 3,
  Config: 4,
  RemoveTopic: 9,
  FeatureLevel: 12,
  NoOp: 20,
} as const;

export type MetadataRecord =
  | { type: 'RegisterBroker'; data: RegisterBrokerRecord }
  | { type: 'Topic'; data: TopicRecord }
  | { type: 'Partition'; data: PartitionRecord }
  | { type: 'Config'; data: ConfigRecord }
  | { type: 'RemoveTopic'; data: RemoveTopicRecord }
  | { type: 'FeatureLevel'; data: FeatureLevelRecord }
  | { type: 'NoOp'; data: NoOpRecord };

/** ConfigRecord resource types (Kafka's ConfigResource.Type ids). */
export const ConfigResourceType = { topic: 2, broker: 4 } as const;

/** The version we write of each record type. */
const writeVersion: Record<MetadataRecord['type'], number> = {
  RegisterBroker: 3,
  Topic: 0,
  Partition: 0,
  Config: 0,
  RemoveTopic: 0,
  FeatureLevel: 0,
  NoOp: 0,
};

export function encodeMetadataRecord(record: MetadataRecord): Buffer {
  const w = new Writer(64);
  const version = writeVersion[record.type];
  w.writeUVarint(FRAME_VERSION);
  w.writeUVarint(MetadataRecordType[record.type]);
  w.writeUVarint(version);
  switch (record.type) {
    case 'RegisterBroker':
      encodeRegisterBrokerRecord(w, version, record.data);
      break;
    case 'Topic':
      encodeTopicRecord(w, version, record.data);
      break;
    case 'Partition':
      encodePartitionRecord(w, version, record.data);
      break;
    case 'Config':
      encodeConfigRecord(w, version, record.data);
      break;
    case 'RemoveTopic':
      encodeRemoveTopicRecord(w, version, record.data);
      break;
    case 'FeatureLevel':
      encodeFeatureLevelRecord(w, version, record.data);
      break;
    case 'NoOp':
      encodeNoOpRecord(w, version, record.data);
      break;
  }
  return w.toBuffer();
}

export function decodeMetadataRecord(buf: Buffer): MetadataRecord {
  const r = new Reader(buf);
  const frameVersion = r.readUVarint();
  if (frameVersion !== FRAME_VERSION) throw new DecodeError(`unknown metadata frame version ${frameVersion}`);
  const apiKey = r.readUVarint();
  const version = r.readUVarint();
  let record: MetadataRecord;
  switch (apiKey) {
    case MetadataRecordType.RegisterBroker:
      record = { type: 'RegisterBroker', data: decodeRegisterBrokerRecord(r, version) };
      break;
    case MetadataRecordType.Topic:
      record = { type: 'Topic', data: decodeTopicRecord(r, version) };
      break;
    case MetadataRecordType.Partition:
      record = { type: 'Partition', data: decodePartitionRecord(r, version) };
      break;
    case MetadataRecordType.Config:
      record = { type: 'Config', data: decodeConfigRecord(r, version) };
      break;
    case MetadataRecordType.RemoveTopic:
      record = { type: 'RemoveTopic', data: decodeRemoveTopicRecord(r, version) };
      break;
    case MetadataRecordType.FeatureLevel:
      record = { type: 'FeatureLevel', data: decodeFeatureLevelRecord(r, version) };
      break;
    case MetadataRecordType.NoOp:
      record = { type: 'NoOp', data: decodeNoOpRecord(r, version) };
      break;
    default:
      throw new DecodeError(`unknown metadata record type ${apiKey}`);
  }
  if (r.remaining !== 0) throw new DecodeError(`${r.remaining} trailing bytes after a ${record.type} record`);
  return record;
}

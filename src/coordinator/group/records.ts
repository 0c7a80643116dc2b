/**
 * The records the group coordinator keeps in `__consumer_offsets`, in Kafka's
 * own layout so tools that read the topic directly understand them:
 * key = int16 version + key struct, value = int16 version + value struct,
 * and a null value is a tombstone (the thing was deleted).
 *
 * Key versions 0 and 1 are offset commits, 2 is classic group metadata; higher
 * versions belong to the KIP-848 consumer/share groups, which this coordinator
 * does not run yet and skips on replay.
 */
import { Reader } from '../../protocol/primitives/reader.js';
import { Writer } from '../../protocol/primitives/writer.js';
import {
  decodeGroupMetadataKey,
  encodeGroupMetadataKey,
} from '../../protocol/generated/group-coordinator/group-metadata-key.js';
import {
  decodeGroupMetadataValue,
  encodeGroupMetadataValue,
  groupMetadataValueVersions,
  type GroupMetadataValue,
  type GroupMetadataValueInput,
} from '../../protocol/generated/group-coordinator/group-metadata-value.js';
import { decodeOffsetCommitKey, encodeOffsetCommitKey } from '../../protocol/generated/group-coordinator/offset-commit-key.js';
import {
  decodeOffsetCommitValue,
  encodeOffsetCommitValue,
  offsetCommitValueVersions,
  type OffsetCommitValue,
} from '../../protocol/generated/group-coordinator/offset-commit-value.js';

/** One key/value pair bound for (or read from) a `__consumer_offsets` partition. */
export interface CoordinatorRecord {
  readonly key: Buffer;
  /** null = tombstone. */
  readonly value: Buffer | null;
}

/** The offset commit key version Kafka writes (1; 0 was the ZooKeeper-era twin with the same layout). */
const offsetCommitKeyVersion = 1;
const groupMetadataKeyVersion = 2;
/** GroupMetadataValue v3 carries group.instance.id; Kafka writes it for every current metadata version. */
const groupMetadataValueVersion = 3;

export type DecodedRecord =
  | { readonly type: 'offset'; readonly group: string; readonly topic: string; readonly partition: number; readonly value: OffsetCommitValue | null }
  | { readonly type: 'group'; readonly group: string; readonly value: GroupMetadataValue | null }
  | { readonly type: 'other'; readonly keyVersion: number };

export interface StoredOffset {
  readonly offset: bigint;
  readonly leaderEpoch: number;
  readonly metadata: string;
  readonly commitTimestampMs: number;
  /** Only set by OffsetCommit v2-v4 clients that asked for their own retention. */
  readonly expireTimestampMs: number | null;
}

function withVersion(version: number, encode: (w: Writer) => void): Buffer {
  const w = new Writer(64);
  w.writeInt16(version);
  encode(w);
  return w.toBuffer();
}

export function offsetCommitRecord(group: string, topic: string, partition: number, offset: StoredOffset): CoordinatorRecord {
  const key = withVersion(offsetCommitKeyVersion, (w) => encodeOffsetCommitKey(w, offsetCommitKeyVersion, { group, topic, partition }));
  // Like Kafka: v1 only when an explicit expire timestamp must be kept, otherwise v3 (adds the leader epoch).
  const valueVersion = offset.expireTimestampMs !== null ? 1 : 3;
  const value = withVersion(valueVersion, (w) =>
    encodeOffsetCommitValue(w, valueVersion, {
      offset: offset.offset,
      leaderEpoch: offset.leaderEpoch,
      metadata: offset.metadata,
      commitTimestamp: BigInt(offset.commitTimestampMs),
      expireTimestamp: offset.expireTimestampMs === null ? -1n : BigInt(offset.expireTimestampMs),
    }),
  );
  return { key, value };
}

export function offsetCommitTombstone(group: string, topic: string, partition: number): CoordinatorRecord {
  const key = withVersion(offsetCommitKeyVersion, (w) => encodeOffsetCommitKey(w, offsetCommitKeyVersion, { group, topic, partition }));
  return { key, value: null };
}

export function groupMetadataRecord(group: string, value: GroupMetadataValueInput): CoordinatorRecord {
  const key = withVersion(groupMetadataKeyVersion, (w) => encodeGroupMetadataKey(w, groupMetadataKeyVersion, { group }));
  return { key, value: withVersion(groupMetadataValueVersion, (w) => encodeGroupMetadataValue(w, groupMetadataValueVersion, value)) };
}

export function groupMetadataTombstone(group: string): CoordinatorRecord {
  const key = withVersion(groupMetadataKeyVersion, (w) => encodeGroupMetadataKey(w, groupMetadataKeyVersion, { group }));
  return { key, value: null };
}

/**
 * Decodes one record. Throws (a DecodeError or RangeError) on bytes that do
 * not parse; unknown key versions come back as `other` so newer record types
 * are skipped rather than fatal.
 */
export function decodeCoordinatorRecord(key: Buffer, value: Buffer | null): DecodedRecord {
  const kr = new Reader(key);
  const keyVersion = kr.readInt16();
  if (keyVersion === 0 || keyVersion === 1) {
    const k = decodeOffsetCommitKey(kr, keyVersion);
    if (value === null) return { type: 'offset', group: k.group, topic: k.topic, partition: k.partition, value: null };
    const vr = new Reader(value);
    const valueVersion = vr.readInt16();
    if (valueVersion < offsetCommitValueVersions.min || valueVersion > offsetCommitValueVersions.max) {
      throw new RangeError(`unknown offset commit value version ${valueVersion}`);
    }
    return { type: 'offset', group: k.group, topic: k.topic, partition: k.partition, value: decodeOffsetCommitValue(vr, valueVersion) };
  }
  if (keyVersion === 2) {
    const k = decodeGroupMetadataKey(kr, keyVersion);
    if (value === null) return { type: 'group', group: k.group, value: null };
    const vr = new Reader(value);
    const valueVersion = vr.readInt16();
    if (valueVersion < groupMetadataValueVersions.min || valueVersion > groupMetadataValueVersions.max) {
      throw new RangeError(`unknown group metadata value version ${valueVersion}`);
    }
    return { type: 'group', group: k.group, value: decodeGroupMetadataValue(vr, valueVersion) };
  }
  return { type: 'other', keyVersion };
}

export function storedOffsetFromValue(value: OffsetCommitValue): StoredOffset {
  return {
    offset: value.offset,
    leaderEpoch: value.leaderEpoch,
    metadata: value.metadata,
    commitTimestampMs: Number(value.commitTimestamp),
    expireTimestampMs: value.expireTimestamp < 0n ? null : Number(value.expireTimestamp),
  };
}

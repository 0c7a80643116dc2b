/**
 * Kafka's on-disk names: `<topic>-<partition>/` per partition, and per segment
 * files named by the 20-digit zero-padded base offset.
 */
export const LOG_SUFFIX = '.log';
export const INDEX_SUFFIX = '.index';
export const TIME_INDEX_SUFFIX = '.timeindex';
export const TXN_INDEX_SUFFIX = '.txnindex';
export const DELETED_SUFFIX = '.deleted';
export const CLEANED_SUFFIX = '.cleaned';
export const SWAP_SUFFIX = '.swap';
export const LEADER_EPOCH_CHECKPOINT = 'leader-epoch-checkpoint';
export const PARTITION_METADATA_FILE = 'partition.metadata';
export const META_PROPERTIES_FILE = 'meta.properties';
export const RECOVERY_POINT_CHECKPOINT = 'recovery-point-offset-checkpoint';
export const LOG_START_OFFSET_CHECKPOINT = 'log-start-offset-checkpoint';
export const REPLICATION_OFFSET_CHECKPOINT = 'replication-offset-checkpoint';
export const CLEANER_OFFSET_CHECKPOINT = 'cleaner-offset-checkpoint';
export const CLEAN_SHUTDOWN_FILE = '.kafka_cleanshutdown';
/** Suffix Kafka gives a partition directory scheduled for deletion. */
export const DELETE_DIR_SUFFIX = '-delete';

export function offsetFileStem(offset: number): string {
  if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`bad base offset ${offset}`);
  return String(offset).padStart(20, '0');
}

export function segmentFileName(baseOffset: number, suffix: string): string {
  return offsetFileStem(baseOffset) + suffix;
}

/** The base offset of `00000000000000001234.log` (with any suffix), or undefined when not a segment-ish name. */
export function parseOffsetFileName(name: string): { baseOffset: number; suffix: string } | undefined {
  if (name.length < 21 || !/^\d{20}\./.test(name)) return undefined;
  const baseOffset = Number(name.slice(0, 20));
  if (!Number.isSafeInteger(baseOffset)) return undefined;
  return { baseOffset, suffix: name.slice(20) };
}

export interface TopicPartition {
  topic: string;
  partition: number;
}

export function partitionDirName(tp: TopicPartition): string {
  return `${tp.topic}-${tp.partition}`;
}

/** Splits at the last '-', as Kafka does (topic names may contain '-'). */
export function parsePartitionDirName(name: string): TopicPartition | undefined {
  const at = name.lastIndexOf('-');
  if (at <= 0 || at === name.length - 1) return undefined;
  const digits = name.slice(at + 1);
  if (!/^\d+$/.test(digits)) return undefined;
  const partition = Number(digits);
  if (!Number.isSafeInteger(partition) || partition > 0x7fffffff) return undefined;
  return { topic: name.slice(0, at), partition };
}

export function topicPartitionKey(tp: TopicPartition): string {
  return `${tp.topic}-${tp.partition}`;
}

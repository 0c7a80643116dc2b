/**
 * Group coordinator settings. Names follow Kafka's broker configs (in the
 * doc comments) and defaults are Kafka's, so a server.properties written for
 * Kafka means the same thing here.
 */
export interface GroupCoordinatorConfig {
  /** offsets.topic.num.partitions: how many `__consumer_offsets` partitions groups are spread over. */
  readonly offsetsTopicPartitions: number;
  /** group.min.session.timeout.ms */
  readonly minSessionTimeoutMs: number;
  /** group.max.session.timeout.ms */
  readonly maxSessionTimeoutMs: number;
  /** group.initial.rebalance.delay.ms: how long a new (Empty) group waits for more members before its first generation. */
  readonly initialRebalanceDelayMs: number;
  /** group.max.size */
  readonly groupMaxSize: number;
  /**
   * How long a JoinGroup of a brand-new member may stay parked. Kafka hard-codes
   * five minutes; it bounds defunct members left behind by clients that time out
   * and retry while a rebalance drags on.
   */
  readonly newMemberJoinTimeoutMs: number;
  /** offsets.retention.minutes, in milliseconds. */
  readonly offsetsRetentionMs: number;
  /** offsets.retention.check.interval.ms */
  readonly offsetsRetentionCheckIntervalMs: number;
  /** offset.metadata.max.bytes: longest metadata string a commit may carry (Kafka compares string length). */
  readonly offsetMetadataMaxBytes: number;
}

export const defaultGroupCoordinatorConfig: GroupCoordinatorConfig = Object.freeze({
  offsetsTopicPartitions: 50,
  minSessionTimeoutMs: 6_000,
  maxSessionTimeoutMs: 1_800_000,
  initialRebalanceDelayMs: 3_000,
  groupMaxSize: 2_147_483_647,
  newMemberJoinTimeoutMs: 300_000,
  offsetsRetentionMs: 10_080 * 60_000,
  offsetsRetentionCheckIntervalMs: 600_000,
  offsetMetadataMaxBytes: 4_096,
});

/** Kafka config name → field, for reading server.properties style maps. */
const configNames: ReadonlyArray<readonly [string, keyof GroupCoordinatorConfig, number]> = [
  ['offsets.topic.num.partitions', 'offsetsTopicPartitions', 1],
  ['group.min.session.timeout.ms', 'minSessionTimeoutMs', 1],
  ['group.max.session.timeout.ms', 'maxSessionTimeoutMs', 1],
  ['group.initial.rebalance.delay.ms', 'initialRebalanceDelayMs', 1],
  ['group.max.size', 'groupMaxSize', 1],
  ['offsets.retention.minutes', 'offsetsRetentionMs', 60_000],
  ['offsets.retention.check.interval.ms', 'offsetsRetentionCheckIntervalMs', 1],
  ['offset.metadata.max.bytes', 'offsetMetadataMaxBytes', 1],
];

/**
 * Builds a config from Kafka-named properties (e.g. parsed server.properties),
 * falling back to the defaults. Throws RangeError on a value that is not a
 * non-negative integer.
 */
export function groupCoordinatorConfigFromProperties(
  properties: Readonly<Record<string, string | number | undefined>>,
  base: GroupCoordinatorConfig = defaultGroupCoordinatorConfig,
): GroupCoordinatorConfig {
  const out: Record<keyof GroupCoordinatorConfig, number> = { ...base };
  for (const [name, field, scale] of configNames) {
    const raw = properties[name];
    if (raw === undefined) continue;
    const value = typeof raw === 'number' ? raw : Number(raw.trim());
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer, got ${String(raw)}`);
    out[field] = value * scale;
  }
  if (out.offsetsTopicPartitions < 1) throw new RangeError('offsets.topic.num.partitions must be at least 1');
  return Object.freeze(out);
}

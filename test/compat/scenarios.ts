/**
 * The one scenario list every client runs. Each client's driver implements
 * these ids with its own API; the descriptions here are the contract (and
 * what docs/compatibility.md shows), so a driver that cannot do exactly this
 * marks the scenario unsupported with a reason instead of doing something
 * easier.
 */
export const scenarios = [
  {
    id: 'metadata-admin',
    title: 'metadata and topic admin',
    description: 'create topic "admin-t" with 3 partitions; metadata lists it with 3 partitions, each with a leader; delete it; metadata stops listing it',
  },
  {
    id: 'produce-consume',
    title: 'produce/consume: keys, headers',
    description: 'produce 30 records (key k{i%5}, value v{i}, header h={i}) to a 3-partition topic; read all back from the beginning with key, value and header intact, one partition per key, in order per key',
  },
  {
    id: 'compression-gzip',
    title: 'compression gzip',
    description: 'produce 20 compressible records with compression gzip to a 1-partition topic; read the 20 back in order; every batch the broker stored is gzip',
  },
  {
    id: 'compression-snappy',
    title: 'compression snappy',
    description: 'as compression-gzip with snappy',
  },
  {
    id: 'compression-lz4',
    title: 'compression lz4',
    description: 'as compression-gzip with lz4',
  },
  {
    id: 'compression-zstd',
    title: 'compression zstd',
    description: 'as compression-gzip with zstd',
  },
  {
    id: 'consumer-group',
    title: 'consumer group: 3 members, rebalance',
    description: 'three members of one group subscribe to a 6-partition topic and end up with disjoint assignments covering all 6; one member leaves; the other two cover all 6 within 5 s, before its 6 s session could expire (so through LeaveGroup)',
  },
  {
    id: 'commit-resume',
    title: 'commit and resume',
    description: 'a group member reads 10 records of a 1-partition topic, commits offset 5 and closes; a new member of the same group starts at offset 5',
  },
  {
    id: 'idempotent-produce',
    title: 'idempotent produce',
    description: 'a producer with enable.idempotence=true (InitProducerId, sequence numbers) sends 10 records; exactly those 10 are read back in order; every stored batch carries a producer id',
  },
  {
    id: 'transactions',
    title: 'transactions: commit, abort, read_committed',
    description: 'transactional producer: commit c0..c4; send a0..a4 and abort; commit c5; a read_committed consumer reads exactly c0..c5; the broker holds only transactional data batches and 3 markers',
  },
  {
    id: 'list-offsets-time',
    title: 'list offsets by time',
    description: 'produce 3 records with timestamps T, T+10s, T+20s; ListOffsets for T-1s gives 0, for T+5s gives 1, for T+15s gives 2',
  },
  {
    id: 'delete-records',
    title: 'delete records',
    description: 'produce 10 records; DeleteRecords before offset 4; the earliest offset is then 4 and a read from the beginning starts at offset 4',
  },
  {
    id: 'configs',
    title: 'describe/alter configs',
    description: 'create a topic with retention.ms=3600000; DescribeConfigs shows it; alter it to 7200000 (incremental where the client has it, else AlterConfigs); DescribeConfigs shows 7200000',
  },
] as const;

export type ScenarioId = (typeof scenarios)[number]['id'];

export const scenarioIds: readonly ScenarioId[] = scenarios.map((s) => s.id);

export function isScenarioId(value: string): value is ScenarioId {
  return (scenarioIds as readonly string[]).includes(value);
}

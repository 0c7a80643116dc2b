/**
 * Admin: topics, partitions, configs, offsets, records, groups, cluster.
 *
 * Topic and config changes go to the controller the metadata names (a KRaft
 * broker forwards them anyway); offsets and record deletion go to each
 * partition's leader; group operations go to the group's coordinator.
 * A failure for one item throws a KafkaProtocolError whose message names the
 * item; retriable failures are retried first.
 */
import { ApiKey } from '../protocol/generated/api-registry.js';
import { ErrorCode } from '../protocol/errors/index.js';
import { Cluster, type BrokerInfo, type ClientOptions, type PartitionInfo } from './cluster.js';
import { decodeAssignment, decodeSubscription, groupByTopic, type TopicPartition } from './consumer-protocol.js';
import { KafkaConfigError, KafkaProtocolError, UnsupportedVersionError, checkErrorCode } from './errors.js';
import {
  commitOffsets,
  fetchCommittedOffsets,
  listOffsets,
  IsolationLevel,
  type CommittedOffset,
  type IsolationLevelName,
  type ListedOffset,
  type ListOffsetsRequestItem,
  type OffsetSpec,
  type OffsetToCommit,
} from './offsets.js';

export type AdminOptions = ClientOptions;

export interface NewTopic {
  name: string;
  /** Default -1: the broker's num.partitions. */
  numPartitions?: number;
  /** Default -1: the broker's default.replication.factor. */
  replicationFactor?: number;
  /** Explicit replica placement: partition -> broker ids. Excludes numPartitions/replicationFactor. */
  assignments?: Record<number, number[]>;
  configs?: Record<string, string>;
}

export interface CreateTopicsOptions {
  timeoutMs?: number;
  validateOnly?: boolean;
  /** Wait until the new topics have leaders in the metadata. Default true. */
  waitForLeaders?: boolean;
}

export interface TopicDescription {
  name: string;
  topicId: string;
  isInternal: boolean;
  partitions: PartitionInfo[];
}

export interface ClusterDescription {
  clusterId: string | null;
  controllerId: number;
  brokers: BrokerInfo[];
}

export const ConfigResourceType = { topic: 2, broker: 4, brokerLogger: 8, clientMetrics: 16, group: 32 } as const;
export type ConfigResourceTypeName = keyof typeof ConfigResourceType;

export const ConfigSource = {
  0: 'unknown',
  1: 'dynamicTopic',
  2: 'dynamicBroker',
  3: 'dynamicDefaultBroker',
  4: 'staticBroker',
  5: 'default',
  6: 'dynamicBrokerLogger',
  7: 'clientMetrics',
  8: 'group',
} as const;
export type ConfigSourceName = (typeof ConfigSource)[keyof typeof ConfigSource];

export interface ConfigResource {
  type: ConfigResourceTypeName;
  name: string;
  /** Only these keys; all when omitted. */
  keys?: string[];
}

export interface ConfigEntry {
  name: string;
  value: string | null;
  readOnly: boolean;
  isDefault: boolean;
  source: ConfigSourceName;
  isSensitive: boolean;
  synonyms: Array<{ name: string; value: string | null; source: ConfigSourceName }>;
  documentation: string | null;
}

export interface ConfigResourceResult {
  type: ConfigResourceTypeName;
  name: string;
  entries: ConfigEntry[];
}

export type AlterConfigOp = 'set' | 'delete' | 'append' | 'subtract';
const alterOpCodes: Record<AlterConfigOp, number> = { set: 0, delete: 1, append: 2, subtract: 3 };

export interface AlterConfigResource {
  type: ConfigResourceTypeName;
  name: string;
  changes: Array<{ name: string; op?: AlterConfigOp; value?: string | null }>;
}

export interface GroupListing {
  groupId: string;
  protocolType: string;
  state: string;
  type: string;
}

export interface GroupMemberDescription {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  /** Decoded when the group speaks the consumer protocol. */
  subscription: string[] | null;
  assignment: TopicPartition[] | null;
}

export interface GroupDescription {
  groupId: string;
  state: string;
  protocolType: string;
  /** The chosen assignor, for consumer groups. */
  protocol: string;
  members: GroupMemberDescription[];
}

export interface DeleteRecordsItem extends TopicPartition {
  /** Delete everything before this offset; -1 means up to the high watermark. */
  beforeOffset: bigint;
}

function sourceName(code: number): ConfigSourceName {
  return ConfigSource[code as keyof typeof ConfigSource] ?? 'unknown';
}

function typeName(code: number): ConfigResourceTypeName {
  const entry = Object.entries(ConfigResourceType).find(([, v]) => v === code);
  return (entry?.[0] ?? 'topic') as ConfigResourceTypeName;
}

export class Admin {
  readonly cluster: Cluster;
  private connected: Promise<void> | null = null;

  constructor(options: AdminOptions) {
    this.cluster = new Cluster(options);
  }

  /** Connects to the cluster. Optional: every method connects on first use. */
  connect(): Promise<void> {
    this.connected ??= this.cluster.connect().catch((error: unknown) => {
      this.connected = null;
      throw error;
    });
    return this.connected;
  }

  async close(): Promise<void> {
    await this.cluster.close();
  }

  // ---------------------------------------------------------------------------
  // Topics

  async createTopics(topics: NewTopic[], options: CreateTopicsOptions = {}): Promise<void> {
    await this.connect();
    const timeoutMs = options.timeoutMs ?? 30_000;
    let pending = topics;
    await this.cluster.retry(async () => {
      const response = await this.cluster.send('controller', ApiKey.CreateTopics, {
        timeoutMs,
        validateOnly: options.validateOnly ?? false,
        topics: pending.map((t) => {
          const assignments = Object.entries(t.assignments ?? {}).map(([p, brokerIds]) => ({ partitionIndex: Number(p), brokerIds }));
          return {
            name: t.name,
            numPartitions: assignments.length > 0 ? -1 : t.numPartitions ?? -1,
            replicationFactor: assignments.length > 0 ? -1 : t.replicationFactor ?? -1,
            assignments,
            configs: Object.entries(t.configs ?? {}).map(([name, value]) => ({ name, value })),
          };
        }),
      });
      const retry: NewTopic[] = [];
      let retriable: KafkaProtocolError | null = null;
      for (const r of response.topics) {
        if (r.errorCode === 0) continue;
        const error = new KafkaProtocolError(r.errorCode, `create topic "${r.name}": ${r.errorMessage ?? new KafkaProtocolError(r.errorCode).message}`);
        if (!error.retriable) throw error;
        retriable ??= error;
        const t = pending.find((x) => x.name === r.name);
        if (t !== undefined) retry.push(t);
      }
      pending = retry;
      if (retriable !== null) throw retriable;
    }, async (error) => {
      if (KafkaProtocolError.is(error, 'NOT_CONTROLLER')) await this.cluster.refreshMetadata().catch(() => {});
    });
    if (options.waitForLeaders !== false && options.validateOnly !== true) {
      await this.cluster.topicsMetadata(topics.map((t) => t.name));
    }
  }

  async deleteTopics(names: string[], options: { timeoutMs?: number } = {}): Promise<void> {
    await this.connect();
    const timeoutMs = options.timeoutMs ?? 30_000;
    await this.cluster.retry(async () => {
      const connection = await this.cluster.target('controller');
      const version = connection.versionFor(ApiKey.DeleteTopics);
      const response = await connection.request(
        ApiKey.DeleteTopics,
        version >= 6 ? { timeoutMs, topics: names.map((name) => ({ name })) } : { timeoutMs, topicNames: names },
      );
      for (const r of response.responses) {
        checkErrorCode(r.errorCode, r.errorMessage, `delete topic "${r.name ?? r.topicId}"`);
      }
    });
    this.cluster.removeTopics(names);
  }

  /** Topic names, without internal topics unless asked. */
  async listTopics(options: { includeInternal?: boolean } = {}): Promise<string[]> {
    await this.connect();
    await this.cluster.refreshMetadata([], true);
    return this.cluster
      .cachedTopics()
      .filter((t) => options.includeInternal === true || !t.isInternal)
      .map((t) => t.name)
      .sort();
  }

  /** Partitions, leaders, replicas and ISR of each topic. Throws UNKNOWN_TOPIC_OR_PARTITION for a missing one. */
  async describeTopics(names: string[]): Promise<TopicDescription[]> {
    await this.connect();
    await this.cluster.refreshMetadata(names);
    return names.map((name) => {
      const t = this.cluster.topic(name);
      if (t === undefined) throw new KafkaProtocolError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic "${name}" does not exist`);
      return { name: t.name, topicId: t.topicId, isInternal: t.isInternal, partitions: t.partitions.filter((p) => p !== undefined) };
    });
  }

  /** Grows topics to `count` partitions each. */
  async createPartitions(
    topics: Array<{ topic: string; count: number; assignments?: number[][] }>,
    options: { timeoutMs?: number; validateOnly?: boolean } = {},
  ): Promise<void> {
    await this.connect();
    await this.cluster.retry(async () => {
      const response = await this.cluster.send('controller', ApiKey.CreatePartitions, {
        timeoutMs: options.timeoutMs ?? 30_000,
        validateOnly: options.validateOnly ?? false,
        topics: topics.map((t) => ({
          name: t.topic,
          count: t.count,
          assignments: t.assignments === undefined ? null : t.assignments.map((brokerIds) => ({ brokerIds })),
        })),
      });
      for (const r of response.results) checkErrorCode(r.errorCode, r.errorMessage, `create partitions for "${r.name}"`);
    });
    if (options.validateOnly !== true) await this.cluster.refreshMetadata(topics.map((t) => t.topic));
  }

  // ---------------------------------------------------------------------------
  // Configs

  async describeConfigs(
    resources: ConfigResource[],
    options: { includeSynonyms?: boolean; includeDocumentation?: boolean } = {},
  ): Promise<ConfigResourceResult[]> {
    await this.connect();
    const results = await Promise.all(
      this.routeConfigResources(resources).map(async ([target, list]) =>
        this.cluster.retry(async () => {
          const response = await this.cluster.send(target, ApiKey.DescribeConfigs, {
            resources: list.map((r) => ({
              resourceType: ConfigResourceType[r.type],
              resourceName: r.name,
              configurationKeys: r.keys ?? null,
            })),
            includeSynonyms: options.includeSynonyms ?? false,
            includeDocumentation: options.includeDocumentation ?? false,
          });
          return response.results.map((r): ConfigResourceResult => {
            checkErrorCode(r.errorCode, r.errorMessage, `describe configs of ${typeName(r.resourceType)} "${r.resourceName}"`);
            return {
              type: typeName(r.resourceType),
              name: r.resourceName,
              entries: r.configs.map((c) => ({
                name: c.name,
                value: c.value,
                readOnly: c.readOnly,
                isDefault: c.isDefault || c.configSource === 5,
                source: sourceName(c.configSource),
                isSensitive: c.isSensitive,
                synonyms: c.synonyms.map((s) => ({ name: s.name, value: s.value, source: sourceName(s.source) })),
                documentation: c.documentation,
              })),
            };
          });
        }),
      ),
    );
    const flat = results.flat();
    return resources.map((r) => flat.find((x) => x.type === r.type && x.name === r.name)!);
  }

  async incrementalAlterConfigs(resources: AlterConfigResource[], options: { validateOnly?: boolean } = {}): Promise<void> {
    await this.connect();
    await Promise.all(
      this.routeConfigResources(resources).map(([target, list]) =>
        this.cluster.retry(async () => {
          const response = await this.cluster.send(target, ApiKey.IncrementalAlterConfigs, {
            validateOnly: options.validateOnly ?? false,
            resources: list.map((r) => ({
              resourceType: ConfigResourceType[r.type],
              resourceName: r.name,
              configs: r.changes.map((c) => ({ name: c.name, configOperation: alterOpCodes[c.op ?? 'set'], value: c.value ?? null })),
            })),
          });
          for (const r of response.responses) {
            checkErrorCode(r.errorCode, r.errorMessage, `alter configs of ${typeName(r.resourceType)} "${r.resourceName}"`);
          }
        }),
      ),
    );
  }

  /** A broker's own configs must be asked of that broker; the rest go to the controller. */
  private routeConfigResources<T extends { type: ConfigResourceTypeName; name: string }>(resources: T[]): Array<[number | 'controller', T[]]> {
    const routes = new Map<number | 'controller', T[]>();
    for (const r of resources) {
      const target: number | 'controller' =
        (r.type === 'broker' || r.type === 'brokerLogger') && r.name !== '' && Number.isInteger(Number(r.name)) ? Number(r.name) : 'controller';
      let list = routes.get(target);
      if (list === undefined) routes.set(target, (list = []));
      list.push(r);
    }
    return [...routes];
  }

  // ---------------------------------------------------------------------------
  // Offsets and records

  async listOffsets(items: ListOffsetsRequestItem[], options: { isolationLevel?: IsolationLevelName } = {}): Promise<ListedOffset[]> {
    await this.connect();
    return listOffsets(
      this.cluster,
      items,
      options.isolationLevel === 'read_committed' ? IsolationLevel.readCommitted : IsolationLevel.readUncommitted,
    );
  }

  /** Offsets of every partition of a topic: low (earliest) and high (latest) watermarks. */
  async fetchTopicOffsets(topic: string): Promise<Array<{ partition: number; low: bigint; high: bigint }>> {
    await this.connect();
    const [info] = await this.cluster.topicsMetadata([topic]);
    const partitions = info!.partitions.filter((p) => p !== undefined).map((p) => p.partition);
    const [low, high] = await Promise.all([
      listOffsets(this.cluster, partitions.map((partition) => ({ topic, partition, spec: 'earliest' as OffsetSpec }))),
      listOffsets(this.cluster, partitions.map((partition) => ({ topic, partition, spec: 'latest' as OffsetSpec }))),
    ]);
    return partitions.map((partition, i) => ({ partition, low: low[i]!.offset, high: high[i]!.offset }));
  }

  /** Deletes records before the given offsets; returns each partition's new low watermark. */
  async deleteRecords(items: DeleteRecordsItem[], options: { timeoutMs?: number } = {}): Promise<Array<TopicPartition & { lowWatermark: bigint }>> {
    await this.connect();
    await this.cluster.topicsMetadata([...new Set(items.map((i) => i.topic))]);
    const out = new Map<string, bigint>();
    await this.cluster.retry(async () => {
      const byLeader = new Map<number, DeleteRecordsItem[]>();
      for (const item of items) {
        if (out.has(`${item.topic}:${item.partition}`)) continue;
        const leader = this.cluster.leaderFor(item.topic, item.partition);
        if (leader < 0) throw new KafkaProtocolError(ErrorCode.LEADER_NOT_AVAILABLE, `no leader for ${item.topic}-${item.partition}`);
        let list = byLeader.get(leader);
        if (list === undefined) byLeader.set(leader, (list = []));
        list.push(item);
      }
      await Promise.all(
        [...byLeader].map(async ([leader, list]) => {
          const response = await this.cluster.send(leader, ApiKey.DeleteRecords, {
            timeoutMs: options.timeoutMs ?? 30_000,
            topics: [...groupItems(list)].map(([name, ps]) => ({
              name,
              partitions: ps.map((p) => ({ partitionIndex: p.partition, offset: p.beforeOffset })),
            })),
          });
          for (const t of response.topics) {
            for (const p of t.partitions) {
              checkErrorCode(p.errorCode, null, `delete records of ${t.name}-${p.partitionIndex}`);
              out.set(`${t.name}:${p.partitionIndex}`, p.lowWatermark);
            }
          }
        }),
      );
    });
    return items.map((i) => ({ topic: i.topic, partition: i.partition, lowWatermark: out.get(`${i.topic}:${i.partition}`)! }));
  }

  // ---------------------------------------------------------------------------
  // Cluster

  async describeCluster(): Promise<ClusterDescription> {
    await this.connect();
    const connection = await this.cluster.anyConnection();
    if (connection.supports(ApiKey.DescribeCluster)) {
      const response = await this.cluster.retry(() => connection.request(ApiKey.DescribeCluster, { includeClusterAuthorizedOperations: false }));
      checkErrorCode(response.errorCode, response.errorMessage, 'DescribeCluster');
      return {
        clusterId: response.clusterId,
        controllerId: response.controllerId,
        brokers: response.brokers
          .map((b) => ({ nodeId: b.brokerId, host: b.host, port: b.port, rack: b.rack }))
          .sort((a, b) => a.nodeId - b.nodeId),
      };
    }
    await this.cluster.refreshMetadata();
    return { clusterId: this.cluster.clusterId, controllerId: this.cluster.controllerId, brokers: this.cluster.brokerList() };
  }

  // ---------------------------------------------------------------------------
  // Groups

  /** Every group on every broker. */
  async listGroups(options: { states?: string[]; types?: string[] } = {}): Promise<GroupListing[]> {
    await this.connect();
    await this.cluster.refreshMetadata();
    const lists = await Promise.all(
      this.cluster.brokerList().map((b) =>
        this.cluster.retry(async () => {
          const response = await this.cluster.send(b.nodeId, ApiKey.ListGroups, {
            statesFilter: options.states ?? [],
            typesFilter: options.types ?? [],
          });
          checkErrorCode(response.errorCode, null, `ListGroups on node ${b.nodeId}`);
          return response.groups.map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, state: g.groupState, type: g.groupType }));
        }),
      ),
    );
    const seen = new Map<string, GroupListing>();
    for (const g of lists.flat()) seen.set(g.groupId, g);
    return [...seen.values()].sort((a, b) => a.groupId.localeCompare(b.groupId));
  }

  async describeGroups(groupIds: string[]): Promise<GroupDescription[]> {
    await this.connect();
    return Promise.all(
      groupIds.map((groupId) =>
        this.cluster.sendToCoordinator('group', groupId, ApiKey.DescribeGroups, { groups: [groupId] }, (response) => {
          const g = response.groups[0];
          if (g === undefined) throw new KafkaProtocolError(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'empty DescribeGroups response');
          checkErrorCode(g.errorCode, null, `describe group "${groupId}"`);
          const consumer = g.protocolType === 'consumer';
          return {
            groupId: g.groupId,
            state: g.groupState,
            protocolType: g.protocolType,
            protocol: g.protocolData,
            members: g.members.map((m) => ({
              memberId: m.memberId,
              groupInstanceId: m.groupInstanceId,
              clientId: m.clientId,
              clientHost: m.clientHost,
              subscription: consumer && m.memberMetadata.length > 0 ? safe(() => decodeSubscription(m.memberMetadata).topics) : null,
              assignment: consumer ? safe(() => decodeAssignment(m.memberAssignment).partitions) : null,
            })),
          };
        }),
      ),
    );
  }

  async deleteGroups(groupIds: string[]): Promise<void> {
    await this.connect();
    await Promise.all(
      groupIds.map((groupId) =>
        this.cluster.sendToCoordinator('group', groupId, ApiKey.DeleteGroups, { groupsNames: [groupId] }, (response) => {
          for (const r of response.results) checkErrorCode(r.errorCode, null, `delete group "${r.groupId}"`);
        }),
      ),
    );
  }

  /** The group's committed offsets (all of them, or for the given topics), with -1 for none. */
  async listConsumerGroupOffsets(groupId: string, options: { topics?: string[] } = {}): Promise<CommittedOffset[]> {
    await this.connect();
    let partitions: TopicPartition[] | undefined;
    if (options.topics !== undefined) {
      const infos = await this.cluster.topicsMetadata(options.topics, false);
      partitions = infos.flatMap((t) => t.partitions.filter((p) => p !== undefined).map((p) => ({ topic: t.name, partition: p.partition })));
    }
    const offsets = await fetchCommittedOffsets(this.cluster, groupId, partitions);
    return offsets.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  }

  /** Sets committed offsets of a group with no active members (Kafka refuses otherwise: UNKNOWN_MEMBER_ID). */
  async alterConsumerGroupOffsets(groupId: string, offsets: OffsetToCommit[]): Promise<void> {
    await this.connect();
    await commitOffsets(this.cluster, groupId, offsets);
  }

  /** Moves an inactive group's offsets for a topic to its earliest, latest or a timestamp's offset. */
  async resetConsumerGroupOffsets(groupId: string, topic: string, to: OffsetSpec): Promise<OffsetToCommit[]> {
    await this.connect();
    const [info] = await this.cluster.topicsMetadata([topic]);
    const partitions = info!.partitions.filter((p) => p !== undefined).map((p) => p.partition);
    const listed = await listOffsets(this.cluster, partitions.map((partition) => ({ topic, partition, spec: to })));
    let latest: ListedOffset[] | null = null;
    const offsets: OffsetToCommit[] = [];
    for (const l of listed) {
      let offset = l.offset;
      if (offset < 0n) {
        // No record at or after the timestamp: go to the end, as Kafka's tools do.
        latest ??= await listOffsets(this.cluster, partitions.map((partition) => ({ topic, partition, spec: 'latest' as OffsetSpec })));
        offset = latest.find((x) => x.partition === l.partition)!.offset;
      }
      offsets.push({ topic, partition: l.partition, offset });
    }
    await commitOffsets(this.cluster, groupId, offsets);
    return offsets;
  }

  /** Removes committed offsets (OffsetDelete); the group must not be subscribed to the topics. */
  async deleteConsumerGroupOffsets(groupId: string, partitions: TopicPartition[]): Promise<void> {
    await this.connect();
    const connection = await this.cluster.anyConnection();
    if (!connection.supports(ApiKey.OffsetDelete)) throw new UnsupportedVersionError('OffsetDelete', 'the broker does not support OffsetDelete');
    await this.cluster.sendToCoordinator(
      'group',
      groupId,
      ApiKey.OffsetDelete,
      {
        groupId,
        topics: [...groupByTopic(partitions)].map(([name, ps]) => ({ name, partitions: ps.map((partitionIndex) => ({ partitionIndex })) })),
      },
      (response) => {
        checkErrorCode(response.errorCode, null, `delete offsets of group "${groupId}"`);
        for (const t of response.topics) {
          for (const p of t.partitions) checkErrorCode(p.errorCode, null, `delete offset ${t.name}-${p.partitionIndex}`);
        }
      },
    );
  }
}

function groupItems<T extends TopicPartition>(items: T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    let list = out.get(item.topic);
    if (list === undefined) out.set(item.topic, (list = []));
    list.push(item);
  }
  return out;
}

function safe<T>(fn: () => T): T | null {
  try {
    return fn();
  } catch {
    return null;
  }
}

export { KafkaConfigError };

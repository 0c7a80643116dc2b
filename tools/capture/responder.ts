/**
 * The capture server's fake cluster: one broker (node 1) that answers just
 * enough for a real client to go on to its next request. Every answer is
 * built from the generated response types, so a client accepting it is also a
 * small check of our encoders. State is plain and deterministic: offsets count
 * up from 0, ids come from counters, nothing reads the clock.
 *
 * This is a recording aid, not a broker: no durability, no validation beyond
 * what keeps the conversation going.
 */
import { apiDefinitions, ApiKey, type ApiMessages } from '../../src/protocol/generated/index.js';
import * as generated from '../../src/protocol/generated/index.js';

/** The one node id this fake cluster has. */
export const NODE_ID = 1;

const NONE = 0;
const UNKNOWN_TOPIC_OR_PARTITION = 3;
const TOPIC_ALREADY_EXISTS = 36;
const UNSUPPORTED_VERSION = 35;
const GROUP_ID_NOT_FOUND = 69;

/** Longest a Fetch with nothing to return is held, whatever maxWaitMs the client asks. */
const FETCH_HOLD_MAX_MS = 500;

/** Default partition count of a topic the server starts with or creates without a count. */
export const GOLDEN_TOPIC = 'golden';
export const GOLDEN_PARTITIONS = 3;

interface TopicState {
  name: string;
  /** Kafka Uuid in base64url, as the generated codecs carry it. */
  id: string;
  partitions: PartitionState[];
}

interface PartitionState {
  /** Stored batches in offset order, base offset already rewritten. */
  batches: { baseOffset: bigint; lastOffset: bigint; bytes: Buffer }[];
  logEndOffset: bigint;
}

interface GroupState {
  generationId: number;
  protocolType: string;
  protocolName: string;
  leaderId: string;
  members: Map<string, { clientId: string; metadata: Buffer; assignment: Buffer }>;
  /** topic → partition → committed offset */
  offsets: Map<string, Map<number, bigint>>;
}

/** What a handler needs to know about the connection it answers on. */
export interface RequestContext {
  clientId: string;
  host: string;
  port: number;
}

/** A handler returns the response, null for "no response" (acks=0), or a promise of either. */
type Handler<K extends ApiKey> = (
  request: ApiMessages[K]['request'],
  version: number,
  ctx: RequestContext,
) => ApiMessages[K]['responseInput'] | null | Promise<ApiMessages[K]['responseInput'] | null>;

type HandlerTable = { [K in ApiKey]?: Handler<K> };

/** Deterministic Kafka Uuid (base64url of 16 bytes) from a small number. */
function uuidFor(n: number): string {
  const bytes = Buffer.alloc(16);
  bytes.write('samsa-golden', 0, 'latin1');
  bytes.writeUInt32BE(n, 12);
  return bytes.toString('base64url');
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Walks the batches (or legacy message-set entries) in a produce payload. Both
 * formats start with an 8-byte offset and a 4-byte length, which is all we need
 * to split them; the record count comes from the v2 header when there is one.
 */
function splitBatches(records: Buffer): { bytes: Buffer; recordCount: number; lastOffsetDelta: number }[] {
  const out: { bytes: Buffer; recordCount: number; lastOffsetDelta: number }[] = [];
  let at = 0;
  while (at + 12 <= records.length) {
    const size = 12 + records.readInt32BE(at + 8);
    if (size < 12 || at + size > records.length) break;
    const bytes = Buffer.from(records.subarray(at, at + size));
    const magic = size > 16 ? bytes.readInt8(16) : -1;
    if (magic === 2 && size >= 61) {
      out.push({ bytes, recordCount: bytes.readInt32BE(57), lastOffsetDelta: bytes.readInt32BE(23) });
    } else {
      out.push({ bytes, recordCount: 1, lastOffsetDelta: 0 });
    }
    at += size;
  }
  return out;
}

export class FakeCluster {
  private readonly topics = new Map<string, TopicState>();
  private readonly groups = new Map<string, GroupState>();
  private topicIdCounter = 0;
  private producerIdCounter = 0;
  private memberCounter = 0;
  readonly clusterId = 'samsa-golden-capture0';

  constructor() {
    this.createTopic(GOLDEN_TOPIC, GOLDEN_PARTITIONS);
  }

  private createTopic(name: string, partitionCount: number): TopicState {
    const topic: TopicState = {
      name,
      id: uuidFor(++this.topicIdCounter),
      partitions: Array.from({ length: partitionCount }, () => ({ batches: [], logEndOffset: 0n })),
    };
    this.topics.set(name, topic);
    return topic;
  }

  private topicById(id: string): TopicState | undefined {
    for (const topic of this.topics.values()) if (topic.id === id) return topic;
    return undefined;
  }

  private group(groupId: string): GroupState {
    let group = this.groups.get(groupId);
    if (group === undefined) {
      group = {
        generationId: 0,
        protocolType: 'consumer',
        protocolName: '',
        leaderId: '',
        members: new Map(),
        offsets: new Map(),
      };
      this.groups.set(groupId, group);
    }
    return group;
  }

  /** The handler for an API, or undefined when the capture server only answers it with an error. */
  handler<K extends ApiKey>(apiKey: K): Handler<K> | undefined {
    return (this.handlers as HandlerTable)[apiKey];
  }

  /**
   * The generated default response with errorCode 35 (UNSUPPORTED_VERSION)
   * where the message has a top-level error code. Used for APIs no client in
   * the recordings needs a real answer to.
   */
  unsupportedResponse<K extends ApiKey>(apiKey: K): ApiMessages[K]['responseInput'] {
    const name = apiDefinitions[apiKey].name;
    const factory: unknown = (generated as Record<string, unknown>)[`default${name}Response`];
    if (typeof factory !== 'function') throw new Error(`no default${name}Response in the generated codecs`);
    const response: unknown = factory();
    if (typeof response !== 'object' || response === null) throw new Error(`default${name}Response returned no object`);
    if ('errorCode' in response) (response as { errorCode: number }).errorCode = UNSUPPORTED_VERSION;
    // The generated default of a response is a complete response, so it is a valid input.
    return response as ApiMessages[K]['responseInput'];
  }

  /** Advertised version ranges: every API, without a newest version Kafka marks unstable. */
  advertisedVersions(): { apiKey: number; minVersion: number; maxVersion: number }[] {
    const out: { apiKey: number; minVersion: number; maxVersion: number }[] = [];
    for (const def of Object.values(apiDefinitions)) {
      const maxVersion = def.latestVersionUnstable ? def.maxVersion - 1 : def.maxVersion;
      if (maxVersion < def.minVersion) continue;
      out.push({ apiKey: def.apiKey, minVersion: def.minVersion, maxVersion });
    }
    return out.sort((a, b) => a.apiKey - b.apiKey);
  }

  private readonly handlers: HandlerTable = {
    [ApiKey.ApiVersions]: () => ({ errorCode: NONE, apiKeys: this.advertisedVersions(), throttleTimeMs: 0 }),

    [ApiKey.Metadata]: (request, version, ctx) => {
      let wanted: (TopicState | { missing: string })[];
      // v0 has no null: an empty list there means "all topics".
      if (request.topics === null || (version === 0 && request.topics.length === 0)) {
        wanted = [...this.topics.values()];
      } else {
        wanted = request.topics.map((t) => {
          const found = t.name !== null ? this.topics.get(t.name) : this.topicById(t.topicId);
          return found ?? { missing: t.name ?? '' };
        });
      }
      return {
        throttleTimeMs: 0,
        brokers: [{ nodeId: NODE_ID, host: ctx.host, port: ctx.port, rack: null }],
        clusterId: this.clusterId,
        controllerId: NODE_ID,
        topics: wanted.map((t) =>
          'missing' in t
            ? { errorCode: UNKNOWN_TOPIC_OR_PARTITION, name: t.missing, partitions: [] }
            : {
                errorCode: NONE,
                name: t.name,
                topicId: t.id,
                isInternal: false,
                partitions: t.partitions.map((_, index) => ({
                  errorCode: NONE,
                  partitionIndex: index,
                  leaderId: NODE_ID,
                  leaderEpoch: 0,
                  replicaNodes: [NODE_ID],
                  isrNodes: [NODE_ID],
                  offlineReplicas: [],
                })),
              },
        ),
      };
    },

    [ApiKey.FindCoordinator]: (request, _version, ctx) => ({
      throttleTimeMs: 0,
      errorCode: NONE,
      errorMessage: null,
      nodeId: NODE_ID,
      host: ctx.host,
      port: ctx.port,
      coordinators: request.coordinatorKeys.map((key) => ({
        key,
        nodeId: NODE_ID,
        host: ctx.host,
        port: ctx.port,
        errorCode: NONE,
        errorMessage: null,
      })),
    }),

    [ApiKey.InitProducerId]: () => ({
      throttleTimeMs: 0,
      errorCode: NONE,
      producerId: BigInt(1000 + ++this.producerIdCounter),
      producerEpoch: 0,
    }),

    [ApiKey.Produce]: (request) => {
      const responses = request.topicData.map((topicData) => {
        const topic = this.topics.get(topicData.name);
        return {
          name: topicData.name,
          partitionResponses: topicData.partitionData.map((pd) => {
            const partition = topic?.partitions[pd.index];
            if (partition === undefined) {
              return { index: pd.index, errorCode: UNKNOWN_TOPIC_OR_PARTITION, baseOffset: -1n };
            }
            const baseOffset = partition.logEndOffset;
            for (const batch of splitBatches(pd.records ?? Buffer.alloc(0))) {
              const batchBase = partition.logEndOffset;
              batch.bytes.writeBigInt64BE(batchBase, 0);
              partition.batches.push({
                baseOffset: batchBase,
                lastOffset: batchBase + BigInt(batch.lastOffsetDelta),
                bytes: batch.bytes,
              });
              partition.logEndOffset = batchBase + BigInt(Math.max(batch.recordCount, batch.lastOffsetDelta + 1));
            }
            return { index: pd.index, errorCode: NONE, baseOffset, logAppendTimeMs: -1n, logStartOffset: 0n };
          }),
        };
      });
      // acks=0: Kafka sends nothing back.
      if (request.acks === 0) return null;
      return { responses, throttleTimeMs: 0 };
    },

    [ApiKey.Fetch]: async (request) => {
      const build = () => {
        let bytesFound = 0;
        const responses = request.topics.map((ft) => {
          const topic = ft.topic !== '' ? this.topics.get(ft.topic) : this.topicById(ft.topicId);
          return {
            topic: ft.topic,
            topicId: ft.topicId,
            partitions: ft.partitions.map((fp) => {
              const partition = topic?.partitions[fp.partition];
              if (partition === undefined) {
                return { partitionIndex: fp.partition, errorCode: UNKNOWN_TOPIC_OR_PARTITION, highWatermark: -1n, records: null };
              }
              const chunks: Buffer[] = [];
              let size = 0;
              for (const batch of partition.batches) {
                if (batch.lastOffset < fp.fetchOffset) continue;
                if (chunks.length > 0 && size + batch.bytes.length > fp.partitionMaxBytes) break;
                chunks.push(batch.bytes);
                size += batch.bytes.length;
              }
              bytesFound += size;
              return {
                partitionIndex: fp.partition,
                errorCode: NONE,
                highWatermark: partition.logEndOffset,
                lastStableOffset: partition.logEndOffset,
                logStartOffset: 0n,
                abortedTransactions: [],
                preferredReadReplica: -1,
                records: Buffer.concat(chunks),
              };
            }),
          };
        });
        return { bytesFound, responses };
      };
      let result = build();
      if (result.bytesFound === 0 && request.maxWaitMs > 0) {
        // Hold an empty fetch like a broker would, so clients do not spin.
        await delay(Math.min(request.maxWaitMs, FETCH_HOLD_MAX_MS));
        result = build();
      }
      return { throttleTimeMs: 0, errorCode: NONE, sessionId: 0, responses: result.responses };
    },

    [ApiKey.ListOffsets]: (request) => ({
      throttleTimeMs: 0,
      topics: request.topics.map((lt) => {
        const topic = this.topics.get(lt.name);
        return {
          name: lt.name,
          partitions: lt.partitions.map((lp) => {
            const partition = topic?.partitions[lp.partitionIndex];
            if (partition === undefined) {
              return { partitionIndex: lp.partitionIndex, errorCode: UNKNOWN_TOPIC_OR_PARTITION, oldStyleOffsets: [] };
            }
            // -1 latest, -2 earliest; any real timestamp answers with the start, which is all we keep.
            const offset = lp.timestamp === -1n ? partition.logEndOffset : 0n;
            return {
              partitionIndex: lp.partitionIndex,
              errorCode: NONE,
              oldStyleOffsets: [offset],
              timestamp: -1n,
              offset,
              leaderEpoch: 0,
            };
          }),
        };
      }),
    }),

    [ApiKey.OffsetForLeaderEpoch]: (request) => ({
      throttleTimeMs: 0,
      topics: request.topics.map((t) => ({
        topic: t.topic,
        partitions: t.partitions.map((p) => {
          const partition = this.topics.get(t.topic)?.partitions[p.partition];
          return partition === undefined
            ? { errorCode: UNKNOWN_TOPIC_OR_PARTITION, partition: p.partition, leaderEpoch: -1, endOffset: -1n }
            : { errorCode: NONE, partition: p.partition, leaderEpoch: 0, endOffset: partition.logEndOffset };
        }),
      })),
    }),

    [ApiKey.JoinGroup]: (request, _version, ctx) => {
      const group = this.group(request.groupId);
      const memberId = request.memberId !== '' ? request.memberId : `${ctx.clientId}-member-${++this.memberCounter}`;
      const protocol = request.protocols[0];
      group.generationId += 1;
      group.protocolType = request.protocolType;
      group.protocolName = protocol?.name ?? '';
      group.leaderId = memberId;
      group.members.clear();
      group.members.set(memberId, { clientId: ctx.clientId, metadata: protocol?.metadata ?? Buffer.alloc(0), assignment: Buffer.alloc(0) });
      return {
        throttleTimeMs: 0,
        errorCode: NONE,
        generationId: group.generationId,
        protocolType: group.protocolType,
        protocolName: group.protocolName,
        leader: memberId,
        skipAssignment: false,
        memberId,
        members: [{ memberId, groupInstanceId: request.groupInstanceId, metadata: protocol?.metadata ?? Buffer.alloc(0) }],
      };
    },

    [ApiKey.SyncGroup]: (request) => {
      const group = this.group(request.groupId);
      const own = request.assignments.find((a) => a.memberId === request.memberId);
      const member = group.members.get(request.memberId);
      if (own !== undefined && member !== undefined) member.assignment = own.assignment;
      return {
        throttleTimeMs: 0,
        errorCode: NONE,
        protocolType: group.protocolType,
        protocolName: group.protocolName,
        assignment: member?.assignment ?? own?.assignment ?? Buffer.alloc(0),
      };
    },

    [ApiKey.Heartbeat]: () => ({ throttleTimeMs: 0, errorCode: NONE }),

    [ApiKey.LeaveGroup]: (request) => {
      const group = this.groups.get(request.groupId);
      group?.members.delete(request.memberId);
      for (const m of request.members) group?.members.delete(m.memberId);
      return {
        throttleTimeMs: 0,
        errorCode: NONE,
        members: request.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode: NONE })),
      };
    },

    [ApiKey.OffsetCommit]: (request) => {
      const group = this.group(request.groupId);
      return {
        throttleTimeMs: 0,
        topics: request.topics.map((t) => {
          let committed = group.offsets.get(t.name);
          if (committed === undefined) group.offsets.set(t.name, (committed = new Map()));
          for (const p of t.partitions) committed.set(p.partitionIndex, p.committedOffset);
          return { name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: NONE })) };
        }),
      };
    },

    [ApiKey.OffsetFetch]: (request) => {
      const answer = (groupId: string, topics: { name: string; partitionIndexes: number[] }[] | null) => {
        const group = this.groups.get(groupId);
        const asked =
          topics ??
          [...(group?.offsets.entries() ?? [])].map(([name, parts]) => ({ name, partitionIndexes: [...parts.keys()] }));
        return asked.map((t) => ({
          name: t.name,
          partitions: t.partitionIndexes.map((partitionIndex) => ({
            partitionIndex,
            committedOffset: group?.offsets.get(t.name)?.get(partitionIndex) ?? -1n,
            committedLeaderEpoch: -1,
            metadata: '',
            errorCode: NONE,
          })),
        }));
      };
      return {
        throttleTimeMs: 0,
        errorCode: NONE,
        topics: request.groups.length === 0 ? answer(request.groupId, request.topics) : [],
        groups: request.groups.map((g) => ({ groupId: g.groupId, errorCode: NONE, topics: answer(g.groupId, g.topics) })),
      };
    },

    [ApiKey.DescribeGroups]: (request) => ({
      throttleTimeMs: 0,
      groups: request.groups.map((groupId) => {
        const group = this.groups.get(groupId);
        if (group === undefined) {
          return { errorCode: NONE, groupId, groupState: 'Dead', protocolType: '', protocolData: '', members: [] };
        }
        return {
          errorCode: NONE,
          groupId,
          groupState: group.members.size > 0 ? 'Stable' : 'Empty',
          protocolType: group.protocolType,
          protocolData: group.protocolName,
          members: [...group.members.entries()].map(([memberId, m]) => ({
            memberId,
            groupInstanceId: null,
            clientId: m.clientId,
            clientHost: '/127.0.0.1',
            memberMetadata: m.metadata,
            memberAssignment: m.assignment,
          })),
        };
      }),
    }),

    [ApiKey.ListGroups]: () => ({
      throttleTimeMs: 0,
      errorCode: NONE,
      groups: [...this.groups.entries()].map(([groupId, g]) => ({
        groupId,
        protocolType: g.protocolType,
        groupState: g.members.size > 0 ? 'Stable' : 'Empty',
        groupType: 'classic',
      })),
    }),

    [ApiKey.DeleteGroups]: (request) => ({
      throttleTimeMs: 0,
      results: request.groupsNames.map((groupId) => {
        const existed = this.groups.delete(groupId);
        return { groupId, errorCode: existed ? NONE : GROUP_ID_NOT_FOUND };
      }),
    }),

    [ApiKey.CreateTopics]: (request) => ({
      throttleTimeMs: 0,
      topics: request.topics.map((t) => {
        const existing = this.topics.get(t.name);
        if (existing !== undefined) {
          return {
            name: t.name,
            topicId: existing.id,
            errorCode: TOPIC_ALREADY_EXISTS,
            errorMessage: `Topic '${t.name}' already exists.`,
            numPartitions: existing.partitions.length,
            replicationFactor: 1,
            configs: [],
          };
        }
        const partitionCount = t.numPartitions > 0 ? t.numPartitions : t.assignments.length > 0 ? t.assignments.length : 1;
        const topic = request.validateOnly ? { id: uuidFor(0) } : this.createTopic(t.name, partitionCount);
        return {
          name: t.name,
          topicId: topic.id,
          errorCode: NONE,
          errorMessage: null,
          numPartitions: partitionCount,
          replicationFactor: 1,
          configs: [],
        };
      }),
    }),

    [ApiKey.DeleteTopics]: (request) => {
      const targets =
        request.topics.length > 0
          ? request.topics.map((t) => ({ name: t.name, topicId: t.topicId }))
          : request.topicNames.map((name) => ({ name, topicId: this.topics.get(name)?.id ?? uuidFor(0) }));
      return {
        throttleTimeMs: 0,
        responses: targets.map((t) => {
          const topic = t.name !== null ? this.topics.get(t.name) : this.topicById(t.topicId);
          if (topic === undefined) return { name: t.name, topicId: t.topicId, errorCode: UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null };
          this.topics.delete(topic.name);
          return { name: topic.name, topicId: topic.id, errorCode: NONE, errorMessage: null };
        }),
      };
    },

    [ApiKey.DescribeConfigs]: (request) => ({
      throttleTimeMs: 0,
      results: request.resources.map((res) => {
        // resource type 2 = topic, 4 = broker
        const all: [string, string][] =
          res.resourceType === 2
            ? [
                ['cleanup.policy', 'delete'],
                ['compression.type', 'producer'],
                ['retention.ms', '604800000'],
              ]
            : [
                ['log.retention.hours', '168'],
                ['num.partitions', '1'],
              ];
        const keys = res.configurationKeys;
        return {
          errorCode: res.resourceType === 2 && !this.topics.has(res.resourceName) ? UNKNOWN_TOPIC_OR_PARTITION : NONE,
          errorMessage: null,
          resourceType: res.resourceType,
          resourceName: res.resourceName,
          configs: all
            .filter(([name]) => keys === null || keys.length === 0 || keys.includes(name))
            .map(([name, value]) => ({
              name,
              value,
              readOnly: false,
              isDefault: true,
              configSource: 5,
              isSensitive: false,
              synonyms: [],
              configType: 2,
              documentation: null,
            })),
        };
      }),
    }),

    // Transactions: accepted without bookkeeping, enough for a client to commit one.
    [ApiKey.AddPartitionsToTxn]: (request) => {
      const results = (topics: { name: string; partitions: number[] }[]) =>
        topics.map((t) => ({
          name: t.name,
          resultsByPartition: t.partitions.map((partitionIndex) => ({ partitionIndex, partitionErrorCode: NONE })),
        }));
      return {
        throttleTimeMs: 0,
        errorCode: NONE,
        resultsByTopicV3AndBelow: results(request.v3AndBelowTopics),
        resultsByTransaction: request.transactions.map((t) => ({ transactionalId: t.transactionalId, topicResults: results(t.topics) })),
      };
    },

    [ApiKey.AddOffsetsToTxn]: () => ({ throttleTimeMs: 0, errorCode: NONE }),

    [ApiKey.TxnOffsetCommit]: (request) => ({
      throttleTimeMs: 0,
      topics: request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: NONE })),
      })),
    }),

    [ApiKey.EndTxn]: (request) => ({
      throttleTimeMs: 0,
      errorCode: NONE,
      producerId: request.producerId,
      producerEpoch: request.producerEpoch,
    }),

    [ApiKey.DescribeCluster]: (_request, _version, ctx) => ({
      throttleTimeMs: 0,
      errorCode: NONE,
      errorMessage: null,
      clusterId: this.clusterId,
      controllerId: NODE_ID,
      brokers: [{ brokerId: NODE_ID, host: ctx.host, port: ctx.port, rack: null }],
    }),
  };
}

/**
 * MetadataImage: an immutable snapshot of the cluster's metadata at one
 * offset of the metadata log. Readers (request handlers) hold an image for
 * the length of a request and never see it change; the broker swaps in a new
 * image after each committed batch of records. Applying records copies only
 * the maps they touch.
 */
import type { MetadataRecord } from './records.js';
import { ConfigResourceType } from './records.js';

export interface BrokerEndpoint {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly securityProtocol: number;
}

export interface BrokerImage {
  readonly nodeId: number;
  readonly incarnationId: string;
  readonly epoch: bigint;
  readonly endpoints: readonly BrokerEndpoint[];
  readonly rack: string | null;
  readonly fenced: boolean;
}

export interface PartitionImage {
  readonly partitionId: number;
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
}

export interface TopicImage {
  readonly name: string;
  readonly topicId: string;
  /** Indexed by partition id; a topic's partitions are always 0..n-1. */
  readonly partitions: readonly PartitionImage[];
  readonly configs: ReadonlyMap<string, string>;
}

export class MetadataImage {
  static readonly empty = new MetadataImage(-1, new Map(), new Map(), new Map(), new Map(), new Map());

  private constructor(
    /** Offset of the last record applied; -1 for the empty image. */
    readonly offset: number,
    readonly brokers: ReadonlyMap<number, BrokerImage>,
    readonly topicsByName: ReadonlyMap<string, TopicImage>,
    readonly topicsById: ReadonlyMap<string, TopicImage>,
    readonly features: ReadonlyMap<string, number>,
    readonly brokerConfigs: ReadonlyMap<string, ReadonlyMap<string, string>>,
  ) {}

  topic(name: string): TopicImage | undefined {
    return this.topicsByName.get(name);
  }

  topicById(topicId: string): TopicImage | undefined {
    return this.topicsById.get(topicId);
  }

  partition(topic: string, partition: number): PartitionImage | undefined {
    return this.topicsByName.get(topic)?.partitions[partition];
  }

  /**
   * A new image with `records` applied, the last of them at `lastOffset`.
   * Throws on a record that contradicts the image (a partition of an unknown
   * topic, ...): the log is the truth, so such a log is damaged.
   */
  apply(records: readonly MetadataRecord[], lastOffset: number): MetadataImage {
    let brokers: Map<number, BrokerImage> | null = null;
    let byName: Map<string, TopicImage> | null = null;
    let byId: Map<string, TopicImage> | null = null;
    let features: Map<string, number> | null = null;
    let brokerConfigs: Map<string, ReadonlyMap<string, string>> | null = null;
    const topics = (): [Map<string, TopicImage>, Map<string, TopicImage>] => {
      byName ??= new Map(this.topicsByName);
      byId ??= new Map(this.topicsById);
      return [byName, byId];
    };
    const replaceTopic = (topic: TopicImage): void => {
      const [n, i] = topics();
      n.set(topic.name, topic);
      i.set(topic.topicId, topic);
    };
    // Partition arrays this apply() made itself and no image holds yet, so
    // further Partition records of the same batch fill them in place: a
    // topic's N records arrive in one batch, and copying the array for each
    // made creating 1,000 partitions copy 500,000 entries.
    const ownPartitions = new Map<string, PartitionImage[]>();

    for (const record of records) {
      switch (record.type) {
        case 'RegisterBroker': {
          const d = record.data;
          brokers ??= new Map(this.brokers);
          brokers.set(d.brokerId, {
            nodeId: d.brokerId,
            incarnationId: d.incarnationId,
            epoch: d.brokerEpoch,
            endpoints: d.endPoints.map((e) => ({ name: e.name, host: e.host, port: e.port, securityProtocol: e.securityProtocol })),
            rack: d.rack,
            fenced: d.fenced,
          });
          break;
        }
        case 'Topic': {
          const [n, i] = topics();
          const { name, topicId } = record.data;
          if (n.has(name) || i.has(topicId)) throw new Error(`metadata: topic ${name} (${topicId}) created twice`);
          ownPartitions.delete(topicId);
          replaceTopic({ name, topicId, partitions: [], configs: new Map() });
          break;
        }
        case 'Partition': {
          const d = record.data;
          const [, i] = topics();
          const topic = i.get(d.topicId);
          if (topic === undefined) throw new Error(`metadata: partition ${d.partitionId} of unknown topic id ${d.topicId}`);
          let partitions = ownPartitions.get(d.topicId);
          if (partitions === undefined) {
            partitions = topic.partitions.slice();
            ownPartitions.set(d.topicId, partitions);
          }
          if (d.partitionId > partitions.length) throw new Error(`metadata: partition ${d.partitionId} of ${topic.name} out of order`);
          partitions[d.partitionId] = {
            partitionId: d.partitionId,
            leader: d.leader,
            leaderEpoch: d.leaderEpoch,
            partitionEpoch: d.partitionEpoch,
            replicas: d.replicas.slice(),
            isr: d.isr.slice(),
          };
          if (topic.partitions !== partitions) replaceTopic({ ...topic, partitions });
          break;
        }
        case 'Config': {
          const d = record.data;
          if (d.resourceType === ConfigResourceType.topic) {
            const topic = topics()[0].get(d.resourceName);
            if (topic === undefined) throw new Error(`metadata: config for unknown topic ${d.resourceName}`);
            const configs = new Map(topic.configs);
            if (d.value === null) configs.delete(d.name);
            else configs.set(d.name, d.value);
            replaceTopic({ ...topic, configs });
          } else if (d.resourceType === ConfigResourceType.broker) {
            brokerConfigs ??= new Map(this.brokerConfigs);
            const configs = new Map(brokerConfigs.get(d.resourceName) ?? []);
            if (d.value === null) configs.delete(d.name);
            else configs.set(d.name, d.value);
            brokerConfigs.set(d.resourceName, configs);
          }
          break;
        }
        case 'RemoveTopic': {
          const [n, i] = topics();
          const topic = i.get(record.data.topicId);
          if (topic === undefined) throw new Error(`metadata: removal of unknown topic id ${record.data.topicId}`);
          i.delete(topic.topicId);
          n.delete(topic.name);
          ownPartitions.delete(topic.topicId);
          break;
        }
        case 'FeatureLevel': {
          features ??= new Map(this.features);
          if (record.data.featureLevel === 0) features.delete(record.data.name);
          else features.set(record.data.name, record.data.featureLevel);
          break;
        }
        case 'NoOp':
          break;
      }
    }
    return new MetadataImage(
      lastOffset,
      brokers ?? this.brokers,
      byName ?? this.topicsByName,
      byId ?? this.topicsById,
      features ?? this.features,
      brokerConfigs ?? this.brokerConfigs,
    );
  }
}

/**
 * The controller: the write side of metadata. It checks a request against
 * the current image, turns it into KRaft records, hands them to the quorum
 * and answers once they are committed. Operations run one at a time, so each
 * one is validated against an image that already holds every earlier one
 * (no two creations of the same topic can both pass).
 *
 * One node today: every partition gets replicas [nodeId], isr [nodeId],
 * leader nodeId, leader epoch 0.
 */
import type { KafkaErrorName } from '../protocol/errors/index.js';
import type { MetadataImage } from './image.js';
import type { CommittedBatch, MetadataQuorum, QuorumDescription } from './quorum.js';
import { ConfigResourceType, type MetadataRecord } from './records.js';
import { defaultPartitionRecord, defaultRegisterBrokerRecord } from '../protocol/generated/index.js';
import type { UuidSource } from './uuid.js';

export const TOPIC_NAME_MAX_CHARS = 249;

/** Kafka's topic name rule; null when valid, otherwise why not. */
export function topicNameProblem(name: string): string | null {
  if (name.length === 0) return 'Topic name is illegal, it can\'t be empty';
  if (name === '.' || name === '..') return 'Topic name cannot be "." or ".."';
  if (name.length > TOPIC_NAME_MAX_CHARS) return `Topic name is illegal, it can't be longer than ${TOPIC_NAME_MAX_CHARS} characters, topic name: ${name}`;
  if (!/^[a-zA-Z0-9._-]+$/.test(name)) return `Topic name "${name}" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`;
  return null;
}

export interface CreateTopicSpec {
  readonly name: string;
  /** -1: the broker default (num.partitions). */
  readonly numPartitions: number;
  /** -1: the broker default (default.replication.factor). */
  readonly replicationFactor: number;
  /** Explicit replica lists by partition, or empty. */
  readonly assignments: ReadonlyArray<{ partitionIndex: number; brokerIds: readonly number[] }>;
  readonly configs: ReadonlyMap<string, string>;
}

export type CreateTopicOutcome =
  | { ok: true; name: string; topicId: string; numPartitions: number; replicationFactor: number; configs: ReadonlyMap<string, string> }
  | { ok: false; name: string; error: KafkaErrorName; message: string };

export type DeleteTopicOutcome = { ok: true; name: string; topicId: string } | { ok: false; error: KafkaErrorName; message: string };

/** Plans one resource's config change against the image current at commit time. */
export type ConfigChangePlan = (
  image: MetadataImage,
) => { ok: true; changes: ReadonlyMap<string, string | null> } | { ok: false; error: KafkaErrorName; message: string };

export interface ConfigChange {
  /** ConfigResourceType: topic or broker. */
  readonly resourceType: number;
  readonly resourceName: string;
  readonly plan: ConfigChangePlan;
}

export type ConfigChangeOutcome = { ok: true } | { ok: false; error: KafkaErrorName; message: string };

export interface CreatePartitionsSpec {
  readonly name: string;
  /** The new total number of partitions. */
  readonly count: number;
  /** Replica lists of the new partitions, or null to let the controller place them. */
  readonly assignments: ReadonlyArray<readonly number[]> | null;
}

export type CreatePartitionsOutcome = { ok: true; name: string } | { ok: false; name: string; error: KafkaErrorName; message: string };

export interface ControllerOptions {
  readonly nodeId: number;
  readonly quorum: MetadataQuorum;
  /** The image with every committed batch applied. */
  readonly image: () => MetadataImage;
  readonly newUuid: UuidSource;
  readonly defaultPartitions: number;
  readonly defaultReplicationFactor: number;
  /** Checks topic configs; null when fine, otherwise the message for INVALID_CONFIG. */
  readonly validateTopicConfigs: (configs: ReadonlyMap<string, string>) => string | null;
}

export interface BrokerRegistration {
  readonly incarnationId: string;
  readonly endpoints: ReadonlyArray<{ name: string; host: string; port: number; securityProtocol: number }>;
  readonly rack: string | null;
}

export class Controller {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: ControllerOptions) {}

  /** Runs `operation` after every earlier one has committed. */
  private serialize<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.queue.then(operation);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private commit(records: MetadataRecord[]): Promise<CommittedBatch> {
    return this.options.quorum.append(records);
  }

  /** The metadata quorum's state, for DescribeQuorum. */
  describeQuorum(): QuorumDescription {
    return this.options.quorum.describe();
  }

  /** First start of a formatted cluster: the finalized feature levels. */
  bootstrap(features: ReadonlyMap<string, number>): Promise<void> {
    return this.serialize(async () => {
      const image = this.options.image();
      const records: MetadataRecord[] = [];
      for (const [name, level] of features) {
        if (image.features.get(name) !== level) records.push({ type: 'FeatureLevel', data: { name, featureLevel: level } });
      }
      if (records.length > 0) await this.commit(records);
    });
  }

  /** Registers (or re-registers, with a new epoch) this broker, unfenced. */
  registerBroker(registration: BrokerRegistration): Promise<bigint> {
    return this.serialize(async () => {
      const previous = this.options.image().brokers.get(this.options.nodeId);
      const epoch = previous === undefined ? 0n : previous.epoch + 1n;
      const unchanged =
        previous !== undefined &&
        !previous.fenced &&
        previous.rack === registration.rack &&
        JSON.stringify(previous.endpoints) === JSON.stringify(registration.endpoints);
      if (unchanged) return previous.epoch;
      await this.commit([
        {
          type: 'RegisterBroker',
          data: {
            ...defaultRegisterBrokerRecord(),
            brokerId: this.options.nodeId,
            incarnationId: registration.incarnationId,
            brokerEpoch: epoch,
            endPoints: registration.endpoints.map((e) => ({ ...e })),
            rack: registration.rack,
            fenced: false,
          },
        },
      ]);
      return epoch;
    });
  }

  createTopics(specs: readonly CreateTopicSpec[], validateOnly: boolean): Promise<CreateTopicOutcome[]> {
    return this.serialize(async () => {
      const image = this.options.image();
      const outcomes: CreateTopicOutcome[] = [];
      const records: MetadataRecord[] = [];
      const namesInBatch = new Set<string>();
      for (const spec of specs) {
        const outcome = this.planTopic(spec, image, namesInBatch);
        outcomes.push(outcome);
        if (!outcome.ok) continue;
        namesInBatch.add(spec.name);
        if (validateOnly) continue;
        records.push({ type: 'Topic', data: { name: spec.name, topicId: outcome.topicId } });
        for (const [name, value] of spec.configs) {
          records.push({ type: 'Config', data: { resourceType: ConfigResourceType.topic, resourceName: spec.name, name, value } });
        }
        for (let p = 0; p < outcome.numPartitions; p++) {
          const replicas = spec.assignments.find((a) => a.partitionIndex === p)?.brokerIds.slice() ?? [this.options.nodeId];
          records.push({
            type: 'Partition',
            data: {
              ...defaultPartitionRecord(),
              partitionId: p,
              topicId: outcome.topicId,
              replicas,
              isr: replicas.slice(),
              leader: replicas[0]!,
              leaderEpoch: 0,
              partitionEpoch: 0,
            },
          });
        }
      }
      if (records.length > 0) await this.commit(records);
      return outcomes;
    });
  }

  private planTopic(spec: CreateTopicSpec, image: MetadataImage, namesInBatch: ReadonlySet<string>): CreateTopicOutcome {
    const fail = (error: KafkaErrorName, message: string): CreateTopicOutcome => ({ ok: false, name: spec.name, error, message });
    const problem = topicNameProblem(spec.name);
    if (problem !== null) return fail('INVALID_TOPIC_EXCEPTION', problem);
    if (image.topic(spec.name) !== undefined || namesInBatch.has(spec.name)) {
      return fail('TOPIC_ALREADY_EXISTS', `Topic '${spec.name}' already exists.`);
    }
    const collisionKey = spec.name.replace(/\./g, '_');
    for (const existing of image.topicsByName.keys()) {
      if (existing.replace(/\./g, '_') === collisionKey) {
        return fail('INVALID_TOPIC_EXCEPTION', `Topic '${spec.name}' collides with existing topic: ${existing}`);
      }
    }
    const liveBrokers = [...image.brokers.values()].filter((b) => !b.fenced).map((b) => b.nodeId);
    let numPartitions: number;
    let replicationFactor: number;
    if (spec.assignments.length > 0) {
      if (spec.numPartitions !== -1 || spec.replicationFactor !== -1) {
        return fail('INVALID_REQUEST', 'Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.');
      }
      numPartitions = spec.assignments.length;
      const sorted = spec.assignments.map((a) => a.partitionIndex).sort((a, b) => a - b);
      if (sorted.some((p, i) => p !== i)) return fail('INVALID_REPLICA_ASSIGNMENT', 'Partitions should be consecutive and start from 0.');
      replicationFactor = spec.assignments[0]!.brokerIds.length;
      for (const a of spec.assignments) {
        if (a.brokerIds.length === 0) return fail('INVALID_REPLICA_ASSIGNMENT', `Empty replica list for partition ${a.partitionIndex}.`);
        if (a.brokerIds.length !== replicationFactor) return fail('INVALID_REPLICA_ASSIGNMENT', 'All partitions must have the same number of replicas.');
        if (new Set(a.brokerIds).size !== a.brokerIds.length) return fail('INVALID_REPLICA_ASSIGNMENT', `Duplicate replica in partition ${a.partitionIndex}.`);
        const unknown = a.brokerIds.find((id) => !liveBrokers.includes(id));
        if (unknown !== undefined) return fail('INVALID_REPLICA_ASSIGNMENT', `Broker ${unknown} in the assignment of partition ${a.partitionIndex} is not registered.`);
      }
    } else {
      numPartitions = spec.numPartitions === -1 ? this.options.defaultPartitions : spec.numPartitions;
      replicationFactor = spec.replicationFactor === -1 ? this.options.defaultReplicationFactor : spec.replicationFactor;
      if (numPartitions <= 0) return fail('INVALID_PARTITIONS', 'Number of partitions was set to an invalid non-positive value.');
      if (replicationFactor <= 0) return fail('INVALID_REPLICATION_FACTOR', 'Replication factor must be larger than 0.');
      if (replicationFactor > liveBrokers.length) {
        return fail('INVALID_REPLICATION_FACTOR', `Unable to replicate the partition ${replicationFactor} time(s): The target replication factor of ${replicationFactor} cannot be reached because only ${liveBrokers.length} broker(s) are registered.`);
      }
    }
    const configProblem = this.options.validateTopicConfigs(spec.configs);
    if (configProblem !== null) return fail('INVALID_CONFIG', configProblem);
    return { ok: true, name: spec.name, topicId: this.options.newUuid(), numPartitions, replicationFactor, configs: spec.configs };
  }

  /**
   * Changes configs: each resource's plan runs against the image holding
   * every earlier change, and its changes become ConfigRecords (value null
   * removes a key). With `validateOnly` nothing is written.
   */
  alterConfigs(changes: readonly ConfigChange[], validateOnly: boolean): Promise<ConfigChangeOutcome[]> {
    return this.serialize(async () => {
      const image = this.options.image();
      const outcomes: ConfigChangeOutcome[] = [];
      const records: MetadataRecord[] = [];
      for (const change of changes) {
        const planned = change.plan(image);
        if (!planned.ok) {
          outcomes.push({ ok: false, error: planned.error, message: planned.message });
          continue;
        }
        outcomes.push({ ok: true });
        for (const [name, value] of planned.changes) {
          records.push({ type: 'Config', data: { resourceType: change.resourceType, resourceName: change.resourceName, name, value } });
        }
      }
      if (records.length > 0 && !validateOnly) await this.commit(records);
      return outcomes;
    });
  }

  /**
   * Adds partitions to existing topics. The new partitions get the topic's
   * replication factor on this node unless assignments are given.
   */
  createPartitions(specs: readonly CreatePartitionsSpec[], validateOnly: boolean): Promise<CreatePartitionsOutcome[]> {
    return this.serialize(async () => {
      const image = this.options.image();
      const outcomes: CreatePartitionsOutcome[] = [];
      const records: MetadataRecord[] = [];
      const liveBrokers = [...image.brokers.values()].filter((b) => !b.fenced).map((b) => b.nodeId);
      for (const spec of specs) {
        const fail = (error: KafkaErrorName, message: string): void => {
          outcomes.push({ ok: false, name: spec.name, error, message });
        };
        const topic = image.topic(spec.name);
        if (topic === undefined) {
          fail('UNKNOWN_TOPIC_OR_PARTITION', 'This server does not host this topic-partition.');
          continue;
        }
        const existing = topic.partitions.length;
        if (spec.count === existing) {
          fail('INVALID_PARTITIONS', `Topic already has ${existing} partition(s).`);
          continue;
        }
        if (spec.count < existing) {
          fail('INVALID_PARTITIONS', `The topic ${spec.name} currently has ${existing} partition(s); ${spec.count} would not be an increase.`);
          continue;
        }
        const additional = spec.count - existing;
        const replicationFactor = topic.partitions[0]?.replicas.length ?? 1;
        let assignments: number[][];
        if (spec.assignments !== null) {
          if (spec.assignments.length !== additional) {
            fail('INVALID_REPLICA_ASSIGNMENT', `Attempted to add ${additional} additional partition(s), but only ${spec.assignments.length} assignment(s) were specified.`);
            continue;
          }
          let problem: string | null = null;
          spec.assignments.forEach((replicas, i) => {
            if (problem !== null) return;
            const partition = existing + i;
            if (replicas.length === 0) problem = `The manual partition assignment includes an empty replica list for partition ${partition}.`;
            else if (replicas.length !== replicationFactor) problem = `The manual partition assignment includes a partition with ${replicas.length} replica(s), but this is not consistent with previous partitions, which have ${replicationFactor} replica(s).`;
            else if (new Set(replicas).size !== replicas.length) problem = `The manual partition assignment includes duplicate replicas for partition ${partition}.`;
            else {
              const unknown = replicas.find((id) => !liveBrokers.includes(id));
              if (unknown !== undefined) problem = `The manual partition assignment includes broker ${unknown}, but no such broker is registered.`;
            }
          });
          if (problem !== null) {
            fail('INVALID_REPLICA_ASSIGNMENT', problem);
            continue;
          }
          assignments = spec.assignments.map((r) => r.slice());
        } else {
          if (replicationFactor > liveBrokers.length) {
            fail('INVALID_REPLICATION_FACTOR', `Unable to replicate the partition ${replicationFactor} time(s): only ${liveBrokers.length} broker(s) are registered.`);
            continue;
          }
          const sorted = liveBrokers.slice().sort((a, b) => a - b);
          assignments = Array.from({ length: additional }, (_, i) =>
            Array.from({ length: replicationFactor }, (_r, r) => sorted[(existing + i + r) % sorted.length]!),
          );
        }
        outcomes.push({ ok: true, name: spec.name });
        if (validateOnly) continue;
        assignments.forEach((replicas, i) => {
          records.push({
            type: 'Partition',
            data: {
              ...defaultPartitionRecord(),
              partitionId: existing + i,
              topicId: topic.topicId,
              replicas,
              isr: replicas.slice(),
              leader: replicas[0]!,
              leaderEpoch: 0,
              partitionEpoch: 0,
            },
          });
        });
      }
      if (records.length > 0) await this.commit(records);
      return outcomes;
    });
  }

  /** Deletes topics, given by id; unknown ids come back as errors. */
  deleteTopics(topicIds: readonly string[]): Promise<DeleteTopicOutcome[]> {
    return this.serialize(async () => {
      const image = this.options.image();
      const outcomes: DeleteTopicOutcome[] = [];
      const records: MetadataRecord[] = [];
      const seen = new Set<string>();
      for (const topicId of topicIds) {
        const topic = image.topicById(topicId);
        if (topic === undefined || seen.has(topicId)) {
          outcomes.push({ ok: false, error: 'UNKNOWN_TOPIC_ID', message: `Topic id ${topicId} not found.` });
          continue;
        }
        seen.add(topicId);
        records.push({ type: 'RemoveTopic', data: { topicId } });
        outcomes.push({ ok: true, name: topic.name, topicId });
      }
      if (records.length > 0) await this.commit(records);
      return outcomes;
    });
  }
}

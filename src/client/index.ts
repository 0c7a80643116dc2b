/**
 * `import { Producer, Consumer, Admin } from 'samsa/client'`: a Kafka client
 * on Samsa's generated protocol codecs. It speaks only the Kafka protocol, so
 * it works against Apache Kafka as well as Samsa. See README.md here.
 */
export { Admin } from './admin.js';
export type {
  AdminOptions,
  AlterConfigOp,
  AlterConfigResource,
  ClusterDescription,
  ConfigEntry,
  ConfigResource,
  ConfigResourceResult,
  ConfigResourceTypeName,
  ConfigSourceName,
  CreateTopicsOptions,
  DeleteRecordsItem,
  GroupDescription,
  GroupListing,
  GroupMemberDescription,
  NewTopic,
  TopicDescription,
} from './admin.js';
export { Producer } from './producer.js';
export type { ConsumerGroupMetadata, HeaderValue, ProducerOptions, ProducerRecord, RecordMetadata } from './producer.js';
export { Consumer } from './consumer.js';
export type { ConsumerMessage, ConsumerOptions, DeadLetterOptions, PollOptions, RunOptions } from './consumer.js';
export type { ClientOptions, BrokerInfo, PartitionInfo, TopicInfo } from './cluster.js';
export type { TopicPartition } from './consumer-protocol.js';
export type { CommittedOffset, IsolationLevelName, ListedOffset, ListOffsetsRequestItem, OffsetSpec, OffsetToCommit } from './offsets.js';
export {
  cooperativeStickyAssignor,
  rangeAssignor,
  roundRobinAssignor,
  stickyAssignor,
  type Assignor,
  type AssignorName,
  type MemberSubscription,
} from './assignors.js';
export { DefaultPartitioner, murmur2, partitionForKey, toPositive, type Partitioner, type PartitionerArgs } from './partitioner.js';
export {
  BufferExhaustedError,
  ClientClosedError,
  ConnectionError,
  KafkaClientError,
  KafkaConfigError,
  KafkaProtocolError,
  ProtocolDecodeError,
  RequestTimeoutError,
  UnsupportedVersionError,
  isRetriable,
} from './errors.js';
export type { Logger } from './logger.js';

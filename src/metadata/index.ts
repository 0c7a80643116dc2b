export { MetadataImage, type BrokerImage, type BrokerEndpoint, type PartitionImage, type TopicImage } from './image.js';
export { encodeMetadataRecord, decodeMetadataRecord, ConfigResourceType, MetadataRecordType, type MetadataRecord } from './records.js';
export { MetadataLogFile, METADATA_TOPIC, METADATA_PARTITION_DIR } from './metadata-log.js';
export { RaftQuorum, parseQuorumVoters, type MetadataQuorum, type CommittedBatch, type CommitListener, type RaftQuorumOptions } from './quorum.js';
export {
  Controller,
  topicNameProblem,
  TOPIC_NAME_MAX_CHARS,
  type CreateTopicSpec,
  type CreateTopicOutcome,
  type DeleteTopicOutcome,
  type BrokerRegistration,
  type ControllerOptions,
  type ConfigChange,
  type ConfigChangePlan,
  type ConfigChangeOutcome,
  type CreatePartitionsSpec,
  type CreatePartitionsOutcome,
} from './controller.js';
export { randomUuid, isUuidText, ZERO_UUID, METADATA_TOPIC_ID, type UuidSource } from './uuid.js';

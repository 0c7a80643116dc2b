export { RaftLog, RaftLogError, indexBatches, metadataLogConfig, METADATA_TOPIC_ID, METADATA_TOPIC_NAME, METADATA_PARTITION, type BatchInfo, type OffsetAndEpoch, type RaftLogOpenOptions } from './raft-log.js';
export { QuorumStateStore, QuorumStateError, QUORUM_STATE_FILE, INITIAL_ELECTION_STATE, type ElectionState } from './quorum-state.js';
export { encodeRaftMessage, decodeRaftMessage, isRequest, type RaftBody, type RaftMessage } from './messages.js';
export {
  RaftNode,
  NotLeaderError,
  RaftInvariantError,
  defaultRaftConfig,
  type CommittedEntry,
  type RaftConfig,
  type RaftNodeOptions,
  type RaftRole,
} from './raft-node.js';

/** Coordinators: state machines replayed from their internal topics. */
export {
  GroupCoordinator,
  groupMetadataAppendError,
  offsetCommitAppendError,
  type CoordinatorLogWriter,
  type GroupCoordinatorOptions,
  type RequestContext,
} from './group/group-coordinator.js';
export { ClassicGroup, ClassicGroupMember, type GroupState } from './group/classic-group.js';
export { defaultGroupCoordinatorConfig, groupCoordinatorConfigFromProperties, type GroupCoordinatorConfig } from './group/config.js';
export { partitionForGroup } from './group/partitioner.js';
export { CoordinatorTimer } from './group/timer.js';
export { decodeCoordinatorRecord, type CoordinatorRecord, type DecodedRecord } from './group/records.js';

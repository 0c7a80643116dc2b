/**
 * The handler table. An API is served, and advertised by ApiVersions,
 * exactly when its handler is listed here.
 */
import { apiDefinitions, type ApiKey } from '../../protocol/generated/api-registry.js';
import type { AdvertisedVersionRange, RegisteredHandler } from './handler.js';
import { produceHandler } from './00-produce.js';
import { fetchHandler } from './01-fetch.js';
import { listOffsetsHandler } from './02-list-offsets.js';
import { metadataHandler } from './03-metadata.js';
import { apiVersionsHandler } from './18-api-versions.js';
import { createTopicsHandler } from './19-create-topics.js';
import { deleteTopicsHandler } from './20-delete-topics.js';
import { describeClusterHandler } from './60-describe-cluster.js';
// Admin APIs.
import { deleteRecordsHandler } from './21-delete-records.js';
import { offsetForLeaderEpochHandler } from './23-offset-for-leader-epoch.js';
import { describeConfigsHandler } from './32-describe-configs.js';
import { alterConfigsHandler } from './33-alter-configs.js';
import { describeLogDirsHandler } from './35-describe-log-dirs.js';
import { createPartitionsHandler } from './37-create-partitions.js';
import { electLeadersHandler } from './43-elect-leaders.js';
import { incrementalAlterConfigsHandler } from './44-incremental-alter-configs.js';
import { describeTopicPartitionsHandler } from './75-describe-topic-partitions.js';
// Group coordinator APIs (src/coordinator/group).
import { offsetCommitHandler } from './08-offset-commit.js';
import { offsetFetchHandler } from './09-offset-fetch.js';
import { findCoordinatorHandler } from './10-find-coordinator.js';
import { joinGroupHandler } from './11-join-group.js';
import { heartbeatHandler } from './12-heartbeat.js';
import { leaveGroupHandler } from './13-leave-group.js';
import { syncGroupHandler } from './14-sync-group.js';
import { describeGroupsHandler } from './15-describe-groups.js';
import { listGroupsHandler } from './16-list-groups.js';
import { deleteGroupsHandler } from './42-delete-groups.js';
import { offsetDeleteHandler } from './47-offset-delete.js';
// Idempotence and transactions (src/coordinator/transaction, storage producer state).
import { initProducerIdHandler } from './22-init-producer-id.js';
import { addPartitionsToTxnHandler } from './24-add-partitions-to-txn.js';
import { addOffsetsToTxnHandler } from './25-add-offsets-to-txn.js';
import { endTxnHandler } from './26-end-txn.js';
import { writeTxnMarkersHandler } from './27-write-txn-markers.js';
import { txnOffsetCommitHandler } from './28-txn-offset-commit.js';
import { describeProducersHandler } from './61-describe-producers.js';
import { describeTransactionsHandler } from './65-describe-transactions.js';
import { listTransactionsHandler } from './66-list-transactions.js';
// KRaft metadata quorum (src/raft through src/metadata).
import { describeQuorumHandler } from './55-describe-quorum.js';

export const handlerList: readonly RegisteredHandler[] = [
  produceHandler,
  fetchHandler,
  listOffsetsHandler,
  metadataHandler,
  apiVersionsHandler,
  createTopicsHandler,
  deleteTopicsHandler,
  describeClusterHandler,
  describeQuorumHandler,
  deleteRecordsHandler,
  offsetForLeaderEpochHandler,
  describeConfigsHandler,
  alterConfigsHandler,
  describeLogDirsHandler,
  createPartitionsHandler,
  electLeadersHandler,
  incrementalAlterConfigsHandler,
  describeTopicPartitionsHandler,
  offsetCommitHandler,
  offsetFetchHandler,
  findCoordinatorHandler,
  joinGroupHandler,
  heartbeatHandler,
  leaveGroupHandler,
  syncGroupHandler,
  describeGroupsHandler,
  listGroupsHandler,
  deleteGroupsHandler,
  offsetDeleteHandler,
  initProducerIdHandler,
  addPartitionsToTxnHandler,
  addOffsetsToTxnHandler,
  endTxnHandler,
  writeTxnMarkersHandler,
  txnOffsetCommitHandler,
  describeProducersHandler,
  describeTransactionsHandler,
  listTransactionsHandler,
];

export function handlerTable(list: readonly RegisteredHandler[] = handlerList): ReadonlyMap<number, RegisteredHandler> {
  const table = new Map<number, RegisteredHandler>();
  for (const h of list) {
    if (table.has(h.apiKey)) throw new Error(`two handlers for api key ${h.apiKey}`);
    table.set(h.apiKey, h);
  }
  return table;
}

/**
 * What ApiVersions advertises: each handled API up to its handler's max,
 * leaving out a newest version Kafka still marks unstable.
 */
export function advertisedVersions(table: ReadonlyMap<number, RegisteredHandler>): AdvertisedVersionRange[] {
  const out: AdvertisedVersionRange[] = [];
  for (const h of [...table.values()].sort((a, b) => a.apiKey - b.apiKey)) {
    const definition = apiDefinitions[h.apiKey as ApiKey];
    let maxVersion = h.maxVersion;
    if (definition.latestVersionUnstable && maxVersion === definition.maxVersion) maxVersion -= 1;
    if (maxVersion < h.minVersion) continue;
    out.push({ apiKey: h.apiKey, minVersion: h.minVersion, maxVersion });
  }
  return out;
}

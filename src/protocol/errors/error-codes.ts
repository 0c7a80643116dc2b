/**
 * Every error code of the Kafka wire protocol, as data.
 *
 * Codes and names follow Apache Kafka's
 * `clients/src/main/java/org/apache/kafka/common/protocol/Errors.java`. The
 * `retriable` flag is true exactly when Kafka maps the code to an exception
 * that extends `RetriableException` (directly, or through
 * `InvalidMetadataException`). That is the same flag Kafka prints in the
 * "Retriable" column of its protocol error table, and the one Kafka's clients
 * act on. The messages are our own short descriptions.
 *
 * Codes 129 and up were added in Kafka 4.0 (129), 4.1 (130-133) and 4.4
 * (134-136). Code 99 is POSITION_OUT_OF_RANGE; no number in -1..136 is unused.
 */

/** One row of the table. */
export interface ErrorCodeEntry {
  /** The int16 sent on the wire. */
  readonly code: number;
  /** Kafka's enum name, e.g. `NOT_LEADER_OR_FOLLOWER`. */
  readonly name: string;
  /** Whether a client may send the same request again (after a metadata refresh, backoff, etc.). */
  readonly retriable: boolean;
  /** A one-line, plain-English description. */
  readonly message: string;
}

export const ERROR_CODES = [
  { code: -1, name: 'UNKNOWN_SERVER_ERROR', retriable: false, message: 'The broker hit an unexpected failure while handling the request.' },
  { code: 0, name: 'NONE', retriable: false, message: 'No error; the operation succeeded.' },
  { code: 1, name: 'OFFSET_OUT_OF_RANGE', retriable: false, message: 'The offset asked for lies outside the offsets this partition currently holds.' },
  { code: 2, name: 'CORRUPT_MESSAGE', retriable: true, message: 'A record or batch is damaged: bad checksum, bad size, or a null key on a compacted topic.' },
  { code: 3, name: 'UNKNOWN_TOPIC_OR_PARTITION', retriable: true, message: 'This broker has no such topic or partition.' },
  { code: 4, name: 'INVALID_FETCH_SIZE', retriable: false, message: 'The fetch asked for a size that is not acceptable.' },
  { code: 5, name: 'LEADER_NOT_AVAILABLE', retriable: true, message: 'The partition has no leader right now, usually because an election is under way.' },
  { code: 6, name: 'NOT_LEADER_OR_FOLLOWER', retriable: true, message: 'This broker is not the leader (or not a replica) for the partition; refresh metadata and retry.' },
  { code: 7, name: 'REQUEST_TIMED_OUT', retriable: true, message: 'The request did not complete within its time limit.' },
  { code: 8, name: 'BROKER_NOT_AVAILABLE', retriable: false, message: 'The broker in question is not up.' },
  { code: 9, name: 'REPLICA_NOT_AVAILABLE', retriable: true, message: 'A replica of the partition is not available on the broker that was asked.' },
  { code: 10, name: 'MESSAGE_TOO_LARGE', retriable: false, message: 'A record is bigger than the largest size the broker accepts.' },
  { code: 11, name: 'STALE_CONTROLLER_EPOCH', retriable: false, message: 'The request came from a controller that has since been replaced.' },
  { code: 12, name: 'OFFSET_METADATA_TOO_LARGE', retriable: false, message: 'The metadata string attached to a committed offset is too long.' },
  { code: 13, name: 'NETWORK_EXCEPTION', retriable: true, message: 'The connection closed before the response arrived.' },
  { code: 14, name: 'COORDINATOR_LOAD_IN_PROGRESS', retriable: true, message: 'The coordinator is still loading its state and cannot serve requests yet.' },
  { code: 15, name: 'COORDINATOR_NOT_AVAILABLE', retriable: true, message: 'No coordinator is currently available for this group or transaction.' },
  { code: 16, name: 'NOT_COORDINATOR', retriable: true, message: 'This broker is not the coordinator for the group or transaction; look it up again.' },
  { code: 17, name: 'INVALID_TOPIC_EXCEPTION', retriable: false, message: 'The topic name is not valid, or the topic may not be used this way.' },
  { code: 18, name: 'RECORD_LIST_TOO_LARGE', retriable: false, message: 'A record batch is larger than the log segment size allows.' },
  { code: 19, name: 'NOT_ENOUGH_REPLICAS', retriable: true, message: 'Too few in-sync replicas to accept the write; nothing was written.' },
  { code: 20, name: 'NOT_ENOUGH_REPLICAS_AFTER_APPEND', retriable: true, message: 'The write reached the log, but fewer in-sync replicas than required acknowledged it.' },
  { code: 21, name: 'INVALID_REQUIRED_ACKS', retriable: false, message: 'The produce request used an acks value the broker does not allow.' },
  { code: 22, name: 'ILLEGAL_GENERATION', retriable: false, message: 'The group generation in the request is not the current one.' },
  { code: 23, name: 'INCONSISTENT_GROUP_PROTOCOL', retriable: false, message: 'The member\'s protocol type or protocols do not match the rest of the group.' },
  { code: 24, name: 'INVALID_GROUP_ID', retriable: false, message: 'The group id is empty or otherwise not valid.' },
  { code: 25, name: 'UNKNOWN_MEMBER_ID', retriable: false, message: 'The coordinator does not know this member id; the member must rejoin.' },
  { code: 26, name: 'INVALID_SESSION_TIMEOUT', retriable: false, message: 'The session timeout is outside the range the broker permits.' },
  { code: 27, name: 'REBALANCE_IN_PROGRESS', retriable: false, message: 'The group is rebalancing; the member has to rejoin.' },
  { code: 28, name: 'INVALID_COMMIT_OFFSET_SIZE', retriable: false, message: 'The offset commit is too large to store.' },
  { code: 29, name: 'TOPIC_AUTHORIZATION_FAILED', retriable: false, message: 'The client is not allowed to perform this operation on the topic.' },
  { code: 30, name: 'GROUP_AUTHORIZATION_FAILED', retriable: false, message: 'The client is not allowed to perform this operation on the group.' },
  { code: 31, name: 'CLUSTER_AUTHORIZATION_FAILED', retriable: false, message: 'The client is not allowed to perform this cluster-wide operation.' },
  { code: 32, name: 'INVALID_TIMESTAMP', retriable: false, message: 'A record timestamp falls outside the range the topic accepts.' },
  { code: 33, name: 'UNSUPPORTED_SASL_MECHANISM', retriable: false, message: 'The broker does not offer the SASL mechanism the client asked for.' },
  { code: 34, name: 'ILLEGAL_SASL_STATE', retriable: false, message: 'The request is not allowed at this point of the SASL exchange.' },
  { code: 35, name: 'UNSUPPORTED_VERSION', retriable: false, message: 'The broker does not support this API or API version.' },
  { code: 36, name: 'TOPIC_ALREADY_EXISTS', retriable: false, message: 'The topic cannot be created because one by that name is already there.' },
  { code: 37, name: 'INVALID_PARTITIONS', retriable: false, message: 'The requested partition count is not valid.' },
  { code: 38, name: 'INVALID_REPLICATION_FACTOR', retriable: false, message: 'The replication factor is below one or above the number of live brokers.' },
  { code: 39, name: 'INVALID_REPLICA_ASSIGNMENT', retriable: false, message: 'The manual replica assignment is not valid.' },
  { code: 40, name: 'INVALID_CONFIG', retriable: false, message: 'A configuration value or combination is not valid.' },
  { code: 41, name: 'NOT_CONTROLLER', retriable: true, message: 'This node is not the active controller; find the controller and retry.' },
  { code: 42, name: 'INVALID_REQUEST', retriable: false, message: 'The request is malformed or makes no sense to this broker; see the broker log.' },
  { code: 43, name: 'UNSUPPORTED_FOR_MESSAGE_FORMAT', retriable: false, message: 'The operation needs a newer record format than the topic uses.' },
  { code: 44, name: 'POLICY_VIOLATION', retriable: false, message: 'The request breaks a policy configured on the broker.' },
  { code: 45, name: 'OUT_OF_ORDER_SEQUENCE_NUMBER', retriable: false, message: 'The idempotent producer sent a sequence number that skips ahead of what the broker expects.' },
  { code: 46, name: 'DUPLICATE_SEQUENCE_NUMBER', retriable: false, message: 'The idempotent producer resent a sequence number the broker already has.' },
  { code: 47, name: 'INVALID_PRODUCER_EPOCH', retriable: false, message: 'The producer used an epoch that is older than the current one.' },
  { code: 48, name: 'INVALID_TXN_STATE', retriable: false, message: 'The transactional operation is not allowed in the transaction\'s current state.' },
  { code: 49, name: 'INVALID_PRODUCER_ID_MAPPING', retriable: false, message: 'The producer id is not the one currently assigned to this transactional id.' },
  { code: 50, name: 'INVALID_TRANSACTION_TIMEOUT', retriable: false, message: 'The transaction timeout exceeds the broker\'s maximum.' },
  { code: 51, name: 'CONCURRENT_TRANSACTIONS', retriable: true, message: 'Another operation on the same transaction is still in progress.' },
  { code: 52, name: 'TRANSACTION_COORDINATOR_FENCED', retriable: false, message: 'The transaction coordinator that sent this is no longer in charge of the producer.' },
  { code: 53, name: 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED', retriable: false, message: 'The client is not allowed to use this transactional id.' },
  { code: 54, name: 'SECURITY_DISABLED', retriable: false, message: 'Security features are switched off on this broker.' },
  { code: 55, name: 'OPERATION_NOT_ATTEMPTED', retriable: false, message: 'The broker skipped this item because another part of the batched request failed.' },
  { code: 56, name: 'KAFKA_STORAGE_ERROR', retriable: true, message: 'A disk or log directory error stopped the broker from reading or writing the log.' },
  { code: 57, name: 'LOG_DIR_NOT_FOUND', retriable: false, message: 'The named log directory is not configured on the broker.' },
  { code: 58, name: 'SASL_AUTHENTICATION_FAILED', retriable: false, message: 'SASL authentication did not succeed.' },
  { code: 59, name: 'UNKNOWN_PRODUCER_ID', retriable: false, message: 'The broker has no state for this producer id, for example because its records expired.' },
  { code: 60, name: 'REASSIGNMENT_IN_PROGRESS', retriable: false, message: 'A partition reassignment is already running.' },
  { code: 61, name: 'DELEGATION_TOKEN_AUTH_DISABLED', retriable: false, message: 'Delegation tokens are not enabled.' },
  { code: 62, name: 'DELEGATION_TOKEN_NOT_FOUND', retriable: false, message: 'No such delegation token exists on the broker.' },
  { code: 63, name: 'DELEGATION_TOKEN_OWNER_MISMATCH', retriable: false, message: 'The principal is neither the owner nor a renewer of the delegation token.' },
  { code: 64, name: 'DELEGATION_TOKEN_REQUEST_NOT_ALLOWED', retriable: false, message: 'Delegation token requests are refused on this kind of connection or authentication.' },
  { code: 65, name: 'DELEGATION_TOKEN_AUTHORIZATION_FAILED', retriable: false, message: 'The client is not allowed to perform this delegation token operation.' },
  { code: 66, name: 'DELEGATION_TOKEN_EXPIRED', retriable: false, message: 'The delegation token has expired.' },
  { code: 67, name: 'INVALID_PRINCIPAL_TYPE', retriable: false, message: 'The principal type is not supported.' },
  { code: 68, name: 'NON_EMPTY_GROUP', retriable: false, message: 'The group still has members, so it cannot be deleted.' },
  { code: 69, name: 'GROUP_ID_NOT_FOUND', retriable: false, message: 'No group with this id exists.' },
  { code: 70, name: 'FETCH_SESSION_ID_NOT_FOUND', retriable: true, message: 'The incremental fetch session id is unknown to the broker.' },
  { code: 71, name: 'INVALID_FETCH_SESSION_EPOCH', retriable: true, message: 'The fetch session epoch does not match what the broker expects.' },
  { code: 72, name: 'LISTENER_NOT_FOUND', retriable: true, message: 'The partition leader has no listener matching the one this request arrived on.' },
  { code: 73, name: 'TOPIC_DELETION_DISABLED', retriable: false, message: 'Deleting topics is turned off on this cluster.' },
  { code: 74, name: 'FENCED_LEADER_EPOCH', retriable: true, message: 'The leader epoch in the request is older than the broker\'s.' },
  { code: 75, name: 'UNKNOWN_LEADER_EPOCH', retriable: true, message: 'The leader epoch in the request is newer than the broker knows about.' },
  { code: 76, name: 'UNSUPPORTED_COMPRESSION_TYPE', retriable: false, message: 'The client cannot handle the compression codec used by this partition.' },
  { code: 77, name: 'STALE_BROKER_EPOCH', retriable: false, message: 'The broker epoch in the request is out of date.' },
  { code: 78, name: 'OFFSET_NOT_AVAILABLE', retriable: true, message: 'The new leader\'s high watermark has not caught up yet, so offsets cannot be served.' },
  { code: 79, name: 'MEMBER_ID_REQUIRED', retriable: false, message: 'The member must rejoin using the member id the coordinator just handed out.' },
  { code: 80, name: 'PREFERRED_LEADER_NOT_AVAILABLE', retriable: true, message: 'The preferred replica cannot take over leadership right now.' },
  { code: 81, name: 'GROUP_MAX_SIZE_REACHED', retriable: false, message: 'The group already has the maximum number of members.' },
  { code: 82, name: 'FENCED_INSTANCE_ID', retriable: false, message: 'Another member now owns this static group.instance.id.' },
  { code: 83, name: 'ELIGIBLE_LEADERS_NOT_AVAILABLE', retriable: true, message: 'No replica eligible for leader election is available.' },
  { code: 84, name: 'ELECTION_NOT_NEEDED', retriable: true, message: 'The partition already has the leader the election would choose.' },
  { code: 85, name: 'NO_REASSIGNMENT_IN_PROGRESS', retriable: false, message: 'There is no partition reassignment to cancel or change.' },
  { code: 86, name: 'GROUP_SUBSCRIBED_TO_TOPIC', retriable: false, message: 'The group is still subscribed to the topic, so its offsets cannot be deleted.' },
  { code: 87, name: 'INVALID_RECORD', retriable: false, message: 'The broker rejected a record that failed validation.' },
  { code: 88, name: 'UNSTABLE_OFFSET_COMMIT', retriable: true, message: 'Pending transactional offset commits must settle before offsets can be read.' },
  { code: 89, name: 'THROTTLING_QUOTA_EXCEEDED', retriable: true, message: 'The request would go over a rate quota; try again later.' },
  { code: 90, name: 'PRODUCER_FENCED', retriable: false, message: 'A newer producer with the same transactional id has taken over.' },
  { code: 91, name: 'RESOURCE_NOT_FOUND', retriable: false, message: 'The request names a resource that does not exist.' },
  { code: 92, name: 'DUPLICATE_RESOURCE', retriable: false, message: 'The request names the same resource more than once.' },
  { code: 93, name: 'UNACCEPTABLE_CREDENTIAL', retriable: false, message: 'The credential does not meet the broker\'s requirements.' },
  { code: 94, name: 'INCONSISTENT_VOTER_SET', retriable: false, message: 'The sender or receiver of a quorum request is not among the expected voters.' },
  { code: 95, name: 'INVALID_UPDATE_VERSION', retriable: false, message: 'The update version given is not valid.' },
  { code: 96, name: 'FEATURE_UPDATE_FAILED', retriable: false, message: 'The finalized feature levels could not be changed because of a server-side failure.' },
  { code: 97, name: 'PRINCIPAL_DESERIALIZATION_FAILURE', retriable: false, message: 'A forwarded request carried a principal the controller could not decode.' },
  { code: 98, name: 'SNAPSHOT_NOT_FOUND', retriable: false, message: 'The requested metadata snapshot does not exist.' },
  { code: 99, name: 'POSITION_OUT_OF_RANGE', retriable: false, message: 'The position asked for is negative or past the end of the snapshot.' },
  { code: 100, name: 'UNKNOWN_TOPIC_ID', retriable: true, message: 'This broker has no topic with that topic id.' },
  { code: 101, name: 'DUPLICATE_BROKER_REGISTRATION', retriable: false, message: 'Another broker is already registered with this broker id.' },
  { code: 102, name: 'BROKER_ID_NOT_REGISTERED', retriable: false, message: 'No broker is registered under this broker id.' },
  { code: 103, name: 'INCONSISTENT_TOPIC_ID', retriable: true, message: 'The topic id in the request differs from the one stored with the log.' },
  { code: 104, name: 'INCONSISTENT_CLUSTER_ID', retriable: false, message: 'The cluster id in the request differs from this cluster\'s id.' },
  { code: 105, name: 'TRANSACTIONAL_ID_NOT_FOUND', retriable: false, message: 'No such transactional id is known.' },
  { code: 106, name: 'FETCH_SESSION_TOPIC_ID_ERROR', retriable: true, message: 'The fetch session mixed up topic ids (used inconsistently or missing).' },
  { code: 107, name: 'INELIGIBLE_REPLICA', retriable: false, message: 'The proposed ISR includes a replica that may not be in it.' },
  { code: 108, name: 'NEW_LEADER_ELECTED', retriable: false, message: 'The partition change was applied, but leadership moved in the meantime.' },
  { code: 109, name: 'OFFSET_MOVED_TO_TIERED_STORAGE', retriable: false, message: 'The offset is no longer on local disk; it lives in tiered storage.' },
  { code: 110, name: 'FENCED_MEMBER_EPOCH', retriable: false, message: 'The coordinator fenced this member\'s epoch; it must give up its partitions and rejoin.' },
  { code: 111, name: 'UNRELEASED_INSTANCE_ID', retriable: false, message: 'The static instance id is still held by another member, which has to leave first.' },
  { code: 112, name: 'UNSUPPORTED_ASSIGNOR', retriable: false, message: 'The group does not support the requested assignor or its versions.' },
  { code: 113, name: 'STALE_MEMBER_EPOCH', retriable: false, message: 'The member epoch is out of date; retry once a heartbeat returns the current epoch.' },
  { code: 114, name: 'MISMATCHED_ENDPOINT_TYPE', retriable: false, message: 'The request went to the wrong kind of endpoint (broker versus controller).' },
  { code: 115, name: 'UNSUPPORTED_ENDPOINT_TYPE', retriable: false, message: 'This kind of endpoint is not supported here yet.' },
  { code: 116, name: 'UNKNOWN_CONTROLLER_ID', retriable: false, message: 'No controller with this id is known.' },
  { code: 117, name: 'UNKNOWN_SUBSCRIPTION_ID', retriable: false, message: 'The telemetry push used a subscription id that is unknown or out of date.' },
  { code: 118, name: 'TELEMETRY_TOO_LARGE', retriable: false, message: 'The telemetry push is bigger than the broker accepts.' },
  { code: 119, name: 'INVALID_REGISTRATION', retriable: false, message: 'The controller judged the broker registration to be invalid.' },
  { code: 120, name: 'TRANSACTION_ABORTABLE', retriable: false, message: 'The transaction failed, but aborting it lets the producer keep using its transactional id.' },
  { code: 121, name: 'INVALID_RECORD_STATE', retriable: false, message: 'The record is not in a state that allows this acknowledgement.' },
  { code: 122, name: 'SHARE_SESSION_NOT_FOUND', retriable: true, message: 'The share session is unknown to the broker.' },
  { code: 123, name: 'INVALID_SHARE_SESSION_EPOCH', retriable: true, message: 'The share session epoch does not match what the broker expects.' },
  { code: 124, name: 'FENCED_STATE_EPOCH', retriable: false, message: 'The share-group state epoch is out of date, so the share coordinator refused the request.' },
  { code: 125, name: 'INVALID_VOTER_KEY', retriable: false, message: 'The voter key given does not belong to the receiving replica.' },
  { code: 126, name: 'DUPLICATE_VOTER', retriable: false, message: 'The replica is already a voter.' },
  { code: 127, name: 'VOTER_NOT_FOUND', retriable: false, message: 'The replica is not a voter.' },
  { code: 128, name: 'INVALID_REGULAR_EXPRESSION', retriable: false, message: 'The subscription regular expression cannot be parsed.' },
  { code: 129, name: 'REBOOTSTRAP_REQUIRED', retriable: false, message: 'The client\'s view of the cluster is out of date; it should reconnect via its bootstrap servers.' },
  { code: 130, name: 'STREAMS_INVALID_TOPOLOGY', retriable: false, message: 'The streams topology sent is not valid.' },
  { code: 131, name: 'STREAMS_INVALID_TOPOLOGY_EPOCH', retriable: false, message: 'The streams topology epoch sent is not valid.' },
  { code: 132, name: 'STREAMS_TOPOLOGY_FENCED', retriable: false, message: 'The streams topology epoch sent is older than the group\'s.' },
  { code: 133, name: 'SHARE_SESSION_LIMIT_REACHED', retriable: true, message: 'No new share session can be opened because the broker is at its limit.' },
  { code: 134, name: 'GROUP_DELETION_FAILED', retriable: false, message: 'The group could not be deleted; the error message says why.' },
  { code: 135, name: 'STREAMS_TOPOLOGY_DESCRIPTION_UPDATE_FAILED', retriable: false, message: 'The broker could not store the streams group\'s topology description.' },
  { code: 136, name: 'CONTROLLER_ID_NOT_REGISTERED', retriable: false, message: 'No controller is registered under this controller id.' },
] as const satisfies readonly ErrorCodeEntry[];

type KnownEntry = (typeof ERROR_CODES)[number];

/** Kafka's name of a defined error code. */
export type KafkaErrorName = KnownEntry['name'];

/** The code that belongs to name `N`. */
export type KafkaErrorCodeOf<N extends KafkaErrorName> = Extract<KnownEntry, { readonly name: N }>['code'];

/** Name of the synthetic entry that `errorByCode` returns for a code Kafka does not define. */
export const UNKNOWN_ERROR_NAME = 'UNKNOWN';

/** An entry from the table, or the synthetic entry for an unrecognised code. */
export type ErrorEntry = KnownEntry | {
  readonly code: number;
  readonly name: typeof UNKNOWN_ERROR_NAME;
  readonly retriable: false;
  readonly message: string;
};

/** Name to code, e.g. `ErrorCode.NOT_LEADER_OR_FOLLOWER === 6`. */
export const ErrorCode: { readonly [N in KafkaErrorName]: KafkaErrorCodeOf<N> } = Object.freeze(
  Object.fromEntries(ERROR_CODES.map((e) => [e.name, e.code])),
) as { readonly [N in KafkaErrorName]: KafkaErrorCodeOf<N> };

const byCode: ReadonlyMap<number, KnownEntry> = new Map(ERROR_CODES.map((e) => [e.code, e]));
const byName: ReadonlyMap<string, KnownEntry> = new Map(ERROR_CODES.map((e) => [e.name, e]));

/** True if Kafka defines `code`. */
export function isKnownErrorCode(code: number): boolean {
  return byCode.has(code);
}

/** True if `name` is one of Kafka's error names. */
export function isKafkaErrorName(name: string): name is KafkaErrorName {
  return byName.has(name);
}

/**
 * The table entry for `code`. A code Kafka does not define (say, from a newer
 * broker) gets a synthetic, non-retriable `UNKNOWN` entry that keeps the code,
 * rather than an exception.
 */
export function errorByCode(code: number): ErrorEntry {
  return byCode.get(code) ?? {
    code,
    name: UNKNOWN_ERROR_NAME,
    retriable: false,
    message: `Error code ${code} is not one this implementation knows.`,
  };
}

/** The table entry for a Kafka error name. */
export function errorByName<N extends KafkaErrorName>(name: N): Extract<KnownEntry, { readonly name: N }> {
  return byName.get(name) as Extract<KnownEntry, { readonly name: N }>;
}

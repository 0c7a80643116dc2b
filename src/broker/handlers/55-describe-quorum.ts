/**
 * DescribeQuorum (key 55), versions 0-2.
 *
 * The state of the KRaft metadata quorum (`__cluster_metadata-0`): leader,
 * epoch, high watermark and each voter's log end and last fetch time, as
 * `kafka-metadata-quorum.sh describe --status/--replication` shows it.
 *
 * Samsa: every node is a combined broker and controller and the quorum is
 * its voters, so there are no observers. Times are wall-clock milliseconds;
 * -1 where the leader has not heard from a voter in this epoch.
 *
 * Versions: v1 adds lastFetchTimestamp and lastCaughtUpTimestamp per replica;
 * v2 adds the voters' directory ids and their controller listeners (`nodes`).
 */
import { ApiKey } from '../../protocol/generated/api-registry.js';
import { ErrorCode } from '../../protocol/errors/index.js';
import { METADATA_TOPIC } from '../../metadata/metadata-log.js';
import { defineHandler } from './handler.js';

/** `id@host:port` entries of controller.quorum.voters, by id. */
function voterEndpoints(votersText: string | undefined): Map<number, { host: string; port: number }> {
  const endpoints = new Map<number, { host: string; port: number }>();
  for (const entry of (votersText ?? '').split(',')) {
    const match = /^\s*(\d+)@(.*):(\d+)\s*$/.exec(entry);
    if (match) endpoints.set(Number(match[1]), { host: match[2]!.replace(/^\[|\]$/g, ''), port: Number(match[3]) });
  }
  return endpoints;
}

export const describeQuorumHandler = defineHandler({
  apiKey: ApiKey.DescribeQuorum,
  minVersion: 0,
  maxVersion: 2,
  handle(request, ctx) {
    const asked = request.topics.length === 1 ? request.topics[0]! : undefined;
    const partition = asked?.partitions.length === 1 ? asked.partitions[0]! : undefined;
    if (asked?.topicName !== METADATA_TOPIC || partition?.partitionIndex !== 0) {
      return {
        errorCode: ErrorCode.NONE,
        topics: [
          {
            topicName: METADATA_TOPIC,
            partitions: [
              { partitionIndex: 0, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, leaderId: -1, leaderEpoch: -1, highWatermark: -1n, currentVoters: [], observers: [] },
            ],
          },
        ],
      };
    }
    const quorum = ctx.broker.controller.describeQuorum();
    const endpoints = voterEndpoints(ctx.broker.config.raw.get('controller.quorum.voters'));
    const listenerName = ctx.broker.config.controllerListenerNames[0] ?? 'CONTROLLER';
    return {
      errorCode: ErrorCode.NONE,
      topics: [
        {
          topicName: METADATA_TOPIC,
          partitions: [
            {
              partitionIndex: 0,
              errorCode: quorum.leaderId === ctx.broker.nodeId ? ErrorCode.NONE : ErrorCode.NOT_LEADER_OR_FOLLOWER,
              leaderId: quorum.leaderId,
              leaderEpoch: quorum.leaderEpoch,
              highWatermark: BigInt(quorum.highWatermark),
              currentVoters: quorum.voters.map((v) => ({
                replicaId: v.replicaId,
                logEndOffset: BigInt(v.logEndOffset),
                lastFetchTimestamp: BigInt(v.lastFetchTimestampMs),
                lastCaughtUpTimestamp: BigInt(v.lastCaughtUpTimestampMs),
              })),
              observers: [],
            },
          ],
        },
      ],
      nodes: quorum.voters.flatMap((v) => {
        const endpoint = endpoints.get(v.replicaId);
        return endpoint ? [{ nodeId: v.replicaId, listeners: [{ name: listenerName, host: endpoint.host, port: endpoint.port }] }] : [];
      }),
    };
  },
  errorResponse(_request, errorCode) {
    return { errorCode, topics: [] };
  },
});

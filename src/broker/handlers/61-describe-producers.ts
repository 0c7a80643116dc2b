/**
 * DescribeProducers (key 61), version 0.
 *
 * The producer state of partitions this broker leads (KIP-664): per
 * producer id its epoch, last sequence, last timestamp, coordinator epoch
 * and the first offset of its open transaction (-1 when none), as the log's
 * producer state holds them.
 */
import { ApiKey } from '../../protocol/generated/api-registry.js';
import { ErrorCode } from '../../protocol/errors/index.js';
import { NO_OFFSET } from '../../storage/producer-state.js';
import { StoragePartitionLog } from '../replica/storage-partition-log.js';
import { defineHandler } from './handler.js';

export const describeProducersHandler = defineHandler({
  apiKey: ApiKey.DescribeProducers,
  minVersion: 0,
  maxVersion: 0,
  handle(request, ctx) {
    const image = ctx.broker.image();
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((t) => {
        const topic = image.topic(t.name);
        return {
          name: t.name,
          partitions: t.partitionIndexes.map((index) => {
            const none = { partitionIndex: index, activeProducers: [] };
            if (topic === undefined || index < 0 || index >= topic.partitions.length) return { ...none, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null };
            if (topic.partitions[index]!.leader !== ctx.broker.nodeId) return { ...none, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, errorMessage: null };
            const hosted = ctx.broker.replicas.partition(topic.topicId, index);
            if (hosted === undefined || !(hosted.log instanceof StoragePartitionLog)) return { ...none, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, errorMessage: null };
            const activeProducers = [...hosted.log.log.producerState.allEntries()].map((e) => ({
              producerId: e.producerId,
              producerEpoch: e.epoch,
              lastSequence: e.batches.at(-1)?.lastSeq ?? -1,
              lastTimestamp: BigInt(e.lastTimestamp),
              coordinatorEpoch: e.coordinatorEpoch,
              currentTxnStartOffset: BigInt(e.currentTxnFirstOffset === NO_OFFSET ? -1 : e.currentTxnFirstOffset),
            }));
            return { partitionIndex: index, errorCode: ErrorCode.NONE, errorMessage: null, activeProducers };
          }),
        };
      }),
    };
  },
  errorResponse(request, errorCode) {
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, errorCode, errorMessage: null, activeProducers: [] })) })),
    };
  },
});

/**
 * WriteTxnMarkers (key 27), versions 0-1.
 *
 * Writes COMMIT or ABORT markers for a producer to partitions this broker
 * leads (what a transaction coordinator sends to partition leaders; also
 * what `kafka-transactions.sh abort` uses). Each partition answers on its
 * own: NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_OR_PARTITION, or the producer
 * state's verdict; a marker older than the producer's epoch
 * (INVALID_PRODUCER_EPOCH) or coordinator epoch
 * (TRANSACTION_COORDINATOR_FENCED) is not written. The in-process
 * coordinator calls the same code directly. v1 is flexible.
 */
import { ApiKey } from '../../protocol/generated/api-registry.js';
import { ErrorCode } from '../../protocol/errors/index.js';
import { defineHandler } from './handler.js';
import { txnService } from './txn-common.js';

export const writeTxnMarkersHandler = defineHandler({
  apiKey: ApiKey.WriteTxnMarkers,
  minVersion: 0,
  maxVersion: 1,
  async handle(request, ctx) {
    const image = ctx.broker.image();
    const service = txnService(ctx);
    const markers = [];
    for (const m of request.markers) {
      const known = m.topics.flatMap((t) =>
        t.partitionIndexes.filter((p) => (image.topic(t.name)?.partitions.length ?? 0) > p && p >= 0).map((partition) => ({ topic: t.name, partition })),
      );
      const written = await service.writeMarkersStrict(
        { producerId: m.producerId, producerEpoch: m.producerEpoch, commit: m.transactionResult, coordinatorEpoch: m.coordinatorEpoch },
        known,
      );
      const codeOf = (topic: string, p: number): number =>
        written.find((w) => w.tp.topic === topic && w.tp.partition === p)?.errorCode ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      markers.push({
        producerId: m.producerId,
        topics: m.topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((p) => ({ partitionIndex: p, errorCode: codeOf(t.name, p) })) })),
      });
    }
    return { markers };
  },
  errorResponse(request, errorCode) {
    return {
      markers: request.markers.map((m) => ({
        producerId: m.producerId,
        topics: m.topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((p) => ({ partitionIndex: p, errorCode })) })),
      })),
    };
  },
});

/**
 * AddPartitionsToTxn (key 24), versions 0-5.
 *
 * Adds partitions to the producer's transaction (Empty/Complete* → Ongoing,
 * answered once the new state is durable in `__transaction_state`). Unknown
 * partitions get UNKNOWN_TOPIC_OR_PARTITION and the others
 * OPERATION_NOT_ATTEMPTED; a stale epoch PRODUCER_FENCED
 * (INVALID_PRODUCER_EPOCH before v2); a transaction being completed
 * CONCURRENT_TRANSACTIONS, which clients retry.
 *
 * v1-v2 change nothing on the wire (v2: PRODUCER_FENCED); v3 is flexible;
 * v4 is the batched broker-to-broker form of KIP-890 (many transactions in
 * one request, a `verifyOnly` flag that checks without adding, a top-level
 * error code); v5 changes nothing on the wire.
 */
import { ApiKey } from '../../protocol/generated/api-registry.js';
import type {
  AddPartitionsToTxnResponseAddPartitionsToTxnResultInput,
  AddPartitionsToTxnResponseAddPartitionsToTxnTopicResultInput,
} from '../../protocol/generated/messages/add-partitions-to-txn-response.js';
import { fencedForVersion } from '../../coordinator/transaction/transaction-coordinator-service.js';
import { defineHandler } from './handler.js';
import { txnCoordinatorReady, txnService } from './txn-common.js';

const BATCHED_VERSION = 4;

type Topics = ReadonlyArray<{ name: string; partitions: readonly number[] }>;

function topicResults(topics: Topics, codeOf: (topic: string, partition: number) => number): AddPartitionsToTxnResponseAddPartitionsToTxnTopicResultInput[] {
  return topics.map((t) => ({ name: t.name, resultsByPartition: t.partitions.map((p) => ({ partitionIndex: p, partitionErrorCode: codeOf(t.name, p) })) }));
}

export const addPartitionsToTxnHandler = defineHandler({
  apiKey: ApiKey.AddPartitionsToTxn,
  minVersion: 0,
  maxVersion: 5,
  async handle(request, ctx) {
    const notReady = await txnCoordinatorReady(ctx);
    const coordinator = txnService(ctx).coordinator;
    const one = async (id: string, producerId: bigint, epoch: number, topics: Topics, verifyOnly: boolean) => {
      if (notReady !== null) return topicResults(topics, () => notReady);
      const tps = topics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.name, partition })));
      const codes = await coordinator.addPartitions(id, producerId, epoch, tps, verifyOnly);
      return topicResults(topics, (topic, p) => fencedForVersion(codes.get(topic)?.get(p) ?? 0, ctx.apiVersion, 2));
    };
    if (ctx.apiVersion >= BATCHED_VERSION) {
      const resultsByTransaction: AddPartitionsToTxnResponseAddPartitionsToTxnResultInput[] = [];
      for (const txn of request.transactions) {
        resultsByTransaction.push({
          transactionalId: txn.transactionalId,
          topicResults: await one(txn.transactionalId, txn.producerId, txn.producerEpoch, txn.topics, txn.verifyOnly),
        });
      }
      return { throttleTimeMs: 0, errorCode: 0, resultsByTransaction };
    }
    return {
      throttleTimeMs: 0,
      resultsByTopicV3AndBelow: await one(request.v3AndBelowTransactionalId, request.v3AndBelowProducerId, request.v3AndBelowProducerEpoch, request.v3AndBelowTopics, false),
    };
  },
  errorResponse(request, errorCode, ctx) {
    if (ctx.apiVersion >= BATCHED_VERSION) return { throttleTimeMs: 0, errorCode, resultsByTransaction: [] };
    return { throttleTimeMs: 0, resultsByTopicV3AndBelow: topicResults(request.v3AndBelowTopics, () => errorCode) };
  },
});

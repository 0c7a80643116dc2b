/**
 * A fake single-broker cluster on top of startFakeBroker: it answers
 * ApiVersions, Metadata, InitProducerId and Produce (keeping each
 * partition's batches and assigning offsets), and lets a test intercept
 * any request first. Enough to test the producer's batching without a broker.
 */
import { ApiKey } from '../../protocol/generated/api-registry.js';
import type { ProduceRequest } from '../../protocol/generated/messages/produce-request.js';
import { decodeRecordBatch, type DecodedBatch } from '../../protocol/records/batch-decoder.js';
import { allApiVersions, startFakeBroker, typedBody, type FakeBroker, type FakeReply, type FakeRequest } from './fake-broker.js';

export interface FakeCluster {
  broker: FakeBroker;
  bootstrap: string;
  /** Batches received per "topic/partition", in order. */
  batches: Map<string, DecodedBatch[]>;
  produceRequests: ProduceRequest[];
  close(): Promise<void>;
}

export interface FakeClusterOptions {
  topics: Record<string, number>;
  /** Return a reply to override the default handling, or undefined to fall through. */
  intercept?: (request: FakeRequest) => FakeReply | undefined;
  withoutApis?: number[];
}

export async function startFakeCluster(options: FakeClusterOptions): Promise<FakeCluster> {
  const batches = new Map<string, DecodedBatch[]>();
  const produceRequests: ProduceRequest[] = [];
  const nextOffset = new Map<string, number>();
  // Like a broker: an idempotent batch must carry the next sequence of its partition.
  const nextSequence = new Map<string, number>();
  let nextProducerId = 4242n;
  const apiKeys = allApiVersions().filter((k) => !(options.withoutApis ?? []).includes(k.apiKey));
  const broker: FakeBroker = await startFakeBroker((req) => {
    if (req.apiKey === ApiKey.ApiVersions) return typedBody(ApiKey.ApiVersions, { errorCode: 0, apiKeys });
    const intercepted = options.intercept?.(req);
    if (intercepted !== undefined) return intercepted;
    switch (req.apiKey) {
      case ApiKey.Metadata:
        return typedBody(ApiKey.Metadata, {
          brokers: [{ nodeId: 0, host: '127.0.0.1', port: broker.port }],
          clusterId: 'fake',
          controllerId: 0,
          topics: Object.entries(options.topics).map(([name, count]) => ({
            errorCode: 0,
            name,
            topicId: Buffer.alloc(16, name.length).toString('base64url'),
            partitions: Array.from({ length: count }, (_, i) => ({ errorCode: 0, partitionIndex: i, leaderId: 0, replicaNodes: [0], isrNodes: [0] })),
          })),
        });
      case ApiKey.InitProducerId:
        return typedBody(ApiKey.InitProducerId, { throttleTimeMs: 0, errorCode: 0, producerId: nextProducerId++, producerEpoch: 3 });
      case ApiKey.Produce: {
        const body = req.body as ProduceRequest;
        produceRequests.push(body);
        if (body.acks === 0) return null;
        return typedBody(ApiKey.Produce, {
          responses: body.topicData.map((t) => ({
            name: t.name,
            partitionResponses: t.partitionData.map((p) => {
              const key = `${t.name}/${p.index}`;
              const batch = decodeRecordBatch(p.records!, 0, { origin: 'client' });
              if (batch.header.producerId >= 0n) {
                const seqKey = `${key}/${batch.header.producerId}`;
                const expected = nextSequence.get(seqKey) ?? 0;
                if (batch.header.baseSequence !== expected) {
                  return { index: p.index, errorCode: batch.header.baseSequence < expected ? 46 : 45, baseOffset: -1n };
                }
                nextSequence.set(seqKey, expected + batch.records.length);
              }
              const list = batches.get(key) ?? [];
              list.push(batch);
              batches.set(key, list);
              const base = nextOffset.get(key) ?? 0;
              nextOffset.set(key, base + batch.records.length);
              return { index: p.index, errorCode: 0, baseOffset: BigInt(base) };
            }),
          })),
        });
      }
      default:
        return null;
    }
  });
  return { broker, bootstrap: `127.0.0.1:${broker.port}`, batches, produceRequests, close: () => broker.close() };
}

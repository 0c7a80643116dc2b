/** Shared test steps: read a whole topic back with raw Fetch requests. */
import { ApiKey } from '../../../src/protocol/generated/api-registry.js';
import { RawClient } from './raw-client.js';
import { readRecords, type FetchedRecord } from './records.js';

/** Fetches every partition of `topic` from offset 0 up to its high watermark. */
export async function fetchAll(client: RawClient, topic: string, partitionCount: number): Promise<Map<number, FetchedRecord[]>> {
  const result = new Map<number, FetchedRecord[]>();
  const next = new Map<number, number>();
  const done = new Set<number>();
  for (let p = 0; p < partitionCount; p++) {
    result.set(p, []);
    next.set(p, 0);
  }
  while (done.size < partitionCount) {
    const response = await client.send(ApiKey.Fetch, 11, {
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1 << 20,
      topics: [
        {
          topic,
          partitions: [...next.entries()]
            .filter(([p]) => !done.has(p))
            .map(([partition, fetchOffset]) => ({ partition, fetchOffset: BigInt(fetchOffset), partitionMaxBytes: 64 * 1024 })),
        },
      ],
    });
    for (const t of response.responses) {
      for (const p of t.partitions) {
        if (p.errorCode !== 0) throw new Error(`fetch ${topic}-${p.partitionIndex}: error ${p.errorCode}`);
        const records = readRecords(p.records).filter((r) => r.offset >= next.get(p.partitionIndex)!);
        result.get(p.partitionIndex)!.push(...records);
        const last = records.at(-1);
        if (last !== undefined) next.set(p.partitionIndex, last.offset + 1);
        if (next.get(p.partitionIndex)! >= Number(p.highWatermark)) done.add(p.partitionIndex);
      }
    }
  }
  return result;
}

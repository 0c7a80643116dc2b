/**
 * Test helpers for idempotence and transactions: a TCP proxy that cuts
 * connections mid-request, and a read_committed reader on raw Fetch.
 */
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { ApiKey } from '../../src/protocol/generated/api-registry.js';
import { decodeRecordBatches } from '../../src/protocol/records/batch-decoder.js';
import { ControlRecordType, decodeControlRecordKey } from '../../src/protocol/records/control-record.js';
import type { Random } from '../../src/platform/random.js';
import type { RawClient } from './support/raw-client.js';

/**
 * Forwards connections to `targetPort`; with probability `cutChance` per
 * client chunk it either forwards half the chunk and cuts (the request never
 * arrives whole) or forwards it and cuts before the response (the write
 * happened, the client does not know: it must retry and be deduplicated).
 */
export class ChaosProxy {
  targetPort = 0;
  cutChance = 0;
  cuts = { midRequest: 0, lostResponse: 0 };
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly random: Random) {
    this.server = createServer((client) => this.accept(client));
  }

  static async listen(random: Random): Promise<ChaosProxy> {
    const proxy = new ChaosProxy(random);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('proxy not listening');
    return address.port;
  }

  private accept(client: Socket): void {
    const upstream = connect(this.targetPort, '127.0.0.1');
    this.sockets.add(client);
    this.sockets.add(upstream);
    let dropResponses = false;
    const cut = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', () => {
      this.sockets.delete(client);
      upstream.destroy();
    });
    upstream.on('close', () => {
      this.sockets.delete(upstream);
      client.destroy();
    });
    client.on('error', cut);
    upstream.on('error', cut);
    client.on('data', (chunk: Buffer) => {
      if (this.cutChance > 0 && this.random.chance(this.cutChance)) {
        if (this.random.chance(0.5) && chunk.length > 1) {
          this.cuts.midRequest++;
          upstream.write(chunk.subarray(0, chunk.length >> 1), cut);
        } else {
          this.cuts.lostResponse++;
          dropResponses = true;
          upstream.write(chunk);
          // Give the broker time to act on the request, then cut before any answer reaches the client.
          upstream.once('data', cut);
        }
        return;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!dropResponses) client.write(chunk);
    });
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * Reads one partition as a read_committed consumer does, with raw Fetch v11
 * (isolation 1): up to the LSO, dropping each aborted transaction's records
 * from its first offset to its ABORT marker (Kafka's consumer algorithm).
 */
export async function readCommittedPartition(raw: RawClient, topic: string, partition: number): Promise<string[]> {
  const values: string[] = [];
  let offset = 0;
  for (;;) {
    const res = await raw.send(ApiKey.Fetch, 11, {
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1 << 20,
      isolationLevel: 1,
      topics: [{ topic, partitions: [{ partition, fetchOffset: BigInt(offset), partitionMaxBytes: 1 << 20 }] }],
    });
    const part = res.responses[0]!.partitions[0]!;
    assert.equal(part.errorCode, 0);
    if (part.records === null || part.records.length === 0) break;
    const queue = (part.abortedTransactions ?? []).map((a) => ({ producerId: a.producerId, firstOffset: Number(a.firstOffset) })).sort((a, b) => a.firstOffset - b.firstOffset);
    const abortedProducers = new Set<bigint>();
    const from = offset;
    for (const b of decodeRecordBatches(part.records)) {
      const last = b.header.baseOffset + b.header.lastOffsetDelta;
      if (last < from) continue;
      offset = last + 1;
      while (queue.length > 0 && queue[0]!.firstOffset <= last) abortedProducers.add(queue.shift()!.producerId);
      if (b.header.isControl) {
        if (decodeControlRecordKey(b.records[0]?.key ?? null).type === ControlRecordType.abort) abortedProducers.delete(b.header.producerId);
        continue;
      }
      if (b.header.isTransactional && abortedProducers.has(b.header.producerId)) continue;
      for (const r of b.records) if (r.offset >= from) values.push(r.value?.toString() ?? '');
    }
    if (offset >= Number(part.lastStableOffset)) break;
  }
  return values;
}

export async function readCommittedRaw(raw: RawClient, topic: string, partitions: number): Promise<string[][]> {
  const out: string[][] = [];
  for (let p = 0; p < partitions; p++) out.push(await readCommittedPartition(raw, topic, p));
  return out;
}

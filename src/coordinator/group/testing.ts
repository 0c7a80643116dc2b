/**
 * Test scaffolding for the group coordinator: a manual clock, an in-memory
 * `__consumer_offsets` that completes appends at once (or when released),
 * keeps transactional batches' producer ids and transaction markers, and
 * request helpers that capture callback answers.
 */
import { ManualClock } from '../../platform/clock.js';
import { seededRandom } from '../../platform/random.js';
import { Writer } from '../../protocol/primitives/writer.js';
import { encodeConsumerProtocolSubscription } from '../../protocol/generated/messages/consumer-protocol-subscription.js';
import { encodeConsumerProtocolAssignment } from '../../protocol/generated/messages/consumer-protocol-assignment.js';
import type { JoinGroupRequest } from '../../protocol/generated/messages/join-group-request.js';
import type { JoinGroupResponseInput } from '../../protocol/generated/messages/join-group-response.js';
import type { SyncGroupResponseInput } from '../../protocol/generated/messages/sync-group-response.js';
import type { GroupCoordinatorConfig } from './config.js';
import { GroupCoordinator, NO_PRODUCER_ID, type CoordinatorLogWriter, type RequestContext, type TransactionalProducer } from './group-coordinator.js';
import type { CoordinatorRecord } from './records.js';

/** One entry of the in-memory log: a record (of a transactional batch when producerId is set) or a transaction marker. */
export interface MemoryLogEntry extends CoordinatorRecord {
  /** NO_PRODUCER_ID unless the record came in a transactional batch, or this is a marker. */
  readonly producerId: bigint;
  /** For a transaction marker: which one (key and value are then empty); null for records. */
  readonly control: 'commit' | 'abort' | null;
}

/** An in-memory `__consumer_offsets`: every partition is a list of entries whose index is their offset. */
export class MemoryOffsetsLog implements CoordinatorLogWriter {
  readonly partitions = new Map<number, MemoryLogEntry[]>();
  /** When true, appends wait in `held` until `release()`. */
  hold = false;
  /** The error code the next appends complete with (0 = success). */
  failWith = 0;
  readonly held: Array<() => void> = [];

  append(partition: number, records: readonly CoordinatorRecord[], done: (errorCode: number) => void, transaction?: TransactionalProducer): void {
    const producerId = transaction?.producerId ?? NO_PRODUCER_ID;
    const complete = (): void => {
      const errorCode = this.failWith;
      if (errorCode === 0) {
        const list = this.partitions.get(partition) ?? [];
        list.push(...records.map((r) => ({ key: r.key, value: r.value, producerId, control: null })));
        this.partitions.set(partition, list);
      }
      done(errorCode);
    };
    if (this.hold) this.held.push(complete);
    else complete();
  }

  release(): void {
    while (this.held.length > 0) this.held.shift()!();
  }

  /** Appends a transaction marker, as the transaction coordinator does; returns its offset. */
  appendMarker(partition: number, producerId: bigint, commit: boolean): number {
    const list = this.partitions.get(partition) ?? [];
    list.push({ key: Buffer.alloc(0), value: null, producerId, control: commit ? 'commit' : 'abort' });
    this.partitions.set(partition, list);
    return list.length - 1;
  }

  /** Loads every partition of this log into a fresh coordinator, as a restarted broker would. */
  replayInto(coordinator: GroupCoordinator): void {
    for (let p = 0; p < coordinator.config.offsetsTopicPartitions; p++) {
      coordinator.beginLoad(p);
      (this.partitions.get(p) ?? []).forEach((r, offset) => {
        if (r.control !== null) coordinator.replayEndTransactionMarker(p, r.producerId, r.control === 'commit');
        else coordinator.replay(p, r.key, r.value, r.producerId, offset);
      });
      coordinator.completeLoad(p);
    }
  }
}

export interface Harness {
  readonly clock: ManualClock;
  readonly log: MemoryOffsetsLog;
  readonly coordinator: GroupCoordinator;
  /** Advances the clock and runs due timers. */
  advance(ms: number): void;
}

export function makeHarness(config: Partial<GroupCoordinatorConfig> = {}, log = new MemoryOffsetsLog(), clock = new ManualClock(), seed = 1): Harness {
  const coordinator = new GroupCoordinator({
    clock,
    random: seededRandom(seed),
    writer: log,
    config: { offsetsTopicPartitions: 4, initialRebalanceDelayMs: 0, ...config },
  });
  log.replayInto(coordinator);
  return {
    clock,
    log,
    coordinator,
    advance(ms: number) {
      // Step to each deadline so timers fire in order, at their time.
      const target = clock.monotonicMs() + ms;
      for (;;) {
        const next = coordinator.timer.nextDeadlineMs();
        if (next === undefined || next > target) break;
        if (next > clock.monotonicMs()) clock.advance(next - clock.monotonicMs());
        coordinator.poll();
      }
      if (target > clock.monotonicMs()) clock.advance(target - clock.monotonicMs());
      coordinator.poll();
    },
  };
}

export function ctx(apiVersion: number, clientId = 'client'): RequestContext {
  return { apiVersion, clientId, clientHost: '/127.0.0.1' };
}

/** A captured callback answer. */
export class Box<T> {
  value: T | undefined;
  count = 0;
  readonly set = (v: T): void => {
    this.value = v;
    this.count++;
  };
  get done(): boolean {
    return this.count > 0;
  }
  get(): T {
    if (this.value === undefined) throw new Error('no answer yet');
    return this.value;
  }
}

export function subscription(topics: string[], userData: Buffer | null = null): Buffer {
  const w = new Writer();
  w.writeInt16(0);
  encodeConsumerProtocolSubscription(w, 0, { topics, userData });
  return w.toBuffer();
}

export function assignment(partitions: Record<string, number[]>): Buffer {
  const w = new Writer();
  w.writeInt16(0);
  encodeConsumerProtocolAssignment(w, 0, {
    assignedPartitions: Object.entries(partitions).map(([topic, ps]) => ({ topic, partitions: ps })),
    userData: null,
  });
  return w.toBuffer();
}

export function joinRequest(groupId: string, memberId: string, options: Partial<JoinGroupRequest> = {}): JoinGroupRequest {
  return {
    groupId,
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 30_000,
    memberId,
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: subscription(['orders']) }],
    reason: null,
    ...options,
  };
}

export type JoinBox = Box<JoinGroupResponseInput>;
export type SyncBox = Box<SyncGroupResponseInput>;

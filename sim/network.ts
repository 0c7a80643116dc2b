/**
 * The simulator's network: every message is encoded to bytes when sent and
 * decoded when delivered, travels for a random delay (so messages between
 * the same two nodes overtake each other), and may be dropped, duplicated,
 * or blocked by a partition. All of it is drawn from the run's seeded Random.
 */
import type { Random } from '../src/platform/random.js';
import { decodeRaftMessage, encodeRaftMessage, type RaftMessage } from '../src/raft/messages.js';

interface InFlight {
  readonly deliverAtMs: number;
  readonly seq: number;
  readonly from: number;
  readonly to: number;
  readonly bytes: Buffer;
}

export interface NetworkFaults {
  /** Probability a message is lost. */
  dropProbability: number;
  /** Probability a message is delivered twice. */
  duplicateProbability: number;
  delayMinMs: number;
  delayMaxMs: number;
}

export class SimNetwork {
  private queue: InFlight[] = [];
  private seq = 0;
  /** Pairs "a>b" that cannot talk (in that direction). */
  private readonly blocked = new Set<string>();
  faults: NetworkFaults = { dropProbability: 0, duplicateProbability: 0, delayMinMs: 1, delayMaxMs: 10 };
  readonly stats = { sent: 0, delivered: 0, dropped: 0, duplicated: 0, bytes: 0 };

  constructor(private readonly random: Random) {}

  send(nowMs: number, message: RaftMessage): void {
    this.stats.sent++;
    if (this.isBlocked(message.from, message.to) || this.random.chance(this.faults.dropProbability)) {
      this.stats.dropped++;
      return;
    }
    const bytes = encodeRaftMessage(message);
    this.stats.bytes += bytes.length;
    const copies = this.random.chance(this.faults.duplicateProbability) ? 2 : 1;
    if (copies === 2) this.stats.duplicated++;
    for (let i = 0; i < copies; i++) {
      const span = Math.max(0, this.faults.delayMaxMs - this.faults.delayMinMs);
      const delay = this.faults.delayMinMs + this.random.int(span + 1);
      this.queue.push({ deliverAtMs: nowMs + delay, seq: this.seq++, from: message.from, to: message.to, bytes });
    }
  }

  nextDeliveryMs(): number {
    let next = Number.POSITIVE_INFINITY;
    for (const m of this.queue) if (m.deliverAtMs < next) next = m.deliverAtMs;
    return next;
  }

  /** Messages due by `nowMs`, in delivery order; a partition that formed meanwhile still blocks them. */
  takeDue(nowMs: number): RaftMessage[] {
    const due: InFlight[] = [];
    const rest: InFlight[] = [];
    for (const m of this.queue) (m.deliverAtMs <= nowMs ? due : rest).push(m);
    this.queue = rest;
    due.sort((a, b) => a.deliverAtMs - b.deliverAtMs || a.seq - b.seq);
    const out: RaftMessage[] = [];
    for (const m of due) {
      if (this.isBlocked(m.from, m.to)) {
        this.stats.dropped++;
        continue;
      }
      this.stats.delivered++;
      out.push(decodeRaftMessage(Buffer.from(m.bytes)));
    }
    return out;
  }

  /** Forgets everything in flight to or from a node (it crashed: its connections are gone). */
  dropFor(nodeId: number): void {
    this.queue = this.queue.filter((m) => m.to !== nodeId && m.from !== nodeId);
  }

  isBlocked(from: number, to: number): boolean {
    return this.blocked.has(`${from}>${to}`);
  }

  /** Splits the nodes into groups that cannot reach each other. */
  partition(groups: readonly (readonly number[])[]): void {
    this.blocked.clear();
    for (const a of groups) {
      for (const b of groups) {
        if (a === b) continue;
        for (const x of a) for (const y of b) this.blocked.add(`${x}>${y}`);
      }
    }
  }

  /** One direction only: `from` can no longer reach `to`. */
  blockOneWay(from: number, to: number): void {
    this.blocked.add(`${from}>${to}`);
  }

  heal(): void {
    this.blocked.clear();
  }

  describePartition(): string {
    return this.blocked.size === 0 ? 'none' : [...this.blocked].sort().join(' ');
  }
}

import type { Clock } from '../../platform/clock.js';

/**
 * Keyed one-shot timers on an injected clock. Nothing fires on its own:
 * `poll()` runs whatever is due, so tests (and the simulator) decide exactly
 * when time passes, and production code re-arms one real timer at
 * `nextDeadlineMs()` (see CoordinatorTimerDriver).
 *
 * Scheduling a key that is already pending replaces it, which is how session
 * timeouts are "reset" by heartbeats. Due tasks run in deadline order, ties in
 * scheduling order, so a run is reproducible.
 */
export class CoordinatorTimer {
  private readonly pending = new Map<string, TimerEntry>();
  private readonly heap: TimerEntry[] = [];
  private seq = 0;
  /** Called whenever the earliest deadline may have changed. */
  onChange: (() => void) | null = null;

  constructor(private readonly clock: Clock) {}

  /** Runs `task` once `delayMs` from now, replacing any task pending under `key`. */
  schedule(key: string, delayMs: number, task: () => void): void {
    const entry: TimerEntry = { key, deadlineMs: this.clock.monotonicMs() + Math.max(0, delayMs), seq: this.seq++, task, live: true };
    const previous = this.pending.get(key);
    if (previous !== undefined) previous.live = false;
    this.pending.set(key, entry);
    this.push(entry);
    // Replaced entries stay in the heap until they surface; rebuild when they dominate.
    if (this.heap.length > 64 + 2 * this.pending.size) this.rebuild();
    this.onChange?.();
  }

  cancel(key: string): void {
    const previous = this.pending.get(key);
    if (previous === undefined) return;
    previous.live = false;
    this.pending.delete(key);
    this.onChange?.();
  }

  isScheduled(key: string): boolean {
    return this.pending.has(key);
  }

  /** Monotonic time of the earliest pending deadline, or undefined when nothing is pending. */
  nextDeadlineMs(): number | undefined {
    this.dropDead();
    return this.heap[0]?.deadlineMs;
  }

  get size(): number {
    return this.pending.size;
  }

  /** Runs every task whose deadline has passed, including ones that earlier tasks schedule as already due. Returns how many ran. */
  poll(): number {
    let ran = 0;
    for (;;) {
      this.dropDead();
      const head = this.heap[0];
      if (head === undefined || head.deadlineMs > this.clock.monotonicMs()) break;
      this.pop();
      head.live = false;
      this.pending.delete(head.key);
      ran++;
      head.task();
    }
    if (ran > 0) this.onChange?.();
    return ran;
  }

  /** Forgets every pending task. */
  clear(): void {
    for (const entry of this.pending.values()) entry.live = false;
    this.pending.clear();
    this.heap.length = 0;
    this.onChange?.();
  }

  private rebuild(): void {
    const live = [...this.pending.values()].sort((a, b) => (this.before(a, b) ? -1 : 1));
    this.heap.length = 0;
    // A sorted array is a valid binary min-heap.
    for (const entry of live) this.heap.push(entry);
  }

  private dropDead(): void {
    while (this.heap.length > 0 && !this.heap[0]!.live) this.pop();
  }

  private before(a: TimerEntry, b: TimerEntry): boolean {
    return a.deadlineMs < b.deadlineMs || (a.deadlineMs === b.deadlineMs && a.seq < b.seq);
  }

  private push(entry: TimerEntry): void {
    const heap = this.heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop();
    if (last === undefined || heap.length === 0) return;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let smallest = i;
      if (l < heap.length && this.before(heap[l]!, heap[smallest]!)) smallest = l;
      if (r < heap.length && this.before(heap[r]!, heap[smallest]!)) smallest = r;
      if (smallest === i) break;
      [heap[i], heap[smallest]] = [heap[smallest]!, heap[i]!];
      i = smallest;
    }
  }
}

interface TimerEntry {
  readonly key: string;
  readonly deadlineMs: number;
  readonly seq: number;
  readonly task: () => void;
  live: boolean;
}

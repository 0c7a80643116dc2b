/**
 * Deferred work for storage (deleting `.deleted` files after
 * file.delete.delay.ms, periodic flush/retention/cleaning). Injected so tests
 * drive it with a manual clock and nothing fires behind their back.
 */
import type { ManualClock } from '../platform/clock.js';

export type Task = () => void | Promise<void>;

export interface Scheduler {
  /** Runs `task` once after `delayMs`. Errors are reported to the scheduler's handler, never thrown at the caller. */
  schedule(name: string, delayMs: number, task: Task): void;
  /** Runs `task` every `periodMs` until the scheduler stops; a run never overlaps the previous one. */
  schedulePeriodic(name: string, periodMs: number, task: Task): void;
  /** Cancels everything pending; resolves when running tasks have finished. */
  stop(): Promise<void>;
}

export type TaskErrorHandler = (name: string, err: unknown) => void;

/** Real timers, unref'd so a pending delete never keeps the process alive. */
export class TimerScheduler implements Scheduler {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly running = new Set<Promise<void>>();
  private stopped = false;

  constructor(private readonly onError: TaskErrorHandler = () => undefined) {}

  private run(name: string, task: Task): Promise<void> {
    const p = (async () => {
      try {
        await task();
      } catch (err) {
        this.onError(name, err);
      }
    })();
    this.running.add(p);
    void p.finally(() => this.running.delete(p));
    return p;
  }

  schedule(name: string, delayMs: number, task: Task): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.run(name, task);
    }, Math.max(0, Math.min(delayMs, 2 ** 31 - 1)));
    timer.unref();
    this.timers.add(timer);
  }

  schedulePeriodic(name: string, periodMs: number, task: Task): void {
    const loop = (): void => {
      this.schedule(name, periodMs, async () => {
        await this.run(name, task);
        loop();
      });
    };
    loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.all([...this.running]);
  }
}

/** Tasks run only when the test calls runDue(), in due-time order, against a ManualClock. */
export class ManualScheduler implements Scheduler {
  private queue: { dueMs: number; seq: number; name: string; task: Task; periodMs?: number }[] = [];
  private seq = 0;
  private stopped = false;
  readonly errors: { name: string; err: unknown }[] = [];

  constructor(private readonly clock: ManualClock) {}

  schedule(name: string, delayMs: number, task: Task): void {
    if (!this.stopped) this.queue.push({ dueMs: this.clock.monotonicMs() + delayMs, seq: this.seq++, name, task });
  }

  schedulePeriodic(name: string, periodMs: number, task: Task): void {
    if (!this.stopped) this.queue.push({ dueMs: this.clock.monotonicMs() + periodMs, seq: this.seq++, name, task, periodMs });
  }

  get pending(): number {
    return this.queue.length;
  }

  /** Runs every task due by now (including ones that become due as earlier ones reschedule). */
  async runDue(): Promise<number> {
    let ran = 0;
    for (;;) {
      const now = this.clock.monotonicMs();
      this.queue.sort((a, b) => a.dueMs - b.dueMs || a.seq - b.seq);
      const next = this.queue[0];
      if (next === undefined || next.dueMs > now) return ran;
      this.queue.shift();
      try {
        await next.task();
      } catch (err) {
        this.errors.push({ name: next.name, err });
      }
      ran++;
      if (next.periodMs !== undefined && !this.stopped) {
        this.queue.push({ ...next, dueMs: now + next.periodMs, seq: this.seq++ });
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.queue = [];
  }
}

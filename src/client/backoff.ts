/**
 * Retries with exponential backoff and jitter, for errors that say so
 * (`retriable`). Each wait is drawn from [0.8, 1.2] x base x 2^attempt,
 * capped at `maxMs`, so clients that failed together do not retry together.
 */
import { isRetriable } from './errors.js';

export interface RetryOptions {
  /** Attempts after the first. */
  retries: number;
  initialMs: number;
  maxMs: number;
  /** Called before each wait; refresh metadata, forget a coordinator, etc. */
  onRetry?: (error: unknown, attempt: number) => void | Promise<void>;
  /** Overrides which errors are worth retrying. */
  shouldRetry?: (error: unknown) => boolean;
  /** Stop early (the owner was closed). */
  isCancelled?: () => boolean;
}

export function backoffMs(attempt: number, initialMs: number, maxMs: number): number {
  const base = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return Math.min(maxMs, Math.round(base * (0.8 + Math.random() * 0.4)));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function withRetry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const shouldRetry = options.shouldRetry ?? isRetriable;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (attempt >= options.retries || !shouldRetry(error) || options.isCancelled?.() === true) throw error;
      await options.onRetry?.(error, attempt);
      await sleep(backoffMs(attempt, options.initialMs, options.maxMs));
    }
  }
}

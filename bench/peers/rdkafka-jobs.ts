/** What the node-rdkafka child process can be asked to run, and what it answers. */
import type { HistogramSummary } from '../load/histogram.js';

export type RdkafkaJob =
  | {
      kind: 'produce';
      bootstrap: string;
      topic: string;
      messageBytes: number;
      acks: number;
      durationMs: number;
      keys?: number;
      conf?: Record<string, string | number | boolean>;
      /** How acknowledged messages are counted: high-watermark growth without delivery reports (default), or per-message delivery reports. */
      count?: 'watermark' | 'dr';
      /** produce() calls between yields to the event loop (default 5000). */
      loopBatch?: number;
    }
  | {
      kind: 'consume';
      bootstrap: string;
      topic: string;
      partitions: number;
      count: number;
      timeoutMs: number;
      conf?: Record<string, string | number | boolean>;
      /** Messages asked of each consume(n) call (default 10000). */
      batch?: number;
    }
  | { kind: 'latency'; bootstrap: string; topic: string; messageBytes: number; acks: number; ratePerSec: number; durationMs: number; warmupMs: number };

export interface ThroughputResult {
  messages: number;
  bytes: number;
  elapsedMs: number;
  /** CPU time (user + system, all threads) the client process spent over elapsedMs. */
  cpuMs?: number;
}

export interface LatencyResult {
  sent: number;
  received: number;
  /** Latencies in microseconds of the messages sent after the warm-up. */
  latencyUs: HistogramSummary;
}

export type RdkafkaChildMessage = { type: 'result'; result: ThroughputResult | LatencyResult } | { type: 'error'; message: string } | { type: 'ready' };

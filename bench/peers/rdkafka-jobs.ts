/** What the node-rdkafka child process can be asked to run, and what it answers. */
import type { HistogramSummary } from '../load/histogram.js';

export type RdkafkaJob =
  | { kind: 'produce'; bootstrap: string; topic: string; messageBytes: number; acks: number; durationMs: number; keys?: number; conf?: Record<string, string | number | boolean> }
  | { kind: 'consume'; bootstrap: string; topic: string; partitions: number; count: number; timeoutMs: number }
  | { kind: 'latency'; bootstrap: string; topic: string; messageBytes: number; acks: number; ratePerSec: number; durationMs: number; warmupMs: number };

export interface ThroughputResult {
  messages: number;
  bytes: number;
  elapsedMs: number;
}

export interface LatencyResult {
  sent: number;
  received: number;
  /** Latencies in microseconds of the messages sent after the warm-up. */
  latencyUs: HistogramSummary;
}

export type RdkafkaChildMessage = { type: 'result'; result: ThroughputResult | LatencyResult } | { type: 'error'; message: string } | { type: 'ready' };

/**
 * The fetch side's load: `consumers` connections each keep `inFlightMax`
 * pre-built Fetch requests outstanding and count the response bytes that
 * arrive in the measured window (after a warm-up), splitting responses into
 * frames without copying them. The first response is kept for the caller to
 * check. Runs in a child process of its own (fetch-load-child.ts), like the
 * ceiling.tcp sink it is compared with.
 */
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { FrameSplitter } from './frame-splitter.js';

export interface FetchLoad {
  bytes: number;
  responses: number;
  seconds: number;
  firstResponse: Buffer | null;
}

export async function runFetchLoad(port: number, frames: readonly Buffer[], durationMs: number, options: { consumers: number; inFlightMax: number }): Promise<FetchLoad> {
  const { consumers, inFlightMax } = options;
  const warmupMs = Math.min(500, durationMs / 5);
  const start = performance.now();
  const windowStart = start + warmupMs;
  const windowEnd = windowStart + durationMs;
  let bytes = 0;
  let responses = 0;
  let firstResponse: Buffer | null = null;
  let sending = true;
  const done: Promise<void>[] = [];
  for (let c = 0; c < consumers; c++) {
    done.push(
      new Promise<void>((resolve, reject) => {
        const socket = connect({ host: '127.0.0.1', port, noDelay: true });
        const splitter = new FrameSplitter(64 * 1024 * 1024);
        let next = Math.floor((c * frames.length) / consumers);
        let outstanding = 0;
        const send = (): void => {
          socket.write(frames[next]!);
          next = (next + 1) % frames.length;
          outstanding++;
        };
        socket.once('connect', () => {
          socket.cork();
          for (let i = 0; i < inFlightMax; i++) send();
          socket.uncork();
        });
        socket.on('data', (chunk: Buffer) => {
          splitter.push(chunk, (parts, frameBytes) => {
            outstanding--;
            if (firstResponse === null) firstResponse = Buffer.concat(parts);
            const now = performance.now();
            if (now >= windowStart && now <= windowEnd) {
              bytes += frameBytes;
              responses++;
            }
            if (sending) send();
            else if (outstanding === 0) socket.end();
          });
        });
        socket.on('error', reject);
        socket.on('close', () => resolve());
      }),
    );
  }
  await new Promise((resolve) => setTimeout(resolve, warmupMs + durationMs));
  sending = false;
  await Promise.all(done);
  return { bytes, responses, seconds: durationMs / 1000, firstResponse };
}

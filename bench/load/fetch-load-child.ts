/**
 * runFetchLoad in a process of its own, so the consumers receive in a fresh
 * Node process as ceiling.tcp's sink does. In the suite's own process they
 * ran at about half the sink's rate with the broker half idle: the receiving
 * is the bottleneck on both sides, and the suite's process pays more per
 * byte (its larger heap makes every collection that the received buffers
 * trigger cost more, and V8's GC threads ran beside it).
 *
 * Forked with an IPC channel by runFetchLoadInChild; takes one job
 * {port, frames (base64), durationMs, consumers, inFlightMax}, answers with
 * {type:'result', load} (firstResponse base64) or {type:'error', message},
 * and exits. Exits by itself after the lifetime given as argv[2].
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runFetchLoad, type FetchLoad } from './fetch-load.js';

interface FetchJob {
  port: number;
  framesBase64: string[];
  durationMs: number;
  consumers: number;
  inFlightMax: number;
}

type ChildReply = { type: 'result'; bytes: number; responses: number; seconds: number; firstResponseBase64: string | null } | { type: 'error'; message: string };

const childPath = fileURLToPath(import.meta.url);

/** Runs the fetch load in a child process and returns what it measured. */
export function runFetchLoadInChild(port: number, frames: readonly Buffer[], durationMs: number, options: { consumers: number; inFlightMax: number }): Promise<FetchLoad> {
  const lifetimeMs = durationMs * 4 + 30_000;
  const child = fork(childPath, [String(lifetimeMs)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] });
  return new Promise<FetchLoad>((resolve, reject) => {
    let settled = false;
    child.on('message', (message: unknown) => {
      const reply = message as ChildReply;
      settled = true;
      if (reply.type === 'result') {
        resolve({ bytes: reply.bytes, responses: reply.responses, seconds: reply.seconds, firstResponse: reply.firstResponseBase64 === null ? null : Buffer.from(reply.firstResponseBase64, 'base64') });
      } else {
        reject(new Error(`fetch load: ${reply.message}`));
      }
      child.disconnect();
    });
    child.once('exit', (code) => {
      if (!settled) reject(new Error(`fetch load child exited with ${code} before answering`));
    });
    const job: FetchJob = { port, framesBase64: frames.map((f) => f.toString('base64')), durationMs, ...options };
    child.send(job);
  });
}

function main(): void {
  setTimeout(() => {
    process.stderr.write('fetch-load-child: lifetime exceeded, exiting\n');
    process.exit(3);
  }, Number(process.argv[2] ?? 120_000)).unref();
  process.on('disconnect', () => process.exit(0));
  process.once('message', (message: unknown) => {
    const job = message as FetchJob;
    const reply = (r: ChildReply): void => {
      process.send?.(r);
    };
    runFetchLoad(job.port, job.framesBase64.map((f) => Buffer.from(f, 'base64')), job.durationMs, { consumers: job.consumers, inFlightMax: job.inFlightMax }).then(
      (load) => reply({ type: 'result', bytes: load.bytes, responses: load.responses, seconds: load.seconds, firstResponseBase64: load.firstResponse === null ? null : load.firstResponse.toString('base64') }),
      (err: unknown) => reply({ type: 'error', message: err instanceof Error ? err.message : String(err) }),
    );
  });
}

// Forked as a script (process.send exists) rather than imported by the suite.
if (process.send !== undefined && process.argv[1] === childPath) main();

/** Starts a ceiling server (frame-server.ts) in a child process and stops it again. */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FrameServerMessage, FrameServerMode, FrameServerStats } from './frame-server.js';
import { withMallocTunables } from '../../src/cli/malloc-tunables.js';

export interface RunningFrameServer {
  port: number;
  /** Asks the server for its counters and waits for it to exit. */
  stop(): Promise<FrameServerStats>;
}

const serverPath = fileURLToPath(new URL('./frame-server.js', import.meta.url));
const startTimeoutMs = 10_000;

function isMessage(value: unknown): value is FrameServerMessage {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

/**
 * @param lifetimeMs the child exits by itself after this long, whatever happens here
 */
export function startFrameServer(mode: FrameServerMode, dir: string, lifetimeMs: number): Promise<RunningFrameServer> {
  const child: ChildProcess = fork(serverPath, [mode, dir, String(lifetimeMs)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: [],
    // The same process settings the broker runs with (broker-common.ts).
    env: withMallocTunables(process.env),
  });
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      resolve();
    });
  });
  let statsReceived: FrameServerStats | undefined;
  child.on('message', (message: unknown) => {
    if (isMessage(message) && message.type === 'stats') statsReceived = message;
  });

  const stop = async (): Promise<FrameServerStats> => {
    if (!exited) {
      child.send({ type: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exitedPromise;
      clearTimeout(timer);
    }
    if (!statsReceived) throw new Error(`frame-server (${mode}) exited without reporting its counters`);
    return statsReceived;
  };

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`frame-server (${mode}) did not start within ${startTimeoutMs} ms`));
    }, startTimeoutMs);
    child.on('message', (message: unknown) => {
      if (isMessage(message) && message.type === 'listening') {
        clearTimeout(timer);
        resolve({ port: message.port, stop });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`frame-server (${mode}) exited early with code ${code}`));
    });
  });
}

/**
 * Peer servers (redis-server, nats-server) for the comparison benchmarks,
 * started under coreutils `timeout` so they die after a lifetime even when
 * the benchmark process is killed; stopping sends SIGTERM, which `timeout`
 * passes on. Loopback only; data in a temp dir.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';

/** Full path of an installed program, or undefined. */
export function which(program: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(':').concat(['/usr/sbin', '/usr/bin', '/sbin'])) {
    try {
      execFileSync('test', ['-x', `${dir}/${program}`]);
      return `${dir}/${program}`;
    } catch {
      // not here
    }
  }
  return undefined;
}

export interface ExternalServer {
  stop(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Starts `program args` and waits until 127.0.0.1:port accepts connections. */
export async function startExternal(program: string, args: readonly string[], port: number, lifetimeMs: number): Promise<ExternalServer> {
  const child: ChildProcess = spawn('timeout', ['-k', '5', `${Math.ceil(lifetimeMs / 1000)}s`, program, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) => child.once('exit', (code) => ((exitCode = code), resolve())));
  const stop = async (): Promise<void> => {
    if (exitCode !== undefined) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + 10_000;
  while (!(await canConnect(port))) {
    if (exitCode !== undefined || Date.now() > deadline) {
      await stop();
      throw new Error(`${program} did not start: ${stderr.trim() || `exit ${exitCode}`}`);
    }
    await sleep(20);
  }
  return { stop };
}

/**
 * `bin/kafka-server-stop.sh [--process-role=broker|controller] [--node-id=N]`,
 * as Kafka's script: sends SIGTERM to the Samsa servers running on this
 * machine (started with kafka-server-start.sh or `samsa start`), which then
 * shut down cleanly. With --process-role or --node-id, only the servers whose
 * configuration matches. "No kafka server to stop" and exit 1 when none is
 * found.
 *
 * Servers are found the way Kafka's script finds its JVMs: by their command
 * line (here /proc/<pid>/cmdline); the filters read the server's properties
 * file and --override arguments from that command line.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { parseOverride, parsePropertiesText } from '../broker/config/broker-config.js';

const USAGE = 'USAGE: kafka-server-stop.sh [--process-role=broker|controller] [--node-id=N]';

interface RunningServer {
  pid: number;
  nodeId: string;
  processRoles: string[];
}

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

/** The effective node.id and process.roles of a server from its command line. */
function serverFrom(pid: number, args: string[]): RunningServer | null {
  const startAt = args.findIndex((a) => a.endsWith('/dist/src/cli/kafka-server-start.js'));
  const samsaAt = args.findIndex((a, i) => a.endsWith('/dist/src/cli/samsa.js') && args[i + 1] === 'start');
  if (startAt < 0 && samsaAt < 0) return null;
  const props: Record<string, string> = { 'node.id': '1', 'process.roles': 'broker,controller' };
  if (startAt >= 0) {
    const rest = args.slice(startAt + 1).filter((a) => a !== '-daemon');
    const file = rest[0];
    if (file !== undefined) {
      try {
        const cwd = readlinkSync(`/proc/${pid}/cwd`);
        Object.assign(props, parsePropertiesText(readFileSync(isAbsolute(file) ? file : join(cwd, file), 'utf8')));
      } catch {
        // Unreadable config: the server still counts, with the defaults above.
      }
    }
    for (let i = 1; i < rest.length; i++) {
      const text = rest[i] === '--override' ? rest[++i] : rest[i]!.startsWith('--override=') ? rest[i]!.slice(11) : undefined;
      if (text === undefined) continue;
      try {
        const [k, v] = parseOverride(text);
        props[k] = v;
      } catch {
        // A bad override would have stopped that server at start-up.
      }
    }
  } else {
    const rest = args.slice(samsaAt + 2);
    for (let i = 0; i < rest.length; i++) {
      if ((rest[i] === '-c' || rest[i] === '--config') && rest[i + 1]?.includes('=')) {
        const [k, v] = parseOverride(rest[++i]!);
        props[k] = v;
      }
    }
  }
  return {
    pid,
    nodeId: props['node.id']!.trim(),
    processRoles: props['process.roles']!.split(',').map((r) => r.trim()),
  };
}

function runningServers(): RunningServer[] {
  const servers: RunningServer[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    let args: string[];
    try {
      args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a !== '');
    } catch {
      continue; // gone, or not ours to read
    }
    const server = serverFrom(pid, args);
    if (server !== null) servers.push(server);
  }
  return servers;
}

function main(argv: string[]): void {
  let role: string | undefined;
  let nodeId: string | undefined;
  for (const arg of argv) {
    if (arg.startsWith('--process-role=')) role = arg.slice('--process-role='.length);
    else if (arg.startsWith('--node-id=')) nodeId = arg.slice('--node-id='.length);
    else fail(`Unrecognized option '${arg}'\n${USAGE}`);
  }
  if (role !== undefined && nodeId !== undefined) fail(`Only one of --process-role and --node-id may be given\n${USAGE}`);
  if (role !== undefined && role !== 'broker' && role !== 'controller') fail(`Invalid process role '${role}'\n${USAGE}`);
  const targets = runningServers().filter(
    (s) => (role === undefined || s.processRoles.includes(role)) && (nodeId === undefined || s.nodeId === nodeId),
  );
  if (targets.length === 0) fail('No kafka server to stop');
  for (const server of targets) {
    try {
      process.kill(server.pid, 'SIGTERM');
    } catch {
      // It stopped on its own in the meantime.
    }
  }
}

main(process.argv.slice(2));

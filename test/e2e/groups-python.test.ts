/**
 * Consumer groups with Python's confluent-kafka (librdkafka underneath):
 * each member is its own `python3 test/e2e/python/group_member.py` process
 * that prints its rebalance callbacks and records as JSON lines and takes
 * commit/close commands on stdin. The scenarios are groups-support.ts's.
 * A missing python3 or confluent_kafka fails the tests (CI installs both).
 */
import { test } from 'node:test';
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import {
  applyRebalance,
  cooperativeRebalance,
  resumeAfterRestart,
  shareAndLeave,
  staticRestart,
  TOPIC,
  waitFor,
  type GroupMember,
  type RebalanceEvent,
  type ReceivedRecord,
  type StartMember,
} from './groups-support.js';

/** Debian's python3, which has the python3-confluent-kafka package. */
const PYTHON = process.env['SAMSA_TEST_PYTHON'] ?? '/usr/bin/python3';
/** Compiled tests live in dist/test/e2e; the script stays in the source tree. */
const SCRIPT = fileURLToPath(new URL('../../../test/e2e/python/group_member.py', import.meta.url));
const STDERR_LINES_KEPT = 20;

let pythonChecked = false;

function checkPython(): void {
  if (pythonChecked) return;
  const r = spawnSync(PYTHON, ['-c', 'import confluent_kafka; print(confluent_kafka.version()[0], confluent_kafka.libversion()[0])'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${PYTHON} cannot import confluent_kafka (Debian: apt-get install python3-confluent-kafka): ${r.error?.message ?? r.stderr}`);
  process.stdout.write(`# confluent-kafka ${r.stdout.trim().replace(' ', ', librdkafka ')}\n`);
  pythonChecked = true;
}

type Line =
  | { event: 'assign' | 'revoke' | 'lost'; partitions: number[] }
  | { event: 'record'; partition: number; offset: number; value: string }
  | { event: 'committed'; offsets: Array<[number, number]> }
  | { event: 'error'; message: string }
  | { event: 'closed' };

const startPythonMember: StartMember = async (bootstrap, name, options) => {
  checkPython();
  const cooperative = options.cooperative === true;
  const child = spawn(
    PYTHON,
    [
      SCRIPT,
      JSON.stringify({
        bootstrap,
        group: options.group,
        topic: TOPIC,
        name,
        session_timeout_ms: options.sessionTimeoutMs,
        instance_id: options.instanceId ?? null,
        cooperative,
      }),
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let assignment: number[] = [];
  const events: RebalanceEvent[] = [];
  const records: ReceivedRecord[] = [];
  const errors: string[] = [];
  const stderr: string[] = [];
  let committed: Array<[number, number]> | null = null;
  let closed = false;
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) => {
    child.on('exit', (code) => {
      exitCode = code;
      resolve();
    });
  });
  child.stdin.on('error', () => undefined);
  createInterface({ input: child.stderr }).on('line', (line) => {
    stderr.push(line);
    if (stderr.length > STDERR_LINES_KEPT) stderr.shift();
  });
  createInterface({ input: child.stdout }).on('line', (text) => {
    const line = JSON.parse(text) as Line;
    switch (line.event) {
      case 'assign':
      case 'revoke':
      case 'lost': {
        const event = { kind: line.event, partitions: line.partitions };
        events.push(event);
        assignment = applyRebalance(assignment, event, cooperative);
        break;
      }
      case 'record':
        records.push({ partition: line.partition, offset: line.offset, value: line.value });
        break;
      case 'committed':
        committed = line.offsets;
        break;
      case 'error':
        errors.push(line.message);
        break;
      case 'closed':
        closed = true;
        break;
    }
  });
  const alive = (): void => {
    if (exitCode !== undefined && !closed) throw new Error(`${name} exited with ${exitCode}: ${stderr.join('\n')}`);
  };
  const send = (command: object): void => {
    child.stdin.write(`${JSON.stringify(command)}\n`);
  };
  const member: GroupMember = {
    name,
    get assignment() {
      alive();
      return assignment;
    },
    events,
    records,
    async commit(offsets) {
      committed = null;
      send({ cmd: 'commit', offsets });
      const done = await waitFor(`${name} committed`, () => {
        alive();
        if (errors.some((e) => e.startsWith('commit failed'))) throw new Error(errors.join('; '));
        return committed ?? undefined;
      });
      const want = [...offsets].map(([p, o]) => [p, o]).sort((a, b) => a[0]! - b[0]!);
      if (JSON.stringify(done) !== JSON.stringify(want)) throw new Error(`${name} committed ${JSON.stringify(done)}, asked ${JSON.stringify(want)}`);
    },
    async close() {
      send({ cmd: 'close' });
      child.stdin.end();
      await exited;
      if (!closed) throw new Error(`${name} did not close cleanly (exit ${exitCode}): ${stderr.join('\n')}`);
    },
    async kill() {
      if (exitCode !== undefined) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
  return member;
};

test('groups with confluent-kafka (Python): three members share six partitions; one leaves, the others take over', async () => {
  await shareAndLeave('confluent-kafka', startPythonMember);
});

test('groups with confluent-kafka (Python): committed offsets resume exactly after restarting consumer and broker', async () => {
  await resumeAfterRestart('confluent-kafka', startPythonMember);
});

test('groups with confluent-kafka (Python): a static member restarting within its session keeps its partitions without a rebalance', async () => {
  await staticRestart('confluent-kafka', startPythonMember);
});

test('groups with confluent-kafka (Python): cooperative-sticky rebalances incrementally', async () => {
  await cooperativeRebalance('confluent-kafka', startPythonMember);
});

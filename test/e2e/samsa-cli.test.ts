/**
 * The friendly `samsa` CLI as a user runs it: `node dist/src/cli/samsa.js ...`
 * as child processes against a real broker, checking what they print on
 * stdout and stderr and their exit codes. Topics, produce/consume (arguments
 * and stdin, keys, JSON lines, groups), groups with lag, configs, bench,
 * start (also through `npm start`), help, and the one-line errors.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Broker } from '../../src/index.js';
import { MALLOC_TUNABLES } from '../../src/cli/malloc-tunables.js';

const samsaJs = fileURLToPath(new URL('../../src/cli/samsa.js', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

let broker: Broker;

before(async () => {
  broker = await Broker.start({ port: 0 });
});

after(async () => {
  await broker.stop();
});

/** Runs `samsa args...` to completion, with SAMSA_BOOTSTRAP pointing at the test broker unless `env` says otherwise. */
function samsa(args: string[], options: { stdin?: string; env?: Record<string, string | undefined>; timeoutMs?: number } = {}): Promise<Result> {
  const env: Record<string, string | undefined> = { ...process.env, SAMSA_BOOTSTRAP: broker.bootstrap, NO_COLOR: '1', ...(options.env ?? {}) };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  const child = spawn(process.execPath, [samsaJs, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  child.stdin.end(options.stdin ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
  return new Promise((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Splits a table into rows of cells (columns are two or more spaces apart). */
function rows(tableText: string): string[][] {
  return tableText
    .trimEnd()
    .split('\n')
    .map((l) => l.trim().split(/ {2,}/));
}

test('--help lists the commands with examples; a command\'s --help shows its flags, the default broker and examples', async () => {
  const help = await samsa(['--help']);
  assert.equal(help.code, 0);
  for (const cmd of ['start', 'topics', 'produce', 'consume', 'groups', 'configs', 'bench']) assert.match(help.stdout, new RegExp(`^  ${cmd}\\b`, 'm'));
  assert.match(help.stdout, /Examples:\n {2}samsa start/);

  const create = await samsa(['topics', 'create', '--help']);
  assert.equal(create.code, 0);
  assert.match(create.stdout, /^Usage: samsa topics create \[options\] <name>/);
  assert.match(create.stdout, /--bootstrap-server <host:port>[\s\S]*default: "localhost:9092", env:\s+SAMSA_BOOTSTRAP/);
  assert.match(create.stdout, /--partitions <n>/);
  assert.match(create.stdout, /Examples:\n {2}samsa topics create orders -p 6/);

  const consume = await samsa(['consume', '--help']);
  assert.match(consume.stdout, /--from-beginning/);
  assert.match(consume.stdout, /--group <group>/);
  assert.match(consume.stdout, /Examples:/);
});

test('bad command lines are one line on stderr with exit code 1', async () => {
  const typo = await samsa(['topcs']);
  assert.equal(typo.code, 1);
  assert.equal(typo.stdout, '');
  assert.equal(typo.stderr, "Error: unknown command 'topcs' (did you mean topics?)\n");

  const badInt = await samsa(['topics', 'create', 'x', '--partitions', 'many']);
  assert.equal(badInt.code, 1);
  assert.equal(badInt.stderr, "Error: option '-p, --partitions <n>' argument 'many' is invalid. expected an integer of at least 1.\n");

  const badFlag = await samsa(['groups', '--frobnicate']);
  assert.equal(badFlag.code, 1);
  assert.equal(badFlag.stderr, "Error: unknown option '--frobnicate'\n");

  const badConfig = await samsa(['topics', 'create', 'x', '--config', 'retention.ms']);
  assert.equal(badConfig.code, 1);
  assert.equal(badConfig.stderr, "Error: Invalid topic config 'retention.ms': expected key=value\n");
});

test('no broker: one line naming the address and how to start one, exit 1, no stack trace', async () => {
  // The environment variable is the default when no flag is given.
  const [r, fromEnv] = await Promise.all([samsa(['topics', '--bootstrap-server', '127.0.0.1:1']), samsa(['groups'], { env: { SAMSA_BOOTSTRAP: '127.0.0.1:1' } })]);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr.split('\n').length, 2, r.stderr);
  assert.match(r.stderr, /^Error: Cannot connect to broker 127\.0\.0\.1:1 \(connect ECONNREFUSED 127\.0\.0\.1:1\)\. Is it running\? Start one with `samsa start`/);

  assert.equal(fromEnv.code, 1);
  assert.match(fromEnv.stderr, /^Error: Cannot connect to broker 127\.0\.0\.1:1/);
});

test('topics: create, list as a table and as JSON, describe, delete; missing and duplicate topics are clear errors', async () => {
  const created = await samsa(['topics', 'create', 'payments', '--partitions', '3', '-c', 'retention.ms=86400000']);
  assert.equal(created.stderr, '');
  assert.equal(created.stdout, 'Created topic payments with 3 partitions.\n');
  assert.equal(created.code, 0);

  const dup = await samsa(['topics', 'create', 'payments']);
  assert.equal(dup.code, 1);
  assert.equal(dup.stdout, '');
  assert.equal(dup.stderr, "Error: Topic 'payments' already exists.\n");
  const quiet = await samsa(['topics', 'create', 'payments', '--if-not-exists']);
  assert.equal(quiet.code, 0);
  assert.equal(quiet.stdout, 'Topic payments already exists (3 partitions).\n');

  const sent = await samsa(['produce', 'payments', '--partition', '1', 'a', 'b']);
  assert.equal(sent.code, 0, sent.stderr);

  // The default subcommand is list; internal topics stay hidden unless --all.
  const listed = await samsa(['topics']);
  assert.equal(listed.code, 0, listed.stderr);
  const table = rows(listed.stdout);
  assert.deepEqual(table[0], ['TOPIC', 'PARTITIONS', 'REPLICATION', 'MESSAGES']);
  assert.deepEqual(
    table.find((r) => r[0] === 'payments'),
    ['payments', '3', '1', '2'],
  );
  assert.ok(!listed.stdout.includes('__consumer_offsets'));

  const asJson = await samsa(['topics', 'list', '--json']);
  const topics = JSON.parse(asJson.stdout) as Array<{ name: string; partitions: number; replicationFactor: number; messages: number; internal: boolean }>;
  assert.deepEqual(
    topics.find((t) => t.name === 'payments'),
    { name: 'payments', partitions: 3, replicationFactor: 1, messages: 2, internal: false },
  );

  const described = await samsa(['topics', 'describe', 'payments']);
  assert.equal(described.code, 0, described.stderr);
  const [summary, partitions] = described.stdout.split('\n\n') as [string, string];
  assert.match(summary, /^Topic {8}payments\nTopic ID {5}[A-Za-z0-9_-]{22}\nPartitions {3}3\nReplication {2}1\nMessages {5}2\nConfigs {6}retention\.ms=86400000$/);
  const n = String(broker.nodeId);
  assert.deepEqual(rows(partitions), [
    ['PARTITION', 'LEADER', 'REPLICAS', 'ISR', 'START', 'END', 'MESSAGES'],
    ['0', n, n, n, '0', '0', '0'],
    ['1', n, n, n, '0', '2', '2'],
    ['2', n, n, n, '0', '0', '0'],
  ]);

  const describedJson = JSON.parse((await samsa(['topics', 'describe', 'payments', '--json'])).stdout) as {
    name: string;
    configs: Record<string, string>;
    partitions: Array<{ partition: number; leader: number; startOffset: number; endOffset: number }>;
  };
  assert.equal(describedJson.name, 'payments');
  assert.deepEqual(describedJson.configs, { 'retention.ms': '86400000' });
  assert.deepEqual(
    describedJson.partitions.map((p) => [p.partition, p.leader, p.startOffset, p.endOffset]),
    [
      [0, broker.nodeId, 0, 0],
      [1, broker.nodeId, 0, 2],
      [2, broker.nodeId, 0, 0],
    ],
  );

  const deleted = await samsa(['topics', 'delete', 'payments']);
  assert.equal(deleted.stdout, 'Deleted topic payments.\n');
  assert.equal(deleted.code, 0);
  const gone = await samsa(['topics', 'describe', 'payments']);
  assert.equal(gone.code, 1);
  assert.equal(gone.stderr, "Error: Topic 'payments' does not exist.\n");
  const again = await samsa(['topics', 'delete', 'payments']);
  assert.equal(again.code, 1);
  assert.equal(again.stderr, "Error: Topic 'payments' does not exist.\n");
  assert.equal((await samsa(['topics', 'delete', 'payments', '--if-exists'])).code, 0);
});

test('produce from arguments and stdin; consume from the beginning with keys, as JSON lines, and from one partition', async () => {
  assert.equal((await samsa(['topics', 'create', 'events', '-p', '1'])).code, 0);

  const one = await samsa(['produce', 'events', '--key', 'alice', 'hello']);
  assert.equal(one.stderr, '');
  assert.equal(one.stdout, 'Produced 1 message to events (partition 0, offset 0).\n');
  assert.equal(one.code, 0);

  const piped = await samsa(['produce', 'events', '--key-separator', ':'], { stdin: 'bob:first\ncarol:second\nno key here\n' });
  assert.equal(piped.stdout, 'Produced 3 messages to events.\n');
  assert.equal(piped.code, 0, piped.stderr);

  const json = await samsa(['produce', 'events', '-H', 'source=cli', '--json', 'x', 'y']);
  assert.deepEqual(JSON.parse(json.stdout), {
    topic: 'events',
    count: 2,
    failed: 0,
    messages: [
      { partition: 0, offset: 4 },
      { partition: 0, offset: 5 },
    ],
  });

  const withKeys = await samsa(['consume', 'events', '--from-beginning', '--max', '4', '--keys']);
  assert.equal(withKeys.code, 0, withKeys.stderr);
  assert.equal(withKeys.stdout, 'alice\thello\nbob\tfirst\ncarol\tsecond\nnull\tno key here\n');
  assert.equal(withKeys.stderr, 'Consumed 4 messages.\n');

  const lines = await samsa(['consume', 'events', '-f', '--timeout', '1000', '--json']);
  assert.equal(lines.code, 0, lines.stderr);
  const messages = lines.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { offset: number; key: string | null; value: string; headers: Record<string, string> });
  assert.equal(messages.length, 6);
  assert.deepEqual(
    messages.map((m) => [m.offset, m.key, m.value]),
    [
      [0, 'alice', 'hello'],
      [1, 'bob', 'first'],
      [2, 'carol', 'second'],
      [3, null, 'no key here'],
      [4, null, 'x'],
      [5, null, 'y'],
    ],
  );
  assert.deepEqual(messages[5]!.headers, { source: 'cli' });

  const at = await samsa(['consume', 'events', '--partition', '0', '--offset', '2', '-n', '1']);
  assert.equal(at.stdout, 'second\n');

  const noPartition = await samsa(['produce', 'events', '--partition', '5', 'lost']);
  assert.equal(noPartition.code, 1);
  assert.equal(noPartition.stdout, '');
  assert.equal(noPartition.stderr, 'Error: 1 message could not be sent to events: topic "events" has no partition 5\n');

  const missing = await samsa(['consume', 'no-such-topic', '--max', '1']);
  assert.equal(missing.code, 1);
  assert.equal(missing.stdout, '');
  assert.equal(missing.stderr, "Error: Topic 'no-such-topic' does not exist. Create it with: samsa topics create no-such-topic\n");
});

test('groups: a group consuming with --group shows up with state and lag; describe per partition; reset; delete', async () => {
  assert.equal((await samsa(['topics', 'create', 'jobs', '-p', '2'])).code, 0);
  const produced = await samsa(['produce', 'jobs', '--partition', '0'], { stdin: '1\n2\n3\n' });
  assert.equal(produced.code, 0, produced.stderr);
  assert.equal((await samsa(['produce', 'jobs', '--partition', '1', '4', '5'])).code, 0);

  const consumed = await samsa(['consume', 'jobs', '--group', 'workers', '--from-beginning', '--max', '5']);
  assert.equal(consumed.code, 0, consumed.stderr);
  assert.deepEqual(consumed.stdout.trimEnd().split('\n').sort(), ['1', '2', '3', '4', '5']);
  // The group committed what it printed: nothing is left for it.
  const listed = await samsa(['groups']);
  assert.equal(listed.code, 0, listed.stderr);
  assert.deepEqual(rows(listed.stdout)[0], ['GROUP', 'STATE', 'MEMBERS', 'TOPICS', 'LAG']);
  assert.deepEqual(
    rows(listed.stdout).find((r) => r[0] === 'workers'),
    ['workers', 'Empty', '0', 'jobs', '0'],
  );

  assert.equal((await samsa(['produce', 'jobs', '--partition', '0', '6', '7'])).code, 0);
  const described = await samsa(['groups', 'describe', 'workers']);
  assert.equal(described.code, 0, described.stderr);
  const [summary, table] = described.stdout.split('\n\n') as [string, string];
  assert.match(summary, /^Group {8}workers\nState {8}Empty\n/m);
  assert.match(summary, /^Lag {10}2$/m);
  assert.deepEqual(rows(table), [
    ['TOPIC', 'PARTITION', 'COMMITTED', 'END', 'LAG', 'MEMBER'],
    ['jobs', '0', '3', '5', '2', '-'],
    ['jobs', '1', '2', '2', '0', '-'],
  ]);

  const reset = await samsa(['groups', 'reset', 'workers', 'jobs', '--to', 'earliest']);
  assert.equal(reset.code, 0, reset.stderr);
  const asJson = JSON.parse((await samsa(['groups', '--json'])).stdout) as Array<{ group: string; state: string; members: number; lag: number }>;
  assert.deepEqual(
    asJson.find((g) => g.group === 'workers'),
    { group: 'workers', state: 'Empty', members: 0, topics: ['jobs'], lag: 7 },
  );

  const noGroup = await samsa(['groups', 'describe', 'nobody']);
  assert.equal(noGroup.code, 1);
  assert.equal(noGroup.stderr, "Error: Group 'nobody' does not exist.\n");

  const deleted = await samsa(['groups', 'delete', 'workers']);
  assert.equal(deleted.stdout, 'Deleted group workers.\n');
  assert.equal(deleted.code, 0);
  assert.ok(!(await samsa(['groups'])).stdout.includes('workers'));
});

test('configs: set, show, unset a topic\'s settings', async () => {
  assert.equal((await samsa(['topics', 'create', 'tuned'])).code, 0);
  const set = await samsa(['configs', 'set', 'tuned', 'retention.ms=60000', 'cleanup.policy=compact']);
  assert.equal(set.stdout, 'Updated topic tuned: retention.ms=60000, cleanup.policy=compact.\n');
  assert.equal(set.code, 0, set.stderr);

  const shown = await samsa(['configs', 'tuned']);
  assert.deepEqual(rows(shown.stdout), [
    ['NAME', 'VALUE', 'SOURCE'],
    ['cleanup.policy', 'compact', 'topic'],
    ['retention.ms', '60000', 'topic'],
  ]);

  assert.equal((await samsa(['configs', 'unset', 'tuned', 'cleanup.policy'])).code, 0);
  const after = JSON.parse((await samsa(['configs', 'show', 'tuned', '--json'])).stdout) as { configs: Array<{ name: string; value: string }> };
  assert.deepEqual(
    after.configs.map((c) => [c.name, c.value]),
    [['retention.ms', '60000']],
  );
  const missing = await samsa(['configs', 'nothing-here']);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, "Error: Topic 'nothing-here' does not exist.\n");
});

test('bench runs the benchmark suite: --list names its suites', async () => {
  const listed = await samsa(['bench', '--list']);
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, /^ceiling\.tcp\s/m);
  assert.match(listed.stdout, /^broker\.produce\s/m);
  const help = await samsa(['bench', '--help']);
  assert.match(help.stdout, /--quick/);
});

test('start takes --config key=value; the broker it starts serves the other commands; Ctrl-C stops it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-cli-start-'));
  const child = spawn(
    process.execPath,
    [samsaJs, 'start', '--data-dir', join(dir, 'data'), '--host', '127.0.0.1', '--port', '0', '--controller-port', '0', '--config', 'num.partitions=4'],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SAMSA_LOG_LEVEL: 'warn' } },
  );
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const bootstrap = await new Promise<string>((resolve, reject) => {
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        const m = /^Samsa \S+ started \(node \d+, cluster \S+\); listening on PLAINTEXT:\/\/([^,;\s]+)/m.exec(stdout);
        if (m !== null) resolve(m[1]!);
      });
      void exited.then((code) => reject(new Error(`samsa start exited with ${code}`)));
    });
    const created = await samsa(['topics', 'create', 'defaults', '-b', bootstrap]);
    assert.equal(created.stdout, 'Created topic defaults with 4 partitions.\n');
    child.kill('SIGINT');
    assert.equal(await exited, 0);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
});

test('npm start runs the broker with the malloc settings of malloc-tunables.ts, as kafka-server-start.sh does; the samsa script keeps a portable first line', async () => {
  assert.ok(readFileSync(join(repoRoot, 'src/cli/samsa.ts'), 'utf8').startsWith('#!/usr/bin/env node\n'));
  assert.ok(readFileSync(join(repoRoot, 'bin/kafka-server-start.sh'), 'utf8').includes(`GLIBC_TUNABLES="\${GLIBC_TUNABLES:-${MALLOC_TUNABLES}}"`));
  const scripts = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  assert.ok(scripts['start']!.startsWith(`GLIBC_TUNABLES=\${GLIBC_TUNABLES:-${MALLOC_TUNABLES}} node `));

  const dir = mkdtempSync(join(tmpdir(), 'samsa-cli-npm-start-'));
  const dataDir = join(dir, 'data');
  const env: Record<string, string | undefined> = { ...process.env, SAMSA_LOG_LEVEL: 'warn' };
  delete env['GLIBC_TUNABLES'];
  const npm = spawn('npm', ['start', '--silent', '--', '--data-dir', dataDir, '--host', '127.0.0.1', '--port', '0', '--controller-port', '0'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env });
  const exited = new Promise<number | null>((resolve) => npm.on('exit', (code) => resolve(code)));
  let brokerPid = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      let stdout = '';
      npm.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (/^Samsa \S+ started /m.test(stdout)) resolve();
      });
      void exited.then((code) => reject(new Error(`npm start exited with ${code}`)));
    });
    // npm runs the script through a shell: find the node process by its data dir.
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      let cmdline = '';
      try {
        cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      } catch {
        continue; // gone meanwhile
      }
      if (/samsa\.js\0start\0/.test(cmdline) && cmdline.includes(`${dataDir}\0`)) brokerPid = Number(entry);
    }
    assert.ok(brokerPid > 0, 'the broker process started by npm start');
    // glibc's loader may split the value in place as it parses it, so only
    // its start is compared.
    const environ = readFileSync(`/proc/${brokerPid}/environ`, 'utf8').split('\0');
    const firstTunable = MALLOC_TUNABLES.split(':')[0]!;
    assert.ok(environ.some((e) => e.startsWith(`GLIBC_TUNABLES=${firstTunable}`)), `GLIBC_TUNABLES in the broker's environment: ${environ.filter((e) => e.includes('glibc')).join(' ')}`);
    process.kill(brokerPid, 'SIGINT');
    assert.equal(await exited, 0);
  } finally {
    if (npm.exitCode === null && npm.signalCode === null) {
      if (brokerPid > 0) process.kill(brokerPid, 'SIGKILL');
      npm.kill('SIGKILL');
    }
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
});

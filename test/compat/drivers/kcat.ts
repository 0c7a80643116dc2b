/**
 * The scenarios with kcat (librdkafka's CLI). kcat cannot create topics, so
 * topics are created (and, for list-offsets-time, records with chosen
 * timestamps are written) through kafkajs; everything the scenario checks
 * goes through kcat itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import kafkajs from 'kafkajs';
import { baseTimestamp, check, checkEqual, checkKeyed, codecOf, compressibleValues, coversOnce, keyedRecords, runDriver, takeoverMs, waitFor, type SimpleRecord } from './common.js';
import type { ScenarioId } from '../scenarios.js';

function kafka(bootstrap: string): kafkajs.Kafka {
  return new kafkajs.Kafka({ brokers: [bootstrap], clientId: 'compat-kcat-setup', logLevel: kafkajs.logLevel.NOTHING });
}

async function createTopic(bootstrap: string, topic: string, numPartitions: number): Promise<void> {
  const admin = kafka(bootstrap).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

/** Runs kcat to completion; rejects with its stderr on a non-zero exit. */
function kcat(args: readonly string[], input = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('kcat', ['-X', 'socket.timeout.ms=5000', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) return resolve(out);
      const lines = err.trim().split('\n');
      const errors = lines.filter((l) => /ERROR|FAIL|fatal/i.test(l) && !/Purged in queue/.test(l));
      reject(new Error(`kcat ${args.filter((a) => !a.includes(':')).join(' ')} exited ${code}: ${(errors.length > 0 ? errors.slice(0, 2) : lines.slice(-2)).join(' | ')}`));
    });
    child.stdin.end(input);
  });
}

interface KcatJson {
  partition: number;
  offset: number;
  key: string | null;
  payload: string | null;
  headers?: string[];
}

function parseJsonLines(out: string): SimpleRecord[] {
  return out
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const j = JSON.parse(l) as KcatJson;
      const headers: Record<string, string> = {};
      for (let i = 0; i + 1 < (j.headers ?? []).length; i += 2) headers[j.headers![i]!] = j.headers![i + 1]!;
      return { partition: j.partition, offset: j.offset, key: j.key, value: j.payload, headers };
    });
}

/** Every record of `topic` from the beginning (kcat -C -e exits at the end of each partition). */
async function readAll(bootstrap: string, topic: string, extra: readonly string[] = []): Promise<SimpleRecord[]> {
  return parseJsonLines(await kcat(['-b', bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-J', '-q', ...extra]));
}

interface Member {
  readonly child: ChildProcess;
  assigned: number[];
  exited: boolean;
}

function startMember(bootstrap: string, group: string, topic: string): Member {
  const child = spawn('kcat', ['-b', bootstrap, '-G', group, topic, '-X', 'session.timeout.ms=6000', '-X', 'heartbeat.interval.ms=300'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const member: Member = { child, assigned: [], exited: false };
  child.on('exit', () => (member.exited = true));
  // e.g. "% Group g rebalanced (memberid m): assigned: grp [0], grp [1]"
  createInterface({ input: child.stderr! }).on('line', (line) => {
    const m = /rebalanced \(memberid [^)]*\): (assigned|revoked): (.*)$/.exec(line);
    if (m === null) return;
    member.assigned = m[1] === 'assigned' ? [...m[2]!.matchAll(/\[(\d+)\]/g)].map((x) => Number(x[1])).sort((a, b) => a - b) : [];
  });
  return member;
}

const compression = Object.fromEntries(
  (['compression-gzip', 'compression-snappy', 'compression-lz4', 'compression-zstd'] as const).map((scenario) => [
    scenario,
    async (bootstrap: string) => {
      const topic = `comp-${codecOf(scenario)}`;
      await createTopic(bootstrap, topic, 1);
      await kcat(['-b', bootstrap, '-P', '-t', topic, '-X', `compression.codec=${codecOf(scenario)}`, '-X', 'linger.ms=50'], `${compressibleValues.join('\n')}\n`);
      checkEqual((await readAll(bootstrap, topic)).map((r) => r.value), compressibleValues, 'values read back');
    },
  ]),
);

const scenarios: Partial<Record<ScenarioId, (bootstrap: string) => Promise<void>>> = {
  'produce-consume': async (bootstrap) => {
    await createTopic(bootstrap, 'pc', 3);
    // -H applies to every message of one run, so each record is its own run (in order).
    for (const r of keyedRecords) await kcat(['-b', bootstrap, '-P', '-t', 'pc', '-K', ':', '-H', `h=${r.headers.h}`], `${r.key}:${r.value}\n`);
    checkKeyed(await readAll(bootstrap, 'pc'));
  },

  ...compression,

  'consumer-group': async (bootstrap) => {
    await createTopic(bootstrap, 'grp', 6);
    const members = [0, 1, 2].map(() => startMember(bootstrap, 'g-grp', 'grp'));
    try {
      await waitFor('three members covering 6 partitions once', () => (coversOnce(members.map((m) => m.assigned)) ? true : undefined));
      const leaver = members.shift()!;
      leaver.child.kill('SIGTERM');
      await waitFor('the leaver to exit', () => (leaver.exited ? true : undefined));
      await waitFor('two members covering 6 partitions once, within the leaver\'s session timeout (so by LeaveGroup)', () => (coversOnce(members.map((m) => m.assigned)) ? true : undefined), takeoverMs);
    } finally {
      for (const m of members) if (!m.exited) m.child.kill('SIGKILL');
    }
  },

  'commit-resume': async (bootstrap) => {
    await createTopic(bootstrap, 'cr', 1);
    await kcat(['-b', bootstrap, '-P', '-t', 'cr'], Array.from({ length: 10 }, (_, i) => `m${i}\n`).join(''));
    // A balanced consumer that stops after 5 records commits offset 5 as it closes.
    // (Not -o: in -G mode kcat assigns that offset, overriding the committed one.)
    const first = parseJsonLines(await kcat(['-b', bootstrap, '-G', 'g-cr', 'cr', '-X', 'auto.offset.reset=earliest', '-c', '5', '-J', '-q']));
    checkEqual(first.map((r) => r.offset), [0, 1, 2, 3, 4], 'offsets read by the first member');
    const second = parseJsonLines(await kcat(['-b', bootstrap, '-G', 'g-cr', 'cr', '-X', 'auto.offset.reset=earliest', '-c', '1', '-J', '-q']));
    checkEqual(second[0]?.offset, 5, 'first offset after resume');
  },

  'idempotent-produce': async (bootstrap) => {
    await createTopic(bootstrap, 'idem', 1);
    const values = Array.from({ length: 10 }, (_, i) => `i${i}`);
    await kcat(['-b', bootstrap, '-P', '-t', 'idem', '-X', 'enable.idempotence=true'], `${values.join('\n')}\n`);
    checkEqual((await readAll(bootstrap, 'idem')).map((r) => r.value), values, 'values read back');
  },

  'list-offsets-time': async (bootstrap) => {
    await createTopic(bootstrap, 'lot', 1);
    const t = baseTimestamp();
    const producer = kafka(bootstrap).producer();
    await producer.connect();
    await producer.send({ topic: 'lot', messages: [0, 1, 2].map((i) => ({ value: `t${i}`, timestamp: String(t + i * 10_000) })) });
    await producer.disconnect();
    for (const [ts, expected] of [[t - 1_000, 0], [t + 5_000, 1], [t + 15_000, 2]] as const) {
      const [first] = parseJsonLines(await kcat(['-b', bootstrap, '-C', '-t', 'lot', '-p', '0', '-o', `s@${ts}`, '-c', '1', '-e', '-J', '-q']));
      check(first !== undefined, `nothing read from s@T${ts - t}`);
      checkEqual(first.offset, expected, `offset for timestamp T${ts - t >= 0 ? '+' : ''}${ts - t}ms`);
    }
  },
};

runDriver(scenarios);

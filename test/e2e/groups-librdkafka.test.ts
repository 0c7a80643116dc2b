/**
 * Consumer groups with librdkafka, through kcat's balanced consumer (-G):
 * three members share six partitions with full coverage and no overlap; one
 * stops (leaving the group) and the other two take over all six. kcat is a
 * test dependency (`.ci/run` installs it): without it the test fails.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { Kafka, logLevel } from 'kafkajs';
import { Broker } from '../../src/index.js';

const PARTITIONS = 6;
const hasKcat = spawnSync('kcat', ['-V'], { stdio: 'ignore' }).status === 0;

interface Member {
  readonly child: ChildProcess;
  /** Partitions per the member's latest "assigned" line (emptied by "revoked"). */
  assigned: number[];
  exited: boolean;
}

function startMember(bootstrap: string, group: string): Member {
  const child = spawn(
    'kcat',
    ['-b', bootstrap, '-G', group, 'orders', '-o', 'beginning', '-X', 'session.timeout.ms=6000', '-X', 'heartbeat.interval.ms=300', '-X', 'auto.offset.reset=earliest'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const member: Member = { child, assigned: [], exited: false };
  child.on('exit', () => {
    member.exited = true;
  });
  // e.g. "% Group g rebalanced (memberid m): assigned: orders [0], orders [1]"
  createInterface({ input: child.stderr! }).on('line', (line) => {
    const m = /rebalanced \(memberid [^)]*\): (assigned|revoked): (.*)$/.exec(line);
    if (m === null) return;
    member.assigned = m[1] === 'assigned' ? [...m[2]!.matchAll(/\[(\d+)\]/g)].map((x) => Number(x[1])).sort((a, b) => a - b) : [];
  });
  return member;
}

async function waitFor(what: string, probe: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function coversOnce(members: readonly Member[]): boolean {
  const all = members.flatMap((m) => m.assigned).sort((a, b) => a - b);
  return members.every((m) => m.assigned.length > 0) && all.length === PARTITIONS && all.every((p, i) => p === i);
}

test('groups with librdkafka (kcat -G): three members share six partitions; one leaves, two take over', async () => {
  assert.ok(hasKcat, 'kcat is not installed (Debian: apt-get install kcat; .ci/run installs it)');
  const broker = await Broker.start({ config: { 'group.initial.rebalance.delay.ms': 300 } });
  const members: Member[] = [];
  try {
    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: PARTITIONS }] });
    await admin.disconnect();

    for (let i = 0; i < 3; i++) members.push(startMember(broker.bootstrap, 'rdkafka'));
    await waitFor('three librdkafka members with disjoint, complete assignments', () => coversOnce(members));
    for (const m of members) assert.equal(m.assigned.length, 2);

    const leaving = members.shift()!;
    const stoppedMs = Date.now();
    leaving.child.kill('SIGTERM');
    await waitFor('the leaver to exit', () => leaving.exited);
    await waitFor('two members covering all six partitions', () => coversOnce(members));
    assert.ok(Date.now() - stoppedMs < 6_000, 'takeover within the session timeout');
  } finally {
    for (const m of members) if (!m.exited) m.child.kill('SIGKILL');
    await broker.stop();
  }
});

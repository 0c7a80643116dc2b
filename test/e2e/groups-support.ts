/**
 * The consumer-group proof of issue 6, written once and run with each client
 * that has no test of its own in groups.test.ts: a client supplies a way to
 * start one group member (`StartMember`), and each scenario here drives such
 * members against an embedded broker, with kafkajs's admin and producer for
 * set-up and for looking at the group from outside.
 *
 * Every wait is on a condition (a member's rebalance callbacks, the records
 * it received, the broker's view), never a fixed sleep; every scenario stops
 * its members and its broker whatever happens.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { Broker } from '../../src/index.js';

export const TOPIC = 'orders';
export const PARTITIONS = 6;
/** Kafka's group.min.session.timeout.ms: the shortest session a broker with default settings accepts. */
export const SESSION_TIMEOUT_MS = 6_000;
const brokerConfig = { 'group.initial.rebalance.delay.ms': 300 } as const;

export type RebalanceKind = 'assign' | 'revoke' | 'lost';

export interface RebalanceEvent {
  readonly kind: RebalanceKind;
  /** Eager: the whole new assignment (assign) or everything (revoke); cooperative: only the change. */
  readonly partitions: readonly number[];
}

export interface ReceivedRecord {
  readonly partition: number;
  readonly offset: number;
  readonly value: string;
}

export interface MemberOptions {
  readonly group: string;
  readonly sessionTimeoutMs: number;
  /** group.instance.id (KIP-345). */
  readonly instanceId?: string;
  /** partition.assignment.strategy=cooperative-sticky (KIP-429). */
  readonly cooperative?: boolean;
}

/** One member of a group, as its client reports it. */
export interface GroupMember {
  readonly name: string;
  /** Its partitions of TOPIC, sorted, after the rebalance callbacks so far. */
  readonly assignment: readonly number[];
  readonly events: readonly RebalanceEvent[];
  readonly records: readonly ReceivedRecord[];
  /** Commits exactly these offsets (the next offset to read per partition), synchronously. */
  commit(offsets: ReadonlyArray<readonly [partition: number, offset: number]>): Promise<void>;
  /** The client's own close: a dynamic member leaves the group, a static one does not. */
  close(): Promise<void>;
  /** Ends the member however it can, for clean-up after a failure. */
  kill(): Promise<void>;
}

export type StartMember = (bootstrap: string, name: string, options: MemberOptions) => Promise<GroupMember>;

/** Applies a rebalance callback to an assignment, as the client's own bookkeeping would. */
export function applyRebalance(assignment: readonly number[], event: RebalanceEvent, cooperative: boolean): number[] {
  if (event.kind === 'assign') {
    return cooperative ? [...new Set([...assignment, ...event.partitions])].sort((a, b) => a - b) : [...event.partitions].sort((a, b) => a - b);
  }
  return cooperative ? assignment.filter((p) => !event.partitions.includes(p)) : [];
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last === undefined ? '' : `: ${String(last)}`}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** True when the members' assignments cover every partition exactly once, each with `perMember` (or at least one). */
function coversOnce(members: readonly GroupMember[], perMember?: number): boolean {
  const all = members.flatMap((m) => m.assignment).sort((a, b) => a - b);
  return (
    members.every((m) => (perMember === undefined ? m.assignment.length > 0 : m.assignment.length === perMember)) &&
    all.length === PARTITIONS &&
    all.every((p, i) => p === i)
  );
}

function describeAssignments(members: readonly GroupMember[]): string {
  return members.map((m) => `${m.name}=${JSON.stringify(m.assignment)}`).join(' ');
}

async function waitForCoverage(what: string, members: readonly GroupMember[], perMember?: number): Promise<void> {
  try {
    await waitFor(what, () => (coversOnce(members, perMember) ? true : undefined));
  } catch (err) {
    throw new Error(`${(err as Error).message} (${describeAssignments(members)})`);
  }
}

/** A broker, an admin client on it, and the members started, all stopped by `close`. */
class Harness {
  readonly members: GroupMember[] = [];
  private adminClient: Admin | undefined;
  kafka!: Kafka;

  private constructor(
    public broker: Broker,
    private readonly startMember: StartMember,
    private readonly dataDir: string | undefined,
  ) {}

  static async open(startMember: StartMember, persistent = false): Promise<Harness> {
    const dataDir = persistent ? mkdtempSync(join(tmpdir(), 'samsa-groups-')) : undefined;
    const broker = await Broker.start({ ...(dataDir === undefined ? {} : { dataDir }), config: brokerConfig });
    const harness = new Harness(broker, startMember, dataDir);
    try {
      await harness.connectAdmin();
      await harness.admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }] });
    } catch (err) {
      await harness.close();
      throw err;
    }
    return harness;
  }

  get admin(): Admin {
    if (this.adminClient === undefined) throw new Error('no admin client');
    return this.adminClient;
  }

  private async connectAdmin(): Promise<void> {
    this.kafka = new Kafka({ brokers: [this.broker.bootstrap], clientId: 'groups-harness', logLevel: logLevel.NOTHING, retry: { initialRetryTime: 100, retries: 10 } });
    this.adminClient = this.kafka.admin();
    await this.adminClient.connect();
  }

  async start(name: string, options: MemberOptions): Promise<GroupMember> {
    const member = await this.startMember(this.broker.bootstrap, name, options);
    this.members.push(member);
    return member;
  }

  /** Closes a member the client's way and forgets it. */
  async closeMember(member: GroupMember): Promise<void> {
    this.members.splice(this.members.indexOf(member), 1);
    await member.close();
  }

  /** `count` records per partition, values `order-<from + i>`, partition by partition. */
  async produce(from: number, perPartition: number): Promise<void> {
    const producer = this.kafka.producer();
    await producer.connect();
    try {
      const messages = Array.from({ length: perPartition * PARTITIONS }, (_, i) => ({ partition: i % PARTITIONS, value: `order-${from + i}` }));
      await producer.send({ topic: TOPIC, acks: -1, messages });
    } finally {
      await producer.disconnect();
    }
  }

  async restartBroker(): Promise<void> {
    assert.ok(this.dataDir !== undefined, 'a restart needs a persistent data dir');
    await this.admin.disconnect();
    await this.broker.stop();
    this.broker = await Broker.start({ dataDir: this.dataDir, config: brokerConfig });
    await this.connectAdmin();
  }

  async close(): Promise<void> {
    await Promise.all(this.members.map((m) => m.kill().catch(() => undefined)));
    await this.adminClient?.disconnect().catch(() => undefined);
    await this.broker.stop();
    if (this.dataDir !== undefined) rmSync(this.dataDir, { recursive: true, force: true });
  }
}

async function withHarness(startMember: StartMember, persistent: boolean, body: (h: Harness) => Promise<void>): Promise<void> {
  const harness = await Harness.open(startMember, persistent);
  try {
    await body(harness);
  } finally {
    await harness.close();
  }
}

function report(client: string, line: string): void {
  process.stdout.write(`# ${client}: ${line}\n`);
}

/** Three members share six partitions (two each, no overlap); one closes and the other two take its partitions within the session timeout. */
export function shareAndLeave(client: string, startMember: StartMember): Promise<void> {
  return withHarness(startMember, false, async (h) => {
    const options = { group: `share-${client}`, sessionTimeoutMs: SESSION_TIMEOUT_MS };
    const startedMs = Date.now();
    const members = await Promise.all([0, 1, 2].map((i) => h.start(`m${i}`, options)));
    await waitForCoverage('three members with two partitions each', members, 2);
    const stableMs = Date.now() - startedMs;

    const leaving = members.shift()!;
    const leaveMs = Date.now();
    await h.closeMember(leaving);
    await waitForCoverage('the other two covering all six partitions', members);
    const takeoverMs = Date.now() - leaveMs;
    assert.ok(takeoverMs < SESSION_TIMEOUT_MS, `takeover within the session timeout (${takeoverMs} ms)`);
    const { groups } = await h.admin.describeGroups([options.group]);
    assert.equal(groups[0]!.state, 'Stable');
    assert.equal(groups[0]!.members.length, 2);
    report(client, `three members stable after ${stableMs} ms; two took over a leaver's partitions in ${takeoverMs} ms (session ${SESSION_TIMEOUT_MS} ms)`);
  });
}

/** The last record of each partition a member received, by partition. */
function lastOffsets(member: GroupMember): Map<number, number> {
  const last = new Map<number, number>();
  for (const r of member.records) last.set(r.partition, Math.max(last.get(r.partition) ?? -1, r.offset));
  return last;
}

async function waitUntilRead(member: GroupMember, endOffset: number): Promise<void> {
  await waitFor(`${member.name} read every partition to offset ${endOffset}`, () => {
    const last = lastOffsets(member);
    return Array.from({ length: PARTITIONS }, (_, p) => p).every((p) => last.get(p) === endOffset - 1) ? true : undefined;
  });
}

/**
 * A member reads and commits; it and the broker restart; the new member
 * resumes exactly after the committed offsets (nothing again, nothing skipped).
 * The restarted broker lists, describes and fetches the group's state before
 * any member rejoins.
 */
export function resumeAfterRestart(client: string, startMember: StartMember): Promise<void> {
  return withHarness(startMember, true, async (h) => {
    const group = `resume-${client}`;
    const PER_PARTITION = 10;
    await h.produce(0, PER_PARTITION);
    const first = await h.start('first', { group, sessionTimeoutMs: SESSION_TIMEOUT_MS });
    await waitUntilRead(first, PER_PARTITION);
    assert.equal(first.records.length, PER_PARTITION * PARTITIONS, 'each record once');
    await first.commit([...lastOffsets(first)].map(([p, o]) => [p, o + 1] as const));
    await h.closeMember(first);

    await h.restartBroker();
    const { groups: listed } = await h.admin.listGroups();
    assert.deepEqual(listed.filter((g) => g.groupId === group).map((g) => g.protocolType), ['consumer']);
    const { groups: described } = await h.admin.describeGroups([group]);
    assert.equal(described[0]!.state, 'Empty');
    const [committed] = await h.admin.fetchOffsets({ groupId: group, topics: [TOPIC] });
    assert.deepEqual(
      committed!.partitions.map((p) => [p.partition, p.offset]).sort((a, b) => Number(a[0]) - Number(b[0])),
      Array.from({ length: PARTITIONS }, (_, p) => [p, String(PER_PARTITION)]),
      'committed offsets survived the broker restart',
    );

    const MORE = 5;
    await h.produce(PER_PARTITION * PARTITIONS, MORE);
    const resumedAtMs = Date.now();
    const second = await h.start('second', { group, sessionTimeoutMs: SESSION_TIMEOUT_MS });
    await waitUntilRead(second, PER_PARTITION + MORE);
    const resumeMs = Date.now() - resumedAtMs;
    const got = second.records.map((r) => `${r.partition}@${r.offset}`).sort();
    const expected = Array.from({ length: PARTITIONS * MORE }, (_, i) => `${i % PARTITIONS}@${PER_PARTITION + Math.floor(i / PARTITIONS)}`).sort();
    assert.deepEqual(got, expected, 'the restarted member reads exactly the records after the committed offsets');
    assert.deepEqual(
      second.records.map((r) => r.value).sort(),
      Array.from({ length: PARTITIONS * MORE }, (_, i) => `order-${PER_PARTITION * PARTITIONS + i}`).sort(),
    );
    report(client, `after restarting consumer and broker, resumed exactly at the committed offsets (${resumeMs} ms from start to the last record)`);
  });
}

/**
 * Three static members; one closes (a static member does not leave) and a
 * new process with the same group.instance.id starts within the session
 * timeout: it gets the same partitions and the others see no rebalance.
 */
export function staticRestart(client: string, startMember: StartMember): Promise<void> {
  return withHarness(startMember, false, async (h) => {
    const group = `static-${client}`;
    const STATIC_SESSION_MS = 20_000;
    const options = (i: number): MemberOptions => ({ group, sessionTimeoutMs: STATIC_SESSION_MS, instanceId: `pod-${i}` });
    const members = await Promise.all([0, 1, 2].map((i) => h.start(`pod-${i}`, options(i))));
    await waitForCoverage('three static members with two partitions each', members, 2);
    const { groups: before } = await h.admin.describeGroups([group]);

    const [stays1, restarting, stays2] = [members[0]!, members[1]!, members[2]!];
    const kept = restarting.assignment;
    const eventsBefore = [stays1.events.length, stays2.events.length];
    const restartMs = Date.now();
    await h.closeMember(restarting);
    const again = await h.start('pod-1 again', options(1));
    await waitFor('the restarted static member assigned', () => (again.assignment.length > 0 ? true : undefined), STATIC_SESSION_MS);
    const backMs = Date.now() - restartMs;
    assert.ok(backMs < STATIC_SESSION_MS, 'back within the session timeout');
    assert.deepEqual(again.assignment, kept, 'the same partitions as before the restart');
    assert.deepEqual(again.events.map((e) => e.kind), ['assign'], 'one assignment, no revocation');
    // A rebalance would have made the others revoke (eager) before the restarted member could be assigned.
    assert.deepEqual([stays1.events.length, stays2.events.length], eventsBefore, 'the other members saw no rebalance');
    const { groups: after } = await h.admin.describeGroups([group]);
    assert.equal(after[0]!.state, 'Stable');
    // The restarted member has a new member id in place of its old one; the others keep theirs.
    const idsBefore = before[0]!.members.map((m) => m.memberId);
    const idsAfter = after[0]!.members.map((m) => m.memberId);
    assert.equal(idsAfter.length, 3);
    assert.equal(idsAfter.filter((id) => idsBefore.includes(id)).length, 2, 'two members unchanged, one replaced');
    report(client, `a static member closed and restarted kept partitions ${JSON.stringify(kept)} without a rebalance, assigned again ${backMs} ms after its close`);
  });
}

/**
 * Cooperative rebalancing (KIP-429) through the broker: a third member joins
 * two, and the two give up only the partitions that move (incremental revoke),
 * keeping the rest throughout; then it leaves and the two only gain.
 */
export function cooperativeRebalance(client: string, startMember: StartMember): Promise<void> {
  return withHarness(startMember, false, async (h) => {
    const options = { group: `coop-${client}`, sessionTimeoutMs: SESSION_TIMEOUT_MS, cooperative: true };
    const pair = await Promise.all([0, 1].map((i) => h.start(`c${i}`, options)));
    await waitForCoverage('two cooperative members with three partitions each', pair, 3);

    const before = pair.map((m) => m.assignment);
    const marks = pair.map((m) => m.events.length);
    const joinMs = Date.now();
    const third = await h.start('c2', options);
    const three = [...pair, third];
    await waitForCoverage('three cooperative members with two partitions each', three, 2);
    const joinTookMs = Date.now() - joinMs;
    pair.forEach((m, i) => {
      const kept = before[i]!.filter((p) => m.assignment.includes(p));
      assert.equal(kept.length, 2, `${m.name} keeps two of its partitions (sticky): before ${JSON.stringify(before[i])}, after ${JSON.stringify(m.assignment)}`);
      // librdkafka also reports an empty incremental assignment after each cooperative round: not a change.
      const since = m.events.slice(marks[i]).filter((e) => e.partitions.length > 0);
      assert.ok(since.length > 0, `${m.name} gave up a partition`);
      for (const e of since) {
        assert.equal(e.kind, 'revoke', `${m.name}: only revocations while the third joins: ${JSON.stringify(since)}`);
        for (const p of e.partitions) assert.ok(!kept.includes(p), `${m.name} never revokes partition ${p}, which it keeps`);
      }
    });
    assert.ok(third.events.every((e) => e.kind === 'assign'), 'the newcomer is only assigned');

    const before2 = pair.map((m) => m.assignment);
    const marks2 = pair.map((m) => m.events.length);
    const leaveMs = Date.now();
    await h.closeMember(third);
    await waitForCoverage('the two covering all six partitions again', pair, 3);
    const takeoverMs = Date.now() - leaveMs;
    assert.ok(takeoverMs < SESSION_TIMEOUT_MS, `takeover within the session timeout (${takeoverMs} ms)`);
    pair.forEach((m, i) => {
      for (const p of before2[i]!) assert.ok(m.assignment.includes(p), `${m.name} keeps partition ${p}`);
      const since = m.events.slice(marks2[i]).filter((e) => e.partitions.length > 0);
      assert.ok(since.length > 0 && since.every((e) => e.kind === 'assign'), `${m.name}: only incremental assignments after the leave: ${JSON.stringify(since)}`);
    });
    report(client, `cooperative-sticky: a third member joined in ${joinTookMs} ms with incremental revocations only; after it left the two gained its partitions in ${takeoverMs} ms, revoking nothing`);
  });
}

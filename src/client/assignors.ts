/**
 * Partition assignors for the classic group protocol. The group leader runs
 * the one the coordinator chose over every member's subscription and sends
 * the result back through SyncGroup.
 *
 * - range: per topic, consecutive partition ranges; the first members (by
 *   member id) get one extra when the count does not divide.
 * - roundrobin: all partitions of all subscribed topics in (topic, partition)
 *   order dealt out one by one to the members subscribed to each.
 * - sticky: keeps every partition with its previous owner where that stays
 *   balanced, hands out the rest to the least loaded subscriber, then moves
 *   partitions from the most to the least loaded member until no move helps.
 * - cooperative-sticky: the sticky result, except that a partition moving
 *   between members is left out this round; its old owner revokes it and
 *   rejoins, and the next round gives it to the new owner (KIP-429).
 */
import type { TopicPartition } from './consumer-protocol.js';

export interface MemberSubscription {
  memberId: string;
  groupInstanceId: string | null;
  topics: string[];
  ownedPartitions: TopicPartition[];
  /** Generation in which ownedPartitions were held; -1 when unknown. */
  generationId: number;
}

export interface Assignor {
  /** The protocol name sent in JoinGroup ("range", "roundrobin", "sticky", "cooperative-sticky"). */
  readonly name: string;
  /** True when the assignor supports incremental (cooperative) rebalancing. */
  readonly cooperative: boolean;
  assign(members: MemberSubscription[], partitionsPerTopic: ReadonlyMap<string, number>): Map<string, TopicPartition[]>;
}

function emptyResult(members: MemberSubscription[]): Map<string, TopicPartition[]> {
  return new Map(members.map((m) => [m.memberId, []]));
}

function byMemberId(a: MemberSubscription, b: MemberSubscription): number {
  // Static members sort by instance id so their ranges survive restarts.
  const ka = a.groupInstanceId ?? a.memberId;
  const kb = b.groupInstanceId ?? b.memberId;
  return ka < kb ? -1 : ka > kb ? 1 : a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0;
}

function sortPartitions(list: TopicPartition[]): TopicPartition[] {
  return list.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
}

export const rangeAssignor: Assignor = {
  name: 'range',
  cooperative: false,
  assign(members, partitionsPerTopic) {
    const result = emptyResult(members);
    const topics = [...new Set(members.flatMap((m) => m.topics))].sort();
    for (const topic of topics) {
      const count = partitionsPerTopic.get(topic);
      if (count === undefined || count <= 0) continue;
      const subscribers = members.filter((m) => m.topics.includes(topic)).sort(byMemberId);
      const per = Math.floor(count / subscribers.length);
      const extra = count % subscribers.length;
      let next = 0;
      subscribers.forEach((m, i) => {
        const n = per + (i < extra ? 1 : 0);
        const list = result.get(m.memberId)!;
        for (let p = next; p < next + n; p++) list.push({ topic, partition: p });
        next += n;
      });
    }
    return result;
  },
};

export const roundRobinAssignor: Assignor = {
  name: 'roundrobin',
  cooperative: false,
  assign(members, partitionsPerTopic) {
    const result = emptyResult(members);
    const sorted = [...members].sort(byMemberId);
    if (sorted.length === 0) return result;
    const topics = [...new Set(members.flatMap((m) => m.topics))].filter((t) => (partitionsPerTopic.get(t) ?? 0) > 0).sort();
    let cursor = 0;
    for (const topic of topics) {
      const count = partitionsPerTopic.get(topic)!;
      for (let partition = 0; partition < count; partition++) {
        // Deal to the next member (circularly) that subscribes to this topic.
        for (let tried = 0; tried < sorted.length; tried++) {
          const m = sorted[cursor % sorted.length]!;
          cursor++;
          if (m.topics.includes(topic)) {
            result.get(m.memberId)!.push({ topic, partition });
            break;
          }
        }
      }
    }
    return result;
  },
};

function tpKey(tp: TopicPartition): string {
  return `${tp.topic}\u0000${tp.partition}`;
}

/** The sticky computation shared by the eager and cooperative variants. */
export function stickyAssign(members: MemberSubscription[], partitionsPerTopic: ReadonlyMap<string, number>): Map<string, TopicPartition[]> {
  const sorted = [...members].sort(byMemberId);
  const subscribed = new Map(sorted.map((m) => [m.memberId, new Set(m.topics)]));
  const exists = (tp: TopicPartition): boolean => tp.partition >= 0 && tp.partition < (partitionsPerTopic.get(tp.topic) ?? 0);

  // 1. Keep valid previous ownership; when two members claim a partition, the newer generation wins.
  const owner = new Map<string, { memberId: string; generation: number }>();
  for (const m of sorted) {
    for (const tp of m.ownedPartitions) {
      if (!exists(tp) || !subscribed.get(m.memberId)!.has(tp.topic)) continue;
      const k = tpKey(tp);
      const current = owner.get(k);
      if (current === undefined || m.generationId > current.generation) owner.set(k, { memberId: m.memberId, generation: m.generationId });
    }
  }
  const assigned = new Map<string, Map<string, TopicPartition>>(sorted.map((m) => [m.memberId, new Map()]));
  for (const [k, o] of owner) {
    const [topic, p] = k.split('\u0000') as [string, string];
    assigned.get(o.memberId)!.set(k, { topic, partition: Number(p) });
  }

  // 2. With equal subscriptions nobody keeps more than the balanced share.
  // (With unequal ones the shares differ per member; step 4 balances those.)
  const all: TopicPartition[] = [];
  for (const topic of [...new Set(sorted.flatMap((m) => m.topics))].sort()) {
    const count = partitionsPerTopic.get(topic) ?? 0;
    for (let partition = 0; partition < count; partition++) all.push({ topic, partition });
  }
  const sameTopics = sorted.every((m) => m.topics.length === sorted[0]!.topics.length && m.topics.every((t) => sorted[0]!.topics.includes(t)));
  if (sorted.length > 0 && sameTopics) {
    const ceil = Math.ceil(all.length / sorted.length);
    for (const m of sorted) {
      const mine = assigned.get(m.memberId)!;
      if (mine.size <= ceil) continue;
      const keep = sortPartitions([...mine.values()]).slice(0, ceil);
      mine.clear();
      for (const tp of keep) mine.set(tpKey(tp), tp);
    }
  }

  // 3. Unowned partitions go to the least loaded subscriber.
  const taken = new Set<string>();
  for (const mine of assigned.values()) for (const k of mine.keys()) taken.add(k);
  for (const tp of all) {
    const k = tpKey(tp);
    if (taken.has(k)) continue;
    let best: string | null = null;
    for (const m of sorted) {
      if (!subscribed.get(m.memberId)!.has(tp.topic)) continue;
      if (best === null || assigned.get(m.memberId)!.size < assigned.get(best)!.size) best = m.memberId;
    }
    if (best !== null) {
      assigned.get(best)!.set(k, tp);
      taken.add(k);
    }
  }

  // 4. Move partitions from heavy to light members while a move narrows the gap by two or more.
  for (let moves = 0; moves < all.length * sorted.length + 1; moves++) {
    let moved = false;
    const byLoad = [...sorted].sort((a, b) => assigned.get(b.memberId)!.size - assigned.get(a.memberId)!.size || byMemberId(a, b));
    outer: for (const heavy of byLoad) {
      const heavyMap = assigned.get(heavy.memberId)!;
      for (const light of [...byLoad].reverse()) {
        const lightMap = assigned.get(light.memberId)!;
        if (heavyMap.size - lightMap.size < 2) break;
        const lightTopics = subscribed.get(light.memberId)!;
        // Move the highest-numbered eligible partition: the least "sticky-significant" choice is arbitrary but deterministic.
        const candidate = sortPartitions([...heavyMap.values()]).reverse().find((tp) => lightTopics.has(tp.topic));
        if (candidate === undefined) continue;
        heavyMap.delete(tpKey(candidate));
        lightMap.set(tpKey(candidate), candidate);
        moved = true;
        break outer;
      }
    }
    if (!moved) break;
  }

  return new Map(sorted.map((m) => [m.memberId, sortPartitions([...assigned.get(m.memberId)!.values()])]));
}

export const stickyAssignor: Assignor = {
  name: 'sticky',
  cooperative: false,
  assign: stickyAssign,
};

export const cooperativeStickyAssignor: Assignor = {
  name: 'cooperative-sticky',
  cooperative: true,
  assign(members, partitionsPerTopic) {
    const target = stickyAssign(members, partitionsPerTopic);
    // A partition someone else still owns is held back until that member has revoked it.
    const ownedBy = new Map<string, string>();
    for (const m of members) {
      for (const tp of m.ownedPartitions) ownedBy.set(tpKey(tp), m.memberId);
    }
    const result = new Map<string, TopicPartition[]>();
    for (const [memberId, list] of target) {
      result.set(
        memberId,
        list.filter((tp) => {
          const previous = ownedBy.get(tpKey(tp));
          return previous === undefined || previous === memberId || !members.some((m) => m.memberId === previous);
        }),
      );
    }
    return result;
  },
};

export const builtinAssignors: Readonly<Record<string, Assignor>> = {
  range: rangeAssignor,
  roundrobin: roundRobinAssignor,
  sticky: stickyAssignor,
  'cooperative-sticky': cooperativeStickyAssignor,
};

export type AssignorName = 'range' | 'roundrobin' | 'sticky' | 'cooperative-sticky';

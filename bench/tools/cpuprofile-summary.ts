/**
 * Summarises a V8 .cpuprofile (node --cpu-prof): self and inclusive time per
 * function (name + file:line), top N by each, as a share of the sampled time.
 * Inclusive time counts a function once per sample even when it recurses.
 *
 *   node dist/bench/tools/cpuprofile-summary.js <file.cpuprofile> [N=25] [--filter text] [--window fromMs,toMs]
 *
 * --filter keeps only samples whose stack contains a frame matching the text
 * (e.g. a handler name), to split one request type's time.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const [file, nArg] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: cpuprofile-summary <file.cpuprofile> [N] [--filter text]\n');
  process.exit(2);
}
const filterAt = process.argv.indexOf('--filter');
const filter = filterAt >= 0 ? process.argv[filterAt + 1] : undefined;
const topN = Number(nArg && !nArg.startsWith('--') ? nArg : 25);
// --window from,to: only samples taken between these ms after the profile started.
const windowAt = process.argv.indexOf('--window');
const [windowFrom, windowTo] = windowAt >= 0 ? process.argv[windowAt + 1]!.split(',').map(Number) : [0, Infinity];
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map<number, ProfileNode>();
const parent = new Map<number, number>();
for (const node of profile.nodes) byId.set(node.id, node);
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

const label = (n: ProfileNode): string => {
  const url = n.callFrame.url.replace(/^file:\/\/.*?\/(dist|node_modules)\//, '$1/');
  return `${n.callFrame.functionName || '(anonymous)'} ${url ? `${url.split('/').slice(-2).join('/')}:${n.callFrame.lineNumber + 1}` : ''}`.trim();
};

const self = new Map<string, number>();
const inclusive = new Map<string, number>();
let total = 0;
let idle = 0;
const stackOf = (id: number): ProfileNode[] => {
  const stack: ProfileNode[] = [];
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) stack.push(byId.get(at)!);
  return stack;
};
let atUs = 0;
for (let i = 0; i < profile.samples.length; i++) {
  atUs += profile.timeDeltas[i] ?? 0;
  const dt = profile.timeDeltas[i + 1] ?? 0;
  if (atUs / 1000 < windowFrom! || atUs / 1000 > windowTo!) continue;
  const stack = stackOf(profile.samples[i]!);
  const leaf = stack[0]!;
  if (leaf.callFrame.functionName === '(idle)') {
    idle += dt;
    continue;
  }
  if (filter && !stack.some((n) => label(n).includes(filter))) continue;
  total += dt;
  self.set(label(leaf), (self.get(label(leaf)) ?? 0) + dt);
  for (const name of new Set(stack.map(label))) inclusive.set(name, (inclusive.get(name) ?? 0) + dt);
}
const wallMs = (profile.endTime - profile.startTime) / 1000;
// Busy time per 500 ms, to find the phases of a run (creation, load).
const buckets: number[] = [];
{
  let t = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    const leaf = byId.get(profile.samples[i]!)!;
    if (leaf.callFrame.functionName === '(idle)') continue;
    const b = Math.floor(t / 500_000);
    buckets[b] = (buckets[b] ?? 0) + (profile.timeDeltas[i + 1] ?? 0);
  }
}
process.stdout.write(`busy % per 500 ms: ${Array.from(buckets, (us) => Math.round(((us ?? 0) / 500_000) * 100)).join(' ')}\n`);
process.stdout.write(`${file}\nwall ${wallMs.toFixed(0)} ms, busy ${(total / 1000).toFixed(0)} ms${filter ? ` (stacks with "${filter}")` : ''}, idle ${(idle / 1000).toFixed(0)} ms\n`);
const print = (title: string, m: Map<string, number>): void => {
  process.stdout.write(`\n${title}\n`);
  for (const [name, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, topN)) {
    process.stdout.write(`${(us / 1000).toFixed(0).padStart(7)} ms ${((us / total) * 100).toFixed(1).padStart(5)}%  ${name}\n`);
  }
};
print('self', self);
print('inclusive', inclusive);

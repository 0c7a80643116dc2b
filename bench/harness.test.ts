// Keeps the benchmark harness from rotting: runs every registered suite for a
// moment and checks the shape of what comes back, plus the pieces it is built on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Histogram } from './load/histogram.js';
import { FrameSplitter, readUInt32InParts } from './load/frame-splitter.js';
import { buildProduceShapedFrames, correlationIdOffset } from './load/frames.js';
import { formatTable, ratioOf, runSuites, selectSuites, writeRecord, type RunRecord } from './harness.js';
import { renderChart, writeChart } from './chart.js';
import { suites } from './suites/index.js';
import type { Suite } from './suite.js';

test('histogram percentiles stay within the bucket precision', () => {
  const h = new Histogram();
  for (let v = 1; v <= 100_000; v++) h.record(v);
  const s = h.summary();
  assert.equal(s.count, 100_000);
  assert.equal(s.min, 1);
  assert.equal(s.max, 100_000);
  for (const [p, expected] of [[50, 50_000], [99, 99_000], [99.9, 99_900]] as const) {
    const got = h.percentile(p);
    assert.ok(got >= expected && got <= expected * (1 + 1 / 128), `p${p} = ${got}, want about ${expected}`);
  }
  const small = new Histogram();
  for (const v of [0, 1, 2, 3, 200]) small.record(v);
  assert.equal(small.percentile(60), 2); // values below 256 are exact
  assert.equal(small.percentile(100), 200);
  small.merge(h);
  assert.equal(small.count, 100_005);
  assert.equal(new Histogram().summary().p99, 0);
});

test('frame splitter reassembles frames from any chunking without losing bytes', () => {
  const frames = buildProduceShapedFrames({ count: 5, recordsAreaBytes: 3000, recordBytes: 1000 });
  const stream = Buffer.concat(frames);
  for (const chunkBytes of [1, 3, 7, 4096, stream.length]) {
    const splitter = new FrameSplitter(1 << 20);
    const got: Buffer[] = [];
    for (let at = 0; at < stream.length; at += chunkBytes) {
      splitter.push(stream.subarray(at, at + chunkBytes), (parts, frameBytes) => {
        const frame = Buffer.concat(parts);
        assert.equal(frame.length, frameBytes);
        assert.equal(readUInt32InParts(parts, correlationIdOffset), frame.readUInt32BE(correlationIdOffset));
        got.push(frame);
      });
    }
    assert.deepEqual(got, frames, `chunks of ${chunkBytes}`);
  }
  assert.throws(() => new FrameSplitter(100).push(Buffer.from([0, 0, 1, 0]), () => {}), RangeError);
});

test('selection pulls in declared ceilings; ratios convert units', () => {
  const fake: Suite = { name: 'x.fake', description: '', ceilings: ['ceiling.crc32c'], run: async () => [] };
  const names = selectSuites([...suites, fake], ['fake']).map((s) => s.name);
  assert.deepEqual(names, ['ceiling.crc32c', 'x.fake']);
  assert.throws(() => selectSuites(suites, ['no-such-suite']));
  assert.equal(ratioOf(500, 'MB/s', 2, 'GB/s'), 0.25);
  assert.equal(ratioOf(1, 'ms', 1, 'MB/s'), undefined);
});

test('every registered suite runs briefly and reports well-formed measurements', { timeout: 120_000 }, async () => {
  const ratioSuite: Suite = {
    name: 'x.ratio',
    description: 'reports a ratio to a ceiling',
    ceilings: ['ceiling.crc32c'],
    run: async () => [{ metric: 'throughput', value: 500, unit: 'MB/s', ratioTo: 'ceiling.crc32c.throughput' }],
  };
  const lines: string[] = [];
  const record = await runSuites([...suites, ratioSuite], { durationMs: 300, quick: true, log: (l) => lines.push(l) });
  assert.equal(record.suites.length, suites.length + 1);
  const ids = new Set<string>();
  for (const outcome of record.suites) {
    assert.equal(outcome.error, undefined, `${outcome.name} failed: ${outcome.error}\n${lines.join('\n')}`);
    assert.ok(outcome.measurements.length > 0, `${outcome.name} measured nothing`);
    for (const m of outcome.measurements) {
      assert.ok(!ids.has(m.id), `duplicate id ${m.id}`);
      ids.add(m.id);
      assert.equal(m.id, `${outcome.name}.${m.metric}`);
      assert.ok(Number.isFinite(m.value) && m.value >= 0, `${m.id} = ${m.value}`);
      assert.ok(m.unit.length > 0);
      if (m.unit.endsWith('/s')) assert.ok(m.value > 0, `${m.id} measured no throughput`);
    }
  }
  // The ids other suites will name in ratioTo.
  for (const id of [
    'ceiling.tcp.throughput',
    'ceiling.append.throughput',
    'ceiling.append.latency.p99',
    'ceiling.fsync.throughput',
    'ceiling.crc32c.throughput',
    'ceiling.disk.write',
    'ceiling.disk.read',
    'ceiling.disk.write.sync16',
  ]) {
    assert.ok(ids.has(id), `${id} missing`);
  }
  const ratio = record.suites.at(-1)!.measurements[0]!;
  assert.ok(ratio.ratio !== undefined && ratio.ratio > 0);
  assert.deepEqual(Object.keys(record.machine).sort(), ['arch', 'cpuCount', 'cpuModel', 'nodeVersion', 'platform', 'totalMemBytes']);
  assert.match(formatTable(record), /ceiling\.tcp\.throughput/);

  // JSON round trip and chart drawing, in a scratch results directory.
  const dir = await mkdtemp(join(tmpdir(), 'samsa-bench-test-'));
  try {
    const later: RunRecord = { ...record, startedAt: new Date(Date.parse(record.startedAt) + 60_000).toISOString() };
    await writeRecord(record, dir);
    await writeRecord(later, dir);
    const files = (await readdir(dir)).filter((f) => f.endsWith('.json'));
    assert.equal(files.length, 2);
    assert.ok(files.every((f) => !f.includes(':')));
    const svgPath = await writeChart(dir);
    const svg = await readFile(svgPath, 'utf8');
    assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.match(svg, /ceiling\.append\.latency\.p99/);
    assert.match(svg, /<\/svg>\n$/);
    assert.match(renderChart([]), /no runs yet/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

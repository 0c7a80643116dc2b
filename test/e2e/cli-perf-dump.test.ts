/**
 * kafka-producer-perf-test.sh and kafka-consumer-perf-test.sh output lines,
 * and kafka-dump-log.sh reading the broker's segment files from disk.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Broker } from '../../src/index.js';
import { runScript } from './cli-support.js';

let broker: Broker;
let b: string;
let dataDir: string;

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'samsa-cli-'));
  broker = await Broker.start({ port: 0, dataDir, config: { 'group.initial.rebalance.delay.ms': 0 } });
  b = broker.bootstrap;
});

after(async () => {
  await broker.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

test('producer perf test prints Kafka\'s final stats line; consumer perf test reads it all back', async () => {
  assert.equal((await runScript('kafka-topics.sh', ['--bootstrap-server', b, '--create', '--topic', 'perf', '--partitions', '2'])).code, 0);
  const produced = await runScript('kafka-producer-perf-test.sh', [
    '--topic', 'perf', '--num-records', '20000', '--record-size', '100', '--throughput', '-1', '--producer-props', `bootstrap.servers=${b}`, 'acks=1',
  ]);
  assert.equal(produced.code, 0, produced.stderr);
  const last = produced.stdout.trimEnd().split('\n').at(-1)!;
  assert.match(
    last,
    /^20000 records sent, \d+\.\d{6} records\/sec \(\d+\.\d{2} MB\/sec\), \d+\.\d{2} ms avg latency, \d+\.\d{2} ms max latency, \d+ ms 50th, \d+ ms 95th, \d+ ms 99th, \d+ ms 99\.9th\.$/,
  );

  const withMetrics = await runScript('kafka-producer-perf-test.sh', [
    '--topic', 'perf-metrics', '--num-records', '500', '--record-size', '64', '--throughput', '-1', '--print-metrics',
    '--producer-props', `bootstrap.servers=${b}`, 'client.id=perf-m',
  ]);
  assert.equal(withMetrics.code, 0, withMetrics.stderr);
  const table = withMetrics.stdout.split('\n\n')[1]!.trimEnd().split('\n');
  assert.match(table[0]!, /^Metric Name +Value$/);
  const metric = (name: string): number => {
    const row = table.find((l) => l.startsWith(`producer-metrics:${name}:{client-id=perf-m}`));
    assert.ok(row, `no ${name} row in:\n${table.join('\n')}`);
    return Number(/ : (\d+\.\d{3})$/.exec(row)![1]);
  };
  assert.equal(metric('record-send-total'), 500);
  assert.equal(metric('record-error-total'), 0);
  assert.equal(metric('record-size-avg'), 64);
  assert.equal(metric('record-size-max'), 64);
  assert.ok(metric('record-send-rate') > 0);

  const consumed = await runScript('kafka-consumer-perf-test.sh', ['--bootstrap-server', b, '--topic', 'perf', '--messages', '20000', '--timeout', '5000']);
  assert.equal(consumed.code, 0, consumed.stderr);
  const lines = consumed.stdout.trimEnd().split('\n');
  assert.equal(lines[0], 'start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec');
  const cells = lines[1]!.split(', ');
  assert.equal(cells.length, 10);
  assert.match(cells[0]!, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}:\d{3}$/);
  assert.equal(cells[2], (20000 * 100 / (1024 * 1024)).toFixed(4));
  assert.equal(cells[4], '20000');
});

test('perf tests: missing required arguments are one line, exit 1', async () => {
  const noRecords = await runScript('kafka-producer-perf-test.sh', ['--topic', 'perf', '--throughput', '-1', '--record-size', '10', '--producer-props', `bootstrap.servers=${b}`]);
  assert.equal(noRecords.code, 1);
  assert.equal(noRecords.stderr, 'argument --num-records is required\n');
  const noMessages = await runScript('kafka-consumer-perf-test.sh', ['--bootstrap-server', b, '--topic', 'perf']);
  assert.equal(noMessages.code, 1);
  assert.equal(noMessages.stderr, 'Missing required argument "[messages]"\n');
});

test('kafka-dump-log prints batches, records and payloads of a segment on disk', async () => {
  assert.equal((await runScript('kafka-topics.sh', ['--bootstrap-server', b, '--create', '--topic', 'dumped'])).code, 0);
  const produced = await runScript('kafka-console-producer.sh', ['--bootstrap-server', b, '--topic', 'dumped', '--property', 'parse.key=true'], {
    stdin: 'k1\thello\nk2\tworld\n',
  });
  assert.equal(produced.code, 0, produced.stderr);
  const segment = join(dataDir, 'dumped-0', '00000000000000000000.log');

  const shallow = await runScript('kafka-dump-log.sh', ['--files', segment]);
  assert.equal(shallow.code, 0, shallow.stderr);
  const lines = shallow.stdout.trimEnd().split('\n');
  assert.equal(lines[0], `Dumping ${segment}`);
  assert.equal(lines[1], 'Log starting offset: 0');
  assert.match(
    lines[2]!,
    /^baseOffset: 0 lastOffset: 1 count: 2 baseSequence: -?\d+ lastSequence: -?\d+ producerId: -?\d+ producerEpoch: -?\d+ partitionLeaderEpoch: \d+ isTransactional: false isControl: false deleteHorizonMs: OptionalLong\.empty position: 0 CreateTime: \d+ size: \d+ magic: 2 compresscodec: none crc: \d+ isvalid: true$/,
  );
  assert.equal(lines.length, 3);

  const deep = await runScript('kafka-dump-log.sh', ['--files', segment, '--print-data-log']);
  const records = deep.stdout.trimEnd().split('\n').filter((l) => l.startsWith('| '));
  assert.equal(records.length, 2);
  assert.match(records[0]!, /^\| offset: 0 CreateTime: \d+ keySize: 2 valueSize: 5 sequence: -?\d+ headerKeys: \[\] key: k1 payload: hello$/);
  assert.match(records[1]!, /^\| offset: 1 CreateTime: \d+ keySize: 2 valueSize: 5 sequence: -?\d+ headerKeys: \[\] key: k2 payload: world$/);

  const missing = await runScript('kafka-dump-log.sh', ['--files', join(dataDir, 'nope.log')]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /nope\.log \(No such file or directory\)\n$/);
});

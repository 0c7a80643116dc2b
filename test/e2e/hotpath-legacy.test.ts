/**
 * Old message formats with a real old-protocol client: kafka-python pinned
 * to api_version (0,9) uses Produce v1 / Fetch v1 / ListOffsets v0 (magic 0
 * message sets), pinned to (0,10) Produce v2 / Fetch v2 (magic 1). Samsa
 * up-converts on produce and down-converts on fetch. Skipped when Debian's
 * python3-kafka is not installed.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { Broker } from '../../src/index.js';

const PYTHON = '/usr/bin/python3';

function hasKafkaPython(): boolean {
  try {
    execFileSync(PYTHON, ['-c', 'import kafka'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const SCRIPT = `
import sys
from kafka import KafkaProducer, KafkaConsumer, TopicPartition
bs, topic, codec = sys.argv[1], sys.argv[2], sys.argv[4]
ver = tuple(int(x) for x in sys.argv[3].split('.'))
p = KafkaProducer(bootstrap_servers=bs, api_version=ver, compression_type=None if codec == 'none' else codec, linger_ms=5)
for i in range(200):
    p.send(topic, key=b'k%d' % i, value=b'v%d' % i)
p.flush(); p.close()
c = KafkaConsumer(bootstrap_servers=bs, api_version=ver, auto_offset_reset='earliest', consumer_timeout_ms=4000, enable_auto_commit=False, group_id=None)
tp = TopicPartition(topic, 0)
c.assign([tp]); c.seek_to_beginning(tp)
got = []
for m in c:
    got.append((m.offset, m.value.decode(), m.timestamp))
    if len(got) == 200: break
print('%d %s %s %d' % (len(got), got[0][1], got[-1][1], sum(1 for i, g in enumerate(got) if g[0] == i)))
print('ts', 1 if all((g[2] or -1) > 0 for g in got) else 0)
`;

function runClient(bootstrap: string, topic: string, version: string, codec: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(PYTHON, ['-c', SCRIPT, bootstrap, topic, version, codec], { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

const available = hasKafkaPython();
let broker: Broker;

before(async () => {
  if (available) broker = await Broker.start({ config: { 'num.partitions': 1 } });
});

after(async () => {
  if (available) await broker.stop();
});

for (const [version, codec, magic] of [['0.9', 'none', 0], ['0.10', 'gzip', 1], ['0.10', 'none', 1]] as const) {
  test(`kafka-python api_version ${version} (${codec}, magic ${magic}) produces and consumes 200 messages in order`, { skip: !available && 'python3-kafka not installed', timeout: 40_000 }, async () => {
    const topic = `legacy-${version.replace('.', '-')}-${codec}`;
    const out = (await runClient(broker.bootstrap, topic, version, codec)).trim().split('\n');
    assert.equal(out[0], '200 v0 v199 200', 'every message, in order, at its offset');
    // Magic 0 has no timestamps; magic 1 carries the producer's.
    assert.equal(out[1], magic === 0 ? 'ts 0' : 'ts 1');
  });
}

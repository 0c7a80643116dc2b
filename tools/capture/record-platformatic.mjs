// Records the requests @platformatic/kafka sends into test/fixtures/golden/platformatic-kafka/.
//
// This client speaks the newest (flexible: compact strings, tagged fields)
// versions of most APIs, which the other recorded clients do not reach. It is
// not a dependency of the project: install it in a scratch folder and point
// GOLDEN_CLIENTS at that folder's node_modules' parent:
//
//   mkdir -p /tmp/golden-clients && npm install --prefix /tmp/golden-clients @platformatic/kafka@1
//   npx tsc -p .
//   GOLDEN_CLIENTS=/tmp/golden-clients node tools/capture/record-platformatic.mjs
//
// Plain JavaScript on purpose: tsc would need the package's types to build it.
// zstd needs Node's zlib zstd (Node 22+); on older Node only none, gzip,
// snappy and lz4 are recorded.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import zlib from 'node:zlib';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const clientsDir = resolve(process.env.GOLDEN_CLIENTS ?? '/tmp/golden-clients');
const require = createRequire(join(clientsDir, 'package.json'));
const entry = require.resolve('@platformatic/kafka');
const kafka = await import(pathToFileURL(entry).href);
const packageJson = JSON.parse(readFileSync(join(entry.slice(0, entry.lastIndexOf('node_modules/@platformatic/kafka') + 'node_modules/@platformatic/kafka'.length), 'package.json'), 'utf8'));
const { startCaptureServer } = await import(pathToFileURL(join(root, 'dist/tools/capture/capture-server.js')).href);

const { Admin, Producer, Consumer, stringSerializers, stringDeserializers } = kafka;
const TOPIC = 'golden';
const PAD = 'golden '.repeat(30);

const capture = await startCaptureServer({
  client: 'platformatic-kafka',
  outDir: join(root, 'test/fixtures/golden/platformatic-kafka'),
  clientVersion: `@platformatic/kafka ${packageJson.version}`,
});
const bootstrapBrokers = [`127.0.0.1:${capture.port}`];
const base = (scenario) => ({ clientId: `golden.${scenario}`, bootstrapBrokers, retries: 1, timeout: 5000 });

let produced = 0;
const messages = (tag, count, extra = {}) => {
  produced += count;
  return Array.from({ length: count }, (_, i) => ({
    topic: TOPIC,
    key: `k${i + 1}`,
    value: `${tag} message ${i + 1} ${PAD}`,
    headers: new Map([['trace', 'golden']]),
    ...extra,
  }));
};

try {
  const admin = new Admin(base('admin'));
  await admin.createTopics({
    topics: ['golden-admin'],
    partitions: 2,
    replicas: 1,
    configs: [{ name: 'retention.ms', value: '3600000' }],
  });
  await admin.listTopics();
  await admin.describeConfigs({ resources: [{ resourceType: 2, resourceName: TOPIC }] });
  await admin.listGroups();
  await admin.deleteTopics({ topics: ['golden-admin'] });
  await admin.close();

  const codecs = ['none', 'gzip', 'snappy', 'lz4'];
  if (typeof zlib.zstdCompressSync === 'function') codecs.push('zstd');
  for (const codec of codecs) {
    const producer = new Producer({ ...base(`produce-${codec}`), serializers: stringSerializers, compression: codec });
    // acks belongs to send(): the client ignores it in the constructor.
    await producer.send({ messages: messages(codec, 3), acks: -1 });
    await producer.close();
  }

  const idempotent = new Producer({ ...base('produce-idempotent-gzip'), serializers: stringSerializers, compression: 'gzip', idempotent: true });
  await idempotent.send({ messages: messages('idempotent', 2, { partition: 0 }) });
  await idempotent.close();

  const acks0 = new Producer({ ...base('produce-acks0-none'), serializers: stringSerializers });
  await acks0.send({ messages: messages('acks0', 1, { partition: 1 }), acks: 0 });
  await acks0.close();

  const transactional = new Producer({
    ...base('produce-transactional-lz4'),
    serializers: stringSerializers,
    compression: 'lz4',
    idempotent: true,
    transactionalId: 'golden-platformatic-txn',
  });
  const txn = await transactional.beginTransaction();
  await txn.send({ messages: messages('transactional', 2, { partition: 2 }) });
  await txn.commit();
  await transactional.close();

  const consumer = new Consumer({ ...base('group'), groupId: 'golden-platformatic', deserializers: stringDeserializers, maxWaitTime: 200 });
  const stream = await consumer.consume({ topics: [TOPIC], mode: 'committed', fallbackMode: 'earliest', autocommit: false, sessionTimeout: 10000, heartbeatInterval: 200 });
  let consumed = 0;
  const deadline = setTimeout(() => stream.destroy(new Error(`consumed ${consumed} of ${produced} in time`)), 30000);
  for await (const message of stream) {
    consumed += 1;
    if (consumed === produced) {
      await message.commit();
      break;
    }
  }
  clearTimeout(deadline);
  await stream.close();
  await consumer.close();
  process.stderr.write(`platformatic-kafka: produced ${produced}, consumed ${consumed}\n`);
} finally {
  await capture.close();
}
process.stderr.write(`platformatic-kafka: saved ${capture.index.frames.length} frames\n`);

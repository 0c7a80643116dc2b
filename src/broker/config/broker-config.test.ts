import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseBrokerConfig, parsePropertiesText } from './broker-config.js';

test('defaults follow Kafka', () => {
  const { config, warnings } = parseBrokerConfig({});
  assert.deepEqual(warnings, []);
  assert.equal(config.socketRequestMaxBytes, 104857600);
  assert.equal(config.messageMaxBytes, 1048588);
  assert.equal(config.numPartitions, 1);
  assert.equal(config.autoCreateTopicsEnable, true);
  assert.equal(config.logRetentionMs, 168 * 3600_000);
  assert.equal(config.logSegmentBytes, 1073741824);
  assert.equal(config.queuedMaxRequests, 500);
  assert.equal(config.connectionsMaxIdleMs, 600000);
  assert.deepEqual(config.logDirs, ['/tmp/kafka-logs']);
  assert.equal(config.listeners[0]!.port, 9092);
});

test('server.properties text, listeners and retention precedence', () => {
  const props = parsePropertiesText([
    '# comment',
    'process.roles=broker,controller',
    'node.id=1',
    'listeners=PLAINTEXT://:9092,CONTROLLER://:9093',
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    'log.dirs=/a,/b',
    'log.retention.hours=1',
    'log.retention.minutes=2',
  ].join('\n'));
  const { config } = parseBrokerConfig(props);
  assert.deepEqual(config.processRoles, ['broker', 'controller']);
  assert.deepEqual(config.logDirs, ['/a', '/b']);
  assert.equal(config.metadataLogDir, '/a');
  assert.equal(config.logRetentionMs, 120_000);
  assert.deepEqual(config.advertisedListeners.map((l) => l.name), ['PLAINTEXT']);
  assert.equal(config.listeners[1]!.host, '');
});

test('an invalid value names its key; an unknown key is a warning', () => {
  for (const [key, value] of [
    ['num.partitions', 'abc'],
    ['num.partitions', '0'],
    ['auto.create.topics.enable', 'yes'],
    ['socket.request.max.bytes', '99999999999'],
    ['listeners', 'PLAINTEXT:9092'],
    ['listeners', 'NOPE://:9092'],
    ['compression.type', 'brotli'],
  ] as const) {
    assert.throws(() => parseBrokerConfig({ [key]: value }), (err: unknown) => err instanceof ConfigError && err.key === key && err.message.includes(key));
  }
  const { warnings } = parseBrokerConfig({ 'no.such.key': '1' });
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /no\.such\.key/);
});

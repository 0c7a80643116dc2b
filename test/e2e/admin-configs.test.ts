/**
 * DescribeConfigs, AlterConfigs and IncrementalAlterConfigs end to end:
 * kafkajs admin for what it speaks (describe, legacy alter), raw requests
 * for the incremental form and the error cases; sources and synonyms as
 * Kafka reports them; changes reach live logs (segments roll at the new
 * size) and survive a restart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type ConfigResourceTypes } from 'kafkajs';
import { Broker } from '../../src/index.js';
import { ApiKey } from '../../src/protocol/generated/api-registry.js';
import type { DescribeConfigsResponse } from '../../src/protocol/generated/messages/describe-configs-response.js';
import { RawClient } from './support/raw-client.js';
import { buildBatch } from './support/records.js';

const TOPIC = 2;
const BROKER = 4;
const Source = { topic: 1, dynamicBroker: 2, dynamicDefault: 3, staticBroker: 4, default: 5 } as const;
/** kafkajs' ConfigResourceTypes, whose enum object a CommonJS import cannot name. */
const KafkajsResource = { TOPIC: TOPIC as ConfigResourceTypes, BROKER: BROKER as ConfigResourceTypes };
const Op = { set: 0, delete: 1, append: 2, subtract: 3 } as const;

async function describe(client: RawClient, resourceType: number, resourceName: string, keys: string[] | null = null): Promise<DescribeConfigsResponse['results'][number]> {
  const response = await client.send(ApiKey.DescribeConfigs, 4, {
    resources: [{ resourceType, resourceName, configurationKeys: keys }],
    includeSynonyms: true,
    includeDocumentation: true,
  });
  return response.results[0]!;
}

async function entry(client: RawClient, resourceType: number, resourceName: string, name: string): Promise<DescribeConfigsResponse['results'][number]['configs'][number]> {
  const result = await describe(client, resourceType, resourceName, [name]);
  assert.equal(result.errorCode, 0, `describe ${resourceName}: ${result.errorMessage}`);
  const found = result.configs.find((c) => c.name === name);
  assert.ok(found !== undefined, `${name} described`);
  return found;
}

async function incremental(
  client: RawClient,
  resourceType: number,
  resourceName: string,
  configs: Array<{ name: string; configOperation: number; value: string | null }>,
  validateOnly = false,
): Promise<{ errorCode: number; errorMessage: string | null }> {
  const response = await client.send(ApiKey.IncrementalAlterConfigs, 1, { resources: [{ resourceType, resourceName, configs }], validateOnly });
  return response.responses[0]!;
}

async function produce(client: RawClient, topic: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const response = await client.send(ApiKey.Produce, 9, {
      acks: -1,
      timeoutMs: 5000,
      topicData: [{ name: topic, partitionData: [{ index: 0, records: buildBatch([{ key: 'k', value: `value-${i}-${'x'.repeat(100)}` }]) }] }],
    });
    assert.equal(response.responses[0]!.partitionResponses[0]!.errorCode, 0);
  }
}

function segmentFiles(dataDir: string, topic: string): number {
  return readdirSync(join(dataDir, `${topic}-0`)).filter((f) => f.endsWith('.log')).length;
}

test('kafkajs: describe and alter topic configs, broker configs with sources', async () => {
  const broker = await Broker.start({ port: 0, config: { 'log.retention.hours': 100 } });
  const kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'e2e-configs', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'configured', configEntries: [{ name: 'retention.ms', value: '86400000' }] }] });

    const described = await admin.describeConfigs({ includeSynonyms: true, resources: [{ type: KafkajsResource.TOPIC, name: 'configured' }] });
    const configs = described.resources[0]!.configEntries;
    const retention = configs.find((c) => c.configName === 'retention.ms')!;
    assert.equal(retention.configValue, '86400000');
    assert.equal(retention.configSource, Source.topic);
    assert.deepEqual(retention.configSynonyms.map((s) => [s.configName, s.configSource]), [['retention.ms', Source.topic]]);
    const segment = configs.find((c) => c.configName === 'segment.bytes')!;
    assert.equal(segment.configValue, '1073741824');
    assert.equal(segment.configSource, Source.default);
    assert.deepEqual(segment.configSynonyms.map((s) => [s.configName, s.configValue, s.configSource]), [['log.segment.bytes', '1073741824', Source.default]]);
    assert.equal(segment.readOnly, false);
    assert.equal(segment.isSensitive, false);

    // Legacy AlterConfigs replaces the whole set: retention.ms goes back to the broker's value.
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: KafkajsResource.TOPIC, name: 'configured', configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] });
    const after = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: KafkajsResource.TOPIC, name: 'configured', configNames: ['cleanup.policy', 'retention.ms'] }] });
    const byName = new Map(after.resources[0]!.configEntries.map((c) => [c.configName, c]));
    assert.equal(byName.size, 2);
    assert.equal(byName.get('cleanup.policy')!.configValue, 'compact');
    assert.equal(byName.get('cleanup.policy')!.configSource, Source.topic);
    assert.equal(byName.get('retention.ms')!.configValue, String(100 * 3_600_000));
    assert.equal(byName.get('retention.ms')!.configSource, Source.default, "Kafka's synonym list starts at log.retention.ms");

    const brokerConfigs = await admin.describeConfigs({ includeSynonyms: true, resources: [{ type: KafkajsResource.BROKER, name: String(broker.nodeId) }] });
    const brokerEntries = new Map(brokerConfigs.resources[0]!.configEntries.map((c) => [c.configName, c]));
    const hours = brokerEntries.get('log.retention.hours')!;
    assert.equal(hours.configValue, '100');
    assert.equal(hours.configSource, Source.staticBroker);
    assert.deepEqual(hours.configSynonyms.map((s) => [s.configName, s.configValue, s.configSource]), [
      ['log.retention.hours', '100', Source.staticBroker],
      ['log.retention.hours', '168', Source.default],
    ]);
    assert.equal(hours.readOnly, true);
    assert.equal(brokerEntries.get('log.retention.ms')!.readOnly, false);
    assert.equal(brokerEntries.get('num.partitions')!.configValue, '1');
    assert.equal(brokerEntries.get('num.partitions')!.configSource, Source.default);

    await assert.rejects(
      admin.describeConfigs({ includeSynonyms: false, resources: [{ type: KafkajsResource.TOPIC, name: 'missing' }] }),
      (err: Error & { type?: string }) => err.type === 'UNKNOWN_TOPIC_OR_PARTITION',
    );
    await assert.rejects(
      admin.alterConfigs({ validateOnly: false, resources: [{ type: KafkajsResource.TOPIC, name: 'configured', configEntries: [{ name: 'retention.ms', value: 'soon' }] }] }),
      (err: Error & { type?: string }) => err.type === 'INVALID_CONFIG',
    );
  } finally {
    await admin.disconnect();
    await broker.stop();
  }
});

test('IncrementalAlterConfigs: topic and broker changes, sources, synonyms, errors, validateOnly', async () => {
  const broker = await Broker.start({ port: 0 });
  const client = await RawClient.connect(broker.bootstrap);
  const id = String(broker.nodeId);
  try {
    await client.send(ApiKey.CreateTopics, 7, { topics: [{ name: 'inc', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }] });

    // Cluster-wide default, then this broker's own value over it.
    assert.equal((await incremental(client, BROKER, '', [{ name: 'log.retention.ms', configOperation: Op.set, value: '7200000' }])).errorCode, 0);
    let retention = await entry(client, TOPIC, 'inc', 'retention.ms');
    assert.equal(retention.value, '7200000');
    assert.equal(retention.configSource, Source.dynamicDefault);
    assert.deepEqual(retention.synonyms.map((s) => [s.name, s.value, s.source]), [
      ['log.retention.ms', '7200000', Source.dynamicDefault],
      ['log.retention.hours', '168', Source.default],
    ]);
    assert.equal(retention.configType, 5, 'LONG');
    assert.equal(retention.documentation, null);

    assert.equal((await incremental(client, BROKER, id, [{ name: 'log.retention.ms', configOperation: Op.set, value: '3600000' }])).errorCode, 0);
    retention = await entry(client, TOPIC, 'inc', 'retention.ms');
    assert.equal(retention.value, '3600000');
    assert.deepEqual(retention.synonyms.map((s) => s.source), [Source.dynamicBroker, Source.dynamicDefault, Source.default]);
    const defaults = await describe(client, BROKER, '');
    assert.deepEqual(defaults.configs.map((c) => [c.name, c.value, c.configSource]), [['log.retention.ms', '7200000', Source.dynamicDefault]]);
    const perBroker = await entry(client, BROKER, id, 'log.retention.ms');
    assert.equal(perBroker.value, '3600000');
    assert.equal(perBroker.configSource, Source.dynamicBroker);

    assert.equal((await incremental(client, BROKER, id, [{ name: 'log.retention.ms', configOperation: Op.delete, value: null }])).errorCode, 0);
    assert.equal((await entry(client, TOPIC, 'inc', 'retention.ms')).value, '7200000');

    // APPEND / SUBTRACT on a list config start from the value in force.
    assert.equal((await incremental(client, TOPIC, 'inc', [{ name: 'cleanup.policy', configOperation: Op.append, value: 'compact' }])).errorCode, 0);
    assert.equal((await entry(client, TOPIC, 'inc', 'cleanup.policy')).value, 'delete,compact');
    assert.equal((await incremental(client, TOPIC, 'inc', [{ name: 'cleanup.policy', configOperation: Op.subtract, value: 'delete' }])).errorCode, 0);
    assert.equal((await entry(client, TOPIC, 'inc', 'cleanup.policy')).value, 'compact');

    // validateOnly checks and writes nothing.
    assert.equal((await incremental(client, TOPIC, 'inc', [{ name: 'segment.bytes', configOperation: Op.set, value: '1000' }], true)).errorCode, 0);
    assert.equal((await entry(client, TOPIC, 'inc', 'segment.bytes')).configSource, Source.default);

    const errors: Array<[number, string, Array<{ name: string; configOperation: number; value: string | null }>, number]> = [
      [TOPIC, 'inc', [{ name: 'retention.ms', configOperation: Op.append, value: '1' }], 40],
      [TOPIC, 'inc', [{ name: 'segment.bytes', configOperation: Op.set, value: '10' }], 40],
      [TOPIC, 'inc', [{ name: 'no.such.config', configOperation: Op.set, value: '1' }], 40],
      [TOPIC, 'inc', [{ name: 'retention.ms', configOperation: Op.set, value: null }], 40],
      [TOPIC, 'inc', [{ name: 'retention.ms', configOperation: 9, value: '1' }], 42],
      [TOPIC, 'missing', [{ name: 'retention.ms', configOperation: Op.set, value: '1' }], 3],
      [BROKER, id, [{ name: 'log.dirs', configOperation: Op.set, value: '/elsewhere' }], 42],
      [BROKER, id, [{ name: 'log.retention.ms', configOperation: Op.set, value: 'never' }], 42],
      [BROKER, 'one', [{ name: 'log.retention.ms', configOperation: Op.set, value: '1' }], 42],
      [16, 'whatever', [{ name: 'x', configOperation: Op.set, value: '1' }], 42],
    ];
    for (const [type, name, configs, code] of errors) {
      const result = await incremental(client, type, name, configs);
      assert.equal(result.errorCode, code, `${name} ${JSON.stringify(configs)}: ${result.errorMessage}`);
    }
    const duplicate = await client.send(ApiKey.IncrementalAlterConfigs, 1, {
      resources: [
        { resourceType: TOPIC, resourceName: 'inc', configs: [{ name: 'retention.ms', configOperation: Op.set, value: '1' }] },
        { resourceType: TOPIC, resourceName: 'inc', configs: [{ name: 'retention.ms', configOperation: Op.set, value: '2' }] },
      ],
      validateOnly: false,
    });
    assert.deepEqual(duplicate.responses.map((r) => r.errorCode), [42, 42]);

    const otherBroker = await describe(client, BROKER, '7');
    assert.equal(otherBroker.errorCode, 42);
    const badName = await describe(client, TOPIC, 'bad name!');
    assert.equal(badName.errorCode, 17);
    // v0 reports isDefault instead of a source.
    const v0 = await client.send(ApiKey.DescribeConfigs, 0, { resources: [{ resourceType: TOPIC, resourceName: 'inc', configurationKeys: ['segment.bytes', 'cleanup.policy'] }] });
    assert.deepEqual(v0.results[0]!.configs.map((c) => [c.name, c.isDefault]), [['cleanup.policy', false], ['segment.bytes', true]]);
  } finally {
    client.close();
    await broker.stop();
  }
});

test('config changes reach live logs and survive a restart', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'samsa-admin-configs-'));
  const restart = async (broker: Broker, client: RawClient): Promise<[Broker, RawClient]> => {
    client.close();
    await broker.stop();
    const next = await Broker.start({ port: 0, dataDir });
    return [next, await RawClient.connect(next.bootstrap)];
  };
  let broker = await Broker.start({ port: 0, dataDir });
  let client = await RawClient.connect(broker.bootstrap);
  try {
    await client.send(ApiKey.CreateTopics, 7, {
      topics: [
        { name: 'own', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] },
        { name: 'inherits', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] },
      ],
    });
    await produce(client, 'own', 3);
    assert.equal(segmentFiles(dataDir, 'own'), 1);
    // A topic override rolls segments at the new size at once...
    assert.equal((await incremental(client, TOPIC, 'own', [{ name: 'segment.bytes', configOperation: Op.set, value: '200' }])).errorCode, 0);
    await produce(client, 'own', 3);
    assert.ok(segmentFiles(dataDir, 'own') >= 3, 'own rolled at 200 bytes');

    // ...and after a restart the reopened log uses it, not the broker default.
    [broker, client] = await restart(broker, client);
    const own = await entry(client, TOPIC, 'own', 'segment.bytes');
    assert.deepEqual([own.value, own.configSource], ['200', Source.topic]);
    const before = segmentFiles(dataDir, 'own');
    await produce(client, 'own', 3);
    assert.ok(segmentFiles(dataDir, 'own') > before, 'own still rolls at 200 bytes after restart');

    // A cluster-wide dynamic default reaches the live logs of topics without an override.
    assert.equal(segmentFiles(dataDir, 'inherits'), 1);
    assert.equal((await incremental(client, BROKER, '', [{ name: 'log.segment.bytes', configOperation: Op.set, value: '300' }])).errorCode, 0);
    await produce(client, 'inherits', 4);
    assert.ok(segmentFiles(dataDir, 'inherits') >= 2, 'inherits rolled at the dynamic default');

    [broker, client] = await restart(broker, client);
    const inherits = await entry(client, TOPIC, 'inherits', 'segment.bytes');
    assert.deepEqual([inherits.value, inherits.configSource], ['300', Source.dynamicDefault]);
  } finally {
    client.close();
    await broker.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

/**
 * The broker as a real process, the Kafka way and the Samsa way:
 * kafka-storage.sh format with the article's `-t test-cluster`, then
 * kafka-server-start.sh; kafkajs produces with acks=all; SIGKILL; restart;
 * every acknowledged message is there; SIGTERM stops cleanly. Plus the
 * failure messages: unformatted storage, an invalid config value.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { RawClient } from './support/raw-client.js';
import { fetchAll } from './support/helpers.js';

const cliDir = fileURLToPath(new URL('../../src/cli/', import.meta.url));
const storageTool = join(cliDir, 'kafka-storage.js');
const serverStart = join(cliDir, 'kafka-server-start.js');
const samsa = join(cliDir, 'samsa.js');

interface Server {
  child: ChildProcess;
  bootstrap: string;
  exited: Promise<number | null>;
  stderr: () => string;
}

/** Starts a CLI process and resolves once it prints where it listens. */
function startServer(script: string, args: string[]): Promise<Server> {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SAMSA_LOG_LEVEL: 'warn' } });
  let stdout = '';
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      const m = /listening on PLAINTEXT:\/\/([^,;\s]+)/.exec(stdout);
      if (m !== null) resolve({ child, bootstrap: m[1]!, exited, stderr: () => stderr });
    });
    exited.then((code) => reject(new Error(`exited with ${code} before listening: ${stderr}`)));
  });
}

function writeProps(dir: string): string {
  const path = join(dir, 'server.properties');
  writeFileSync(
    path,
    [
      'process.roles=broker,controller',
      'node.id=1',
      'controller.quorum.voters=1@127.0.0.1:9093',
      'listeners=PLAINTEXT://127.0.0.1:0,CONTROLLER://127.0.0.1:0',
      'controller.listener.names=CONTROLLER',
      'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
      `log.dirs=${join(dir, 'logs')}`,
      'num.partitions=1',
      'offsets.topic.replication.factor=1',
      '',
    ].join('\n'),
  );
  return path;
}

test('kafka-storage.sh format + kafka-server-start.sh; acks=all survives SIGKILL; SIGTERM stops cleanly', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-cli-'));
  const props = writeProps(dir);
  const servers: Server[] = [];
  try {
    const unformatted = spawnSync(process.execPath, [serverStart, props], { encoding: 'utf8' });
    assert.equal(unformatted.status, 1);
    assert.match(unformatted.stderr, /kafka-storage\.sh format/);

    const format = spawnSync(process.execPath, [storageTool, 'format', '-t', 'test-cluster', '-c', props], { encoding: 'utf8' });
    assert.equal(format.status, 0, format.stderr);
    assert.match(format.stdout, /Formatting metadata directory/);
    assert.match(readFileSync(join(dir, 'logs', 'meta.properties'), 'utf8'), /cluster\.id=test-cluster/);

    let server = await startServer(serverStart, [props, '--override', 'num.partitions=6']);
    servers.push(server);
    const kafka = new Kafka({ brokers: [server.bootstrap], clientId: 'cli-e2e', logLevel: logLevel.NOTHING, retry: { retries: 2 } });
    const producer = kafka.producer({ allowAutoTopicCreation: true });
    await producer.connect();
    let acknowledged = 0;
    for (let i = 0; i < 10; i++) {
      await producer.send({ topic: 'orders', acks: -1, messages: Array.from({ length: 50 }, (_, j) => ({ key: `k${j % 7}`, value: `${i * 50 + j}` })) });
      acknowledged += 50;
    }
    await producer.disconnect();

    server.child.kill('SIGKILL');
    await server.exited;
    assert.equal(existsSync(join(dir, 'logs', '.kafka_cleanshutdown')), false);

    server = await startServer(serverStart, [props]);
    servers.push(server);
    const client = await RawClient.connect(server.bootstrap);
    try {
      const data = await fetchAll(client, 'orders', 6);
      let total = 0;
      for (const records of data.values()) total += records.length;
      assert.equal(total, acknowledged, 'every acknowledged message is there after SIGKILL');
    } finally {
      client.close();
    }

    server.child.kill('SIGTERM');
    assert.equal(await server.exited, 0);
    assert.ok(existsSync(join(dir, 'logs', '.kafka_cleanshutdown')));
  } finally {
    for (const s of servers) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
    await Promise.all(servers.map((s) => s.exited));
    rmSync(dir, { recursive: true, force: true });
  }
});

test('kafka-server-stop.sh stops the server with the given node id cleanly; with none left it says so', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-cli-'));
  const props = writeProps(dir);
  // A node id no other test uses, so the script's --node-id filter picks only this server.
  const nodeId = String(7000 + (process.pid % 1000));
  writeFileSync(
    props,
    readFileSync(props, 'utf8').replace('node.id=1', `node.id=${nodeId}`).replace('controller.quorum.voters=1@', `controller.quorum.voters=${nodeId}@`),
  );
  const stopTool = join(fileURLToPath(new URL('../../../bin/', import.meta.url)), 'kafka-server-stop.sh');
  let server: Server | undefined;
  try {
    const format = spawnSync(process.execPath, [storageTool, 'format', '-t', 'stop-test', '-c', props], { encoding: 'utf8' });
    assert.equal(format.status, 0, format.stderr);
    server = await startServer(serverStart, [props]);

    const stopped = spawnSync(stopTool, [`--node-id=${nodeId}`], { encoding: 'utf8' });
    assert.equal(stopped.status, 0, stopped.stderr);
    assert.equal(await server.exited, 0);
    assert.ok(existsSync(join(dir, 'logs', '.kafka_cleanshutdown')), 'stopped through a clean shutdown');

    const none = spawnSync(stopTool, [`--node-id=${nodeId}`], { encoding: 'utf8' });
    assert.equal(none.status, 1);
    assert.equal(none.stderr, 'No kafka server to stop\n');
    const bad = spawnSync(stopTool, ['--process-role=zookeeper'], { encoding: 'utf8' });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /^Invalid process role 'zookeeper'/);
  } finally {
    if (server !== undefined && server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
    await server?.exited;
    rmSync(dir, { recursive: true, force: true });
  }
});

test('samsa start formats on first start and stops on SIGINT; a bad config value is one line naming the key', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-start-'));
  let server: Server | null = null;
  try {
    const bad = spawnSync(process.execPath, [samsa, 'start', '--data-dir', dir, '--port', '0', '--override', 'num.partitions=abc'], { encoding: 'utf8' });
    assert.equal(bad.status, 1);
    assert.equal(bad.stderr.trim().split('\n').length, 1);
    assert.match(bad.stderr, /num\.partitions/);

    server = await startServer(samsa, ['start', '--data-dir', join(dir, 'data'), '--host', '127.0.0.1', '--port', '0', '--controller-port', '0']);
    assert.ok(existsSync(join(dir, 'data', 'meta.properties')));
    const client = await RawClient.connect(server.bootstrap);
    client.close();
    server.child.kill('SIGINT');
    assert.equal(await server.exited, 0);
  } finally {
    if (server !== null && server.child.exitCode === null && server.child.signalCode === null) {
      server.child.kill('SIGKILL');
      await server.exited;
    }
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * The clients in the matrix: how to find each one's version (or why it is
 * missing), how to run one scenario with it, and which scenarios it cannot
 * express at all (with the reason; such a cell is "unsupported", never a pass).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compatDir, packageVersion, repoRoot } from './drivers/common.js';
import type { ScenarioId } from './scenarios.js';

export const python = '/usr/bin/python3';
const driversDir = fileURLToPath(new URL('./drivers/', import.meta.url));

export interface Command {
  readonly cmd: string;
  readonly args: readonly string[];
}

export interface ClientSpec {
  readonly id: string;
  readonly name: string;
  readonly language: string;
  /** How it gets onto a CI machine (shown in the docs). */
  readonly installedBy: string;
  /** The version, or throws saying why the client is not usable here. */
  version(): string;
  /** Work to do once before the first scenario (e.g. compile a Go driver); runs while other clients are tested. */
  prepare?(): Promise<void>;
  /** How the driver uses the client where that is not obvious (shown in the docs). */
  readonly notes?: string;
  command(scenario: ScenarioId, bootstrap: string): Command;
  readonly unsupported: Partial<Record<ScenarioId, string>>;
}

function nodeDriver(file: string): (scenario: ScenarioId, bootstrap: string) => Command {
  return (scenario, bootstrap) => ({ cmd: process.execPath, args: [join(driversDir, file), scenario, bootstrap] });
}

function pythonModuleVersion(expr: string, what: string): string {
  const r = spawnSync(python, ['-c', `print(${expr})`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${what} not importable with ${python}: ${r.stderr.trim().split('\n').at(-1) ?? r.error?.message}`);
  return r.stdout.trim();
}

const saramaBinary = join(repoRoot, 'dist', 'test', 'compat', 'sarama-driver');
const saramaSource = join(compatDir, 'go', 'sarama', 'main.go');
/** Debian's GOPATH holding the packaged sarama and its dependencies. */
const gopath = '/usr/share/gocode';

export const clients: readonly ClientSpec[] = [
  {
    id: 'samsa',
    name: 'Samsa client (samsa/client)',
    language: 'TypeScript',
    installedBy: 'this repository',
    version: () => (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version,
    command: nodeDriver('samsa.js'),
    unsupported: {},
  },
  {
    id: 'kafkajs',
    name: 'kafkajs',
    language: 'JavaScript',
    installedBy: 'root devDependency; codec plugins kafkajs-snappy, kafkajs-lz4 in test/compat/package.json',
    version: () => `${packageVersion('kafkajs')} (kafkajs-snappy ${packageVersion('kafkajs-snappy')}, kafkajs-lz4 ${packageVersion('kafkajs-lz4')})`,
    command: nodeDriver('kafkajs.js'),
    notes: 'snappy and lz4 through the codec plugins kafkajs-snappy and kafkajs-lz4 (registered in CompressionCodecs, as kafkajs documents). kafkajs reads only through consumer groups, so every read joins a fresh group; deleteTopicRecords needs the topic in its metadata cache first (fetchTopicMetadata); configs use AlterConfigs (kafkajs has no IncrementalAlterConfigs).',
    unsupported: {
      'compression-zstd': "kafkajs ships only gzip; its zstd plugin @kafkajs/zstd 0.1.1 (native cppzst 2.0.6) does not compile on Node 20",
    },
  },
  {
    id: 'platformatic',
    name: '@platformatic/kafka',
    language: 'TypeScript',
    installedBy: 'test/compat/package.json',
    version: () => packageVersion('@platformatic/kafka'),
    command: nodeDriver('platformatic.js'),
    unsupported: {
      'compression-zstd': "its zstd codec is node:zlib's zstdCompressSync (Node >= 22.15); on Node 20 it throws 'zstd is not supported in the current Node.js version'",
    },
  },
  {
    id: 'node-rdkafka',
    name: 'node-rdkafka (librdkafka)',
    language: 'JavaScript + C',
    installedBy: 'test/compat/package.json (librdkafka compiled from source)',
    version: () => {
      const pkg = JSON.parse(readFileSync(join(compatDir, 'node_modules', 'node-rdkafka', 'package.json'), 'utf8')) as { version: string; librdkafka?: string };
      packageVersion('node-rdkafka'); // throws when it does not resolve
      return `${pkg.version.replace(/^v/, '')} (librdkafka ${pkg.librdkafka ?? '?'})`;
    },
    command: nodeDriver('rdkafka.js'),
    unsupported: {
      'delete-records': "node-rdkafka's AdminClient has only createTopic, deleteTopic and createPartitions",
      configs: "node-rdkafka's AdminClient has no DescribeConfigs/AlterConfigs",
    },
  },
  {
    id: 'kcat',
    name: 'kcat (librdkafka)',
    language: 'C (CLI)',
    installedBy: 'Debian package kcat',
    version: () => {
      const r = spawnSync('kcat', ['-V'], { encoding: 'utf8' });
      if (r.error !== undefined) throw new Error(`kcat not installed: ${r.error.message}`);
      const m = /Version (\S+).*librdkafka (\S+)/.exec(r.stdout + r.stderr);
      if (m === null) throw new Error('kcat -V printed no version');
      return `${m[1]} (librdkafka ${m[2]})`;
    },
    command: nodeDriver('kcat.js'),
    notes: 'kcat cannot create topics, so the driver creates them (and, for list-offsets-time, writes records with chosen timestamps) with kafkajs; what is checked goes through kcat. -H applies to a whole run, so produce-consume runs kcat once per record. commit-resume: a -G consumer stops after 5 records (-c 5) and commits offset 5 as it closes; -o is not used with -G because kcat then assigns that offset over the committed one.',
    unsupported: {
      'metadata-admin': 'kcat cannot create or delete topics (it only lists metadata with -L)',
      transactions: 'kcat has no transactional producer',
      'delete-records': 'kcat has no DeleteRecords',
      configs: 'kcat has no config admin',
    },
  },
  {
    id: 'confluent-kafka-python',
    name: 'confluent-kafka (Python, librdkafka)',
    language: 'Python',
    installedBy: 'Debian package python3-confluent-kafka',
    version: () => {
      const v = pythonModuleVersion("__import__('confluent_kafka').version()[0], __import__('confluent_kafka').libversion()[0]", 'confluent_kafka');
      const [py, lib] = v.split(' ');
      return `${py} (librdkafka ${lib})`;
    },
    command: (scenario, bootstrap) => ({ cmd: python, args: [join(compatDir, 'python', 'confluent_driver.py'), scenario, bootstrap] }),
    unsupported: {
      'delete-records': 'confluent-kafka 1.7.0 (Debian) has no AdminClient.delete_records (added in 2.4)',
    },
  },
  {
    id: 'kafka-python',
    name: 'kafka-python',
    language: 'Python',
    installedBy: 'Debian packages python3-kafka, python3-snappy, python3-lz4, python3-zstandard',
    version: () => pythonModuleVersion("__import__('kafka').__version__", 'kafka'),
    command: (scenario, bootstrap) => ({ cmd: python, args: [join(compatDir, 'python', 'kafka_python_driver.py'), scenario, bootstrap] }),
    notes: "consumer-group runs each member in its own thread: kafka-python's poll() blocks inside a rebalance until its JoinGroup returns.",
    unsupported: {
      'idempotent-produce': 'kafka-python 2.0.2 (Debian) has no idempotent producer (enable_idempotence came in a later release)',
      transactions: 'kafka-python 2.0.2 (Debian) has no transactional producer (it came in a later release)',
      'delete-records': 'kafka-python 2.0.2 (Debian) has no KafkaAdminClient.delete_records (it came in a later release)',
    },
  },
  {
    id: 'sarama',
    name: 'sarama (Go)',
    language: 'Go',
    installedBy: 'Debian packages golang-go, golang-github-shopify-sarama-dev (GOPATH mode)',
    version: () => {
      const r = spawnSync('dpkg-query', ['-W', '-f', '${Version}', 'golang-github-shopify-sarama-dev'], { encoding: 'utf8' });
      if (r.status !== 0 || r.stdout.trim() === '') throw new Error('golang-github-shopify-sarama-dev is not installed');
      const go = spawnSync('go', ['version'], { encoding: 'utf8' });
      if (go.error !== undefined) throw new Error(`go not installed: ${go.error.message}`);
      return r.stdout.trim().replace(/-\d+$/, '');
    },
    prepare: async () => {
      if (existsSync(saramaBinary) && statSync(saramaBinary).mtimeMs >= statSync(saramaSource).mtimeMs) return;
      mkdirSync(join(repoRoot, 'dist', 'test', 'compat'), { recursive: true });
      const env = { ...process.env, GO111MODULE: 'off', GOPATH: gopath, GOCACHE: join(repoRoot, 'dist', '.gocache') };
      const stderr = await new Promise<string | null>((resolve) => {
        const child = spawn('go', ['build', '-o', saramaBinary, saramaSource], { env, stdio: ['ignore', 'ignore', 'pipe'] });
        let err = '';
        child.stderr.on('data', (c: Buffer) => (err += c.toString()));
        child.on('error', (e) => resolve(e.message));
        child.on('close', (code) => resolve(code === 0 ? null : err));
      });
      if (stderr !== null) throw new Error(`go build of the sarama driver failed: ${stderr.trim().split('\n').slice(-5).join(' | ')}`);
    },
    command: (scenario, bootstrap) => ({ cmd: saramaBinary, args: [scenario, bootstrap] }),
    notes: 'Debian ships sarama 1.22.1 (2019); the driver sets config.Version = V2_1_0_0 (needed for zstd) and is compiled with GO111MODULE=off against /usr/share/gocode on first use.',
    unsupported: {
      transactions: 'sarama 1.22 has no transactional producer (added in 1.37)',
    },
  },
];

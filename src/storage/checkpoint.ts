/**
 * Kafka's small text files, byte for byte:
 *
 *   offset checkpoints   "0\n<count>\n" then "<topic> <partition> <offset>\n" per entry
 *   leader-epoch-checkpoint  "0\n<count>\n" then "<epoch> <startOffset>\n" per entry
 *   partition.metadata   "version: 0\ntopic_id: <id>"
 *   meta.properties      Java properties: comment lines, then key=value lines
 *   .kafka_cleanshutdown {"version":"0","broker_epoch":"<n>"}
 *
 * Every write goes through writeFileAtomic (temp file, sync, rename, dir sync)
 * so a crash leaves the old or the new file, never half of one. Reads are
 * strict: a malformed file is an error the caller decides about.
 */
import type { FileSystem } from '../platform/file-system.js';
import { errorCode } from '../platform/file-system.js';
import type { TopicPartition } from './file-names.js';

export class CheckpointFormatError extends Error {
  override readonly name = 'CheckpointFormatError';
}

const CHECKPOINT_VERSION = 0;

function formatEntries(lines: string[]): Buffer {
  return Buffer.from(`${CHECKPOINT_VERSION}\n${lines.length}\n${lines.map((l) => `${l}\n`).join('')}`, 'utf8');
}

function parseEntries(path: string, text: string): string[][] {
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length < 2) throw new CheckpointFormatError(`${path}: missing version or count line`);
  if (lines[0]!.trim() !== String(CHECKPOINT_VERSION)) throw new CheckpointFormatError(`${path}: unknown version '${lines[0]}'`);
  const count = Number(lines[1]!.trim());
  if (!Number.isSafeInteger(count) || count < 0) throw new CheckpointFormatError(`${path}: bad count '${lines[1]}'`);
  if (lines.length - 2 !== count) throw new CheckpointFormatError(`${path}: expected ${count} entries, found ${lines.length - 2}`);
  return lines.slice(2).map((l) => l.trim().split(/\s+/));
}

function parseInteger(path: string, text: string | undefined): number {
  const n = Number(text);
  if (text === undefined || text === '' || !Number.isSafeInteger(n)) throw new CheckpointFormatError(`${path}: bad number '${text}'`);
  return n;
}

function readTextOrUndefined(fs: FileSystem, path: string): string | undefined {
  try {
    return fs.readFile(path).toString('utf8');
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return undefined;
    throw err;
  }
}

/** recovery-point-offset-checkpoint, log-start-offset-checkpoint, replication-offset-checkpoint, cleaner-offset-checkpoint. */
export class OffsetCheckpointFile {
  constructor(
    private readonly fs: FileSystem,
    readonly path: string,
  ) {}

  /** Entries keyed by `topic-partition`; empty when the file does not exist. */
  read(): Map<string, { tp: TopicPartition; offset: number }> {
    const text = readTextOrUndefined(this.fs, this.path);
    const result = new Map<string, { tp: TopicPartition; offset: number }>();
    if (text === undefined) return result;
    for (const fields of parseEntries(this.path, text)) {
      if (fields.length !== 3) throw new CheckpointFormatError(`${this.path}: bad entry '${fields.join(' ')}'`);
      const tp = { topic: fields[0]!, partition: parseInteger(this.path, fields[1]) };
      result.set(`${tp.topic}-${tp.partition}`, { tp, offset: parseInteger(this.path, fields[2]) });
    }
    return result;
  }

  write(entries: Iterable<{ tp: TopicPartition; offset: number }>): Promise<void> {
    const lines: string[] = [];
    for (const { tp, offset } of entries) lines.push(`${tp.topic} ${tp.partition} ${offset}`);
    return this.fs.writeFileAtomic(this.path, formatEntries(lines));
  }
}

export interface EpochEntry {
  epoch: number;
  startOffset: number;
}

export class LeaderEpochCheckpointFile {
  constructor(
    private readonly fs: FileSystem,
    readonly path: string,
  ) {}

  read(): EpochEntry[] {
    const text = readTextOrUndefined(this.fs, this.path);
    if (text === undefined) return [];
    return parseEntries(this.path, text).map((fields) => {
      if (fields.length !== 2) throw new CheckpointFormatError(`${this.path}: bad entry '${fields.join(' ')}'`);
      return { epoch: parseInteger(this.path, fields[0]), startOffset: parseInteger(this.path, fields[1]) };
    });
  }

  write(entries: readonly EpochEntry[]): Promise<void> {
    return this.fs.writeFileAtomic(this.path, formatEntries(entries.map((e) => `${e.epoch} ${e.startOffset}`)));
  }
}

/** partition.metadata: the topic id a partition directory belongs to. */
export function formatPartitionMetadata(topicId: string): Buffer {
  return Buffer.from(`version: 0\ntopic_id: ${topicId}`, 'utf8');
}

export function parsePartitionMetadata(path: string, data: Buffer): { version: number; topicId: string } {
  const lines = data.toString('utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const version = /^version:\s*(\d+)$/.exec(lines[0] ?? '');
  const topicId = /^topic_id:\s*(\S+)$/.exec(lines[1] ?? '');
  if (version === null || topicId === null) throw new CheckpointFormatError(`${path}: malformed partition metadata`);
  if (version[1] !== '0') throw new CheckpointFormatError(`${path}: unknown version ${version[1]}`);
  return { version: 0, topicId: topicId[1]! };
}

/** meta.properties as Java's Properties.store writes it; keys kept in the given order. */
export function formatProperties(props: Readonly<Record<string, string>>, nowMs: number): Buffer {
  const lines = ['#', `#${new Date(nowMs).toString()}`];
  for (const [k, v] of Object.entries(props)) lines.push(`${escapeProperty(k, true)}=${escapeProperty(v, false)}`);
  return Buffer.from(lines.join('\n') + '\n', 'utf8');
}

function escapeProperty(text: string, isKey: boolean): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' || c === '=' || c === ':' || c === '#' || c === '!' || (c === ' ' && (isKey || i === 0))) out += `\\${c}`;
    else if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else if (c === '\t') out += '\\t';
    else out += c;
  }
  return out;
}

/** Parses the Java properties subset Kafka writes (no line continuations needed for meta.properties). */
export function parseProperties(data: Buffer): Record<string, string> {
  const result: Record<string, string> = {};
  for (const raw of data.toString('utf8').split(/\r?\n/)) {
    const line = raw.trimStart();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    let at = -1;
    for (let i = 0; i < line.length; i++) {
      if (line[i] === '\\') {
        i++;
        continue;
      }
      if (line[i] === '=' || line[i] === ':') {
        at = i;
        break;
      }
    }
    const key = unescapeProperty(at < 0 ? line.trimEnd() : line.slice(0, at).trimEnd());
    const value = at < 0 ? '' : unescapeProperty(line.slice(at + 1).trimStart());
    result[key] = value;
  }
  return result;
}

function unescapeProperty(text: string): string {
  return text.replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : c === 't' ? '\t' : c));
}

export interface MetaProperties {
  version: number;
  clusterId: string;
  nodeId: number;
  /** Present from version 1 (KIP-858). */
  directoryId?: string;
}

export function formatMetaProperties(meta: MetaProperties, nowMs: number): Buffer {
  const props: Record<string, string> = { 'cluster.id': meta.clusterId };
  if (meta.directoryId !== undefined) props['directory.id'] = meta.directoryId;
  props['node.id'] = String(meta.nodeId);
  props['version'] = String(meta.version);
  return formatProperties(props, nowMs);
}

export function parseMetaProperties(path: string, data: Buffer): MetaProperties {
  const props = parseProperties(data);
  const version = Number(props['version']);
  if (props['version'] === undefined || !(version === 0 || version === 1)) {
    throw new CheckpointFormatError(`${path}: unsupported version '${props['version']}'`);
  }
  const clusterId = props['cluster.id'];
  if (clusterId === undefined || clusterId === '') throw new CheckpointFormatError(`${path}: no cluster.id`);
  // Version 0 (ZooKeeper era) called it broker.id.
  const nodeText = props['node.id'] ?? props['broker.id'];
  const nodeId = Number(nodeText);
  if (nodeText === undefined || !Number.isSafeInteger(nodeId)) throw new CheckpointFormatError(`${path}: no node.id`);
  const meta: MetaProperties = { version, clusterId, nodeId };
  if (props['directory.id'] !== undefined) meta.directoryId = props['directory.id'];
  return meta;
}

/** The clean-shutdown marker's JSON payload. */
export function formatCleanShutdown(brokerEpoch: number): Buffer {
  return Buffer.from(JSON.stringify({ version: '0', broker_epoch: String(brokerEpoch) }), 'utf8');
}

/** The broker epoch recorded at clean shutdown, -1 when absent or unreadable (the marker's presence is what counts). */
export function parseCleanShutdown(data: Buffer): number {
  try {
    const parsed: unknown = JSON.parse(data.toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null && 'broker_epoch' in parsed) {
      const n = Number((parsed as { broker_epoch: unknown }).broker_epoch);
      return Number.isSafeInteger(n) ? n : -1;
    }
  } catch {
    // An old or damaged marker still means the shutdown was clean.
  }
  return -1;
}

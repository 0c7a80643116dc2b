/**
 * The data directories: formatting (`kafka-storage.sh format`), checking on
 * start that they are formatted and belong together, and the clean-shutdown
 * marker.
 *
 * Kafka insists the cluster id is a base64url UUID; Samsa accepts any
 * non-empty id without whitespace, so the article's `-t test-cluster` works,
 * and stores it verbatim as `cluster.id` in meta.properties.
 */
import type { FileSystem } from '../platform/file-system.js';
import { joinPath } from '../platform/file-system.js';
import { formatCleanShutdown, formatMetaProperties, parseMetaProperties, type MetaProperties } from '../storage/checkpoint.js';
import { CLEAN_SHUTDOWN_FILE, META_PROPERTIES_FILE } from '../storage/file-names.js';
import { MetadataLogFile } from '../metadata/metadata-log.js';
import { encodeMetadataRecord } from '../metadata/records.js';
import { isUuidText, randomUuid } from '../metadata/uuid.js';
import type { BrokerConfig } from './config/broker-config.js';
import { METADATA_VERSION_MAX } from './handlers/18-api-versions.js';

export class StorageNotFormattedError extends Error {
  override readonly name = 'StorageNotFormattedError';
}

export class StorageMismatchError extends Error {
  override readonly name = 'StorageMismatchError';
}

/** metadata.version names by level, for messages. */
export function metadataVersionName(level: number): string {
  const names: Record<number, string> = { 19: '3.7-IV4', 20: '3.8-IV0', 21: '3.9-IV0' };
  return names[level] ?? `level ${level}`;
}

function allDirs(config: BrokerConfig): string[] {
  return [...new Set([...config.logDirs, config.metadataLogDir])];
}

export function clusterIdProblem(clusterId: string): string | null {
  if (clusterId.length === 0) return 'the cluster id is empty';
  if (/\s/.test(clusterId)) return 'the cluster id contains whitespace';
  return null;
}

export interface FormatResult {
  readonly formatted: string[];
  readonly skipped: string[];
  readonly notes: string[];
}

/**
 * Writes meta.properties into every log dir and the bootstrap records
 * (metadata.version) into the metadata log. A dir already formatted is an
 * error unless `ignoreFormatted`.
 */
export async function formatStorage(
  fs: FileSystem,
  config: BrokerConfig,
  clusterId: string,
  options: { ignoreFormatted?: boolean; nowMs?: number } = {},
): Promise<FormatResult> {
  const problem = clusterIdProblem(clusterId);
  if (problem !== null) throw new StorageMismatchError(`Invalid cluster id '${clusterId}': ${problem}`);
  if (config.nodeId < 0) throw new StorageMismatchError('node.id must be set (>= 0) to format storage');
  const notes: string[] = [];
  if (!isUuidText(clusterId)) {
    notes.push(`Cluster id '${clusterId}' is not a base64 UUID (Kafka would refuse it); Samsa stores it as given in meta.properties.`);
  }
  const formatted: string[] = [];
  const skipped: string[] = [];
  for (const dir of allDirs(config)) {
    const metaPath = joinPath(dir, META_PROPERTIES_FILE);
    if (fs.stat(metaPath) !== undefined) {
      if (options.ignoreFormatted === true) {
        skipped.push(dir);
        continue;
      }
      throw new StorageMismatchError(`Log directory ${dir} is already formatted. Use --ignore-formatted to ignore this directory and format the others.`);
    }
    fs.mkdir(dir);
    const meta: MetaProperties = { version: 1, clusterId, nodeId: config.nodeId, directoryId: randomUuid() };
    await fs.writeFileAtomic(metaPath, formatMetaProperties(meta, options.nowMs ?? Date.now()));
    formatted.push(dir);
  }
  if (formatted.includes(config.metadataLogDir)) {
    const log = MetadataLogFile.open(fs, config.metadataLogDir);
    try {
      if (log.endOffset === 0) {
        await log.append([encodeMetadataRecord({ type: 'FeatureLevel', data: { name: 'metadata.version', featureLevel: METADATA_VERSION_MAX } })], 0);
      }
    } finally {
      log.close();
    }
  }
  return { formatted, skipped, notes };
}

export interface StorageInfo {
  readonly clusterId: string;
  readonly nodeId: number;
  /** True when every dir had a clean-shutdown marker. */
  readonly cleanShutdown: boolean;
}

/** Reads and cross-checks meta.properties of every dir; throws when any is missing or disagrees. */
export function readStorage(fs: FileSystem, config: BrokerConfig): StorageInfo {
  let clusterId: string | null = null;
  let cleanShutdown = true;
  for (const dir of allDirs(config)) {
    const metaPath = joinPath(dir, META_PROPERTIES_FILE);
    if (fs.stat(metaPath) === undefined) {
      throw new StorageNotFormattedError(
        `No meta.properties found in ${dir} (have you run \`bin/kafka-storage.sh format -t <cluster-id> -c <server.properties>\` to format the directory?)`,
      );
    }
    const meta = parseMetaProperties(metaPath, fs.readFile(metaPath));
    if (clusterId !== null && meta.clusterId !== clusterId) {
      throw new StorageMismatchError(`Invalid cluster.id in ${metaPath}: expected ${clusterId}, but read ${meta.clusterId}`);
    }
    clusterId = meta.clusterId;
    if (meta.nodeId !== config.nodeId) {
      throw new StorageMismatchError(`Stored node id ${meta.nodeId} in ${metaPath} doesn't match the configured node.id ${config.nodeId}`);
    }
    if (fs.stat(joinPath(dir, CLEAN_SHUTDOWN_FILE)) === undefined) cleanShutdown = false;
  }
  return { clusterId: clusterId!, nodeId: config.nodeId, cleanShutdown };
}

/** Removes the clean-shutdown markers: from now on a crash is an unclean stop. */
export function clearCleanShutdown(fs: FileSystem, config: BrokerConfig): void {
  for (const dir of allDirs(config)) {
    const marker = joinPath(dir, CLEAN_SHUTDOWN_FILE);
    if (fs.stat(marker) !== undefined) fs.unlink(marker);
  }
}

export async function writeCleanShutdown(fs: FileSystem, config: BrokerConfig, brokerEpoch: number): Promise<void> {
  for (const dir of allDirs(config)) {
    await fs.writeFileAtomic(joinPath(dir, CLEAN_SHUTDOWN_FILE), formatCleanShutdown(brokerEpoch));
  }
}

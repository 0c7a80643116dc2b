/**
 * DescribeLogDirs (key 35), versions 0-4.
 *
 * Each configured log dir (as an absolute path) with the partitions it holds
 * and their sizes on disk; a null topic list means every partition, otherwise
 * only the named partitions this broker has (others are left out, as Kafka
 * does). Samsa keeps partitions in the first of log.dirs; the others are
 * reported empty, or KAFKA_STORAGE_ERROR when they do not exist. The offset
 * lag is the high watermark minus the log end offset, 0 with one replica;
 * there are no future (moving) replicas.
 *
 * v1 is the same as v0; v2 is flexible; v3 adds the top-level error code;
 * v4 the total and usable bytes of each dir's file system.
 */
import { existsSync, statfsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ApiKey } from '../../protocol/generated/api-registry.js';
import { ErrorCode } from '../../protocol/errors/index.js';
import type { DescribeLogDirsResponseDescribeLogDirsResultInput, DescribeLogDirsResponseDescribeLogDirsTopicInput } from '../../protocol/generated/messages/describe-log-dirs-response.js';
import { defineHandler } from './handler.js';

/** Kafka's "unknown" for total and usable bytes. */
const UNKNOWN_BYTES = -1n;

function fileSystemBytes(dir: string): { totalBytes: bigint; usableBytes: bigint } {
  try {
    const s = statfsSync(dir, { bigint: true });
    return { totalBytes: s.blocks * s.bsize, usableBytes: s.bavail * s.bsize };
  } catch {
    return { totalBytes: UNKNOWN_BYTES, usableBytes: UNKNOWN_BYTES };
  }
}

export const describeLogDirsHandler = defineHandler({
  apiKey: ApiKey.DescribeLogDirs,
  minVersion: 0,
  maxVersion: 4,
  handle(request, ctx) {
    const image = ctx.broker.image();
    const replicas = ctx.broker.replicas;
    const wanted = request.topics === null ? null : new Map(request.topics.map((t) => [t.topic, new Set(t.partitions)]));
    const topics: DescribeLogDirsResponseDescribeLogDirsTopicInput[] = [];
    for (const topic of [...image.topicsByName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const partitionsWanted = wanted?.get(topic.name);
      if (wanted !== null && partitionsWanted === undefined) continue;
      const partitions = [];
      for (const p of topic.partitions) {
        if (partitionsWanted !== undefined && !partitionsWanted.has(p.partitionId)) continue;
        const log = replicas.storageLog(topic.name, p.partitionId);
        if (log === undefined || log.isOffline) continue;
        const hosted = replicas.partition(topic.topicId, p.partitionId);
        const lag = Math.max((hosted?.log.highWatermark ?? log.logEndOffset) - log.logEndOffset, 0);
        partitions.push({ partitionIndex: p.partitionId, partitionSize: BigInt(log.sizeBytes), offsetLag: BigInt(lag), isFutureKey: false });
      }
      if (partitions.length > 0) topics.push({ name: topic.name, partitions });
    }
    const results: DescribeLogDirsResponseDescribeLogDirsResultInput[] = ctx.broker.config.logDirs.map((dir, i) => {
      const logDir = resolve(dir);
      if (!existsSync(logDir)) return { errorCode: ErrorCode.KAFKA_STORAGE_ERROR, logDir, topics: [], totalBytes: UNKNOWN_BYTES, usableBytes: UNKNOWN_BYTES };
      return { errorCode: ErrorCode.NONE, logDir, topics: i === 0 ? topics : [], ...fileSystemBytes(logDir) };
    });
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, results };
  },
  errorResponse(_request, errorCode) {
    return { throttleTimeMs: 0, errorCode, results: [] };
  },
});

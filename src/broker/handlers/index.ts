/**
 * The handler table. An API is served, and advertised by ApiVersions,
 * exactly when its handler is listed here.
 */
import { apiDefinitions, type ApiKey } from '../../protocol/generated/api-registry.js';
import type { AdvertisedVersionRange, RegisteredHandler } from './handler.js';
import { produceHandler } from './00-produce.js';
import { fetchHandler } from './01-fetch.js';
import { listOffsetsHandler } from './02-list-offsets.js';
import { metadataHandler } from './03-metadata.js';
import { apiVersionsHandler } from './18-api-versions.js';
import { createTopicsHandler } from './19-create-topics.js';
import { deleteTopicsHandler } from './20-delete-topics.js';
import { describeClusterHandler } from './60-describe-cluster.js';

export const handlerList: readonly RegisteredHandler[] = [
  produceHandler,
  fetchHandler,
  listOffsetsHandler,
  metadataHandler,
  apiVersionsHandler,
  createTopicsHandler,
  deleteTopicsHandler,
  describeClusterHandler,
];

export function handlerTable(list: readonly RegisteredHandler[] = handlerList): ReadonlyMap<number, RegisteredHandler> {
  const table = new Map<number, RegisteredHandler>();
  for (const h of list) {
    if (table.has(h.apiKey)) throw new Error(`two handlers for api key ${h.apiKey}`);
    table.set(h.apiKey, h);
  }
  return table;
}

/**
 * What ApiVersions advertises: each handled API up to its handler's max,
 * leaving out a newest version Kafka still marks unstable.
 */
export function advertisedVersions(table: ReadonlyMap<number, RegisteredHandler>): AdvertisedVersionRange[] {
  const out: AdvertisedVersionRange[] = [];
  for (const h of [...table.values()].sort((a, b) => a.apiKey - b.apiKey)) {
    const definition = apiDefinitions[h.apiKey as ApiKey];
    let maxVersion = h.maxVersion;
    if (definition.latestVersionUnstable && maxVersion === definition.maxVersion) maxVersion -= 1;
    if (maxVersion < h.minVersion) continue;
    out.push({ apiKey: h.apiKey, minVersion: h.minVersion, maxVersion });
  }
  return out;
}

/**
 * Small pieces several admin tools share: Kafka's topic include-list regex,
 * internal topic names, and describe-configs that degrades when a broker does
 * not serve DescribeConfigs yet.
 */
import type { Admin, ConfigEntry, ConfigResourceTypeName } from '../../../client/admin.js';
import { UnsupportedVersionError } from '../../../client/errors.js';
import { UsageError } from './common.js';

export const INTERNAL_TOPICS = new Set(['__consumer_offsets', '__transaction_state', '__share_group_state']);

/**
 * Kafka's IncludeList: commas mean "or", spaces and surrounding quotes are
 * dropped, and the pattern must match the whole name.
 */
export function includeListPattern(raw: string): RegExp {
  const source = raw.trim().replace(/,/g, '|').replace(/ /g, '').replace(/^["']+/, '').replace(/["']+$/, '');
  try {
    return new RegExp(`^(?:${source})$`);
  } catch {
    throw new UsageError(`${raw} is an invalid regex.`);
  }
}

/** A config entry counts as set (shown in "Configs:") unless it comes from the built-in default. */
export function isDefaultConfig(e: ConfigEntry): boolean {
  return e.source === 'default' || (e.source === 'unknown' && e.isDefault);
}

/** Describe configs of resources, or null when the broker does not offer DescribeConfigs. */
export async function describeConfigsOrNull(
  admin: Admin,
  type: ConfigResourceTypeName,
  names: string[],
): Promise<Map<string, ConfigEntry[]> | null> {
  if (names.length === 0) return new Map();
  try {
    const results = await admin.describeConfigs(names.map((name) => ({ type, name })));
    return new Map(results.map((r) => [r.name, r.entries]));
  } catch (error) {
    if (error instanceof UnsupportedVersionError) return null;
    throw error;
  }
}

/** Topic, partition pairs printed the Kafka way: "orders-0". */
export function tpString(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

/**
 * `samsa configs`: a topic's (or with --broker, a broker's) configuration.
 *
 *   samsa configs orders                 the values set on the topic (--all: every value and where it comes from)
 *   samsa configs set orders retention.ms=86400000 cleanup.policy=compact
 *   samsa configs unset orders retention.ms
 *   samsa configs 1 --broker             a broker's dynamic settings
 *
 * Changes go through IncrementalAlterConfigs, so other settings stay as they are.
 */
import type { Command } from 'commander';
import type { Admin, ConfigEntry, ConfigResourceTypeName, ConfigSourceName } from '../../client/admin.js';
import { isDefaultConfig } from '../tools/lib/admin-helpers.js';
import { type ClientFlags, ToolError, action, examples, explainTopicError, json, keyValues, note, out, table, withAdmin, withClientFlags } from './shared.js';

interface TargetFlags extends ClientFlags {
  broker?: boolean;
}

const SOURCES: Record<ConfigSourceName, string> = {
  unknown: 'unknown',
  dynamicTopic: 'topic',
  dynamicBroker: 'broker',
  dynamicDefaultBroker: 'cluster default',
  staticBroker: 'server.properties',
  default: 'default',
  dynamicBrokerLogger: 'broker logger',
  clientMetrics: 'client metrics',
  group: 'group',
};

function target(name: string, flags: TargetFlags): { type: ConfigResourceTypeName; name: string; what: string } {
  if (flags.broker === true) {
    if (!/^\d+$/.test(name)) throw new ToolError(`With --broker, give a broker id (a number), not '${name}'.`);
    return { type: 'broker', name, what: `broker ${name}` };
  }
  return { type: 'topic', name, what: `topic ${name}` };
}

async function describe(admin: Admin, type: ConfigResourceTypeName, name: string): Promise<ConfigEntry[]> {
  try {
    const [result] = await admin.describeConfigs([{ type, name }]);
    return result?.entries ?? [];
  } catch (error) {
    throw type === 'topic' ? explainTopicError(error, name) : error;
  }
}

async function showConfigs(name: string, flags: TargetFlags & { all?: boolean }): Promise<number> {
  const t = target(name, flags);
  return withAdmin(flags, async (admin) => {
    const entries = (await describe(admin, t.type, t.name))
      .filter((e) => flags.all === true || !isDefaultConfig(e))
      .filter((e) => flags.all === true || t.type !== 'broker' || e.source !== 'staticBroker')
      .sort((a, b) => a.name.localeCompare(b.name));
    if (flags.json === true) {
      await out(
        json({
          type: t.type,
          name: t.name,
          configs: entries.map((e) => ({ name: e.name, value: e.isSensitive ? null : e.value, source: SOURCES[e.source], readOnly: e.readOnly, sensitive: e.isSensitive })),
        }),
      );
      return 0;
    }
    if (entries.length === 0) {
      note(`No settings on ${t.what}: everything is at its default. Show every value with --all.`);
      return 0;
    }
    await out(
      table(
        ['NAME', 'VALUE', 'SOURCE'],
        entries.map((e) => [e.name, e.isSensitive ? '(sensitive)' : e.value ?? 'null', SOURCES[e.source]]),
      ),
    );
    return 0;
  });
}

async function alterConfigs(name: string, items: string[], flags: TargetFlags, op: 'set' | 'delete'): Promise<number> {
  const t = target(name, flags);
  const changes: Array<{ name: string; op: 'set' | 'delete'; value: string | null }> =
    op === 'set'
      ? Object.entries(keyValues(items, 'config')).map(([k, value]) => ({ name: k, op, value }))
      : items.map((k) => {
          if (k.includes('=')) throw new ToolError(`unset takes config names, not '${k}'.`);
          return { name: k, op, value: null };
        });
  return withAdmin(flags, async (admin) => {
    try {
      await admin.incrementalAlterConfigs([{ type: t.type, name: t.name, changes }]);
    } catch (error) {
      throw t.type === 'topic' ? explainTopicError(error, name) : error;
    }
    if (flags.json === true) await out(json({ type: t.type, name: t.name, [op === 'set' ? 'set' : 'unset']: op === 'set' ? Object.fromEntries(changes.map((c) => [c.name, c.value])) : changes.map((c) => c.name) }));
    else await out(`Updated ${t.what}: ${op === 'set' ? changes.map((c) => `${c.name}=${c.value}`).join(', ') : `removed ${changes.map((c) => c.name).join(', ')}`}.\n`);
    return 0;
  });
}

export function configsCommand(program: Command): void {
  const configs = examples(program.command('configs').alias('config').description("show and change a topic's or broker's settings"), [
    'samsa configs orders                           settings made on topic orders',
    'samsa configs orders --all                     every value, with where it comes from',
    'samsa configs set orders retention.ms=86400000',
    'samsa configs unset orders retention.ms',
    'samsa configs 1 --broker                       dynamic settings of broker 1',
  ]);
  const broker = (cmd: Command): Command => cmd.option('--broker', 'the name is a broker id, not a topic');

  examples(
    broker(withClientFlags(configs.command('show', { isDefault: true }).argument('<name>', 'topic (or broker id with --broker)').description('show settings (the default)'))).option(
      '-a, --all',
      'every value, defaults included',
    ),
    ['samsa configs orders', 'samsa configs show orders --all --json'],
  ).action(action((name: string, flags: TargetFlags & { all?: boolean }) => showConfigs(name, flags)));

  examples(
    broker(withClientFlags(configs.command('set').argument('<name>', 'topic (or broker id with --broker)').argument('<key=value...>', 'settings').description('change settings'))),
    ['samsa configs set orders retention.ms=86400000 max.message.bytes=2097152'],
  ).action(action((name: string, items: string[], flags: TargetFlags) => alterConfigs(name, items, flags, 'set')));

  examples(
    broker(withClientFlags(configs.command('unset').argument('<name>', 'topic (or broker id with --broker)').argument('<key...>', 'setting names').description('return settings to their defaults'))),
    ['samsa configs unset orders retention.ms'],
  ).action(action((name: string, items: string[], flags: TargetFlags) => alterConfigs(name, items, flags, 'delete')));
}

/**
 * `samsa start`: a single-node broker + controller in the foreground,
 * formatting the data dir on first start. Broker settings come from the
 * defaults, then a server.properties file, then `key=value` overrides.
 *
 * `--config` takes either a file or a `key=value` (repeatable); `--override`
 * is kept for `key=value` as well.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { examples, repeatable } from './shared.js';

interface StartFlags {
  dataDir: string;
  host: string;
  port: string;
  controllerPort: string;
  config?: string[];
  override?: string[];
}

/** A `--config` value is a setting when it looks like `key=value` and is not a file's name. */
function isSetting(value: string): boolean {
  return /^[A-Za-z0-9._-]+=/.test(value) && !existsSync(value);
}

async function start(opts: StartFlags): Promise<void> {
  // Loaded here, so that the client commands start without loading the broker.
  const { ConfigError, parseOverride, parsePropertiesText } = await import('../../broker/config/broker-config.js');
  const { samsaDefaults } = await import('../../broker/config/defaults.js');
  const { fail, runServer } = await import('../run-server.js');
  const port = Number(opts.port);
  const controllerPort = Number(opts.controllerPort);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`Invalid --port ${opts.port}`);
  if (!Number.isInteger(controllerPort) || controllerPort < 0 || controllerPort > 65535) fail(`Invalid --controller-port ${opts.controllerPort}`);
  const props = samsaDefaults({ dataDir: opts.dataDir, host: opts.host, port, controllerPort });
  const config = opts.config ?? [];
  const files = config.filter((c) => !isSetting(c));
  const settings = [...config.filter(isSetting), ...(opts.override ?? [])];
  let reading: string | undefined;
  try {
    for (const file of files) {
      reading = file;
      Object.assign(props, parsePropertiesText(readFileSync(file, 'utf8')));
    }
    reading = undefined;
    for (const o of settings) {
      const [k, v] = parseOverride(o);
      props[k] = v;
    }
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    fail(`Cannot read ${reading ?? 'config'}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return runServer({ props, autoFormat: true });
}

export function startCommand(program: Command): void {
  examples(
    program
      .command('start')
      .description('start a single-node broker and controller (formats the data dir on first start)')
      .option('--data-dir <dir>', 'where topics and metadata live', './samsa-data')
      .option('--host <host>', 'host to listen on and advertise', 'localhost')
      .option('--port <port>', 'client port', '9092')
      .option('--controller-port <port>', 'controller listener port', '9093')
      .option('-c, --config <file|key=value>', 'a server.properties file, or one broker setting (repeatable)', repeatable)
      .option('--override <key=value...>', 'set broker configs'),
    [
      'samsa start',
      'samsa start --port 19092 --data-dir /tmp/samsa',
      'samsa start -c num.partitions=3 -c log.retention.hours=24',
      'samsa start -c config/kraft/server.properties',
    ],
  ).action((opts: StartFlags) => start(opts));
}

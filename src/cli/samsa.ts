#!/usr/bin/env node
/**
 * `samsa`: the friendly front door.
 *
 *   samsa start                    a broker + controller on localhost:9092, data in ./samsa-data
 *   samsa start --port 19092 --data-dir /tmp/s --config server.properties --override num.partitions=3
 */
import { Command } from 'commander';
import { parseOverride, parsePropertiesText, ConfigError } from '../broker/config/broker-config.js';
import { samsaDefaults } from '../broker/config/defaults.js';
import { readFileSync } from 'node:fs';
import { VERSION } from '../index.js';
import { fail, runServer } from './run-server.js';

const program = new Command();
program.name('samsa').description('An event streaming platform that speaks the Kafka protocol').version(VERSION);

program
  .command('start')
  .description('start a single-node broker and controller (formats the data dir on first start)')
  .option('--data-dir <dir>', 'where topics and metadata live', './samsa-data')
  .option('--host <host>', 'host to listen on and advertise', 'localhost')
  .option('--port <port>', 'client port', '9092')
  .option('--controller-port <port>', 'controller listener port', '9093')
  .option('-c, --config <file>', 'a server.properties file applied over the defaults')
  .option('--override <key=value...>', 'set a broker config', [])
  .action((opts: { dataDir: string; host: string; port: string; controllerPort: string; config?: string; override: string[] }) => {
    const port = Number(opts.port);
    const controllerPort = Number(opts.controllerPort);
    if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`Invalid --port ${opts.port}`);
    if (!Number.isInteger(controllerPort) || controllerPort < 0 || controllerPort > 65535) fail(`Invalid --controller-port ${opts.controllerPort}`);
    const props = samsaDefaults({ dataDir: opts.dataDir, host: opts.host, port, controllerPort });
    try {
      if (opts.config !== undefined) Object.assign(props, parsePropertiesText(readFileSync(opts.config, 'utf8')));
      for (const o of opts.override) {
        const [k, v] = parseOverride(o);
        props[k] = v;
      }
    } catch (err) {
      if (err instanceof ConfigError) fail(err.message);
      fail(`Cannot read ${opts.config}: ${err instanceof Error ? err.message : String(err)}`);
    }
    return runServer({ props, autoFormat: true });
  });

program.parseAsync(process.argv).catch((err: unknown) => fail(err instanceof Error ? err.message : String(err)));

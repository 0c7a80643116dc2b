/**
 * `bin/kafka-storage.sh`, as Kafka's tool:
 *
 *   kafka-storage.sh random-uuid
 *   kafka-storage.sh format -t <cluster-id> -c <server.properties> [--ignore-formatted]
 *   kafka-storage.sh info -c <server.properties>
 *
 * Unlike Kafka, `format` accepts a cluster id that is not a UUID (the
 * article uses `-t test-cluster`) and says that it stored it verbatim.
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { ConfigError, parseBrokerConfig, parsePropertiesText, type BrokerConfig } from '../broker/config/broker-config.js';
import { formatStorage, metadataVersionName } from '../broker/data-dir.js';
import { METADATA_VERSION_MAX } from '../broker/handlers/18-api-versions.js';
import { randomUuid } from '../metadata/uuid.js';
import { nodeFileSystem } from '../platform/node-file-system.js';
import { joinPath } from '../platform/file-system.js';
import { META_PROPERTIES_FILE } from '../storage/file-names.js';
import { parseMetaProperties } from '../storage/checkpoint.js';
import { fail } from './run-server.js';

function loadConfig(file: string): BrokerConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    fail(`Cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  try {
    return parseBrokerConfig(parsePropertiesText(text)).config;
  } catch (err) {
    if (err instanceof ConfigError) fail(`Invalid configuration: ${err.message}`);
    throw err;
  }
}

const program = new Command();
program.name('kafka-storage.sh').description('The Kafka storage tool (Samsa)');

program
  .command('random-uuid')
  .description('print a random UUID to use as a cluster id')
  .action(() => {
    process.stdout.write(`${randomUuid()}\n`);
  });

program
  .command('format')
  .description('format the log directories named in the config')
  .requiredOption('-c, --config <file>', 'the server.properties file')
  .requiredOption('-t, --cluster-id <id>', 'the cluster id')
  .option('-g, --ignore-formatted', 'skip directories that are already formatted', false)
  .option('-r, --release-version <version>', 'metadata.version to bootstrap (only the newest is supported)')
  .option('--standalone', 'format as a single-voter controller quorum (always the case here)', false)
  .action(async (opts: { config: string; clusterId: string; ignoreFormatted: boolean }) => {
    const config = loadConfig(opts.config);
    try {
      const result = await formatStorage(nodeFileSystem, config, opts.clusterId, { ignoreFormatted: opts.ignoreFormatted });
      for (const note of result.notes) process.stdout.write(`${note}\n`);
      for (const dir of result.skipped) process.stdout.write(`All of the log directories are already formatted: skipping ${dir}.\n`);
      for (const dir of result.formatted) {
        const kind = dir === config.metadataLogDir ? 'metadata directory' : 'data directory';
        process.stdout.write(`Formatting ${kind} ${dir} with metadata.version ${metadataVersionName(METADATA_VERSION_MAX)}.\n`);
      }
    } catch (err) {
      fail(err instanceof Error ? err.message : String(err));
    }
  });

program
  .command('info')
  .description('show what the log directories hold')
  .requiredOption('-c, --config <file>', 'the server.properties file')
  .action((opts: { config: string }) => {
    const config = loadConfig(opts.config);
    const dirs = [...new Set([...config.logDirs, config.metadataLogDir])];
    let problems = 0;
    for (const dir of dirs) {
      const path = joinPath(dir, META_PROPERTIES_FILE);
      if (nodeFileSystem.stat(dir) === undefined) {
        process.stdout.write(`Missing log directory: ${dir}\n`);
        problems++;
        continue;
      }
      if (nodeFileSystem.stat(path) === undefined) {
        process.stdout.write(`Unformatted log directory: ${dir}\n`);
        problems++;
        continue;
      }
      const meta = parseMetaProperties(path, nodeFileSystem.readFile(path));
      process.stdout.write(`Found log directory:\n  ${dir}\n\n`);
      process.stdout.write(`Found metadata: {cluster.id=${meta.clusterId}, ${meta.directoryId === undefined ? '' : `directory.id=${meta.directoryId}, `}node.id=${meta.nodeId}, version=${meta.version}}\n\n`);
    }
    if (problems > 0) process.exit(1);
  });

program.parseAsync(process.argv).catch((err: unknown) => fail(err instanceof Error ? err.message : String(err)));

#!/usr/bin/env node
/**
 * `samsa`: the friendly front door. Each subcommand lives in ./samsa/ and is
 * built on the Samsa client and the Kafka tools' helpers (./tools/lib), so
 * `samsa topics` and `kafka-topics.sh` never disagree.
 *
 *   samsa start                      a broker + controller on localhost:9092, data in ./samsa-data
 *   samsa topics [create|describe|delete]
 *   samsa produce <topic> [value...] / samsa consume <topic>
 *   samsa groups [describe|delete]
 *   samsa configs <topic>
 *   samsa bench [filter] [--quick]
 *
 * Every command that talks to a cluster takes --bootstrap-server (default
 * localhost:9092, or $SAMSA_BOOTSTRAP) and --json. Errors are one line on
 * stderr with exit code 1; --verbose adds the stack.
 */
// Each subcommand's file below only registers its command; the client
// (Admin, Producer, Consumer) is imported when an action runs, so that
// `samsa start` does not load it before the broker (~45 ms of start-up).
import { Command } from 'commander';
import { SAMSA_VERSION } from './tools/lib/common.js';
import { benchCommand } from './samsa/bench.js';
import { configsCommand } from './samsa/configs.js';
import { consumeCommand } from './samsa/consume.js';
import { groupsCommand } from './samsa/groups.js';
import { produceCommand } from './samsa/produce.js';
import { finish, report } from './samsa/shared.js';
import { startCommand } from './samsa/start.js';
import { topicsCommand } from './samsa/topics.js';

const program = new Command('samsa');
program
  .description('An event streaming platform that speaks the Kafka protocol')
  .version(SAMSA_VERSION, '-V, --version')
  .exitOverride()
  .configureOutput({
    writeOut: (s) => process.stdout.write(s),
    writeErr: (s) => process.stderr.write(s),
    outputError: (s, write) => write(s.replace(/^error: /, 'Error: ').replace(/\n\(Did you mean (.*)\?\)/, ' (did you mean $1?)')),
  })
  .showSuggestionAfterError(true)
  .addHelpText(
    'after',
    `
Commands that talk to a broker connect to localhost:9092 unless given
--bootstrap-server host:port (or SAMSA_BOOTSTRAP), and print tables, or JSON
with --json. Run \`samsa <command> --help\` for a command's options.

Examples:
  samsa start                                   run a broker on localhost:9092
  samsa topics create orders --partitions 3
  samsa produce orders --key alice "first order" "second order"
  seq 100 | samsa produce orders                one message per line of stdin
  samsa consume orders --from-beginning --max 10
  samsa consume orders --group billing          join a consumer group
  samsa groups                                  groups with state and lag
  samsa bench --quick                           the benchmark suite
`,
  );

startCommand(program);
topicsCommand(program);
produceCommand(program);
consumeCommand(program);
groupsCommand(program);
configsCommand(program);
benchCommand(program);

// A reader that goes away (`samsa consume t | head`) is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
});

program.parseAsync(process.argv).catch((error: unknown) => finish(report(error)));

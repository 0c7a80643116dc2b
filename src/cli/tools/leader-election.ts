/**
 * kafka-leader-election.sh: asks the controller to elect leaders
 * (--election-type preferred|unclean) for --topic/--partition, all
 * partitions (--all-topic-partitions) or a JSON file
 * ({"partitions":[{"topic":"t","partition":0}]}), and prints Kafka's lines:
 *
 *   Successfully completed leader election (PREFERRED) for partitions t-0, t-1
 *   Valid replica already elected for partitions t-2
 *
 * The Samsa client has no electLeaders() yet, so this sends ElectLeaders
 * with the generated codec through the client's cluster connection.
 */
import { readFileSync } from 'node:fs';
import { Admin } from '../../client/admin.js';
import { ApiKey } from '../../protocol/generated/api-registry.js';
import { ErrorCode, errorByCode } from '../../protocol/errors/index.js';
import { ToolError, UsageError, clientOptions, createProgram, flag, loadPropertiesFile, parseIntArg, parseProgram, runTool, str, writeOut } from './lib/common.js';

export async function main(argv: string[]): Promise<number> {
  const program = createProgram('kafka-leader-election.sh', 'This tool attempts to elect a new leader for a set of topic partitions.')
    .option('--bootstrap-server <host:port>', 'A hostname and port for the broker to connect to.')
    .option('--admin.config <config file>', 'Configuration properties files to pass to the admin client.')
    .option('--command-config <config file>', 'Same as --admin.config.')
    .option('--election-type <election type>', 'Type of election to attempt. Possible values are "preferred" for preferred leader election or "unclean" for unclean leader election.')
    .option('--topic <topic name>', 'Name of topic for which to perform an election.')
    .option('--partition <partition id>', 'Partition id for which to perform an election. REQUIRED if --topic is specified.')
    .option('--all-topic-partitions', 'Perform election on all of the eligible topic partitions.')
    .option('--path-to-json-file <Path to JSON file>', 'The JSON file with the list of partitions for which leader elections should be performed.');
  const opts = parseProgram(program, argv);
  const bootstrap = str(opts, 'bootstrapServer');
  if (bootstrap === undefined) throw new UsageError('Missing required argument "[bootstrap-server]"');
  const typeText = str(opts, 'electionType');
  if (typeText === undefined) throw new UsageError('Missing required argument "[election-type]"');
  const type = typeText.toLowerCase();
  if (type !== 'preferred' && type !== 'unclean') throw new UsageError(`Invalid election type '${typeText}': must be preferred or unclean`);
  const topic = str(opts, 'topic');
  const partitionText = str(opts, 'partition');
  const jsonFile = str(opts, 'pathToJsonFile');
  const all = flag(opts, 'allTopicPartitions');
  if ([topic !== undefined, jsonFile !== undefined, all].filter(Boolean).length !== 1) {
    throw new UsageError('One and only one of the following options is required: --all-topic-partitions, --topic, --path-to-json-file');
  }
  if (topic !== undefined && partitionText === undefined) throw new UsageError('Missing required option(s) [partition]');

  let partitions: Array<{ topic: string; partition: number }> | null = null;
  if (topic !== undefined) partitions = [{ topic, partition: parseIntArg(partitionText!, 'partition') }];
  if (jsonFile !== undefined) {
    try {
      const data = JSON.parse(readFileSync(jsonFile, 'utf8')) as { partitions?: Array<{ topic: string; partition: number }> };
      partitions = (data.partitions ?? []).map((p) => ({ topic: String(p.topic), partition: Number(p.partition) }));
    } catch (error) {
      throw new UsageError(`Cannot read partitions from ${jsonFile}: ${(error as Error).message}`);
    }
  }

  const configFile = str(opts, 'admin.config') ?? str(opts, 'commandConfig');
  const props = configFile === undefined ? new Map<string, string>() : loadPropertiesFile(configFile);
  const admin = new Admin(clientOptions(bootstrap, props, 'adminclient-1'));
  const label = type.toUpperCase();
  try {
    await admin.connect();
    const byTopic = new Map<string, number[]>();
    for (const p of partitions ?? []) {
      let l = byTopic.get(p.topic);
      if (l === undefined) byTopic.set(p.topic, (l = []));
      l.push(p.partition);
    }
    const response = await admin.cluster.retry(() =>
      admin.cluster.send('controller', ApiKey.ElectLeaders, {
        electionType: type === 'preferred' ? 0 : 1,
        topicPartitions: partitions === null ? null : [...byTopic].map(([t, ps]) => ({ topic: t, partitions: ps })),
        timeoutMs: 30_000,
      }),
    );
    if (response.errorCode !== 0) throw new ToolError(`Error completing leader election (${label}): ${errorByCode(response.errorCode).message}`);
    const succeeded: string[] = [];
    const noop: string[] = [];
    const failed: string[] = [];
    for (const t of response.replicaElectionResults) {
      for (const p of t.partitionResult) {
        const tp = `${t.topic}-${p.partitionId}`;
        if (p.errorCode === 0) succeeded.push(tp);
        else if (p.errorCode === ErrorCode.ELECTION_NOT_NEEDED) noop.push(tp);
        else failed.push(`Error completing leader election (${label}) for partition: ${tp}: ${p.errorMessage ?? errorByCode(p.errorCode).message}`);
      }
    }
    let out = '';
    if (succeeded.length > 0) out += `Successfully completed leader election (${label}) for partitions ${succeeded.join(', ')}\n`;
    if (noop.length > 0) out += `Valid replica already elected for partitions ${noop.join(', ')}\n`;
    for (const f of failed) out += `${f}\n`;
    if (out !== '') await writeOut(out);
    if (failed.length > 0) throw new ToolError(`${failed.length} replica(s) could not be elected`);
  } finally {
    await admin.close();
  }
  return 0;
}

runTool(main);

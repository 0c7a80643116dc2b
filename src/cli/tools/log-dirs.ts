/**
 * kafka-log-dirs.sh --describe: asks each broker (--broker-list, default
 * all) for its log directories and the size of each partition there
 * (--topic-list to narrow), and prints Kafka's JSON document:
 *
 *   Querying brokers for log directories information
 *   Received log directory information from brokers 1
 *   {"brokers":[{"broker":1,"logDirs":[{"partitions":[{"partition":"t-0","size":85,"offsetLag":0,"isFuture":false}],"error":null,"logDir":"/data"}]}],"version":1}
 *
 * The Samsa client has no describeLogDirs() yet, so this sends
 * DescribeLogDirs with the generated codec to each broker.
 */
import { Admin } from '../../client/admin.js';
import { ApiKey } from '../../protocol/generated/api-registry.js';
import { errorByCode } from '../../protocol/errors/index.js';
import { ToolError, UsageError, clientOptions, createProgram, flag, loadPropertiesFile, parseProgram, runTool, str, writeOut } from './lib/common.js';

const KAFKA_EXCEPTIONS: Record<string, string> = {
  KAFKA_STORAGE_ERROR: 'org.apache.kafka.common.errors.KafkaStorageException',
  UNKNOWN_SERVER_ERROR: 'org.apache.kafka.common.errors.UnknownServerException',
};

export async function main(argv: string[]): Promise<number> {
  const program = createProgram('kafka-log-dirs.sh', 'This tool helps to query log directory usage on the specified brokers.')
    .option('--bootstrap-server <The server(s) to use for bootstrapping>', 'REQUIRED: the server(s) to use for bootstrapping')
    .option('--command-config <Admin client property file>', 'Property file containing configs to be passed to Admin Client.')
    .option('--describe', 'Describe the specified log directories on the specified brokers.')
    .option('--topic-list <Topic list>', 'The list of topics to be queried in the form "topic1,topic2,topic3". All topics will be queried if no topic list is specified')
    .option('--broker-list <Broker list>', 'The list of brokers to be queried in the form "0,1,2". All brokers in the cluster will be queried if no broker list is specified');
  const opts = parseProgram(program, argv);
  if (!flag(opts, 'describe')) throw new UsageError('Missing required argument "[describe]"');
  const bootstrap = str(opts, 'bootstrapServer');
  if (bootstrap === undefined) throw new UsageError('Missing required argument "[bootstrap-server]"');
  const topicList = (str(opts, 'topicList') ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  const brokerText = str(opts, 'brokerList');
  const commandConfig = str(opts, 'commandConfig');
  const props = commandConfig === undefined ? new Map<string, string>() : loadPropertiesFile(commandConfig);
  const admin = new Admin(clientOptions(bootstrap, props, 'adminclient-1'));
  try {
    const cluster = await admin.describeCluster();
    const known = cluster.brokers.map((b) => b.nodeId);
    let brokers = known;
    if (brokerText !== undefined) {
      brokers = brokerText.split(',').map((s) => {
        if (!/^\d+$/.test(s.trim())) throw new UsageError(`Invalid broker id '${s}' in --broker-list`);
        return Number(s.trim());
      });
      const missing = brokers.filter((b) => !known.includes(b));
      if (missing.length > 0) throw new ToolError(`ERROR: The given brokers do not exist from --broker-list: ${missing.join(',')}. Current existent brokers: ${known.join(',')}`);
    }
    let topics: Array<{ topic: string; partitions: number[] }> | null = null;
    if (topicList.length > 0) {
      const described = await admin.describeTopics(topicList);
      topics = described.map((d) => ({ topic: d.name, partitions: d.partitions.map((p) => p.partition) }));
    }
    await writeOut('Querying brokers for log directories information\n');
    const result: Array<{ broker: number; logDirs: unknown[] }> = [];
    for (const broker of brokers) {
      const response = await admin.cluster.retry(() => admin.cluster.send(broker, ApiKey.DescribeLogDirs, { topics }));
      if (response.errorCode !== 0) throw new ToolError(`Error describing log dirs of broker ${broker}: ${errorByCode(response.errorCode).message}`);
      result.push({
        broker,
        logDirs: response.results.map((r) => ({
          partitions: r.topics.flatMap((t) =>
            t.partitions.map((p) => ({ partition: `${t.name}-${p.partitionIndex}`, size: Number(p.partitionSize), offsetLag: Number(p.offsetLag), isFuture: p.isFutureKey })),
          ),
          error: r.errorCode === 0 ? null : (KAFKA_EXCEPTIONS[errorByCode(r.errorCode).name] ?? errorByCode(r.errorCode).name),
          logDir: r.logDir,
        })),
      });
    }
    await writeOut(`Received log directory information from brokers ${brokers.join(',')}\n${JSON.stringify({ brokers: result, version: 1 })}\n`);
  } finally {
    await admin.close();
  }
  return 0;
}

runTool(main);

/**
 * kafka-broker-api-versions.sh: for each broker, the API versions it
 * advertises and the newest one this client would use, in Kafka's layout:
 *
 *   host:9092 (id: 1 rack: null) -> (
 *   	Produce(0): 0 to 11 [usable: 11],
 *   	...
 *   	LeaderAndIsr(4): UNSUPPORTED,
 *   	...
 *   )
 */
import { Admin } from '../../client/admin.js';
import { clientVersionRange } from '../../client/connection.js';
import { apiDefinitions, type ApiKey } from '../../protocol/generated/api-registry.js';
import { UsageError, clientOptions, createProgram, loadPropertiesFile, parseProgram, runTool, str, writeOut } from './lib/common.js';

/** APIs only controllers (or quorum voters) serve; a broker not offering them is not "UNSUPPORTED". */
const CONTROLLER_ONLY = new Set<number>([52, 53, 54, 59, 62, 63, 70, 73, 80, 81, 82]);
/** Kafka's tool lists the broker APIs it knows; share groups and later are too new to expect. */
const LISTED_KEY_MAX = 75;

export async function main(argv: string[]): Promise<number> {
  const program = createProgram('kafka-broker-api-versions.sh', 'This tool helps to retrieve broker version information.')
    .option('--bootstrap-server <server(s) to use for bootstrapping>', 'REQUIRED: The server to connect to.')
    .option('--command-config <command config property file>', 'A property file containing configs to be passed to Admin Client.');
  const opts = parseProgram(program, argv);
  const bootstrap = str(opts, 'bootstrapServer');
  if (bootstrap === undefined) throw new UsageError('Missing required argument "[bootstrap-server]"');
  const commandConfig = str(opts, 'commandConfig');
  const props = commandConfig === undefined ? new Map<string, string>() : loadPropertiesFile(commandConfig);
  const admin = new Admin(clientOptions(bootstrap, props, 'broker-api-versions'));
  try {
    const { brokers } = await admin.describeCluster();
    const out: string[] = [];
    for (const broker of brokers) {
      const connection = await admin.cluster.connection(broker.nodeId);
      const lines: string[] = [];
      for (const key of Object.keys(apiDefinitions).map(Number).sort((a, b) => a - b)) {
        const def = apiDefinitions[key as ApiKey];
        const theirs = connection.brokerVersionRange(key as ApiKey);
        if (theirs === undefined) {
          if (key <= LISTED_KEY_MAX && !CONTROLLER_ONLY.has(key)) lines.push(`${def.name}(${key}): UNSUPPORTED`);
          continue;
        }
        const ours = clientVersionRange(key as ApiKey);
        let text = `${def.name}(${key}): ${theirs.min === theirs.max ? theirs.min : `${theirs.min} to ${theirs.max}`}`;
        if (ours.max < theirs.min) text += ' [unusable: node too new]';
        else if (theirs.max < ours.min) text += ' [unusable: node too old]';
        else text += ` [usable: ${Math.min(ours.max, theirs.max)}]`;
        lines.push(text);
      }
      out.push(`${broker.host}:${broker.port} (id: ${broker.nodeId} rack: ${broker.rack ?? 'null'}) -> (\n\t${lines.join(',\n\t')}\n)`);
    }
    await writeOut(`${out.join('\n')}\n`);
  } finally {
    await admin.close();
  }
  return 0;
}

runTool(main);

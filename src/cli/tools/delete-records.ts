/**
 * kafka-delete-records.sh: deletes records before the offsets given in
 * --offset-json-file ({"partitions":[{"topic":"t","partition":0,"offset":2}],"version":1};
 * offset -1 means up to the high watermark) and prints each partition's new
 * low watermark:
 *
 *   Executing records delete operation
 *   Records delete operation completed:
 *   partition: t-0	low_watermark: 2
 */
import { readFileSync } from 'node:fs';
import { Admin } from '../../client/admin.js';
import { ToolError, UsageError, clientOptions, createProgram, describeError, loadPropertiesFile, parseProgram, runTool, str, writeOut } from './lib/common.js';

interface Item {
  topic: string;
  partition: number;
  offset: bigint;
}

function parseOffsetJson(text: string): Item[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`The offset json file is not valid JSON: ${(error as Error).message}`);
  }
  const partitions = (data as { partitions?: unknown }).partitions;
  if (!Array.isArray(partitions)) throw new UsageError('The offset json file must contain a "partitions" array');
  const seen = new Set<string>();
  const items = partitions.map((p: unknown): Item => {
    const e = p as { topic?: unknown; partition?: unknown; offset?: unknown };
    if (typeof e.topic !== 'string' || typeof e.partition !== 'number' || (typeof e.offset !== 'number' && typeof e.offset !== 'string')) {
      throw new UsageError(`Invalid partition entry in the offset json file: ${JSON.stringify(p)}`);
    }
    const key = `${e.topic}-${e.partition}`;
    if (seen.has(key)) throw new UsageError(`Offset json file contains duplicate topic partitions: ${key}`);
    seen.add(key);
    return { topic: e.topic, partition: e.partition, offset: BigInt(e.offset) };
  });
  if (items.length === 0) throw new UsageError('The offset json file names no partitions');
  return items;
}

export async function main(argv: string[]): Promise<number> {
  const program = createProgram('kafka-delete-records.sh', 'This tool helps to delete records of the given partitions down to the specified offset.')
    .option('--bootstrap-server <server(s) to use for bootstrapping>', 'REQUIRED: The server to connect to.')
    .option('--offset-json-file <Offset json file path>', 'REQUIRED: The JSON file with offset per partition. The format to use is:\n{"partitions":\n  [{"topic": "foo", "partition": 1, "offset": 1}],\n "version":1\n}')
    .option('--command-config <command config property file path>', 'A property file containing configs to be passed to Admin Client.');
  const opts = parseProgram(program, argv);
  const bootstrap = str(opts, 'bootstrapServer');
  if (bootstrap === undefined) throw new UsageError('Missing required argument "[bootstrap-server]"');
  const file = str(opts, 'offsetJsonFile');
  if (file === undefined) throw new UsageError('Missing required argument "[offset-json-file]"');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new UsageError(`${file} (No such file or directory)`);
  }
  const items = parseOffsetJson(text);
  const commandConfig = str(opts, 'commandConfig');
  const props = commandConfig === undefined ? new Map<string, string>() : loadPropertiesFile(commandConfig);
  const admin = new Admin(clientOptions(bootstrap, props, 'adminclient-1'));
  try {
    await writeOut('Executing records delete operation\n');
    const lines: string[] = [];
    let failed = 0;
    // One call per partition, so that one failure does not hide the others' results.
    for (const item of items) {
      try {
        const [result] = await admin.deleteRecords([{ topic: item.topic, partition: item.partition, beforeOffset: item.offset }]);
        lines.push(`partition: ${item.topic}-${item.partition}\tlow_watermark: ${result!.lowWatermark}`);
      } catch (error) {
        failed++;
        lines.push(`partition: ${item.topic}-${item.partition}\terror: ${describeError(error)}`);
      }
    }
    await writeOut(`Records delete operation completed:\n${lines.join('\n')}\n`);
    if (failed > 0) throw new ToolError(`${failed} partition(s) could not be deleted`);
  } finally {
    await admin.close();
  }
  return 0;
}

runTool(main);

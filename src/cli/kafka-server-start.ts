/**
 * `bin/kafka-server-start.sh <server.properties> [--override key=value ...]`,
 * as Kafka's script: the properties file is required, the storage must have
 * been formatted with kafka-storage.sh.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, parseOverride, parsePropertiesText } from '../broker/config/broker-config.js';
import { fail, runServer } from './run-server.js';

const USAGE = 'USAGE: kafka-server-start.sh [-daemon] server.properties [--override property=value]*';

function main(argv: string[]): Promise<void> {
  const args = argv.filter((a) => a !== '-daemon');
  const file = args[0];
  if (file === undefined || file.startsWith('-')) fail(USAGE);
  let props: Record<string, string>;
  try {
    props = parsePropertiesText(readFileSync(file, 'utf8'));
  } catch (err) {
    fail(`Cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  for (let i = 1; i < args.length; i++) {
    const arg = args[i]!;
    let text: string | undefined;
    if (arg === '--override') text = args[++i];
    else if (arg.startsWith('--override=')) text = arg.slice('--override='.length);
    else fail(`Unrecognized option '${arg}'\n${USAGE}`);
    if (text === undefined) fail(`--override needs property=value\n${USAGE}`);
    try {
      const [k, v] = parseOverride(text);
      props[k] = v;
    } catch (err) {
      fail(err instanceof ConfigError ? err.message : String(err));
    }
  }
  return runServer({ props, autoFormat: false });
}

main(process.argv.slice(2)).catch((err: unknown) => fail(err instanceof Error ? err.message : String(err)));

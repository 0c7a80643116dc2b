/**
 * What every Kafka-style command-line tool shares: flag parsing with Kafka's
 * flag names (commander underneath), `key=value` and `.properties` handling,
 * client options from Kafka's property names, and one way to fail.
 *
 * Failure rule: a bad flag, a missing broker or a broker error prints one
 * clear line to stderr and exits non-zero. `--verbose` (or SAMSA_VERBOSE=1)
 * adds the stack trace. No tool lets an exception escape as a Node trace.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import type { ClientOptions } from '../../../client/cluster.js';
import { ConnectionError, KafkaClientError, KafkaConfigError, KafkaProtocolError, RequestTimeoutError } from '../../../client/errors.js';

export const SAMSA_VERSION = '0.1.0';

/** A problem with the command line itself; printed as one line, exit code 1. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A failure the tool already explained; `message` is printed as is. */
export class ToolError extends Error {
  override name = 'ToolError';
  readonly exitCode: number;

  constructor(message: string, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

const verbose = (): boolean => process.argv.includes('--verbose') || process.env['SAMSA_VERBOSE'] === '1';

/** One line that says what went wrong, without a stack. */
export function describeError(error: unknown): string {
  if (error instanceof KafkaProtocolError) {
    return error.message === '' ? error.name : error.message;
  }
  if (error instanceof ConnectionError) {
    const cause = error.cause instanceof Error ? error.cause.message : '';
    if (/ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|timed out/.test(error.message + cause)) {
      return `Cannot connect to broker ${error.broker} (${cause !== '' ? cause : error.message.slice(error.broker.length + 2)})`;
    }
    return error.message;
  }
  if (error instanceof RequestTimeoutError || error instanceof KafkaClientError) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}

/** Writes to stdout and resolves once the bytes are handed to the OS (or the pipe closed). */
export function writeOut(text: string | Buffer): Promise<void> {
  return new Promise((resolve) => {
    if (process.stdout.destroyed) return resolve();
    process.stdout.write(text, () => resolve());
  });
}

export function printErr(line: string): void {
  process.stderr.write(line.endsWith('\n') ? line : `${line}\n`);
}

/**
 * Runs a tool's main. Resolves to the exit code and exits the process once
 * stdout and stderr are drained. `prefix` is Kafka's own lead-in for the
 * tool's error line ("Error while executing topic command : ").
 */
export function runTool(main: (argv: string[]) => Promise<number | void>, options: { errorPrefix?: string } = {}): void {
  // A reader that goes away (`| head`) is not an error worth a trace.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
  });
  const finish = (code: number): void => {
    process.stdout.write('', () => {
      process.stderr.write('', () => process.exit(code));
    });
  };
  main(process.argv.slice(2)).then(
    (code) => finish(code ?? 0),
    (error: unknown) => {
      if (error instanceof CommanderError) {
        // commander already printed its one line (or the help)
        finish(error.exitCode);
        return;
      }
      if (error instanceof UsageError) {
        printErr(error.message);
        finish(1);
        return;
      }
      if (error instanceof ToolError) {
        printErr(error.message);
        finish(error.exitCode);
        return;
      }
      printErr(`${options.errorPrefix ?? 'Error: '}${describeError(error)}`);
      if (verbose() && error instanceof Error && error.stack !== undefined) printErr(error.stack);
      finish(1);
    },
  );
}

// ---------------------------------------------------------------------------
// Flags

/** Collects a repeatable flag's values. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** A commander program configured the way Kafka's tools behave: long flags only, one-line errors, exit 1. */
export function createProgram(name: string, description: string): Command {
  const program = new Command(name);
  program
    .description(description)
    .helpOption('--help', 'Print usage information.')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => process.stdout.write(s),
      writeErr: (s) => process.stderr.write(s),
      outputError: (s, write) => write(s.replace(/^error: /, '')),
    })
    .showSuggestionAfterError(true)
    .allowExcessArguments(false);
  program.addOption(new Option('--version', 'Display Samsa version.'));
  program.addOption(new Option('--verbose', 'Show stack traces on errors.').hideHelp());
  return program;
}

/** Parses argv and handles --version. Returns the options record. */
export function parseProgram(program: Command, argv: string[]): Record<string, unknown> {
  program.parse(argv, { from: 'user' });
  const opts = program.opts<Record<string, unknown>>();
  if (opts['version'] === true) {
    process.stdout.write(`${SAMSA_VERSION} (Samsa)\n`);
    throw new CommanderError(0, 'version', '');
  }
  return opts;
}

export function str(opts: Record<string, unknown>, key: string): string | undefined {
  const v = opts[key];
  return typeof v === 'string' ? v : undefined;
}

export function list(opts: Record<string, unknown>, key: string): string[] {
  const v = opts[key];
  return Array.isArray(v) ? (v as string[]) : [];
}

export function flag(opts: Record<string, unknown>, key: string): boolean {
  return opts[key] === true;
}

/** An integer flag, with joptsimple's wording when it does not parse. */
export function int(opts: Record<string, unknown>, key: string, flagName = key): number | undefined {
  const v = str(opts, key);
  if (v === undefined) return undefined;
  return parseIntArg(v, flagName);
}

export function parseIntArg(value: string, flagName: string): number {
  const trimmed = value.trim();
  if (!/^[-+]?\d+$/.test(trimmed)) throw new UsageError(`Cannot parse argument '${value}' of option ${flagName}`);
  const n = Number(trimmed);
  if (!Number.isSafeInteger(n)) throw new UsageError(`Cannot parse argument '${value}' of option ${flagName}`);
  return n;
}

export function parseBigIntArg(value: string, flagName: string): bigint {
  const trimmed = value.trim();
  if (!/^[-+]?\d+$/.test(trimmed)) throw new UsageError(`Cannot parse argument '${value}' of option ${flagName}`);
  return BigInt(trimmed);
}

export function requireOpt(opts: Record<string, unknown>, key: string): string {
  const v = str(opts, key);
  if (v === undefined || v === '') throw new UsageError(`Missing required argument "[${key}]"`);
  return v;
}

// ---------------------------------------------------------------------------
// key=value and .properties

/** Parses `k=v` strings (the value may contain '='). */
export function parseKeyValues(items: string[], what = 'property'): Map<string, string> {
  const out = new Map<string, string>();
  for (const item of items) {
    const at = item.indexOf('=');
    if (at <= 0) throw new UsageError(`Invalid ${what} '${item}': expected key=value`);
    out.set(item.slice(0, at).trim(), item.slice(at + 1));
  }
  return out;
}

/** Java .properties text: `k=v`, `k: v` or `k v`; # and ! comments; backslash continuations and escapes. */
export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const raw = text.split(/\r?\n|\r/);
  for (let i = 0; i < raw.length; i++) {
    let line = raw[i]!.replace(/^[ \t\f]+/, '');
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    while (endsWithOddBackslashes(line) && i + 1 < raw.length) {
      line = line.slice(0, -1) + raw[++i]!.replace(/^[ \t\f]+/, '');
    }
    let k = 0;
    let key = '';
    while (k < line.length) {
      const c = line[k]!;
      if (c === '\\' && k + 1 < line.length) {
        key += line.slice(k, k + 2);
        k += 2;
        continue;
      }
      if (c === '=' || c === ':' || c === ' ' || c === '\t' || c === '\f') break;
      key += c;
      k++;
    }
    let rest = line.slice(k).replace(/^[ \t\f]+/, '');
    if (rest.startsWith('=') || rest.startsWith(':')) rest = rest.slice(1).replace(/^[ \t\f]+/, '');
    out.set(unescapeProperty(key), unescapeProperty(rest));
  }
  return out;
}

function endsWithOddBackslashes(line: string): boolean {
  let n = 0;
  for (let i = line.length - 1; i >= 0 && line[i] === '\\'; i--) n++;
  return n % 2 === 1;
}

function unescapeProperty(s: string): string {
  return s.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_m, e: string) => {
    if (e.length === 5) return String.fromCharCode(parseInt(e.slice(1), 16));
    if (e === 't') return '\t';
    if (e === 'n') return '\n';
    if (e === 'r') return '\r';
    if (e === 'f') return '\f';
    return e;
  });
}

export function loadPropertiesFile(path: string): Map<string, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? `${path} (No such file or directory)` : `Cannot read ${path}: ${(error as Error).message}`);
  }
  return parseProperties(text);
}

/** Properties from an optional file, overridden by `k=v` flags. */
export function mergedProperties(file: string | undefined, overrides: string[]): Map<string, string> {
  const props = file === undefined ? new Map<string, string>() : loadPropertiesFile(file);
  for (const [k, v] of parseKeyValues(overrides)) props.set(k, v);
  return props;
}

// ---------------------------------------------------------------------------
// Client options from Kafka property names

function numberProp(props: Map<string, string>, name: string): number | undefined {
  const v = props.get(name);
  if (v === undefined) return undefined;
  const n = Number(v.trim());
  if (!Number.isFinite(n)) throw new UsageError(`Invalid value ${v} for configuration ${name}: Not a number of type INT`);
  return n;
}

/** The options every client takes, from `bootstrap.servers`, `client.id`, `request.timeout.ms` and friends. */
export function clientOptions(bootstrap: string | undefined, props: Map<string, string>, defaultClientId: string): ClientOptions {
  const servers = bootstrap ?? props.get('bootstrap.servers');
  if (servers === undefined || servers.trim() === '') throw new UsageError('Missing required argument "[bootstrap-server]"');
  const protocol = (props.get('security.protocol') ?? 'PLAINTEXT').toUpperCase();
  if (protocol !== 'PLAINTEXT') {
    throw new KafkaConfigError(`security.protocol=${protocol} is not supported by the Samsa command-line tools yet`);
  }
  const options: ClientOptions = { bootstrapServers: servers, clientId: props.get('client.id') ?? defaultClientId };
  const requestTimeoutMs = numberProp(props, 'request.timeout.ms');
  if (requestTimeoutMs !== undefined) options.requestTimeoutMs = requestTimeoutMs;
  const connectTimeoutMs = numberProp(props, 'socket.connection.setup.timeout.ms');
  if (connectTimeoutMs !== undefined) options.connectionTimeoutMs = connectTimeoutMs;
  const retries = numberProp(props, 'retries');
  if (retries !== undefined) options.retries = Math.min(retries, 1000);
  const retryBackoffMs = numberProp(props, 'retry.backoff.ms');
  if (retryBackoffMs !== undefined) options.retryBackoffMs = retryBackoffMs;
  const retryBackoffMaxMs = numberProp(props, 'retry.backoff.max.ms');
  if (retryBackoffMaxMs !== undefined) options.retryBackoffMaxMs = retryBackoffMaxMs;
  const metadataMaxAgeMs = numberProp(props, 'metadata.max.age.ms');
  if (metadataMaxAgeMs !== undefined) options.metadataMaxAgeMs = metadataMaxAgeMs;
  return options;
}

export { numberProp };

// ---------------------------------------------------------------------------
// Formatting

export function padRight(s: string, width: number): string {
  return s.length >= width ? s : s + ' '.repeat(width - s.length);
}

/** Java's printf("%-Ns", s) applied to a row of cells, joined by one space. */
export function formatRow(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (i < widths.length ? padRight(c, widths[i]!) : c)).join(' ');
}

/** Waits for SIGINT/SIGTERM once; returns a function that removes the handlers. */
export function onShutdown(handler: (signal: NodeJS.Signals) => void): () => void {
  const listener = (signal: NodeJS.Signals): void => handler(signal);
  process.once('SIGINT', listener);
  process.once('SIGTERM', listener);
  return () => {
    process.off('SIGINT', listener);
    process.off('SIGTERM', listener);
  };
}

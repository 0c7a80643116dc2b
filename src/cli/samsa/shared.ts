/**
 * What every `samsa` subcommand shares: the connection flags
 * (`--bootstrap-server`, default localhost:9092 or $SAMSA_BOOTSTRAP), `--json`
 * and `--verbose`, readable tables, colours only on a terminal, and one way to
 * fail: one line on stderr and a non-zero exit, the stack only with
 * `--verbose`.
 *
 * Connecting, flags parsing of `k=v` and error wording come from the Kafka
 * tools' helpers (../tools/lib) and the client, so both CLIs say the same.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { Admin } from '../../client/admin.js';
import { ConnectionError, KafkaProtocolError } from '../../client/errors.js';
import { ToolError, UsageError, clientOptions, describeError, parseKeyValues } from '../tools/lib/common.js';

export { ToolError, UsageError };

export const DEFAULT_BOOTSTRAP = 'localhost:9092';

/** The options every command that talks to a cluster takes. */
export interface ClientFlags {
  bootstrapServer: string;
  json?: boolean;
  verbose?: boolean;
}

// ---------------------------------------------------------------------------
// Terminal

const colourOn = (stream: NodeJS.WriteStream): boolean =>
  stream.isTTY === true && process.env['NO_COLOR'] === undefined && process.env['TERM'] !== 'dumb';

const paint = (stream: NodeJS.WriteStream, code: string) => (s: string): string => (colourOn(stream) ? `\u001b[${code}m${s}\u001b[0m` : s);

export const style = {
  bold: paint(process.stdout, '1'),
  dim: paint(process.stdout, '2'),
  green: paint(process.stdout, '32'),
  yellow: paint(process.stdout, '33'),
  errRed: paint(process.stderr, '31'),
};

/** Writes to stdout and resolves once the bytes are handed over (or stdout is gone). */
export function out(text: string): Promise<void> {
  return new Promise((resolve) => {
    if (process.stdout.destroyed) return resolve();
    process.stdout.write(text, () => resolve());
  });
}

export function note(line: string): void {
  process.stderr.write(line.endsWith('\n') ? line : `${line}\n`);
}

/** A table with an upper-case header row and left-aligned columns two spaces apart. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [style.bold(line(headers)), ...rows.map(line)].join('\n') + '\n';
}

/** `key  value` lines with the keys aligned. */
export function fields(pairs: Array<[string, string]>): string {
  const width = Math.max(...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${style.bold(k.padEnd(width))}  ${v}`).join('\n') + '\n';
}

function jsonReplacer(_key: string, v: unknown): unknown {
  if (typeof v === 'bigint') return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v.toString();
  return v;
}

/** JSON for scripts, indented: offsets (bigint) become numbers while exact, strings beyond 2^53. */
export function json(value: unknown): string {
  return `${JSON.stringify(value, jsonReplacer, 2)}\n`;
}

/** The same on one line (JSON Lines), for streams of messages. */
export function jsonLine(value: unknown): string {
  return `${JSON.stringify(value, jsonReplacer)}\n`;
}

/** Number for JSON, text for tables. */
export const text = (n: bigint | number | null | undefined): string => (n === null || n === undefined ? '-' : String(n));

// ---------------------------------------------------------------------------
// Flags

/** Adds --bootstrap-server, --json and --verbose to a command that talks to a cluster. */
export function withClientFlags(cmd: Command, options: { json?: boolean } = {}): Command {
  cmd.addOption(
    new Option('-b, --bootstrap-server <host:port>', 'broker(s) to connect to, comma-separated').env('SAMSA_BOOTSTRAP').default(DEFAULT_BOOTSTRAP),
  );
  if (options.json !== false) cmd.option('--json', 'print JSON instead of a table, for scripts');
  cmd.option('--verbose', 'show stack traces on errors');
  return cmd;
}

/** commander argument parser: an integer >= min. */
export function intArg(min: number): (value: string) => number {
  return (value: string): number => {
    const n = Number(value.trim());
    if (!/^[-+]?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) {
      throw new InvalidArgumentError(min === 0 ? 'expected a non-negative integer.' : `expected an integer of at least ${min}.`);
    }
    return n;
  };
}

/** commander argument parser for a repeatable flag. */
export function repeatable(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** `k=v` items into a record; a bad item is a one-line usage error. */
export function keyValues(items: string[] | undefined, what: string): Record<string, string> {
  return Object.fromEntries(parseKeyValues(items ?? [], what));
}

/** Examples shown at the end of `--help`. */
export function examples(cmd: Command, lines: string[]): Command {
  return cmd.addHelpText('after', `\nExamples:\n${lines.map((l) => `  ${l}`).join('\n')}\n`);
}

// ---------------------------------------------------------------------------
// Clients

/** Runs `fn` with an Admin on the flags' bootstrap servers and closes it afterwards. */
export async function withAdmin<T>(flags: ClientFlags, fn: (admin: Admin) => Promise<T>): Promise<T> {
  // Loaded on first use: `samsa start` loads this file too, and the client
  // (Admin and what it pulls in) would only slow the broker's start.
  const { Admin } = await import('../../client/admin.js');
  const admin = new Admin(clientOptions(flags.bootstrapServer, new Map(), 'samsa-cli'));
  try {
    return await fn(admin);
  } finally {
    await admin.close().catch(() => {});
  }
}

/** Rewrites the errors a user most often meets into the sentence they need. */
export function explainTopicError(error: unknown, topic: string): unknown {
  if (KafkaProtocolError.is(error, 'UNKNOWN_TOPIC_OR_PARTITION')) return new ToolError(`Topic '${topic}' does not exist.`);
  if (KafkaProtocolError.is(error, 'TOPIC_ALREADY_EXISTS')) return new ToolError(`Topic '${topic}' already exists.`);
  return error;
}

// ---------------------------------------------------------------------------
// Running

const verbose = (): boolean => process.argv.includes('--verbose') || process.env['SAMSA_VERBOSE'] === '1';

/** Exits with `code` once stdout and stderr are drained. */
export function finish(code: number): void {
  process.stdout.write('', () => {
    process.stderr.write('', () => process.exit(code));
  });
}

/** Prints an error as one line (plus a hint for a missing broker, and the stack with --verbose). Returns the exit code. */
export function report(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode; // commander printed it already (or the help)
  if (error instanceof ToolError) {
    note(`${style.errRed('Error:')} ${error.message}`);
    return error.exitCode;
  }
  const hint = error instanceof ConnectionError ? '. Is it running? Start one with `samsa start`, or pass --bootstrap-server (or set SAMSA_BOOTSTRAP).' : '';
  note(`${style.errRed('Error:')} ${describeError(error)}${hint}`);
  if (verbose() && error instanceof Error && error.stack !== undefined) note(error.stack);
  return 1;
}

/**
 * Wraps a command's action: a number it returns becomes the exit code;
 * undefined means "keep running" (a server). Errors are reported by the
 * program's top-level handler.
 */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<number | void>): (...args: A) => Promise<void> {
  return async (...args: A): Promise<void> => {
    const code = await fn(...args);
    if (typeof code === 'number') finish(code);
  };
}

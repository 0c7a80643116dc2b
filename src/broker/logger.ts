/**
 * The logger the broker writes to: pino's shape, so pino can be passed as is,
 * and a silent one for embedded use and tests.
 */
import { pino } from 'pino';

export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** A pino logger to stderr at `level` (SAMSA_LOG_LEVEL overrides). */
export function createLogger(level: string): Logger {
  return pino({ level: process.env['SAMSA_LOG_LEVEL'] ?? level, base: null }, pino.destination(2));
}

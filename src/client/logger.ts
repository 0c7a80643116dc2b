/**
 * The logging surface the client needs: a pino logger fits it as it is, and
 * so does a console wrapper. The default logs nothing.
 */
export interface LogFn {
  (obj: object, msg?: string): void;
  (msg: string): void;
}

export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
}

const ignore: LogFn = () => {};

export const noopLogger: Logger = { debug: ignore, info: ignore, warn: ignore, error: ignore };

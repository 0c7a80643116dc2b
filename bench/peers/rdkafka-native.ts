/**
 * node-rdkafka loaded from test/compat/node_modules (the test-only client
 * install), with the slice of its API the benchmark jobs use and promise
 * helpers around its callbacks. Loading fails when it is not installed; the
 * suites check rdkafkaMissing() (rdkafka.ts) first.
 */
import { createRequire } from 'node:module';

export interface RdError extends Error {
  code: number;
}
export type Cb<T = void> = (err: RdError | null | undefined, value: T) => void;
export type Conf = Record<string, string | number | boolean>;
export interface RdMessage {
  value: Buffer | null;
  partition: number;
  offset: number;
}
export interface Client {
  connect(options: object, cb: Cb<unknown>): void;
  disconnect(cb: Cb<unknown>): void;
  on(event: string, listener: (...args: never[]) => void): void;
}
export interface RdProducer extends Client {
  setPollInterval(ms: number): void;
  produce(topic: string, partition: number | null, value: Buffer, key?: string | null, timestamp?: number | null): void;
  flush(timeoutMs: number, cb: Cb<unknown>): void;
}
export interface RdConsumer extends Client {
  assign(tps: Array<{ topic: string; partition: number; offset?: number }>): void;
  consume(n: number, cb: Cb<RdMessage[]>): void;
  consume(): void;
  setDefaultConsumeTimeout(ms: number): void;
}
export interface Rdkafka {
  Producer: new (conf: Conf, topicConf?: Conf) => RdProducer;
  KafkaConsumer: new (conf: Conf, topicConf?: Conf) => RdConsumer;
  CODES: { ERRORS: Record<string, number> };
}

const compatPackage = new URL('../../../test/compat/package.json', import.meta.url);
export const kafka = createRequire(compatPackage)('node-rdkafka') as Rdkafka;
export const queueFull = kafka.CODES.ERRORS['ERR__QUEUE_FULL'];

export function call<T>(fn: (cb: Cb<T>) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value))));
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function connected<T extends Client>(client: T): Promise<T> {
  await call<unknown>((cb) => client.connect({}, cb));
  return client;
}

export function listen(client: Client, event: string, listener: (...args: never[]) => void): void {
  client.on(event, listener);
}

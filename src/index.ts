/**
 * Samsa's public entry point: `import { Broker } from 'samsa'`.
 *
 *   const broker = await Broker.start({ port: 0, dataDir });
 *   // ... point any Kafka client at broker.bootstrap ...
 *   await broker.stop();
 */
export const VERSION = '0.1.0';

export { Broker, type BrokerOptions } from './broker/embedded.js';
export type { BoundListener } from './broker/broker.js';
export type { Logger } from './broker/logger.js';

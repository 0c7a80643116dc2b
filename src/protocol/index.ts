/**
 * The wire layer: primitives, the generated codecs for every Kafka API,
 * record batches, compression and error codes. Shared by broker and client.
 */
export * from './primitives/index.js';
export * from './generated/index.js';
export * from './records/index.js';
export * from './compression/index.js';
export * from './errors/index.js';

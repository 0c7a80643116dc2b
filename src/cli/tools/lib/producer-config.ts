/**
 * Producer options from Kafka's producer property names (`acks`,
 * `linger.ms`, `compression.type`, ...), shared by the console producer and
 * the producer perf test.
 */
import type { ProducerOptions } from '../../../client/producer.js';
import { Producer } from '../../../client/producer.js';
import { UnsupportedVersionError } from '../../../client/errors.js';
import type { CompressionName } from '../../../protocol/compression/codec.js';
import { UsageError, clientOptions, numberProp } from './common.js';

const COMPRESSIONS: readonly string[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

export function parseAcks(value: string): 0 | 1 | -1 {
  const v = value.trim().toLowerCase();
  if (v === 'all' || v === '-1') return -1;
  if (v === '1') return 1;
  if (v === '0') return 0;
  throw new UsageError(`Invalid value ${value} for configuration acks: String must be one of: all, -1, 0, 1`);
}

export function parseCompression(value: string): CompressionName {
  const v = value.trim().toLowerCase();
  if (!COMPRESSIONS.includes(v)) {
    throw new UsageError(`Invalid value ${value} for configuration compression.type: String must be one of: none, gzip, snappy, lz4, zstd`);
  }
  return v as CompressionName;
}

export function producerOptions(bootstrap: string | undefined, props: Map<string, string>, defaultClientId: string): ProducerOptions {
  const options: ProducerOptions = { ...clientOptions(bootstrap, props, defaultClientId) };
  const acks = props.get('acks');
  if (acks !== undefined) options.acks = parseAcks(acks);
  const linger = numberProp(props, 'linger.ms');
  if (linger !== undefined) options.lingerMs = linger;
  const batchSize = numberProp(props, 'batch.size');
  if (batchSize !== undefined) options.batchSize = Math.max(1, batchSize);
  const bufferMemory = numberProp(props, 'buffer.memory');
  if (bufferMemory !== undefined) options.bufferMemory = bufferMemory;
  const maxBlockMs = numberProp(props, 'max.block.ms');
  if (maxBlockMs !== undefined) options.maxBlockMs = maxBlockMs;
  const maxRequestSize = numberProp(props, 'max.request.size');
  if (maxRequestSize !== undefined) options.maxRequestSize = maxRequestSize;
  const deliveryTimeoutMs = numberProp(props, 'delivery.timeout.ms');
  if (deliveryTimeoutMs !== undefined) options.deliveryTimeoutMs = deliveryTimeoutMs;
  const compression = props.get('compression.type');
  if (compression !== undefined) options.compression = parseCompression(compression);
  const idempotence = props.get('enable.idempotence');
  if (idempotence !== undefined) options.idempotent = idempotence.trim().toLowerCase() === 'true';
  if (options.idempotent === undefined && options.acks !== undefined && options.acks !== -1) options.idempotent = false;
  const transactionalId = props.get('transactional.id');
  if (transactionalId !== undefined && transactionalId !== '') options.transactionalId = transactionalId;
  return options;
}

/**
 * Creates and connects a producer. When idempotence was only the default
 * (not asked for) and the broker cannot hand out producer ids, falls back to
 * a plain producer, as a Kafka client does against an old broker.
 */
export async function connectProducer(options: ProducerOptions): Promise<Producer> {
  const producer = new Producer(options);
  try {
    await producer.connect();
    return producer;
  } catch (error) {
    await producer.close().catch(() => {});
    if (error instanceof UnsupportedVersionError && error.apiName === 'InitProducerId' && options.idempotent === undefined) {
      const plain = new Producer({ ...options, idempotent: false });
      try {
        await plain.connect();
      } catch (again) {
        await plain.close().catch(() => {});
        throw again;
      }
      return plain;
    }
    throw error;
  }
}

/**
 * What a coordinator needs from the broker it runs in: a structural subset of
 * the broker's context, so src/coordinator never imports src/broker. Each
 * coordinator names the slice of a partition log it uses as `Log`.
 */
import type { Clock } from '../platform/clock.js';

/**
 * A partition this broker leads, with the log slice a coordinator uses.
 * Waiting fetches wake by themselves when an append reaches the file.
 */
export interface HostedPartition<Log> {
  readonly log: Log;
  readonly leaderEpoch: number;
}

export interface CoordinatorBrokerServices<Log> {
  readonly nodeId: number;
  readonly clock: Clock;
  readonly config: { readonly raw: ReadonlyMap<string, string> };
  readonly logger: {
    info(fields: object, message: string): void;
    warn(fields: object, message: string): void;
    error(fields: object, message: string): void;
  };
  image(): {
    topic(name: string):
      | { readonly topicId: string; readonly partitions: ReadonlyArray<{ readonly leader: number; readonly leaderEpoch: number }> }
      | undefined;
  };
  readonly replicas: {
    partition(topicId: string, index: number): HostedPartition<Log> | undefined;
    readonly isStopping: boolean;
  };
  readonly controller: {
    createTopics(
      specs: ReadonlyArray<{
        name: string;
        numPartitions: number;
        replicationFactor: number;
        assignments: ReadonlyArray<{ partitionIndex: number; brokerIds: readonly number[] }>;
        configs: ReadonlyMap<string, string>;
      }>,
      validateOnly: boolean,
    ): Promise<ReadonlyArray<{ ok: boolean; name: string; message?: string }>>;
  };
}

/**
 * The registry: every suite `npm run bench` knows, in the order they run.
 * Ceilings come first so that later suites can be reported as ratios to them.
 * To add a suite, write bench/suites/<name>.ts exporting a Suite and list it here.
 */
import type { Suite } from '../suite.js';
import { ceilingTcp } from './ceiling-tcp.js';
import { ceilingAppend } from './ceiling-append.js';
import { ceilingFsync } from './ceiling-fsync.js';
import { ceilingCrc32c } from './ceiling-crc32c.js';
import { ceilingDisk } from './ceiling-disk.js';
import { protocolDecode } from './protocol-decode.js';
import { storageLog } from './storage.js';
import { brokerProduce } from './broker-produce.js';
import { brokerFetch } from './broker-fetch.js';
import { groupsRebalance } from './groups-rebalance.js';
import { rdkafkaClients } from './rdkafka-clients.js';
import { latencyE2e } from './latency-e2e.js';
import { startup } from './startup.js';
import { scalePartitions } from './scale-partitions.js';
import { peersStreams } from './peers-streams.js';
import { clientThroughput } from './client-throughput.js';

export const suites: readonly Suite[] = [ceilingTcp, ceilingAppend, ceilingFsync, ceilingCrc32c, ceilingDisk, protocolDecode, storageLog, groupsRebalance, brokerProduce, brokerFetch, rdkafkaClients, latencyE2e, scalePartitions, clientThroughput, startup, peersStreams];

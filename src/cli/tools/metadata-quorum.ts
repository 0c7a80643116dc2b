/**
 * kafka-metadata-quorum.sh describe --status | --replication: the KRaft
 * metadata quorum (__cluster_metadata-0) as DescribeQuorum reports it.
 *
 *   --status       ClusterId, LeaderId, LeaderEpoch, HighWatermark,
 *                  MaxFollowerLag, MaxFollowerLagTimeMs, CurrentVoters, CurrentObservers
 *   --replication  one row per voter and observer: NodeId, DirectoryId,
 *                  LogEndOffset, Lag, LastFetchTimestamp, LastCaughtUpTimestamp, Status
 *
 * Sent with the generated codec (the client has no describeMetadataQuorum()).
 */
import { Admin } from '../../client/admin.js';
import { ApiKey } from '../../protocol/generated/api-registry.js';
import { UnsupportedVersionError } from '../../client/errors.js';
import { errorByCode } from '../../protocol/errors/index.js';
import type { DescribeQuorumResponseReplicaState } from '../../protocol/generated/messages/describe-quorum-response.js';
import { ToolError, UsageError, clientOptions, createProgram, flag, loadPropertiesFile, padRight, parseProgram, runTool, str, writeOut } from './lib/common.js';

const METADATA_TOPIC = '__cluster_metadata';

export async function main(argv: string[]): Promise<number> {
  const program = createProgram('kafka-metadata-quorum.sh', 'This tool describes kraft metadata quorum status.')
    .option('--bootstrap-server <host:port>', 'A comma-separated list of host:port pairs to use for establishing the connection to the Kafka cluster.')
    .option('--bootstrap-controller <host:port>', 'A comma-separated list of host:port pairs to use for establishing the connection to the KRaft controllers.')
    .option('--command-config <config file>', 'Property file containing configs to be passed to Admin Client.')
    .argument('[command]', 'describe')
    .option('--status', 'A short summary of the quorum status and the other provides information about the current replication state.')
    .option('--replication', 'The current replication state of the quorum.')
    .option('--human-readable', 'Print relative times instead of timestamps with --replication.');
  const opts = parseProgram(program, argv);
  const command = program.args[0];
  if (command !== 'describe') throw new UsageError(command === undefined ? 'Missing subcommand: describe' : `Unknown subcommand '${command}'; only describe is supported`);
  const status = flag(opts, 'status');
  const replication = flag(opts, 'replication');
  if (status === replication) throw new UsageError('One of --status or --replication must be specified with describe sub-command');
  const bootstrap = str(opts, 'bootstrapServer') ?? str(opts, 'bootstrapController');
  if (bootstrap === undefined) throw new UsageError('Must specify either --bootstrap-server or --bootstrap-controller.');
  const commandConfig = str(opts, 'commandConfig');
  const props = commandConfig === undefined ? new Map<string, string>() : loadPropertiesFile(commandConfig);
  const admin = new Admin(clientOptions(bootstrap, props, 'adminclient-1'));
  try {
    await admin.connect();
    let response;
    try {
      response = await admin.cluster.retry(() =>
        admin.cluster.send('any', ApiKey.DescribeQuorum, { topics: [{ topicName: METADATA_TOPIC, partitions: [{ partitionIndex: 0 }] }] }),
      );
    } catch (error) {
      if (error instanceof UnsupportedVersionError) throw new ToolError('The broker does not support DescribeQuorum (the metadata quorum cannot be described)');
      throw error;
    }
    if (response.errorCode !== 0) throw new ToolError(response.errorMessage ?? errorByCode(response.errorCode).message);
    const partition = response.topics[0]?.partitions[0];
    if (partition === undefined) throw new ToolError('DescribeQuorum returned no partition for __cluster_metadata');
    if (partition.errorCode !== 0) throw new ToolError(partition.errorMessage ?? errorByCode(partition.errorCode).message);
    const leader = partition.currentVoters.find((v) => v.replicaId === partition.leaderId);
    const leaderEnd = leader?.logEndOffset ?? partition.highWatermark;
    const now = BigInt(Date.now());
    if (status) {
      const followers = partition.currentVoters.filter((v) => v.replicaId !== partition.leaderId);
      const maxLag = followers.reduce((m, v) => (leaderEnd - v.logEndOffset > m ? leaderEnd - v.logEndOffset : m), 0n);
      const maxLagTime = followers.reduce((m, v) => {
        const t = v.lastCaughtUpTimestamp < 0n ? 0n : now - v.lastCaughtUpTimestamp;
        return t > m ? t : m;
      }, 0n);
      const clusterId = (await admin.describeCluster()).clusterId ?? '';
      const rows: Array<[string, string]> = [
        ['ClusterId:', clusterId],
        ['LeaderId:', String(partition.leaderId)],
        ['LeaderEpoch:', String(partition.leaderEpoch)],
        ['HighWatermark:', String(partition.highWatermark)],
        ['MaxFollowerLag:', String(maxLag)],
        ['MaxFollowerLagTimeMs:', String(maxLagTime)],
        ['CurrentVoters:', `[${partition.currentVoters.map((v) => v.replicaId).join(',')}]`],
        ['CurrentObservers:', `[${partition.observers.map((v) => v.replicaId).join(',')}]`],
      ];
      await writeOut(rows.map(([k, v]) => `${padRight(k, 24)}${v}`).join('\n') + '\n');
    } else {
      const human = flag(opts, 'humanReadable');
      const time = (t: bigint): string => (t < 0n ? '-1' : human ? `${now - t} ms ago` : String(t));
      const row = (r: DescribeQuorumResponseReplicaState, state: string): string[] => [
        String(r.replicaId),
        r.replicaDirectoryId,
        String(r.logEndOffset),
        String(leaderEnd - r.logEndOffset),
        time(r.lastFetchTimestamp),
        time(r.lastCaughtUpTimestamp),
        state,
      ];
      const rows = [
        ['NodeId', 'DirectoryId', 'LogEndOffset', 'Lag', 'LastFetchTimestamp', 'LastCaughtUpTimestamp', 'Status'],
        ...(leader === undefined ? [] : [row(leader, 'Leader')]),
        ...partition.currentVoters.filter((v) => v.replicaId !== partition.leaderId).map((v) => row(v, 'Follower')),
        ...partition.observers.map((v) => row(v, 'Observer')),
      ];
      const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
      await writeOut(rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : padRight(c, widths[i]! + 1))).join('')).join('\n') + '\n');
    }
  } finally {
    await admin.close();
  }
  return 0;
}

runTool(main);

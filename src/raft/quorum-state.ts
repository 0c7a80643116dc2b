/**
 * The election state a voter must never forget: its epoch, whom it voted for
 * in that epoch, and the leader it knows. Stored as Kafka stores it, the
 * `quorum-state` file in the metadata partition directory: one line of JSON
 * (QuorumStateData) plus `data_version`, written to a temp file, synced and
 * renamed. Version 0 is the format of a static voter set (kraft.version 0):
 *
 *   {"clusterId":"","leaderId":1,"leaderEpoch":2,"votedId":-1,"appliedOffset":0,
 *    "currentVoters":[{"voterId":1}],"data_version":0}
 *
 * It is written before a vote is granted, an epoch is entered or a leader is
 * acknowledged, so a restarted voter can neither vote twice in an epoch nor
 * go back to an older one.
 */
import type { FileSystem } from '../platform/file-system.js';
import { errorCode, joinPath } from '../platform/file-system.js';

export const QUORUM_STATE_FILE = 'quorum-state';
const DATA_VERSION = 0;

/** -1 means "none", as in Kafka's file. */
export interface ElectionState {
  readonly epoch: number;
  readonly leaderId: number;
  readonly votedId: number;
}

export const INITIAL_ELECTION_STATE: ElectionState = Object.freeze({ epoch: 0, leaderId: -1, votedId: -1 });

export class QuorumStateError extends Error {
  override readonly name = 'QuorumStateError';
}

export class QuorumStateStore {
  readonly path: string;

  constructor(
    private readonly fs: FileSystem,
    partitionDir: string,
    private readonly voters: readonly number[],
  ) {
    this.path = joinPath(partitionDir, QUORUM_STATE_FILE);
  }

  /** The stored state, or undefined when the file does not exist yet. */
  read(): ElectionState | undefined {
    let text: string;
    try {
      text = this.fs.readFile(this.path).toString('utf8');
    } catch (err) {
      if (errorCode(err) === 'ENOENT') return undefined;
      throw err;
    }
    const line = text.split('\n')[0] ?? '';
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new QuorumStateError(`${this.path}: not JSON: ${line.slice(0, 200)}`);
    }
    if (typeof parsed !== 'object' || parsed === null) throw new QuorumStateError(`${this.path}: not a JSON object`);
    const fields = parsed as Record<string, unknown>;
    const version = fields['data_version'];
    if (version !== 0 && version !== 1) throw new QuorumStateError(`${this.path}: data_version ${String(version)} is not 0 or 1`);
    const int = (name: string, fallback?: number): number => {
      const value = fields[name] ?? fallback;
      if (typeof value !== 'number' || !Number.isInteger(value)) throw new QuorumStateError(`${this.path}: ${name} is not an integer`);
      return value;
    };
    const state: ElectionState = { epoch: int('leaderEpoch'), leaderId: int('leaderId', -1), votedId: int('votedId', -1) };
    if (state.epoch < 0) throw new QuorumStateError(`${this.path}: negative leaderEpoch ${state.epoch}`);
    return state;
  }

  /** Durable (temp file, datasync, rename, directory sync) when it resolves. */
  async write(state: ElectionState): Promise<void> {
    const json = {
      clusterId: '',
      leaderId: state.leaderId,
      leaderEpoch: state.epoch,
      votedId: state.votedId,
      appliedOffset: 0,
      currentVoters: this.voters.map((voterId) => ({ voterId })),
      data_version: DATA_VERSION,
    };
    await this.fs.writeFileAtomic(this.path, Buffer.from(JSON.stringify(json), 'utf8'));
  }
}

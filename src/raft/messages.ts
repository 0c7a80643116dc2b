/**
 * What Raft voters say to each other: Kafka's own Vote, BeginQuorumEpoch,
 * EndQuorumEpoch and Fetch messages (the generated types), in an envelope
 * that names sender, receiver and the request a response answers. The node
 * never sees sockets; a transport (the simulator's in-memory network today,
 * the controller listener later) moves these envelopes.
 *
 * `encodeRaftMessage`/`decodeRaftMessage` put an envelope on the wire with
 * the generated codecs, so every message the simulator delivers has been
 * through Kafka's wire format (and no Buffer is shared between nodes).
 */
import { Reader } from '../protocol/primitives/reader.js';
import { Writer } from '../protocol/primitives/writer.js';
import { DecodeError } from '../protocol/primitives/decode-error.js';
import {
  decodeBeginQuorumEpochRequest,
  decodeBeginQuorumEpochResponse,
  decodeEndQuorumEpochRequest,
  decodeEndQuorumEpochResponse,
  decodeFetchRequest,
  decodeFetchResponse,
  decodeVoteRequest,
  decodeVoteResponse,
  encodeBeginQuorumEpochRequest,
  encodeBeginQuorumEpochResponse,
  encodeEndQuorumEpochRequest,
  encodeEndQuorumEpochResponse,
  encodeFetchRequest,
  encodeFetchResponse,
  encodeVoteRequest,
  encodeVoteResponse,
  type BeginQuorumEpochRequest,
  type BeginQuorumEpochResponse,
  type EndQuorumEpochRequest,
  type EndQuorumEpochResponse,
  type FetchRequest,
  type FetchResponse,
  type VoteRequest,
  type VoteResponse,
} from '../protocol/generated/index.js';

export type RaftBody =
  | { readonly kind: 'VoteRequest'; readonly data: VoteRequest }
  | { readonly kind: 'VoteResponse'; readonly data: VoteResponse }
  | { readonly kind: 'BeginQuorumEpochRequest'; readonly data: BeginQuorumEpochRequest }
  | { readonly kind: 'BeginQuorumEpochResponse'; readonly data: BeginQuorumEpochResponse }
  | { readonly kind: 'EndQuorumEpochRequest'; readonly data: EndQuorumEpochRequest }
  | { readonly kind: 'EndQuorumEpochResponse'; readonly data: EndQuorumEpochResponse }
  | { readonly kind: 'FetchRequest'; readonly data: FetchRequest }
  | { readonly kind: 'FetchResponse'; readonly data: FetchResponse };

export interface RaftMessage {
  readonly from: number;
  readonly to: number;
  /** Chosen by the requester; a response carries its request's id. */
  readonly correlationId: number;
  readonly body: RaftBody;
}

export function isRequest(body: RaftBody): boolean {
  return body.kind.endsWith('Request');
}

/** Kafka api keys and the versions we speak (the newest of each). */
const wire = {
  VoteRequest: { apiKey: 52, version: 1, response: false },
  VoteResponse: { apiKey: 52, version: 1, response: true },
  BeginQuorumEpochRequest: { apiKey: 53, version: 1, response: false },
  BeginQuorumEpochResponse: { apiKey: 53, version: 1, response: true },
  EndQuorumEpochRequest: { apiKey: 54, version: 1, response: false },
  EndQuorumEpochResponse: { apiKey: 54, version: 1, response: true },
  FetchRequest: { apiKey: 1, version: 17, response: false },
  FetchResponse: { apiKey: 1, version: 17, response: true },
} as const satisfies Record<RaftBody['kind'], { apiKey: number; version: number; response: boolean }>;

/** Envelope: int32 from, int32 to, int32 correlationId, int16 apiKey, int8 isResponse, int16 version, then the body. */
export function encodeRaftMessage(message: RaftMessage): Buffer {
  const w = new Writer(256);
  const spec = wire[message.body.kind];
  w.writeInt32(message.from).writeInt32(message.to).writeInt32(message.correlationId);
  w.writeInt16(spec.apiKey).writeInt8(spec.response ? 1 : 0).writeInt16(spec.version);
  const body = message.body;
  switch (body.kind) {
    case 'VoteRequest':
      encodeVoteRequest(w, spec.version, body.data);
      break;
    case 'VoteResponse':
      encodeVoteResponse(w, spec.version, body.data);
      break;
    case 'BeginQuorumEpochRequest':
      encodeBeginQuorumEpochRequest(w, spec.version, body.data);
      break;
    case 'BeginQuorumEpochResponse':
      encodeBeginQuorumEpochResponse(w, spec.version, body.data);
      break;
    case 'EndQuorumEpochRequest':
      encodeEndQuorumEpochRequest(w, spec.version, body.data);
      break;
    case 'EndQuorumEpochResponse':
      encodeEndQuorumEpochResponse(w, spec.version, body.data);
      break;
    case 'FetchRequest':
      encodeFetchRequest(w, spec.version, body.data);
      break;
    case 'FetchResponse':
      encodeFetchResponse(w, spec.version, body.data);
      break;
  }
  return w.toBuffer();
}

export function decodeRaftMessage(buf: Buffer): RaftMessage {
  const r = new Reader(buf);
  const from = r.readInt32();
  const to = r.readInt32();
  const correlationId = r.readInt32();
  const apiKey = r.readInt16();
  const response = r.readInt8() === 1;
  const version = r.readInt16();
  let body: RaftBody;
  switch (apiKey) {
    case 52:
      body = response ? { kind: 'VoteResponse', data: decodeVoteResponse(r, version) } : { kind: 'VoteRequest', data: decodeVoteRequest(r, version) };
      break;
    case 53:
      body = response
        ? { kind: 'BeginQuorumEpochResponse', data: decodeBeginQuorumEpochResponse(r, version) }
        : { kind: 'BeginQuorumEpochRequest', data: decodeBeginQuorumEpochRequest(r, version) };
      break;
    case 54:
      body = response
        ? { kind: 'EndQuorumEpochResponse', data: decodeEndQuorumEpochResponse(r, version) }
        : { kind: 'EndQuorumEpochRequest', data: decodeEndQuorumEpochRequest(r, version) };
      break;
    case 1:
      body = response ? { kind: 'FetchResponse', data: decodeFetchResponse(r, version) } : { kind: 'FetchRequest', data: decodeFetchRequest(r, version) };
      break;
    default:
      throw new DecodeError(`api key ${apiKey} is not a Raft message`);
  }
  if (r.remaining !== 0) throw new DecodeError(`${r.remaining} trailing bytes after a ${body.kind}`);
  return { from, to, correlationId, body };
}

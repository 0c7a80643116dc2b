/**
 * The one error a decoder may throw. Anything malformed on the wire (short
 * buffers, lying lengths, bad varints) surfaces as a DecodeError so callers can
 * answer with a protocol error or close the connection without guessing.
 */
export class DecodeError extends Error {
  override readonly name = 'DecodeError';
}

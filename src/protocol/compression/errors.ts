import { DecodeError } from '../primitives/decode-error.js';

/**
 * `too_large`: the output would pass the caller's limit (a decompression bomb
 * or simply a batch bigger than we accept). `corrupt`: the input is not valid
 * for its codec. `unsupported`: valid, but uses a feature we do not implement
 * (an LZ4 preset dictionary, for instance).
 */
export type DecompressionFault = 'too_large' | 'corrupt' | 'unsupported';

/**
 * Decompression failures are decode failures: callers that already turn a
 * DecodeError into CORRUPT_MESSAGE need nothing new, and those that care can
 * look at `fault`.
 */
export class DecompressionError extends DecodeError {
  readonly fault: DecompressionFault;

  constructor(fault: DecompressionFault, message: string) {
    super(message);
    this.fault = fault;
  }
}

/** Wraps whatever a native library threw as a `corrupt` DecompressionError. */
export function corruptInput(codecName: string, cause: unknown): DecompressionError {
  if (cause instanceof DecompressionError) return cause;
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new DecompressionError('corrupt', `${codecName}: ${detail}`);
}

export function tooLarge(codecName: string, maxOutputBytes: number): DecompressionError {
  return new DecompressionError('too_large', `${codecName}: output exceeds the limit of ${maxOutputBytes} bytes`);
}

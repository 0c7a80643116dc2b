/**
 * XXH32, the checksum the LZ4 frame format uses for its header byte and its
 * optional block and content checksums. The native lz4 binding does not expose
 * it, and we need it to check (and, for old Kafka clients, deliberately
 * mis-compute) the frame header checksum ourselves.
 */
const PRIME1 = 2654435761;
const PRIME2 = 2246822519;
const PRIME3 = 3266489917;
const PRIME4 = 668265263;
const PRIME5 = 374761393;

function rotl(value: number, bits: number): number {
  return (value << bits) | (value >>> (32 - bits));
}

function round(acc: number, lane: number): number {
  return Math.imul(rotl((acc + Math.imul(lane, PRIME2)) | 0, 13), PRIME1);
}

/** XXH32 of `buf[start, end)` with `seed`, as an unsigned 32-bit number. */
export function xxhash32(buf: Uint8Array, start = 0, end = buf.length, seed = 0): number {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const length = end - start;
  let at = start;
  let hash: number;
  if (length >= 16) {
    let v1 = (seed + PRIME1 + PRIME2) | 0;
    let v2 = (seed + PRIME2) | 0;
    let v3 = seed | 0;
    let v4 = (seed - PRIME1) | 0;
    const stripesEnd = end - 16;
    while (at <= stripesEnd) {
      v1 = round(v1, view.getUint32(at, true));
      v2 = round(v2, view.getUint32(at + 4, true));
      v3 = round(v3, view.getUint32(at + 8, true));
      v4 = round(v4, view.getUint32(at + 12, true));
      at += 16;
    }
    hash = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) | 0;
  } else {
    hash = (seed + PRIME5) | 0;
  }
  hash = (hash + length) | 0;
  while (at + 4 <= end) {
    hash = Math.imul(rotl((hash + Math.imul(view.getUint32(at, true), PRIME3)) | 0, 17), PRIME4);
    at += 4;
  }
  while (at < end) {
    hash = Math.imul(rotl((hash + Math.imul(buf[at]!, PRIME5)) | 0, 11), PRIME1);
    at++;
  }
  hash ^= hash >>> 15;
  hash = Math.imul(hash, PRIME2);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, PRIME3);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

// Robustness: decoders fed random, truncated, bit-flipped and length-lied bytes
// either decode or throw DecodeError. Nothing else may escape, nothing may hang,
// and lying lengths are refused before anything is allocated for them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DecodeError } from './primitives/decode-error.js';
import { Reader } from './primitives/reader.js';
import { Writer } from './primitives/writer.js';
import { allMessageVersions, loadSchemaMessages, messageArbitrary } from './testing/schema-arbitrary.js';

const TOTAL_CASES = Number(process.env.SAMSA_ROBUSTNESS_CASES ?? 100_000);
const pairs = allMessageVersions(loadSchemaMessages());

type Mutation =
  | { kind: 'truncate'; at: number }
  | { kind: 'flip'; at: number; bits: number }
  | { kind: 'lie'; at: number; value: number }
  | { kind: 'garbage'; bytes: Uint8Array };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bits: fc.integer({ min: 1, max: 255 }) }),
  fc.record({
    kind: fc.constant('lie' as const),
    at: fc.nat(),
    value: fc.oneof(fc.constantFrom(0x7fffffff, 0x7fff, -2, -1, 0xff, 0x80808080 | 0), fc.integer()),
  }),
  fc.record({ kind: fc.constant('garbage' as const), bytes: fc.uint8Array({ maxLength: 64 }) }),
);

function mutate(valid: Buffer, m: Mutation): Buffer {
  switch (m.kind) {
    case 'truncate':
      return valid.subarray(0, valid.length === 0 ? 0 : m.at % valid.length);
    case 'flip': {
      const copy = Buffer.from(valid);
      if (copy.length > 0) copy[m.at % copy.length]! ^= m.bits;
      return copy;
    }
    case 'lie': {
      // Overwrite four bytes (a length, a count, a varint run) with a hostile value.
      const copy = Buffer.alloc(Math.max(valid.length, 4));
      valid.copy(copy);
      copy.writeInt32BE(m.value, m.at % (copy.length - 3));
      return copy;
    }
    case 'garbage':
      return Buffer.from(m.bytes);
  }
}

test(`decoders survive ${TOTAL_CASES} hostile inputs across every message and version`, () => {
  const runsPerPair = Math.max(1, Math.ceil(TOTAL_CASES / pairs.length));
  let cases = 0;
  for (const { loaded, version } of pairs) {
    fc.assert(
      fc.property(messageArbitrary(loaded.message, version), mutation, (value, m) => {
        const valid = loaded.encode(new Writer(), version, value).toBuffer();
        const hostile = mutate(valid, m);
        const started = performance.now();
        try {
          loaded.decode(new Reader(hostile), version);
        } catch (err) {
          if (!(err instanceof DecodeError)) {
            assert.fail(`${loaded.message.name} v${version} threw ${String(err)} on ${m.kind}`);
          }
        }
        assert.ok(performance.now() - started < 250, `${loaded.message.name} v${version} took too long`);
        cases++;
      }),
      { numRuns: runsPerPair },
    );
  }
  assert.ok(cases >= TOTAL_CASES, `ran only ${cases} cases`);
});

test('a lying array length is refused without allocating', () => {
  // Metadata v0 request: an array length of 2^31-1 followed by nothing.
  const loaded = pairs.find((p) => p.loaded.message.name === 'MetadataRequest' && p.version === 0)!.loaded;
  const bytes = Buffer.from([0x7f, 0xff, 0xff, 0xff]);
  const heapBefore = process.memoryUsage().heapUsed;
  assert.throws(() => loaded.decode(new Reader(bytes), 0), DecodeError);
  assert.ok(process.memoryUsage().heapUsed - heapBefore < 16 * 1024 * 1024);
});

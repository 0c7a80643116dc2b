import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { compressSync as lz4BlockCompress } from 'lz4-napi';
import { compressSync as snappyRawCompress } from 'snappy';
import { DecodeError } from '../primitives/decode-error.js';
import {
  CompressionCodec,
  DecompressionError,
  compress,
  compressAsync,
  compressionCodecFromName,
  compressionName,
  decompress,
  decompressAsync,
  isXerialFramed,
  xxhash32,
} from './index.js';

const codecs = [CompressionCodec.none, CompressionCodec.gzip, CompressionCodec.snappy, CompressionCodec.lz4, CompressionCodec.zstd];
const real = codecs.filter((c) => c !== CompressionCodec.none);

function fault(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (error: unknown) {
    if (error instanceof DecompressionError) return error.fault;
    if (error instanceof DecodeError) return 'decode';
    throw error;
  }
}

test('codec names', () => {
  assert.equal(compressionName(CompressionCodec.zstd), 'zstd');
  assert.equal(compressionCodecFromName('LZ4'), CompressionCodec.lz4);
  assert.equal(compressionCodecFromName('brotli'), null);
});

test('xxhash32 matches the reference vectors', () => {
  assert.equal(xxhash32(Buffer.alloc(0)), 0x02cc5d05);
  assert.equal(xxhash32(Buffer.from('abc')), 0x32d153ff);
  assert.equal(xxhash32(Buffer.from('Nobody inspects the spammish repetition')), 0xe2293b2f);
  const data = Buffer.from('0123456789abcdefXYZ');
  assert.equal(xxhash32(Buffer.concat([Buffer.from('pre'), data]), 3), xxhash32(data));
});

test('round trip, every codec, random data', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 3000 }), fc.constantFrom(...codecs), (bytes, codec) => {
      const input = Buffer.from(bytes);
      const packed = compress(codec, input);
      assert.deepEqual(decompress(codec, packed, { maxOutputBytes: input.length }), input);
    }),
    { numRuns: 300 },
  );
});

test('round trip of inputs larger than one block', async () => {
  const input = Buffer.alloc(600_000);
  for (let i = 0; i < input.length; i++) input[i] = (i * 31 + (i >> 9)) & 0xff;
  for (const codec of real) {
    const packed = compress(codec, input);
    assert.ok(decompress(codec, packed, { maxOutputBytes: input.length }).equals(input), compressionName(codec));
    const packedAsync = await compressAsync(codec, input);
    assert.ok((await decompressAsync(codec, packedAsync, { maxOutputBytes: input.length })).equals(input));
  }
});

test('output is bounded: one byte over the limit fails as too_large', async () => {
  const input = Buffer.alloc(1_000_000, 7);
  for (const codec of codecs) {
    const packed = compress(codec, input);
    assert.equal(fault(() => decompress(codec, packed, { maxOutputBytes: input.length })), 'ok');
    assert.equal(fault(() => decompress(codec, packed, { maxOutputBytes: input.length - 1 })), 'too_large', compressionName(codec));
    assert.equal(fault(() => decompress(codec, packed, { maxOutputBytes: 1000 })), 'too_large', compressionName(codec));
  }
  await assert.rejects(decompressAsync(CompressionCodec.gzip, compress(CompressionCodec.gzip, input), { maxOutputBytes: 10 }), DecompressionError);
});

test('garbage and truncated input only ever throw DecodeError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.constantFrom(...real), (bytes, codec) => {
      fault(() => decompress(codec, Buffer.from(bytes), { maxOutputBytes: 1 << 20 }));
    }),
    { numRuns: 400 },
  );
  const input = Buffer.from('a fairly compressible string, a fairly compressible string'.repeat(50));
  for (const codec of real) {
    const packed = compress(codec, input);
    for (let cut = 0; cut < packed.length; cut += Math.max(1, packed.length >> 5)) {
      const result = fault(() => decompress(codec, packed.subarray(0, cut), { maxOutputBytes: 1 << 20 }));
      assert.notEqual(result, 'ok', `${compressionName(codec)} cut at ${cut}`);
    }
    for (let i = 0; i < packed.length; i++) {
      const bent = Buffer.from(packed);
      bent[i]! ^= 0xff;
      fault(() => decompress(codec, bent, { maxOutputBytes: 1 << 20 }));
    }
  }
});

test('snappy: xerial on write, both raw and xerial on read', () => {
  const input = Buffer.from('snappy snappy snappy '.repeat(4000));
  const framed = compress(CompressionCodec.snappy, input);
  assert.ok(isXerialFramed(framed));
  assert.equal(framed.readInt32BE(8), 1);
  assert.equal(framed.readInt32BE(12), 1);
  const raw = compress(CompressionCodec.snappy, input, { snappyFraming: 'raw' });
  assert.ok(!isXerialFramed(raw));
  assert.ok(decompress(CompressionCodec.snappy, raw, { maxOutputBytes: input.length }).equals(input));
  // A hand-made xerial stream with blocks of uneven size, as another writer might cut them.
  const a = input.subarray(0, 1000);
  const b = input.subarray(1000);
  const parts = [framed.subarray(0, 16)];
  for (const block of [snappyRawCompress(a), snappyRawCompress(b)]) {
    const length = Buffer.alloc(4);
    length.writeInt32BE(block.length);
    parts.push(length, block);
  }
  assert.ok(decompress(CompressionCodec.snappy, Buffer.concat(parts), { maxOutputBytes: input.length }).equals(input));
  // Only the header: an empty payload.
  assert.equal(decompress(CompressionCodec.snappy, framed.subarray(0, 16), { maxOutputBytes: 0 }).length, 0);
  const lying = Buffer.concat([framed.subarray(0, 16), Buffer.from([0x7f, 0, 0, 0, 1])]);
  assert.equal(fault(() => decompress(CompressionCodec.snappy, lying, { maxOutputBytes: 100 })), 'corrupt');
});

test('lz4: frames from the lz4 command line (linked blocks, block checksums, content size)', () => {
  // `lz4 -B4 -BD -BX --content-size` over the text below.
  const frame = Buffer.from('BCJNGFxAQA0DAAAAAADcsAIAAJNyZWNvcmQtMCAJABQxCQAUMgkAFDMJABQ0CQAUNQkAFDYJABQ3CQAUOAkAFDkJABYxWwAFXAAVMV0AFTFeABUxXwAVMWAAFTFhABUxYgAVMWMAFTFkABUyZAAVMmQAFTJkABUyZAAVMmQAFTJkABUyZAAVMmQAFTJkABUyZAAVM2QAFTNkABUzZAAVM2QAFTNkABUzZAAVM2QAFTNkABUzZAAVM2QAFTRkACQ0MUABFTRkABU0ZAAVNGQAFTRkABU0ZAAVNGQAFTRkABU0ZAAVNWQAFTVkABU1ZAAVNWQAFTVkABU1ZAAVNWQAFTVkABU1ZAAVNWQAFTZkABU2ZAAVNmQAFTZkABU2ZAAVNmQAFTZkABU2ZAAVNmQAFTZkABU3ZAAVN2QAFTdkABU3ZAAVN2QAFTdkABU3ZAAVN2QAFTdkABU3ZAAVOGQAFThkABU4ZAAVOGQAFThkABU4ZAAVOGQAFThkABU4ZAAVOGQAFTlkABU59AEVOWQAFTlkABU5ZAAVOWQAFTlkAAVFAAVEAAVDAAVCAAVBAAVAAAU/AAaiAAWDAAQJAA/AA////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////8NQZWNvcmSfK1VgCgEAAA8A///////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////oUDUxIHJlPDS1oYoCAACiY29yZC01MiByZQoAFTMKABU0CgAVNQoAFTYKABU3CgAVOAoAFDkKACU2MAoAFTEKAAVkABU2ZAAVNmQAFTZkABU2ZAAVNmQAFTZkABU2ZAAVN2QAFTdkABU3ZAAVN2QAFTdkABU3ZAAVN2QAFTdkABU3ZAAVN2QAFThkABU4ZAAVOGQAFThkABU4ZAAVOGQAFThkABU4ZAAVOGQAFThkABU5ZAAVOSwBFTlkABU5ZAAVOWQAFTlkABU5ZAAFRQAFRAAFQwAFQgAFQQAFQAAFPwAGogAFgwAECQAWMVsABVwAFTFdABUxXgAVMV8AFTFgABUxYQAVMWIAFTEEARUxBAEVMmQAFTJkABUyZAAVMmQAFTJkABUyZAAVMmQAFTJkABUyZAAVMmQAFTNkABUzZAAVM2QAFTNkABUzZAAVM2QAFTNkABUzZAAVM2QAFTNkABU0ZAAkNDFAARU0ZAAVNGQAFTRkABU0ZAAVNGQAFTRkABU0ZAAVNGQAFTVkABU1ZAAPwAP/////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////////IFBvcmQtNzt/cC8bAAAAFDeo/A8A//////////////////8sUGQtMzIgNGdwCQAAAAB+EdT7', 'base64');
  let text = '';
  for (let i = 0; text.length < 200000; i++) text += `record-${i % 97} `;
  const out = decompress(CompressionCodec.lz4, frame, { maxOutputBytes: 1 << 20 });
  assert.equal(out.toString(), text);
  assert.equal(fault(() => decompress(CompressionCodec.lz4, frame, { maxOutputBytes: 1000 })), 'too_large');
  const bent = Buffer.from(frame);
  bent[frame.length - 10]! ^= 1;
  assert.equal(fault(() => decompress(CompressionCodec.lz4, bent, { maxOutputBytes: 1 << 20 })), 'corrupt');
});

test('lz4: linked blocks built here, uncompressed blocks, content checksum', () => {
  const first = Buffer.from('abcdefgh'.repeat(100));
  const second = Buffer.from('abcdefgh'.repeat(50) + 'tail');
  const stored = Buffer.from('stored as is');
  const blockOf = (data: Buffer, dict?: Buffer): Buffer => lz4BlockCompress(data, dict).subarray(4);
  const b1 = blockOf(first);
  const b2 = blockOf(second, first);
  const flg = 0x40 | 0x04; // version 01, linked blocks, content checksum
  const bd = 0x40;
  const header = Buffer.from([0x04, 0x22, 0x4d, 0x18, flg, bd, 0]);
  header[6] = (xxhash32(header, 4, 6) >>> 8) & 0xff;
  const size = (n: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n >>> 0);
    return b;
  };
  const whole = Buffer.concat([first, second, stored]);
  const checksum = size(xxhash32(whole));
  const frame = Buffer.concat([header, size(b1.length), b1, size(b2.length), b2, size(0x80000000 | stored.length), stored, size(0), checksum]);
  assert.ok(decompress(CompressionCodec.lz4, frame, { maxOutputBytes: whole.length }).equals(whole));
  const badSum = Buffer.from(frame);
  badSum[badSum.length - 1]! ^= 1;
  assert.equal(fault(() => decompress(CompressionCodec.lz4, badSum, { maxOutputBytes: whole.length })), 'corrupt');
  // Two frames back to back decode as their concatenation.
  const two = Buffer.concat([compress(CompressionCodec.lz4, first), compress(CompressionCodec.lz4, second)]);
  assert.ok(decompress(CompressionCodec.lz4, two, { maxOutputBytes: 1 << 20 }).equals(Buffer.concat([first, second])));
});

test('lz4: the KAFKA-3160 header checksum is written on request and read only when allowed', () => {
  const input = Buffer.from('old kafka clients '.repeat(100));
  const modern = compress(CompressionCodec.lz4, input);
  const legacy = compress(CompressionCodec.lz4, input, { lz4LegacyHeaderChecksum: true });
  assert.notEqual(modern[6], legacy[6]);
  assert.equal(legacy[6], (xxhash32(legacy, 0, 6) >>> 8) & 0xff);
  const limit = { maxOutputBytes: input.length };
  assert.equal(fault(() => decompress(CompressionCodec.lz4, legacy, limit)), 'corrupt');
  assert.ok(decompress(CompressionCodec.lz4, legacy, { ...limit, lz4AcceptLegacyHeaderChecksum: true }).equals(input));
  assert.ok(decompress(CompressionCodec.lz4, modern, { ...limit, lz4AcceptLegacyHeaderChecksum: true }).equals(input));
  // Frame header as Java's producer writes it: independent 64 KiB blocks, no checksums.
  assert.equal(modern[4]! & 0xfc, 0x60);
});

test('gzip: concatenated members decode as one stream', () => {
  const both = Buffer.concat([gzipSync(Buffer.from('one ')), gzipSync(Buffer.from('two'))]);
  assert.equal(decompress(CompressionCodec.gzip, both, { maxOutputBytes: 7 }).toString(), 'one two');
});

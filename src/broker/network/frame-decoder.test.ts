import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FrameDecoder, FrameError } from './frame-decoder.js';

function framed(body: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length, 0);
  return Buffer.concat([size, body]);
}

test('frames come out whole however the stream is split', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }), fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1 }), (bodies, cuts) => {
      const stream = Buffer.concat(bodies.map((b) => framed(Buffer.from(b))));
      const decoder = new FrameDecoder(1000);
      const out: Buffer[] = [];
      let at = 0;
      let i = 0;
      while (at < stream.length) {
        const n = cuts[i++ % cuts.length]!;
        decoder.push(stream.subarray(at, at + n));
        at += n;
        for (let f = decoder.next(); f !== null; f = decoder.next()) out.push(Buffer.from(f));
      }
      assert.deepEqual(out.map((b) => b.toString('hex')), bodies.map((b) => Buffer.from(b).toString('hex')));
      assert.equal(decoder.buffered, 0);
    }),
  );
});

test('a size over the limit or negative is refused as soon as its four bytes arrive', () => {
  const decoder = new FrameDecoder(100);
  assert.throws(() => decoder.push(Buffer.from([0x7f, 0xff, 0xff, 0xff])), FrameError);
  const split = new FrameDecoder(100);
  split.push(Buffer.from([0, 0]));
  assert.throws(() => split.push(Buffer.from([0, 101])), FrameError);
  assert.throws(() => new FrameDecoder(100).push(Buffer.from([0xff, 0xff, 0xff, 0xfb])), FrameError);
  // The limit itself is allowed.
  const edge = new FrameDecoder(100);
  edge.push(framed(Buffer.alloc(100)));
  assert.equal(edge.next()?.length, 100);
});

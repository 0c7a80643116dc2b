// Property: for every message in the schema (all API requests and responses,
// headers, metadata and coordinator records) and every valid version,
// encode → decode returns the same values and re-encoding gives the same bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Reader } from './primitives/reader.js';
import { Writer } from './primitives/writer.js';
import { allMessageVersions, loadSchemaMessages, messageArbitrary, presentFieldsOf } from './testing/schema-arbitrary.js';

const RUNS_PER_VERSION = Number(process.env.SAMSA_PROPERTY_RUNS ?? 12);

const messages = loadSchemaMessages();
const folders = [...new Set(messages.map((m) => m.folder))];

for (const folder of folders) {
  test(`encode → decode is identity for every ${folder} message at every version`, () => {
    const pairs = allMessageVersions(messages.filter((m) => m.folder === folder));
    for (const { loaded, version } of pairs) {
      fc.assert(
        fc.property(messageArbitrary(loaded.message, version), (value) => {
          const bytes = loaded.encode(new Writer(), version, value).toBuffer();
          const reader = new Reader(bytes);
          const decoded = loaded.decode(reader, version);
          assert.equal(reader.remaining, 0, `${loaded.message.name} v${version}: bytes left over`);
          assert.deepStrictEqual(
            presentFieldsOf(loaded.message.fields, version, decoded),
            presentFieldsOf(loaded.message.fields, version, value),
            `${loaded.message.name} v${version}`,
          );
          const again = loaded.encode(new Writer(), version, decoded).toBuffer();
          assert.ok(again.equals(bytes), `${loaded.message.name} v${version}: re-encoding differs`);
        }),
        { numRuns: RUNS_PER_VERSION },
      );
    }
  });
}

test('every API key in the schema has a request and a response codec covering its versions', () => {
  const requests = messages.filter((m) => m.message.kind === 'request');
  assert.ok(requests.length >= 80, `only ${requests.length} request definitions`);
  for (const { message } of requests) {
    const response = messages.find((m) => m.message.name === message.name.replace(/Request$/, 'Response'));
    assert.ok(response, `${message.name} has no response`);
    assert.deepEqual(response.message.versions, message.versions, `${message.name} request/response version ranges differ`);
  }
});

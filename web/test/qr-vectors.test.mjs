// The test vectors of docs/qr-format.md, checked with node's WebCrypto by the
// check page's own verifier (web/src/js/qrcheck.js, written from that page): the
// vectors are read from the page and nothing else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repo } from './harness.mjs';
import { verifyScanned } from '../src/js/qrcheck.js';

function vectors() {
  const doc = readFileSync(join(repo, 'docs', 'qr-format.md'), 'utf8');
  const m = /```json test-vectors\n([\s\S]*?)\n```/.exec(doc);
  assert.ok(m, 'docs/qr-format.md has a test-vectors block');
  return JSON.parse(m[1]);
}

test('every vector of docs/qr-format.md gets its verdict from WebCrypto', async (t) => {
  const { base, jwks, vectors: list } = vectors();
  assert.ok(list.length >= 10, `only ${list.length} vectors`);
  for (const v of list) {
    await t.test(v.name, async () => {
      const got = await verifyScanned(v.input, jwks, base);
      // A format 1 vector has no serial, nor has its verdict.
      const serial = v.serial === undefined ? {} : { serial: v.serial };
      const want = v.valid
        ? { valid: true, venueId: v.venueId, ...serial, businessName: v.businessName }
        : { valid: false, reason: v.reason };
      assert.deepEqual(got, want);
    });
  }
});

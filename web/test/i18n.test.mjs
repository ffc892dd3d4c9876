// The dictionaries without a browser: both languages have the same keys, each
// key is used by a page or a script, and every {placeholder} of a text is in its
// translation too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import ms from '../src/js/i18n/ms.js';
import en from '../src/js/i18n/en.js';

const src = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');

// Keys a script builds from a prefix and a value it got (an API error code, a
// form field, a channel, a kind of contact, an inbound source, a check verdict);
// any key under them counts as used.
const built = ['error.', 'field.', 'code.channel.', 'check.reason.', 'inbound.button.', 'inbound.offer.', 'message.send.', 'message.to.'];

function sources(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return p.endsWith(join('js', 'i18n')) ? [] : sources(p);
    return /\.(html|js)$/.test(e.name) ? [readFileSync(p, 'utf8')] : [];
  }).join('\n');
}

test('both languages have the same keys', () => {
  const missing = (a, b) => Object.keys(a).filter((k) => !(k in b));
  assert.deepEqual(missing(ms, en), [], 'keys in Malay, not in English');
  assert.deepEqual(missing(en, ms), [], 'keys in English, not in Malay');
});

test('every key is used', () => {
  const text = sources(src);
  const unused = Object.keys(ms).filter((k) => !text.includes(`'${k}'`) && !text.includes(`"${k}"`)
    && !text.includes(`:${k}`) && !built.some((p) => k.startsWith(p)));
  assert.deepEqual(unused, [], 'keys no page or script uses');
});

test('translations keep their placeholders', () => {
  const names = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
  for (const k of Object.keys(ms)) {
    if (k in en) assert.deepEqual(names(ms[k]), names(en[k]), `placeholders of ${k}`);
  }
});

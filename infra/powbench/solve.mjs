// Solves ALTCHA challenges the way the browser widget does, with Web Crypto's
// SHA-256, to measure what proof of work costs a real client. Reads a JSON array
// of challenges on stdin; writes a JSON array of {"payload", "number", "ms"}.
import { stdin } from 'node:process';

const chunks = [];
for await (const c of stdin) chunks.push(c);
const challenges = JSON.parse(Buffer.concat(chunks).toString());
const enc = new TextEncoder();
const hex = (buf) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');

const results = [];
for (const ch of challenges) {
  const t0 = performance.now();
  let found = -1;
  for (let n = 0; n <= ch.maxnumber; n++) {
    if (hex(await crypto.subtle.digest('SHA-256', enc.encode(ch.salt + n))) === ch.challenge) {
      found = n;
      break;
    }
  }
  const ms = performance.now() - t0;
  const payload = Buffer.from(JSON.stringify({
    algorithm: ch.algorithm, challenge: ch.challenge, number: found, salt: ch.salt, signature: ch.signature,
  })).toString('base64');
  results.push({ payload, number: found, ms });
}
process.stdout.write(JSON.stringify(results));

// Builds web/dist, the folder that is served (by the local stack at / and, in AWS,
// from the site bucket): the site from src/ plus the ALTCHA widget copied from
// node_modules (the "external" build: no inline workers or styles, so the pages
// keep a strict CSP), with its licence. No bundler: the pages are ES modules.
import { cpSync, mkdirSync, rmSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'dist');
const altcha = join(here, 'node_modules', 'altcha');
if (!existsSync(altcha)) {
  console.error('web/node_modules/altcha is missing: run npm ci in web/ first (make web does)');
  process.exit(1);
}
const version = JSON.parse(readFileSync(join(altcha, 'package.json'), 'utf8')).version;

rmSync(out, { recursive: true, force: true });
cpSync(join(here, 'src'), out, { recursive: true });
const vendor = join(out, 'vendor', 'altcha');
mkdirSync(vendor, { recursive: true });
for (const [from, to] of [
  ['dist/external/altcha.min.js', 'altcha.js'],
  ['dist/workers/sha.js', 'sha.js'],
  ['LICENSE.txt', 'LICENSE.txt'],
]) cpSync(join(altcha, from), join(vendor, to));
writeFileSync(join(vendor, 'VERSION'), `altcha ${version} (MIT), copied from npm by web/build.mjs\n`);
console.log(`web/dist built (altcha ${version})`);

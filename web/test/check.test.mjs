// The check page a phone camera opens from a venue's QR code: genuine for a real
// poster, not genuine for an altered name, and the same without internet once
// the page has been opened once. The QR code is read from the PNG the API
// serves (jsQR in the browser, as a camera would), not taken from the API's JSON.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { startStack, launch, phone, shot, codeFor } from './harness.mjs';

const jsQR = readFileSync(createRequire(import.meta.url).resolve('jsqr'), 'utf8');
const name = 'Restoran 大大海鲜楼';
let stack;
let browser;

before(async () => {
  stack = await startStack();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  if (!stack?.stopped) await stack?.stop();
});

async function api(path, { method = 'GET', body, token, accept = 'application/json' } = {}) {
  const headers = { 'X-Forwarded-For': '203.0.113.77', Accept: accept };
  if (body) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  const resp = await fetch(stack.url + path, { method, headers, body: body && JSON.stringify(body) });
  assert.ok(resp.ok, `${method} ${path}: ${resp.status} ${await resp.clone().text()}`);
  return resp;
}

// venuePNG registers a venue through the API and answers its default QR PNG.
async function venuePNG() {
  const reg = await (await api('/v1/registrations', {
    method: 'POST', body: { businessName: name, address: '12 Jalan Ampang, 50450 Kuala Lumpur', phone: '012-777 1234' },
  })).json();
  const { code } = await codeFor(stack.url, '+60127771234');
  const v = await (await api(`/v1/registrations/${reg.registrationId}/verify`, { method: 'POST', body: { code } })).json();
  const png = await api(`/v1/venues/${v.venueId}/qr?format=png`, { token: v.accessToken, accept: 'image/png' });
  return Buffer.from(await png.arrayBuffer());
}

// scan reads the QR code in a PNG the way a camera app does: from its pixels.
async function scan(png) {
  const context = await browser.newContext({ bypassCSP: true });
  const page = await context.newPage();
  await page.setContent('<canvas></canvas>');
  await page.addScriptTag({ content: jsQR });
  const text = await page.evaluate(async (src) => {
    const img = new Image();
    img.src = src;
    await img.decode();
    const c = document.querySelector('canvas');
    c.width = img.width;
    c.height = img.height;
    const g = c.getContext('2d');
    g.drawImage(img, 0, 0);
    const code = window.jsQR(g.getImageData(0, 0, c.width, c.height).data, c.width, c.height);
    return code && new TextDecoder().decode(new Uint8Array(code.binaryData));
  }, `data:image/png;base64,${png.toString('base64')}`);
  await context.close();
  return text;
}

async function verdict(page) {
  const box = page.locator('#verdict:not([data-state=checking])');
  await box.waitFor();
  return {
    state: await box.getAttribute('data-state'),
    text: await page.locator('#verdict-text').textContent(),
    name: await page.locator('#verdict-name').textContent(),
  };
}

test('a poster\'s QR code opens the check page, which tells a real code from an altered one, also offline', async () => {
  const url = await scan(await venuePNG());
  assert.ok(url && url.startsWith(`${stack.url}/c.html#CKR2:`), `the code holds ${url}`);
  assert.ok(url.includes(name.replace(' ', '+')), `the URL carries the name as it is: ${url}`);
  // An altered poster: the same signed code with another name in it.
  const altered = url.replace('大大海鲜楼', '大大海鮮樓');
  assert.notEqual(altered, url);

  const { context, page, problems } = await phone(browser, '203.0.113.78');
  await page.goto(url);
  let v = await verdict(page);
  assert.deepEqual(v, { state: 'genuine', text: 'Tulen', name });
  await shot(page, 'check-genuine-ms');
  await page.locator('#lang-switch').click();
  assert.equal(await page.locator('#verdict-text').textContent(), 'Genuine');
  await shot(page, 'check-genuine-en');

  await page.goto('about:blank');
  await page.goto(altered);
  v = await verdict(page);
  assert.equal(v.state, 'not-genuine');
  assert.equal(v.text, 'Not genuine — do not trust this poster'); // English was chosen above
  assert.equal(v.name, '', 'an altered code shows no name as if it were genuine');
  await shot(page, 'check-altered-en');

  // Without internet: the service worker serves the page, localStorage the keys.
  assert.equal(await page.evaluate(() => Promise.race([
    navigator.serviceWorker.ready.then(() => true),
    new Promise((ok) => { setTimeout(() => ok(false), 10_000); }),
  ])), true, 'the page installed its service worker');
  await context.setOffline(true);
  assert.equal(await page.evaluate(() => fetch('/v1/keys', { cache: 'no-store' }).then(() => 'online', () => 'offline')), 'offline');
  for (const [u, state] of [[url, 'genuine'], [altered, 'not-genuine']]) {
    await page.goto('about:blank');
    await page.goto(u);
    v = await verdict(page);
    assert.equal(v.state, state, `offline ${u}`);
    assert.equal(await page.evaluate(() => Boolean(navigator.serviceWorker.controller)), true, 'the service worker served the page');
    assert.equal(await page.locator('#verdict-offline').isVisible(), true, 'the page says it checked offline');
  }
  await page.evaluate(() => localStorage.setItem('lang', 'ms'));
  await page.goto('about:blank');
  await page.goto(altered);
  assert.equal((await verdict(page)).text, 'Tidak tulen — jangan percaya poster ini');
  await shot(page, 'check-altered-offline-ms');
  assert.deepEqual(problems.filter((p) => !/ERR_INTERNET_DISCONNECTED|ERR_CONNECTION_REFUSED|Failed to fetch/.test(p)), []);
  await context.close();
});

// Browser tests of the registration site against the local stack, on a 360x740
// phone viewport in Debian's chromium. Screenshots go to test-artifacts/web/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startStack, launch, phone, shot, codeFor, outboxCount, artifacts, resendWait, inboundMessage as sendInbound, refusedWithOffer } from './harness.mjs';

let stack;
let browser;

before(async () => {
  stack = await startStack();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await stack?.stop();
});

// Each test poses as its own client IP so that per-IP limits never couple tests.
// Each test poses as a client in a network of its own (198.18.0.0/15, for
// benchmarking), since a network's unverified codes raise what it must prove.
let ipSeq = 10;
const nextIP = () => `198.18.${ipSeq++}.10`;

async function open(ip, path = '/') {
  const p = await phone(browser, ip);
  await p.page.goto(stack.url + path);
  return p;
}

async function noSideScroll(page) {
  const w = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(w <= 360, `page is ${w}px wide on a 360px screen`);
}

async function fillRegistration(page, { name, address, phone: tel, email }) {
  await page.locator('#businessName').fill(name);
  await page.locator('#address').fill(address);
  if (email) {
    await page.locator('input[name=contact][value=email]').check();
    await page.locator('#email').fill(email);
  } else {
    await page.locator('#phone').fill(tel);
  }
}

async function saveDownload(page, button, name) {
  const [dl] = await Promise.all([page.waitForEvent('download'), button.click()]);
  const file = join(artifacts, `${name}-${dl.suggestedFilename()}`);
  await dl.saveAs(file);
  return { file, name: dl.suggestedFilename(), bytes: readFileSync(file) };
}

const text = {
  ms: {
    register: 'Daftar premis anda', code: 'Masukkan kod', result: 'Premis anda telah didaftarkan',
    submit: 'Hantar kod', verify: 'Sahkan', poster: 'Muat turun poster untuk dicetak (PDF)',
    png: 'Muat turun QR (PNG)', svg: 'Muat turun QR (SVG)', downloaded: /telah dimuat turun/,
  },
  en: {
    register: 'Register your venue', code: 'Enter the code', result: 'Your venue is registered',
    submit: 'Send code', verify: 'Confirm', poster: 'Download poster to print (PDF)',
    png: 'Download QR (PNG)', svg: 'Download QR (SVG)', downloaded: /was downloaded/,
  },
};

async function fullFlow(t, lang, who) {
  const L = text[lang];
  const { context, page, problems } = await open(nextIP());
  try {
    if (lang === 'en') await page.getByRole('button', { name: 'English' }).click();
    await assert.doesNotReject(page.getByRole('heading', { level: 1, name: L.register }).waitFor());
    assert.equal(await page.getAttribute('html', 'lang'), lang);
    await fillRegistration(page, who);
    await noSideScroll(page);
    await shot(page, `${lang}-1-register`);
    await page.getByRole('button', { name: L.submit }).click();

    await page.waitForURL('**/code.html');
    await page.getByRole('heading', { level: 1, name: L.code }).waitFor();
    const masked = await page.locator('#sent-to').textContent();
    assert.match(masked, who.email ? /•/ : /\+60•+\d{4}/, 'the page names the masked destination');
    assert.match(await page.locator('#resend').textContent(), lang === 'ms' ? /Hantar kod baharu dalam \d:\d\d/ : /Send a new code in \d:\d\d/);
    assert.ok(await page.locator('#resend').isDisabled(), 'resend waits for its countdown');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'code', 'focus starts in the code box');
    const { code } = await codeFor(stack.url, who.to);
    await page.locator('#code').fill(code);
    await noSideScroll(page);
    await shot(page, `${lang}-2-code`);
    await page.getByRole('button', { name: L.verify, exact: true }).click();

    await page.waitForURL('**/result.html');
    await page.getByRole('heading', { level: 1, name: L.result }).waitFor();
    assert.equal(await page.locator('#venue-name').textContent(), who.name);
    assert.match(await page.locator('#venue-id').textContent(), /\S{8,}/);
    const img = page.locator('#qr');
    await Promise.race([img.waitFor({ state: 'visible' }), page.locator('#status[data-kind=error]').waitFor()]);
    await shot(page, `${lang}-3-result`);
    assert.ok(await img.isVisible(), `the QR preview is shown, not: ${await page.locator('#status').textContent()}`);
    assert.ok(await img.evaluate((el) => el.complete && el.naturalWidth > 0), 'the QR preview shows an image');
    assert.equal(await img.getAttribute('alt'), lang === 'ms' ? `Kod QR untuk ${who.name}` : `QR code for ${who.name}`);
    await noSideScroll(page);

    const poster = await saveDownload(page, page.getByRole('button', { name: L.poster }), lang);
    assert.match(poster.name, /\.pdf$/);
    assert.equal(poster.bytes.subarray(0, 5).toString(), '%PDF-', 'the poster is a PDF');
    await assert.doesNotReject(page.locator('#status', { hasText: L.downloaded }).waitFor());
    const png = await saveDownload(page, page.getByRole('button', { name: L.png }), lang);
    assert.deepEqual([...png.bytes.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], 'the PNG is a PNG');
    const svg = await saveDownload(page, page.getByRole('button', { name: L.svg }), lang);
    assert.match(svg.bytes.toString('utf8'), /<svg[\s>]/, 'the SVG is an SVG');
    await shot(page, `${lang}-4-downloaded`);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
}

test('a new venue registers and downloads its poster, in Malay', (t) =>
  fullFlow(t, 'ms', { name: 'Kedai Runcit Ali', address: '12 Jalan Ampang, 50450 Kuala Lumpur', phone: '012-345 6789', to: '+60123456789' }));

test('a new venue registers and downloads its poster, in English', (t) =>
  fullFlow(t, 'en', { name: 'Ah Meng Kopitiam', address: '8 Lorong Kulit, 10460 George Town', email: 'ahmeng@example.com.my', to: 'ahmeng@example.com.my' }));

test('the language switch translates the page, its messages, and the next pages', async () => {
  const { context, page, problems } = await open(nextIP());
  try {
    assert.equal(await page.getAttribute('html', 'lang'), 'ms');
    await page.getByRole('button', { name: 'Hantar kod' }).click();
    const err = page.locator('#businessName-error');
    await assert.doesNotReject(err.waitFor());
    assert.equal(await err.textContent(), 'Masukkan nama perniagaan, 2 hingga 100 aksara.');
    assert.equal(await page.locator('#businessName').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'businessName', 'focus goes to the first wrong field');
    await shot(page, 'lang-1-ms-errors');

    await page.getByRole('button', { name: 'English' }).click();
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    assert.equal(await page.locator('h1').textContent(), 'Register your venue');
    assert.equal(await err.textContent(), 'Enter the business name, 2 to 100 characters.');
    assert.match(await page.locator('#status').textContent(), /^Please correct \d error/);
    assert.match(await page.title(), /^Register your venue · /);
    await shot(page, 'lang-2-en-errors');

    await page.getByRole('link', { name: 'Help' }).click();
    await page.waitForURL('**/help.html');
    assert.equal(await page.locator('h1').textContent(), 'Helpdesk', 'the choice holds on the next page');
    await page.getByRole('button', { name: 'Bahasa Melayu' }).click();
    assert.equal(await page.locator('h1').textContent(), 'Meja bantuan');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('the register page works from the keyboard in a sensible order', async () => {
  const { context, page } = await open(nextIP());
  try {
    const order = [];
    for (let i = 0; i < 8; i++) {
      await page.keyboard.press('Tab');
      order.push(await page.evaluate(() => {
        const el = document.activeElement;
        return el.id || el.getAttribute('class') || (el.name ? `${el.name}=${el.value}` : el.tagName);
      }));
    }
    assert.deepEqual(order, ['skip', 'brand', 'lang-switch', 'businessName', 'address', 'contact=phone', 'phone', 'primary']);
    // Arrow keys move between the radio buttons and show the e-mail field.
    await page.locator('input[value=phone]').focus();
    await page.keyboard.press('ArrowRight');
    assert.ok(await page.locator('#email').isVisible());
    assert.ok(!(await page.locator('#phone').isVisible()));
    // Every input has a label.
    for (const id of ['businessName', 'address', 'email']) {
      assert.equal(await page.locator(`label[for=${id}]`).count(), 1, `${id} has a label`);
    }
  } finally {
    await context.close();
  }
});

const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

async function apiRegister(body, ip = nextIP()) {
  const r = await fetch(`${stack.url}/v1/registrations`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Forwarded-For': ip },
    body: JSON.stringify(body),
  });
  return { status: r.status, body: await r.json() };
}

test('a rate limit is explained with its wait, in the chosen language', async () => {
  const who = { businessName: 'Restoran Seri Melur', address: '3 Jalan Tun Razak, 50400 Kuala Lumpur', phone: '013-222 3344' };
  // A number gets at most 3 codes in 24 hours (one per cooldown): use them up.
  for (let i = 0; i < 3; i++) {
    if (i > 0) await sleep(resendWait * 1000 + 200);
    const r = await apiRegister(who);
    assert.equal(r.status, 202, `send ${i}: status=${r.status}, want 202`);
  }
  await sleep(resendWait * 1000 + 200);
  const { context, page } = await open(nextIP());
  try {
    await fillRegistration(page, { name: who.businessName, address: who.address, phone: who.phone });
    await page.getByRole('button', { name: 'Hantar kod' }).click();
    const status = page.locator('#status[data-kind=error]');
    await status.waitFor();
    assert.match(await status.textContent(), /^Terlalu banyak permintaan\. Sila cuba lagi dalam (2[34] jam)\.$/);
    assert.equal(new URL(page.url()).pathname, '/', 'the page stays on the form');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'status', 'focus moves to the message');
    await noSideScroll(page);
    await shot(page, 'rate-limited-ms');
    await page.getByRole('button', { name: 'English' }).click();
    assert.match(await status.textContent(), /^Too many requests\. Please try again in 2[34] hours\.$/);
    await shot(page, 'rate-limited-en');
  } finally {
    await context.close();
  }
});

test('a new code can be asked for once the countdown ends, and it works', async () => {
  const { context, page, problems } = await open(nextIP());
  try {
    await page.getByRole('button', { name: 'English' }).click();
    await fillRegistration(page, { name: 'Bengkel Motor Ah Seng', address: '22 Jalan Pasar, 30000 Ipoh', phone: '017-808 9090' });
    await page.getByRole('button', { name: 'Send code' }).click();
    await page.waitForURL('**/code.html');
    const first = await codeFor(stack.url, '+60178089090');
    const resend = page.getByRole('button', { name: /^Send a new code/ });
    assert.ok(await resend.isDisabled());
    await assert.doesNotReject(page.getByRole('button', { name: 'Send a new code', exact: true }).waitFor({ timeout: (resendWait + 5) * 1000 }));
    assert.ok(await resend.isEnabled(), 'the countdown ended');
    assert.equal(await page.locator('#resend-ready').textContent(), 'You can ask for a new code now.');
    await resend.click();
    await assert.doesNotReject(page.locator('#status[data-kind=success]').waitFor());
    assert.match(await page.locator('#status').textContent(), /^A new code was sent to \+60•+9090\.$/);
    assert.match(await resend.textContent(), /^Send a new code in \d:\d\d$/, 'the countdown starts again, longer');
    await shot(page, 'resend-en');
    const second = await codeFor(stack.url, '+60178089090', { after: first.count });
    await page.locator('#code').fill(second.code);
    await page.getByRole('button', { name: 'Confirm', exact: true }).click();
    await page.waitForURL('**/result.html');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('proof of work is solved in the background only when the service asks', async () => {
  const ip = nextIP();
  // Three sending requests from this client use up its allowance without a challenge.
  for (let i = 0; i < 3; i++) {
    const r = await fetch(`${stack.url}/v1/registrations`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Forwarded-For': ip },
      body: JSON.stringify({ businessName: `Gerai ${i}`, address: 'Pasar Besar, 20000 Kuala Terengganu', phone: `019-555 000${i}` }),
    });
    assert.equal(r.status, 202, `warm-up request ${i}: status=${r.status}, want 202`);
  }
  const { context, page, problems } = await open(ip);
  try {
    const posts = [];
    page.on('response', async (resp) => {
      if (resp.url().endsWith('/v1/registrations') && resp.request().method() === 'POST') {
        posts.push({ status: resp.status(), altcha: 'altcha' in JSON.parse(resp.request().postData()) });
      }
    });
    let challenges = 0;
    page.on('request', (req) => { if (req.url().endsWith('/v1/challenge')) challenges++; });
    await fillRegistration(page, { name: 'Gerai Pak Mat', address: 'Pasar Besar, 20000 Kuala Terengganu', phone: '019-555 1234' });
    await page.getByRole('button', { name: 'Hantar kod' }).click();
    await page.waitForURL('**/code.html', { timeout: 60_000 });
    assert.deepEqual(posts, [{ status: 428, altcha: false }, { status: 202, altcha: true }]);
    assert.equal(challenges, 1, 'one challenge fetched');
    await codeFor(stack.url, '+60195551234');
    assert.deepEqual(problems, [], 'no CSP violation or script error from the widget');
  } finally {
    await context.close();
  }
});

test('a wrong code and a refused number are explained', async () => {
  const { context, page } = await open(nextIP());
  try {
    await fillRegistration(page, { name: 'Kedai Gunting Rambut', address: '5 Jalan Besar, 71000 Port Dickson', phone: '03-2161 1234' });
    await page.getByRole('button', { name: 'Hantar kod' }).click();
    const status = page.locator('#status[data-kind=error]');
    await status.waitFor();
    assert.match(await status.textContent(), /Kami tidak boleh menghantar kod ke alamat ini/);
    assert.equal(await page.locator('#phone').getAttribute('aria-invalid'), 'true');
    await shot(page, 'refused-landline-ms');

    await page.locator('#phone').fill('016-777 8899');
    await page.getByRole('button', { name: 'Hantar kod' }).click();
    await page.waitForURL('**/code.html');
    const { code } = await codeFor(stack.url, '+60167778899');
    const wrong = code === '000000' ? '111111' : '000000';
    await page.locator('#code').fill(wrong);
    await page.getByRole('button', { name: 'Sahkan', exact: true }).click();
    await assert.doesNotReject(page.locator('#status', { hasText: 'Kod itu tidak betul' }).waitFor());
    assert.equal(await page.locator('#status').textContent(), 'Kod itu tidak betul. Tinggal 4 cubaan lagi.');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'code');
    assert.equal(await page.locator('#code').getAttribute('aria-invalid'), 'true');
    // The count comes from the service: a second wrong code leaves 3.
    await page.locator('#code').fill(wrong);
    await page.getByRole('button', { name: 'Sahkan', exact: true }).click();
    await assert.doesNotReject(page.locator('#status', { hasText: 'Tinggal 3' }).waitFor());
    await shot(page, 'wrong-code-ms');
  } finally {
    await context.close();
  }
});

test('the helpdesk takes a ticket', async () => {
  const { context, page, problems } = await open(nextIP(), '/help.html');
  try {
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByLabel('Your name').fill('Siti Aminah');
    await page.locator('#email').fill('siti@example.com.my');
    await page.getByLabel('Topic').selectOption('verification-code');
    await page.getByLabel('Message').fill('The code did not arrive on my phone after two tries.');
    assert.match(await page.locator('#message-count').textContent(), /^52 \/ 2000/);
    await noSideScroll(page);
    await shot(page, 'help-1-form');
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    const done = page.locator('#done');
    await done.waitFor();
    assert.match(await done.textContent(), /^Thank you\. Your reference number is \S+\. Please keep it\.$/);
    assert.ok(!(await page.locator('#help-form').isVisible()));
    await shot(page, 'help-2-done');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('the opt-out page stops messages to an address', async () => {
  const email = 'bukan.saya@example.com.my';
  const r = await fetch(`${stack.url}/v1/registrations`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Forwarded-For': nextIP() },
    body: JSON.stringify({ businessName: 'Not Me Sdn Bhd', address: '1 Jalan Tiada, 50000 Kuala Lumpur', email }),
  });
  assert.equal(r.status, 202);
  const { body } = await codeFor(stack.url, email);
  const token = new URL(body.match(/https?:\/\/\S+\/v1\/optout\?token=\S+/)[0]).searchParams.get('token');

  const { context, page, problems } = await open(nextIP(), `/optout.html?token=${encodeURIComponent(token)}`);
  try {
    await page.getByRole('heading', { name: 'Ini bukan saya' }).waitFor();
    await shot(page, 'optout-1');
    await page.getByRole('button', { name: 'Hentikan mesej' }).click();
    await assert.doesNotReject(page.locator('#status[data-kind=success]').waitFor());
    assert.equal(await page.locator('#status').textContent(), 'Selesai. Kami tidak akan menghantar mesej lagi ke alamat ini.');
    await shot(page, 'optout-2-done');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
  // The address now gets nothing (the service still answers 202, so it is no oracle).
  const before = await outboxCount(stack.url, email);
  const again = await fetch(`${stack.url}/v1/registrations`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Forwarded-For': nextIP() },
    body: JSON.stringify({ businessName: 'Not Me Sdn Bhd', address: '1 Jalan Tiada, 50000 Kuala Lumpur', email }),
  });
  assert.ok([202, 429].includes(again.status), `status=${again.status}`);
  await new Promise((ok) => setTimeout(ok, 500));
  assert.equal(await outboxCount(stack.url, email), before);
});

test('pages opened out of order say what to do instead', async () => {
  const { context, page, problems } = await open(nextIP(), '/code.html');
  try {
    const status = page.locator('#status[data-kind=error]');
    await status.waitFor();
    assert.match(await status.textContent(), /^Tiada pendaftaran sedang berjalan/);
    assert.ok(!(await page.locator('#code').isVisible()));
    await page.goto(`${stack.url}/result.html?lang=en`);
    await status.waitFor();
    assert.match(await status.textContent(), /^There is no verified venue in this window/);
    await page.goto(`${stack.url}/optout.html`);
    await status.waitFor();
    assert.equal(await status.textContent(), 'This link is incomplete. Open the full link from your e-mail.');
    assert.ok(!(await page.getByRole('button', { name: 'Stop messages' }).isVisible()));
    await page.goto(`${stack.url}/optout.html?token=forged`);
    await page.getByRole('button', { name: 'Stop messages' }).click();
    await status.waitFor();
    assert.equal(await status.textContent(), 'This link is invalid or has expired.');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

// Every error code of the contract, as the API sends it.
const contractErrors = [
  { code: 'invalid_request', status: 400, fields: { businessName: 'must be 2 to 100 characters' } },
  { code: 'unauthorized', status: 401 },
  { code: 'forbidden', status: 403 },
  { code: 'not_found', status: 404 },
  { code: 'code_expired', status: 410 },
  { code: 'payload_too_large', status: 413 },
  { code: 'unsupported_media_type', status: 415 },
  { code: 'destination_not_allowed', status: 422 },
  { code: 'invalid_code', status: 422, attemptsRemaining: 2 },
  { code: 'not_received', status: 409 },
  { code: 'challenge_required', status: 428 },
  { code: 'rate_limited', status: 429, retryAfterSeconds: 125 },
  { code: 'too_many_attempts', status: 429, retryAfterSeconds: 7200 },
  { code: 'temporarily_unavailable', status: 503, retryAfterSeconds: 30 },
  { code: 'internal', status: 500 },
];

test('every error code of the contract reads as its own sentence, in both languages', async () => {
  const { context, page } = await open(nextIP());
  try {
    const texts = await page.evaluate(async (errors) => {
      const { ApiError } = await import('/js/api.js');
      const { errorText } = await import('/js/ui.js');
      const { setLang } = await import('/js/i18n.js');
      const out = {};
      for (const lang of ['ms', 'en']) {
        setLang(lang);
        out[lang] = errors.map((e) => errorText(new ApiError(e.status, { ...e, message: 'server text' }, 'req-123')));
        out[lang].push(errorText(new ApiError(0)));
      }
      return out;
    }, contractErrors);
    for (const lang of ['ms', 'en']) {
      const t = texts[lang];
      assert.equal(new Set(t).size, t.length, `${lang}: every code has its own message: ${JSON.stringify(t)}`);
      for (const s of t) assert.doesNotMatch(s, /server text|error\.|\{/, `${lang}: ${s}`);
    }
    const byCode = (lang, code) => texts[lang][contractErrors.findIndex((e) => e.code === code)];
    assert.equal(byCode('ms', 'invalid_code'), 'Kod itu tidak betul. Tinggal 2 cubaan lagi.');
    assert.equal(byCode('en', 'invalid_code'), 'That code is not right. 2 attempts left.');
    assert.equal(byCode('ms', 'rate_limited'), 'Terlalu banyak permintaan. Sila cuba lagi dalam 3 minit.');
    assert.equal(byCode('en', 'too_many_attempts'), 'Too many wrong codes for this registration. Please start again in 2 hours.');
    assert.equal(byCode('en', 'temporarily_unavailable'), 'The service is temporarily unavailable. Please try again in 30 seconds.');
    assert.match(byCode('en', 'internal'), /Reference: req-123$/);
    assert.notEqual(byCode('ms', 'code_expired'), byCode('en', 'code_expired'));
  } finally {
    await context.close();
  }
});

const inboundMessage = (...args) => sendInbound(stack.url, ...args);

test('a business proves its phone by WhatsApp; nothing is sent to it and the page moves on by itself', async () => {
  const { context, page, problems } = await open(nextIP());
  try {
    await fillRegistration(page, { name: 'Warung Pak Din', address: '5 Jalan Sultan, 50000 Kuala Lumpur', phone: '014-777 1212' });
    await page.getByRole('button', { name: 'Hantar WhatsApp kepada kami sebagai ganti' }).click();
    await page.waitForURL('**/message.html');
    await page.getByRole('heading', { level: 1, name: 'Hantar mesej kepada kami' }).waitFor();
    const text = await page.locator('#message-text').textContent();
    assert.match(text, /^DAFTAR [A-Z2-9]{9}$/);
    const wa = page.locator('a[data-via=whatsapp]');
    assert.equal(await wa.textContent(), 'Buka WhatsApp');
    assert.equal(await wa.getAttribute('href'), `https://wa.me/60380000000?text=${encodeURIComponent(text)}`);
    assert.match(await page.locator('a[data-via=sms]').getAttribute('href'), /^sms:\+60380000001\?&body=DAFTAR%20/);
    assert.match(await page.locator('#message-intro').textContent(), /\+60•+1212/);
    await noSideScroll(page);
    await shot(page, 'inbound-1-message-ms');
    // From another number, the text proves nothing: the page keeps waiting.
    await inboundMessage('whatsapp', '+60147771213', text);
    await sleep(2500);
    assert.equal(new URL(page.url()).pathname, '/message.html');
    await inboundMessage('whatsapp', '+60147771212', text.toLowerCase());
    await page.waitForURL('**/result.html', { timeout: 15_000 });
    await page.getByRole('heading', { level: 1, name: 'Premis anda telah didaftarkan' }).waitFor();
    assert.equal(await page.locator('#venue-name').textContent(), 'Warung Pak Din');
    assert.equal(await outboxCount(stack.url, '+60147771212'), 0, 'nothing was sent to the number');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('a refused code offers a message at once, in English, and an e-mail proves it only with passing verdicts', async () => {
  const who = { businessName: 'Ah Hock Hardware', address: '21 Jalan Pasar, 55100 Kuala Lumpur', email: 'ahhock@example.com.my' };
  // The address's codes for the day, used up by someone else.
  for (let i = 0; i < 3; i++) {
    if (i > 0) await sleep(resendWait * 1000 + 200);
    assert.equal((await apiRegister(who)).status, 202);
  }
  await sleep(resendWait * 1000 + 200);
  const { context, page, problems } = await open(nextIP(), '/?lang=en');
  try {
    await fillRegistration(page, { name: who.businessName, address: who.address, email: who.email });
    await refusedWithOffer(page, 'We cannot send a code right now, but you can prove this address by sending us an e-mail.');
    await shot(page, 'inbound-2-offer-en');
    await page.getByRole('button', { name: 'Send us an e-mail instead' }).click();
    await page.waitForURL('**/message.html');
    await page.getByRole('heading', { level: 1, name: 'Send us a message' }).waitFor();
    const text = await page.locator('#message-text').textContent();
    const mail = page.locator('a[data-via=email]');
    assert.equal(await mail.textContent(), 'Write an e-mail');
    assert.equal(await mail.getAttribute('href'), `mailto:daftar@checkin.example?subject=${encodeURIComponent(text)}&body=${encodeURIComponent(text)}`);
    await inboundMessage('email', `Ah Hock <${who.email}>`, text, { verdict: 'FAIL' });
    await page.getByRole('button', { name: 'I have sent it: check now' }).click();
    await page.locator('#status[data-kind=info]', { hasText: 'Waiting for your message' }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/message.html', 'a spoofed e-mail proves nothing');
    await inboundMessage('email', `Ah Hock <${who.email}>`, text);
    await page.waitForURL('**/result.html', { timeout: 15_000 });
    await page.getByRole('heading', { level: 1, name: 'Your venue is registered' }).waitFor();
    assert.equal(await outboxCount(stack.url, who.email), 3, 'nothing went to the address after the three codes');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

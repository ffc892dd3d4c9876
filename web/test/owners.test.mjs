// Browser tests of the owners' pages: sign-in (by code or by a message from the
// contact), "my venues" (download again, edit,
// reissue, add, close, export, delete account, each destructive step confirmed),
// in Malay and English, against the local stack.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startStack, launch, phone, shot, codeFor, outboxCount, artifacts, resendWait, inboundMessage, refusedWithOffer } from './harness.mjs';

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

let ipSeq = 10;
// Each request or page poses as a client in a network of its own (198.19.0.0/16,
// for benchmarking), since a network's unverified codes (a stranger's sign-in, the
// sign-ins that use up a number's codes) raise the proof of work it must bring.
const nextIP = () => `198.19.${ipSeq++}.10`;
const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

async function api(path, { method = 'GET', body, token, ip = nextIP() } = {}) {
  const headers = { 'X-Forwarded-For': ip };
  if (body) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  const r = await fetch(stack.url + path, { method, headers, body: body && JSON.stringify(body) });
  return { status: r.status, body: r.status === 204 ? null : await r.json() };
}

// registered makes a venue the way the site does, over the API.
async function registered(name, tel, to) {
  const reg = await api('/v1/registrations', { method: 'POST', body: { businessName: name, address: '12 Jalan Ampang, 50450 Kuala Lumpur', phone: tel } });
  assert.equal(reg.status, 202);
  const { code } = await codeFor(stack.url, to);
  const ver = await api(`/v1/registrations/${reg.body.registrationId}/verify`, { method: 'POST', body: { code } });
  assert.equal(ver.status, 200);
  return ver.body;
}

async function open(path) {
  const p = await phone(browser, nextIP());
  await p.page.goto(stack.url + path);
  return p;
}

async function saveDownload(page, button, name) {
  const [dl] = await Promise.all([page.waitForEvent('download'), button.click()]);
  const file = join(artifacts, `owners-${name}-${dl.suggestedFilename()}`);
  await dl.saveAs(file);
  return { name: dl.suggestedFilename(), bytes: readFileSync(file) };
}

// confirmNext answers the next confirmation dialog, and answers its text.
function confirmNext(page, accept) {
  return new Promise((ok) => page.once('dialog', async (d) => {
    const text = d.message();
    if (accept) await d.accept(); else await d.dismiss();
    ok(text);
  }));
}

async function signIn(page, tel, to, after) {
  await page.locator('#phone').fill(tel);
  await page.getByRole('button', { name: 'Hantar kod' }).click();
  await page.locator('#code').waitFor();
  const { code } = await codeFor(stack.url, to, { after });
  await page.locator('#code').fill(code);
  await page.getByRole('button', { name: 'Sahkan', exact: true }).click();
  await page.waitForURL('**/venues.html');
}

test('the result page points to sign-in for later downloads', async () => {
  const venue = await registered('Kedai Buku Lama', '012-345 1001', '+60123451001');
  const { context, page, problems } = await open('/');
  try {
    await page.evaluate((v) => sessionStorage.setItem('venue', JSON.stringify({ ...v, businessName: 'Kedai Buku Lama' })), venue);
    await page.goto(stack.url + '/result.html');
    assert.match(await page.locator('#keep').textContent(), /log masuk untuk memuat turun semula/);
    const link = page.getByRole('link', { name: /^Log masuk untuk memuat turun semula/ });
    assert.equal(await link.getAttribute('href'), '/signin.html');
    await page.getByRole('button', { name: 'English' }).click();
    assert.match(await page.locator('#keep').textContent(), /sign in to download them again/);
    await page.getByRole('link', { name: /^Sign in to download again/ }).click();
    await page.waitForURL('**/signin.html');
    assert.equal(await page.locator('h1').textContent(), 'Sign in');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('an owner signs in, manages their venues, and deletes the account', async () => {
  const tel = '012-345 1002';
  const to = '+60123451002';
  const first = await registered('Kedai Runcit Ali', tel, to);
  await sleep(resendWait * 1000 + 200); // the number's cooldown between codes
  const { context, page, problems } = await open('/signin.html');
  try {
    assert.equal(await page.locator('h1').textContent(), 'Log masuk');
    await signIn(page, tel, to, 1);
    await page.getByRole('heading', { level: 1, name: 'Premis saya' }).waitFor();
    const cards = page.locator('li.venue');
    await cards.first().waitFor();
    assert.equal(await cards.count(), 1);
    const card = cards.first();
    assert.equal(await card.locator('.venue-name').textContent(), 'Kedai Runcit Ali');
    assert.match(await card.locator('.venue-kept').textContent(), /^Disimpan sehingga .*20\d\d/);
    await shot(page, 'owners-1-venues-ms');

    // Download again: the poster.
    const poster = await saveDownload(page, card.getByRole('button', { name: 'Poster (PDF)' }), 'poster');
    assert.equal(poster.bytes.subarray(0, 5).toString(), '%PDF-');
    const token = await page.evaluate(() => JSON.parse(sessionStorage.getItem('owner')).accessToken);
    const before = (await api(`/v1/venues/${first.venueId}`, { token })).body.qr.payload;

    // Edit: refused at the confirmation, nothing changes; confirmed, the new name
    // is saved and the old poster's payload is revoked.
    await card.getByRole('button', { name: 'Ubah' }).click();
    await card.getByLabel('Nama perniagaan').fill('Kedai Runcit Ali & Anak');
    let asked = confirmNext(page, false);
    await card.getByRole('button', { name: 'Simpan' }).click();
    assert.match(await asked, /poster lama tidak lagi sah/);
    assert.equal(await card.locator('.venue-name').textContent(), 'Kedai Runcit Ali');
    assert.equal((await api('/v1/qr/verify', { method: 'POST', body: { payload: before } })).body.valid, true);
    asked = confirmNext(page, true);
    await card.getByRole('button', { name: 'Simpan' }).click();
    await asked;
    await page.locator('#status[data-kind=success]').waitFor();
    assert.equal(await cards.first().locator('.venue-name').textContent(), 'Kedai Runcit Ali & Anak');
    const revoked = (await api('/v1/qr/verify', { method: 'POST', body: { payload: before } })).body;
    assert.deepEqual(revoked, { valid: false, reason: 'revoked' });

    // Reissue, confirmed.
    const renamed = (await api(`/v1/venues/${first.venueId}`, { token })).body.qr.payload;
    asked = confirmNext(page, true);
    await cards.first().getByRole('button', { name: 'Kod QR baharu' }).click();
    assert.match(await asked, /Buat kod QR baharu/);
    await page.locator('#status', { hasText: 'Kod QR baharu untuk' }).waitFor();
    assert.equal((await api('/v1/qr/verify', { method: 'POST', body: { payload: renamed } })).body.reason, 'revoked');

    // Add a second venue, then close it (confirmed).
    await page.locator('#businessName').fill('Kedai Runcit Ali Cawangan 2');
    await page.locator('#address').fill('40 Jalan Tun Razak, Kuala Lumpur');
    await page.getByRole('button', { name: 'Tambah', exact: true }).click();
    await page.locator('#status', { hasText: 'telah ditambah' }).waitFor();
    assert.equal(await cards.count(), 2);
    await shot(page, 'owners-2-two-venues-ms');
    asked = confirmNext(page, true);
    await cards.nth(1).getByRole('button', { name: 'Tutup premis' }).click();
    assert.match(await asked, /tidak boleh dibatalkan/);
    await page.locator('#status', { hasText: 'telah ditutup' }).waitFor();
    assert.equal(await cards.count(), 1);

    // In English, the same page; export the account.
    await page.getByRole('button', { name: 'English' }).click();
    assert.equal(await page.locator('h1').textContent(), 'My venues');
    assert.equal(await cards.first().getByRole('button', { name: 'Edit' }).count(), 1);
    const exported = await saveDownload(page, page.getByRole('button', { name: 'Export my data (JSON)' }), 'export');
    const data = JSON.parse(exported.bytes.toString('utf8'));
    assert.equal(data.contact.address, to);
    assert.equal(data.venues.length, 1);
    await shot(page, 'owners-3-venues-en');

    // Delete the account: refused once, then confirmed.
    const last = (await api(`/v1/venues/${first.venueId}`, { token })).body.qr.payload;
    asked = confirmNext(page, false);
    await page.getByRole('button', { name: 'Delete my account' }).click();
    assert.match(await asked, /cannot be undone/);
    assert.equal((await api('/v1/venues', { token })).status, 200, 'a refused confirmation deletes nothing');
    asked = confirmNext(page, true);
    await page.getByRole('button', { name: 'Delete my account' }).click();
    await asked;
    await page.locator('#status', { hasText: 'Your account and all its venues are deleted.' }).waitFor();
    // The token still proves the contact, and the contact now owns nothing.
    assert.deepEqual((await api('/v1/venues', { token })).body, { venues: [] });
    assert.deepEqual((await api('/v1/qr/verify', { method: 'POST', body: { payload: last } })).body, { valid: false, reason: 'revoked' });
    await shot(page, 'owners-4-deleted-en');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('a sign-in for a number that owns nothing looks the same and sends nothing', async () => {
  const { context, page, problems } = await open('/signin.html');
  try {
    await page.locator('#phone').fill('019-888 7766');
    await page.getByRole('button', { name: 'Hantar kod' }).click();
    await page.locator('#code').waitFor();
    assert.match(await page.locator('#sent-to').textContent(), /^Jika \+60•+7766 milik premis berdaftar/);
    await sleep(500);
    assert.equal(await outboxCount(stack.url, '+60198887766'), 0);
    await page.locator('#code').fill('123456');
    await page.getByRole('button', { name: 'Sahkan', exact: true }).click();
    await page.locator('#status[data-kind=error]').waitFor();
    assert.match(await page.locator('#status').textContent(), /Kod itu tidak betul/);
    await shot(page, 'owners-5-stranger');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

// messageText waits for the sign-in's "send us a message" step and answers its text.
async function messageText(page) {
  await page.locator('#message-step').waitFor();
  assert.ok(await page.locator('#code-form').isHidden(), 'no code form: no code was sent');
  const text = await page.locator('#message-text').textContent();
  assert.match(text, /^MASUK [A-Z2-9]{9}$/);
  return text;
}

// checkNow presses the page's "I have sent it" button (its name in the page's
// language) and answers the status of the verify it made.
async function checkNow(page, name) {
  const answer = page.waitForResponse((r) => /\/v1\/sessions\/[^/]+\/verify$/.test(new URL(r.url()).pathname));
  await page.getByRole('button', { name }).click();
  return (await answer).status();
}

// venuesShown waits for "my venues" (its heading in the page's language) and
// answers the names of the venues on it.
async function venuesShown(page, heading) {
  await page.waitForURL('**/venues.html', { timeout: 15_000 });
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
  await page.locator('li.venue').first().waitFor();
  return page.locator('li.venue .venue-name').allTextContents();
}

test('an owner signs in by WhatsApp, in Malay: nothing arrived yet says so, the message opens their venues', async () => {
  const tel = '013-456 2001';
  const to = '+60134562001';
  await registered('Kedai Kopi Pak Mat', tel, to);
  const { context, page, problems } = await open('/signin.html');
  try {
    await page.locator('#phone').fill(tel);
    assert.equal(await page.locator('#inbound-hint').textContent(), 'Tiada kod dihantar kepada anda: anda menghantar satu mesej pendek kepada kami daripada nombor atau alamat e-mel ini.');
    await page.getByRole('button', { name: 'Hantar WhatsApp kepada kami sebagai ganti' }).click();
    const text = await messageText(page);
    assert.match(await page.locator('#message-intro').textContent(), /^Hantar teks di bawah daripada \+60•+2001\./);
    const wa = page.locator('a[data-via=whatsapp]');
    assert.equal(await wa.textContent(), 'Buka WhatsApp');
    assert.equal(await wa.getAttribute('href'), `https://wa.me/60380000000?text=${encodeURIComponent(text)}`);
    assert.equal(await page.locator('a[data-via=sms]').getAttribute('href'), `sms:+60380000001?&body=${encodeURIComponent(text)}`);
    assert.match(await page.locator('#message-expires').textContent(), /^Hantar sebelum /);
    await shot(page, 'owners-6-inbound-ms');

    // Asked before the message came: the service answers not_received, and the page says so.
    assert.equal(await checkNow(page, 'Saya sudah hantar: semak sekarang'), 409);
    await page.locator('#status[data-kind=info]', { hasText: 'Belum sampai lagi: masih menunggu mesej anda.' }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/signin.html');

    // A reload keeps the step and the text; from another number the text proves nothing.
    await page.reload();
    assert.equal(await page.locator('#message-text').textContent(), text);
    await inboundMessage(stack.url, 'whatsapp', '+60134562002', text);
    assert.equal(await checkNow(page, 'Saya sudah hantar: semak sekarang'), 409, 'a message from another number proves nothing');

    await inboundMessage(stack.url, 'whatsapp', to, text);
    assert.deepEqual(await venuesShown(page, 'Premis saya'), ['Kedai Kopi Pak Mat']);
    assert.equal(await outboxCount(stack.url, to), 1, 'only the registration code was ever sent to the number');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('a refused sign-in code offers a message at once, in English, and an SMS opens the venues', async () => {
  const tel = '013-456 2003';
  const to = '+60134562003';
  await registered('Bengkel Motor Siva', tel, to);
  // The number's codes for the day: the registration's and two sign-ins.
  for (let i = 0; i < 2; i++) {
    await sleep(resendWait * 1000 + 200);
    assert.equal((await api('/v1/sessions', { method: 'POST', body: { phone: tel } })).status, 202);
  }
  await codeFor(stack.url, to, { after: 2 });
  await sleep(resendWait * 1000 + 200);
  const { context, page, problems } = await open('/signin.html?lang=en');
  try {
    assert.equal(await page.locator('h1').textContent(), 'Sign in');
    await page.locator('#phone').fill(tel);
    await refusedWithOffer(page, 'We cannot send a code right now, but you can prove this number by sending us a WhatsApp.');
    await shot(page, 'owners-7-inbound-offer-en');
    await page.getByRole('button', { name: 'Send us a WhatsApp instead' }).click();
    const text = await messageText(page);
    const sms = page.locator('a[data-via=sms]');
    assert.equal(await sms.textContent(), 'Send an SMS');
    assert.equal(await page.locator('#offers li:nth-child(2) .hint').textContent(), 'SMS to +60380000001');

    assert.equal(await checkNow(page, 'I have sent it: check now'), 409);
    await page.locator('#status[data-kind=info]', { hasText: 'Not here yet: still waiting for your message.' }).waitFor();

    // The SMS arrives, in other case and spacing; the page moves on by itself.
    await inboundMessage(stack.url, 'sms', to, ` ${text.toLowerCase()} `);
    assert.deepEqual(await venuesShown(page, 'My venues'), ['Bengkel Motor Siva']);
    assert.equal(await outboxCount(stack.url, to), 3, 'nothing went to the number after its three codes');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('an address that owns nothing proves itself by e-mail, only with passing verdicts, and is told it has no venue', async () => {
  const email = 'tiada.premis@example.com.my';
  const { context, page, problems } = await open('/signin.html?lang=en');
  try {
    await page.locator('input[name=contact][value=email]').check();
    await page.locator('#email').fill(email);
    await page.getByRole('button', { name: 'Send us an e-mail instead' }).click();
    const text = await messageText(page);
    const mail = page.locator('a[data-via=email]');
    assert.equal(await mail.textContent(), 'Write an e-mail');
    assert.equal(await mail.getAttribute('href'), `mailto:daftar@checkin.example?subject=${encodeURIComponent(text)}&body=${encodeURIComponent(text)}`);
    await inboundMessage(stack.url, 'email', `Tiada <${email}>`, text, { verdict: 'FAIL' });
    assert.equal(await checkNow(page, 'I have sent it: check now'), 409, 'a spoofed e-mail proves nothing');
    await inboundMessage(stack.url, 'email', `Tiada <${email}>`, text);
    // Proven, it owns nothing to manage: the page says so and points to registration.
    const none = page.locator('#no-venues');
    await none.waitFor({ timeout: 15_000 });
    assert.equal((await none.textContent()).trim(), 'This phone number or e-mail address has no registered venue. Register a venue');
    assert.equal(await none.getByRole('link', { name: 'Register a venue' }).getAttribute('href'), '/');
    assert.equal(await page.locator('#status[data-kind=success]').textContent(), 'Your message has arrived.');
    assert.ok(await page.locator('#message-step').isHidden());
    assert.equal(new URL(page.url()).pathname, '/signin.html');
    assert.equal(await page.evaluate(() => sessionStorage.getItem('owner')), null, 'no token kept for no venues');
    await shot(page, 'owners-8-no-venues-en');
    assert.equal(await outboxCount(stack.url, email), 0, 'nothing was sent to the address');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('a code sign-in whose account was deleted meanwhile is told, in Malay, that it has no venue', async () => {
  const tel = '013-456 2004';
  const to = '+60134562004';
  await registered('Gerai Nasi Lemak Kak Yah', tel, to);
  // An owner token from a sign-in over the API, to delete the account with.
  await sleep(resendWait * 1000 + 200); // the number's cooldown between codes
  const first = await api('/v1/sessions', { method: 'POST', body: { phone: tel } });
  const { code: firstCode } = await codeFor(stack.url, to, { after: 1 });
  const owner = await api(`/v1/sessions/${first.body.sessionId}/verify`, { method: 'POST', body: { code: firstCode } });
  assert.equal(owner.status, 200);
  await sleep(resendWait * 1000 + 200);
  const { context, page, problems } = await open('/signin.html');
  try {
    await page.locator('#phone').fill(tel);
    await page.getByRole('button', { name: 'Hantar kod' }).click();
    await page.locator('#code').waitFor();
    const { code } = await codeFor(stack.url, to, { after: 2 });
    assert.equal((await api('/v1/account', { method: 'DELETE', token: owner.body.accessToken })).status, 204);
    await page.locator('#code').fill(code);
    await page.getByRole('button', { name: 'Sahkan', exact: true }).click();
    const none = page.locator('#no-venues');
    await none.waitFor();
    assert.equal((await none.textContent()).trim(), 'Nombor telefon atau alamat e-mel ini tidak mempunyai premis berdaftar. Daftar premis');
    assert.ok(await page.locator('#code-form').isHidden());
    assert.equal(new URL(page.url()).pathname, '/signin.html');
    await page.getByRole('button', { name: 'Guna nombor atau e-mel lain' }).click();
    assert.ok(await none.isHidden());
    assert.ok(await page.locator('#contact-form').isVisible());
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('my venues without a sign-in says so and links to it', async () => {
  const { context, page } = await open('/venues.html');
  try {
    await page.locator('#signed-out').waitFor();
    assert.equal(await page.getByRole('link', { name: 'Log masuk', exact: true }).first().getAttribute('href'), '/signin.html');
  } finally {
    await context.close();
  }
});

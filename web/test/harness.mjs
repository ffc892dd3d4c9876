// What the browser tests share: the local stack started on a free loopback port,
// Debian's chromium through playwright-core, and small helpers.
import { spawn, execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdirSync, openSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

export const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const artifacts = join(repo, 'test-artifacts', 'web');
export const resendWait = 4;
mkdirSync(artifacts, { recursive: true });

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

// startStack builds infra/local/cmd, starts it with TRUST_FORWARDED_FOR=1 on a free
// port and waits for GET /healthz. LOCAL_BIN names a prebuilt binary instead.
export async function startStack() {
  let bin = process.env.LOCAL_BIN;
  let dir;
  if (!bin) {
    dir = mkdtempSync(join(tmpdir(), 'checkin-web-'));
    bin = join(dir, 'local');
    execFileSync('go', ['build', '-o', bin, './infra/local/cmd'], { cwd: repo, stdio: 'inherit' });
  }
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const log = openSync(join(artifacts, 'server.log'), 'w');
  const proc = spawn(bin, [], {
    cwd: repo,
    // A short resend wait and destination cooldown, so that a test can resend within
    // seconds, and a short sign-in pad (every code sign-in answers that long after it
    // began; the Go tests check the pad itself); every other limit keeps its default.
    env: {
      ...process.env, PORT: String(port), TRUST_FORWARDED_FOR: '1', PUBLIC_BASE_URL: url,
      RESEND_WAIT: `${resendWait}s`, DEST_COOLDOWN: `${resendWait}s`, SIGNIN_PAD: '100ms',
    },
    stdio: ['ignore', log, log],
  });
  const exited = new Promise((ok) => proc.once('exit', (code, signal) => ok({ code, signal })));
  const deadline = Date.now() + 120_000;
  for (;;) {
    const early = await Promise.race([exited, new Promise((ok) => setTimeout(ok, 250))]);
    if (early) throw new Error(`local stack exited (${JSON.stringify(early)}): see ${join(artifacts, 'server.log')}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) {
      proc.kill('SIGTERM');
      throw new Error('local stack did not answer /healthz within 120 s');
    }
  }
  return {
    url,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';

// launch starts headless Debian chromium with the flags this closed network needs.
export async function launch() {
  if (!existsSync(chromiumPath)) throw new Error(`${chromiumPath} is missing: make web-test installs it`);
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
}

// phone is a new phone-sized context that poses as client ip (X-Forwarded-For),
// and a page in it that fails the test on any CSP violation or script error.
export async function phone(browser, ip) {
  const context = await browser.newContext({
    viewport: { width: 360, height: 740 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    acceptDownloads: true,
    extraHTTPHeaders: { 'X-Forwarded-For': ip },
  });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  return { context, page, problems };
}

export async function shot(page, name) {
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
}

// codeFor waits for the newest code message to destination (E.164 or e-mail) in
// the outbox and answers it, with its body.
export async function codeFor(base, to, { after = 0 } = {}) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { messages } = await (await fetch(`${base}/_local/outbox`)).json();
    const mine = messages.filter((m) => m.to === to);
    if (mine.length > after) {
      const m = mine[mine.length - 1];
      const code = m.body.match(/\b(\d{6})\b/);
      if (!code) throw new Error(`no 6-digit code in the message to ${to}`);
      return { code: code[1], body: m.body, count: mine.length };
    }
    if (Date.now() > deadline) throw new Error(`no message to ${to} in the outbox`);
    await new Promise((ok) => setTimeout(ok, 200));
  }
}

export async function outboxCount(base, to) {
  const { messages } = await (await fetch(`${base}/_local/outbox`)).json();
  return messages.filter((m) => m.to === to).length;
}

// inboundMessage hands the local stack at base a message as its source publishes
// it to SNS (events/inbound-*.json): a WhatsApp or SMS from a number, or an e-mail
// with its DKIM and DMARC verdicts.
export async function inboundMessage(base, via, from, text, { verdict = 'PASS' } = {}) {
  const id = `${via}-${Math.random().toString(36).slice(2)}`;
  let message;
  if (via === 'whatsapp') {
    const entry = {
      id: '102290129340398',
      changes: [{ field: 'messages', value: {
        messaging_product: 'whatsapp', metadata: { display_phone_number: '60380000000', phone_number_id: '100000000000001' },
        messages: [{ from: from.replace('+', ''), id, timestamp: '1795490441', type: 'text', text: { body: text } }],
      } }],
    };
    message = { whatsAppWebhookEntry: JSON.stringify(entry), aws_account_id: '123456789012', messageId: id };
  } else if (via === 'sms') {
    message = { originationNumber: from, destinationNumber: '+60380000001', messageKeyword: '', messageBody: text, inboundMessageId: id };
  } else {
    message = {
      notificationType: 'Received',
      receipt: { recipients: ['daftar@checkin.example'], dkimVerdict: { status: verdict }, dmarcVerdict: { status: verdict }, spfVerdict: { status: 'PASS' }, virusVerdict: { status: 'PASS' } },
      mail: { messageId: id, commonHeaders: { from: [from], to: ['daftar@checkin.example'], subject: text } },
    };
  }
  const event = { Records: [{ EventSource: 'aws:sns', Sns: { MessageId: id, Message: JSON.stringify(message) } }] };
  const r = await fetch(`${base}/_local/invoke/inbound`, { method: 'POST', body: JSON.stringify(event) });
  if (r.status !== 200) throw new Error(`invoke inbound: ${r.status} ${await r.text()}`);
}

// refusedWithOffer clicks "Send code" on an English page whose contact's codes are
// used up, and checks that the refusal says so and offers, in offer's words, to
// prove the contact by a message instead.
export async function refusedWithOffer(page, offer) {
  await page.getByRole('button', { name: 'Send code' }).click();
  const status = page.locator('#status[data-kind=error]');
  await status.waitFor();
  assert.match(await status.textContent(), /^Too many requests/);
  const box = page.locator('#inbound-offer');
  await box.waitFor();
  assert.equal((await box.textContent()).trim(), offer);
}

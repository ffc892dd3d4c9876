// The code page: enter the 6-digit code, or ask for a new one when the countdown
// from resendAfter has run out.
import { json } from './api.js';
import { withChallenge } from './pow.js';
import { start, Status, Fields, busy, apiFailure, session, errorText } from './ui.js';
import { t, clock, onChange } from './i18n.js';

start();
const status = new Status(document.getElementById('status'));
const form = document.getElementById('code-form');
const fields = new Fields(form);
const submit = form.querySelector('button[type=submit]');
const resend = document.getElementById('resend');
const ready = document.getElementById('resend-ready');
let reg = session.get('registration');
let timer;

if (!reg) {
  const flow = document.getElementById('flow');
  flow.before(status.el);
  flow.hidden = true;
  status.show('error', () => t('code.none'));
} else {
  onChange(describe);
  countdown();
  form.elements.code.focus();
}

function describe() {
  document.getElementById('sent-to').textContent = t('code.sentTo', { channel: t(`code.channel.${reg.channel}`), destination: reg.destination });
  document.getElementById('expires').textContent = t('code.expires', { time: clock(new Date(reg.expiresAt)) });
  paintResend();
}

function secondsLeft() {
  return Math.max(0, Math.ceil((Date.parse(reg.resendAfter) - Date.now()) / 1000));
}

function paintResend() {
  if (resend.getAttribute('aria-busy')) return;
  const s = secondsLeft();
  resend.disabled = s > 0;
  if (s > 0) {
    delete resend.dataset.i18n;
    resend.textContent = t('code.resendIn', { time: `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}` });
  } else {
    resend.dataset.i18n = 'code.resend';
    resend.textContent = t('code.resend');
  }
}

// countdown ticks the resend button each second and says once, politely, when it is ready.
function countdown() {
  clearInterval(timer);
  ready.textContent = '';
  paintResend();
  if (secondsLeft() === 0) return;
  timer = setInterval(() => {
    paintResend();
    if (secondsLeft() === 0) {
      clearInterval(timer);
      ready.textContent = t('code.resendReady');
    }
  }, 1000);
}

form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  status.clear();
  const code = form.elements.code.value.replace(/\s+/g, '');
  if (!/^[0-9]{6}$/.test(code)) {
    fields.set({ code: 'format' });
    fields.focusFirst();
    return;
  }
  fields.clear();
  await busy(submit, 'code.checking', async () => {
    try {
      const venue = await json(`/v1/registrations/${encodeURIComponent(reg.registrationId)}/verify`, { method: 'POST', body: { code } });
      session.set('venue', { ...venue, businessName: reg.businessName });
      session.remove('registration');
      location.assign('/result.html');
    } catch (err) {
      if (err.code === 'invalid_code') {
        fields.set({ code: null });
        status.error(err);
        form.elements.code.select();
        form.elements.code.focus();
        return;
      }
      apiFailure(err, status, fields);
    }
  });
});

resend.addEventListener('click', async () => {
  status.clear();
  await busy(resend, 'code.resending', async () => {
    try {
      const sent = await withChallenge(
        (altcha) => json(`/v1/registrations/${encodeURIComponent(reg.registrationId)}/resend`, { method: 'POST', body: altcha ? { altcha } : {} }),
        () => status.info('pow.solving'),
      );
      reg = { ...reg, ...sent };
      session.set('registration', reg);
      describe();
      status.success('code.resent', { destination: reg.destination });
      form.elements.code.value = '';
      form.elements.code.focus();
    } catch (err) {
      if (err.code === 'rate_limited' && err.retryAfterSeconds > 0) {
        reg = { ...reg, resendAfter: new Date(Date.now() + err.retryAfterSeconds * 1000).toISOString() };
      }
      status.show('error', () => errorText(err));
    }
  });
  countdown();
});

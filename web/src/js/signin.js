// The sign-in page: a phone or an e-mail address, then the code sent to it. The
// answer is the same whether or not the contact owns a venue, so the page says
// "if it belongs to a registered venue"; the owner token goes to "my venues".
import { json } from './api.js';
import { withChallenge } from './pow.js';
import { start, Status, Fields, busy, apiFailure, fixErrors, session } from './ui.js';
import { t, clock, onChange } from './i18n.js';

start();
const status = new Status(document.getElementById('status'));
const contactForm = document.getElementById('contact-form');
const codeForm = document.getElementById('code-form');
const contactFields = new Fields(contactForm);
const codeFields = new Fields(codeForm);
let pending = session.get('signin');

function contact() { return contactForm.elements.contact.value; }

function showContact() {
  for (const name of ['phone', 'email']) {
    const on = contact() === name;
    document.getElementById(`${name}-field`).hidden = !on;
    contactForm.elements[name].disabled = !on;
  }
}
for (const radio of contactForm.elements.contact) radio.addEventListener('change', () => { showContact(); contactFields.clear(); });
showContact();

function step() {
  contactForm.hidden = !!pending;
  codeForm.hidden = !pending;
  if (pending) {
    document.getElementById('sent-to').textContent = t('signin.sentTo', { destination: pending.destination, channel: t(`code.channel.${pending.channel}`) });
    document.getElementById('expires').textContent = t('code.expires', { time: clock(new Date(pending.expiresAt)) });
  }
}
onChange(step);

contactForm.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  status.clear();
  const v = { [contact()]: contactForm.elements[contact()].value.trim() };
  const problems = {};
  if (v.phone !== undefined && !/^\+?[0-9][0-9 ()-]{6,18}$/.test(v.phone)) problems.phone = 'format';
  if (v.email !== undefined && (!v.email || contactForm.elements.email.validity.typeMismatch)) problems.email = 'format';
  contactFields.set(problems);
  if (Object.keys(problems).length > 0) {
    status.show('error', () => fixErrors(contactFields.count()));
    contactFields.focusFirst();
    return;
  }
  await busy(contactForm.querySelector('button[type=submit]'), 'signin.sending', async () => {
    try {
      const sent = await withChallenge(
        (altcha) => json('/v1/sessions', { method: 'POST', body: altcha ? { ...v, altcha } : v }),
        () => status.info('pow.solving'),
      );
      pending = sent;
      session.set('signin', sent);
      status.clear();
      step();
      codeForm.elements.code.focus();
    } catch (err) {
      apiFailure(err, status, contactFields);
    }
  });
});

codeForm.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  status.clear();
  const code = codeForm.elements.code.value.replace(/\s+/g, '');
  if (!/^[0-9]{6}$/.test(code)) {
    codeFields.set({ code: 'format' });
    codeFields.focusFirst();
    return;
  }
  codeFields.clear();
  await busy(codeForm.querySelector('button[type=submit]'), 'code.checking', async () => {
    try {
      const owner = await json(`/v1/sessions/${encodeURIComponent(pending.sessionId)}/verify`, { method: 'POST', body: { code } });
      session.set('owner', { accessToken: owner.accessToken, tokenExpiresAt: owner.tokenExpiresAt });
      session.remove('signin');
      location.assign('/venues.html');
    } catch (err) {
      if (err.code === 'invalid_code') {
        codeFields.set({ code: null });
        status.error(err);
        codeForm.elements.code.select();
        codeForm.elements.code.focus();
        return;
      }
      apiFailure(err, status, codeFields);
    }
  });
});

document.getElementById('again').addEventListener('click', () => {
  pending = null;
  session.remove('signin');
  status.clear();
  codeForm.elements.code.value = '';
  step();
  contactForm.elements[contact()].focus();
});

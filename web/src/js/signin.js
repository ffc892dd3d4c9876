// The sign-in page: a phone or an e-mail address, then the code sent to it or,
// where the service offers it, a message the owner sends us from it instead
// (WhatsApp or SMS for a phone, e-mail for an address). The answer is the same
// whether or not the contact owns a venue, so the page says "if it belongs to a
// registered venue"; the owner token goes to "my venues".
import { json } from './api.js';
import { withChallenge } from './pow.js';
import { start, Status, Fields, busy, apiFailure, fixErrors, session } from './ui.js';
import { t, clock, onChange } from './i18n.js';
import { Offer, Wait } from './inbound.js';

start();
const status = new Status(document.getElementById('status'));
const contactForm = document.getElementById('contact-form');
const codeForm = document.getElementById('code-form');
const messageStep = document.getElementById('message-step');
const contactFields = new Fields(contactForm);
const codeFields = new Fields(codeForm);
const codeButton = contactForm.querySelector('button[type=submit]');
const offer = new Offer(contact, status);
const wait = new Wait(status, signedIn);
let pending = session.get('signin');
// empty: the contact proved itself but owns no venue (by a message from a contact
// that never registered, or an account deleted since the sign-in began).
let empty = false;

function contact() { return contactForm.elements.contact.value; }

function showContact() {
  for (const name of ['phone', 'email']) {
    const on = contact() === name;
    document.getElementById(`${name}-field`).hidden = !on;
    contactForm.elements[name].disabled = !on;
  }
  offer.paint();
}
for (const radio of contactForm.elements.contact) radio.addEventListener('change', () => { offer.refused = false; showContact(); contactFields.clear(); });
showContact();

const byMessage = () => !!pending && Array.isArray(pending.inbound) && pending.inbound.length > 0;
const verifyPath = () => `/v1/sessions/${encodeURIComponent(pending.sessionId)}/verify`;

function step() {
  contactForm.hidden = !!pending || empty;
  codeForm.hidden = !pending || byMessage();
  messageStep.hidden = !byMessage();
  document.getElementById('no-venues').hidden = !empty;
  document.getElementById('again-row').hidden = !pending && !empty;
  if (pending && !byMessage()) {
    document.getElementById('sent-to').textContent = t('signin.sentTo', { destination: pending.destination, channel: t(`code.channel.${pending.channel}`) });
    document.getElementById('code-expires').textContent = t('code.expires', { time: clock(new Date(pending.expiresAt)) });
  }
}
onChange(step);
step();
if (byMessage()) wait.start(pending, verifyPath());

// signedIn keeps the owner token for "my venues", and goes there; a contact with
// no venue has nothing there to manage, and is told so here.
function signedIn(owner) {
  session.remove('signin');
  if (!Array.isArray(owner.venues) || owner.venues.length === 0) {
    wait.stop();
    pending = null;
    empty = true;
    step();
    document.getElementById('no-venues').focus();
    return;
  }
  session.set('owner', { accessToken: owner.accessToken, tokenExpiresAt: owner.tokenExpiresAt });
  location.assign('/venues.html');
}

async function begin(proof) {
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
  if (proof) v.proof = proof;
  await busy(proof ? offer.button : codeButton, proof ? 'inbound.starting' : 'signin.sending', async () => {
    try {
      const sent = await withChallenge(
        (altcha) => json('/v1/sessions', { method: 'POST', body: altcha ? { ...v, altcha } : v }),
        () => status.info('pow.solving'),
      );
      pending = sent;
      session.set('signin', sent);
      status.clear();
      step();
      if (byMessage()) {
        wait.start(pending, verifyPath());
        document.getElementById('message-intro').focus();
      } else {
        codeForm.elements.code.focus();
      }
    } catch (err) {
      offer.failed(err, !!proof, contactFields, codeButton);
    }
  });
}

contactForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  begin();
});
offer.button.addEventListener('click', () => begin('inbound'));

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
      signedIn(await json(verifyPath(), { method: 'POST', body: { code } }));
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
  wait.stop();
  pending = null;
  empty = false;
  session.remove('signin');
  status.clear();
  codeForm.elements.code.value = '';
  step();
  contactForm.elements[contact()].focus();
});

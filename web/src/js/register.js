// The register page: business name, address, and a phone or an e-mail address.
// The contact is proven by a code we send or, where the service offers it, by a
// message the business sends us (WhatsApp or SMS for a phone, e-mail for an
// address): then nothing is sent to it at all.
import { json } from './api.js';
import { withChallenge } from './pow.js';
import { start, Status, Fields, busy, apiFailure, fixErrors, session } from './ui.js';
import { t, onChange } from './i18n.js';
import limits from './limits.js';

start();
const form = document.getElementById('register-form');
const status = new Status(document.getElementById('status'));
const fields = new Fields(form);
const button = form.querySelector('button[type=submit]');
const inbound = document.getElementById('inbound');
const inboundHint = document.getElementById('inbound-hint');
const offer = document.getElementById('inbound-offer');
// open says which contacts inbound proof can take: the service says so in the
// refusals of codes; until one came, both are offered.
const open = { phone: true, email: true };
let refused = false;

function contact() { return form.elements.contact.value; }

function showContact() {
  for (const name of ['phone', 'email']) {
    const on = contact() === name;
    document.getElementById(`${name}-field`).hidden = !on;
    form.elements[name].disabled = !on;
  }
  paintInbound();
}

function paintInbound() {
  const c = contact();
  inbound.hidden = !open[c];
  inboundHint.hidden = !open[c];
  inbound.dataset.i18n = `register.inbound.${c}`;
  inbound.textContent = t(inbound.dataset.i18n);
  inboundHint.textContent = t('register.inboundHint');
  offer.hidden = !refused || !open[c];
  document.getElementById('inbound-offer-text').textContent = t(`register.inboundOffer.${c}`);
}
onChange(paintInbound);
for (const radio of form.elements.contact) {
  radio.addEventListener('change', () => { refused = false; showContact(); fields.clear(); });
}
showContact();

// check answers the problems the browser can see before asking the service.
function check(v) {
  const p = {};
  for (const name of ['businessName', 'address']) {
    if (v[name].length < limits[name].min || v[name].length > limits[name].max) p[name] = 'length';
  }
  if (v.phone !== undefined && !/^\+?[0-9][0-9 ()-]{6,18}$/.test(v.phone)) p.phone = 'format';
  if (v.email !== undefined && (!v.email || form.elements.email.validity.typeMismatch)) p.email = 'format';
  return p;
}

async function register(proof) {
  status.clear();
  const v = {
    businessName: form.elements.businessName.value.trim(),
    address: form.elements.address.value.trim(),
  };
  v[contact()] = form.elements[contact()].value.trim();
  if (proof) v.proof = proof;
  const problems = check(v);
  fields.set(problems);
  if (Object.keys(problems).length > 0) {
    status.show('error', () => fixErrors(fields.count()));
    fields.focusFirst();
    return;
  }
  const which = proof ? inbound : button;
  await busy(which, proof ? 'register.inboundStarting' : 'register.sending', async () => {
    try {
      const sent = await withChallenge(
        (altcha) => json('/v1/registrations', { method: 'POST', body: altcha ? { ...v, altcha } : v }),
        () => status.info('pow.solving'),
      );
      session.remove('venue');
      session.set('registration', { ...sent, businessName: v.businessName });
      location.assign(sent.inbound ? '/message.html' : '/code.html');
    } catch (err) {
      if (proof && err.fields && err.fields.proof) {
        // The service takes no message for this kind of contact: offer only codes.
        open[contact()] = false;
        refused = false;
        paintInbound();
        status.show('error', () => t('register.inboundClosed'));
        button.focus();
        return;
      }
      apiFailure(err, status, fields);
      if (!proof && (err.code === 'rate_limited' || err.code === 'temporarily_unavailable')) {
        // A refused code: offer the way that needs none, at once.
        refused = err.inboundAvailable;
        open[contact()] = err.inboundAvailable;
        paintInbound();
      }
    }
  });
}

form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  register();
});
inbound.addEventListener('click', () => register('inbound'));

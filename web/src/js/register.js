// The register page: business name, address, and a phone or an e-mail address.
// The contact is proven by a code we send or, where the service offers it, by a
// message the business sends us (WhatsApp or SMS for a phone, e-mail for an
// address): then nothing is sent to it at all.
import { json } from './api.js';
import { withChallenge } from './pow.js';
import { start, Status, Fields, busy, fixErrors, session } from './ui.js';
import { Offer } from './inbound.js';
import limits from './limits.js';

start();
const form = document.getElementById('register-form');
const status = new Status(document.getElementById('status'));
const fields = new Fields(form);
const button = form.querySelector('button[type=submit]');
const offer = new Offer(contact, status);

function contact() { return form.elements.contact.value; }

function showContact() {
  for (const name of ['phone', 'email']) {
    const on = contact() === name;
    document.getElementById(`${name}-field`).hidden = !on;
    form.elements[name].disabled = !on;
  }
  offer.paint();
}
for (const radio of form.elements.contact) {
  radio.addEventListener('change', () => { offer.refused = false; showContact(); fields.clear(); });
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
  const which = proof ? offer.button : button;
  await busy(which, proof ? 'inbound.starting' : 'register.sending', async () => {
    try {
      const sent = await withChallenge(
        (altcha) => json('/v1/registrations', { method: 'POST', body: altcha ? { ...v, altcha } : v }),
        () => status.info('pow.solving'),
      );
      session.remove('venue');
      session.set('registration', { ...sent, businessName: v.businessName });
      location.assign(sent.inbound ? '/message.html' : '/code.html');
    } catch (err) {
      offer.failed(err, !!proof, fields, button);
    }
  });
}

form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  register();
});
offer.button.addEventListener('click', () => register('inbound'));

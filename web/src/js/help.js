// The helpdesk form: POST /v1/helpdesk/tickets.
import { json } from './api.js';
import { withChallenge } from './pow.js';
import { start, Status, Fields, busy, apiFailure, fixErrors, session } from './ui.js';
import { t, onChange } from './i18n.js';
import limits from './limits.js';

start();
const form = document.getElementById('help-form');
const status = new Status(document.getElementById('status'));
const done = new Status(document.getElementById('done'));
const fields = new Fields(form);
const button = form.querySelector('button[type=submit]');
const message = form.elements.message;
const count = document.getElementById('message-count');

function contact() { return form.elements.contact.value; }
function showContact() {
  for (const name of ['phone', 'email']) {
    const on = contact() === name;
    document.getElementById(`${name}-field`).hidden = !on;
    form.elements[name].disabled = !on;
  }
}
for (const radio of form.elements.contact) radio.addEventListener('change', () => { showContact(); fields.clear(); });
showContact();

const paintCount = () => { count.textContent = t('help.messageCount', { count: message.value.length }); };
message.addEventListener('input', paintCount);
onChange(paintCount);

form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  status.clear();
  const v = {
    name: form.elements.name.value.trim(),
    topic: form.elements.topic.value,
    message: message.value.trim(),
  };
  v[contact()] = form.elements[contact()].value.trim();
  // A ticket from a tab that is registering, or has registered, names that record.
  const reg = session.get('registration');
  const venue = session.get('venue');
  if (venue?.venueId) v.venueId = venue.venueId;
  else if (reg?.registrationId) v.registrationId = reg.registrationId;
  const p = {};
  if (v.name.length < limits.name.min || v.name.length > limits.name.max) p.name = 'length';
  if (!v[contact()] || (contact() === 'email' && form.elements.email.validity.typeMismatch)) p[contact()] = 'format';
  if (!v.topic) p.topic = 'required';
  if (v.message.length < limits.message.min || v.message.length > limits.message.max) p.message = 'length';
  fields.set(p);
  if (Object.keys(p).length > 0) {
    status.show('error', () => fixErrors(fields.count()));
    fields.focusFirst();
    return;
  }
  await busy(button, 'help.sending', async () => {
    try {
      const ticket = await withChallenge(
        (altcha) => json('/v1/helpdesk/tickets', { method: 'POST', body: altcha ? { ...v, altcha } : v }),
        () => status.info('pow.solving'),
      );
      form.hidden = true;
      done.success('help.done', { id: ticket.ticketId });
      done.el.focus();
    } catch (err) {
      apiFailure(err, status, fields);
    }
  });
});

// The message page: instead of receiving a code, the business sends us the text
// shown here from the phone or mailbox it registered (WhatsApp, SMS or e-mail).
// The page asks the service every 2 s, then less often, until the message has
// arrived or the text has expired, and moves on by itself.
import { json } from './api.js';
import { start, Status, session, errorText } from './ui.js';
import { t, clock, onChange } from './i18n.js';

start();
const status = new Status(document.getElementById('status'));
const offers = document.getElementById('offers');
const checkNow = document.getElementById('check-now');
const reg = session.get('registration');
let timer;
let delay = 2000;
let done = false;

// links are the ways to send the text: WhatsApp opens with it typed in; SMS and
// e-mail links fill it in where the phone's apps allow.
function link(offer) {
  switch (offer.via) {
    case 'whatsapp': return offer.link;
    case 'sms': return `sms:${offer.to}?&body=${encodeURIComponent(offer.text)}`;
    case 'email': return `mailto:${offer.to}?subject=${encodeURIComponent(offer.text)}&body=${encodeURIComponent(offer.text)}`;
    default: return '';
  }
}

function describe() {
  document.getElementById('message-intro').textContent = t('message.intro', { destination: reg.destination });
  document.getElementById('message-text').textContent = reg.inbound[0].text;
  document.getElementById('expires').textContent = t('message.expires', { time: clock(new Date(reg.expiresAt)) });
  offers.replaceChildren(...reg.inbound.map((offer, i) => {
    const li = document.createElement('li');
    const a = document.createElement('a');
    a.href = link(offer);
    a.className = i === 0 ? 'button primary' : 'button secondary';
    a.dataset.via = offer.via;
    a.textContent = t(`message.send.${offer.via}`);
    const to = document.createElement('p');
    to.className = 'hint';
    to.textContent = t(`message.to.${offer.via}`, { to: offer.to });
    li.append(a, to);
    return li;
  }));
}

async function check() {
  clearTimeout(timer);
  if (done) return;
  try {
    const venue = await json(`/v1/registrations/${encodeURIComponent(reg.registrationId)}/verify`, { method: 'POST', body: {} });
    done = true;
    session.set('venue', { ...venue, businessName: reg.businessName });
    session.remove('registration');
    status.success('message.arrived');
    location.assign('/result.html');
    return;
  } catch (err) {
    if (err.code !== 'not_received' && err.code !== 'network') {
      done = true;
      checkNow.hidden = true;
      status.show('error', () => (err.code === 'code_expired' ? t('message.expired') : errorText(err)));
      return;
    }
  }
  const left = Date.parse(reg.expiresAt) - Date.now();
  if (left <= 0) {
    done = true;
    checkNow.hidden = true;
    status.show('error', () => t('message.expired'));
    return;
  }
  timer = setTimeout(check, Math.min(delay, left + 1000));
  delay = Math.min(delay * 1.5, 15000);
}

if (!reg || !Array.isArray(reg.inbound) || reg.inbound.length === 0) {
  const flow = document.getElementById('flow');
  flow.before(status.el);
  flow.hidden = true;
  status.show('error', () => t('message.none'));
} else {
  onChange(describe);
  status.info('message.waiting');
  timer = setTimeout(check, delay);
  checkNow.addEventListener('click', () => {
    delay = 2000;
    check();
  });
}

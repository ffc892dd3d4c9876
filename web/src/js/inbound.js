// Proof by message, as registration and sign-in both offer it: the button that
// asks for it instead of a code (offered at once when a code is refused), and the
// wait for the message (the text to send, where to send it, and the checks until
// it has arrived). Nothing is sent to the contact: it sends us one message.
import { json } from './api.js';
import { apiFailure, errorText } from './ui.js';
import { t, clock, onChange } from './i18n.js';

// Offer is the "send us a message instead" button of a form that asks for a phone
// or an e-mail address (#inbound, #inbound-hint, #inbound-offer, #inbound-offer-text).
// contact answers which of the two the form holds.
export class Offer {
  constructor(contact, status) {
    this.contact = contact;
    this.status = status;
    this.button = document.getElementById('inbound');
    this.hint = document.getElementById('inbound-hint');
    this.box = document.getElementById('inbound-offer');
    this.text = document.getElementById('inbound-offer-text');
    // open says which contacts inbound proof can take: the service says so in the
    // refusals of codes; until one came, both are offered.
    this.open = { phone: true, email: true };
    this.refused = false;
    onChange(() => this.paint());
  }

  paint() {
    const c = this.contact();
    this.button.hidden = !this.open[c];
    this.hint.hidden = !this.open[c];
    this.button.dataset.i18n = `inbound.button.${c}`;
    this.button.textContent = t(this.button.dataset.i18n);
    this.hint.textContent = t('inbound.hint');
    this.box.hidden = !this.refused || !this.open[c];
    this.text.textContent = t(`inbound.offer.${c}`);
  }

  // reset forgets a refusal: the contact changed.
  reset() {
    this.refused = false;
    this.paint();
  }

  // failed shows err, the answer to a request for a code (proof false) or for
  // proof by message. A service that takes no message for this kind of contact
  // leaves only codes (focus goes to codeButton); a refused code offers a message
  // at once where the service says it would take one.
  failed(err, proof, fields, codeButton) {
    if (proof && err.fields && err.fields.proof) {
      this.open[this.contact()] = false;
      this.refused = false;
      this.paint();
      this.status.show('error', () => t('inbound.closed'));
      codeButton.focus();
      return;
    }
    apiFailure(err, this.status, fields);
    if (!proof && (err.code === 'rate_limited' || err.code === 'temporarily_unavailable')) {
      this.refused = err.inboundAvailable;
      this.open[this.contact()] = err.inboundAvailable;
      this.paint();
    }
  }
}

// link is where a button sends the text: WhatsApp opens with it typed in; SMS and
// e-mail links fill it in where the phone's apps allow.
export function link(offer) {
  switch (offer.via) {
    case 'whatsapp': return offer.link;
    case 'sms': return `sms:${offer.to}?&body=${encodeURIComponent(offer.text)}`;
    case 'email': return `mailto:${offer.to}?subject=${encodeURIComponent(offer.text)}&body=${encodeURIComponent(offer.text)}`;
    default: return '';
  }
}

// Wait shows what to send for a pending registration or sign-in (the 202 with
// inbound[]) in #message-intro, #message-text, #offers and #message-expires, and
// asks the service every 2 s, then less often, until the message has arrived
// (proven gets the verify answer) or the text has expired. #check-now asks at once
// and says so when nothing has arrived yet.
export class Wait {
  constructor(status, proven) {
    this.status = status;
    this.proven = proven;
    this.pending = null;
    this.checkNow = document.getElementById('check-now');
    this.checkNow.addEventListener('click', () => {
      this.delay = 2000;
      this.check(true);
    });
    onChange(() => { if (this.pending) this.describe(); });
  }

  // start waits for pending's message, checked at verifyPath.
  start(pending, verifyPath) {
    this.stop();
    this.pending = pending;
    this.path = verifyPath;
    this.done = false;
    this.delay = 2000;
    this.checkNow.hidden = false;
    this.describe();
    this.status.info('message.waiting');
    this.timer = setTimeout(() => this.check(false), this.delay);
  }

  // stop checks no more (the user starts again).
  stop() {
    clearTimeout(this.timer);
    this.pending = null;
  }

  describe() {
    const p = this.pending;
    document.getElementById('message-intro').textContent = t('message.intro', { destination: p.destination });
    document.getElementById('message-text').textContent = p.inbound[0].text;
    document.getElementById('message-expires').textContent = t('message.expires', { time: clock(new Date(p.expiresAt)) });
    document.getElementById('offers').replaceChildren(...p.inbound.map((offer, i) => {
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

  end(render) {
    this.done = true;
    clearTimeout(this.timer);
    this.checkNow.hidden = true;
    this.status.show('error', render);
  }

  async check(asked) {
    clearTimeout(this.timer);
    const p = this.pending;
    if (!p || this.done) return;
    try {
      const answer = await json(this.path, { method: 'POST', body: {} });
      if (p !== this.pending || this.done) return;
      this.done = true;
      this.status.success('message.arrived');
      this.proven(answer);
      return;
    } catch (err) {
      if (p !== this.pending || this.done) return;
      if (err.code !== 'not_received' && err.code !== 'network') {
        this.end(() => (err.code === 'code_expired' ? t('message.expired') : errorText(err)));
        return;
      }
      if (asked && err.code === 'not_received') this.status.info('message.notYet');
    }
    const left = Date.parse(p.expiresAt) - Date.now();
    if (left <= 0) {
      this.end(() => t('message.expired'));
      return;
    }
    clearTimeout(this.timer); // a check asked for while another was under way
    this.timer = setTimeout(() => this.check(false), Math.min(this.delay, left + 1000));
    this.delay = Math.min(this.delay * 1.5, 15000);
  }
}

// The message page: instead of receiving a code, the business sends us the text
// shown here from the phone or mailbox it registered (WhatsApp, SMS or e-mail).
// The page moves on by itself once the message has arrived (see inbound.js).
import { start, Status, session } from './ui.js';
import { t } from './i18n.js';
import { Wait } from './inbound.js';

start();
const status = new Status(document.getElementById('status'));
const reg = session.get('registration');

if (!reg || !Array.isArray(reg.inbound) || reg.inbound.length === 0) {
  const flow = document.getElementById('flow');
  flow.before(status.el);
  flow.hidden = true;
  status.show('error', () => t('message.none'));
} else {
  const wait = new Wait(status, (venue) => {
    session.set('venue', { ...venue, businessName: reg.businessName });
    session.remove('registration');
    location.assign('/result.html');
  });
  wait.start(reg, `/v1/registrations/${encodeURIComponent(reg.registrationId)}/verify`);
}

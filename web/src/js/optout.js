// The opt-out page for the "this was not me" link: POST /v1/optout with the token.
import { json } from './api.js';
import { start, Status, busy } from './ui.js';
import { t } from './i18n.js';

start();
const form = document.getElementById('optout-form');
const status = new Status(document.getElementById('status'));
const button = form.querySelector('button[type=submit]');
const token = new URLSearchParams(location.search).get('token') || '';

if (!token) {
  button.hidden = true;
  status.show('error', () => t('optout.missing'));
}

form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  status.clear();
  await busy(button, 'optout.sending', async () => {
    try {
      await json('/v1/optout', { method: 'POST', body: { token } });
      button.hidden = true;
      status.success('optout.done');
    } catch (err) {
      if (err.code === 'unauthorized' || (err.code === 'invalid_request' && err.fields.token)) status.show('error', () => t('field.token'));
      else status.error(err);
    }
    status.el.focus();
  });
});

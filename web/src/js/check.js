// The check page, opened by a phone camera from a venue's QR code: the payload is
// in the URL's fragment, which never leaves the phone. The signature is checked
// here with WebCrypto against the registry's keys (GET /v1/keys), kept in
// localStorage for the next check without internet; the service worker (sw.js)
// keeps the page itself for that.
import { setupSwitch, apply, onChange, t, moment } from './i18n.js';
import { verify, fromFragment } from './qrcheck.js';

const keysItem = 'qr-keys';

setupSwitch();
apply();
if ('serviceWorker' in navigator) navigator.serviceWorker.register('/sw.js').catch(() => { /* works online without it */ });

// savedKeys is the key set last fetched, with when: null if none.
function savedKeys() {
  try {
    const saved = JSON.parse(localStorage.getItem(keysItem));
    if (saved && saved.jwks && Array.isArray(saved.jwks.keys)) return saved;
  } catch { /* storage off or garbage */ }
  return null;
}

async function fetchKeys() {
  const resp = await fetch('/v1/keys', { cache: 'no-cache' });
  if (!resp.ok) throw new Error(`keys: ${resp.status}`);
  const jwks = await resp.json();
  const saved = { jwks, at: Date.now() };
  try { localStorage.setItem(keysItem, JSON.stringify(saved)); } catch { /* storage may be off */ }
  return saved;
}

function render(state, { name = '', text, detail = '', offlineAt = 0, result = null } = {}) {
  const box = document.getElementById('verdict');
  box.dataset.state = state;
  document.getElementById('verdict-name').textContent = name;
  onChange(() => {
    document.getElementById('verdict-text').textContent = t(text);
    document.getElementById('verdict-detail').textContent = detail ? t(detail) : '';
    const off = document.getElementById('verdict-offline');
    off.hidden = !offlineAt;
    off.textContent = offlineAt ? t('check.offline', { time: moment(new Date(offlineAt)) }) : '';
  });
  const ids = document.getElementById('verdict-ids');
  ids.hidden = !result;
  if (result) {
    document.getElementById('verdict-venue').textContent = result.venueId;
    // A format 1 code (printed before serials) has none.
    document.getElementById('verdict-serial-part').hidden = result.serial === undefined;
    document.getElementById('verdict-serial').textContent = String(result.serial ?? '');
  }
}

async function check() {
  const payload = fromFragment(location.hash.slice(1));
  if (!payload) {
    render('none', { text: 'check.none' });
    return;
  }
  let keys = null;
  let offlineAt = 0;
  try {
    keys = await fetchKeys();
  } catch {
    keys = savedKeys();
    offlineAt = keys ? keys.at : 0;
  }
  if (!keys) {
    render('unchecked', { text: 'check.noKeys' });
    return;
  }
  const result = await verify(payload, keys.jwks);
  if (result.valid) {
    render('genuine', { name: result.businessName, text: 'check.genuine', detail: 'check.genuineDetail', offlineAt, result });
  } else {
    render('not-genuine', { text: 'check.notGenuine', detail: `check.reason.${result.reason}`, offlineAt });
  }
}

window.addEventListener('hashchange', check);
check();

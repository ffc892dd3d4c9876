// The result page: the QR code preview and the downloads (PNG, SVG, the A4 poster
// as PDF), each fetched with the venue token and saved through a blob URL.
import { json, blob } from './api.js';
import { start, Status, busy, session, saveFile, slug, qrFormats } from './ui.js';
import { t, moment, onChange } from './i18n.js';

start();
const status = new Status(document.getElementById('status'));
const venue = session.get('venue');

if (!venue) {
  const flow = document.getElementById('flow');
  flow.before(status.el);
  flow.hidden = true;
  status.show('error', () => t('result.none'));
} else {
  show(venue.businessName);
  document.getElementById('venue-id').textContent = venue.venueId;
  preview();
  refreshName();
  for (const btn of document.querySelectorAll('[data-format]')) {
    btn.addEventListener('click', () => download(btn));
  }
}

function show(name) {
  document.getElementById('venue-name').textContent = name || '';
  onChange(() => {
    document.getElementById('qr').alt = t('result.qrAlt', { name: name || venue.venueId });
    document.getElementById('keep').textContent = venue.tokenExpiresAt ? t('result.keep', { time: moment(new Date(venue.tokenExpiresAt)) }) : '';
  });
}

function path(format) {
  return `/v1/venues/${encodeURIComponent(venue.venueId)}/qr?format=${format}`;
}

// refreshName reads the venue record, which carries the name as registered.
async function refreshName() {
  try {
    const rec = await json(`/v1/venues/${encodeURIComponent(venue.venueId)}`, { token: venue.accessToken });
    if (rec && rec.businessName) {
      venue.businessName = rec.businessName;
      show(rec.businessName);
    }
  } catch { /* the preview and downloads report their own errors */ }
}

async function preview() {
  const img = document.getElementById('qr');
  const loading = document.getElementById('qr-loading');
  try {
    const svg = await blob(path('svg'), { token: venue.accessToken, accept: qrFormats.svg.type });
    img.src = URL.createObjectURL(svg);
    img.hidden = false;
    loading.hidden = true;
  } catch (err) {
    loading.hidden = true;
    status.error(err);
  }
}

async function download(btn) {
  const format = btn.dataset.format;
  status.clear();
  await busy(btn, 'result.downloading', async () => {
    try {
      const file = await blob(path(format), { token: venue.accessToken, accept: qrFormats[format].type });
      const name = `${format === 'poster' ? 'poster' : 'qr'}-${slug(venue.businessName) || venue.venueId}.${qrFormats[format].ext}`;
      saveFile(file, name);
      status.success('result.downloaded', { file: name });
    } catch (err) {
      status.error(err);
      status.el.focus();
    }
  });
}


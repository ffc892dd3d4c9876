// "My venues": every venue of the signed-in owner, with its downloads, and the
// changes an owner may make. Each destructive step (an edit or a reissue, which
// make the old poster stop working; a closure; the account's deletion) asks first.
import { json, blob } from './api.js';
import { start, Status, Fields, busy, apiFailure, fixErrors, session, saveFile, slug, qrFormats } from './ui.js';
import { t, moment, onChange, apply } from './i18n.js';

start();
const status = new Status(document.getElementById('status'));
const owner = session.get('owner');
const list = document.getElementById('venues');
const template = document.getElementById('venue-template');
let venues = [];

const ask = (key, params) => window.confirm(t(key, params));
const api = (path, opts = {}) => json(path, { ...opts, token: owner.accessToken });

function signedOut() {
  session.remove('owner');
  document.getElementById('flow').hidden = true;
  document.getElementById('signed-out').hidden = false;
}

if (!owner || Date.parse(owner.tokenExpiresAt) <= Date.now()) {
  signedOut();
} else {
  document.getElementById('flow').hidden = false;
  load();
}

// failed shows err; an ended owner token sends the page back to "sign in".
function failed(err, fields) {
  if (err.code === 'unauthorized') {
    signedOut();
    return;
  }
  apiFailure(err, status, fields);
}

async function load() {
  try {
    venues = (await api('/v1/venues')).venues;
    render();
  } catch (err) {
    failed(err);
  }
}

function render() {
  list.replaceChildren(...venues.map(card));
  document.getElementById('empty').hidden = venues.length > 0;
  apply(list);
}

function card(v) {
  const li = template.content.firstElementChild.cloneNode(true);
  li.dataset.venueId = v.venueId;
  li.querySelector('.venue-name').textContent = v.businessName;
  li.querySelector('.venue-address').textContent = v.address;
  const kept = li.querySelector('.venue-kept');
  onChange(() => { kept.textContent = v.keptUntil ? t('venues.keptUntil', { date: moment(new Date(v.keptUntil)) }) : ''; });
  const form = li.querySelector('.edit-form');
  for (const name of ['businessName', 'address']) {
    const input = form.elements[name];
    input.id = `${name}-${v.venueId}`;
    input.previousElementSibling.htmlFor = input.id;
    input.nextElementSibling.id = `${input.id}-error`;
    input.setAttribute('aria-describedby', `${input.id}-error`);
  }
  const fields = new Fields(form);
  li.querySelector('[data-action=poster]').addEventListener('click', (ev) => download(ev.currentTarget, v, 'poster'));
  li.querySelector('[data-action=png]').addEventListener('click', (ev) => download(ev.currentTarget, v, 'png'));
  li.querySelector('[data-action=edit]').addEventListener('click', () => {
    form.elements.businessName.value = v.businessName;
    form.elements.address.value = v.address;
    form.hidden = false;
    form.elements.businessName.focus();
  });
  li.querySelector('[data-action=cancel]').addEventListener('click', () => { form.hidden = true; fields.clear(); });
  form.addEventListener('submit', (ev) => { ev.preventDefault(); edit(form, fields, v); });
  li.querySelector('[data-action=reissue]').addEventListener('click', (ev) => reissue(ev.currentTarget, v));
  li.querySelector('[data-action=close]').addEventListener('click', (ev) => close(ev.currentTarget, v));
  return li;
}

function replace(next) {
  venues = venues.map((v) => (v.venueId === next.venueId ? next : v));
  render();
}

async function download(btn, v, format) {
  status.clear();
  await busy(btn, 'result.downloading', async () => {
    try {
      const file = await blob(`/v1/venues/${encodeURIComponent(v.venueId)}/qr?format=${format}`, { token: owner.accessToken, accept: qrFormats[format].type });
      const name = `${format === 'poster' ? 'poster' : 'qr'}-${slug(v.businessName) || v.venueId}.${qrFormats[format].ext}`;
      saveFile(file, name);
      status.success('result.downloaded', { file: name });
    } catch (err) {
      failed(err);
    }
  });
}

function details(form) {
  const v = { businessName: form.elements.businessName.value.trim(), address: form.elements.address.value.trim() };
  const p = {};
  if (v.businessName.length < 2 || v.businessName.length > 100) p.businessName = 'length';
  if (v.address.length < 5 || v.address.length > 200) p.address = 'length';
  return [v, p];
}

async function edit(form, fields, v) {
  status.clear();
  const [body, problems] = details(form);
  fields.set(problems);
  if (Object.keys(problems).length > 0) {
    status.show('error', () => fixErrors(fields.count()));
    fields.focusFirst();
    return;
  }
  if (!ask('venues.confirmEdit', { name: v.businessName })) return;
  await busy(form.querySelector('button[type=submit]'), 'venues.saving', async () => {
    try {
      const next = await api(`/v1/venues/${encodeURIComponent(v.venueId)}`, { method: 'PATCH', body });
      replace(next);
      status.success('venues.saved', { name: next.businessName });
    } catch (err) {
      failed(err, fields);
    }
  });
}

async function reissue(btn, v) {
  status.clear();
  if (!ask('venues.confirmReissue', { name: v.businessName })) return;
  await busy(btn, 'venues.working', async () => {
    try {
      replace(await api(`/v1/venues/${encodeURIComponent(v.venueId)}/reissue`, { method: 'POST' }));
      status.success('venues.reissued', { name: v.businessName });
    } catch (err) {
      failed(err);
    }
  });
}

async function close(btn, v) {
  status.clear();
  if (!ask('venues.confirmClose', { name: v.businessName })) return;
  await busy(btn, 'venues.working', async () => {
    try {
      await api(`/v1/venues/${encodeURIComponent(v.venueId)}`, { method: 'DELETE' });
      venues = venues.filter((x) => x.venueId !== v.venueId);
      render();
      status.success('venues.closed', { name: v.businessName });
    } catch (err) {
      failed(err);
    }
  });
}

const addForm = document.getElementById('add-form');
const addFields = new Fields(addForm);
addForm.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  status.clear();
  const [body, problems] = details(addForm);
  addFields.set(problems);
  if (Object.keys(problems).length > 0) {
    status.show('error', () => fixErrors(addFields.count()));
    addFields.focusFirst();
    return;
  }
  await busy(addForm.querySelector('button[type=submit]'), 'venues.saving', async () => {
    try {
      const added = await api('/v1/venues', { method: 'POST', body });
      venues = [...venues, added];
      render();
      addForm.reset();
      status.success('venues.added', { name: added.businessName });
    } catch (err) {
      failed(err, addFields);
    }
  });
});

document.getElementById('export').addEventListener('click', async (ev) => {
  status.clear();
  await busy(ev.currentTarget, 'venues.working', async () => {
    try {
      const data = await api('/v1/account/export');
      const name = 'checkin-registry-export.json';
      saveFile(new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' }), name);
      status.success('venues.exported', { file: name });
    } catch (err) {
      failed(err);
    }
  });
});

document.getElementById('delete-account').addEventListener('click', async (ev) => {
  status.clear();
  if (!ask('venues.confirmDelete')) return;
  await busy(ev.currentTarget, 'venues.working', async () => {
    try {
      await api('/v1/account', { method: 'DELETE' });
      session.remove('owner');
      document.getElementById('flow').hidden = true;
      status.success('venues.deleted');
    } catch (err) {
      failed(err);
    }
  });
});

document.getElementById('sign-out').addEventListener('click', () => {
  session.remove('owner');
  location.assign('/signin.html');
});

// Shared page behaviour: the language switch, the status message (aria-live),
// field errors tied to their inputs, and readable text for every API error code.
import { t, duration, onChange, apply, setupSwitch } from './i18n.js';
import { ApiError } from './api.js';

// start translates the page and wires the language switch; call it first.
export function start() {
  setupSwitch();
  apply();
}

// Status is the message area of a page (role=status or role=alert, aria-live).
// show takes a function that renders the text, so that it follows language changes.
export class Status {
  constructor(el) {
    this.el = el;
    this.render = null;
    onChange(() => this.paint());
  }
  // The region stays in the page (empty, it takes no space) and is emptied, then
  // filled on the next frame: screen readers announce a change to a live region
  // they already track, not text that appears together with the region.
  show(kind, render) {
    this.render = render;
    cancelAnimationFrame(this.frame);
    delete this.el.dataset.kind;
    this.el.textContent = '';
    this.frame = requestAnimationFrame(() => {
      this.el.dataset.kind = kind;
      this.paint();
    });
  }
  info(key, params) { this.show('info', () => t(key, params)); }
  success(key, params) { this.show('success', () => t(key, params)); }
  error(err) { this.show('error', () => errorText(err)); }
  clear() {
    this.render = null;
    cancelAnimationFrame(this.frame);
    delete this.el.dataset.kind;
    this.el.textContent = '';
  }
  paint() {
    if (this.render) this.el.textContent = this.render();
  }
}

// errorText is the user's explanation of err (an ApiError or anything thrown).
export function errorText(err) {
  if (!(err instanceof ApiError)) return t('error.unknown');
  const wait = err.retryAfterSeconds > 0 ? duration(err.retryAfterSeconds) : '';
  let text;
  switch (err.code) {
    case 'invalid_code':
      if (typeof err.attemptsRemaining !== 'number') text = t('error.invalid_code_none');
      else if (err.attemptsRemaining === 1) text = t('error.invalid_code_one');
      else text = t('error.invalid_code', { attempts: err.attemptsRemaining });
      break;
    case 'rate_limited':
    case 'too_many_attempts':
    case 'temporarily_unavailable':
      text = wait ? t(`error.${err.code}`, { wait }) : t(`error.${err.code}_now`);
      break;
    default: {
      const key = `error.${err.code}`;
      text = t(key) === key ? t('error.unknown') : t(key);
    }
  }
  if (err.code === 'internal' && err.requestId) text += ' ' + t('error.reference', { id: err.requestId });
  return text;
}

// Fields shows problems next to a form's inputs: aria-invalid on the input and a
// message element (id "<input id>-error") listed in its aria-describedby.
export class Fields {
  constructor(form) {
    this.form = form;
    this.problems = {};
    onChange(() => this.paint());
  }
  // set takes {name: detail}; detail is the server's text, shown only for unknown
  // fields; a null detail marks the input invalid with no message of its own (the
  // status above the button explains it).
  set(problems) {
    this.problems = { ...problems };
    this.paint();
  }
  clear() { this.set({}); }
  count() { return Object.keys(this.problems).filter((n) => this.input(n)).length; }
  input(name) { return this.form.elements.namedItem(name); }
  paint() {
    for (const el of this.form.querySelectorAll('.field-error')) {
      el.textContent = '';
      el.hidden = true;
    }
    for (const el of this.form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
    for (const [name, detail] of Object.entries(this.problems)) {
      const input = this.input(name);
      if (!input || !input.id) continue;
      const msg = document.getElementById(`${input.id}-error`);
      input.setAttribute('aria-invalid', 'true');
      if (msg && detail !== null) {
        const key = `field.${name}`;
        msg.textContent = t(key) === key ? t('field.other', { detail }) : t(key);
        msg.hidden = false;
      }
    }
  }
  // focusFirst moves focus to the first input with a problem, in form order.
  focusFirst() {
    const first = [...this.form.elements].find((el) => el.getAttribute('aria-invalid') === 'true');
    if (first) first.focus();
    return !!first;
  }
}

// busy disables a submit button and shows a working label while fn runs.
export async function busy(button, key, fn) {
  const label = button.dataset.i18n;
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  button.dataset.i18n = key;
  button.textContent = t(key);
  try {
    return await fn();
  } finally {
    if (label) {
      button.dataset.i18n = label;
      button.textContent = t(label);
    } else {
      delete button.dataset.i18n;
    }
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}

// fixErrors is the summary above a form with n wrong fields.
export function fixErrors(n) {
  return n === 1 ? t('form.fixErrors_one') : t('form.fixErrors', { count: n });
}

// apiFailure shows an API error: field problems beside the inputs, the rest in status.
export function apiFailure(err, status, fields) {
  if (fields && err instanceof ApiError && Object.keys(err.fields).length > 0) {
    fields.set(err.fields);
    if (fields.count() > 0) {
      status.show('error', () => `${errorText(err)} ${fixErrors(fields.count())}`);
      fields.focusFirst();
      return;
    }
  }
  status.error(err);
  status.el.focus();
}

// session storage: the registration in progress and the verified venue, per tab.
export const session = {
  get(key) {
    try { return JSON.parse(sessionStorage.getItem(key) || 'null'); } catch { return null; }
  },
  set(key, value) { sessionStorage.setItem(key, JSON.stringify(value)); },
  remove(key) { sessionStorage.removeItem(key); },
};

// saveFile hands a downloaded body to the browser as a file called name.
export function saveFile(file, name) {
  const url = URL.createObjectURL(file);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

// slug is a name fit for a file name.
export function slug(s = '') {
  return s.normalize('NFKD').replace(/[^\w\s-]/g, '').trim().toLowerCase().replace(/[\s_-]+/g, '-').slice(0, 40);
}

// QR file formats: the query's format, the file's extension and media type.
export const qrFormats = {
  png: { ext: 'png', type: 'image/png' },
  svg: { ext: 'svg', type: 'image/svg+xml' },
  poster: { ext: 'pdf', type: 'application/pdf' },
};

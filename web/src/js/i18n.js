// Malay and English text, the language switch, and re-rendering of whatever is
// on screen when the language changes. The dictionaries are data, one module
// per language (i18n/ms.js, i18n/en.js); no library.
import ms from './i18n/ms.js';
import en from './i18n/en.js';

const dict = { ms, en };

export const languages = Object.keys(dict);
const storeKey = 'lang';
let current = initial();
const listeners = new Set();

function initial() {
  const asked = new URLSearchParams(location.search).get('lang');
  try {
    if (asked && dict[asked]) localStorage.setItem(storeKey, asked);
    const saved = localStorage.getItem(storeKey);
    if (saved && dict[saved]) return saved;
  } catch { /* storage may be off */ }
  return asked && dict[asked] ? asked : 'ms';
}

export function lang() { return current; }

// t answers the text for key in the current language, with {name} filled from params.
export function t(key, params = {}) {
  const s = dict[current][key] ?? dict.en[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (m, k) => (k in params ? String(params[k]) : m));
}

// duration is a wait in words: "3 minutes", "45 saat".
export function duration(seconds) {
  const s = Math.max(1, Math.ceil(seconds));
  if (s < 60) return t(s === 1 ? 'unit.second' : 'unit.seconds', { n: s });
  if (s < 3600) {
    const m = Math.ceil(s / 60);
    return t(m === 1 ? 'unit.minute' : 'unit.minutes', { n: m });
  }
  const h = Math.ceil(s / 3600);
  return t(h === 1 ? 'unit.hour' : 'unit.hours', { n: h });
}

// clock is a time of day in the current language's convention.
export function clock(date) {
  return new Intl.DateTimeFormat(current === 'ms' ? 'ms-MY' : 'en-MY', { hour: 'numeric', minute: '2-digit' }).format(date);
}

// moment is a date and time of day, for times that may be on another day.
export function moment(date) {
  return new Intl.DateTimeFormat(current === 'ms' ? 'ms-MY' : 'en-MY', { dateStyle: 'medium', timeStyle: 'short' }).format(date);
}

// onChange registers fn to run now and after every language change.
export function onChange(fn) {
  listeners.add(fn);
  fn();
  return () => listeners.delete(fn);
}

export function setLang(l) {
  if (!dict[l] || l === current) return;
  current = l;
  try { localStorage.setItem(storeKey, l); } catch { /* storage may be off */ }
  apply();
}

// apply writes every data-i18n text and data-i18n-attr attribute, then runs the listeners.
export function apply(root = document) {
  document.documentElement.lang = current;
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-attr]')) {
    for (const pair of el.dataset.i18nAttr.split(',')) {
      const [attr, key] = pair.split(':');
      el.setAttribute(attr.trim(), t(key.trim()));
    }
  }
  const title = document.querySelector('[data-i18n-title]');
  if (title) document.title = `${t(title.dataset.i18nTitle)} · ${t('site.name')}`;
  for (const fn of listeners) fn();
}

// setupSwitch wires the language button in the header.
export function setupSwitch() {
  const btn = document.getElementById('lang-switch');
  if (!btn) return;
  const other = () => languages.find((l) => l !== current);
  btn.addEventListener('click', () => setLang(other()));
  onChange(() => {
    btn.lang = other();
    btn.textContent = t('lang.switch');
    btn.setAttribute('aria-label', t('lang.switchLabel'));
  });
}

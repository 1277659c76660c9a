// The client side of the i18n catalogue. Every page loads `common` plus its own namespace
// (web/i18n/<lang>/<namespace>.json); `vi` is the default, `en` the switch.
// `?lang=en` (or `vi`) in the address picks the language and is remembered.
const LANGS = ['vi', 'en'];
const asked = new URLSearchParams(location.search).get('lang');
if (LANGS.includes(asked)) localStorage.setItem('gpmb.lang', asked);
const stored = localStorage.getItem('gpmb.lang');
const state = { lang: LANGS.includes(stored) ? stored : 'vi', t: {} };

export const lang = () => state.lang;

/** Remembers the language for the next page load. */
export function setLanguage(code) {
  if (LANGS.includes(code)) localStorage.setItem('gpmb.lang', code);
}

/** Loads the catalogues of the current language and fills every `[data-i18n]` element. */
export async function loadCatalogue(namespaces = []) {
  const all = ['common', ...namespaces.filter((n) => n !== 'common')];
  const parts = await Promise.all(all.map(async (ns) => {
    const res = await fetch(`/static/i18n/${state.lang}/${ns}.json`);
    return res.ok ? res.json() : {};
  }));
  state.t = Object.assign({}, ...parts);
  document.documentElement.lang = state.lang;
  applyI18n(document);
}

/** Translates `[data-i18n]` text and `[data-i18n-attr="attr:key,…"]` attributes under `root`. */
export function applyI18n(root) {
  for (const el of root.querySelectorAll('[data-i18n]')) {
    const text = state.t[el.dataset.i18n];
    if (text) el.textContent = text;
  }
  for (const el of root.querySelectorAll('[data-i18n-attr]')) {
    for (const pair of el.dataset.i18nAttr.split(',')) {
      const [attr, key] = pair.split(':');
      if (state.t[key]) el.setAttribute(attr, state.t[key]);
    }
  }
}

/** The text for `key`, with `{name}` placeholders filled from `vars`; the key itself if missing. */
export function t(key, vars = {}) {
  const text = state.t[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
}

const locale = () => (state.lang === 'vi' ? 'vi-VN' : 'en-GB');

export const fmtNumber = (n, digits = 0) =>
  Number(n).toLocaleString(locale(), { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** Hectares from square metres, two decimals. */
export const fmtHa = (m2) => fmtNumber(m2 / 10000, 2);

/** dd/mm/yyyy for a `YYYY-MM-DD` date or an RFC 3339 timestamp (shown in local time). */
export function fmtDate(value) {
  if (!value) return '';
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const [y, m, d] = value.split('-');
    return `${d}/${m}/${y}`;
  }
  const date = new Date(value);
  const pad = (n) => String(n).padStart(2, '0');
  return `${pad(date.getDate())}/${pad(date.getMonth() + 1)}/${date.getFullYear()}`;
}

export const fmtDateTime = (value) => {
  if (!value) return '';
  const date = new Date(value);
  const pad = (n) => String(n).padStart(2, '0');
  return `${fmtDate(value)} ${pad(date.getHours())}:${pad(date.getMinutes())}`;
};

/** Wires a button that switches between vi and en (reloads the page to re-render). */
export function languageSwitch(button) {
  button.addEventListener('click', () => {
    setLanguage(state.lang === 'vi' ? 'en' : 'vi');
    // Drop a `?lang=` from the address, or it would switch straight back.
    const url = new URL(location.href);
    url.searchParams.delete('lang');
    location.replace(url);
  });
}

// The import section of the data page (/data): parcel files (GeoJSON, zipped Shapefile, with
// the CRS) and household registers (XLSX, CSV), checked first (dry run) then imported; the
// server's report is shown line by line. Keeps its own catalogue (import.json) so it does not
// race data.js over the shared one.
import { me } from './lib/api.js';
import { lang } from './lib/i18n.js';

let words = {};
const tr = (key, vars = {}) =>
  (words[key] ?? key).replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));

/**
 * A row's problem in the user's words, from its stable code and the values it names (`details`);
 * the short text of the code when the catalogue has no sentence for them (the server's reason
 * is English).
 */
function problemText(code, details = {}) {
  const full = words[`import.detail.${code}`];
  if (full) {
    const text = tr(`import.detail.${code}`, details);
    if (!/\{\w+\}/.test(text)) return text;
  }
  return words[`import.code.${code}`] ?? words['import.code.other'] ?? code;
}

/** A refusal of the whole file in the user's words, from the error envelope's code. */
const fileError = (code) => (words[`import.error.${code}`] ? tr(`import.error.${code}`) : tr('import.error.other', { code }));

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'text') node.textContent = v;
    else node.setAttribute(k, v);
  }
  node.append(...children);
  return node;
}

async function projectCode() {
  const select = document.querySelector('#data-project');
  if (select?.value) return select.value;
  const res = await fetch('/api/v1/projects', { credentials: 'same-origin' });
  const page = res.ok ? await res.json() : { items: [] };
  return page.items?.[0]?.code || '';
}

function crsValue(form) {
  const choice = form.querySelector('[name=crs]').value;
  if (choice === 'other') {
    const m = form.querySelector('[name=meridian]').value.trim();
    return m ? `vn2000:${m}` : '';
  }
  return choice;
}

const where = (e) => (e.row != null ? tr('import.row', { n: e.row }) : tr('import.feature', { n: e.index }));

/**
 * The server's own sentence (English, with positions), folded away, for whoever fixes the file in
 * English; the Vietnamese page has its own words with the same values (no English on it).
 */
const serverWords = (e) => (lang() === 'en' && e.reason
  ? el('details', { class: 'import-detail' }, el('summary', { text: tr('import.server_words') }), el('span', { lang: 'en', text: e.reason }))
  : '');

function showReport(out, report, status) {
  const file = report.file;
  const summary = el('p', { class: status === 'ok' ? 'import-ok' : 'error', role: 'status' });
  if (status === 'refused') summary.textContent = tr('import.refused', { file, count: report.errors.length });
  else if (report.dry_run) summary.textContent = tr('import.dry', report);
  else summary.textContent = tr('import.done', { ...report, seconds: report.seconds.toFixed(1) });
  out.replaceChildren(summary);
  if (report.lineage?.length) {
    out.append(el('p', { text: tr('import.lineage', { count: report.lineage.length }) }));
    out.append(el('ul', {}, ...report.lineage.map((l) => el('li', { text: `${l.parcel} ← ${l.parent} (${l.kind})` }))));
  }
  if (report.warnings?.length) {
    out.append(el('p', { class: 'import-warnings-title', text: tr('import.warnings', { count: report.warnings.length }) }));
    out.append(el('ul', { class: 'import-warnings' }, ...report.warnings.map((w) => el('li', { 'data-code': w.code },
      el('span', { text: `${where(w)}${w.column ? ` (${w.column})` : ''}: ${problemText(w.code, w.details)}` })))));
  }
  if (report.errors?.length) {
    const rows = report.errors.map((e) => el('tr', {},
      el('td', { text: where(e) }),
      el('td', { text: e.key || e.column || '' }),
      el('td', { 'data-code': e.code }, el('span', { text: problemText(e.code, e.details) }), serverWords(e))));
    out.append(el('div', { class: 'table-box' }, el('table', { class: 'import-errors' },
      el('thead', {}, el('tr', {},
        el('th', { text: tr('import.col.where') }),
        el('th', { text: tr('import.col.key') }),
        el('th', { text: tr('import.col.reason') }))),
      el('tbody', {}, ...rows))));
  }
}

async function send(kind, form, dryRun) {
  const out = form.querySelector('.import-result');
  const file = form.querySelector('input[type=file]').files[0];
  if (!file) { out.replaceChildren(el('p', { class: 'error', text: tr('import.no_file') })); return; }
  const code = await projectCode();
  if (!code) { out.replaceChildren(el('p', { class: 'error', text: tr('import.no_project') })); return; }
  const params = new URLSearchParams({ filename: file.name, dry_run: String(dryRun) });
  if (kind === 'parcels') {
    const crs = crsValue(form);
    if (crs) params.set('crs', crs);
  }
  out.replaceChildren(el('p', { text: tr('import.working', { file: file.name }) }));
  for (const b of form.querySelectorAll('button')) b.disabled = true;
  try {
    const res = await fetch(`/api/v1/projects/${encodeURIComponent(code)}/imports/${kind}?${params}`, {
      method: 'POST',
      credentials: 'same-origin',
      // Always octet-stream: the server takes it for every file (an empty or text/plain type
      // would be refused with 415), and `filename` says the kind.
      headers: { 'content-type': 'application/octet-stream', accept: 'application/json' },
      body: file,
    });
    const data = await res.json().catch(() => ({}));
    if (res.ok) showReport(out, data, 'ok');
    else if (data?.error?.code === 'invalid_import' && data.error.details) showReport(out, data.error.details, 'refused');
    else out.replaceChildren(el('p', { class: 'error', role: 'alert', text: tr('import.failed', { message: fileError(data?.error?.code || `http_${res.status}`) }) }));
  } catch {
    out.replaceChildren(el('p', { class: 'error', role: 'alert', text: tr('import.failed', { message: tr('import.network') }) }));
  } finally {
    for (const b of form.querySelectorAll('button')) b.disabled = false;
  }
}

function form(kind) {
  const f = el('form', { class: 'import-form', id: `import-${kind}` });
  f.append(el('h3', { text: tr(`import.${kind}`) }));
  const accept = kind === 'parcels' ? '.geojson,.json,.zip' : '.xlsx,.csv';
  f.append(el('label', {}, el('span', { text: tr('import.file') }), el('input', { type: 'file', name: 'file', accept })));
  if (kind === 'households') {
    // The template the importer reads back as it is, in the page's language.
    f.append(el('p', { class: 'import-template-line' },
      el('a', { class: 'import-template', href: `/api/v1/imports/households/template?lang=${lang()}`, download: '', text: tr('import.template') }),
      el('span', { class: 'data-note', text: ` ${tr('import.template_note')}` })));
  }
  if (kind === 'parcels') {
    const select = el('select', { name: 'crs' },
      ...[['', 'auto'], ['EPSG:5898', '5898'], ['EPSG:9216', '9216'], ['EPSG:4326', '4326'], ['other', 'other']]
        .map(([value, key]) => el('option', { value, text: tr(`import.crs.${key}`) })));
    const meridian = el('label', { class: 'import-meridian' }, el('span', { text: tr('import.meridian') }),
      el('input', { name: 'meridian', type: 'number', step: '0.25', min: '102', max: '118', value: '108.25' }));
    meridian.style.display = 'none';
    select.addEventListener('change', () => { meridian.style.display = select.value === 'other' ? '' : 'none'; });
    f.append(el('label', {}, el('span', { text: tr('import.crs') }), select), meridian);
  }
  const check = el('button', { type: 'button', class: 'import-check', text: tr('import.check') });
  const run = el('button', { type: 'submit', class: 'import-run', text: tr('import.run') });
  check.addEventListener('click', () => send(kind, f, true));
  f.addEventListener('submit', (e) => { e.preventDefault(); send(kind, f, false); });
  f.append(el('div', { class: 'data-buttons' }, check, run), el('div', { class: 'import-result', 'aria-live': 'polite' }));
  return f;
}

// This section's own look (the page's stylesheet belongs to data.js).
const STYLE = `
.import-form label { display: flex; gap: 0.5rem; align-items: center; margin: 0.35rem 0; }
.import-errors { border-collapse: collapse; width: 100%; margin-top: 0.5rem; }
.import-errors th, .import-errors td { text-align: left; border: 1px solid #d0d5da; padding: 0.25rem 0.5rem; vertical-align: top; }
.import-errors td:first-child { white-space: nowrap; }
.import-detail summary { font-size: 0.85em; color: #4d5660; cursor: pointer; }
.import-form input[type=file] { max-width: 100%; min-width: 0; }
.import-form label { flex-wrap: wrap; }
.import-form select { max-width: 100%; }
.import-ok { color: #2c6e49; }`;

async function main() {
  const section = document.querySelector('#import');
  if (!section) return;
  document.head.append(el('style', { text: STYLE }));
  const res = await fetch(`/static/i18n/${lang()}/import.json`);
  words = res.ok ? await res.json() : {};
  section.replaceChildren(el('h2', { text: tr('import.title') }), el('p', { class: 'data-note', text: tr('import.note') }));
  const user = await me().catch(() => null);
  if (user?.user?.role !== 'admin') {
    section.append(el('p', { class: 'data-note', text: tr('import.admin_only') }));
    return;
  }
  section.append(form('parcels'), form('households'));
}

main();

// Price tables and compensation settings (administrators): the province's price tables with
// their validity, version and use, each table's prices on demand; the template, an upload
// checked first (dry run, the problems listed by sheet, row and column) and only then
// imported; and a project's compensation and support levels, each with the decision that set
// it and the national cap beside it. Money is integer đồng, shown as `1.234.567 đ`; levels
// are read and written as decimal text, never through floating point.
import { startPage, h } from '../lib/shell.js';
import { api } from '../lib/api.js';
import { t, lang, fmtDate, fmtNumber } from '../lib/i18n.js';
import { dateInput, textToIso } from '../lib/dates.js';

const user = await startPage({ namespaces: ['admin-prices'], roles: ['admin'] });
const main = document.querySelector('main');
const enc = encodeURIComponent;
const T = (key, vars) => t(`admin_prices.${key}`, vars);

/** `1.234.567 đ` (vi) or `1,234,567 đ` (en). */
const dong = (n) => `${fmtNumber(n)} đ`;

/**
 * An integer holding `value / scale` as decimal text in the page's language (11 500 with
 * scale 10 000 → `1,15`), without floating point.
 */
function scaled(value, scale) {
  const negative = value < 0;
  const v = Math.abs(value);
  const whole = Math.floor(v / scale);
  const frac = v % scale;
  let text = fmtNumber(whole);
  if (scale > 1 && frac) {
    const digits = String(scale).length - 1;
    text += (lang() === 'vi' ? ',' : '.') + String(frac).padStart(digits, '0').replace(/0+$/, '');
  }
  return (negative ? '-' : '') + text;
}

/**
 * Decimal text typed by a person as an integer × `scale`: `1,5` or `1.5` with scale 10 000 →
 * 15 000; whole numbers may group thousands (`5.000.000`). Null for empty text, NaN when it
 * is not a number or has more decimals than the scale holds.
 */
function parseScaled(text, scale) {
  const s = (text || '').replace(/[\s\u00a0]/g, '');
  if (!s) return null;
  if (scale === 1) {
    if (/^\d{1,3}([.,]\d{3})+$/.test(s)) return Number(s.replace(/[.,]/g, ''));
    return /^\d+$/.test(s) ? Number(s) : NaN;
  }
  const m = /^(\d+)(?:[.,](\d+))?$/.exec(s);
  if (!m) return NaN;
  const digits = String(scale).length - 1;
  const frac = (m[2] || '').replace(/0+$/, '');
  if (frac.length > digits) return NaN;
  return Number(m[1]) * scale + Number(frac.padEnd(digits, '0') || '0');
}

/** How many of a unit's stored integer make one of what people read (a share 6 000 is 60 %). */
const SHOWN = { dong: 1, months: 1, percent: 100, multiple: 10000, m2_centi: 100 };

const LAWS = { 'LĐĐ 2024': 'Luật Đất đai 2024', 'ND 88': 'NĐ 88/2024/NĐ-CP' };

/** An article as the API cites it (`LĐĐ 2024 Art. 109`), in Vietnamese on the Vietnamese page. */
function article(text) {
  if (!text || lang() !== 'vi') return text || '';
  return text
    .replace(/(LĐĐ 2024|ND 88) Art\. ([\w()]+)/g, (m, law, n) => `Điều ${n} ${LAWS[law]}`)
    .replace(/Res\. ([\w/]+) Art\. ([\w()]+)/g, (m, res, n) => `Điều ${n} Nghị quyết ${res}`);
}

// ---- price tables ---------------------------------------------------------------------------

const state = { tables: [], shown: null, checked: null };

function validity(table) {
  const from = fmtDate(table.valid_from);
  return table.valid_until
    ? T('validity_range', { from, until: fmtDate(table.valid_until) })
    : T('validity_open', { from });
}

function badges(table) {
  const list = [];
  if (table.in_force) list.push(['in-force', T('state.in_force')]);
  else if (table.superseded_by) list.push(['superseded', T('state.superseded')]);
  else list.push(['', T('state.not_in_force')]);
  list.push(table.used ? ['used', T('state.used')] : ['', T('state.unused')]);
  return h('div', { className: 'badges' }, ...list.map(([cls, text]) => h('span', { className: `badge ${cls}`, textContent: text })));
}

async function loadTables() {
  const page = await api('/api/v1/price-tables');
  state.tables = page.items;
  renderTables();
}

function renderTables() {
  const box = document.getElementById('price-tables');
  if (!state.tables.length) {
    box.replaceChildren(h('p', { id: 'no-price-tables', textContent: T('none') }));
    return;
  }
  const head = h('tr', {}, ...['name', 'version', 'validity', 'coefficient', 'items', 'state'].map(
    (k) => h('th', { scope: 'col', textContent: T(`col.${k}`) })), h('th', { scope: 'col' }));
  const body = h('tbody');
  for (const table of state.tables) {
    const view = h('button', { type: 'button', className: 'secondary view', textContent: T(state.shown === table.id ? 'hide' : 'view') });
    view.addEventListener('click', () => toggleItems(table));
    const actions = h('td', { className: 'actions' }, view);
    if (!table.used) {
      const del = h('button', { type: 'button', className: 'danger delete', textContent: T('delete') });
      del.setAttribute('aria-label', `${T('delete')} ${table.name} v${table.version}`);
      del.addEventListener('click', () => deleteTable(table));
      actions.append(del);
    }
    const row = h('tr', {},
      h('td', { className: 'text' }, h('span', { textContent: table.name }),
        h('span', { className: 'small', textContent: `${table.legal_basis} · ${T('col.province')} ${table.province_code}` })),
      h('td', { className: 'num', textContent: String(table.version) }),
      h('td', { className: 'text', textContent: validity(table) }),
      h('td', { className: 'num', textContent: scaled(table.land_coefficient, 10000) }),
      h('td', { className: 'num', textContent: fmtNumber(table.item_count) }),
      h('td', { className: 'text' }, badges(table)),
      actions);
    row.dataset.id = table.id;
    body.append(row);
  }
  box.replaceChildren(h('div', { className: 'table-box' },
    h('table', { id: 'price-tables-table' }, h('thead', {}, head), body)));
}

async function toggleItems(table) {
  const box = document.getElementById('price-items');
  if (state.shown === table.id) {
    state.shown = null;
    box.replaceChildren();
    renderTables();
    return;
  }
  const detail = await api(`/api/v1/price-tables/${table.id}`);
  state.shown = table.id;
  renderTables();
  const cols = ['category', 'code', 'name', 'unit', 'price', 'grade', 'age_class', 'zone'];
  const body = h('tbody', {}, ...detail.items.map((i) => h('tr', {},
    h('td', { className: 'text', textContent: T(`category.${i.category}`) }),
    h('td', { className: 'text', textContent: i.code }),
    h('td', { className: 'text', textContent: i.name }),
    h('td', { className: 'text', textContent: i.unit }),
    h('td', { className: 'num', textContent: dong(i.unit_price) }),
    h('td', { className: 'text', textContent: i.grade || '' }),
    h('td', { className: 'text', textContent: i.age_class || '' }),
    h('td', { className: 'text', textContent: i.zone || '' }))));
  box.replaceChildren(
    h('h3', { textContent: T('items_of', { name: detail.name, version: detail.version, basis: detail.legal_basis }) }),
    h('div', { className: 'table-box' }, h('table', { id: 'price-items-table' },
      h('thead', {}, h('tr', {}, ...cols.map((k) => h('th', { scope: 'col', textContent: T(`item.${k}`) })))), body)));
}

async function deleteTable(table) {
  if (!window.confirm(T('confirm_delete', { name: table.name, version: table.version }))) return;
  const out = document.getElementById('tables-status');
  try {
    await api(`/api/v1/price-tables/${table.id}`, { method: 'DELETE' });
    if (state.shown === table.id) {
      state.shown = null;
      document.getElementById('price-items').replaceChildren();
    }
    out.className = 'ok';
    out.textContent = T('deleted');
    await loadTables();
  } catch (err) {
    out.className = 'error';
    out.textContent = err.message;
  }
}

// ---- import ---------------------------------------------------------------------------------

/** A problem in the page's words, from its code and the values it names. */
function problemText(p) {
  const key = `admin_prices.code.${p.code}`;
  const text = t(key, p.details || {});
  if (text !== key && !/\{\w+\}/.test(text)) return text;
  return T('code.other');
}

function where(p) {
  const sheet = T(`sheet.${p.sheet}`);
  return p.row ? T('row', { sheet, n: p.row }) : T('whole_sheet', { sheet });
}

function columnName(p) {
  if (!p.column) return '';
  const key = `admin_prices.column.${p.column}`;
  const text = t(key);
  return text === key ? p.column : text;
}

function showReport(out, report, refused) {
  if (refused) {
    const rows = report.errors.map((p) => {
      const tr = h('tr', {},
        h('td', { className: 'text', textContent: where(p) }),
        h('td', { className: 'text', textContent: columnName(p) }),
        h('td', { className: 'text', textContent: problemText(p) }));
      tr.dataset.code = p.code;
      return tr;
    });
    out.replaceChildren(
      h('p', { className: 'error', role: 'alert', textContent: T('refused', { file: report.file, count: report.errors.length }) }),
      h('div', { className: 'table-box' }, h('table', { className: 'import-problems', id: 'import-problems' },
        h('thead', {}, h('tr', {}, ...['where', 'column', 'reason'].map((k) => h('th', { scope: 'col', textContent: T(`problem.${k}`) })))),
        h('tbody', {}, ...rows))));
    return;
  }
  const vars = {
    file: report.file, name: report.name, version: report.version, items: report.items,
    coefficient: scaled(report.land_coefficient, 10000),
  };
  const summary = h('p', { className: 'ok', role: 'status', id: 'import-summary', textContent: T(report.dry_run ? 'dry' : 'done', vars) });
  const counts = Object.entries(report.by_category || {}).map(([c, n]) => `${T(`category.${c}`)}: ${fmtNumber(n)}`).join(' · ');
  out.replaceChildren(summary, h('p', { className: 'small', textContent: counts }),
    report.supersedes_id ? h('p', { className: 'small', textContent: T('replaces') }) : '');
}

async function send(form, dryRun) {
  const out = document.getElementById('import-result');
  const run = document.getElementById('price-run');
  const file = form.querySelector('input[type=file]').files[0];
  if (!file) {
    out.replaceChildren(h('p', { className: 'error', role: 'alert', textContent: T('no_file') }));
    return;
  }
  out.replaceChildren(h('p', { textContent: T('working', { file: file.name }) }));
  for (const b of form.querySelectorAll('button')) b.disabled = true;
  let ok = false;
  try {
    const q = new URLSearchParams({ filename: file.name, dry_run: String(dryRun) });
    const res = await fetch(`/api/v1/price-tables/import?${q}`, {
      method: 'POST', credentials: 'same-origin', body: file,
      // Always octet-stream: the server takes it for every file, and the name says the kind.
      headers: { accept: 'application/json', 'content-type': 'application/octet-stream' },
    });
    const data = await res.json().catch(() => ({}));
    if (res.ok) {
      ok = true;
      showReport(out, data, false);
      if (!dryRun) await loadTables();
    } else if (data?.error?.code === 'invalid_import' && data.error.details) {
      showReport(out, data.error.details, true);
    } else {
      const code = data?.error?.code || `http_${res.status}`;
      const text = t(`error.${code}`, data?.error?.details || {});
      const message = text === `error.${code}` ? (data?.error?.message || res.statusText) : text;
      out.replaceChildren(h('p', { className: 'error', role: 'alert', textContent: T('failed', { message }) }));
    }
  } catch {
    out.replaceChildren(h('p', { className: 'error', role: 'alert', textContent: T('failed', { message: T('network') }) }));
  } finally {
    for (const b of form.querySelectorAll('button')) b.disabled = false;
    // Importing is offered once the chosen file checked clean; after an import, check again.
    state.checked = ok && dryRun ? file : null;
    run.disabled = state.checked !== file;
  }
}

function importSection() {
  const file = h('input', { type: 'file', id: 'price-file', name: 'file', accept: '.xlsx' });
  const check = h('button', { type: 'button', id: 'price-check', className: 'secondary', textContent: T('check') });
  const run = h('button', { type: 'submit', id: 'price-run', textContent: T('run'), disabled: true });
  const form = h('form', { className: 'price-form', id: 'price-import' },
    h('label', {}, h('span', { textContent: T('file') }), file),
    h('div', { className: 'buttons' }, check, run));
  file.addEventListener('change', () => {
    state.checked = null;
    run.disabled = true;
    document.getElementById('import-result').replaceChildren();
  });
  check.addEventListener('click', () => send(form, true));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    send(form, false);
  });
  return h('section', { id: 'import' },
    h('h2', { textContent: T('import') }),
    h('p', {},
      h('a', { id: 'price-template', href: `/api/v1/price-tables/template?lang=${lang()}`, download: '', textContent: T('template') })),
    h('p', { className: 'note', textContent: T('template_note') }),
    form,
    h('div', { id: 'import-result', 'aria-live': 'polite' }));
}

// ---- compensation settings ------------------------------------------------------------------

/** The settings of the project on screen, as read (to send only what changed). */
const settingsState = { project: null, read: [] };

function settingRow(s) {
  const shown = SHOWN[s.unit] || 1;
  const value = h('input', {
    name: `value.${s.code}`, inputMode: 'decimal', autocomplete: 'off',
    value: s.set ? scaled(s.value, shown) : '', placeholder: scaled(s.default, shown),
  });
  value.setAttribute('aria-label', T(`setting.${s.code}`));
  const decision = h('input', { name: `decision.${s.code}`, autocomplete: 'off', maxLength: 100, value: s.decision_no || '' });
  decision.setAttribute('aria-label', `${T('set.decision')}: ${T(`setting.${s.code}`)}`);
  const decided = dateInput({ name: `decided_on.${s.code}`, value: s.decided_on || '' });
  decided.setAttribute('aria-label', `${T('set.decided_on')}: ${T(`setting.${s.code}`)}`);
  const cap = s.cap === null || s.cap === undefined
    ? T('set.no_cap')
    : T('set.cap_value', { value: `${scaled(s.cap, shown)} ${T(`unit.${s.unit}`)}`, article: article(s.cap_article) });
  const tr = h('tr', {},
    h('td', { className: 'text label' }, h('span', { textContent: T(`setting.${s.code}`) }),
      h('span', { className: 'small', textContent: article(s.article) })),
    h('td', { className: 'value' }, value,
      h('span', { className: 'small', textContent: T('set.default', { value: `${scaled(s.default, shown)} ${T(`unit.${s.unit}`)}` }) })),
    h('td', { className: 'text', textContent: T(`unit.${s.unit}`) }),
    h('td', { className: 'text cap', textContent: cap }),
    h('td', {}, decision),
    h('td', {}, decided));
  tr.dataset.code = s.code;
  return tr;
}

function renderSettings(dto) {
  settingsState.read = dto.settings;
  document.getElementById('settings-province').textContent = T('province', { code: dto.province_code });
  const head = h('tr', {}, ...['setting', 'value'].map((k) => h('th', { scope: 'col', textContent: T(`set.${k}`) })),
    h('th', { scope: 'col', textContent: '' }),
    ...['cap', 'decision', 'decided_on'].map((k) => h('th', { scope: 'col', textContent: T(`set.${k}`) })));
  document.getElementById('settings-rows').replaceChildren(
    h('table', { className: 'settings-table', id: 'settings-table' }, h('thead', {}, head),
      h('tbody', {}, ...dto.settings.map(settingRow))));
}

async function loadSettings(code) {
  settingsState.project = code;
  document.getElementById('settings-status').textContent = '';
  renderSettings(await api(`/api/v1/projects/${enc(code)}/settings/compensation`));
}

function clearErrors(form) {
  for (const n of form.querySelectorAll('.field-error')) n.remove();
  for (const n of form.querySelectorAll('[aria-invalid]')) n.removeAttribute('aria-invalid');
}

function markInvalid(input, message) {
  input.setAttribute('aria-invalid', 'true');
  input.insertAdjacentElement('afterend', h('span', { className: 'field-error', role: 'alert', textContent: message }));
  input.focus();
}

/** The changed rows as the API takes them, or null after marking a value that is no number. */
function changes(form) {
  const out = [];
  for (const s of settingsState.read) {
    const shown = SHOWN[s.unit] || 1;
    const value = form.elements[`value.${s.code}`];
    const decision = form.elements[`decision.${s.code}`];
    const decided = form.elements[`decided_on.${s.code}`];
    const before = { value: s.set ? scaled(s.value, shown) : '', decision: s.decision_no || '', decided: s.decided_on || '' };
    const typedDate = decided.value.trim();
    const iso = typedDate ? textToIso(typedDate) : '';
    if (iso === null) {
      markInvalid(decided, t('date.invalid'));
      return null;
    }
    if (value.value.trim() === before.value && decision.value.trim() === before.decision && iso === before.decided) continue;
    const parsed = parseScaled(value.value, shown);
    if (Number.isNaN(parsed)) {
      markInvalid(value, T('invalid_number'));
      return null;
    }
    // `parsed` is already the stored integer: 60 (%) × 100 is the share 6 000 × 10 000⁻¹.
    out.push({ code: s.code, value: parsed, decision_no: decision.value.trim() || null, decided_on: iso || null });
  }
  return out;
}

function showSettingsError(form, err, sent) {
  const status = document.getElementById('settings-status');
  const m = /^settings\.(\d+)\.(\w+)$/.exec(err.details?.field || '');
  const row = m ? sent[Number(m[1])] : null;
  let message = err.message;
  if (err.code === 'above_national_cap') {
    const s = settingsState.read.find((x) => x.code === err.details.code);
    const shown = SHOWN[s?.unit] || 1;
    message = T('set.cap_error', { value: `${scaled(err.details.cap, shown)} ${T(`unit.${s?.unit}`)}`, article: article(err.details.article) });
  }
  const input = row ? form.elements[`${m[2] === 'decision_no' ? 'decision' : m[2]}.${row.code}`] : null;
  if (input) markInvalid(input, message);
  status.className = 'error';
  status.textContent = message;
}

function settingsSection(projects) {
  const select = h('select', { id: 'settings-project' },
    ...projects.map((p) => h('option', { value: p.code, textContent: `${p.code} – ${p.name}` })));
  select.addEventListener('change', () => loadSettings(select.value));
  const form = h('form', { id: 'settings-form', noValidate: true },
    h('div', { className: 'table-box', id: 'settings-rows' }),
    h('div', { className: 'buttons' }, h('button', { type: 'submit', id: 'save-settings', textContent: T('save') })),
    h('p', { id: 'settings-status', role: 'status' }));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const status = document.getElementById('settings-status');
    status.textContent = '';
    const sent = changes(form);
    if (!sent) return;
    const button = document.getElementById('save-settings');
    button.disabled = true;
    try {
      const dto = await api(`/api/v1/projects/${enc(settingsState.project)}/settings/compensation`, {
        method: 'PUT', body: { settings: sent },
      });
      renderSettings(dto);
      status.className = 'ok';
      status.textContent = T('saved');
    } catch (err) {
      showSettingsError(form, err, sent);
    } finally {
      button.disabled = false;
    }
  });
  return h('section', { id: 'settings' },
    h('h2', { textContent: T('settings') }),
    h('p', { className: 'note', textContent: T('settings_note') }),
    h('label', { className: 'settings-project' }, h('span', { textContent: T('project') }), ' ', select),
    h('p', { id: 'settings-province', className: 'small' }),
    form);
}

// ---- the page -------------------------------------------------------------------------------

if (user) {
  const projects = (await api('/api/v1/projects')).items;
  main.replaceChildren(
    h('section', { id: 'tables' },
      h('h2', { textContent: T('tables') }),
      h('p', { className: 'note', textContent: T('tables_note') }),
      h('div', { id: 'price-tables' }),
      h('p', { id: 'tables-status', role: 'status' }),
      h('div', { id: 'price-items' })),
    importSection(),
    settingsSection(projects));
  await loadTables();
  if (projects.length) await loadSettings(projects[0].code);
}

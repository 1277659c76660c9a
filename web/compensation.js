// Compensation, support and resettlement in the household case file (issue 17): the
// inventory (biên bản kiểm đếm) and its edit form, the plan version with its lines by group
// and its changes from the version before, computing (a dry run first), posting and approving
// a plan, the payment ledger with its 30-day limit and late interest, the payments and the
// form to record one, and the list of versions. One GET …/compensation per render; writes
// refresh it once. Money is integer đồng, shown through web/lib/money.js.
import { bindForm, h } from './lib/shell.js';
import { api, ApiError } from './lib/api.js';
import { t, fmtDate, fmtDateTime, lang } from './lib/i18n.js';
import { dateInput, readDates, todayIso, textToIso, FieldError } from './lib/dates.js';
import { fmtMoney, parseMoney, moneyInputValue } from './lib/money.js';

export const CATEGORIES = ['land', 'structure', 'crop', 'tree', 'grave', 'livestock', 'moving', 'investment', 'other'];
export const GROUPS = ['land', 'assets', 'moving', 'investment', 'support', 'resettlement', 'deduction'];
const LAND_USES = ['LUC', 'LUK', 'HNK', 'CLN', 'RSX', 'NTS', 'ONT', 'ODT', 'NTD', 'DGT', 'DTL', 'SKC', 'TMD', 'BCS', 'DCS'];
/** Who computes, posts, approves and records payments (WriteCompensation). */
const PLAN_WRITERS = ['admin', 'district_leader'];
/** Who records the inventory (WriteVisits or Administer). */
const INVENTORY_WRITERS = ['admin', 'district_leader', 'member'];
/** The fields of an inventory line each category uses beyond category, code, description, parcel, quantity, unit. */
const ITEM_FIELDS = {
  land: ['grade'],
  structure: ['grade', 'year_built', 'remaining_percent'],
  crop: ['yield_1', 'yield_2', 'yield_3'],
  tree: ['age_class'],
  grave: [],
  livestock: [],
  moving: [],
  investment: ['cost', 'term_total', 'term_remaining'],
  other: [],
};
const OPTIONAL_FIELDS = ['grade', 'year_built', 'age_class', 'remaining_percent', 'cost', 'term_total', 'term_remaining', 'yield_1', 'yield_2', 'yield_3'];
const YIELDS = ['yield_1', 'yield_2', 'yield_3'];
const PAYMENT_ARTICLE = 'LĐĐ 2024 Điều 94(3)';
const INTEREST_ARTICLE = 'Luật Quản lý thuế 2019 Điều 59';

const locale = () => (lang() === 'vi' ? 'vi-VN' : 'en-GB');
/** Quantities and factors: up to `digits` decimals, none shown when whole. */
const fmtDecimal = (n, digits = 2) => Number(n).toLocaleString(locale(), { maximumFractionDigits: digits }).replace('-', '−');
const money = (v, opts) => h('span', { className: 'money', textContent: fmtMoney(v, opts) });
const ruleText = (rule) => (rule ? `${t(rule.key) !== rule.key ? t(rule.key) : (lang() === 'vi' ? rule.vi : rule.en)} (${rule.article})` : '');

/** A v4 UUID for an Idempotency-Key, also where `crypto.randomUUID` is missing (plain http). */
export function newKey() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const x = [...b].map((v) => v.toString(16).padStart(2, '0')).join('');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** A number typed with `,` or `.` as the decimal mark and at most two decimals, or null. */
export function parseDecimal(text) {
  const s = String(text ?? '').trim().replace(/\s/g, '');
  if (!/^\d+([.,]\d{1,2})?$/.test(s)) return null;
  return Number(s.replace(',', '.'));
}

/** A decimal number typed back into a field: `400,5` in Vietnamese, `400.5` in English, no grouping. */
const decimalInputValue = (n) => (n === null || n === undefined ? '' : String(n).replace('.', lang() === 'vi' ? ',' : '.'));

/**
 * Line by line, what changed from `before` to `after` (by line code; unchanged lines left
 * out): the server's comparison of two versions, for a draft recomputed in place.
 */
export function diffLines(before, after) {
  const out = [];
  for (const a of after) {
    const b = before.find((x) => x.code === a.code);
    if (!b) out.push({ code: a.code, label: a.label, change: 'added', before: null, after: a.amount, difference: a.amount });
    else if (b.amount !== a.amount) out.push({ code: a.code, label: a.label, change: 'changed', before: b.amount, after: a.amount, difference: a.amount - b.amount });
  }
  for (const b of before) {
    if (!after.some((a) => a.code === b.code)) out.push({ code: b.code, label: b.label, change: 'removed', before: b.amount, after: null, difference: -b.amount });
  }
  return out;
}

const parseWhole = (text) => (/^\s*\d+\s*$/.test(String(text ?? '')) ? Number(text) : null);

/**
 * The case file's compensation section. `stageRefusal` is the case file's wording of a stage
 * refusal (posting and approval record case stages); `onCaseChanged` reloads the case stages
 * after a write that moved them. Returns `{ element, refresh }`; the element keeps its state
 * when the case file re-renders around it.
 */
export function compensationSection({ householdId, household, role, stageRefusal = (e) => e, onCaseChanged = async () => {} }) {
  const mayPlan = PLAN_WRITERS.includes(role);
  const mayCount = INVENTORY_WRITERS.includes(role);
  const body = h('div', { className: 'comp-body' }, h('p', { className: 'muted', textContent: t('comp.loading') }));
  const element = h('section', { id: 'compensation', className: 'comp' }, h('h3', { textContent: t('comp.title') }), body);
  // `forms`: forms kept across renders so what was typed survives a re-render (dropped when
  // the data they were built from is reloaded; the inventory form stays until it is saved or
  // cancelled: its If-Match is the version read when it was opened).
  const state = { data: null, preview: null, previewOn: null, editing: false, flash: null, rules: null, forms: {}, inventoryForm: null };
  const keep = (name, build) => (state.forms[name] ||= build());

  async function refresh() {
    try {
      state.data = await api(`/api/v1/households/${householdId}/compensation`);
      state.forms = {};
    } catch (err) {
      body.replaceChildren(h('p', { className: 'error', role: 'alert', id: 'comp-error', textContent: err.message }));
      return;
    }
    render();
  }

  /** The rules table, once per page, for the forms that name the rule of a typed date. */
  function rules() {
    state.rules ||= api('/api/v1/legal/rules').then((page) => page.items, () => []);
    return state.rules;
  }
  const inForce = (list, topic, on) => list.find((r) => r.topic === topic
    && (!r.valid_from || r.valid_from <= on) && (!r.valid_until || on <= r.valid_until));

  /** An API refusal in the user's language: `comp.error.<code>` with its facts, else the case file's wording. */
  function explain(err) {
    if (!(err instanceof ApiError)) return err;
    const d = { ...(err.details || {}) };
    if (typeof d.balance === 'number') d.balance = fmtMoney(d.balance);
    for (const k of ['earliest', 'posted_on', 'on']) if (d[k]) d[k] = fmtDate(d[k]);
    if (d.category) d.category = t(`comp.category.${d.category}`);
    if (d.setting) d.setting = t(`comp.setting.${d.setting}`) !== `comp.setting.${d.setting}` ? t(`comp.setting.${d.setting}`) : d.setting;
    if (d.rule) {
      d.article = d.rule.article;
      d.rule = ruleText(d.rule);
    }
    if (d.field) d.field_name = fieldName(d.field);
    const key = `comp.error.${err.code}`;
    const text = t(key, d);
    if (text !== key) return new ApiError(err.status, err.code, text, err.details);
    return stageRefusal(err);
  }

  /** `items[2].quantity` → "Dòng 3: Số lượng". */
  function fieldName(field) {
    const m = /^items\[(\d+)\]\.(\w+)$/.exec(field);
    if (m) return t('comp.item.row_field', { n: Number(m[1]) + 1, field: t(`comp.item.${m[2]}`) });
    const key = `comp.field.${field}`;
    return t(key) !== key ? t(key) : field;
  }

  /** A JSON write that answers with the raw status, for the forms that handle 412 themselves. */
  async function send(method, path, payload, headers = {}) {
    const res = await fetch(path, {
      method, credentials: 'same-origin',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
      body: JSON.stringify(payload),
    });
    const data = await res.json().catch(() => ({}));
    if (res.ok) return { status: res.status, data };
    const e = data.error || {};
    return { status: res.status, error: new ApiError(res.status, e.code || `http_${res.status}`, e.message || res.statusText, e.details) };
  }

  /** Writes through `api`, refusals explained. */
  async function write(path, payload, headers = {}) {
    try {
      return await api(path, { method: 'POST', body: payload, headers });
    } catch (err) {
      throw explain(err);
    }
  }

  async function afterWrite(flash, { caseChanged = false } = {}) {
    state.flash = flash;
    await refresh();
    if (caseChanged) await onCaseChanged();
  }

  function render() {
    const d = state.data;
    const approvedId = d.current?.status === 'approved' ? d.current.id : d.approved?.id;
    body.replaceChildren(...[
      state.flash ? h('p', { id: 'comp-done', className: 'ok', role: 'status', textContent: state.flash }) : null,
      h('h4', { textContent: t('comp.inventory.title') }),
      inventoryBlock(),
      state.editing ? (state.inventoryForm ||= inventoryForm()) : null,
      h('h4', { textContent: t('comp.plan.title') }),
      planBlock(),
      approvedId ? h('h4', { id: 'ledger-title', textContent: t('comp.ledger.title', { number: d.current?.id === approvedId ? d.current.number : d.approved?.number }) }) : null,
      approvedId ? ledgerBlock(approvedId) : null,
      d.plans.length ? h('h4', { textContent: t('comp.history.title') }) : null,
      d.plans.length ? historyBlock() : null,
    ].filter(Boolean));
    state.flash = null;
  }

  // ---- inventory -------------------------------------------------------------------------

  function facts(pairs, id) {
    return h('dl', { className: 'hh-facts', id }, ...pairs.filter(([, v]) => v !== null && v !== undefined && v !== '')
      .flatMap(([k, v]) => [h('dt', { textContent: k }), h('dd', {}, v)]));
  }

  /**
   * A table that scrolls on its own when wide; on a phone its rows stack (`comp-stack`), each
   * cell after its column's name (`data-label`).
   */
  function table(id, headers, rows, className = 'comp-stack') {
    for (const tr of rows) {
      [...tr.children].forEach((cell, i) => {
        if (cell.colSpan !== 1 || !headers[i]) return;
        cell.dataset.label = headers[i];
        // One box beside the label when stacked, whatever the cell holds.
        if (cell.childNodes.length > 1) cell.replaceChildren(h('span', {}, ...cell.childNodes));
      });
    }
    return h('div', { className: 'table-box' }, h('table', { id, className: `hh-table comp-table ${className}` },
      h('thead', {}, h('tr', {}, ...headers.map((x) => h('th', { scope: 'col', textContent: x })))),
      h('tbody', {}, ...rows)));
  }

  const parcelText = (label) => {
    if (!label) return '';
    const [sheet, no] = label.split('/');
    return no === undefined ? label : t('household.parcel_ref', { sheet, no });
  };

  function inventoryBlock() {
    const inv = state.data.inventory;
    const edit = mayCount && !state.editing
      ? h('button', { type: 'button', id: 'inventory-edit', textContent: inv ? t('comp.inventory.edit') : t('comp.inventory.create') })
      : null;
    edit?.addEventListener('click', () => { state.editing = true; render(); document.getElementById('inv-record_no')?.focus(); });
    if (!inv) return h('div', {}, h('p', { className: 'muted', id: 'inventory-none', textContent: t('comp.inventory.none') }), edit);
    const yes = (b) => (b ? t('comp.yes') : t('comp.no'));
    const items = inv.items.map((it) => h('tr', {},
      h('td', { textContent: t(`comp.category.${it.category}`) }),
      h('td', { textContent: it.code }),
      h('td', {}, it.description || '', it.category === 'investment'
        ? h('span', { className: 'muted', textContent: ` ${t('comp.item.investment_terms', { cost: fmtMoney(it.cost), t2: it.term_remaining ?? '', t1: it.term_total ?? '' })}` }) : null,
      it.yields_kg
        ? h('span', { className: 'muted it-yields', textContent: ` ${t('comp.item.yields_text', { yields: it.yields_kg.map((y) => (y === null || y === undefined ? '–' : fmtDecimal(y, 0))).join(' / ') })}` }) : null),
      h('td', { textContent: parcelText(it.parcel_label) }),
      h('td', { className: 'num', textContent: `${fmtDecimal(it.quantity)} ${it.unit}` }),
      h('td', { textContent: [it.grade, it.age_class].filter(Boolean).join(' · ') }),
      h('td', { className: 'num', textContent: it.year_built ?? '' }),
      h('td', { className: 'num', textContent: it.remaining_percent !== null && it.remaining_percent !== undefined ? `${it.remaining_percent} %` : '' })));
    return h('div', {},
      facts([
        [t('comp.inventory.record_no'), inv.record_no],
        [t('comp.inventory.date'), fmtDate(inv.inventoried_on)],
        [t('comp.inventory.inventoried_by'), inv.inventoried_by || '—'],
        [t('comp.inventory.members_counted'), String(inv.members_counted)],
        [t('comp.inventory.relocating'), inv.relocating ? `${yes(true)}${inv.hard_area ? ` — ${t('comp.inventory.hard_area_short')}` : ''}` : yes(false)],
        [t('comp.inventory.resettlement'), inv.relocating ? resettlementText(inv.resettlement) : null],
        [t('comp.inventory.farmland_held_m2'), inv.farmland_held_m2 ? `${fmtDecimal(inv.farmland_held_m2)} m²` : null],
        [t('comp.inventory.obligations'), inv.obligations ? money(inv.obligations) : null],
        [t('comp.inventory.business_income'), inv.business_income ? money(inv.business_income) : null],
        [t('comp.inventory.note'), inv.note],
        [t('comp.inventory.version'), t('comp.inventory.version_text', { version: inv.version, when: fmtDateTime(inv.updated_at) })],
      ], 'inventory'),
      inv.items.length
        ? table('inventory-items', [t('comp.item.category'), t('comp.item.code'), t('comp.item.description'), t('comp.item.parcel'),
          t('comp.item.quantity'), t('comp.item.grade_class'), t('comp.item.year_built'), t('comp.item.remaining_percent')], items)
        : h('p', { className: 'muted', textContent: t('comp.inventory.no_items') }),
      edit);
  }

  /** The household's own resettlement plot or house, or the project's default. */
  function resettlementText(r) {
    if (!r) return t('comp.resettlement.default');
    if (r.kind === 'house') return t('comp.resettlement.house_text', { code: r.code, price: fmtMoney(r.price) });
    return t('comp.resettlement.plot_text', { code: r.code, area: fmtDecimal(r.area_m2 ?? 0), price: fmtMoney(r.price) });
  }

  function itemRow(it = {}) {
    const hh = household();
    const field = (name, input) => h('label', { className: `comp-f comp-f-${name}` }, h('span', { textContent: t(`comp.item.${name}`) }), input);
    const category = h('select', { className: 'it-category' },
      ...CATEGORIES.map((c) => h('option', { value: c, textContent: t(`comp.category.${c}`), selected: c === (it.category || 'land') })));
    const parcel = h('select', { className: 'it-parcel' },
      h('option', { value: '', textContent: t('comp.item.no_parcel') }),
      ...(hh.parcels || []).map((p) => h('option', { value: String(p.id), selected: p.id === it.parcel_id,
        textContent: t('household.parcel_ref', { sheet: p.map_sheet, no: p.parcel_no }) })));
    const text = (cls, value, extra = {}) => h('input', { className: cls, value: value ?? '', autocomplete: 'off', ...extra });
    const inputs = {
      category,
      code: text('it-code', it.code, { required: true, maxLength: 100, size: 10 }),
      description: text('it-description', it.description, { maxLength: 500, size: 24 }),
      parcel_id: parcel,
      quantity: text('it-quantity', decimalInputValue(it.quantity), { required: true, inputMode: 'decimal', size: 8 }),
      unit: text('it-unit', it.unit, { maxLength: 20, size: 5, placeholder: t('comp.item.unit_default') }),
      grade: text('it-grade', it.grade, { maxLength: 50, size: 6 }),
      age_class: text('it-age_class', it.age_class, { maxLength: 50, size: 6 }),
      year_built: text('it-year_built', it.year_built, { inputMode: 'numeric', maxLength: 4, size: 5 }),
      remaining_percent: text('it-remaining_percent', it.remaining_percent, { inputMode: 'numeric', maxLength: 3, size: 4 }),
      cost: text('it-cost', it.cost ? moneyInputValue(it.cost) : '', { inputMode: 'numeric', size: 12 }),
      term_total: text('it-term_total', it.term_total, { inputMode: 'numeric', maxLength: 3, size: 4 }),
      term_remaining: text('it-term_remaining', it.term_remaining, { inputMode: 'numeric', maxLength: 3, size: 4 }),
      ...Object.fromEntries(YIELDS.map((f, i) => [f,
        text(`it-${f}`, it.yields_kg?.[i], { inputMode: 'numeric', maxLength: 13, size: 8 })])),
    };
    inputs.code.setAttribute('list', 'comp-land-uses');
    const remove = h('button', { type: 'button', className: 'link it-remove', textContent: t('comp.item.remove') });
    const legend = h('legend', {});
    const row = h('fieldset', { className: 'comp-item' }, legend,
      h('div', { className: 'row' }, ...Object.entries(inputs).map(([name, input]) => field(name, input)), remove));
    const fit = () => {
      const used = ITEM_FIELDS[category.value] || [];
      for (const name of OPTIONAL_FIELDS) row.querySelector(`.comp-f-${name}`).hidden = !used.includes(name);
      row.querySelector('.comp-f-grade > span').textContent = t(category.value === 'land' ? 'comp.item.position' : 'comp.item.grade');
      if (category.value === 'land') inputs.code.setAttribute('list', 'comp-land-uses');
      else inputs.code.removeAttribute('list');
    };
    category.addEventListener('change', fit);
    fit();
    row.inputs = inputs;
    row.remove_button = remove;
    return row;
  }

  /** Names every line's inputs `items[i].<field>` (what the server's errors name) and numbers the rows. */
  function renumber(list) {
    [...list.children].forEach((row, i) => {
      row.querySelector('legend').textContent = t('comp.item.row', { n: i + 1 });
      for (const [name, input] of Object.entries(row.inputs)) input.name = `items[${i}].${name}`;
    });
  }

  function inventoryForm() {
    const inv = state.data.inventory;
    const list = h('div', { className: 'comp-items', id: 'inventory-rows' });
    const addRow = (it) => {
      const row = itemRow(it);
      row.remove_button.addEventListener('click', () => { row.remove(); renumber(list); });
      list.append(row);
      renumber(list);
      return row;
    };
    (inv?.items || []).forEach(addRow);
    if (!inv) addRow();
    const add = h('button', { type: 'button', className: 'link', id: 'inventory-add', textContent: t('comp.item.add') });
    add.addEventListener('click', () => addRow().querySelector('select').focus());
    const cancel = h('button', { type: 'button', className: 'link', id: 'inventory-cancel', textContent: t('comp.cancel') });
    cancel.addEventListener('click', () => { state.editing = false; state.inventoryForm = null; render(); });
    const input = (name, value, extra = {}) => h('label', { htmlFor: `inv-${name}` }, h('span', { textContent: t(`comp.inventory.${name}`) }),
      h('input', { name, id: `inv-${name}`, value: value ?? '', autocomplete: 'off', ...extra }));
    const check = (name, checked) => h('label', {}, h('input', { type: 'checkbox', name, id: `inv-${name}`, checked: Boolean(checked) }), ' ', t(`comp.inventory.${name}`));
    const date = dateInput({ name: 'inventoried_on', value: inv?.inventoried_on || todayIso(), required: true, id: 'inv-inventoried_on' });
    const conflict = h('div', { id: 'inventory-conflict', hidden: true });
    const form = h('form', { id: 'inventory-form', className: 'hh-form comp-form', noValidate: false },
      h('strong', { textContent: t('comp.inventory.form_title') }),
      h('div', { className: 'row' },
        input('record_no', inv?.record_no, { required: true, maxLength: 100, size: 14, placeholder: '125/BB-KĐ' }),
        h('label', { htmlFor: 'inv-inventoried_on' }, h('span', { textContent: t('comp.inventory.inventoried_on') }), date),
        input('members_counted', inv?.members_counted ?? 0, { inputMode: 'numeric', maxLength: 3, size: 4 }),
        input('farmland_held_m2', decimalInputValue(inv?.farmland_held_m2), { inputMode: 'decimal', size: 10 })),
      h('fieldset', {}, check('relocating', inv?.relocating), check('hard_area', inv?.hard_area)),
      resettlementFields(inv),
      h('div', { className: 'row' },
        input('obligations', inv?.obligations ? moneyInputValue(inv.obligations) : '', { inputMode: 'numeric', size: 14 }),
        input('business_income', inv?.business_income ? moneyInputValue(inv.business_income) : '', { inputMode: 'numeric', size: 14 })),
      h('label', { htmlFor: 'inv-note' }, h('span', { textContent: t('comp.inventory.note') }), h('textarea', { name: 'note', id: 'inv-note', maxLength: 500, value: inv?.note || '' })),
      h('datalist', { id: 'comp-land-uses' }, ...LAND_USES.map((c) => h('option', { value: c }))),
      list, add,
      h('div', { className: 'comp-buttons' }, h('button', { type: 'submit', textContent: t('comp.inventory.save') }), cancel),
      conflict,
      h('p', { className: 'form-error error', role: 'alert' }));
    form.dataset.version = inv ? String(inv.version) : '';
    form.dataset.key = newKey();
    bindForm(form, async (values) => {
      conflict.hidden = true;
      readDates(form, values);
      const payload = inventoryBody(form, list, values);
      const headers = { 'idempotency-key': form.dataset.key };
      if (form.dataset.version) headers['if-match'] = `"${form.dataset.version}"`;
      const res = await send('PUT', `/api/v1/households/${householdId}/inventory`, payload, headers);
      if (res.status === 412) {
        showConflict(form, conflict, res.error);
        return null;
      }
      if (res.error) throw explain(res.error);
      return res.data;
    }, async (saved) => {
      if (!saved) return;
      state.editing = false;
      state.inventoryForm = null;
      await afterWrite(t('comp.inventory.saved', { version: saved.version }), { caseChanged: saved.version === 1 });
    });
    return form;
  }

  function inventoryBody(form, list, values) {
    const whole = (name, text) => {
      if (!String(text ?? '').trim()) return null;
      const n = parseWhole(text);
      if (n === null) throw new FieldError(name, t('comp.error.whole_number'));
      return n;
    };
    const dong = (name, text) => {
      if (!String(text ?? '').trim()) return 0;
      const n = parseMoney(text);
      if (n === null) throw new FieldError(name, t('comp.error.money_typed'));
      return n;
    };
    let farmland = null;
    if (String(values.farmland_held_m2 || '').trim()) {
      farmland = parseDecimal(values.farmland_held_m2);
      if (farmland === null) throw new FieldError('farmland_held_m2', t('comp.error.decimal_typed'));
    }
    const items = [...list.children].map((row, i) => {
      const v = Object.fromEntries(Object.entries(row.inputs).map(([k, input]) => [k, input.value.trim()]));
      const name = (f) => `items[${i}].${f}`;
      const quantity = parseDecimal(v.quantity);
      if (quantity === null) throw new FieldError(name('quantity'), t('comp.error.decimal_typed'));
      const used = ITEM_FIELDS[v.category] || [];
      const item = { category: v.category, code: v.code, quantity, parcel_id: v.parcel_id ? Number(v.parcel_id) : null };
      if (v.description) item.description = v.description;
      if (v.unit) item.unit = v.unit;
      for (const f of ['grade', 'age_class']) if (used.includes(f) && v[f]) item[f] = v[f];
      for (const f of ['year_built', 'remaining_percent', 'term_total', 'term_remaining']) {
        if (used.includes(f)) {
          const n = whole(name(f), v[f]);
          if (n !== null) item[f] = n;
        }
      }
      if (used.includes('cost')) item.cost = dong(name('cost'), v.cost);
      if (used.includes('yield_1')) {
        const yields = YIELDS.map((f) => whole(name(f), v[f]));
        if (yields.some((y) => y !== null)) item.yields_kg = yields;
      }
      return item;
    });
    const members = whole('members_counted', values.members_counted) ?? 0;
    return {
      record_no: values.record_no.trim(),
      inventoried_on: values.inventoried_on,
      members_counted: members,
      relocating: form.querySelector('[name=relocating]').checked,
      hard_area: form.querySelector('[name=hard_area]').checked,
      farmland_held_m2: farmland,
      obligations: dong('obligations', values.obligations),
      business_income: dong('business_income', values.business_income),
      resettlement: resettlementBody(form, values),
      note: values.note?.trim() || null,
      items,
    };
  }

  /** The resettlement fields: null for the project's default plot. */
  function resettlementBody(form, values) {
    const kind = form.querySelector('[name="resettlement.kind"]').value;
    if (!kind) return null;
    const r = { kind, code: (values['resettlement.code'] || '').trim() };
    if (!r.code) throw new FieldError('resettlement.code', t('comp.error.required', { field_name: fieldName('resettlement.code') }));
    const price = parseMoney(values['resettlement.price'] || '');
    if (price === null) throw new FieldError('resettlement.price', t('comp.error.money_typed'));
    r.price = price;
    if (kind === 'plot') {
      const area = parseDecimal(values['resettlement.area_m2'] || '');
      if (area === null || area <= 0) throw new FieldError('resettlement.area_m2', t('comp.error.decimal_typed'));
      r.area_m2 = area;
    }
    return r;
  }

  /** Plot or house, its code, area and price; shown while the household moves. */
  function resettlementFields(inv) {
    const r = inv?.resettlement;
    const kind = h('select', { name: 'resettlement.kind', id: 'inv-resettlement-kind' },
      ...['', 'plot', 'house'].map((k) => h('option', { value: k, selected: (r?.kind || '') === k, textContent: t(`comp.resettlement.kind_${k || 'default'}`) })));
    const input = (name, value, extra = {}) => h('label', { className: `comp-r-${name}` }, h('span', { textContent: t(`comp.resettlement.${name}`) }),
      h('input', { name: `resettlement.${name}`, id: `inv-resettlement-${name}`, value: value ?? '', autocomplete: 'off', ...extra }));
    const box = h('fieldset', { id: 'inv-resettlement' },
      h('legend', { textContent: t('comp.inventory.resettlement') }),
      h('div', { className: 'row' },
        h('label', { htmlFor: 'inv-resettlement-kind' }, h('span', { textContent: t('comp.resettlement.kind') }), kind),
        input('code', r?.code, { maxLength: 100, size: 12 }),
        input('area_m2', decimalInputValue(r?.area_m2), { inputMode: 'decimal', size: 8 }),
        input('price', r?.price ? moneyInputValue(r.price) : '', { inputMode: 'numeric', size: 14 })),
      h('p', { className: 'muted', id: 'inv-resettlement-hint' }));
    const fit = () => {
      const k = kind.value;
      for (const f of ['code', 'price']) box.querySelector(`.comp-r-${f}`).hidden = !k;
      box.querySelector('.comp-r-area_m2').hidden = k !== 'plot';
      box.querySelector('.comp-r-price > span').textContent = t(k === 'house' ? 'comp.resettlement.house_price' : 'comp.resettlement.price');
      box.querySelector('#inv-resettlement-hint').textContent = k ? '' : t('comp.resettlement.default_hint');
    };
    kind.addEventListener('change', fit);
    fit();
    return box;
  }

  /** 412: who changed the inventory and when; a button takes their version, keeping what was typed. */
  function showConflict(form, box, err) {
    const d = err.details || {};
    const reload = h('button', { type: 'button', id: 'inventory-reload', textContent: t('comp.reload_keep') });
    reload.addEventListener('click', async () => {
      const fresh = await api(`/api/v1/households/${householdId}/compensation`);
      state.data = fresh;
      form.dataset.version = fresh.inventory ? String(fresh.inventory.version) : '';
      box.className = '';
      box.replaceChildren(h('span', { textContent: t('comp.inventory.reloaded', { version: fresh.inventory?.version ?? '' }) }));
    });
    box.className = 'conflict';
    box.setAttribute('role', 'alert');
    box.replaceChildren(h('span', { textContent: d.updated_by
      ? t('comp.inventory.conflict_by', { who: d.updated_by, when: fmtDateTime(d.updated_at) })
      : t('comp.inventory.conflict') }), ' ', reload);
    box.hidden = false;
  }

  // ---- plan ------------------------------------------------------------------------------

  const statusBadge = (status, id) => h('span', { className: `comp-badge comp-${status}`, id, textContent: t(`comp.status.${status}`) });

  function planView(plan, { preview = false } = {}) {
    const pt = plan.price_table;
    const head = h('div', { className: 'comp-plan-head' },
      preview ? h('span', { className: 'comp-badge comp-preview', textContent: t('comp.plan.preview') }) : statusBadge(plan.status, 'plan-status'),
      h('strong', { id: preview ? 'preview-number' : 'plan-number', textContent: t('comp.plan.number', { number: plan.number }) }),
      plan.revision_of ? h('span', { className: 'muted', textContent: t('comp.plan.revision') }) : null,
      h('span', { className: 'muted', textContent: t('comp.plan.computed_on', { date: fmtDate(plan.computed_on) }) }));
    const info = facts([
      [t('comp.plan.price_table'), h('span', { className: 'comp-price-table' }, `${pt.name} — ${pt.legal_basis}`,
        h('span', { className: 'muted', textContent: ` · ${t('comp.plan.coefficient', { k: fmtDecimal(pt.land_coefficient, 4) })}` }))],
      plan.posted_on ? [t('comp.plan.posted'), h('span', { id: preview ? null : 'plan-posting' },
        t('comp.plan.posted_text', { from: fmtDate(plan.posted_on), to: fmtDate(plan.posting_ends_on) }),
        plan.posting_rule ? h('span', { className: 'muted', textContent: ` — ${ruleText(plan.posting_rule)}` }) : null)] : null,
      plan.approved_on ? [t('comp.plan.approved'), h('span', { id: preview ? null : 'plan-approval' },
        t('comp.plan.approved_text', { date: fmtDate(plan.approved_on), decision: plan.decision_no || '', body: plan.approving_body || '' }),
        plan.approver_rule ? h('span', { className: 'muted', textContent: ` (${plan.approver_rule.article})` }) : null)] : null,
    ].filter(Boolean));
    // A draft recomputed in place has no version before it on the server: its preview is
    // compared with the draft it will replace.
    const draft = preview && !plan.changes?.length && state.data.current?.status === 'draft' ? state.data.current : null;
    const changes = draft ? diffLines(draft.lines, plan.lines) : plan.changes || [];
    return h('div', { className: preview ? 'comp-plan comp-plan-preview' : 'comp-plan', id: preview ? 'plan-preview' : 'plan' },
      head, info, linesTable(plan, preview ? 'preview-lines' : 'plan-lines'),
      changes.length ? changesTable(changes, preview ? 'preview-changes' : 'plan-changes', draft ? 'comp.changes.title_draft' : 'comp.changes.title') : null);
  }

  function linesTable(plan, id) {
    const rows = [];
    for (const group of GROUPS) {
      const lines = plan.lines.filter((l) => l.group === group);
      if (!lines.length) continue;
      rows.push(h('tr', { className: 'comp-group' }, h('th', { scope: 'rowgroup', colSpan: 6, textContent: t(`comp.group.${group}`) })));
      for (const l of lines) {
        rows.push(h('tr', { className: `comp-line comp-line-${group}` },
          h('td', {}, l.label, l.note ? h('div', { className: 'muted comp-note', textContent: l.note }) : null),
          h('td', { className: 'num', textContent: `${fmtDecimal(l.quantity)} ${l.unit}` }),
          h('td', { className: 'num' }, money(l.unit_price)),
          h('td', { className: 'num', textContent: `× ${fmtDecimal(l.factor, 4)}` }),
          h('td', { className: 'num' }, money(l.amount)),
          h('td', { className: 'comp-article', textContent: l.article })));
      }
      const total = plan.totals.find((x) => x.group === group);
      rows.push(h('tr', { className: 'comp-total' },
        h('td', { colSpan: 4, textContent: t('comp.plan.group_total', { group: t(`comp.group.${group}`) }) }),
        h('td', { className: 'num' }, money(total ? total.amount : lines.reduce((s, l) => s + l.amount, 0))), h('td', {})));
    }
    const sum = (label, value, cls, sumId) => h('tr', { className: cls },
      h('td', { colSpan: 4, textContent: label }), h('td', { className: 'num', id: sumId }, money(value)), h('td', {}));
    rows.push(
      sum(t('comp.plan.gross'), plan.gross, 'comp-sum', `${id}-gross`),
      sum(t('comp.plan.deductions'), plan.deductions ? -plan.deductions : 0, 'comp-sum', `${id}-deductions`),
      sum(t('comp.plan.resettlement_fee'), plan.resettlement_fee ? -plan.resettlement_fee : 0, 'comp-sum', `${id}-fee`),
      sum(t('comp.plan.net'), plan.net, 'comp-net', `${id}-net`));
    return table(id, [t('comp.line.label'), t('comp.line.quantity'), t('comp.line.unit_price'), t('comp.line.factor'), t('comp.line.amount'), t('comp.line.article')], rows, 'comp-lines');
  }

  function changesTable(changes, id, title) {
    return h('div', {}, h('strong', { textContent: t(title) }),
      table(id, [t('comp.line.label'), t('comp.changes.change'), t('comp.changes.before'), t('comp.changes.after'), t('comp.changes.difference')],
        changes.map((c) => h('tr', { className: `comp-change-${c.change}` },
          h('td', { textContent: c.label }),
          h('td', { textContent: t(`comp.changes.${c.change}`) }),
          h('td', { className: 'num' }, c.before !== null && c.before !== undefined ? money(c.before) : '—'),
          h('td', { className: 'num' }, c.after !== null && c.after !== undefined ? money(c.after) : '—'),
          h('td', { className: `num ${c.difference > 0 ? 'comp-up' : c.difference < 0 ? 'comp-down' : ''}` }, money(c.difference, { signed: true }))))));
  }

  function planBlock() {
    const d = state.data;
    const plan = d.current;
    return h('div', {},
      plan ? planView(plan) : h('p', { className: 'muted', id: 'plan-none', textContent: d.inventory ? t('comp.plan.none') : t('comp.plan.none_no_inventory') }),
      state.preview ? planView(state.preview, { preview: true }) : null,
      mayPlan ? planActions() : null);
  }

  function planActions() {
    const d = state.data;
    const plan = d.current;
    const box = h('div', { id: 'plan-actions', className: 'comp-actions' });
    if (state.preview) box.append(keep('save', saveDraftForm));
    else if (d.inventory) box.append(keep('compute', computeForm));
    if (plan?.status === 'draft' && plan.id && !state.preview) box.append(keep('post', () => postForm(plan)));
    if (plan?.status === 'posted' && !state.preview) box.append(keep('approve', () => approveForm(plan)));
    return box;
  }

  function computeForm() {
    const plan = state.data.current;
    const hint = plan?.status === 'approved' || plan?.revision_of ? t('comp.compute.hint_revision')
      : plan?.status === 'posted' ? t('comp.compute.hint_posted')
        : plan?.status === 'draft' ? t('comp.compute.hint_draft') : t('comp.compute.hint_first');
    const form = h('form', { id: 'compute-form', className: 'hh-form comp-form' },
      h('strong', { textContent: t('comp.compute.title') }),
      h('p', { className: 'muted', textContent: hint }),
      h('div', { className: 'row' },
        h('label', { htmlFor: 'compute-on' }, h('span', { textContent: t('comp.compute.computed_on') }), dateInput({ name: 'computed_on', value: todayIso(), required: true, id: 'compute-on' })),
        h('div', { className: 'comp-buttons' }, h('button', { type: 'submit', id: 'compute-run', textContent: t('comp.compute.run') }))),
      h('p', { className: 'muted' }, t('comp.compute.prices_hint'), ' ', h('a', { href: '/admin/prices', textContent: t('comp.compute.prices_link') })),
      h('p', { className: 'form-error error', role: 'alert' }));
    bindForm(form, async (values) => {
      readDates(form, values);
      return write(`/api/v1/households/${householdId}/plans`, { computed_on: values.computed_on, dry_run: true });
    }, (preview) => {
      state.preview = preview;
      state.previewOn = preview.computed_on;
      delete state.forms.save;
      render();
      document.getElementById('plan-preview')?.scrollIntoView({ block: 'nearest' });
    });
    return form;
  }

  function saveDraftForm() {
    const p = state.preview;
    const discard = h('button', { type: 'button', className: 'link', id: 'plan-discard', textContent: t('comp.compute.discard') });
    discard.addEventListener('click', () => { state.preview = null; delete state.forms.save; render(); });
    const form = h('form', { id: 'save-form', className: 'hh-form comp-form' },
      h('p', { textContent: t('comp.compute.preview_hint', { net: fmtMoney(p.net), date: fmtDate(p.computed_on) }) }),
      h('div', { className: 'comp-buttons' }, h('button', { type: 'submit', id: 'plan-save', textContent: t('comp.compute.save') }), discard),
      h('p', { className: 'form-error error', role: 'alert' }));
    bindForm(form, () => write(`/api/v1/households/${householdId}/plans`,
      { computed_on: state.previewOn, price_table_id: p.price_table.id }), async (saved) => {
      state.preview = null;
      await afterWrite(t('comp.compute.saved', { number: saved.number }));
    });
    return form;
  }

  function postForm(plan) {
    const date = dateInput({ name: 'posted_on', value: todayIso(), required: true, id: 'post-on' });
    const rule = h('p', { className: 'muted', id: 'post-rule' });
    const showRule = async () => {
      const r = inForce(await rules(), 'plan_posting', textToIso(date.value) || todayIso());
      rule.textContent = r ? t('comp.post.rule', { rule: ruleText(r) }) : '';
    };
    date.addEventListener('input', showRule);
    showRule();
    const form = h('form', { id: 'post-form', className: 'hh-form comp-form' },
      h('strong', { textContent: t('comp.post.title') }),
      h('div', { className: 'row' },
        h('label', { htmlFor: 'post-on' }, h('span', { textContent: t('comp.post.posted_on') }), date),
        h('div', { className: 'comp-buttons' }, h('button', { type: 'submit', id: 'post-run', textContent: t('comp.post.run') }))),
      rule,
      h('p', { className: 'form-error error', role: 'alert' }));
    bindForm(form, async (values) => {
      readDates(form, values);
      return write(`/api/v1/plans/${plan.id}/post`, { posted_on: values.posted_on }, { 'if-match': `"${plan.version}"` });
    }, async (posted) => {
      await afterWrite(t('comp.post.done', { to: fmtDate(posted.posting_ends_on), article: posted.posting_rule?.article || '' }), { caseChanged: true });
    });
    return form;
  }

  function approveForm(plan) {
    const date = dateInput({ name: 'approved_on', value: todayIso(), required: true, id: 'approve-on' });
    const bodyInput = h('input', { name: 'approving_body', id: 'approve-body', maxLength: 500, size: 34, autocomplete: 'off' });
    const rule = h('p', { className: 'muted', id: 'approve-rule' });
    const showRule = async () => {
      const r = inForce(await rules(), 'plan_approver', textToIso(date.value) || todayIso());
      if (!r) return;
      // The body the rule names, as the server stores it: the Vietnamese text before "phê duyệt".
      bodyInput.placeholder = r.vi.split(' phê duyệt')[0];
      rule.textContent = t('comp.approve.rule', { rule: ruleText(r) });
    };
    date.addEventListener('input', showRule);
    showRule();
    const ends = plan.posting_ends_on ? h('p', { className: 'muted', id: 'approve-earliest',
      textContent: t('comp.approve.earliest', { date: fmtDate(plan.posting_ends_on), article: plan.posting_rule?.article || '' }) }) : null;
    const form = h('form', { id: 'approve-form', className: 'hh-form comp-form' },
      h('strong', { textContent: t('comp.approve.title') }),
      ends,
      h('div', { className: 'row' },
        h('label', { htmlFor: 'approve-on' }, h('span', { textContent: t('comp.approve.approved_on') }), date),
        h('label', { htmlFor: 'approve-decision' }, h('span', { textContent: t('comp.approve.decision_no') }),
          h('input', { name: 'decision_no', id: 'approve-decision', required: true, maxLength: 100, size: 16, placeholder: '1234/QĐ-UBND', autocomplete: 'off' })),
        h('label', { htmlFor: 'approve-body' }, h('span', { textContent: t('comp.approve.approving_body') }), bodyInput)),
      rule,
      h('button', { type: 'submit', id: 'approve-run', textContent: t('comp.approve.run') }),
      h('p', { className: 'form-error error', role: 'alert' }));
    bindForm(form, async (values) => {
      readDates(form, values);
      const payload = { approved_on: values.approved_on, decision_no: values.decision_no.trim() };
      if (values.approving_body.trim()) payload.approving_body = values.approving_body.trim();
      return write(`/api/v1/plans/${plan.id}/approve`, payload, { 'if-match': `"${plan.version}"` });
    }, async (approved) => {
      await afterWrite(t('comp.approve.done', { decision: approved.decision_no, due: fmtDate(approved.payment_due_on) }), { caseChanged: true });
    });
    return form;
  }

  // ---- ledger and payments ---------------------------------------------------------------

  /** Where the approved plan's money stands: the server's ledger of the approved version. */
  function ledgerOf() {
    const d = state.data;
    const net = d.current?.status === 'approved' ? d.current.net : (d.approved?.net ?? 0);
    return { net, ...(d.ledger || { paid: 0, deposited: 0, balance: net, due_on: null, days_overdue: 0, interest_owed: 0 }) };
  }

  function ledgerBlock(approvedId) {
    const l = ledgerOf();
    const d = state.data;
    const overdue = l.days_overdue > 0;
    const rows = d.payments.map((p) => h('tr', {},
      h('td', { textContent: fmtDate(p.paid_on) }),
      h('td', { textContent: t(`comp.payment.kind.${p.kind}`) }),
      h('td', { textContent: t(`comp.payment.method.${p.method}`) }),
      h('td', {}, p.receipt_no, p.bank ? h('div', { className: 'muted', textContent: p.bank }) : null),
      h('td', { className: 'num' }, money(p.amount)),
      h('td', { className: p.days_late > 0 ? 'num deadline overdue' : 'num', textContent: p.days_late > 0 ? String(p.days_late) : '—' }),
      h('td', { className: 'num' }, p.interest ? money(p.interest) : '—'),
      h('td', { textContent: p.recorded_by || '' })));
    return h('div', {},
      facts([
        [t('comp.ledger.net'), money(l.net)],
        [t('comp.ledger.due_on'), l.due_on ? h('span', {}, fmtDate(l.due_on), h('span', { className: 'muted', textContent: ` (${PAYMENT_ARTICLE})` })) : null],
        [t('comp.ledger.overdue'), overdue ? h('span', { className: 'deadline overdue', id: 'ledger-overdue', textContent: t('household.overdue_by', { n: l.days_overdue }) }) : null],
        [t('comp.ledger.paid'), money(l.paid)],
        [t('comp.ledger.deposited'), money(l.deposited)],
        [t('comp.ledger.balance'), h('strong', { id: 'ledger-balance' }, money(l.balance))],
        [t('comp.ledger.interest'), h('span', { id: 'ledger-interest' }, money(l.interest_owed),
          h('span', { className: 'muted', textContent: ` (${t('comp.ledger.interest_rule', { article: INTEREST_ARTICLE })})` }))],
      ], 'ledger'),
      d.current && d.current.status !== 'approved' ? h('p', { className: 'muted', textContent: t('comp.ledger.partial') }) : null,
      rows.length
        ? table('payments', [t('comp.payment.paid_on'), t('comp.payment.kind_label'), t('comp.payment.method_label'), t('comp.payment.receipt_no'),
          t('comp.payment.amount'), t('comp.payment.days_late'), t('comp.payment.interest'), t('comp.payment.recorded_by')], rows)
        : h('p', { className: 'muted', id: 'payments-none', textContent: t('comp.payment.none') }),
      mayPlan && l.balance > 0 ? keep('payment', () => paymentForm(approvedId, l.balance)) : null);
  }

  function paymentForm(planId, balance) {
    const kind = h('select', { name: 'kind', id: 'pay-kind' }, ...['payment', 'deposit'].map((k) => h('option', { value: k, textContent: t(`comp.payment.kind.${k}`) })));
    const method = h('select', { name: 'method', id: 'pay-method' }, ...['cash', 'transfer', 'deposit'].map((m) => h('option', { value: m, textContent: t(`comp.payment.method.${m}`) })));
    method.value = 'transfer';
    const bankLabel = h('label', { htmlFor: 'pay-bank', hidden: true }, h('span', { textContent: t('comp.payment.bank') }),
      h('input', { name: 'bank', id: 'pay-bank', maxLength: 500, size: 26, autocomplete: 'off', placeholder: t('comp.payment.bank_placeholder') }));
    const fit = () => {
      const deposit = kind.value === 'deposit';
      bankLabel.hidden = !deposit;
      if (deposit) method.value = 'deposit';
      else if (method.value === 'deposit') method.value = 'transfer';
      for (const o of method.options) o.disabled = deposit ? o.value !== 'deposit' : o.value === 'deposit';
    };
    kind.addEventListener('change', fit);
    fit();
    const form = h('form', { id: 'payment-form', className: 'hh-form comp-form' },
      h('strong', { textContent: t('comp.payment.title') }),
      h('div', { className: 'row' },
        h('label', { htmlFor: 'pay-kind' }, h('span', { textContent: t('comp.payment.kind_label') }), kind),
        h('label', { htmlFor: 'pay-method' }, h('span', { textContent: t('comp.payment.method_label') }), method),
        h('label', { htmlFor: 'pay-amount' }, h('span', { textContent: t('comp.payment.amount_input') }),
          h('input', { name: 'amount', id: 'pay-amount', value: moneyInputValue(balance), inputMode: 'numeric', required: true, size: 16, autocomplete: 'off' })),
        h('label', { htmlFor: 'pay-on' }, h('span', { textContent: t('comp.payment.paid_on') }), dateInput({ name: 'paid_on', value: todayIso(), required: true, id: 'pay-on' })),
        h('label', { htmlFor: 'pay-receipt' }, h('span', { textContent: t('comp.payment.receipt_no') }),
          h('input', { name: 'receipt_no', id: 'pay-receipt', required: true, maxLength: 100, size: 12, placeholder: 'PC-001', autocomplete: 'off' })),
        bankLabel),
      h('label', { htmlFor: 'pay-note' }, h('span', { textContent: t('comp.payment.note') }), h('input', { name: 'note', id: 'pay-note', maxLength: 500, size: 40, autocomplete: 'off' })),
      h('button', { type: 'submit', id: 'pay-run', textContent: t('comp.payment.run') }),
      h('p', { className: 'form-error error', role: 'alert' }));
    // One key per submission: a retry of the same submission (a lost answer) is not paid twice.
    form.dataset.key = newKey();
    bindForm(form, async (values) => {
      readDates(form, values);
      const amount = parseMoney(values.amount);
      if (amount === null || amount <= 0) throw new FieldError('amount', t('comp.error.money_typed'));
      const payload = { kind: values.kind, method: values.method, amount, paid_on: values.paid_on, receipt_no: values.receipt_no.trim() };
      if (values.kind === 'deposit') payload.bank = (values.bank || '').trim() || null;
      if (values.note?.trim()) payload.note = values.note.trim();
      return write(`/api/v1/plans/${planId}/payments`, payload, { 'idempotency-key': form.dataset.key });
    }, async (p) => {
      await afterWrite(t(p.kind === 'deposit' ? 'comp.payment.deposited' : 'comp.payment.done', { amount: fmtMoney(p.amount) }), { caseChanged: true });
    });
    return form;
  }

  function historyBlock() {
    return table('plan-history', [t('comp.history.number'), t('comp.history.status'), t('comp.history.computed_on'), t('comp.history.posted_on'),
      t('comp.history.approved_on'), t('comp.history.decision_no'), t('comp.history.net')],
    state.data.plans.map((p) => h('tr', {},
      h('td', { textContent: String(p.number) }),
      h('td', {}, statusBadge(p.status)),
      h('td', { textContent: fmtDate(p.computed_on) }),
      h('td', { textContent: fmtDate(p.posted_on) }),
      h('td', { textContent: fmtDate(p.approved_on) }),
      h('td', { textContent: p.decision_no || '' }),
      h('td', { className: 'num' }, money(p.net)))));
  }

  refresh();
  return { element, refresh };
}

// Household case file (desktop, leaders and officers): the household's people, parcels on a
// small map with their status, stance and visits, open commitments, grievances, document
// numbers and case stages with their legal deadlines; record a stage (the server's refusals
// shown in the user's language with their facts), edit the household with If-Match and see
// its history, record a split. The compensation section (inventory, plan, payments) is its own
// module, web/compensation.js, kept across re-renders of the rest of the page.
import { startPage, bindForm, showFormError, clearFormErrors, h } from './lib/shell.js';
import { api, ApiError } from './lib/api.js';
import { t, fmtDate, fmtDateTime, fmtNumber, lang } from './lib/i18n.js';
import { dateInput, timeInput, readDates, vnDateTime, todayIso } from './lib/dates.js';
import { parcelStatusControl } from './lib/parcel-status.js';
import { compensationSection } from './compensation.js';

/** `h` with `_data` set as data-* attributes (the shell's `h` cannot assign `dataset`). */
const hd = (tag, { _data = {}, ...props } = {}, ...children) => {
  const node = h(tag, props, ...children);
  Object.assign(node.dataset, _data);
  return node;
};

export const STAGES = ['briefing', 'notice', 'inventory', 'plan_posted', 'plan_approved', 'recovery_decision', 'paid', 'handed_over', 'resettled', 'enforcement'];
const VULNERABLE = ['poor', 'merit', 'ethnic_minority', 'elderly_alone'];
const NOTICE_KINDS = ['purpose', 'data_collected', 'rights', 'recipients', 'retention'];
const NOTICE_METHODS = ['written_signed', 'in_person', 'meeting', 'phone'];
const WRITERS = ['admin', 'district_leader', 'member'];

const user = await startPage({ namespaces: ['households', 'legal', 'parcel-status', 'compensation'], roles: ['admin', 'leader', 'district_leader', 'member'] });
const id = Number(location.pathname.split('/').filter(Boolean)[1]);
const root = document.querySelector('main');
const mayWrite = user && WRITERS.includes(user.user.role);
const state = { household: null, kase: null, history: [], revealed: null, compensation: null };

const stageName = (s) => (s ? t(`legal.stage.${s}`) : '');
const ruleText = (rule) => (rule ? `${t(rule.key) !== rule.key ? t(rule.key) : (lang() === 'vi' ? rule.vi : rule.en)} (${rule.article})` : '');

/**
 * The server's refusal of a stage in the user's language: `error.<code>` filled with the
 * refusal's facts, stage codes and dates shown as words and dd/mm/yyyy.
 */
export function stageRefusal(err) {
  const d = { ...(err.details || {}) };
  for (const k of ['stage', 'needs', 'after']) if (d[k]) d[k] = stageName(d[k]);
  for (const k of ['needs_on', 'earliest', 'after_on', 'notice_on', 'lapsed_on', 'on', 'next_allowed_date']) if (d[k]) d[k] = fmtDate(d[k]);
  d.rule = ruleText(err.details?.rule);
  const key = `error.${err.code}`;
  const text = t(key, d);
  const message = text !== key ? text : err.message;
  return Object.assign(new ApiError(err.status, err.code, message, err.details), {});
}

if (user) {
  if (!Number.isInteger(id) || id <= 0) {
    root.replaceChildren(h('p', { className: 'error', role: 'alert', textContent: t('error.not_found') }));
  } else {
    await load();
  }
}

async function load() {
  try {
    const [household, kase, history, notices] = await Promise.all([
      api(`/api/v1/households/${id}`),
      api(`/api/v1/households/${id}/case`),
      api(`/api/v1/households/${id}/history`),
      api(`/api/v1/households/${id}/notices`),
    ]);
    Object.assign(state, { household, kase, history: history.items, notices: notices.items });
  } catch (err) {
    root.replaceChildren(h('p', { className: 'error', role: 'alert', id: 'load-error', textContent: err.message }));
    return;
  }
  // Loads itself (one request) and keeps its state when the page re-renders around it.
  state.compensation = compensationSection({
    householdId: id,
    household: () => state.household,
    role: user.user.role,
    stageRefusal,
    onCaseChanged: async () => {
      state.kase = await api(`/api/v1/households/${id}/case`);
      render();
    },
  });
  render();
}

function facts(pairs) {
  return h('dl', { className: 'hh-facts' }, ...pairs.filter(([, v]) => v !== null && v !== undefined && v !== '')
    .flatMap(([k, v]) => [h('dt', { textContent: k }), h('dd', {}, v)]));
}

function table(id, headers, rows) {
  return h('div', { className: 'table-box' }, h('table', { id, className: 'hh-table' },
    h('thead', {}, h('tr', {}, ...headers.map((x) => h('th', { scope: 'col', textContent: x })))),
    h('tbody', {}, ...rows)));
}

function render() {
  const hh = state.household;
  document.title = `${hh.head_name} – ${t('household.title')} – gpmb`;
  const head = h('div', { className: 'hh-head' },
    h('h2', { id: 'hh-name', textContent: hh.head_name }),
    h('span', { textContent: `${hh.code} · ${hh.commune.name} · ${hh.project}` }),
    h('span', { id: 'hh-stance', textContent: `${t('households.stance')}: ${t(`stance.${hh.stance || 'none'}`)}` }),
    hh.split_from ? h('span', { id: 'split-flag', className: hh.split_after_cutoff ? 'hh-flag' : 'muted' },
      t('household.split_from'), ' ', h('a', { href: `/households/${hh.split_from}`, textContent: `#${hh.split_from}` }),
      hh.split_after_cutoff ? ` — ${t('household.split_after_cutoff')}` : '') : null);
  const left = h('section', {},
    h('h3', { textContent: t('household.people') }), peopleSection(),
    h('h3', { textContent: t('household.parcels') }), parcelsSection(),
    h('h3', { textContent: t('household.visits') }), visitsSection(),
    h('h3', { textContent: t('household.commitments') }), commitmentsSection(),
    h('h3', { textContent: t('household.grievances') }), grievancesSection(),
    h('h3', { textContent: t('household.documents') }), documentsSection(),
    h('h3', { id: 'notices-title', textContent: t('household.notices') }), noticesSection(),
    mayWrite ? noticeForm() : null);
  const right = h('section', {},
    h('h3', { textContent: t('household.stages') }), stagesSection(),
    mayWrite ? stageForm() : null,
    h('h3', { textContent: t('household.edit') }), mayWrite ? editForm() : h('p', { className: 'muted', textContent: t('household.read_only') }),
    h('h3', { textContent: t('household.history') }), historySection(),
    mayWrite ? h('h3', { textContent: t('household.split') }) : null, mayWrite ? splitForm() : null);
  root.replaceChildren(head, h('div', { className: 'hh-grid' }, left, right), state.compensation.element);
  drawMap();
}

function peopleSection() {
  const hh = state.household;
  const members = Array.isArray(hh.members) ? hh.members : [];
  return h('div', {},
    facts([
      [t('household.field.head_name'), hh.head_name],
      [t('household.field.id_number'), idNumberCell()],
      [t('household.field.phone'), hh.phone || '—'],
      [t('household.field.address'), hh.address || '—'],
      [t('household.field.vulnerable'), hh.vulnerable.length ? hh.vulnerable.map((v) => t(`household.vulnerable.${v}`)).join(', ') : '—'],
    ]),
    members.length ? table('members', [t('household.member.name'), t('household.member.relation'), t('household.member.birth_year')],
      members.map((m) => h('tr', {}, h('td', { textContent: m.name }), h('td', { textContent: m.relation || '' }), h('td', { textContent: m.birth_year ?? '' }))))
      : h('p', { className: 'muted', textContent: t('household.no_members') }));
}

/**
 * The CCCD as the server sends it, masked (`051*******45`), with a button that asks for the
 * full number (`/id-number`, an audited reveal) and shows it in place.
 */
function idNumberCell() {
  const hh = state.household;
  if (!hh.id_number) return '—';
  const value = h('span', { id: 'hh-cccd', textContent: state.revealed || hh.id_number });
  if (state.revealed) return value;
  const button = h('button', { type: 'button', className: 'link', id: 'reveal-cccd', textContent: t('household.reveal_id_number') });
  const error = h('span', { className: 'error', role: 'alert' });
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const full = await api(`/api/v1/households/${id}/id-number`);
      state.revealed = full.id_number || '';
      value.textContent = state.revealed || '—';
      value.title = t('household.id_number_revealed');
      button.remove();
      const input = document.getElementById('edit-id_number');
      if (input && input.value === hh.id_number) input.value = state.revealed;
    } catch (err) {
      button.disabled = false;
      error.textContent = err.message;
    }
  });
  return h('span', {}, value, ' ', button, error);
}

function parcelsSection() {
  const hh = state.household;
  if (!hh.parcels.length) return h('p', { className: 'muted', textContent: t('household.no_parcels') });
  const mayChange = user && ['admin', 'district_leader', 'member'].includes(user.user.role);
  return h('div', {},
    h('div', { id: 'parcel-map', role: 'img', ariaLabel: t('household.map_label') }),
    table('parcels', [t('household.parcel'), t('household.share'), t('parcel_status.label')],
      hh.parcels.map((p) => hd('tr', { _data: { parcel: String(p.id) } },
        h('td', { textContent: t('household.parcel_ref', { sheet: p.map_sheet, no: p.parcel_no }) }),
        h('td', { textContent: fmtNumber(p.share * 100) + ' %' }),
        h('td', { className: 'parcel-status-cell', textContent: t(`status.${p.status}`) })))),
    mayChange ? h('div', { id: 'parcel-controls' }, ...hh.parcels.map((p) => parcelStatusControl(p.id, {
      label: t('household.status_of', { sheet: p.map_sheet, no: p.parcel_no }),
      onSaved: (parcel) => {
        p.status = parcel.status;
        const cell = root.querySelector(`tr[data-parcel="${p.id}"] .parcel-status-cell`);
        if (cell) cell.textContent = t(`status.${parcel.status}`);
      },
    }))) : null);
}

async function drawMap() {
  const box = document.getElementById('parcel-map');
  if (!box || !window.maplibregl) return;
  try {
    const parcels = await Promise.all(state.household.parcels.map((p) => api(`/api/v1/parcels/${p.id}`)));
    const features = parcels.map((p) => ({ type: 'Feature', geometry: p.geometry, properties: { id: p.id, label: `${p.map_sheet}/${p.parcel_no}` } }));
    let b = null;
    const walk = (c) => {
      if (typeof c[0] === 'number') b = b ? [Math.min(b[0], c[0]), Math.min(b[1], c[1]), Math.max(b[2], c[0]), Math.max(b[3], c[1])] : [c[0], c[1], c[0], c[1]];
      else c.forEach(walk);
    };
    features.forEach((f) => walk(f.geometry.coordinates));
    const map = new window.maplibregl.Map({
      container: box,
      style: {
        version: 8,
        sources: { parcels: { type: 'geojson', data: { type: 'FeatureCollection', features } } },
        layers: [
          { id: 'background', type: 'background', paint: { 'background-color': '#eef0ec' } },
          { id: 'fill', type: 'fill', source: 'parcels', paint: { 'fill-color': '#0b5cad', 'fill-opacity': 0.35 } },
          { id: 'line', type: 'line', source: 'parcels', paint: { 'line-color': '#0b5cad', 'line-width': 2 } },
        ],
      },
      bounds: b, fitBoundsOptions: { padding: 30, maxZoom: 18 }, attributionControl: false,
      canvasContextAttributes: { preserveDrawingBuffer: true },
    });
    map.addControl(new window.maplibregl.NavigationControl({ showCompass: false }), 'top-left');
    window.gpmbHouseholdMap = map;
  } catch (err) {
    box.replaceChildren(h('p', { className: 'error', textContent: err.message }));
  }
}

function visitsSection() {
  const visits = state.household.recent_visits || [];
  if (!visits.length) return h('p', { className: 'muted', textContent: t('household.no_visits') });
  return h('ul', { className: 'timeline', id: 'visits' }, ...visits.map((v) => h('li', {},
    `${fmtDateTime(v.visited_at)} — ${t(`household.visit_kind.${v.kind}`)}: `, h('strong', { textContent: t(`stance.${v.stance}`) }))));
}

function commitmentsSection() {
  const items = state.household.open_commitments || [];
  if (!items.length) return h('p', { className: 'muted', textContent: t('household.no_commitments') });
  return h('ul', { id: 'commitments' }, ...items.map((c) => h('li', {},
    c.text, ' ', h('span', { className: 'muted', textContent: `(${c.owner}${c.due_date ? ', ' + t('household.due', { date: fmtDate(c.due_date) }) : ''})` }))));
}

function grievancesSection() {
  const items = state.kase.open_grievances || [];
  return h('div', {},
    items.length ? h('ul', { id: 'grievances' }, ...items.map((g) => h('li', {},
      h('a', { href: `/grievances?household=${id}#${g.id}`, textContent: `#${g.id} ${t(`legal.grievance_kind.${g.kind}`)}` }),
      ` — ${t(`legal.grievance_status.${g.status}`)}, ${t('household.received', { date: fmtDate(g.received_on) })}`,
      g.days_left !== null && g.days_left !== undefined ? h('span', { className: g.days_left < 0 ? 'deadline overdue' : 'deadline', textContent: ` ${daysText(g.days_left)}` }) : null)))
      : h('p', { className: 'muted', textContent: t('household.no_grievances') }),
    h('a', { id: 'grievances-link', href: `/grievances?household=${id}`, textContent: t('household.all_grievances') }));
}

function documentsSection() {
  const docs = state.kase.stages.filter((s) => s.document_no);
  if (!docs.length) return h('p', { className: 'muted', textContent: t('household.no_documents') });
  return h('ul', { id: 'documents' }, ...docs.map((s) => h('li', {}, h('strong', { textContent: s.document_no }), ` — ${stageName(s.stage)}, ${fmtDate(s.occurred_on)}`)));
}

/**
 * What the household was told about the processing of its personal data (Law 91/2025): kinds,
 * how, when, by whom, the document, and a withdrawal; admins and district leaders also get a
 * link to record a data subject's request for it.
 */
function noticesSection() {
  const items = state.notices || [];
  const mayRequest = user && ['admin', 'district_leader'].includes(user.user.role);
  return h('div', {},
    items.length ? h('ul', { id: 'notices' }, ...items.map((n) => hd('li', { _data: { notice: String(n.id) } },
      h('strong', { textContent: n.kinds.map((k) => t(`household.notice.kind.${k}`)).join(', ') }),
      ` — ${t(`household.notice.method.${n.method}`)}, ${fmtDate(n.notified_on)}`,
      n.notified_by_name ? `, ${n.notified_by_name}` : '',
      n.document_ref ? h('span', { className: 'muted', textContent: ` (${n.document_ref})` }) : '',
      n.withdrawn_on ? h('span', { className: 'hh-flag', textContent: ` ${t('household.notice.withdrawn', { date: fmtDate(n.withdrawn_on) })}` })
        : mayWrite ? withdrawButton(n) : null)))
      : h('p', { className: 'muted', id: 'no-notices', textContent: t('household.no_notices') }),
    mayRequest ? h('a', { id: 'privacy-request-link', href: `/admin/privacy?household=${id}`, textContent: t('household.privacy_request') }) : null);
}

function withdrawButton(n) {
  const b = h('button', { type: 'button', className: 'link', textContent: t('household.notice.withdraw') });
  b.addEventListener('click', async () => {
    b.disabled = true;
    try {
      await api(`/api/v1/households/${id}/notices/${n.id}/withdrawal`, { method: 'POST', body: { withdrawn_on: todayIso() } });
      state.notices = (await api(`/api/v1/households/${id}/notices`)).items;
      render();
    } catch (err) {
      b.disabled = false;
      b.after(h('span', { className: 'error', role: 'alert', textContent: ` ${err.message}` }));
    }
  });
  return h('span', {}, ' ', b);
}

function noticeForm() {
  const kinds = h('fieldset', { className: 'notice-kinds' }, h('legend', { textContent: t('household.notice.told') }),
    ...NOTICE_KINDS.map((k) => h('label', { className: 'check' },
      h('input', { type: 'checkbox', name: 'kinds', value: k, checked: k !== 'recipients' && k !== 'retention' }), ' ', t(`household.notice.kind.${k}`))));
  const method = h('select', { name: 'method', id: 'notice-method' },
    ...NOTICE_METHODS.map((m) => h('option', { value: m, textContent: t(`household.notice.method.${m}`) })));
  const form = h('form', { id: 'notice-form', className: 'hh-form' },
    h('strong', { textContent: t('household.notice.record') }),
    kinds,
    h('div', { className: 'row' },
      h('label', { htmlFor: 'notice-method' }, h('span', { textContent: t('household.notice.how') }), method),
      h('label', { htmlFor: 'notice-date' }, h('span', { textContent: t('household.field.date') }), dateInput({ name: 'notified_on', value: todayIso(), required: true, id: 'notice-date' })),
      h('label', { htmlFor: 'notice-doc' }, h('span', { textContent: t('household.notice.document') }), h('input', { name: 'document_ref', id: 'notice-doc', maxLength: 200, autocomplete: 'off' }))),
    h('button', { type: 'submit', textContent: t('household.notice.save') }),
    h('p', { className: 'form-error error', role: 'alert' }));
  bindForm(form, async (values, f) => {
    readDates(f, values);
    const body = {
      kinds: [...f.querySelectorAll('input[name=kinds]:checked')].map((i) => i.value),
      method: values.method,
      notified_on: values.notified_on,
    };
    if (values.document_ref) body.document_ref = values.document_ref;
    return api(`/api/v1/households/${id}/notices`, { method: 'POST', body });
  }, async () => {
    state.notices = (await api(`/api/v1/households/${id}/notices`)).items;
    render();
    const done = h('p', { id: 'notice-done', className: 'ok', role: 'status', textContent: t('household.notice.recorded') });
    document.getElementById('notice-form')?.before(done);
  });
  return form;
}

function daysText(n) {
  if (n < 0) return t('household.overdue_by', { n: -n });
  if (n === 0) return t('household.due_today');
  return t('household.days_left', { n });
}

function stagesSection() {
  const k = state.kase;
  const rows = k.stages.map((s) => {
    const open = k.open_deadlines.find((d) => d.from_event === s.id);
    return hd('tr', { _data: { stage: s.stage } },
      h('td', {}, stageName(s.stage), s.overridden ? h('span', { className: 'hh-flag', textContent: ` ${t('household.overridden')}` }) : null),
      h('td', { textContent: fmtDate(s.occurred_on) + (s.scheduled_at ? ' ' + fmtDateTime(s.scheduled_at).slice(11) : '') }),
      h('td', { textContent: s.document_no || '' }),
      h('td', { textContent: s.recorded_by_name || s.recorded_by || '' }),
      h('td', {}, s.due_stage ? `${stageName(s.due_stage)} ${t('household.by')} ${fmtDate(s.due_on)}` : '',
        open ? h('span', { className: open.overdue ? 'deadline overdue' : 'deadline', textContent: ` (${daysText(open.days_left)})` }) : null));
  });
  const next = k.next;
  return h('div', {},
    facts([
      [t('household.current_stage'), k.current_stage ? stageName(k.current_stage) : t('household.no_stage')],
      [t('household.next_stage'), next ? h('span', { id: 'next-stage' }, stageName(next.stage),
        next.due_on ? h('span', { className: next.overdue ? 'deadline overdue' : 'deadline', textContent: ` — ${t('household.by')} ${fmtDate(next.due_on)} (${daysText(next.days_left)})` }) : '',
        !next.ready && next.prerequisite ? h('span', { className: 'muted', textContent: ` — ${t('household.needs', { stage: stageName(next.prerequisite) })}` }) : '') : '—'],
      [t('household.next_rule'), next ? ruleText(next.rule) : ''],
    ]),
    k.stages.length
      ? table('stages', [t('household.col.stage'), t('household.col.date'), t('household.col.document'), t('household.col.recorded_by'), t('household.col.deadline')], rows)
      : h('p', { className: 'muted', textContent: t('household.no_stages') }),
    k.open_deadlines.length ? h('div', {}, h('strong', { textContent: t('household.open_deadlines') }),
      h('ul', { id: 'deadlines' }, ...k.open_deadlines.map((d) => h('li', { className: d.overdue ? 'deadline overdue' : 'deadline' },
        `${stageName(d.stage)} ${t('household.by')} ${fmtDate(d.due_on)} — ${daysText(d.days_left)} · ${ruleText(d.rule)}`)))) : null);
}

function stageForm() {
  const k = state.kase;
  const stage = h('select', { name: 'stage', id: 'stage-stage', required: true },
    ...STAGES.map((s) => h('option', { value: s, textContent: stageName(s) })));
  if (k.next) stage.value = k.next.stage;
  const form = h('form', { id: 'stage-form', className: 'hh-form' },
    h('strong', { textContent: t('household.record_stage') }),
    h('div', { className: 'row' },
      h('label', { htmlFor: 'stage-stage' }, h('span', { textContent: t('household.col.stage') }), stage),
      h('label', { htmlFor: 'stage-date' }, h('span', { textContent: t('household.field.date') }), dateInput({ name: 'occurred_on', value: todayIso(), required: true, id: 'stage-date' })),
      h('label', { htmlFor: 'stage-time' }, h('span', { textContent: t('household.field.time') }), timeInput({ name: 'time', id: 'stage-time' })),
      h('label', { htmlFor: 'stage-doc' }, h('span', { textContent: t('household.col.document') }), h('input', { name: 'document_no', id: 'stage-doc', maxLength: 100, autocomplete: 'off' }))),
    h('label', { htmlFor: 'stage-note' }, h('span', { textContent: t('household.field.note') }), h('textarea', { name: 'note', id: 'stage-note', maxLength: 2000 })),
    h('button', { type: 'submit', textContent: t('household.record') }),
    h('p', { className: 'form-error error', role: 'alert' }));
  bindForm(form, async (values) => {
    readDates(form, values);
    const body = { stage: values.stage, occurred_on: values.occurred_on, note: values.note || '' };
    if (values.document_no) body.document_no = values.document_no;
    if (values.stage === 'enforcement') body.scheduled_at = vnDateTime(values.occurred_on, values.time || '08:00');
    try {
      return await api(`/api/v1/households/${id}/stages`, { method: 'POST', body });
    } catch (err) {
      if (err instanceof ApiError) throw stageRefusal(err);
      throw err;
    }
  }, async () => {
    state.kase = await api(`/api/v1/households/${id}/case`);
    render();
    const done = document.getElementById('stage-done') || h('p', { id: 'stage-done', className: 'ok', role: 'status' });
    done.textContent = t('household.stage_recorded');
    document.getElementById('stage-form')?.before(done);
  });
  return form;
}

function memberRow(m = {}) {
  const del = h('button', { type: 'button', className: 'link', textContent: t('household.member.remove') });
  const tr = h('tr', {},
    h('td', {}, h('input', { name: 'm_name', value: m.name || '', ariaLabel: t('household.member.name'), maxLength: 200 })),
    h('td', {}, h('input', { name: 'm_relation', value: m.relation || '', ariaLabel: t('household.member.relation'), maxLength: 50 })),
    h('td', {}, h('input', { name: 'm_birth_year', value: m.birth_year ?? '', ariaLabel: t('household.member.birth_year'), inputMode: 'numeric', size: 4, maxLength: 4 })),
    h('td', {}, del));
  del.addEventListener('click', () => tr.remove());
  return tr;
}

function editForm() {
  const hh = state.household;
  const members = h('tbody', {}, ...(Array.isArray(hh.members) ? hh.members : []).map(memberRow));
  const add = h('button', { type: 'button', className: 'link', id: 'add-member', textContent: t('household.member.add') });
  add.addEventListener('click', () => members.append(memberRow()));
  const input = (name, value, extra = {}) => h('label', { htmlFor: `edit-${name}` }, h('span', { textContent: t(`household.field.${name}`) }),
    h('input', { name, id: `edit-${name}`, value: value || '', autocomplete: 'off', ...extra }));
  const conflict = h('div', { id: 'edit-conflict', hidden: true });
  const form = h('form', { id: 'edit-form', className: 'hh-form' },
    h('div', { className: 'row' },
      input('head_name', hh.head_name, { required: true, maxLength: 200 }),
      input('id_number', hh.id_number, { inputMode: 'numeric', maxLength: 12, size: 14 }),
      input('phone', hh.phone, { inputMode: 'tel', maxLength: 20 })),
    input('address', hh.address, { maxLength: 500, size: 40 }),
    h('fieldset', {}, h('legend', { textContent: t('household.field.vulnerable') }),
      ...VULNERABLE.map((v) => h('label', {}, h('input', { type: 'checkbox', name: 'vulnerable', value: v, checked: hh.vulnerable.includes(v) }), ' ', t(`household.vulnerable.${v}`)))),
    h('div', { className: 'table-box' }, h('table', { className: 'hh-members', id: 'edit-members' },
      h('thead', {}, h('tr', {}, ...[t('household.member.name'), t('household.member.relation'), t('household.member.birth_year'), ''].map((x) => h('th', { scope: 'col', textContent: x })))),
      members)),
    h('input', { type: 'hidden', name: 'members' }),
    add, ' ',
    h('button', { type: 'submit', textContent: t('household.save') }),
    conflict,
    h('p', { className: 'form-error error', role: 'alert' }));
  form.dataset.version = String(hh.version);
  bindForm(form, async () => {
    conflict.hidden = true;
    const fd = new FormData(form);
    const list = [...members.querySelectorAll('tr')].map((tr) => {
      const name = tr.querySelector('[name=m_name]').value.trim();
      const relation = tr.querySelector('[name=m_relation]').value.trim();
      const year = tr.querySelector('[name=m_birth_year]').value.trim();
      const m = { name };
      if (relation) m.relation = relation;
      if (year) m.birth_year = Number(year);
      return m;
    }).filter((m) => m.name);
    const body = {
      head_name: fd.get('head_name'),
      phone: fd.get('phone').trim() || null,
      address: fd.get('address'),
      vulnerable: fd.getAll('vulnerable'),
      members: list,
    };
    // The CCCD is shown masked (or revealed): send it only when the user typed another one.
    const cccd = fd.get('id_number').trim();
    if (cccd !== (state.household.id_number || '') && cccd !== (state.revealed || '')) body.id_number = cccd || null;
    const res = await fetch(`/api/v1/households/${id}`, {
      method: 'PATCH', credentials: 'same-origin',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'if-match': `"${form.dataset.version}"` },
      body: JSON.stringify(body),
    });
    const data = await res.json().catch(() => ({}));
    if (res.status === 412) {
      const d = data.error?.details || {};
      const reload = h('button', { type: 'button', id: 'edit-reload', textContent: t('household.reload_keep') });
      reload.addEventListener('click', async () => {
        const fresh = await api(`/api/v1/households/${id}`);
        state.household = { ...state.household, ...fresh };
        form.dataset.version = String(fresh.version);
        conflict.replaceChildren(h('span', { textContent: t('household.reloaded', { version: fresh.version }) }),
          ' ', h('span', { className: 'muted', textContent: t('household.now', {
            head_name: fresh.head_name, id_number: fresh.id_number || '—', phone: fresh.phone || '—', address: fresh.address || '—' }) }));
        conflict.className = '';
      });
      conflict.className = 'conflict';
      conflict.setAttribute('role', 'alert');
      conflict.replaceChildren(h('span', { textContent: d.changed_by
        ? t('household.conflict_by', { who: d.changed_by, when: fmtDateTime(d.changed_at) })
        : t('household.conflict') }), ' ', reload);
      conflict.hidden = false;
      return null;
    }
    if (!res.ok) {
      const code = data.error?.code || `http_${res.status}`;
      const key = `error.${code}`;
      const text = t(key, data.error?.details || {});
      throw new ApiError(res.status, code, text !== key ? text : data.error?.message || res.statusText, data.error?.details);
    }
    return data;
  }, async (saved) => {
    if (!saved) return;
    const [fresh, history] = await Promise.all([api(`/api/v1/households/${id}`), api(`/api/v1/households/${id}/history`)]);
    if (fresh.id_number !== state.household.id_number) state.revealed = null;
    state.household = fresh;
    state.history = history.items;
    render();
    const done = h('p', { id: 'edit-done', className: 'ok', role: 'status', textContent: t('household.saved') });
    document.getElementById('edit-form')?.before(done);
  });
  return form;
}

function historySection() {
  if (!state.history.length) return h('p', { className: 'muted', id: 'history-empty', textContent: t('household.no_history') });
  return h('ul', { id: 'history', className: 'timeline' }, ...state.history.map((r) => h('li', {},
    t('household.history_item', { who: r.edited_by || '?', when: fmtDateTime(r.edited_at), version: r.version }), ' — ',
    r.fields.map((f) => t(`household.field.${f}`)).join(', '),
    h('details', {}, h('summary', { textContent: t('household.before') }),
      facts(r.fields.filter((f) => f in r.before).map((f) => [t(`household.field.${f}`), beforeText(f, r.before[f])]))))));
}

function beforeText(field, value) {
  if (value === null || value === undefined || value === '') return '—';
  if (field === 'members') return value.map((m) => m.name + (m.relation ? ` (${m.relation})` : '')).join(', ') || '—';
  if (field === 'vulnerable') return value.map((v) => t(`household.vulnerable.${v}`)).join(', ') || '—';
  return String(value);
}

function splitForm() {
  const hh = state.household;
  const form = h('form', { id: 'split-form', className: 'hh-form' },
    h('p', { className: 'muted', textContent: t('household.split_hint') }),
    h('div', { className: 'row' },
      h('label', { htmlFor: 'split-head' }, h('span', { textContent: t('household.field.head_name') }), h('input', { name: 'head_name', id: 'split-head', required: true, maxLength: 200 })),
      h('label', { htmlFor: 'split-cccd' }, h('span', { textContent: t('household.field.id_number') }), h('input', { name: 'id_number', id: 'split-cccd', inputMode: 'numeric', maxLength: 12, size: 14 })),
      h('label', { htmlFor: 'split-phone' }, h('span', { textContent: t('household.field.phone') }), h('input', { name: 'phone', id: 'split-phone', inputMode: 'tel', maxLength: 20 }))),
    h('label', { htmlFor: 'split-address' }, h('span', { textContent: t('household.field.address') }), h('input', { name: 'address', id: 'split-address', value: hh.address || '', size: 40, maxLength: 500 })),
    h('button', { type: 'submit', textContent: t('household.split_record') }),
    h('p', { className: 'form-error error', role: 'alert' }));
  bindForm(form, async (v) => api('/api/v1/households', {
    method: 'POST',
    body: { project: hh.project, commune: hh.commune.code, head_name: v.head_name, id_number: v.id_number || null, phone: v.phone || null, address: v.address || '', split_from: id },
  }), (created) => {
    form.reset();
    clearFormErrors(form);
    const note = h('p', { id: 'split-done', className: created.split_after_cutoff ? 'hh-flag' : 'ok', role: 'status' },
      t('household.split_done'), ' ', h('a', { href: `/households/${created.id}`, textContent: `${created.code} — ${created.head_name}` }),
      created.split_after_cutoff ? ` — ${t('household.split_after_cutoff')}` : '');
    form.before(note);
  });
  return form;
}

export { showFormError };

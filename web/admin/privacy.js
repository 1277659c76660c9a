// Personal data (Law 91/2025/QH15, Decree 356/2025): data subjects' requests with their legal
// deadlines and their steps (acknowledge, extend once, complete — done or refused with the legal
// reason — or reject), the access export, and the breach log with its 72 hours (administrators).
import { startPage, bindForm, h as el } from '../lib/shell.js';
import { api } from '../lib/api.js';
import { t, fmtDate, fmtDateTime, lang } from '../lib/i18n.js';
import { dateInput, timeInput, readDates, todayIso, vnDateTime } from '../lib/dates.js';

/** `h` with `_data` for data attributes (the shell's `h` assigns props, and `dataset` is read-only). */
const h = (tag, { _data = {}, ...props } = {}, ...children) => {
  const node = el(tag, props, ...children);
  Object.assign(node.dataset, _data);
  return node;
};
const P = 'admin_privacy.';
const tr = (key, vars) => t(P + key, vars);
const KINDS = ['access', 'correction', 'restriction', 'deletion', 'objection'];
const CHANNELS = ['direct', 'mail', 'citizen_reception', 'meeting', 'phone', 'online', 'forwarded'];
const DATA_KINDS = ['identity', 'contact', 'id_number', 'land', 'compensation', 'sensitive', 'other'];


const labelled = (text, input) => h('label', {}, h('span', { textContent: text }), ' ', input);
const select = (name, values, prefix, id) => h('select', { name, id },
  ...values.map((v) => h('option', { value: v, textContent: tr(`${prefix}.${v}`) })));
const ruleText = (rule) => (rule ? `${t(rule.key) !== rule.key ? t(rule.key) : (lang() === 'vi' ? rule.vi : rule.en)} (${rule.article})` : '');
const cell = (label, ...children) => h('td', { className: 'text', _data: { label } }, ...children);

function daysText(n) {
  if (n < 0) return tr('overdue_by', { n: -n });
  if (n === 0) return tr('due_today');
  return tr('days_left', { n });
}

async function main() {
  const mainEl = document.querySelector('main');
  const message = h('p', { id: 'privacy-message', className: 'status', role: 'status' });
  const requests = h('section', { id: 'requests' });
  const breaches = h('section', { id: 'breaches' });
  mainEl.replaceChildren(message, requests, user.user.role === 'admin' ? breaches : '');
  await requestsSection(requests, message);
  if (user.user.role === 'admin') await breachesSection(breaches, message);
  mainEl.dataset.ready = 'true';
}

// ---- requests -------------------------------------------------------------------------

async function requestsSection(root, message) {
  const filter = h('select', { id: 'request-filter', ariaLabel: tr('filter') },
    h('option', { value: 'open', textContent: tr('filter.open') }),
    h('option', { value: '', textContent: tr('filter.all') }));
  const body = h('tbody');
  const table = h('table', { className: 'people-table privacy-table', id: 'requests-table' },
    h('thead', {}, h('tr', {}, ...['id', 'household', 'kind', 'received', 'requester', 'status', 'deadline', 'actions']
      .map((k) => h('th', { scope: 'col', textContent: tr(`col.${k}`) })))), body);
  const empty = h('p', { className: 'muted', id: 'requests-empty', hidden: true, textContent: tr('none') });
  const stepBox = h('div', { id: 'step-box' });
  root.replaceChildren(h('h2', { textContent: tr('requests') }),
    h('p', { className: 'muted', textContent: tr('requests_intro') }),
    labelled(tr('filter'), filter), h('div', { className: 'table-box' }, table), empty, stepBox, newRequestForm(message, load));

  async function load() {
    const q = new URLSearchParams({ limit: '200' });
    if (filter.value) q.set('status', filter.value);
    const page = await api(`/api/v1/privacy/requests?${q}`);
    body.replaceChildren(...page.items.map((r) => requestRow(r, stepBox, message, load)));
    empty.hidden = page.items.length > 0;
  }
  filter.addEventListener('change', load);
  await load();
}

function deadlineCell(r) {
  if (!r.next_step) {
    return h('span', { className: 'muted', textContent: r.closed_on ? tr('closed_on', { date: fmtDate(r.closed_on) }) : '—' });
  }
  if (!r.next_due_on) return h('span', { className: 'muted', textContent: tr('no_limit') });
  const rule = r.next_step === 'acknowledge' ? r.ack_rule : r.due_rule;
  return h('span', { className: r.overdue ? 'deadline overdue' : 'deadline', title: ruleText(rule) },
    `${tr(`step.${r.next_step}`)} ${tr('by')} ${fmtDate(r.next_due_on)} — ${daysText(r.days_left)}`);
}

function statusText(r) {
  let text = tr(`status.${r.status}`);
  if (r.outcome) text += ` · ${tr(`outcome.${r.outcome}`)}`;
  return text;
}

function requestRow(r, stepBox, message, reload) {
  const open = ['received', 'acknowledged', 'extended'].includes(r.status);
  const actions = h('div', { className: 'row-actions' });
  const button = (step, text) => {
    const b = h('button', { type: 'button', className: 'small', textContent: text, _data: { step } });
    b.addEventListener('click', () => stepForm(r, step, stepBox, message, reload));
    actions.append(b);
  };
  if (open && r.status === 'received') button('acknowledge', tr('do.acknowledge'));
  if (open && !r.extended_on && r.due_on) button('extend', tr('do.extend'));
  if (open) button('complete', tr('do.complete'));
  if (open) button('reject', tr('do.reject'));
  if (r.kind === 'access') {
    const b = h('button', { type: 'button', className: 'small', textContent: tr('do.export'), _data: { step: 'export' } });
    b.addEventListener('click', () => exportRequest(r, message));
    actions.append(b);
  }
  const extra = [];
  if (r.extension_reason) extra.push(h('div', { className: 'muted', textContent: `${tr('extended')}: ${r.extension_reason}` }));
  if (r.legal_reason) extra.push(h('div', { className: 'muted legal-reason', textContent: `${tr('field.legal_reason')}: ${r.legal_reason}` }));
  return h('tr', { _data: { request: String(r.id), status: r.status } },
    h('td', { _data: { label: tr('col.id') }, textContent: `#${r.id}` }),
    cell(tr('col.household'), h('a', { href: `/households/${r.household_id}`, textContent: `${r.household_code} – ${r.household_name}` })),
    cell(tr('col.kind'), tr(`kind.${r.kind}`)),
    cell(tr('col.received'), `${fmtDate(r.received_on)} · ${tr(`channel.${r.channel}`)}`),
    cell(tr('col.requester'), r.requester_name, r.details ? h('div', { className: 'muted', textContent: r.details }) : ''),
    cell(tr('col.status'), statusText(r), ...extra),
    cell(tr('col.deadline'), deadlineCell(r)),
    cell(tr('col.actions'), actions));
}

function stepForm(r, step, box, message, reload) {
  const fields = [labelled(tr('field.on'), dateInput({ name: 'on', value: todayIso(), id: 'step-on' }))];
  if (step === 'extend') {
    fields.push(labelled(tr('field.reason'), h('textarea', { name: 'reason', id: 'step-reason', maxLength: 4000 })));
    fields.push(h('p', { className: 'hint', textContent: ruleText(r.extension_rule) }));
  }
  if (step === 'complete') {
    const outcome = select('outcome', ['done', 'refused'], 'outcome', 'step-outcome');
    if (r.kind === 'deletion') outcome.value = 'refused';
    fields.push(labelled(tr('field.outcome'), outcome));
    fields.push(labelled(tr('field.note'), h('textarea', { name: 'note', id: 'step-note', maxLength: 4000 })));
    fields.push(labelled(tr('field.legal_reason'), h('textarea', { name: 'legal_reason', id: 'step-legal-reason', maxLength: 4000, placeholder: tr('legal_reason_hint') })));
  }
  if (step === 'reject') {
    fields.push(labelled(tr('field.legal_reason'), h('textarea', { name: 'legal_reason', id: 'step-legal-reason', maxLength: 4000 })));
  }
  const cancel = h('button', { type: 'button', className: 'link', textContent: tr('cancel') });
  const form = h('form', { className: 'step-form', id: 'step-form', _data: { step } },
    h('h3', { textContent: tr('step_title', { step: tr(`do.${step}`), id: r.id, household: `${r.household_code} – ${r.household_name}` }) }),
    h('div', { className: 'form-grid' }, ...fields),
    h('div', { className: 'buttons' }, h('button', { type: 'submit', textContent: tr(`do.${step}`) }), cancel),
    h('p', { className: 'form-error error', role: 'alert' }));
  cancel.addEventListener('click', () => box.replaceChildren());
  bindForm(form, async (values, f) => {
    readDates(f, values);
    const body = {};
    for (const [k, v] of Object.entries(values)) if (v) body[k] = v;
    return api(`/api/v1/privacy/requests/${r.id}/${step}`, { method: 'POST', body });
  }, async (saved) => {
    box.replaceChildren();
    // Redraw first: "done" is said once the table shows it.
    await reload();
    message.className = 'status';
    message.textContent = tr('saved', { id: saved.id, status: tr(`status.${saved.status}`) });
  });
  box.replaceChildren(form);
  form.querySelector('textarea, select, input')?.focus();
}

async function exportRequest(r, message) {
  try {
    const doc = await api(`/api/v1/privacy/requests/${r.id}/export`);
    const blob = new Blob([JSON.stringify(doc, null, 2)], { type: 'application/json' });
    const a = h('a', { href: URL.createObjectURL(blob), download: `household-${r.household_id}-access-${r.id}.json` });
    document.body.append(a);
    a.click();
    a.remove();
    message.className = 'status';
    message.textContent = tr('exported', { id: r.id });
  } catch (err) {
    message.className = 'status error';
    message.textContent = err.message;
  }
}

function newRequestForm(message, reload) {
  const preset = new URLSearchParams(location.search).get('household') || '';
  const form = h('form', { className: 'card', id: 'request-form' },
    h('h3', { textContent: tr('new_request') }),
    h('div', { className: 'form-grid' },
      labelled(tr('field.household'), h('input', { name: 'household_id', id: 'request-household', inputMode: 'numeric', pattern: '\\d+', required: true, value: preset, size: 8 })),
      labelled(tr('field.kind'), select('kind', KINDS, 'kind', 'request-kind')),
      labelled(tr('field.received_on'), dateInput({ name: 'received_on', value: todayIso(), required: true, id: 'request-received' })),
      labelled(tr('field.channel'), select('channel', CHANNELS, 'channel', 'request-channel')),
      labelled(tr('field.requester'), h('input', { name: 'requester_name', id: 'request-requester', required: true, maxLength: 200 }))),
    labelled(tr('field.details'), h('textarea', { name: 'details', id: 'request-details', maxLength: 4000 })),
    h('div', { className: 'buttons' }, h('button', { type: 'submit', textContent: tr('record') })),
    h('p', { className: 'form-error error', role: 'alert' }));
  bindForm(form, async (values, f) => {
    readDates(f, values);
    return api('/api/v1/privacy/requests', {
      method: 'POST',
      body: { ...values, household_id: Number(values.household_id) },
    });
  }, async (saved) => {
    form.reset();
    await reload();
    message.className = 'status';
    message.textContent = tr('recorded', { id: saved.id, date: saved.ack_by ? fmtDate(saved.ack_by) : '—' });
  });
  return form;
}

// ---- breaches ---------------------------------------------------------------------------

function reportCell(b) {
  if (b.reported_to_authority_at) {
    return h('span', { className: b.late ? 'late' : '', textContent: tr(b.late ? 'reported_late' : 'reported', { at: fmtDateTime(b.reported_to_authority_at) }) });
  }
  const n = b.hours_left;
  return h('span', { className: n < 0 ? 'deadline overdue' : 'deadline', title: ruleText(b.rule) },
    `${tr('report_by', { at: fmtDateTime(b.report_due_at) })} — ${n < 0 ? tr('hours_over', { n: -n }) : tr('hours_left', { n })}`);
}

async function breachesSection(root, message) {
  const body = h('tbody');
  const table = h('table', { className: 'people-table privacy-table', id: 'breaches-table' },
    h('thead', {}, h('tr', {}, ...['discovered', 'description', 'data', 'households', 'report', 'measures', 'actions']
      .map((k) => h('th', { scope: 'col', textContent: tr(`breach.col.${k}`) })))), body);
  const empty = h('p', { className: 'muted', hidden: true, textContent: tr('breach.none') });

  async function load() {
    const page = await api('/api/v1/privacy/breaches');
    body.replaceChildren(...page.items.map((b) => breachRow(b, message, load)));
    empty.hidden = page.items.length > 0;
  }
  root.replaceChildren(h('h2', { textContent: tr('breaches') }),
    h('p', { className: 'muted', textContent: tr('breaches_intro') }),
    h('div', { className: 'table-box' }, table), empty, newBreachForm(message, load));
  await load();
}

function breachRow(b, message, reload) {
  const actions = h('div', { className: 'row-actions' });
  const patch = async (bodyPatch, text) => {
    try {
      await api(`/api/v1/privacy/breaches/${b.id}`, { method: 'PATCH', body: bodyPatch });
      await reload();
      message.className = 'status';
      message.textContent = text;
    } catch (err) {
      message.className = 'status error';
      message.textContent = err.message;
    }
  };
  const now = () => new Date().toISOString();
  if (!b.reported_to_authority_at) {
    const r = h('button', { type: 'button', className: 'small', textContent: tr('breach.mark_reported'), _data: { act: 'report' } });
    r.addEventListener('click', () => patch({ reported_to_authority_at: now() }, tr('breach.saved')));
    actions.append(r);
  }
  if (!b.closed_at) {
    const c = h('button', { type: 'button', className: 'small', textContent: tr('breach.close'), _data: { act: 'close' } });
    c.addEventListener('click', () => patch({ closed_at: now() }, tr('breach.saved')));
    actions.append(c);
  } else {
    actions.append(h('span', { className: 'badge', textContent: tr('breach.closed', { at: fmtDateTime(b.closed_at) }) }));
  }
  return h('tr', { _data: { breach: String(b.id) } },
    cell(tr('breach.col.discovered'), fmtDateTime(b.discovered_at)),
    cell(tr('breach.col.description'), b.description),
    cell(tr('breach.col.data'), b.data_kinds.map((k) => tr(`data.${k}`)).join(', ')),
    h('td', { _data: { label: tr('breach.col.households') }, textContent: String(b.households_affected) }),
    cell(tr('breach.col.report'), reportCell(b)),
    cell(tr('breach.col.measures'), b.measures || '—'),
    cell(tr('breach.col.actions'), actions));
}

function newBreachForm(message, reload) {
  const kinds = h('fieldset', { className: 'kinds', id: 'breach-kinds' }, h('legend', { textContent: tr('breach.field.data') }),
    ...DATA_KINDS.map((k) => h('label', { className: 'check' },
      h('input', { type: 'checkbox', name: 'data_kinds', value: k }), ' ', tr(`data.${k}`))));
  const form = h('form', { className: 'card', id: 'breach-form' },
    h('h3', { textContent: tr('breach.new') }),
    h('div', { className: 'form-grid' },
      labelled(tr('breach.field.date'), dateInput({ name: 'date', value: todayIso(), required: true, id: 'breach-date' })),
      labelled(tr('breach.field.time'), timeInput({ name: 'time', required: true, id: 'breach-time' })),
      labelled(tr('breach.field.households'), h('input', { name: 'households_affected', id: 'breach-households', inputMode: 'numeric', pattern: '\\d+', required: true, value: '0', size: 6 }))),
    labelled(tr('breach.field.description'), h('textarea', { name: 'description', id: 'breach-description', required: true, maxLength: 4000 })),
    kinds,
    labelled(tr('breach.field.measures'), h('textarea', { name: 'measures', id: 'breach-measures', maxLength: 4000 })),
    h('div', { className: 'buttons' }, h('button', { type: 'submit', textContent: tr('record') })),
    h('p', { className: 'form-error error', role: 'alert' }));
  bindForm(form, async (values, f) => {
    readDates(f, values);
    const data = [...f.querySelectorAll('input[name=data_kinds]:checked')].map((i) => i.value);
    return api('/api/v1/privacy/breaches', {
      method: 'POST',
      body: {
        discovered_at: vnDateTime(values.date, values.time),
        description: values.description,
        data_kinds: data,
        households_affected: Number(values.households_affected),
        measures: values.measures || null,
      },
    });
  }, async (saved) => {
    form.reset();
    await reload();
    message.className = 'status';
    message.textContent = tr('breach.recorded', { at: fmtDateTime(saved.report_due_at) });
  });
  return form;
}

// Last: the page starts once every constant above is defined.
const user = await startPage({ namespaces: ['admin-privacy', 'legal'], roles: ['admin', 'district_leader'] });
if (user) await main();

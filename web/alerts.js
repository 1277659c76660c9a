// The alerts page: what is overdue, where the hot spots are, what changed after the cut-off.
// Counts per kind double as filters; alerts can be grouped by commune, working group or kind;
// each row says why, links to the case file (leaders) or the field app (members), and can be
// acknowledged, assigned to a person or snoozed until a date with a reason.
import { t, fmtNumber, fmtDate, lang } from './lib/i18n.js';
import { api } from './lib/api.js';
import { startPage, bindForm, h } from './lib/shell.js';
import { dateInput, readDates, todayIso } from './lib/dates.js';

const KINDS = ['hot_spot', 'grievance_overdue', 'stage_overdue', 'split_after_cutoff',
  'land_use_change_after_cutoff', 'commitment_overdue', 'grievance_due', 'not_visited'];
// Splits and land-use changes after the cut-off are "reviewed" (their alert goes away).
const REVIEWED = ['household_split', 'parcel_split', 'land_use_change'];
const $ = (id) => document.getElementById(id);
const state = { project: '', communeId: '', kind: '', cursor: null, groupBy: '', sort: 'kind', items: [] };
let assignees = [];

function option(value, text) {
  return Object.assign(document.createElement('option'), { value, textContent: text });
}

function showError(err) {
  const el = $('alerts-message');
  el.textContent = err.message;
  el.hidden = false;
}

function query(cursor) {
  const q = new URLSearchParams({ lang: lang(), limit: '100' });
  if (state.project) q.set('project', state.project);
  // By id: a pre-2025 and a post-2025 commune may share a code.
  if (state.communeId) q.set('commune_id', state.communeId);
  if (state.kind) q.set('kind', state.kind);
  if (cursor) q.set('cursor', cursor);
  return `/api/v1/alerts?${q}`;
}

function renderCounts(counts, total) {
  const box = $('alerts-counts');
  box.replaceChildren();
  for (const kind of KINDS) {
    const n = counts[kind] ?? 0;
    const b = document.createElement('button');
    b.type = 'button';
    b.dataset.kind = kind;
    if (n === 0) b.dataset.zero = '';
    b.setAttribute('aria-pressed', String(state.kind === kind));
    b.append(Object.assign(document.createElement('strong'), { textContent: fmtNumber(n) }), t(`alerts.kind.${kind}`));
    b.addEventListener('click', () => {
      state.kind = state.kind === kind ? '' : kind;
      $('alerts-kind').value = state.kind;
      refresh();
    });
    box.append(b);
  }
  $('alerts-total').textContent = fmtNumber(total);
}

async function renderGroups() {
  const box = $('alerts-groups');
  if (!state.groupBy) {
    box.hidden = true;
    box.replaceChildren();
    return;
  }
  const q = new URLSearchParams({ by: state.groupBy, lang: lang() });
  if (state.project) q.set('project', state.project);
  if (state.kind) q.set('kind', state.kind);
  if (state.communeId && state.groupBy !== 'commune') q.set('commune_id', state.communeId);
  const res = await api(`/api/v1/alerts/groups?${q}`);
  const list = h('ul', { className: 'alerts-group-list' });
  for (const g of res.groups) {
    const item = h('li', {});
    item.dataset.key = g.key;
    const text = [h('span', { className: 'alerts-group-label', textContent: g.label }), h('strong', { textContent: fmtNumber(g.count) })];
    // A commune or a kind narrows the list; a working group only counts.
    const narrows = (state.groupBy === 'commune' && g.id) || state.groupBy === 'kind';
    if (narrows) {
      const b = h('button', { type: 'button', className: 'link' }, ...text);
      b.addEventListener('click', () => {
        if (state.groupBy === 'kind') {
          state.kind = g.key;
          $('alerts-kind').value = g.key;
        } else {
          state.communeId = String(g.id);
          $('alerts-commune').value = state.communeId;
        }
        refresh();
      });
      item.append(b);
    } else {
      item.append(...text);
    }
    list.append(item);
  }
  box.replaceChildren(h('h2', { textContent: t(`alerts.group.${state.groupBy}`) }), list);
  box.hidden = false;
}

function sorted(items) {
  const copy = [...items];
  if (state.sort === 'age') copy.sort((a, b) => (a.since ?? '9999').localeCompare(b.since ?? '9999'));
  if (state.sort === 'deadline') copy.sort((a, b) => (a.due_on ?? '9999').localeCompare(b.due_on ?? '9999'));
  return copy;
}

function triageForm(a, tr, action) {
  const colspan = tr.children.length;
  const fields = [];
  if (action === 'assign') {
    const sel = h('select', { name: 'assignee', id: `alerts-assignee-${a.subject}-${a.subject_id}`, required: true },
      option('', '—'), ...assignees.map((p) => option(p.username, p.display_name || p.username)));
    if (a.assignee) sel.value = a.assignee;
    fields.push(h('label', { htmlFor: sel.id }, h('span', { textContent: t('alerts.assign_to') }), ' ', sel));
  } else {
    const tomorrow = new Date(Date.parse(todayIso()) + 86400e3).toISOString().slice(0, 10);
    const until = dateInput({ name: 'until', value: tomorrow, required: true, id: `alerts-until-${a.subject}-${a.subject_id}` });
    const note = h('textarea', { name: 'note', rows: 2, required: true, id: `alerts-note-${a.subject}-${a.subject_id}` });
    fields.push(h('label', { htmlFor: until.id }, h('span', { textContent: t('alerts.snooze_until') }), ' ', until),
      h('label', { htmlFor: note.id }, h('span', { textContent: t('alerts.snooze_reason') }), ' ', note));
  }
  const cancel = h('button', { type: 'button', className: 'link', textContent: t('alerts.cancel') });
  const form = h('form', { className: 'alerts-triage-form' }, ...fields,
    h('div', { className: 'alerts-triage-buttons' }, h('button', { type: 'submit', textContent: t('alerts.save') }), cancel));
  form.dataset.action = action;
  const row = h('tr', { className: 'alerts-triage-row' }, h('td', { colSpan: colspan }, form));
  cancel.addEventListener('click', () => row.remove());
  bindForm(form, async (values) => {
    readDates(form, values);
    const body = { subject: a.subject, subject_id: a.subject_id, action, note: values.note || '' };
    if (action === 'assign') body.assignee = values.assignee;
    if (action === 'snooze') body.until = values.until;
    return api('/api/v1/alerts/reviews', { method: 'POST', body });
  }, async (done) => {
    const who = assignees.find((p) => p.username === done.assignee)?.display_name || done.assignee;
    $('alerts-note').textContent = t(`alerts.done.${action}`, { who, until: fmtDate(done.until) });
    await refresh();
  });
  tr.after(row);
  form.querySelector('select, input, textarea')?.focus();
}

async function acknowledge(a) {
  const action = REVIEWED.includes(a.subject) ? 'review' : 'acknowledge';
  try {
    await api('/api/v1/alerts/reviews', { method: 'POST', body: { subject: a.subject, subject_id: a.subject_id, action } });
    $('alerts-note').textContent = t(`alerts.done.${action}`);
    await refresh();
  } catch (err) {
    showError(err);
  }
}

function row(a, canReview) {
  const tr = document.createElement('tr');
  tr.dataset.kind = a.kind;
  tr.dataset.subject = `${a.subject}:${a.subject_id}`;
  const kind = Object.assign(document.createElement('span'), { className: 'alerts-kind', textContent: t(`alerts.kind.${a.kind}`) });
  kind.dataset.kind = a.kind;
  tr.insertCell().append(kind);
  const why = tr.insertCell();
  why.append(a.message);
  if (a.household_code) {
    why.append(' ', Object.assign(document.createElement('span'), { className: 'alerts-code', textContent: `(${t('alerts.household')} ${a.household_code})` }));
  }
  const marks = [];
  if (a.acknowledged_by) marks.push(t('alerts.acknowledged', { who: a.acknowledged_by, at: fmtDate(a.acknowledged_at) }));
  if (a.assignee) marks.push(t('alerts.assigned', { who: assignees.find((p) => p.username === a.assignee)?.display_name || a.assignee }));
  if (marks.length) why.append(h('span', { className: 'alerts-marks', textContent: marks.join(' · ') }));
  tr.insertCell().textContent = a.commune ? a.commune.name : '';
  const days = tr.insertCell();
  days.className = 'alerts-days';
  days.textContent = fmtNumber(Math.abs(a.days));
  const act = tr.insertCell();
  act.className = 'alerts-act';
  const caseFile = a.link.startsWith('/households/');
  const link = Object.assign(document.createElement('a'), { href: a.link, textContent: caseFile ? t('alerts.open_case') : t('alerts.open') });
  link.className = 'alerts-link';
  act.append(link);
  const tools = h('div', { className: 'alerts-tools' });
  const reviewOnly = REVIEWED.includes(a.subject);
  if (!reviewOnly || canReview) {
    const ack = h('button', { type: 'button', className: 'link alerts-ack', textContent: reviewOnly ? t('alerts.review') : t('alerts.acknowledge') });
    ack.addEventListener('click', () => acknowledge(a));
    tools.append(ack);
  }
  if (!reviewOnly) {
    const assign = h('button', { type: 'button', className: 'link alerts-assign', textContent: t('alerts.assign') });
    assign.addEventListener('click', () => triageForm(a, tr, 'assign'));
    const snooze = h('button', { type: 'button', className: 'link alerts-snooze', textContent: t('alerts.snooze') });
    snooze.addEventListener('click', () => triageForm(a, tr, 'snooze'));
    tools.append(assign, snooze);
  }
  act.append(tools);
  return tr;
}

let canReview = false;
let canSetThreshold = false;

/** Administrators change the project's "not visited" threshold beside where it is shown. */
function thresholdEditor(days) {
  const input = h('input', { type: 'number', name: 'not_visited_days', id: 'threshold-days', min: 1, max: 365, required: true, value: String(days), inputMode: 'numeric' });
  const save = h('button', { type: 'submit', textContent: t('alerts.threshold_save') });
  const reset = h('button', { type: 'button', className: 'link', id: 'threshold-default', textContent: t('alerts.threshold_default') });
  const form = h('form', { id: 'threshold-form', className: 'threshold-form', hidden: true },
    h('label', { htmlFor: 'threshold-days' }, h('span', { textContent: t('alerts.threshold_label') }), ' ', input), ' ', save, ' ', reset,
    h('span', { className: 'form-error error', role: 'alert' }));
  const open = h('button', { type: 'button', className: 'link', id: 'threshold-edit', textContent: t('alerts.threshold_edit') });
  open.addEventListener('click', () => { form.hidden = false; open.hidden = true; input.focus(); });
  const put = (value) => api(`/api/v1/projects/${encodeURIComponent(state.project)}/settings/alerts`, { method: 'PUT', body: { not_visited_days: value } });
  bindForm(form, (values) => put(Number(values.not_visited_days)), () => refresh());
  reset.addEventListener('click', () => put(null).then(refresh).catch(showError));
  return [open, form];
}

function draw() {
  $('alerts-rows').replaceChildren(...sorted(state.items).map((a) => row(a, canReview)));
  $('alerts-empty').hidden = state.items.length > 0;
}

async function loadPage(cursor) {
  const page = await api(query(cursor));
  if (!cursor) {
    state.items = [];
    renderCounts(page.counts, page.total);
    const th = $('alerts-threshold');
    th.hidden = page.not_visited_days == null;
    th.textContent = page.not_visited_days == null ? '' : t('alerts.threshold', { n: fmtNumber(page.not_visited_days) });
    if (canSetThreshold && page.not_visited_days != null) th.append(' ', ...thresholdEditor(page.not_visited_days));
  }
  state.items.push(...page.items);
  draw();
  state.cursor = page.next_cursor;
  $('alerts-more').hidden = !page.next_cursor;
}

async function refresh() {
  $('alerts-message').hidden = true;
  try {
    await Promise.all([loadPage(null), renderGroups()]);
  } catch (err) {
    showError(err);
  }
}

async function loadCommunes() {
  const select = $('alerts-commune');
  select.replaceChildren(option('', t('alerts.all_communes')));
  if (!state.project) return;
  const progress = await api(`/api/v1/projects/${encodeURIComponent(state.project)}/progress`);
  for (const c of progress.by_commune) if (c.code) select.append(option(String(c.id), c.name));
  select.value = '';
  state.communeId = '';
}

async function showAlerts(user) {
  canReview = ['admin', 'member', 'district_leader'].includes(user.user.role);
  canSetThreshold = user.user.role === 'admin';
  $('alerts').hidden = false;
  const { items } = await api('/api/v1/projects');
  assignees = await api('/api/v1/grievances/assignees').catch(() => []);
  const projects = $('alerts-project');
  projects.replaceChildren(...items.map((p) => option(p.code, `${p.code} — ${p.name}`)));
  if (items.length > 1) projects.prepend(option('', t('alerts.all_projects')));
  const wanted = new URLSearchParams(location.search).get('project');
  state.project = items.some((p) => p.code === wanted) ? wanted : (items[0]?.code ?? '');
  projects.value = state.project;
  const kinds = $('alerts-kind');
  kinds.replaceChildren(option('', t('alerts.all_kinds')), ...KINDS.map((k) => option(k, t(`alerts.kind.${k}`))));
  $('alerts-group-by').replaceChildren(...['none', 'commune', 'working_group', 'kind']
    .map((g) => option(g === 'none' ? '' : g, t(`alerts.group.${g}`))));
  $('alerts-sort').replaceChildren(...['kind', 'age', 'deadline'].map((s) => option(s, t(`alerts.sort.${s}`))));
  await loadCommunes();
  await refresh();
}

const user = await startPage({ namespaces: ['alerts'], roles: ['admin', 'leader', 'district_leader', 'member'] });
if (user) {
  // The shell replaced nothing in <main>: the section is ours.
  $('alerts-project').addEventListener('change', async (e) => {
    state.project = e.target.value;
    await loadCommunes().catch(showError);
    refresh();
  });
  $('alerts-commune').addEventListener('change', (e) => { state.communeId = e.target.value; refresh(); });
  $('alerts-kind').addEventListener('change', (e) => { state.kind = e.target.value; refresh(); });
  $('alerts-group-by').addEventListener('change', (e) => { state.groupBy = e.target.value; renderGroups().catch(showError); });
  $('alerts-sort').addEventListener('change', (e) => { state.sort = e.target.value; draw(); });
  $('alerts-more').addEventListener('click', () => loadPage(state.cursor).catch(showError));
  await showAlerts(user).catch(showError);
}

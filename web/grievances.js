// The grievance desk (đơn thư): take in a grievance for one or many households, assign it,
// accept it (thụ lý) with its number, resolve it with the decision's number and outcome, file
// the second-round complaint; the list shows each one's next legal deadline and days left,
// overdue first. `?household=ID` narrows the list to one household (the case file links
// here), `?id=ID` opens one grievance.
import { startPage, bindForm, h } from './lib/shell.js';
import { api } from './lib/api.js';
import { t, fmtDate, fmtNumber } from './lib/i18n.js';
import { dateInput, readDates, todayIso } from './lib/dates.js';
import { fmtMoney } from './lib/money.js';

const KINDS = ['complaint', 'denunciation', 'petition', 'feedback'];
const STATUSES = ['received', 'accepted', 'resolved', 'rejected', 'withdrawn'];
const CHANNELS = ['direct', 'mail', 'citizen_reception', 'meeting', 'phone', 'online', 'forwarded'];
const WRITERS = ['admin', 'member', 'district_leader'];

const user = await startPage({ namespaces: ['grievances'], roles: ['admin', 'leader', 'district_leader', 'member'] });
if (user) await start(user);

function option(value, text) {
  return h('option', { value, textContent: text });
}

function select(name, options, value = '') {
  const s = h('select', { name, id: `g-${name}` }, ...options.map(([v, text]) => option(v, text)));
  s.value = value;
  return s;
}

function labelled(text, control) {
  return h('label', { htmlFor: control.id || '' }, h('span', { textContent: text }), ' ', control);
}

/** "còn 3 ngày" / "quá hạn 2 ngày" for a deadline. */
function countdown(due) {
  if (!due) return h('span', { className: 'g-countdown', textContent: t('grievances.no_deadline') });
  const n = due.days_left;
  const text = n < 0 ? t('grievances.overdue', { n: fmtNumber(-n) })
    : n === 0 ? t('grievances.due_today') : t('grievances.days_left', { n: fmtNumber(n) });
  const span = h('span', { className: 'g-countdown', textContent: text });
  span.dataset.state = n < 0 ? 'overdue' : n <= 3 ? 'soon' : 'ok';
  return span;
}

function statusBadge(g) {
  const s = h('span', { className: 'g-status', textContent: t(`grievances.status.${g.status}`) });
  s.dataset.status = g.status;
  return s;
}

async function start(me) {
  const canWrite = WRITERS.includes(me.user.role);
  const params = new URLSearchParams(location.search);
  const state = {
    project: '', status: 'open', kind: '', commune: '', assignee: '',
    household: params.get('household') || '', cursor: null,
  };
  const main = document.querySelector('main');
  main.classList.add('g-page');
  const message = h('p', { id: 'g-message', className: 'error', role: 'alert', hidden: true });
  const note = h('p', { id: 'g-note', className: 'g-note', role: 'status' });

  const { items: projects } = await api('/api/v1/projects');
  state.project = projects.some((p) => p.code === params.get('project')) ? params.get('project') : (projects[0]?.code ?? '');
  const assignees = await api('/api/v1/grievances/assignees').catch(() => []);
  const assigneeName = (u) => assignees.find((a) => a.username === u)?.display_name || u;

  const fProject = select('project', projects.map((p) => [p.code, `${p.code} — ${p.name}`]), state.project);
  const fStatus = select('status', [['', t('grievances.filter.all')], ['open', t('grievances.filter.open')],
    ...STATUSES.map((s) => [s, t(`grievances.status.${s}`)])], state.status);
  const fKind = select('kind', [['', t('grievances.filter.all')], ...KINDS.map((k) => [k, t(`grievances.kind.${k}`)])]);
  const fCommune = select('commune', [['', t('grievances.filter.all')]]);
  const fAssignee = select('assignee', [['', t('grievances.filter.all')], ['none', t('grievances.filter.unassigned')],
    ...assignees.map((a) => [a.username, a.display_name || a.username])]);
  const filters = h('form', { className: 'g-filters', id: 'g-filters' },
    labelled(t('grievances.project'), fProject), labelled(t('grievances.filter.status'), fStatus),
    labelled(t('grievances.filter.kind'), fKind), labelled(t('grievances.filter.commune'), fCommune),
    labelled(t('grievances.filter.assignee'), fAssignee));
  filters.addEventListener('submit', (e) => e.preventDefault());

  const householdNote = h('p', { id: 'g-household-filter', hidden: true });
  const newButton = h('button', { type: 'button', id: 'g-new', textContent: t('grievances.new'), hidden: !canWrite });
  const intake = h('section', { id: 'g-intake', className: 'g-panel', hidden: true });
  const detail = h('section', { id: 'g-detail', className: 'g-panel', hidden: true });
  const rows = h('tbody', { id: 'g-rows' });
  const table = h('table', { className: 'g-table' },
    h('thead', {}, h('tr', {}, ...['id', 'kind', 'households', 'received', 'status', 'deadline', 'assignee']
      .map((c) => h('th', { scope: 'col', textContent: t(`grievances.col.${c}`) })), h('th', { scope: 'col' }))),
    rows);
  const count = h('p', { id: 'g-count', className: 'g-count' });
  const empty = h('p', { id: 'g-empty', textContent: t('grievances.none'), hidden: true });
  const more = h('button', { type: 'button', id: 'g-more', className: 'link', textContent: t('grievances.more'), hidden: true });
  main.replaceChildren(h('p', { className: 'g-intro', textContent: t('grievances.intro') }), message, note,
    filters, householdNote, newButton, intake, detail,
    h('h2', { textContent: t('grievances.list') }), count, h('div', { className: 'table-box' }, table), empty, more);

  const showError = (err) => { message.textContent = err.message; message.hidden = false; };

  async function loadCommunes() {
    fCommune.replaceChildren(option('', t('grievances.filter.all')));
    if (!state.project) return;
    const progress = await api(`/api/v1/projects/${encodeURIComponent(state.project)}/progress`);
    for (const c of progress.by_commune) if (c.code) fCommune.append(option(String(c.id), c.name));
    fCommune.value = '';
    state.commune = '';
  }

  function query(cursor) {
    const q = new URLSearchParams({ sort: 'deadline', limit: '50' });
    if (state.project) q.set('project', state.project);
    for (const k of ['status', 'kind', 'assignee', 'household']) if (state[k]) q.set(k, state[k]);
    if (state.commune) q.set('commune_id', state.commune);
    if (cursor) q.set('cursor', cursor);
    return `/api/v1/grievances?${q}`;
  }

  function row(g) {
    const tr = h('tr', { id: `g-row-${g.id}` });
    tr.dataset.id = g.id;
    tr.append(h('td', { textContent: String(g.id) }));
    const kind = h('td', { textContent: t(`grievances.kind.${g.kind}`) });
    if (g.round === 2) kind.append(h('br'), h('small', { textContent: t('grievances.round2') }));
    tr.append(kind);
    const signers = g.households.map((x) => `${x.code} ${x.head_name}`);
    if (g.households_outside > 0) signers.push(t('grievances.detail.outside', { n: g.households_outside }));
    tr.append(h('td', { className: 'g-households', textContent: signers.join('; ') }));
    tr.append(h('td', { textContent: fmtDate(g.received_on) }));
    tr.append(h('td', {}, statusBadge(g)));
    const due = h('td', { className: 'g-due' });
    if (g.next_deadline) {
      due.append(t(`grievances.step.${g.next_deadline.step}`), ' ', fmtDate(g.next_deadline.due_on), h('br'));
    }
    due.append(countdown(g.next_deadline));
    tr.append(due);
    tr.append(h('td', { textContent: g.assignee ? assigneeName(g.assignee) : '' }));
    const open = h('button', { type: 'button', className: 'link g-open', textContent: t('grievances.open') });
    open.addEventListener('click', () => openGrievance(g.id));
    tr.append(h('td', {}, open));
    return tr;
  }

  async function loadList(cursor = null) {
    message.hidden = true;
    try {
      const page = await api(query(cursor));
      if (!cursor) rows.replaceChildren();
      rows.append(...page.items.map(row));
      state.cursor = page.next_cursor;
      more.hidden = !page.next_cursor;
      empty.hidden = rows.children.length > 0;
      count.textContent = t('grievances.count', { n: fmtNumber(rows.children.length) }) + (page.next_cursor ? '+' : '');
    } catch (err) {
      showError(err);
    }
  }

  // ---- one grievance ------------------------------------------------------------------------
  function dl(pairs) {
    const list = h('dl', { className: 'g-facts' });
    for (const [k, v] of pairs) if (v !== null && v !== undefined && v !== '') list.append(h('dt', { textContent: k }), h('dd', {}, v));
    return list;
  }

  function actionForm(id, title, fields, submitText, toBody, g) {
    const form = h('form', { className: 'g-action', id },
      h('h4', { textContent: title }), ...fields,
      h('button', { type: 'submit', textContent: submitText }));
    bindForm(form, async (values) => {
      note.textContent = '';
      readDates(form, values);
      return api(`/api/v1/grievances/${g.id}${toBody.path || ''}`, { method: toBody.method || 'PATCH', body: toBody.body(values) });
    }, async (res) => {
      await loadList();
      await openGrievance(res.id);
      // Said last, so "done" on screen means the refreshed grievance is drawn.
      note.textContent = t('grievances.action.done');
    });
    return form;
  }

  function textField(name, label, { required = false, area = false, id } = {}) {
    const control = area ? h('textarea', { name, rows: 3, required, id: id || `g-${name}-${Math.random().toString(36).slice(2, 7)}` })
      : h('input', { name, required, id: id || `g-${name}-${Math.random().toString(36).slice(2, 7)}` });
    return labelled(label, control);
  }

  function dateField(name, label, value = todayIso()) {
    const input = dateInput({ name, value, required: true, id: `g-${name}-${Math.random().toString(36).slice(2, 7)}` });
    return labelled(label, input);
  }

  function actions(g) {
    if (!canWrite) return [];
    // Signed also outside the caller's area: only someone covering every signer may act.
    if (g.households_outside > 0) return [h('p', { className: 'g-muted', textContent: t('grievances.detail.outside_no_write') })];
    const out = [];
    const open = g.status === 'received' || g.status === 'accepted';
    if (open) {
      const who = select('assignee', [['', '—'], ...assignees.map((a) => [a.username, a.display_name || a.username])], g.assignee || '');
      who.id = 'g-assign-to';
      who.required = true;
      out.push(actionForm('g-assign', t('grievances.action.assign'), [labelled(t('grievances.action.assignee'), who)],
        t('grievances.action.assign'), { body: (v) => ({ action: 'assign', assignee: v.assignee }) }, g));
    }
    if (g.status === 'received') {
      out.push(actionForm('g-accept', t('grievances.action.accept'), [
        dateField('on', t('grievances.action.accept_on')),
        textField('document_no', t('grievances.action.accept_no')),
      ], t('grievances.action.accept'), { body: (v) => ({ action: 'accept', on: v.on, document_no: v.document_no || null }) }, g));
    }
    if (open) {
      out.push(actionForm('g-resolve', t('grievances.action.resolve'), [
        dateField('on', t('grievances.action.resolve_on')),
        textField('document_no', t('grievances.action.decision_no')),
        textField('outcome', t('grievances.action.outcome'), { required: true, area: true }),
      ], t('grievances.action.resolve'), {
        body: (v) => ({ action: 'resolve', on: v.on, document_no: v.document_no || null, outcome: v.outcome }),
      }, g));
    }
    if (g.kind === 'complaint' && g.round === 1 && g.appeal_by) {
      out.push(actionForm('g-appeal', t('grievances.action.appeal'), [
        dateField('received_on', t('grievances.action.appeal_received')),
        textField('content', t('grievances.action.appeal_content'), { required: true, area: true }),
      ], t('grievances.action.appeal'), {
        path: '/appeal', method: 'POST', body: (v) => ({ received_on: v.received_on, content: v.content }),
      }, g));
    }
    return out;
  }

  /** The plan line an objection disputes: its plan version and line, label, amount, article. */
  function disputedLine(l) {
    return h('span', { id: 'g-detail-plan-line' },
      `${t('grievances.detail.plan_line_text', { number: l.plan_number, line: l.line_no })}: ${l.label} — `,
      h('span', { className: 'money', textContent: fmtMoney(l.amount) }),
      h('br'), h('small', { textContent: l.article }));
  }

  async function openGrievance(id) {
    message.hidden = true;
    let g;
    try {
      g = await api(`/api/v1/grievances/${id}`);
    } catch (err) {
      detail.hidden = true;
      showError(err);
      return;
    }
    const url = new URL(location.href);
    url.searchParams.set('id', String(g.id));
    history.replaceState(null, '', url);
    const close = h('button', { type: 'button', className: 'link', id: 'g-detail-close', textContent: t('grievances.detail.close') });
    close.addEventListener('click', () => {
      detail.hidden = true;
      const u = new URL(location.href);
      u.searchParams.delete('id');
      history.replaceState(null, '', u);
    });
    const households = h('ul', { className: 'g-hh' }, ...g.households.map((x) => {
      const li = h('li', {}, `${x.code} — ${x.head_name} `);
      if (me.user.role !== 'member') li.append(h('a', { href: `/households/${x.household_id}`, textContent: t('grievances.detail.case_file') }));
      return li;
    }));
    if (g.households_outside > 0) households.append(h('li', { className: 'g-muted', textContent: t('grievances.detail.outside', { n: g.households_outside }) }));
    const flags = [g.complex && t('grievances.form.complex'), g.especially_complex && t('grievances.form.especially_complex'),
      g.remote_area && t('grievances.form.remote_area')].filter(Boolean).join('; ');
    const deadlines = dl([
      [t('grievances.detail.accept_by'), g.accept_by ? fmtDate(g.accept_by) : ''],
      [t('grievances.detail.notify_by'), g.notify_by ? fmtDate(g.notify_by) : ''],
      [t('grievances.detail.resolve_by'), g.resolve_by ? fmtDate(g.resolve_by) : ''],
      [t('grievances.detail.appeal_by'), g.appeal_by ? fmtDate(g.appeal_by) : ''],
    ]);
    const next = h('p', { className: 'g-next' });
    if (g.next_deadline) {
      next.append(`${t(`grievances.step.${g.next_deadline.step}`)}: ${fmtDate(g.next_deadline.due_on)} — `,
        countdown(g.next_deadline), h('br'), h('small', { textContent: g.next_deadline.rule.article }));
    }
    detail.replaceChildren(
      h('div', { className: 'g-detail-head' }, h('h3', { textContent: t('grievances.detail.title', { id: g.id }) }), close),
      g.parent_id ? h('p', { textContent: t('grievances.detail.parent', { id: g.parent_id }) }) : '',
      dl([
        [t('grievances.detail.kind'), t(`grievances.kind.${g.kind}`) + (g.round === 2 ? ` (${t('grievances.round2')})` : '')],
        [t('grievances.detail.channel'), t(`grievances.channel.${g.channel}`)],
        [t('grievances.detail.received_on'), fmtDate(g.received_on)],
        [t('grievances.detail.status'), statusBadge(g)],
        [t('grievances.detail.assignee'), g.assignee ? assigneeName(g.assignee) : t('grievances.detail.unassigned')],
        [t('grievances.detail.signers'), fmtNumber(g.signers)],
        [t('grievances.detail.flags'), flags],
        [t('grievances.detail.content'), g.content],
        [t('grievances.detail.plan_line'), g.plan_line ? disputedLine(g.plan_line) : ''],
        ['', g.accepted_on ? t('grievances.detail.accepted', { on: fmtDate(g.accepted_on), no: g.accept_no || '—' }) : ''],
        ['', g.resolved_on && g.status === 'resolved' ? t('grievances.detail.resolved', { on: fmtDate(g.resolved_on), no: g.document_no || '—' }) : ''],
        [t('grievances.detail.outcome'), g.outcome || ''],
      ]),
      h('h4', { textContent: t('grievances.detail.households') }), households,
      h('h4', { textContent: t('grievances.detail.deadlines') }), next, deadlines,
      h('div', { className: 'g-actions' }, ...actions(g)));
    detail.dataset.id = g.id;
    detail.dataset.status = g.status;
    detail.hidden = false;
    detail.scrollIntoView({ block: 'start' });
  }

  // ---- intake ---------------------------------------------------------------------------------
  function openIntake() {
    const chosen = new Map();
    const chosenList = h('ul', { id: 'g-chosen', className: 'g-chosen' });
    const chosenEmpty = h('p', { id: 'g-chosen-empty', className: 'g-muted', textContent: t('grievances.form.no_households') });
    const results = h('ul', { id: 'g-results', className: 'g-results' });
    const search = h('input', { type: 'search', id: 'g-search', name: 'search', autocomplete: 'off' });
    const searchButton = h('button', { type: 'button', id: 'g-search-button', textContent: t('grievances.form.search_button') });
    // `households` names the list for the server's 422 about it.
    const householdsAnchor = h('input', { type: 'hidden', name: 'households' });
    // An objection to a compensation plan may point at the line it disputes, one of the newest
    // plan of a signing household (optional; offered once a signer has a plan).
    const planLine = h('select', { name: 'plan_line_id', id: 'g-plan-line' });
    const planLineBox = labelled(t('grievances.form.plan_line'), planLine);
    planLineBox.id = 'g-plan-line-box';
    planLineBox.hidden = true;
    const newestPlans = new Map();

    async function drawPlanLines() {
      await Promise.all([...chosen.keys()].filter((id) => !newestPlans.has(id)).map(async (id) => {
        const c = await api(`/api/v1/households/${id}/compensation`).catch(() => null);
        newestPlans.set(id, c?.current ?? null);
      }));
      const keep = planLine.value;
      planLine.replaceChildren(option('', t('grievances.form.no_plan_line')));
      for (const [id, { hh }] of chosen) {
        const plan = newestPlans.get(id);
        const lines = (plan?.lines ?? []).filter((l) => l.id);
        if (!lines.length) continue;
        planLine.append(h('optgroup', { label: t('grievances.form.plan_of', { household: hh.code, number: plan.number }) },
          ...lines.map((l) => option(String(l.id), `${l.line_no}. ${l.label} — ${fmtMoney(l.amount)}`))));
      }
      planLine.value = [...planLine.options].some((o) => o.value === keep) ? keep : '';
      planLineBox.hidden = planLine.options.length <= 1;
    }

    function drawChosen() {
      chosenList.replaceChildren(...[...chosen.values()].map(({ hh, parcel }) => {
        const parcels = h('select', { id: `g-parcel-${hh.id}`, 'aria-label': t('grievances.form.parcel') },
          option('', t('grievances.form.any_parcel')),
          ...hh.parcels.map((p) => option(String(p.id), `${p.map_sheet}/${p.parcel_no}`)));
        parcels.value = parcel;
        parcels.setAttribute('aria-label', `${t('grievances.form.parcel')} — ${hh.code}`);
        parcels.addEventListener('change', () => { chosen.get(hh.id).parcel = parcels.value; });
        const remove = h('button', { type: 'button', className: 'link', textContent: t('grievances.form.remove') });
        remove.addEventListener('click', () => { chosen.delete(hh.id); drawChosen(); });
        const li = h('li', {}, h('span', { textContent: `${hh.code} — ${hh.head_name}` }), ' ', parcels, ' ', remove);
        li.dataset.id = hh.id;
        return li;
      }));
      chosenEmpty.hidden = chosen.size > 0;
      const signers = form.querySelector('[name=signers]');
      if (signers && (!signers.value || Number(signers.value) < chosen.size)) signers.value = String(chosen.size || '');
      drawPlanLines().catch(showError);
    }

    async function runSearch() {
      const q = search.value.trim();
      if (!q) return;
      const page = await api(`/api/v1/households?${new URLSearchParams({ q, project: state.project, limit: '10' })}`);
      results.replaceChildren(...page.items.map((hh) => {
        const add = h('button', { type: 'button', className: 'link', textContent: t('grievances.form.add') });
        add.addEventListener('click', () => {
          if (!chosen.has(hh.id)) chosen.set(hh.id, { hh, parcel: '' });
          drawChosen();
        });
        const li = h('li', {}, `${hh.code} — ${hh.head_name} (${hh.commune?.name ?? ''}) `, add);
        li.dataset.id = hh.id;
        return li;
      }));
      if (!page.items.length) results.append(h('li', { className: 'g-muted', textContent: t('grievances.form.search_none') }));
    }
    searchButton.addEventListener('click', () => runSearch().catch(showError));
    search.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') { e.preventDefault(); runSearch().catch(showError); }
    });

    const kind = select('kind', KINDS.map((k) => [k, t(`grievances.kind.${k}`)]), 'complaint');
    kind.id = 'g-form-kind';
    const channel = select('channel', CHANNELS.map((c) => [c, t(`grievances.channel.${c}`)]), 'direct');
    channel.id = 'g-form-channel';
    const received = dateInput({ name: 'received_on', value: todayIso(), required: true, id: 'g-received-on' });
    const signers = h('input', { type: 'number', name: 'signers', id: 'g-signers', min: 1, max: 100000, inputMode: 'numeric' });
    const content = h('textarea', { name: 'content', id: 'g-content', rows: 4, required: true });
    const docNo = h('input', { name: 'document_no', id: 'g-document-no' });
    const check = (name, label) => h('label', { className: 'g-check' },
      h('input', { type: 'checkbox', name, id: `g-${name}` }), ' ', label);
    const close = h('button', { type: 'button', className: 'link', textContent: t('grievances.form.cancel') });
    close.addEventListener('click', () => { intake.hidden = true; });
    const form = h('form', { id: 'g-intake-form', className: 'g-form' },
      h('div', { className: 'g-grid' },
        labelled(t('grievances.form.kind'), kind), labelled(t('grievances.form.channel'), channel),
        labelled(t('grievances.form.received_on'), received), labelled(t('grievances.form.signers'), signers)),
      h('fieldset', { className: 'g-households-box' },
        h('legend', { textContent: t('grievances.form.households') }),
        h('div', { className: 'g-search' }, labelled(t('grievances.form.search'), search), searchButton),
        results, chosenEmpty, chosenList, householdsAnchor),
      planLineBox,
      labelled(t('grievances.form.content'), content),
      labelled(t('grievances.form.document_no'), docNo),
      check('remote_area', t('grievances.form.remote_area')),
      check('complex', t('grievances.form.complex')),
      check('especially_complex', t('grievances.form.especially_complex')),
      h('div', { className: 'g-buttons' }, h('button', { type: 'submit', textContent: t('grievances.form.submit') }), close));
    bindForm(form, async (values) => {
      readDates(form, values);
      return api('/api/v1/grievances', {
        method: 'POST',
        body: {
          project: state.project, kind: values.kind, channel: values.channel, received_on: values.received_on,
          content: values.content,
          households: [...chosen.values()].map(({ hh, parcel }) => ({ household_id: hh.id, parcel_id: parcel ? Number(parcel) : null })),
          signers: values.signers ? Number(values.signers) : null,
          document_no: values.document_no || null,
          plan_line_id: values.plan_line_id ? Number(values.plan_line_id) : null,
          remote_area: !!values.remote_area, complex: !!values.complex, especially_complex: !!values.especially_complex,
        },
      });
    }, async (g) => {
      intake.hidden = true;
      note.textContent = t('grievances.form.saved', { id: g.id });
      await loadList();
      await openGrievance(g.id);
    });
    intake.replaceChildren(h('h3', { textContent: t('grievances.form.title') }), form);
    intake.hidden = false;
    drawChosen();
    kind.focus();
  }

  // ---- wiring ---------------------------------------------------------------------------------
  newButton.addEventListener('click', openIntake);
  fProject.addEventListener('change', async () => {
    state.project = fProject.value;
    await loadCommunes().catch(showError);
    loadList();
  });
  for (const [control, key] of [[fStatus, 'status'], [fKind, 'kind'], [fCommune, 'commune'], [fAssignee, 'assignee']]) {
    control.addEventListener('change', () => { state[key] = control.value; loadList(); });
  }
  more.addEventListener('click', () => loadList(state.cursor));
  if (state.household) {
    // One household's grievances, whatever their status.
    state.status = '';
    fStatus.value = '';
    const clear = h('button', { type: 'button', className: 'link', id: 'g-household-clear', textContent: t('grievances.filter.clear') });
    clear.addEventListener('click', () => {
      state.household = '';
      householdNote.hidden = true;
      const u = new URL(location.href);
      u.searchParams.delete('household');
      history.replaceState(null, '', u);
      loadList();
    });
    const hh = await api(`/api/v1/households/${encodeURIComponent(state.household)}`).catch(() => null);
    const name = hh ? `${hh.code} — ${hh.head_name}` : `#${state.household}`;
    householdNote.replaceChildren(t('grievances.filter.household', { household: name }), ' ', clear);
    householdNote.hidden = false;
  }
  await loadCommunes().catch(showError);
  await loadList();
  if (params.get('id')) await openGrievance(params.get('id'));
}

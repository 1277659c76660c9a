// Bulk stage recording: pick households of a project by commune / hamlet / stance / current
// stage, preview which ones the legal order lets through and why each other one is refused,
// then record them all in one transaction (or the allowed ones only).
import { startPage, bindForm, h } from './lib/shell.js';
import { api, ApiError } from './lib/api.js';
import { t, fmtDate, lang } from './lib/i18n.js';
import { dateInput, timeInput, readDates, todayIso } from './lib/dates.js';

const STANCES = ['agrees', 'considering', 'disagrees', 'refuses_contact'];
/** `h` with `_data` set as data-* attributes (the shell's `h` cannot assign `dataset`). */
const hd = (tag, { _data = {}, ...props } = {}, ...children) => {
  const node = h(tag, props, ...children);
  Object.assign(node.dataset, _data);
  return node;
};

const STAGES = ['briefing', 'notice', 'inventory', 'plan_posted', 'plan_approved', 'recovery_decision', 'paid', 'handed_over', 'resettled', 'enforcement'];

const user = await startPage({ namespaces: ['households', 'legal', 'stages'], roles: ['admin', 'leader', 'district_leader'] });

const stageName = (s) => (s ? t(`legal.stage.${s}`) : '');
const ruleText = (rule) => (rule ? `${t(rule.key) !== rule.key ? t(rule.key) : (lang() === 'vi' ? rule.vi : rule.en)} (${rule.article})` : '');

/** A refusal's reason in the user's language, from its code and facts. */
function reasonText(code, details = {}, fallback = '') {
  const d = { ...details };
  for (const k of ['stage', 'needs', 'after']) if (d[k]) d[k] = stageName(d[k]);
  for (const k of ['needs_on', 'earliest', 'after_on', 'notice_on', 'lapsed_on', 'on', 'next_allowed_date']) if (d[k]) d[k] = fmtDate(d[k]);
  d.rule = ruleText(details.rule);
  const key = `error.${code}`;
  const text = t(key, d);
  return text !== key ? text : fallback;
}

function labelled(id, label, control) {
  control.id = id;
  return h('label', { htmlFor: id }, h('span', { textContent: label }), control);
}

function options(list, any = true) {
  return [...(any ? [h('option', { value: '', textContent: t('households.any') })] : []), ...list.map(([v, text]) => h('option', { value: v, textContent: text }))];
}

async function main() {
  const root = document.querySelector('main');
  const { items: projects } = await api('/api/v1/projects');
  const project = h('select', { name: 'project' }, ...options(projects.map((p) => [p.code, `${p.code} — ${p.name}`]), false));
  const commune = h('select', { name: 'commune' });
  async function loadCommunes() {
    const progress = await api(`/api/v1/projects/${encodeURIComponent(project.value)}/progress`).catch(() => null);
    commune.replaceChildren(...options((progress?.by_commune || []).filter((c) => c.code).map((c) => [c.code, c.name])));
  }
  const params = new URLSearchParams(location.search);
  if (projects.some((p) => p.code === params.get('project'))) project.value = params.get('project');
  // An area drawn on the map (its lasso), handed over for this project.
  let lasso = null;
  try {
    const saved = params.get('lasso') ? JSON.parse(sessionStorage.getItem('gpmb.lasso') || 'null') : null;
    if (saved?.project === project.value && saved.area) lasso = saved;
  } catch { lasso = null; }
  const lassoChip = h('p', { id: 'lasso-chip', className: 'lasso-chip', hidden: !lasso });
  if (lasso) {
    const clear = h('button', { type: 'button', className: 'link', textContent: t('stages.lasso_clear') });
    clear.addEventListener('click', () => { lasso = null; lassoChip.hidden = true; sessionStorage.removeItem('gpmb.lasso'); });
    lassoChip.append(t('stages.lasso', { n: lasso.points }), ' ', clear);
  }
  project.addEventListener('change', () => { lasso = null; lassoChip.hidden = true; loadCommunes(); });
  await loadCommunes();
  const stage = h('select', { name: 'stage', required: true }, ...options(STAGES.map((s) => [s, stageName(s)]), false));
  const form = h('form', { id: 'bulk-form', className: 'hh-form' },
    h('fieldset', {}, h('legend', { textContent: t('stages.select') }),
      h('div', { className: 'row' },
        labelled('b-project', t('households.project'), project),
        labelled('b-commune', t('households.commune'), commune),
        labelled('b-hamlet', t('stages.hamlet'), h('input', { name: 'hamlet', maxLength: 100, autocomplete: 'off', placeholder: t('stages.hamlet_hint') })),
        labelled('b-stance', t('households.stance'), h('select', { name: 'stance' }, ...options(STANCES.map((s) => [s, t(`stance.${s}`)])))),
        labelled('b-current', t('stages.current_stage'), h('select', { name: 'current_stage' },
          ...options([['none', t('stages.no_stage')], ...STAGES.map((s) => [s, stageName(s)])])))),
      lassoChip),
    h('fieldset', {}, h('legend', { textContent: t('stages.what') }),
      h('div', { className: 'row' },
        labelled('b-stage', t('household.col.stage'), stage),
        h('label', { htmlFor: 'b-date' }, h('span', { textContent: t('household.field.date') }), dateInput({ name: 'occurred_on', value: todayIso(), required: true, id: 'b-date' })),
        h('label', { htmlFor: 'b-time' }, h('span', { textContent: t('household.field.time') }), timeInput({ name: 'time', id: 'b-time' })),
        labelled('b-doc', t('household.col.document'), h('input', { name: 'document_no', maxLength: 100, autocomplete: 'off' }))),
      labelled('b-note', t('household.field.note'), h('textarea', { name: 'note', maxLength: 2000 }))),
    h('button', { type: 'submit', id: 'preview', textContent: t('stages.preview') }),
    h('p', { className: 'form-error error', role: 'alert' }));
  const result = h('section', { id: 'result', ariaLive: 'polite' });
  root.replaceChildren(h('p', { className: 'muted', textContent: t('stages.intro') }), form, result);

  let last = null;
  function body(values, dryRun, onlyAllowed = false) {
    const filter = {};
    if (values.commune) filter.commune = values.commune;
    if (values.hamlet?.trim()) filter.hamlet = values.hamlet.trim();
    if (values.stance) filter.stance = values.stance;
    if (values.current_stage === 'none') filter.no_stage = true;
    else if (values.current_stage) filter.current_stage = values.current_stage;
    if (lasso) filter.area = lasso.area;
    const b = { stage: values.stage, occurred_on: values.occurred_on, note: values.note || '', filter, dry_run: dryRun };
    if (values.time) b.time = values.time;
    if (values.document_no) b.document_no = values.document_no;
    if (onlyAllowed) b.only_allowed = true;
    return b;
  }
  async function send(values, dryRun, onlyAllowed) {
    try {
      return await api(`/api/v1/projects/${encodeURIComponent(values.project)}/stages/bulk`, { method: 'POST', body: body(values, dryRun, onlyAllowed) });
    } catch (err) {
      if (err instanceof ApiError && err.details) {
        throw new ApiError(err.status, err.code, reasonText(err.code, err.details, err.message), err.details);
      }
      throw err;
    }
  }

  bindForm(form, async (values) => {
    readDates(form, values);
    const outcome = await send(values, true);
    return { values, outcome };
  }, ({ values, outcome }) => {
    last = values;
    showPreview(outcome);
  });

  function showPreview(o) {
    const commit = h('button', { type: 'button', id: 'commit', textContent: t('stages.commit', { n: o.allowed.length }), disabled: !o.allowed.length || o.refused.length > 0 });
    const commitAllowed = h('button', { type: 'button', id: 'commit-allowed', className: 'link', textContent: t('stages.commit_allowed', { n: o.allowed.length }), hidden: !(o.refused.length && o.allowed.length) });
    const status = h('p', { id: 'commit-status', role: 'status' });
    const go = async (onlyAllowed) => {
      commit.disabled = true; commitAllowed.disabled = true;
      status.className = '';
      status.textContent = t('stages.recording');
      try {
        const done = await send(last, false, onlyAllowed);
        status.className = 'ok';
        status.textContent = t('stages.recorded', { n: done.recorded, stage: stageName(done.stage), date: fmtDate(done.occurred_on) });
      } catch (err) {
        status.className = 'error';
        status.textContent = err.message;
        commitAllowed.disabled = false;
      }
    };
    commit.addEventListener('click', () => go(false));
    commitAllowed.addEventListener('click', () => go(true));
    result.replaceChildren(
      h('h2', { textContent: t('stages.preview_title', { stage: stageName(o.stage), date: fmtDate(o.occurred_on) }) }),
      h('p', { id: 'summary', textContent: t('stages.summary', { selected: o.selected, allowed: o.allowed.length, refused: o.refused.length }) }),
      o.refused.length ? h('p', { className: 'muted', textContent: t('stages.all_or_nothing') }) : null,
      h('div', { className: 'row' }, commit, ' ', commitAllowed),
      status,
      o.refused.length ? h('h3', { textContent: t('stages.refused', { n: o.refused.length }) }) : null,
      o.refused.length ? h('div', { className: 'table-box' }, h('table', { id: 'refused', className: 'hh-table' },
        h('thead', {}, h('tr', {}, ...['households.col.code', 'households.col.head_name', 'stages.reason'].map((k) => h('th', { scope: 'col', textContent: t(k) })))),
        h('tbody', {}, ...o.refused.map((r) => hd('tr', { _data: { household: String(r.household_id) } },
          h('td', {}, h('a', { href: `/households/${r.household_id}`, textContent: r.code })),
          h('td', { textContent: r.head_name }),
          h('td', { className: 'reason', textContent: reasonText(r.reason, r.details, r.message) })))))) : null,
      h('h3', { textContent: t('stages.allowed', { n: o.allowed.length }) }),
      o.allowed.length ? h('div', { className: 'table-box' }, h('table', { id: 'allowed', className: 'hh-table' },
        h('thead', {}, h('tr', {}, ...['households.col.code', 'households.col.head_name', 'stages.deadline'].map((k) => h('th', { scope: 'col', textContent: t(k) })))),
        h('tbody', {}, ...o.allowed.map((a) => hd('tr', { _data: { household: String(a.household_id) } },
          h('td', {}, h('a', { href: `/households/${a.household_id}`, textContent: a.code })),
          h('td', { textContent: a.head_name }),
          h('td', { textContent: a.due_stage ? `${stageName(a.due_stage)} ${t('household.by')} ${fmtDate(a.due_on)}` : '' })))))) : h('p', { className: 'muted', textContent: t('stages.none_allowed') }));
  }
}

if (user) await main();

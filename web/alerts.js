// The alerts page: what is overdue, where the hot spots are, what changed after the cut-off.
// Counts per kind double as filters; each alert says why and links to its household or parcel.
import { loadCatalogue, t, fmtNumber, languageSwitch, lang } from './lib/i18n.js';
import { api, login, logout, me } from './lib/api.js';

const KINDS = ['hot_spot', 'grievance_overdue', 'stage_overdue', 'split_after_cutoff',
  'land_use_change_after_cutoff', 'commitment_overdue', 'grievance_due', 'not_visited'];
const $ = (id) => document.getElementById(id);
const state = { project: '', communeId: '', kind: '', cursor: null };

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

function row(a) {
  const tr = document.createElement('tr');
  tr.dataset.kind = a.kind;
  const kind = Object.assign(document.createElement('span'), { className: 'alerts-kind', textContent: t(`alerts.kind.${a.kind}`) });
  kind.dataset.kind = a.kind;
  tr.insertCell().append(kind);
  const why = tr.insertCell();
  why.append(a.message);
  if (a.household_code) {
    why.append(' ', Object.assign(document.createElement('span'), { className: 'alerts-code', textContent: `(${t('alerts.household')} ${a.household_code})` }));
  }
  tr.insertCell().textContent = a.commune ? a.commune.name : '';
  tr.insertCell().textContent = fmtNumber(Math.abs(a.days));
  const link = Object.assign(document.createElement('a'), { href: a.link, textContent: t('alerts.open') });
  link.className = 'alerts-link';
  tr.insertCell().append(link);
  return tr;
}

async function loadPage(cursor) {
  const page = await api(query(cursor));
  if (!cursor) {
    $('alerts-rows').replaceChildren();
    renderCounts(page.counts, page.total);
  }
  $('alerts-rows').append(...page.items.map(row));
  $('alerts-empty').hidden = $('alerts-rows').children.length > 0;
  state.cursor = page.next_cursor;
  $('alerts-more').hidden = !page.next_cursor;
}

async function refresh() {
  $('alerts-message').hidden = true;
  try {
    await loadPage(null);
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

async function showAlerts() {
  $('login').hidden = true;
  $('logout').hidden = false;
  $('alerts').hidden = false;
  const { items } = await api('/api/v1/projects');
  const projects = $('alerts-project');
  projects.replaceChildren(...items.map((p) => option(p.code, `${p.code} — ${p.name}`)));
  if (items.length > 1) projects.prepend(option('', t('alerts.all_projects')));
  const wanted = new URLSearchParams(location.search).get('project');
  state.project = items.some((p) => p.code === wanted) ? wanted : (items[0]?.code ?? '');
  projects.value = state.project;
  const kinds = $('alerts-kind');
  kinds.replaceChildren(option('', t('alerts.all_kinds')), ...KINDS.map((k) => option(k, t(`alerts.kind.${k}`))));
  await loadCommunes();
  await refresh();
}

async function start() {
  await loadCatalogue(['alerts']);
  languageSwitch($('lang'));
  $('alerts-project').addEventListener('change', async (e) => {
    state.project = e.target.value;
    await loadCommunes().catch(showError);
    refresh();
  });
  $('alerts-commune').addEventListener('change', (e) => { state.communeId = e.target.value; refresh(); });
  $('alerts-kind').addEventListener('change', (e) => { state.kind = e.target.value; refresh(); });
  $('alerts-more').addEventListener('click', () => loadPage(state.cursor).catch(showError));
  $('logout').addEventListener('click', async () => { await logout(); location.reload(); });
  const form = $('login');
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const data = Object.fromEntries(new FormData(form));
    try {
      await login(data.username, data.password);
      await showAlerts();
    } catch (err) {
      $('login-error').textContent = err.status === 401 ? t('login.failed') : err.message;
    }
  });
  if (await me()) await showAlerts().catch(showError);
  else form.hidden = false;
}

start();

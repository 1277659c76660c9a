// Landing page: log in, list projects and their progress, link to the other pages.
import { t, fmtNumber as fmt } from './lib/i18n.js';
import { api } from './lib/api.js';
import { startPage } from './lib/shell.js';

function table(headers, rows) {
  const el = document.createElement('table');
  const head = el.createTHead().insertRow();
  for (const h of headers) head.appendChild(Object.assign(document.createElement('th'), { textContent: h }));
  const body = el.createTBody();
  for (const r of rows) {
    const tr = body.insertRow();
    for (const c of r) tr.insertCell().textContent = c;
  }
  const box = Object.assign(document.createElement('div'), { className: 'table-box' });
  box.append(el);
  return box;
}

async function showProjects() {
  const list = document.getElementById('project-list');
  list.replaceChildren();
  const { items } = await api('/api/v1/projects');
  for (const p of items) {
    const progress = await api(`/api/v1/projects/${encodeURIComponent(p.code)}/progress`);
    const h = Object.assign(document.createElement('h3'), { textContent: `${p.code} — ${p.name}` });
    const statuses = Object.keys(progress.parcels.by_status);
    const rows = statuses.map((s) => [t(`status.${s}`), fmt(progress.parcels.by_status[s]), fmt(progress.area_m2.by_status[s] / 10000, 2)]);
    rows.push([t('progress.total'), fmt(progress.parcels.total), fmt(progress.area_m2.total / 10000, 2)]);
    const stances = Object.entries(progress.households.by_stance).map(([s, n]) => [t(`stance.${s}`), fmt(n)]);
    const communes = progress.by_commune.map((c) => [c.name, fmt(c.parcels.total), fmt(c.parcels.by_status.handed_over)]);
    list.append(h,
      table([t('progress.title'), t('progress.parcels'), t('progress.area')], rows),
      table([t('progress.households'), ''], stances),
      table([t('progress.by_commune'), t('progress.parcels'), t('status.handed_over')], communes));
  }
}

async function start() {
  // Signed out, the shell puts its login form in <main>; after login the page reloads.
  const user = await startPage();
  if (!user) return;
  await showProjects();
}

start();

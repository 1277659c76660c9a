// Landing page: log in, list projects and their progress, link to the other pages.
import { loadCatalogue, t, fmtNumber as fmt, languageSwitch } from './lib/i18n.js';
import { api, login, logout, me } from './lib/api.js';

function table(headers, rows) {
  const el = document.createElement('table');
  const head = el.createTHead().insertRow();
  for (const h of headers) head.appendChild(Object.assign(document.createElement('th'), { textContent: h }));
  const body = el.createTBody();
  for (const r of rows) {
    const tr = body.insertRow();
    for (const c of r) tr.insertCell().textContent = c;
  }
  return el;
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
  await loadCatalogue();
  const form = document.getElementById('login');
  const logoutButton = document.getElementById('logout');
  const showLoggedIn = async () => {
    form.hidden = true;
    logoutButton.hidden = false;
    document.getElementById('projects').hidden = false;
    await showProjects();
  };
  if (await me()) await showLoggedIn();
  else form.hidden = false;
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const data = Object.fromEntries(new FormData(form));
    try {
      await login(data.username, data.password);
      await showLoggedIn();
    } catch (err) {
      document.getElementById('login-error').textContent = err.status === 401 ? t('login.failed') : err.message;
    }
  });
  logoutButton.addEventListener('click', async () => {
    await logout();
    location.reload();
  });
  languageSwitch(document.getElementById('lang'));
}

start();

// Landing page: log in, list projects and their progress. Texts come from the i18n catalogue.
const state = { lang: localStorage.getItem('gpmb.lang') || 'vi', t: {} };

async function loadCatalogue(lang) {
  const res = await fetch(`/static/i18n/${lang}.json`);
  state.t = await res.json();
  state.lang = lang;
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll('[data-i18n]')) {
    const text = state.t[el.dataset.i18n];
    if (text) el.textContent = text;
  }
}

const t = (key) => state.t[key] || key;
const fmt = (n, digits = 0) => Number(n).toLocaleString(state.lang === 'vi' ? 'vi-VN' : 'en-GB', { maximumFractionDigits: digits });

async function api(path, options = {}) {
  const res = await fetch(path, { credentials: 'same-origin', headers: { 'content-type': 'application/json' }, ...options });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw Object.assign(new Error(t(`error.${body?.error?.code}`) || body?.error?.message), { status: res.status });
  return body;
}

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
  await loadCatalogue(state.lang);
  const form = document.getElementById('login');
  const logout = document.getElementById('logout');
  const showLoggedIn = async () => {
    form.hidden = true;
    logout.hidden = false;
    document.getElementById('projects').hidden = false;
    await showProjects();
  };
  try {
    await api('/api/v1/auth/me');
    await showLoggedIn();
  } catch {
    form.hidden = false;
  }
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const data = Object.fromEntries(new FormData(form));
    try {
      await api('/api/v1/auth/login', { method: 'POST', body: JSON.stringify(data) });
      await showLoggedIn();
    } catch (err) {
      document.getElementById('login-error').textContent = err.status === 401 ? t('login.failed') : err.message;
    }
  });
  logout.addEventListener('click', async () => {
    await fetch('/api/v1/auth/logout', { method: 'POST' });
    location.reload();
  });
  document.getElementById('lang').addEventListener('click', async () => {
    localStorage.setItem('gpmb.lang', state.lang === 'vi' ? 'en' : 'vi');
    location.reload();
  });
}

start();

// The dashboard: figures from /dashboard (the same counters /progress reads), the charts as SVG
// drawn by the server (src/charts, shared with the public page and the reports), hot spots.
import { t, lang, fmtNumber, fmtHa, fmtDate } from './lib/i18n.js';
import { api } from './lib/api.js';
import { startPage } from './lib/shell.js';
import { todayIso } from './lib/dates.js';
import { fmtMoney } from './lib/money.js';

const $ = (id) => document.getElementById(id);
const el = (tag, props = {}, ...children) => {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
};
const pct = (part, whole) => (whole > 0 ? `${fmtNumber((100 * part) / whole, 1)}%` : '–');

/** A table in its own scrolling box (a phone scrolls the table, not the page). */
function table(headers, rows, id) {
  const tbl = el('table');
  if (id) tbl.id = id;
  const head = tbl.createTHead().insertRow();
  for (const h of headers) head.append(el('th', { textContent: h }));
  const body = tbl.createTBody();
  for (const r of rows) {
    const tr = body.insertRow();
    for (const c of r) {
      const cell = tr.insertCell();
      if (c instanceof Node) cell.append(c); else cell.textContent = c;
    }
  }
  return el('div', { className: 'table-box' }, tbl);
}

/** Whole days from `iso` to today (Vietnam time); positive when `iso` has passed. */
function daysSince(iso) {
  return Math.round((Date.parse(todayIso()) - Date.parse(iso)) / 86400e3);
}

function tile(label, value, sub, className = '') {
  return el('div', { className: `tile ${className}`.trim() },
    el('div', { className: 'label', textContent: label }),
    el('div', { className: 'value', textContent: value }),
    sub ? el('div', { className: 'sub', textContent: sub }) : null);
}

function breakdownRows(items) {
  return items.map((b) => {
    const handed = b.parcels.by_status.handed_over ?? 0;
    return [b.name, fmtNumber(b.parcels.total), fmtHa(b.area_m2.total), fmtNumber(handed), pct(handed, b.parcels.total)];
  });
}

async function showHotSpots(code) {
  const box = $('hot-spots');
  try {
    const page = await api(`/api/v1/projects/${encodeURIComponent(code)}/hot-spots`);
    const items = page.items || [];
    if (!items.length) {
      box.replaceChildren(el('p', { textContent: t('dashboard.hot_spots_none') }));
      return;
    }
    box.replaceChildren(
      el('p', {}, el('strong', { id: 'hot-spot-count', textContent: fmtNumber(items.length) }), ` ${t('dashboard.hot_spots').toLowerCase()}`),
      table([t('dashboard.hot_spot_commune'), t('dashboard.hot_spot_reason'), t('dashboard.hot_spot_flagged')],
        items.map((h) => [h.commune?.name ?? '', h.reason, fmtDate(h.flagged_on)]), 'hot-spot-table'),
    );
  } catch {
    box.replaceChildren(el('p', { textContent: t('dashboard.hot_spots_none') }));
  }
}

/** The target handover date; flagged when it has passed with parcels still to hand over. */
function targetTile(target, handed, total) {
  if (!target) return tile(t('dashboard.target'), '–');
  const late = daysSince(target);
  if (late > 0 && handed < total) {
    const node = tile(t('dashboard.target'), fmtDate(target), t('dashboard.target_passed', { days: fmtNumber(late), left: fmtNumber(total - handed) }), 'overdue');
    node.id = 'target-tile';
    node.setAttribute('role', 'status');
    return node;
  }
  const node = tile(t('dashboard.target'), fmtDate(target), late > 0 ? t('dashboard.target_met') : t('dashboard.target_in', { days: fmtNumber(-late) }));
  node.id = 'target-tile';
  return node;
}

async function showProject(code) {
  $('message').textContent = '';
  const enc = encodeURIComponent(code);
  const d = await api(`/api/v1/projects/${enc}/dashboard`);
  $('project-name').textContent = `${d.project.code} — ${d.project.name}`;
  $('map-link').href = `/map?project=${enc}`;
  $('public-link').href = `/public/projects/${enc}${lang() === 'en' ? '?lang=en' : ''}`;

  const total = d.parcels.total;
  const handed = d.parcels.by_status.handed_over ?? 0;
  const figures = [
    tile(t('dashboard.parcels_total'), fmtNumber(total)),
    tile(t('dashboard.area_total'), fmtHa(d.area_m2.total)),
    tile(t('dashboard.households_total'), fmtNumber(d.households.total)),
    tile(t('dashboard.handed_over'), fmtNumber(handed), `${pct(handed, total)} · ${fmtHa(d.area_m2.by_status.handed_over ?? 0)} ha`),
    targetTile(d.project.target_handover_date, handed, total),
  ];
  // Compensation, from the payment ledger: what approved plans owe, and how much is settled.
  const m = d.compensation;
  if (m && m.approved_total > 0) {
    const settled = m.approved_total - m.outstanding;
    figures.push(
      tile(t('dashboard.money_approved'), fmtMoney(m.approved_total), t('dashboard.money_settled', { amount: fmtMoney(settled), percent: pct(settled, m.approved_total) }), 'money'),
      tile(t('dashboard.money_overdue'), fmtMoney(m.overdue), t('dashboard.money_overdue_plans', { n: fmtNumber(m.plans_overdue) }), m.overdue > 0 ? 'money late' : 'money'),
    );
  }
  $('figures').replaceChildren(...figures);
  $('figures').dataset.total = String(total);

  const proj = $('projection');
  proj.className = 'projection';
  const p = d.projection;
  if (!p) proj.textContent = t('dashboard.projection_none');
  else {
    const vars = { rate: fmtNumber(p.parcels_per_week, 1), date: fmtDate(p.projected_handover_date), target: fmtDate(d.project.target_handover_date) };
    if (p.on_track === null) proj.textContent = t('dashboard.projection_plain', vars);
    else if (p.on_track) proj.textContent = t('dashboard.projection_on_track', vars);
    else { proj.textContent = t('dashboard.projection_late', vars); proj.classList.add('late'); }
  }

  // Charts: the server draws them in the reader's language; a stamp defeats stale caches.
  const q = `?lang=${lang()}&v=${Date.now()}`;
  const charts = [
    ['chart-progress', d.charts.progress, 'dashboard.chart.progress'],
    ['chart-progress-area', d.charts.progress_area, 'dashboard.chart.progress_area'],
    ['chart-status', d.charts.by_status, 'dashboard.chart.by_status'],
    ['chart-commune', d.charts.by_commune, 'dashboard.chart.by_commune'],
    ['chart-group', d.charts.by_working_group, 'dashboard.chart.by_working_group'],
  ];
  for (const [id, url, alt] of charts) Object.assign($(id), { src: url + q, alt: t(alt) });

  const colour = Object.fromEntries(d.statuses.map((s) => [s.status, s.colour]));
  const statusRows = d.statuses.map((s) => {
    const swatch = el('span', { className: 'swatch' });
    swatch.style.background = colour[s.status];
    const n = d.parcels.by_status[s.status] ?? 0;
    return [el('span', {}, swatch, t(`status.${s.status}`)), fmtNumber(n), fmtHa(d.area_m2.by_status[s.status] ?? 0), pct(n, total)];
  });
  statusRows.push([t('progress.total'), fmtNumber(total), fmtHa(d.area_m2.total), '100%']);
  $('table-status').replaceChildren(table([t('dashboard.status'), t('dashboard.count'), t('dashboard.area_ha'), t('dashboard.share')], statusRows, 'status-table'));
  const heads = [t('dashboard.name'), t('dashboard.count'), t('dashboard.area_ha'), t('status.handed_over'), t('dashboard.share')];
  $('table-commune').replaceChildren(table(heads, breakdownRows(d.by_commune), 'commune-table'));
  $('table-group').replaceChildren(table(heads, breakdownRows(d.by_working_group), 'group-table'));
  $('table-stance').replaceChildren(table([t('dashboard.stance'), t('dashboard.households'), t('dashboard.share')],
    Object.entries(d.households.by_stance).map(([s, n]) => [t(`stance.${s}`), fmtNumber(n), pct(n, d.households.total)])));
  await showHotSpots(code);
}

async function showContent() {
  const { items } = await api('/api/v1/projects');
  const select = $('project');
  select.replaceChildren(...items.map((p) => el('option', { value: p.code, textContent: `${p.code} — ${p.name}` })));
  const wanted = new URLSearchParams(location.search).get('project');
  if (wanted && items.some((p) => p.code === wanted)) select.value = wanted;
  if (items.length) await showProject(select.value);
}

async function start() {
  const user = await startPage({ namespaces: ['dashboard'] });
  if (!user) return;
  $('project').addEventListener('change', (e) => showProject(e.target.value).catch((err) => { $('message').textContent = err.message; }));
  await showContent();
}

start().catch((err) => { const box = $('message'); if (box) box.textContent = err.message; });

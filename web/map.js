// The progress map: parcels from the vector tiles coloured by status (colours from the server's
// one table), a legend with counts from /progress, filters, a side panel per parcel, and tiles
// re-requested (revalidated by ETag) whenever a parcel of the project changes status.
import { loadCatalogue, t, fmtNumber, fmtHa, fmtDate, fmtDateTime, languageSwitch } from './lib/i18n.js';
import { api, login, logout, me } from './lib/api.js';

const POLL_MS = 3000;
const params = new URLSearchParams(location.search);
const $ = (id) => document.getElementById(id);
const el = (tag, props = {}, ...children) => {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
};
/** A translation, or `fallback` when the catalogue has no such key. */
const tr = (key, fallback, vars) => { const s = t(key, vars); return s === key ? fallback : s; };

const state = {
  project: null,
  statuses: [],        // [{status, colour, order}]
  hidden: new Set(),   // statuses unticked in the legend
  progress: null,
  groups: [],          // [{id, name, communes: [code]}]
  stanceIds: null,     // parcel ids of the chosen stance, or null
  stamp: null,
  selected: null,      // parcel id in the panel
  hotSpots: [],
  timer: null,
};

function tileUrl(code) {
  return `${location.origin}/tiles/${encodeURIComponent(code)}/{z}/{x}/{y}.mvt`;
}

/** The base raster layer, only when asked for (`?base=<url template>` or the saved setting). */
function baseLayerUrl() {
  const fromUrl = params.get('base');
  if (fromUrl) localStorage.setItem('gpmb.map.base', fromUrl === 'none' ? '' : fromUrl);
  return localStorage.getItem('gpmb.map.base') || '';
}

function colourExpression() {
  const expr = ['match', ['get', 'status']];
  for (const s of state.statuses) expr.push(s.status, s.colour);
  expr.push('#777777');
  return expr;
}

function style(code) {
  const base = baseLayerUrl();
  const sources = {
    parcels: { type: 'vector', tiles: [tileUrl(code)], minzoom: 0, maxzoom: 18 },
    hotspots: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
  };
  const layers = [{ id: 'background', type: 'background', paint: { 'background-color': '#eef0ec' } }];
  if (base) {
    sources.base = { type: 'raster', tiles: [base], tileSize: 256 };
    layers.push({ id: 'base', type: 'raster', source: 'base', paint: { 'raster-opacity': 0.8 } });
  }
  layers.push(
    { id: 'parcels', type: 'fill', source: 'parcels', 'source-layer': 'parcels',
      paint: { 'fill-color': colourExpression(), 'fill-opacity': 0.9 } },
    { id: 'parcels-outline', type: 'line', source: 'parcels', 'source-layer': 'parcels',
      paint: { 'line-color': '#ffffff', 'line-width': ['interpolate', ['linear'], ['zoom'], 12, 0.2, 17, 1.2] } },
    { id: 'parcel-selected', type: 'line', source: 'parcels', 'source-layer': 'parcels',
      filter: ['==', ['get', 'id'], -1], paint: { 'line-color': '#111', 'line-width': 3 } },
    { id: 'hotspots', type: 'circle', source: 'hotspots',
      paint: { 'circle-radius': 9, 'circle-color': '#e11d48', 'circle-opacity': 0.35,
        'circle-stroke-color': '#e11d48', 'circle-stroke-width': 2 } },
  );
  // No glyphs or sprites: nothing is fetched from outside, and no layer draws text.
  return { version: 8, sources, layers };
}

/** The filter every parcel layer shares, from the legend and the toolbar. */
function parcelFilter() {
  const all = ['all'];
  const shown = state.statuses.map((s) => s.status).filter((s) => !state.hidden.has(s));
  if (shown.length < state.statuses.length) all.push(['in', ['get', 'status'], ['literal', shown]]);
  const commune = $('commune').value;
  if (commune) all.push(['==', ['get', 'commune'], commune]);
  const group = state.groups.find((g) => String(g.id) === $('group').value);
  if (group) all.push(['in', ['get', 'commune'], ['literal', group.communes]]);
  if (state.stanceIds) all.push(['in', ['get', 'id'], ['literal', state.stanceIds]]);
  return all.length > 1 ? all : null;
}

function applyFilters() {
  const map = window.gpmbMap;
  if (!map) return;
  const f = parcelFilter();
  map.setFilter('parcels', f);
  map.setFilter('parcels-outline', f);
  renderLegend();
}

/** Counts for the legend: the whole project, or the commune / group chosen. */
function legendCounts() {
  const p = state.progress;
  if (!p) return null;
  const commune = $('commune').value;
  const group = $('group').value;
  if (commune) return p.by_commune.find((c) => c.code === commune)?.parcels ?? null;
  if (group) return p.by_working_group.find((g) => String(g.id) === group)?.parcels ?? null;
  return p.parcels;
}

function renderLegend() {
  const counts = legendCounts();
  const list = $('legend-items');
  list.replaceChildren(...state.statuses.map((s) => {
    const box = el('input', { type: 'checkbox', checked: !state.hidden.has(s.status) });
    box.dataset.status = s.status;
    box.addEventListener('change', () => {
      if (box.checked) state.hidden.delete(s.status); else state.hidden.add(s.status);
      applyFilters();
    });
    const swatch = el('span', { className: 'swatch' });
    swatch.style.background = s.colour;
    const count = el('span', { className: 'count', textContent: counts ? fmtNumber(counts.by_status[s.status] ?? 0) : '' });
    const item = el('li', {}, el('label', {}, box, swatch, el('span', { textContent: t(`status.${s.status}`) }), count));
    item.dataset.status = s.status;
    return item;
  }));
  $('legend-total').textContent = counts ? fmtNumber(counts.total) : '';
}

function fillSelect(select, options) {
  const first = select.options[0];
  select.replaceChildren(first, ...options.map(([value, label]) => el('option', { value, textContent: label })));
}

async function loadProgress() {
  state.progress = await api(`/api/v1/projects/${encodeURIComponent(state.project.code)}/progress`);
  renderLegend();
}

async function loadHotSpots() {
  const code = encodeURIComponent(state.project.code);
  try {
    const page = await api(`/api/v1/projects/${code}/hot-spots`);
    state.hotSpots = (page.items || []).filter((h) => h.lon != null && h.lat != null);
  } catch {
    state.hotSpots = []; // hot spots are optional on a server without them
  }
  $('hotspot-count').textContent = state.hotSpots.length ? `(${fmtNumber(state.hotSpots.length)})` : '';
  const source = window.gpmbMap?.getSource('hotspots');
  source?.setData({
    type: 'FeatureCollection',
    features: state.hotSpots.map((h) => ({
      type: 'Feature', geometry: { type: 'Point', coordinates: [h.lon, h.lat] },
      properties: { id: h.id, kind: h.kind, reason: h.reason ?? '' },
    })),
  });
}

/** Re-requests every tile: the browser revalidates each with its ETag, so unchanged tiles
 * come back as 304 and changed ones with their new colours. */
function reloadTiles() {
  const source = window.gpmbMap?.getSource('parcels');
  source?.setTiles([tileUrl(state.project.code)]);
}

async function poll() {
  if (!state.project || document.hidden) return;
  try {
    const { stamp } = await api(`/api/v1/projects/${encodeURIComponent(state.project.code)}/changes`);
    if (state.stamp !== null && stamp !== state.stamp) {
      reloadTiles();
      await loadProgress();
      if (state.selected) await showPanel(state.selected);
    }
    state.stamp = stamp;
  } catch (err) {
    if (err.status === 401) location.reload();
  }
}

function boundsOf(geometry) {
  let b = null;
  const walk = (c) => {
    if (typeof c[0] === 'number') {
      b = b ? [Math.min(b[0], c[0]), Math.min(b[1], c[1]), Math.max(b[2], c[0]), Math.max(b[3], c[1])] : [c[0], c[1], c[0], c[1]];
    } else c.forEach(walk);
  };
  if (geometry?.coordinates) walk(geometry.coordinates);
  return b;
}

async function openProject(code) {
  clearInterval(state.timer);
  closePanel();
  const enc = encodeURIComponent(code);
  const [project, dashboard] = await Promise.all([
    api(`/api/v1/projects/${enc}`),
    api(`/api/v1/projects/${enc}/dashboard`),
  ]);
  state.project = project;
  state.groups = dashboard.working_groups;
  state.stamp = null;
  fillSelect($('commune'), dashboard.by_commune.map((c) => [c.code, c.name]));
  fillSelect($('group'), dashboard.working_groups.map((g) => [String(g.id), g.name]));
  $('stance').value = '';
  state.stanceIds = null;
  await loadProgress();

  window.gpmbMap?.remove();
  const map = new maplibregl.Map({
    container: 'map',
    style: style(project.code),
    bounds: boundsOf(project.boundary) || [108.7, 15.3, 108.9, 15.45],
    fitBoundsOptions: { padding: 30 },
    attributionControl: false,
    // Keeps the last frame readable (screenshots, tests reading pixels).
    canvasContextAttributes: { preserveDrawingBuffer: true },
  });
  window.gpmbMap = map;
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-left');
  map.addControl(new maplibregl.ScaleControl(), 'bottom-right');
  map.on('click', 'parcels', (e) => {
    const f = e.features?.[0];
    if (f) showPanel(f.properties.id);
  });
  map.on('mouseenter', 'parcels', () => { map.getCanvas().style.cursor = 'pointer'; });
  map.on('mouseleave', 'parcels', () => { map.getCanvas().style.cursor = ''; });
  await new Promise((ok) => map.once('load', ok));
  applyFilters();
  map.setLayoutProperty('hotspots', 'visibility', $('hotspots-toggle').checked ? 'visible' : 'none');
  await loadHotSpots();
  await poll();
  state.timer = setInterval(poll, POLL_MS);
}

function closePanel() {
  state.selected = null;
  $('panel').hidden = true;
  window.gpmbMap?.setFilter('parcel-selected', ['==', ['get', 'id'], -1]);
}

function table(headers, rows) {
  const tbl = el('table');
  const head = tbl.createTHead().insertRow();
  for (const h of headers) head.append(el('th', { textContent: h }));
  const body = tbl.createTBody();
  for (const r of rows) {
    const tr = body.insertRow();
    for (const c of r) tr.insertCell().textContent = c;
  }
  return tbl;
}

async function showPanel(id) {
  let data;
  try {
    data = await api(`/api/v1/parcels/${id}/panel`);
  } catch (err) {
    $('map-message').textContent = err.message;
    return;
  }
  state.selected = id;
  window.gpmbMap?.setFilter('parcel-selected', ['==', ['get', 'id'], id]);
  const p = data.parcel;
  const colour = state.statuses.find((s) => s.status === p.status)?.colour ?? '#777';
  const chip = el('span', { className: 'status-chip', textContent: t(`status.${p.status}`) });
  chip.style.background = colour;
  chip.dataset.status = p.status;
  const body = $('panel-body');
  const parts = [
    el('h2', { id: 'panel-title', textContent: t('map.parcel', { parcel_no: p.parcel_no, map_sheet: p.map_sheet }) }),
    el('p', {}, chip),
    table([], [
      [t('map.commune_of'), p.commune.name],
      [t('map.land_use'), p.land_use],
      [t('map.area'), `${fmtNumber(p.area_m2, 1)} m² (${fmtHa(p.area_m2)} ha)`],
    ]),
    el('h3', { textContent: t('map.households') }),
  ];
  if (!data.households.length) parts.push(el('p', { className: 'muted', textContent: t('map.no_households') }));
  else if (data.personal_data) {
    parts.push(table([t('map.household_code'), t('map.head_name'), t('map.stance')],
      data.households.map((h) => [h.code ?? '', h.head_name ?? '', h.stance ? t(`stance.${h.stance}`) : t('stance.none')])));
  } else {
    parts.push(el('p', { className: 'muted', textContent: t('map.households_hidden', { n: data.households.length }) }));
  }
  parts.push(el('h3', { textContent: t('map.last_visit') }));
  const v = data.last_visit;
  parts.push(el('p', { className: v ? '' : 'muted', textContent: v
    ? `${t('map.visit_line', { date: fmtDateTime(v.visited_at), group: v.working_group, stance: t(`stance.${v.stance}`) })} (${tr(`map.visit.${v.kind}`, v.kind)})`
    : t('map.no_visit') }));
  parts.push(el('h3', { textContent: t('map.grievances') }));
  if (!data.open_grievances.length) parts.push(el('p', { className: 'muted', textContent: t('map.no_grievances') }));
  else {
    parts.push(table([t('map.kind'), t('map.received'), t('map.resolve_by'), t('map.grievance_status')],
      data.open_grievances.map((g) => [tr(`grievance.kind.${g.kind}`, g.kind), fmtDate(g.received_on), fmtDate(g.resolve_by), tr(`grievance.status.${g.status}`, g.status)])));
  }
  parts.push(el('h3', { textContent: t('map.history') }));
  parts.push(table([t('map.when'), t('map.change'), t('map.by')],
    [...data.history].reverse().map((e) => [fmtDateTime(e.at), `${e.from ? t(`status.${e.from}`) + ' → ' : ''}${t(`status.${e.to}`)}`, e.actor])));
  body.replaceChildren(...parts);
  body.dataset.parcelId = String(p.id);
  $('panel').hidden = false;
}

async function onStanceChange() {
  const stance = $('stance').value;
  $('map-message').textContent = '';
  if (!stance) state.stanceIds = null;
  else {
    try {
      const r = await api(`/api/v1/projects/${encodeURIComponent(state.project.code)}/stance-parcels?stance=${encodeURIComponent(stance)}`);
      state.stanceIds = r.parcel_ids;
    } catch (err) {
      $('map-message').textContent = err.message;
      $('stance').value = '';
      state.stanceIds = null;
    }
  }
  applyFilters();
}

async function showWorkspace() {
  $('login').hidden = true;
  $('logout').hidden = false;
  $('workspace').hidden = false;
  const [{ items: statuses }, { items: projects }] = await Promise.all([api('/api/v1/parcel-statuses'), api('/api/v1/projects')]);
  state.statuses = statuses;
  const select = $('project');
  select.replaceChildren(...projects.map((p) => el('option', { value: p.code, textContent: `${p.code} — ${p.name}` })));
  const wanted = params.get('project');
  if (wanted && projects.some((p) => p.code === wanted)) select.value = wanted;
  fillSelect($('stance'), ['agrees', 'considering', 'disagrees', 'refuses_contact', 'none'].map((s) => [s, t(`stance.${s}`)]));
  if (projects.length) await openProject(select.value);
}

async function start() {
  await loadCatalogue(['map']);
  document.title = `${t('map.title')} – gpmb`;
  languageSwitch($('lang'));
  $('logout').addEventListener('click', async () => { await logout(); location.reload(); });
  $('panel-close').addEventListener('click', closePanel);
  $('project').addEventListener('change', (e) => openProject(e.target.value).catch(report));
  $('commune').addEventListener('change', () => { $('group').value = ''; applyFilters(); });
  $('group').addEventListener('change', () => { $('commune').value = ''; applyFilters(); });
  $('stance').addEventListener('change', onStanceChange);
  $('hotspots-toggle').addEventListener('change', (e) => {
    window.gpmbMap?.setLayoutProperty('hotspots', 'visibility', e.target.checked ? 'visible' : 'none');
  });
  const form = $('login');
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const data = Object.fromEntries(new FormData(form));
    try {
      await login(data.username, data.password);
      await showWorkspace();
    } catch (err) {
      $('login-error').textContent = err.status === 401 ? t('login.failed') : err.message;
    }
  });
  if (await me()) await showWorkspace();
  else form.hidden = false;
}

function report(err) {
  $('map-message').textContent = `${t('map.load_failed')}: ${err.message}`;
}

start().catch(report);

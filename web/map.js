// The progress map: parcels from the vector tiles coloured by status (colours from the server's
// one table), the project boundary and the communes' names to orient by, a search for tờ/thửa,
// a household's name or CCCD that jumps to and highlights the parcel, filters that fit the map
// to what they select, a legend whose counts follow the filters, a side panel per parcel
// (linking to the household's case file), and tiles re-requested (revalidated by ETag) whenever
// a parcel of the project changes status.
import { t, lang, fmtNumber, fmtHa, fmtDate, fmtDateTime } from './lib/i18n.js';
import { api } from './lib/api.js';
import { startPage } from './lib/shell.js';
import { parcelStatusControl } from './lib/parcel-status.js';
import { editing, stopTool, ghost, lineageBlock, cadastralTools, lassoButton } from './map-tools.js';

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

const STANCES = ['agrees', 'considering', 'disagrees', 'refuses_contact', 'none'];

const state = {
  user: null,
  project: null,
  statuses: [],        // [{status, colour, order}]
  hidden: new Set(),   // statuses unticked in the legend
  progress: null,
  groups: [],          // [{id, name, communes: [code]}]
  communes: [],        // [{id, code, name, lon, lat, bbox}]
  stanceIds: null,     // parcel ids of the chosen stance, or null
  stanceCounts: null,  // {status: n} of those parcels
  highlight: [],       // parcel ids found by the search
  stamp: null,
  reloadOnIdle: false, // a tile reload is waiting for the map to be idle
  selected: null,      // parcel id in the panel
  hotSpots: [],
  markers: [],
  landTypes: new Map(), // code → {code, name, group, current, replaced_by} (/api/v1/land-types)
  timer: null,
};

function tileUrl(code) {
  return `${location.origin}/tiles/${encodeURIComponent(code)}/{z}/{x}/{y}.mvt`;
}

/** The base raster layer, only when asked for: `?base=<url template>` (saved in this browser;
 * `?base=none` forgets it), with its attribution from `?base_attribution=`. Nothing is loaded
 * from the internet unless someone sets it. */
function baseLayer() {
  const fromUrl = params.get('base');
  if (fromUrl !== null) {
    localStorage.setItem('gpmb.map.base', fromUrl === 'none' ? '' : fromUrl);
    localStorage.setItem('gpmb.map.base_attribution', fromUrl === 'none' ? '' : (params.get('base_attribution') || ''));
  }
  return {
    url: localStorage.getItem('gpmb.map.base') || '',
    attribution: localStorage.getItem('gpmb.map.base_attribution') || '',
  };
}

function colourExpression() {
  const expr = ['match', ['get', 'status']];
  for (const s of state.statuses) expr.push(s.status, s.colour);
  expr.push('#777777');
  return expr;
}

const NONE = ['==', ['get', 'id'], -1];

function style(project) {
  const base = baseLayer();
  const sources = {
    parcels: { type: 'vector', tiles: [tileUrl(project.code)], minzoom: 0, maxzoom: 18 },
    hotspots: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
    boundary: { type: 'geojson', data: project.boundary
      ? { type: 'Feature', geometry: project.boundary, properties: {} }
      : { type: 'FeatureCollection', features: [] } },
  };
  const layers = [{ id: 'background', type: 'background', paint: { 'background-color': '#eef0ec' } }];
  if (base.url) {
    sources.base = { type: 'raster', tiles: [base.url], tileSize: 256 };
    layers.push({ id: 'base', type: 'raster', source: 'base', paint: { 'raster-opacity': 0.8 } });
  }
  layers.push(
    { id: 'boundary-fill', type: 'fill', source: 'boundary', paint: { 'fill-color': '#2563eb', 'fill-opacity': 0.04 } },
    { id: 'parcels', type: 'fill', source: 'parcels', 'source-layer': 'parcels',
      paint: { 'fill-color': colourExpression(), 'fill-opacity': 0.9 } },
    // Overview tiles (large projects, z ≤ 13) are strips of a pixel grid, not parcels: no outline.
    { id: 'parcels-outline', type: 'line', source: 'parcels', 'source-layer': 'parcels',
      paint: { 'line-color': '#ffffff', 'line-width': ['interpolate', ['linear'], ['zoom'], 12, 0.2, 17, 1.2],
        'line-opacity': ['case', ['has', 'overview'], 0, 1] } },
    { id: 'boundary', type: 'line', source: 'boundary',
      paint: { 'line-color': '#1d4ed8', 'line-width': 2.5, 'line-dasharray': [3, 2] } },
    { id: 'parcel-found', type: 'line', source: 'parcels', 'source-layer': 'parcels',
      filter: NONE, paint: { 'line-color': '#f59e0b', 'line-width': 5 } },
    { id: 'parcel-selected', type: 'line', source: 'parcels', 'source-layer': 'parcels',
      filter: NONE, paint: { 'line-color': '#111', 'line-width': 3 } },
    { id: 'hotspots', type: 'circle', source: 'hotspots',
      paint: { 'circle-radius': 9, 'circle-color': '#e11d48', 'circle-opacity': 0.35,
        'circle-stroke-color': '#e11d48', 'circle-stroke-width': 2 } },
  );
  // No glyphs or sprites: nothing is fetched from outside; names are HTML markers.
  return { version: 8, sources, layers };
}

function showAttribution() {
  const { url, attribution } = baseLayer();
  const box = $('attribution');
  box.hidden = !url;
  box.textContent = url ? `${t('map.base_map')}: ${attribution || new URL(url.replace(/[{}]/g, ''), location.href).host}` : '';
}

/** Communes of the selection: the commune chosen, or the working group's. */
function selectedCommunes() {
  const commune = $('commune').value;
  if (commune) return [commune];
  const group = state.groups.find((g) => String(g.id) === $('group').value);
  return group ? group.communes : null;
}

/** The filter every parcel layer shares, from the legend and the toolbar. */
function parcelFilter({ withStatus = true } = {}) {
  const all = ['all'];
  const shown = state.statuses.map((s) => s.status).filter((s) => !state.hidden.has(s));
  if (withStatus && shown.length < state.statuses.length) all.push(['in', ['get', 'status'], ['literal', shown]]);
  const communes = selectedCommunes();
  if (communes) all.push(['in', ['get', 'commune'], ['literal', communes]]);
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
  renderLandTypes();
}

/** Parcels of the loaded tiles that pass `filter`, one per id. */
function sourceParcels(filter) {
  const map = window.gpmbMap;
  const seen = new Map();
  for (const f of map.querySourceFeatures('parcels', { sourceLayer: 'parcels', filter: filter ?? undefined })) {
    if (!seen.has(f.properties.id)) seen.set(f.properties.id, f);
    else seen.get(f.properties.id)._extra = [...(seen.get(f.properties.id)._extra || []), f];
  }
  return [...seen.values()];
}

/** Fits the map to the parcels the filters select (or the communes' extents, or the project). */
function fitToSelection() {
  const map = window.gpmbMap;
  if (!map) return;
  const f = parcelFilter();
  let b = null;
  if (f) {
    for (const feature of sourceParcels(f)) {
      for (const part of [feature, ...(feature._extra || [])]) b = extend(b, boundsOf(part.geometry));
    }
    if (!b) {
      for (const code of selectedCommunes() || []) b = extend(b, state.communes.find((c) => c.code === code)?.bbox);
    }
  }
  b = b || boundsOf(state.project.boundary);
  if (b) map.fitBounds(b, { padding: 40, maxZoom: 17, duration: 0 });
}

/** Counts for the legend: follow the commune / group and the stance chosen. */
function legendCounts() {
  const p = state.progress;
  if (!p) return null;
  const communes = selectedCommunes();
  if (state.stanceCounts && !communes) {
    const by = state.stanceCounts;
    return { by_status: by, total: Object.values(by).reduce((a, b) => a + b, 0) };
  }
  if (state.stanceCounts) {
    // Stance and place together: count the parcels of the loaded tiles (the whole project
    // is loaded at the zoom the filters fit to).
    const by = {};
    for (const f of sourceParcels(parcelFilter({ withStatus: false }))) by[f.properties.status] = (by[f.properties.status] || 0) + 1;
    return { by_status: by, total: Object.values(by).reduce((a, b) => a + b, 0) };
  }
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
  const stance = $('stance').value;
  $('legend-scope').textContent = stance ? t('map.legend_stance', { stance: t(`stance.${stance}`) }) : '';
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

/** The communes' names at their centroids (HTML markers: no glyphs to fetch). */
function drawCommuneNames(map) {
  for (const m of state.markers) m.remove();
  state.markers = state.communes.filter((c) => c.lon != null && c.lat != null).map((c) => {
    const label = el('div', { className: 'commune-label', textContent: t('map.commune_name', { name: c.name }) });
    label.dataset.code = c.code;
    return new maplibregl.Marker({ element: label }).setLngLat([c.lon, c.lat]).addTo(map);
  });
}

/** Re-requests every tile: the browser revalidates each with its ETag, so unchanged tiles
 * come back as 304 and changed ones with their new colours. A tile still loading when this
 * runs is not fetched again by MapLibre, only re-read from the answer in flight (drawn
 * before the change): so once the map is idle, every tile is asked for once more. */
function reloadTiles() {
  const map = window.gpmbMap;
  const source = map?.getSource('parcels');
  if (!source) return;
  const url = [tileUrl(state.project.code)];
  source.setTiles(url);
  // One follow-up however many reloads come before the map is idle.
  if (state.reloadOnIdle) return;
  state.reloadOnIdle = true;
  map.once('idle', () => {
    state.reloadOnIdle = false;
    if (state.project) map.getSource('parcels')?.setTiles([tileUrl(state.project.code)]);
  });
}

async function poll() {
  if (!state.project || document.hidden) return;
  try {
    const { stamp } = await api(`/api/v1/projects/${encodeURIComponent(state.project.code)}/changes`);
    if (state.stamp !== null && stamp !== state.stamp) {
      reloadTiles();
      await loadProgress();
      if (state.selected && !editing()) await showPanel(state.selected);
    }
    state.stamp = stamp;
  } catch (err) {
    if (err.status === 401) location.reload();
  }
}

function extend(b, c) {
  if (!c) return b;
  return b ? [Math.min(b[0], c[0]), Math.min(b[1], c[1]), Math.max(b[2], c[2]), Math.max(b[3], c[3])] : [...c];
}

function boundsOf(geometry) {
  let b = null;
  const walk = (c) => {
    if (typeof c[0] === 'number') b = extend(b, [c[0], c[1], c[0], c[1]]);
    else c.forEach(walk);
  };
  if (geometry?.coordinates) walk(geometry.coordinates);
  return b;
}

async function openProject(code) {
  clearInterval(state.timer);
  stopTool(window.gpmbMap);
  closePanel();
  const enc = encodeURIComponent(code);
  const [project, dashboard, communes] = await Promise.all([
    api(`/api/v1/projects/${enc}`),
    api(`/api/v1/projects/${enc}/dashboard`),
    api(`/api/v1/projects/${enc}/communes`).catch(() => ({ items: [] })),
  ]);
  state.project = project;
  state.groups = dashboard.working_groups;
  state.communes = communes.items;
  state.stamp = null;
  state.highlight = [];
  fillSelect($('commune'), dashboard.by_commune.map((c) => [c.code, c.name]));
  fillSelect($('group'), dashboard.working_groups.map((g) => [String(g.id), g.name]));
  $('stance').value = '';
  state.stanceIds = null;
  state.stanceCounts = null;
  await loadProgress();

  window.gpmbMap?.remove();
  const map = new maplibregl.Map({
    container: 'map',
    style: style(project),
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
    if (editing()) return;
    const f = e.features?.[0];
    // An overview strip stands for many parcels: zoom to where each one can be clicked.
    if (f?.properties.overview) map.easeTo({ center: e.lngLat, zoom: Math.max(map.getZoom() + 2, 14) });
    else if (f) showPanel(f.properties.id);
  });
  map.on('mouseenter', 'parcels', () => { map.getCanvas().style.cursor = 'pointer'; });
  map.on('mouseleave', 'parcels', () => { map.getCanvas().style.cursor = ''; });
  await new Promise((ok) => map.once('load', ok));
  map.on('idle', renderLandTypes);
  drawCommuneNames(map);
  showAttribution();
  applyFilters();
  map.setLayoutProperty('hotspots', 'visibility', $('hotspots-toggle').checked ? 'visible' : 'none');
  await loadHotSpots();
  await poll();
  state.timer = setInterval(poll, POLL_MS);
}

function closePanel() {
  stopTool(window.gpmbMap);
  ghost(window.gpmbMap, null);
  state.selected = null;
  $('panel').hidden = true;
  window.gpmbMap?.setFilter('parcel-selected', NONE);
}

function table(headers, rows) {
  const tbl = el('table');
  if (headers.length) {
    const head = tbl.createTHead().insertRow();
    for (const h of headers) head.append(el('th', { textContent: h }));
  }
  const body = tbl.createTBody();
  for (const r of rows) {
    const row = body.insertRow();
    for (const c of r) {
      const cell = row.insertCell();
      if (c instanceof Node) cell.append(c); else cell.textContent = c;
    }
  }
  return el('div', { className: 'table-box' }, tbl);
}

/**
 * `LUC — Đất chuyên trồng lúa`, from the land-type table (`/api/v1/land-types`); an old code
 * says what replaced it; a code the table does not know is shown as it is.
 */
function landUse(code) {
  const lt = state.landTypes.get(code);
  if (!lt) return code;
  return lt.current ? `${code} — ${lt.name}` : `${code} — ${lt.name} (${t('map.land_use_old', { current: lt.replaced_by })})`;
}

/** The legend's land types: the codes of the parcels loaded and shown, with their names. */
function renderLandTypes() {
  const map = window.gpmbMap;
  const list = $('legend-land-items');
  if (!map || !list) return;
  const codes = new Set(sourceParcels(parcelFilter()).map((f) => f.properties.land_use).filter(Boolean));
  const order = [...state.landTypes.keys()];
  const rank = (c) => (order.includes(c) ? order.indexOf(c) : order.length);
  const sorted = [...codes].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  list.replaceChildren(...sorted.map((c) => {
    const item = el('li', { textContent: landUse(c) });
    item.dataset.code = c;
    return item;
  }));
  $('legend-land').hidden = !sorted.length;
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
    lineageBlock(data, (other) => showPanel(other)),
    table([], [
      [t('map.commune_of'), p.commune.name],
      [t('map.land_use'), landUse(p.land_use)],
      [t('map.area'), `${fmtNumber(p.area_m2, 1)} m² (${fmtHa(p.area_m2)} ha)`],
    ]),
    el('h3', { textContent: t('map.households') }),
  ];
  if (!data.households.length) parts.push(el('p', { className: 'muted', textContent: t('map.no_households') }));
  else if (data.personal_data) {
    parts.push(table([t('map.household_code'), t('map.head_name'), t('map.stance')],
      data.households.map((h) => [
        h.code ?? '',
        h.id != null
          ? el('a', { href: `/households/${h.id}`, className: 'case-file', textContent: h.head_name ?? '', title: t('map.case_file') })
          : (h.head_name ?? ''),
        h.stance ? t(`stance.${h.stance}`) : t('stance.none'),
      ])));
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
      data.open_grievances.map((g) => [
        el('a', { href: `/grievances?project=${encodeURIComponent(p.project)}&id=${g.id}`, className: 'grievance-link', textContent: tr(`grievance.kind.${g.kind}`, g.kind) }),
        fmtDate(g.received_on), fmtDate(g.resolve_by), tr(`grievance.status.${g.status}`, g.status)])));
  }
  parts.push(el('h3', { textContent: t('map.history') }));
  parts.push(table([t('map.when'), t('map.change'), t('map.by')],
    [...data.history].reverse().map((e) => [fmtDateTime(e.at), `${e.from ? t(`status.${e.from}`) + ' → ' : ''}${t(`status.${e.to}`)}`, e.actor_name || actorLabel(e.actor)])));
  body.replaceChildren(...parts.filter(Boolean));
  body.dataset.parcelId = String(p.id);
  ghost(window.gpmbMap, p.retired_at ? p.geometry : null);
  renderActions(data);
  $('panel').hidden = false;
}

/** `system` and tokens in words; a login without a known name as it is. */
function actorLabel(actor) {
  if (actor === 'system') return t('map.actor_system');
  if (actor?.startsWith('token:')) return t('map.actor_token');
  return actor?.replace(/^user:/, '') ?? '';
}

/**
 * The panel's actions. The parcel-status change is a shared component (written elsewhere):
 * it mounts in `#parcel-status-slot` when it hears `gpmb:parcel-panel` (detail: the panel's
 * parcel with its version, and `reload()` to call after a change).
 */
function renderActions(data) {
  const actions = $('panel-actions');
  const slot = el('div', { id: 'parcel-status-slot' });
  slot.dataset.parcelId = String(data.parcel.id);
  slot.dataset.version = String(data.parcel.version);
  actions.replaceChildren(slot);
  // Officials change the status here (If-Match; a stale version says who changed it).
  const role = state.user?.user?.role;
  if (data.parcel.retired_at) return;
  if (['admin', 'leader', 'district_leader', 'member'].includes(role)) {
    slot.append(parcelStatusControl(data.parcel.id, { onSaved: () => showPanel(data.parcel.id) }));
  }
  // Splits and merges change the cadastre: administrators, from the survey record.
  if (role === 'admin') {
    actions.append(cadastralTools(window.gpmbMap, data, (id, message) => {
      reloadTiles();
      $('map-message').textContent = '';
      showPanel(id).then(() => {
        const note = el('p', { className: 'ok', id: 'cadastral-done', role: 'status', textContent: message });
        $('panel-body').prepend(note);
        $('panel').scrollTop = 0;
      });
    }));
  }
  document.dispatchEvent(new CustomEvent('gpmb:parcel-panel', {
    detail: { parcel: data.parcel, slot, reload: () => showPanel(data.parcel.id) },
  }));
}

async function onStanceChange() {
  const stance = $('stance').value;
  $('map-message').textContent = '';
  if (!stance) { state.stanceIds = null; state.stanceCounts = null; }
  else {
    try {
      const r = await api(`/api/v1/projects/${encodeURIComponent(state.project.code)}/stance-parcels?stance=${encodeURIComponent(stance)}`);
      state.stanceIds = r.parcel_ids;
      state.stanceCounts = r.by_status || {};
    } catch (err) {
      $('map-message').textContent = err.message;
      $('stance').value = '';
      state.stanceIds = null;
      state.stanceCounts = null;
    }
  }
  applyFilters();
  fitToSelection();
}

// ---- search ----

/** `12/345`, `tờ 12 thửa 345`, `12-345`: a map sheet and parcel number. */
function sheetAndParcel(q) {
  const words = q.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
  let m = words.match(/^\s*(\d+)\s*[/\-.,\s]\s*(\d+)\s*$/);
  if (m) return { sheet: m[1], parcel: m[2] };
  m = words.match(/to\s*(?:so\s*)?(\d+)\D+?(\d+)/);
  if (m) return { sheet: m[1], parcel: m[2] };
  m = words.match(/thua\s*(?:so\s*)?(\d+)\D+?(\d+)/);
  if (m) return { sheet: m[2], parcel: m[1] };
  return null;
}

async function search(q) {
  const code = encodeURIComponent(state.project.code);
  const results = [];
  const sp = sheetAndParcel(q);
  if (sp) {
    const page = await api(`/api/v1/projects/${code}/parcels?map_sheet=${encodeURIComponent(sp.sheet)}&parcel_no=${encodeURIComponent(sp.parcel)}&limit=20`);
    for (const p of page.items) {
      results.push({ label: `${t('map.parcel', { parcel_no: p.parcel_no, map_sheet: p.map_sheet })} · ${p.commune.name}`, parcels: [p.id] });
    }
  }
  if (!sp && /\S/.test(q) && state.user?.permissions?.read_personal !== false) {
    try {
      const page = await api(`/api/v1/households?project=${code}&q=${encodeURIComponent(q)}&limit=10`);
      for (const h of page.items) {
        const where = h.parcels.map((p) => `${p.map_sheet}/${p.parcel_no}`).join(', ');
        results.push({ label: `${h.head_name} (${h.code}) · ${t('map.sheet_parcel')} ${where}`, parcels: h.parcels.map((p) => p.id) });
      }
    } catch (err) {
      if (err.status !== 403) throw err;
    }
  }
  return results;
}

async function jumpTo(ids) {
  if (!ids.length) return;
  const parcels = await Promise.all(ids.map((id) => api(`/api/v1/parcels/${id}`)));
  let b = null;
  for (const p of parcels) b = extend(b, boundsOf(p.geometry));
  state.highlight = ids;
  const map = window.gpmbMap;
  map.setFilter('parcel-found', ['in', ['get', 'id'], ['literal', ids]]);
  if (b) map.fitBounds(b, { padding: 80, maxZoom: 18, duration: 0 });
  await showPanel(ids[0]);
}

async function onSearch(event) {
  event.preventDefault();
  const q = $('map-search').value.trim();
  const list = $('search-results');
  $('map-message').textContent = '';
  if (!q) { list.hidden = true; return; }
  let results;
  try {
    results = await search(q);
  } catch (err) {
    $('map-message').textContent = err.message;
    return;
  }
  if (!results.length) {
    list.replaceChildren(el('li', { className: 'muted', textContent: t('map.search_none', { q }) }));
    list.hidden = false;
    return;
  }
  list.replaceChildren(...results.map((r) => {
    const button = el('button', { type: 'button', className: 'link', textContent: r.label });
    button.addEventListener('click', () => { list.hidden = true; jumpTo(r.parcels).catch(report); });
    return el('li', {}, button);
  }));
  list.hidden = false;
  if (results.length === 1) { list.hidden = true; await jumpTo(results[0].parcels); }
}

async function showWorkspace() {
  $('workspace').hidden = false;
  const [{ items: statuses }, { items: projects }, landTypes] = await Promise.all([
    api('/api/v1/parcel-statuses'), api('/api/v1/projects'), api(`/api/v1/land-types?lang=${lang()}`)]);
  state.statuses = statuses;
  state.landTypes = new Map(landTypes.items.map((lt) => [lt.code, lt]));
  const select = $('project');
  select.replaceChildren(...projects.map((p) => el('option', { value: p.code, textContent: `${p.code} — ${p.name}` })));
  const wanted = params.get('project');
  if (wanted && projects.some((p) => p.code === wanted)) select.value = wanted;
  fillSelect($('stance'), STANCES.map((s) => [s, t(`stance.${s}`)]));
  if (projects.length) await openProject(select.value);
}

async function start() {
  const user = await startPage({ namespaces: ['map', 'parcel-status'] });
  if (!user) return;
  state.user = user;
  document.body.classList.add('map-ready');
  $('panel-close').addEventListener('click', closePanel);
  // On a phone the legend folds to its title and total, leaving the map to the fingers.
  const legendTitle = $('legend-title');
  legendTitle.tabIndex = 0;
  legendTitle.setAttribute('role', 'button');
  const foldLegend = () => {
    const open = $('legend').classList.toggle('open');
    legendTitle.setAttribute('aria-expanded', String(open));
  };
  legendTitle.addEventListener('click', foldLegend);
  legendTitle.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); foldLegend(); } });
  $('project').addEventListener('change', (e) => openProject(e.target.value).catch(report));
  $('commune').addEventListener('change', () => { $('group').value = ''; applyFilters(); fitToSelection(); });
  $('group').addEventListener('change', () => { $('commune').value = ''; applyFilters(); fitToSelection(); });
  $('stance').addEventListener('change', onStanceChange);
  // Bulk stage recording for the households of a drawn area.
  if (['admin', 'leader', 'district_leader'].includes(user.user?.role)) {
    $('hotspots-toggle').closest('label').after(lassoButton(() => window.gpmbMap, () => state.project?.code));
  }
  $('search-form').addEventListener('submit', (e) => onSearch(e).catch(report));
  $('hotspots-toggle').addEventListener('change', (e) => {
    window.gpmbMap?.setLayoutProperty('hotspots', 'visibility', e.target.checked ? 'visible' : 'none');
  });
  await showWorkspace();
}

function report(err) {
  const box = $('map-message');
  if (box) box.textContent = `${t('map.load_failed')}: ${err.message}`;
}

start().catch(report);

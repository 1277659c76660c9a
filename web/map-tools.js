// Drawing on the progress map: a parcel's lineage in the panel, splitting a parcel along a cut
// drawn with two clicks, merging adjacent parcels picked with clicks (administrators), and the
// lasso that hands a drawn area to bulk stage recording. While a tool is on, map clicks belong
// to it (`editing()`), not to the parcel panel.
import { t, fmtNumber } from './lib/i18n.js';
import { api } from './lib/api.js';
import { h } from './lib/shell.js';

const EMPTY = { type: 'FeatureCollection', features: [] };
let tool = null; // { kind, points, parcels, onClick, box }

export const editing = () => tool !== null;

/** The drawing layers, added once per map above the parcels. */
function ensureLayers(map) {
  if (map.getSource('edit')) return;
  map.addSource('edit', { type: 'geojson', data: EMPTY });
  map.addLayer({ id: 'edit-fill', type: 'fill', source: 'edit', filter: ['==', ['geometry-type'], 'Polygon'],
    paint: { 'fill-color': ['coalesce', ['get', 'colour'], '#f59e0b'], 'fill-opacity': 0.35 } });
  map.addLayer({ id: 'edit-line', type: 'line', source: 'edit',
    paint: { 'line-color': '#b45309', 'line-width': 2.5, 'line-dasharray': [2, 1] } });
  map.addLayer({ id: 'edit-points', type: 'circle', source: 'edit', filter: ['==', ['geometry-type'], 'Point'],
    paint: { 'circle-radius': 5, 'circle-color': '#b45309', 'circle-stroke-color': '#fff', 'circle-stroke-width': 2 } });
  map.addLayer({ id: 'edit-labels', type: 'symbol', source: 'edit', filter: ['has', 'label'],
    layout: { 'text-field': ['get', 'label'], 'text-size': 13, 'text-allow-overlap': true },
    paint: { 'text-color': '#111', 'text-halo-color': '#fff', 'text-halo-width': 2 } });
}

function draw(map, features) {
  ensureLayers(map);
  map.getSource('edit').setData({ type: 'FeatureCollection', features });
}

const point = (c) => ({ type: 'Feature', geometry: { type: 'Point', coordinates: c }, properties: {} });
const line = (cs) => ({ type: 'Feature', geometry: { type: 'LineString', coordinates: cs }, properties: {} });
const ring = (cs) => ({ type: 'Feature', geometry: { type: 'Polygon', coordinates: [[...cs, cs[0]]] }, properties: {} });

/** Outlines a parcel the tiles no longer hold (a retired one), or clears it with null. */
export function ghost(map, geometry) {
  if (!map || tool) return;
  if (!geometry) { if (map.getSource('edit')) map.getSource('edit').setData(EMPTY); return; }
  draw(map, [{ type: 'Feature', geometry, properties: { colour: '#9ca3af' } }]);
}

/** Ends the tool on, clearing what it drew. */
export function stopTool(map) {
  if (!tool) return;
  map?.off('click', tool.onClick);
  if (map?.getSource('edit')) map.getSource('edit').setData(EMPTY);
  if (map) map.getCanvas().style.cursor = '';
  tool.box?.remove();
  tool = null;
  document.body.classList.remove('map-drawing');
  requestAnimationFrame(() => map?.resize());
}

function startTool(map, kind, box, onClick) {
  stopTool(map);
  tool = { kind, points: [], parcels: [], box, onClick };
  map.on('click', onClick);
  map.getCanvas().style.cursor = 'crosshair';
  document.body.classList.add('map-drawing');
  // The tool's box may have taken room from the map.
  requestAnimationFrame(() => map.resize());
}

const labelled = (id, text, control) => {
  control.id = id;
  return h('label', { htmlFor: id }, h('span', { textContent: text }), ' ', control);
};

// ---- lineage in the panel ----------------------------------------------------------------

/** The panel's lineage block: what the parcel came from, what replaced it. */
export function lineageBlock(data, open) {
  const { parents = [], children = [] } = data.lineage || {};
  const retired = data.parcel.retired_at;
  if (!parents.length && !children.length && !retired) return null;
  const link = (r) => {
    const a = h('button', { type: 'button', className: 'link', textContent: t('map.parcel', { parcel_no: r.parcel_no, map_sheet: r.map_sheet }) });
    a.addEventListener('click', () => open(r.id));
    return a;
  };
  const list = (refs) => refs.flatMap((r, i) => (i ? [', ', link(r)] : [link(r)]));
  const kind = (refs) => t(`map.lineage.${refs[0]?.kind === 'merge' ? 'merge' : 'split'}`);
  return h('section', { className: 'lineage', id: 'panel-lineage' },
    h('h3', { textContent: t('map.lineage.title') }),
    retired ? h('p', { className: 'retired-note', textContent: t('map.lineage.retired') }) : null,
    parents.length ? h('p', {}, `${kind(parents)} `, ...list(parents)) : null,
    children.length ? h('p', {}, `${t('map.lineage.replaced_by')} `, ...list(children)) : null);
}

// ---- split and merge (administrators) ----------------------------------------------------

/** The split / merge buttons for the panel's parcel; `done(id)` opens the new parcel. */
export function cadastralTools(map, data, done) {
  const p = data.parcel;
  if (p.retired_at) return null;
  const split = h('button', { type: 'button', id: 'split-start', textContent: t('map.split.start') });
  const merge = h('button', { type: 'button', id: 'merge-start', className: 'secondary', textContent: t('map.merge.start') });
  const area = h('div', { id: 'cadastral-tool' });
  split.addEventListener('click', () => splitTool(map, p, area, done));
  merge.addEventListener('click', () => mergeTool(map, p, area, done));
  return h('section', { className: 'cadastral' },
    h('h3', { textContent: t('map.cadastral') }),
    h('div', { className: 'row' }, split, ' ', merge), area);
}

/** The parts of a preview or result, drawn with their numbers and areas. */
function drawParts(map, parts, extra = []) {
  const colours = ['#f59e0b', '#0ea5e9', '#10b981', '#a855f7'];
  draw(map, [...parts.map((x, i) => ({ type: 'Feature', geometry: x.geometry,
    properties: { colour: colours[i % colours.length], label: `${x.parcel_no}\n${fmtNumber(x.area_m2, 1)} m²` } })), ...extra]);
}

function partsTable(parts) {
  return h('table', { className: 'parts' },
    h('thead', {}, h('tr', {}, ...['map.split.no', 'map.land_use', 'map.area'].map((k) => h('th', { textContent: t(k) })))),
    h('tbody', {}, ...parts.map((x) => h('tr', {},
      h('td', { textContent: x.parcel_no }), h('td', { textContent: x.land_use }), h('td', { textContent: `${fmtNumber(x.area_m2, 1)} m²` })))));
}

function splitTool(map, parcel, area, done) {
  const message = h('p', { className: 'tool-message', role: 'status', textContent: t('map.split.hint') });
  const cancel = h('button', { type: 'button', className: 'link', textContent: t('map.tool.cancel') });
  const form = h('form', { className: 'hh-form', hidden: true });
  const box = h('div', { className: 'tool-box', id: 'split-tool' }, message, form, cancel);
  area.replaceChildren(box);
  cancel.addEventListener('click', () => { stopTool(map); area.replaceChildren(); });
  let cut = null;

  const body = (nos, dryRun, reason) => ({ line: cut, parts: nos.map((n) => ({ parcel_no: n })), dry_run: dryRun, ...(reason ? { reason } : {}) });
  const send = (b) => api(`/api/v1/parcels/${parcel.id}/split`, { method: 'POST', body: b, headers: { 'if-match': `"${parcel.version}"` } });

  async function preview(nos) {
    message.className = 'tool-message';
    message.textContent = t('map.tool.checking');
    try {
      const o = await send(body(nos, true));
      drawParts(map, o.parcels, [line(cut)]);
      showForm(o);
    } catch (err) {
      message.className = 'tool-message error';
      message.textContent = `${err.message} ${t('map.split.redraw')}`;
      tool.points = [];
      draw(map, []);
    }
  }

  function showForm(o) {
    message.textContent = t('map.split.preview', { n: o.parcels.length, households: o.households });
    const inputs = o.parcels.map((x, i) => h('input', { name: `no${i}`, value: x.parcel_no, maxLength: 64, required: true, autocomplete: 'off' }));
    const reason = h('input', { name: 'reason', maxLength: 500, autocomplete: 'off', placeholder: t('map.split.reason_hint') });
    const save = h('button', { type: 'submit', id: 'split-save', textContent: t('map.split.save') });
    form.replaceChildren(partsTable(o.parcels),
      h('div', { className: 'row' }, ...inputs.map((input, i) => labelled(`split-no-${i}`, t('map.split.no_n', { n: i + 1 }), input))),
      labelled('split-reason', t('map.split.reason'), reason), save);
    form.hidden = false;
    form.onsubmit = async (event) => {
      event.preventDefault();
      save.disabled = true;
      message.className = 'tool-message';
      message.textContent = t('map.tool.saving');
      try {
        const r = await send(body(inputs.map((x) => x.value.trim()), false, reason.value.trim()));
        stopTool(map);
        done(r.parcels[0].id, t('map.split.done', { nos: r.parcels.map((x) => x.parcel_no).join(', ') }));
      } catch (err) {
        message.className = 'tool-message error';
        message.textContent = err.message;
        save.disabled = false;
      }
    };
  }

  startTool(map, 'split', box, (e) => {
    if (cut && tool.points.length === 0) { cut = null; form.hidden = true; }
    tool.points.push([e.lngLat.lng, e.lngLat.lat]);
    if (tool.points.length === 1) {
      draw(map, [point(tool.points[0])]);
      message.className = 'tool-message';
      message.textContent = t('map.split.second');
      return;
    }
    cut = [tool.points[0], tool.points[1]];
    tool.points = [];
    preview(['', '']);
  });
}

function mergeTool(map, parcel, area, done) {
  const message = h('p', { className: 'tool-message', role: 'status' });
  const cancel = h('button', { type: 'button', className: 'link', textContent: t('map.tool.cancel') });
  const no = h('input', { name: 'parcel_no', maxLength: 64, autocomplete: 'off', placeholder: t('map.merge.no_hint') });
  const landUse = h('input', { name: 'land_use', maxLength: 10, autocomplete: 'off', placeholder: parcel.land_use });
  const reason = h('input', { name: 'reason', maxLength: 500, autocomplete: 'off', placeholder: t('map.split.reason_hint') });
  const check = h('button', { type: 'button', id: 'merge-preview', textContent: t('map.merge.preview') });
  const save = h('button', { type: 'submit', id: 'merge-save', textContent: t('map.merge.save'), disabled: true });
  const summary = h('div', { className: 'merge-summary' });
  const form = h('form', { className: 'hh-form' },
    labelled('merge-no', t('map.merge.no'), no), labelled('merge-land-use', t('map.land_use'), landUse),
    labelled('merge-reason', t('map.split.reason'), reason), summary, h('div', { className: 'row' }, check, ' ', save));
  const box = h('div', { className: 'tool-box', id: 'merge-tool' }, message, form, cancel);
  area.replaceChildren(box);
  cancel.addEventListener('click', () => { stopTool(map); area.replaceChildren(); });
  const picked = [{ id: parcel.id, version: parcel.version, label: parcel.parcel_no }];
  const selection = () => map.setFilter('parcel-selected', ['in', ['get', 'id'], ['literal', picked.map((x) => x.id)]]);
  const say = () => {
    message.className = 'tool-message';
    message.textContent = t('map.merge.hint', { list: picked.map((x) => x.label).join(', ') });
    save.disabled = true;
  };
  say();
  const body = (dryRun) => ({
    parcels: picked.map(({ id, version }) => ({ id, version })),
    parcel_no: no.value.trim(),
    ...(landUse.value.trim() ? { land_use: landUse.value.trim().toUpperCase() } : {}),
    ...(reason.value.trim() ? { reason: reason.value.trim() } : {}),
    dry_run: dryRun,
  });
  check.addEventListener('click', async () => {
    message.textContent = t('map.tool.checking');
    try {
      const o = await api('/api/v1/parcels/merge', { method: 'POST', body: body(true) });
      drawParts(map, o.parcels);
      summary.replaceChildren(partsTable(o.parcels));
      message.textContent = t('map.merge.preview_done', { households: o.households });
      save.disabled = false;
    } catch (err) {
      message.className = 'tool-message error';
      message.textContent = err.message;
    }
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    save.disabled = true;
    message.className = 'tool-message';
    message.textContent = t('map.tool.saving');
    try {
      const r = await api('/api/v1/parcels/merge', { method: 'POST', body: body(false) });
      stopTool(map);
      done(r.parcels[0].id, t('map.merge.done', { no: r.parcels[0].parcel_no }));
    } catch (err) {
      message.className = 'tool-message error';
      message.textContent = err.message;
    }
  });
  startTool(map, 'merge', box, async (e) => {
    const f = map.queryRenderedFeatures(e.point, { layers: ['parcels'] })[0];
    // Overview strips (large projects at low zoom) are not parcels.
    if (!f || f.properties.id === undefined) return;
    const id = f.properties.id;
    const at = picked.findIndex((x) => x.id === id);
    if (at > 0) picked.splice(at, 1);
    else if (at < 0) {
      try {
        const p = await api(`/api/v1/parcels/${id}`);
        picked.push({ id, version: p.version, label: p.parcel_no });
      } catch (err) { message.textContent = err.message; return; }
    }
    selection();
    draw(map, []);
    summary.replaceChildren();
    say();
  });
  selection();
}

// ---- the lasso for bulk stage recording ---------------------------------------------------

/** Key of the drawn area handed to the bulk stage page. */
export const LASSO_KEY = 'gpmb.lasso';

/** The toolbar's "select an area" button: clicks draw a polygon; "use" opens bulk recording. */
export function lassoButton(getMap, getProject) {
  const button = h('button', { type: 'button', id: 'lasso-start', className: 'secondary', textContent: t('map.lasso.start') });
  button.addEventListener('click', () => {
    const map = getMap();
    if (!map) return;
    const message = h('span', { className: 'tool-message', role: 'status', textContent: t('map.lasso.hint') });
    const use = h('button', { type: 'button', id: 'lasso-use', textContent: t('map.lasso.use'), disabled: true });
    const cancel = h('button', { type: 'button', className: 'link', textContent: t('map.tool.cancel') });
    const box = h('div', { className: 'lasso-box', id: 'lasso-tool' }, message, ' ', use, ' ', cancel);
    button.after(box);
    cancel.addEventListener('click', () => stopTool(map));
    use.addEventListener('click', () => {
      const area = { type: 'Polygon', coordinates: [[...tool.points, tool.points[0]]] };
      sessionStorage.setItem(LASSO_KEY, JSON.stringify({ project: getProject(), area, points: tool.points.length }));
      stopTool(map);
      location.href = `/stages?project=${encodeURIComponent(getProject())}&lasso=1`;
    });
    startTool(map, 'lasso', box, (e) => {
      tool.points.push([e.lngLat.lng, e.lngLat.lat]);
      const pts = tool.points;
      draw(map, [...pts.map(point), pts.length >= 3 ? ring(pts) : (pts.length === 2 ? line(pts) : null)].filter(Boolean));
      use.disabled = pts.length < 3;
      message.textContent = t('map.lasso.points', { n: pts.length });
    });
  });
  return button;
}

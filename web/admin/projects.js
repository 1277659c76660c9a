// Project setup (administrators): the list of projects, creating one, and the edit form —
// name, investor, notice (cut-off) and target dates, the boundary read from a file and drawn
// on a map before saving, the responsible agencies and the public milestones, close / reopen.
// Saving sends `If-Match` with the version read; a stale version keeps what was typed and
// offers to reload.
import { startPage, bindForm, showFormError, h } from '../lib/shell.js';
import { api, ApiError } from '../lib/api.js';
import { t, fmtDate, fmtNumber } from '../lib/i18n.js';
import { dateInput, readDates, FieldError } from '../lib/dates.js';

const user = await startPage({ namespaces: ['admin-projects'], roles: ['admin'] });
const main = document.querySelector('main');

/** What the editor is showing: the project as read, and a previewed boundary not yet saved. */
const state = { project: null, pending: undefined, map: null };

const enc = encodeURIComponent;

function label(key, input) {
  return h('label', {}, h('span', { textContent: t(key) }), ' ', input);
}

function textInput(name, value = '', props = {}) {
  return h('input', { name, value: value ?? '', autocomplete: 'off', ...props });
}

// ---- list ---------------------------------------------------------------------------------

async function renderList() {
  const page = await api('/api/v1/projects');
  const body = h('tbody');
  for (const p of page.items) {
    const edit = h('button', { type: 'button', className: 'secondary', textContent: t('admin_projects.edit') });
    edit.setAttribute('aria-label', `${t('admin_projects.edit')} ${p.code}`);
    edit.addEventListener('click', () => openEditor(p.code));
    const tr = h('tr');
    tr.dataset.code = p.code;
    body.append(tr);
    tr.append(
      h('td', { textContent: p.code }),
      h('td', { textContent: p.name }),
      h('td', {}, h('span', { className: `badge ${p.status}`, textContent: t(`admin_projects.status.${p.status}`) })),
      h('td', { textContent: p.notice_date ? fmtDate(p.notice_date) : '–' }),
      h('td', { textContent: p.target_handover_date ? fmtDate(p.target_handover_date) : '–' }),
      h('td', { className: 'actions' }, edit));
  }
  const head = h('tr', {}, ...['code', 'name', 'status', 'notice_short', 'target_short'].map(
    (k) => h('th', { scope: 'col', textContent: t(`admin_projects.${k}`) })), h('th', { scope: 'col' }));
  const list = document.getElementById('project-list');
  list.replaceChildren(page.items.length
    ? h('div', { className: 'table-box' }, h('table', { id: 'projects' }, h('thead', {}, head), body))
    : h('p', { textContent: t('admin_projects.none') }));
}

// ---- create -------------------------------------------------------------------------------

function renderCreate() {
  const form = h('form', { id: 'create-project', className: 'project-editor' },
    h('h2', { textContent: t('admin_projects.new') }),
    h('div', { className: 'grid' },
      label('admin_projects.code', textInput('code', '', { required: true, maxLength: 32, pattern: '[A-Za-z0-9_\\-]+' })),
      label('admin_projects.name', textInput('name', '', { required: true, maxLength: 300 })),
      label('admin_projects.investor', textInput('investor', '', { maxLength: 300 }))),
    h('div', { className: 'actions-bar' },
      h('button', { type: 'submit', textContent: t('admin_projects.create') }),
      cancelButton()),
    h('p', { className: 'form-error error', role: 'alert' }));
  bindForm(form, (values) => api('/api/v1/projects', {
    method: 'POST',
    body: { code: values.code.trim(), name: values.name, investor: values.investor },
  }), async (project) => {
    await renderList();
    await openEditor(project.code, t('admin_projects.created', { code: project.code }));
  });
  document.getElementById('editor').replaceChildren(form);
  form.querySelector('input').focus();
}

function cancelButton() {
  const b = h('button', { type: 'button', className: 'secondary', textContent: t('admin_projects.cancel') });
  b.addEventListener('click', closeEditor);
  return b;
}

function closeEditor() {
  state.map?.remove();
  state.map = null;
  state.project = null;
  document.getElementById('editor').replaceChildren();
}

// ---- edit ---------------------------------------------------------------------------------

function partyRow(p = {}) {
  const row = h('div', { className: 'row party' },
    h('p', { className: 'row-title' }),
    label('admin_projects.role_vi', textInput('role_vi', p.role_vi, { maxLength: 300 })),
    label('admin_projects.role_en', textInput('role_en', p.role_en, { maxLength: 300 })),
    label('admin_projects.organisation', textInput('organisation', p.organisation, { maxLength: 300 })),
    label('admin_projects.contact_person', textInput('contact_person', p.contact_person, { maxLength: 300 })),
    label('admin_projects.phone', textInput('phone', p.phone, { maxLength: 300, inputMode: 'tel' })),
    label('admin_projects.email', textInput('email', p.email, { maxLength: 300, type: 'email' })),
    removeButton());
  return row;
}

function milestoneRow(m = {}) {
  return h('div', { className: 'row milestone' },
    h('p', { className: 'row-title' }),
    label('admin_projects.on_date', dateInput({ name: 'on_date', value: m.on_date || '' })),
    label('admin_projects.title_vi', textInput('title_vi', m.title_vi, { maxLength: 300 })),
    label('admin_projects.title_en', textInput('title_en', m.title_en, { maxLength: 300 })),
    removeButton());
}

function removeButton() {
  const b = h('button', { type: 'button', className: 'secondary remove', textContent: t('admin_projects.remove') });
  b.addEventListener('click', () => {
    const rows = b.closest('.rows');
    b.closest('.row').remove();
    renumber(rows);
  });
  return b;
}

/**
 * Names each row's inputs `parties.<i>.<field>` / `milestones.<i>.<field>` as the API names
 * them in `details.field`, so a refusal lands beside the right input.
 */
function renumber(rows) {
  const list = rows.dataset.list;
  [...rows.children].forEach((row, i) => {
    row.querySelector('.row-title').textContent = t(`admin_projects.${list === 'parties' ? 'party' : 'milestone'}`, { n: i + 1 });
    for (const input of row.querySelectorAll('input')) {
      const field = input.dataset.field || input.name;
      input.dataset.field = field;
      input.name = `${list}.${i}.${field}`;
    }
    row.querySelector('button.remove').setAttribute('aria-label',
      `${t('admin_projects.remove')} ${i + 1}`);
  });
}

function rowsSection(list, legendKey, addKey, items, make) {
  const rows = h('div', { className: 'rows', id: list });
  rows.dataset.list = list;
  for (const item of items) rows.append(make(item));
  renumber(rows);
  const add = h('button', { type: 'button', className: 'secondary', id: `add-${list}`, textContent: t(addKey) });
  add.addEventListener('click', () => {
    const row = make();
    rows.append(row);
    renumber(rows);
    row.querySelector('input').focus();
  });
  return h('fieldset', {}, h('legend', { textContent: t(legendKey) }), rows, add);
}

const CRS_CHOICES = ['EPSG:4326', 'EPSG:5898', 'EPSG:9216', 'vn2000:107.75', 'vn2000:108.25', 'vn2000:108.5', 'vn2000:105.75'];

function boundarySection(p) {
  const file = h('input', { type: 'file', id: 'boundary-file', accept: '.geojson,.json,.zip,.txt,.csv' });
  const crs = h('select', { id: 'boundary-crs' },
    h('option', { value: '', textContent: t('admin_projects.crs_auto') }),
    ...CRS_CHOICES.map((c) => h('option', { value: c, textContent: c })));
  const preview = h('button', { type: 'button', id: 'preview-boundary', className: 'secondary', textContent: t('admin_projects.preview') });
  const discard = h('button', { type: 'button', id: 'discard-boundary', className: 'secondary', hidden: true, textContent: t('admin_projects.preview_discard') });
  const info = h('div', { id: 'boundary-info', role: 'status' });
  const box = h('div', { className: 'boundary-file' },
    h('label', {}, h('span', { textContent: t('admin_projects.boundary_file') }), ' ', file),
    h('label', {}, h('span', { textContent: t('admin_projects.crs') }), ' ', crs),
    h('p', { className: 'hint', textContent: t('admin_projects.crs_hint') }),
    h('div', { className: 'actions-bar' }, preview, discard),
    h('p', { className: 'form-error error', role: 'alert', id: 'boundary-error' }));
  const mapBox = h('div', { id: 'boundary-map', className: 'boundary-map', role: 'img', ariaLabel: t('admin_projects.map_label') });
  info.textContent = p.boundary ? '' : t('admin_projects.no_boundary');

  preview.addEventListener('click', async () => {
    const error = document.getElementById('boundary-error');
    error.textContent = '';
    file.removeAttribute('aria-invalid');
    const chosen = file.files?.[0];
    if (!chosen) {
      error.textContent = t('admin_projects.no_file');
      file.focus();
      return;
    }
    preview.disabled = true;
    try {
      const q = new URLSearchParams({ filename: chosen.name });
      if (crs.value) q.set('crs', crs.value);
      const res = await fetch(`/api/v1/projects/boundary-preview?${q}`, {
        method: 'POST', credentials: 'same-origin', body: chosen,
        // Always octet-stream: a .txt list would go as text/plain, which the server refuses (415).
        headers: { accept: 'application/json', 'content-type': 'application/octet-stream' },
      });
      const data = await res.json().catch(() => ({}));
      if (!res.ok) {
        const code = data?.error?.code || `http_${res.status}`;
        const details = data?.error?.details || {};
        let message = t(`error.${code}`, details);
        if (message === `error.${code}`) message = data?.error?.message || res.statusText;
        if (code === 'invalid_geometry' && details.reason) {
          const why = t(`admin_projects.geometry.${details.reason}`);
          message = `${message}: ${why.startsWith('admin_projects.') ? data.error.message : why}`;
        }
        error.textContent = message;
        (details.field === 'crs' ? crs : file).setAttribute('aria-invalid', 'true');
        return;
      }
      state.pending = data.boundary;
      discard.hidden = false;
      info.replaceChildren(
        h('p', { className: 'notice', id: 'preview-summary', textContent: t('admin_projects.preview_ok', {
          area: fmtNumber(data.area_ha, 2), polygons: data.polygons, crs: data.source_crs,
        }) }),
        ...(data.problems.length ? [h('ul', { className: 'problems' }, ...data.problems.map((pr) => {
          const text = t(`admin_projects.problem.${pr.code}`);
          return h('li', { textContent: text.startsWith('admin_projects.') ? pr.message : text });
        }))] : []));
      drawBoundary(data.boundary, true);
    } finally {
      preview.disabled = false;
    }
  });
  discard.addEventListener('click', () => {
    state.pending = undefined;
    discard.hidden = true;
    info.textContent = state.project?.boundary ? '' : t('admin_projects.no_boundary');
    drawBoundary(state.project?.boundary, false);
  });
  return h('fieldset', {}, h('legend', { textContent: t('admin_projects.boundary') }), box, info, mapBox);
}

function boundsOf(geometry) {
  if (!geometry) return null;
  const polys = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
  let b = null;
  for (const poly of polys) for (const ring of poly) for (const [x, y] of ring) {
    b = b ? [Math.min(b[0], x), Math.min(b[1], y), Math.max(b[2], x), Math.max(b[3], y)] : [x, y, x, y];
  }
  return b;
}

function featureOf(geometry, pending) {
  return { type: 'FeatureCollection', features: geometry ? [{ type: 'Feature', properties: { pending }, geometry }] : [] };
}

/** Draws `geometry` (the stored boundary, or a preview not yet saved) on the editor's map. */
function drawBoundary(geometry, pending) {
  const container = document.getElementById('boundary-map');
  if (!container || !window.maplibregl) return;
  const data = featureOf(geometry, pending);
  const bounds = boundsOf(geometry);
  if (!state.map) {
    state.map = new window.maplibregl.Map({
      container,
      // A blank background: nothing is fetched from the internet.
      style: {
        version: 8,
        sources: { boundary: { type: 'geojson', data } },
        layers: [
          { id: 'background', type: 'background', paint: { 'background-color': '#eef0ec' } },
          { id: 'boundary-fill', type: 'fill', source: 'boundary',
            paint: { 'fill-color': ['case', ['get', 'pending'], '#f59e0b', '#2563eb'], 'fill-opacity': 0.3 } },
          { id: 'boundary-line', type: 'line', source: 'boundary',
            paint: { 'line-color': ['case', ['get', 'pending'], '#b45309', '#1d4ed8'], 'line-width': 2 } },
        ],
      },
      bounds: bounds || [108.7, 15.3, 108.9, 15.45],
      fitBoundsOptions: { padding: 30 },
      attributionControl: false,
      canvasContextAttributes: { preserveDrawingBuffer: true },
    });
    state.map.addControl(new window.maplibregl.NavigationControl({ showCompass: false }), 'top-left');
    state.map.addControl(new window.maplibregl.ScaleControl(), 'bottom-right');
    window.gpmbProjectMap = state.map;
    return;
  }
  const apply = () => {
    state.map.getSource('boundary').setData(data);
    if (bounds) state.map.fitBounds(bounds, { padding: 30, duration: 0 });
  };
  if (state.map.isStyleLoaded()) apply(); else state.map.once('load', apply);
}

function statusBar(p) {
  const closed = p.status === 'closed';
  const toggle = h('button', {
    type: 'button', id: closed ? 'reopen-project' : 'close-project',
    className: closed ? 'secondary' : 'danger',
    textContent: t(closed ? 'admin_projects.reopen' : 'admin_projects.close'),
  });
  toggle.addEventListener('click', async () => {
    const question = t(closed ? 'admin_projects.confirm_reopen' : 'admin_projects.confirm_close', { code: p.code });
    if (!window.confirm(question)) return;
    toggle.disabled = true;
    try {
      const updated = await api(`/api/v1/projects/${enc(p.code)}/${closed ? 'reopen' : 'close'}`, { method: 'POST' });
      await renderList();
      renderEditor(updated);
    } catch (err) {
      showFormError(document.getElementById('edit-project'), err);
    } finally {
      toggle.disabled = false;
    }
  });
  return h('div', { className: 'actions-bar' },
    h('span', { className: `badge ${p.status}`, id: 'project-status', textContent: t(`admin_projects.status.${p.status}`) }),
    toggle,
    h('a', { href: `/public/projects/${enc(p.code)}`, target: '_blank', rel: 'noopener', textContent: t('admin_projects.public_link') }));
}

async function openEditor(code, message = '') {
  const project = await api(`/api/v1/projects/${enc(code)}`);
  renderEditor(project, message);
}

function renderEditor(p, message = '') {
  state.map?.remove();
  state.map = null;
  state.project = p;
  state.pending = undefined;
  const closed = p.status === 'closed';
  const form = h('form', { id: 'edit-project', className: 'project-editor', noValidate: true },
    h('h2', { textContent: t('admin_projects.editing', { code: p.code }) }),
    statusBar(p),
    closed ? h('p', { className: 'notice closed', textContent: t('admin_projects.closed_note') }) : null,
    message ? h('p', { className: 'notice', role: 'status', textContent: message }) : null,
    h('div', { id: 'stale', hidden: true, className: 'notice stale', role: 'alert' }),
    h('fieldset', {}, h('legend', { textContent: t('admin_projects.general') }),
      h('div', { className: 'grid' },
        label('admin_projects.name', textInput('name', p.name, { required: true, maxLength: 300 })),
        label('admin_projects.investor', textInput('investor', p.investor, { maxLength: 300 })),
        label('admin_projects.notice_date', dateInput({ name: 'notice_date', value: p.notice_date || '' })),
        label('admin_projects.target_date', dateInput({ name: 'target_handover_date', value: p.target_handover_date || '' })),
        label('admin_projects.agency', textInput('agency', p.agency, { maxLength: 300 })),
        label('admin_projects.contact', textInput('contact', p.contact, { maxLength: 300 })))),
    boundarySection(p),
    rowsSection('parties', 'admin_projects.parties', 'admin_projects.add_party', p.parties || [], partyRow),
    rowsSection('milestones', 'admin_projects.milestones', 'admin_projects.add_milestone', p.milestones || [], milestoneRow),
    h('div', { className: 'actions-bar' },
      h('button', { type: 'submit', id: 'save-project', textContent: t('admin_projects.save') }),
      cancelButton(),
      h('span', { className: 'saved', id: 'saved', role: 'status' })),
    h('p', { className: 'form-error error', role: 'alert' }));
  bindForm(form, (values, f) => save(values, f), (result) => {
    if (!result) return;
    renderList();
    renderEditor(result);
    document.getElementById('saved').textContent = t('admin_projects.saved', { version: result.version });
  });
  document.getElementById('editor').replaceChildren(form, reportSettings(p));
  drawBoundary(p.boundary, false);
}

/** The printed report's header: the parent agency line and the document symbol (own form,
 * own endpoint), with what the report prints now. */
function reportSettings(p) {
  const printed = h('p', { className: 'muted', id: 'report-printed' });
  const form = h('form', { id: 'report-settings', className: 'project-editor', noValidate: true },
    h('fieldset', {}, h('legend', { textContent: t('admin_projects.report') }),
      h('div', { className: 'grid' },
        label('admin_projects.parent_agency', textInput('parent_agency', '', { maxLength: 200, placeholder: 'UBND HUYỆN BÌNH SƠN' })),
        label('admin_projects.doc_symbol', textInput('doc_symbol', '', { maxLength: 200, placeholder: 'BC-BCĐ' }))),
      printed),
    h('div', { className: 'actions-bar' },
      h('button', { type: 'submit', id: 'save-report', textContent: t('admin_projects.save_report') }),
      h('span', { className: 'saved', id: 'report-saved', role: 'status' })),
    h('p', { className: 'form-error error', role: 'alert' }));
  const url = `/api/v1/projects/${enc(p.code)}/settings/report`;
  const show = (s) => {
    form.elements.parent_agency.value = s.parent_agency || '';
    form.elements.doc_symbol.value = s.doc_symbol || '';
    printed.textContent = t('admin_projects.report_printed', {
      parent: s.printed_parent_agency || '—', agency: s.printed_agency, symbol: s.printed_doc_symbol,
    });
  };
  api(url).then(show).catch(() => { form.hidden = true; });
  bindForm(form, (values) => api(url, { method: 'PUT', body: { parent_agency: values.parent_agency || null, doc_symbol: values.doc_symbol || null } }), (s) => {
    show(s);
    document.getElementById('report-saved').textContent = t('admin_projects.report_saved');
  });
  return form;
}

function rowsOf(form, list, fields, values) {
  return [...form.querySelectorAll(`#${list} > .row`)].map((_, i) => {
    const row = {};
    for (const f of fields) row[f] = values[`${list}.${i}.${f}`] ?? '';
    return row;
  });
}

async function save(values, form) {
  document.getElementById('stale').hidden = true;
  readDates(form, values);
  const parties = rowsOf(form, 'parties', ['role_vi', 'role_en', 'organisation', 'contact_person', 'phone', 'email'], values)
    .map((r) => ({ ...r, contact_person: r.contact_person || null, phone: r.phone || null, email: r.email || null }));
  const milestones = rowsOf(form, 'milestones', ['on_date', 'title_vi', 'title_en'], values);
  milestones.forEach((m, i) => {
    if (!m.on_date) throw new FieldError(`milestones.${i}.on_date`, t('admin_projects.date_required'));
  });
  const body = {
    name: values.name,
    investor: values.investor,
    notice_date: values.notice_date,
    target_handover_date: values.target_handover_date,
    agency: values.agency || null,
    contact: values.contact || null,
    parties,
    milestones,
  };
  if (state.pending !== undefined) body.boundary = state.pending;
  try {
    return await api(`/api/v1/projects/${enc(state.project.code)}`, {
      method: 'PATCH', body, headers: { 'if-match': `"${state.project.version}"` },
    });
  } catch (err) {
    if (err instanceof ApiError && err.status === 412) {
      showStale(err.details?.updated_by);
      return null;
    }
    throw err;
  }
}

/** Someone saved first: say who, keep what was typed, offer the latest version. */
function showStale(who) {
  const box = document.getElementById('stale');
  const reload = h('button', { type: 'button', id: 'reload-project', textContent: t('admin_projects.reload') });
  reload.addEventListener('click', () => openEditor(state.project.code));
  box.replaceChildren(h('p', { textContent: t('admin_projects.stale', { who: who || t('admin_projects.someone') }) }), reload);
  box.hidden = false;
  box.scrollIntoView({ block: 'nearest' });
  reload.focus();
}

// ---- page -----------------------------------------------------------------------------------

if (user) {
  const create = h('button', { type: 'button', id: 'new-project', textContent: t('admin_projects.new') });
  create.addEventListener('click', () => {
    closeEditor();
    renderCreate();
  });
  main.replaceChildren(
    h('section', { className: 'projects-toolbar' },
      h('h2', { textContent: t('admin_projects.list') }), create),
    h('section', { id: 'project-list' }),
    h('section', { id: 'editor' }));
  await renderList();
  const asked = new URLSearchParams(location.search).get('project');
  if (asked) await openEditor(asked).catch((err) => showFormError(main, err));
}

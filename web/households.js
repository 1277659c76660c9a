// Households list (desktop): search without diacritics by name, code or CCCD, filter by
// commune, stance and stage reached; each row opens the case file /households/{id}.
import { startPage, h } from './lib/shell.js';
import { api } from './lib/api.js';
import { t, fmtDate } from './lib/i18n.js';

const STANCES = ['agrees', 'considering', 'disagrees', 'refuses_contact'];
const STAGES = ['briefing', 'notice', 'inventory', 'plan_posted', 'plan_approved', 'recovery_decision', 'paid', 'handed_over', 'resettled', 'enforcement'];

const user = await startPage({ namespaces: ['households', 'legal'], roles: ['admin', 'leader', 'district_leader', 'member'] });
if (user) await main();

function select(name, label, options, value = '') {
  const s = h('select', { name, id: `f-${name}` },
    h('option', { value: '', textContent: t('households.any') }),
    ...options.map(([v, text]) => h('option', { value: v, textContent: text })));
  s.value = value;
  return h('label', {}, h('span', { textContent: label }), ' ', s);
}

async function main() {
  const params = new URLSearchParams(location.search);
  const root = document.querySelector('main');
  const { items: projects } = await api('/api/v1/projects');
  const project = projects.find((p) => p.code === params.get('project')) || projects[0];
  let communes = [];
  if (project) {
    const progress = await api(`/api/v1/projects/${encodeURIComponent(project.code)}/progress`).catch(() => null);
    // By id: a code may name two units (21061 is Bình Trị until 2025, Vạn Tường since).
    communes = (progress?.by_commune || []).filter((c) => c.code).map((c) => [String(c.id), c.name]);
  }
  const projectSelect = h('select', { name: 'project', id: 'f-project' },
    ...projects.map((p) => h('option', { value: p.code, textContent: `${p.code} — ${p.name}` })));
  if (project) projectSelect.value = project.code;
  const form = h('form', { id: 'search', className: 'hh-filters', role: 'search' },
    h('label', {}, h('span', { textContent: t('households.project') }), ' ', projectSelect),
    h('label', { className: 'hh-q' }, h('span', { textContent: t('households.search') }), ' ',
      h('input', { name: 'q', id: 'f-q', type: 'search', value: params.get('q') || '', placeholder: t('households.search_hint'), autocomplete: 'off' })),
    select('commune_id', t('households.commune'), communes, params.get('commune_id') || ''),
    select('stance', t('households.stance'), STANCES.map((s) => [s, t(`stance.${s}`)]), params.get('stance') || ''),
    select('stage', t('households.stage'), STAGES.map((s) => [s, t(`legal.stage.${s}`)]), params.get('stage') || ''),
    h('button', { type: 'submit', textContent: t('households.find') }));
  const count = h('p', { id: 'count', className: 'muted', role: 'status' });
  const tbody = h('tbody');
  const more = h('button', { type: 'button', id: 'more', className: 'link', textContent: t('households.more'), hidden: true });
  const table = h('table', { id: 'households', className: 'hh-table' },
    h('thead', {}, h('tr', {}, ...['code', 'head_name', 'id_number', 'commune', 'stance', 'parcels', 'last_visit']
      .map((k) => h('th', { scope: 'col', textContent: t(`households.col.${k}`) })))),
    tbody);
  root.replaceChildren(form, count, h('div', { className: 'table-box' }, table), more);

  let cursor = null;
  let shown = 0;
  const query = () => {
    const v = Object.fromEntries(new FormData(form));
    const q = new URLSearchParams();
    for (const [k, val] of Object.entries(v)) if (val) q.set(k, val);
    return q;
  };
  const row = (hh) => h('tr', {},
    h('td', {}, h('a', { href: `/households/${hh.id}`, textContent: hh.code })),
    h('td', {}, h('a', { href: `/households/${hh.id}`, textContent: hh.head_name }),
      hh.split_after_cutoff ? h('span', { className: 'hh-flag', textContent: ` ${t('households.split_after_cutoff')}` }) : null),
    h('td', { textContent: hh.id_number || '' }),
    h('td', { textContent: hh.commune.name }),
    h('td', { textContent: t(`stance.${hh.stance || 'none'}`) }),
    h('td', { textContent: String(hh.parcels.length) }),
    h('td', { textContent: fmtDate(hh.last_visit_at) }));
  async function load(reset) {
    const q = query();
    if (reset) {
      history.replaceState(null, '', `?${q}`);
      tbody.replaceChildren();
      cursor = null;
      shown = 0;
    }
    q.set('limit', '50');
    if (cursor) q.set('cursor', cursor);
    try {
      const page = await api(`/api/v1/households?${q}`);
      tbody.append(...page.items.map(row));
      shown += page.items.length;
      cursor = page.next_cursor;
      more.hidden = !cursor;
      count.textContent = shown ? t(cursor ? 'households.count_more' : 'households.count', { n: shown }) : t('households.none');
      count.classList.remove('error');
    } catch (err) {
      count.textContent = err.message;
      count.classList.add('error');
    }
  }
  form.addEventListener('submit', (e) => { e.preventDefault(); load(true); });
  projectSelect.addEventListener('change', () => { location.search = `?project=${encodeURIComponent(projectSelect.value)}`; });
  more.addEventListener('click', () => load(false));
  await load(true);
}

// The audit log (administrators): who read or changed what, newest first, filtered by person,
// household, days and action; actions and record kinds in words, people by their names.
import { startPage, bindForm, h } from '../lib/shell.js';
import { api, allPages } from '../lib/api.js';
import { t, fmtDateTime } from '../lib/i18n.js';
import { dateInput, readDates } from '../lib/dates.js';

const ACTIONS = ['read', 'create', 'update', 'override', 'revoke', 'reset_password', 'login', 'login_failed',
  'import', 'export', 'report', 'done', 'reopen'];
const P = 'admin_audit.';
/** Detail fields whose values are vocabulary words (shown through the catalogue). */
const VOCABULARY_FIELDS = ['role', 'access', 'scope', 'kind', 'method'];
const tr = (key, vars) => t(P + key, vars);
/** A word from another namespace's catalogue, or `fallback`. */
const shared = (key, fallback) => (t(key) === key ? fallback : t(key));
/** A catalogue word for `prefix.value`, or the value itself when the catalogue has none. */
const word = (prefix, value) => {
  const key = `${P}${prefix}.${value}`;
  const text = t(key);
  return text === key ? value : text;
};

const user = await startPage({ namespaces: ['admin-audit', 'legal', 'grievances'], roles: ['admin'] });
if (user) await main();

async function main() {
  const mainEl = document.querySelector('main');
  const people = await allPages('/api/v1/users?limit=500');
  const names = new Map(people.map((p) => [p.username, p.display_name]));

  const userSelect = h('select', { name: 'user_id', id: 'audit-user' },
    h('option', { value: '', textContent: tr('filter.anyone') }),
    ...people.map((p) => h('option', { value: String(p.id), textContent: `${p.display_name} (${p.username})` })));
  const actionSelect = h('select', { name: 'action', id: 'audit-action' },
    h('option', { value: '', textContent: tr('filter.any_action') }),
    ...ACTIONS.map((a) => h('option', { value: a, textContent: word('action', a) })));
  const field = (label, input) => h('label', {}, h('span', { textContent: label }), ' ', input);
  const form = h('form', { id: 'audit-filters', className: 'filters' },
    field(tr('filter.user'), userSelect),
    field(tr('filter.household'), h('input', { name: 'household', id: 'audit-household', inputMode: 'numeric', pattern: '\\d*', size: 8 })),
    field(tr('filter.from'), dateInput({ name: 'from', id: 'audit-from' })),
    field(tr('filter.to'), dateInput({ name: 'to', id: 'audit-to' })),
    field(tr('filter.action'), actionSelect),
    h('div', { className: 'buttons' },
      h('button', { type: 'submit', textContent: tr('filter.apply') }),
      h('button', { type: 'reset', className: 'link', textContent: tr('filter.clear') })));

  const count = h('p', { id: 'audit-count', className: 'muted', role: 'status' });
  const body = h('tbody');
  const table = h('table', { className: 'people-table audit-table', id: 'audit-table' },
    h('thead', {}, h('tr', {}, ...['at', 'who', 'action', 'what', 'detail']
      .map((k) => h('th', { scope: 'col', textContent: tr(`col.${k}`) })))), body);
  const more = h('button', { type: 'button', id: 'audit-more', hidden: true, textContent: tr('more') });
  mainEl.replaceChildren(form, count, h('div', { className: 'table-box' }, table), more);

  let query = new URLSearchParams();
  let cursor = null;
  let shown = 0;

  function who(e) {
    if (e.user_display_name) return e.user_display_name;
    if (e.actor.startsWith('user:')) return names.get(e.actor.slice(5)) || e.actor.slice(5);
    if (e.actor.startsWith('token:')) return tr('actor.token', { id: e.actor.slice(6) });
    return tr('actor.system');
  }

  function what(e) {
    const kind = word('entity', e.entity);
    const cell = h('td', { className: 'text' }, kind);
    if (!e.entity_id) return cell;
    const link = ['household', 'case'].includes(e.entity)
      ? h('a', { href: `/households/${encodeURIComponent(e.entity_id)}`, textContent: ` #${e.entity_id}` })
      : ` #${e.entity_id}`;
    cell.append(link);
    return cell;
  }

  function detail(e) {
    const d = e.detail && typeof e.detail === 'object' ? e.detail : {};
    const parts = [];
    for (const [k, v] of Object.entries(d)) {
      if (v === null || v === undefined || (Array.isArray(v) && !v.length)) continue;
      // A record inside the detail (e.g. an inventory's resettlement) is named field by field too.
      const text = typeof v === 'object' && !Array.isArray(v)
        ? Object.entries(v).map(([k2, v2]) => `${word('field', k2)} ${VOCABULARY_FIELDS.includes(k2) ? word('value', v2) : v2}`).join(', ')
        : typeof v === 'object' ? JSON.stringify(v)
        : typeof v === 'boolean' ? tr(v ? 'yes' : 'no')
          : VOCABULARY_FIELDS.includes(k) ? word('value', v)
            // Stages and statuses are named by the shared catalogues, never shown as codes.
            : k === 'stage' || k === 'needs' ? shared(`legal.stage.${v}`, v)
              : k === 'status' ? shared(`status.${v}`, shared(`grievances.status.${v}`, v))
                : String(v);
      parts.push(`${word('field', k)}: ${text}`);
    }
    return h('td', { className: 'text detail', textContent: parts.join(' · ') });
  }

  async function load(reset) {
    if (reset) { body.replaceChildren(); cursor = null; shown = 0; }
    const q = new URLSearchParams(query);
    q.set('limit', '50');
    if (cursor) q.set('cursor', cursor);
    const page = await api(`/api/v1/audit?${q}`);
    for (const e of page.items) {
      const row = h('tr', {},
        h('td', { textContent: fmtDateTime(e.at) }),
        h('td', { className: 'text who', textContent: who(e) }),
        h('td', { className: 'text' }, h('span', { className: 'badge', textContent: word('action', e.action) })),
        what(e), detail(e));
      row.dataset.action = e.action;
      body.append(row);
    }
    shown += page.items.length;
    cursor = page.next_cursor;
    more.hidden = !cursor;
    count.textContent = shown ? tr(cursor ? 'count_more' : 'count', { n: shown }) : tr('none');
  }

  bindForm(form, async (values, f) => {
    readDates(f, values);
    query = new URLSearchParams();
    for (const [k, v] of Object.entries(values)) if (v) query.set(k, String(v).trim());
    await load(true);
  });
  form.addEventListener('reset', () => setTimeout(() => { query = new URLSearchParams(); load(true); }));
  more.addEventListener('click', async () => {
    more.disabled = true;
    try { await load(false); } finally { more.disabled = false; }
  });
  await load(true);
  mainEl.dataset.ready = 'true';
}

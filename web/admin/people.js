// People and access (administrators): user accounts, working groups (with the communes they
// cover, picked from the admin-unit tree before or after the 2025 reform) and API tokens per
// project (the secret shown once). Three tabs; the address's #users / #groups / #tokens picks one.
import { startPage, bindForm, h } from '../lib/shell.js';
import { api, allPages } from '../lib/api.js';
import { t, fmtDateTime } from '../lib/i18n.js';

const ROLES = ['admin', 'leader', 'district_leader', 'member'];
const TABS = ['users', 'groups', 'tokens'];
const P = 'admin_people.';
const tr = (key, vars) => t(P + key, vars);

const user = await startPage({ namespaces: ['admin-people'], roles: ['admin'] });
if (user) await main();

/** Vietnamese folded for search: no diacritics, `đ` → `d`, lower case. */
function fold(text) {
  return String(text || '').normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/đ/gi, 'd').toLowerCase();
}

function labelled(text, input, hint) {
  return h('label', {}, h('span', { textContent: text }), ' ', input, hint ? h('small', { className: 'hint', textContent: hint }) : null);
}

function select(name, options, value) {
  const s = h('select', { name });
  for (const [v, text] of options) s.append(h('option', { value: v, textContent: text, selected: v === value }));
  return s;
}

function status(el, text, kind = 'ok') {
  el.textContent = text;
  el.className = `status ${kind}`;
}

async function main() {
  const mainEl = document.querySelector('main');
  const tabs = h('div', { className: 'tabs', role: 'tablist', ariaLabel: tr('tabs') });
  const panels = {};
  for (const name of TABS) {
    const button = h('button', { type: 'button', role: 'tab', id: `tab-${name}`, className: 'tab', textContent: tr(`tab.${name}`) });
    button.setAttribute('aria-controls', `panel-${name}`);
    button.addEventListener('click', () => { location.hash = name; });
    tabs.append(button);
    panels[name] = h('section', { id: `panel-${name}`, role: 'tabpanel', className: 'panel' });
    panels[name].setAttribute('aria-labelledby', `tab-${name}`);
  }
  const message = h('p', { id: 'people-message', className: 'status', role: 'status' });
  mainEl.replaceChildren(tabs, message, ...Object.values(panels));

  const shown = new Set();
  const show = async () => {
    const name = TABS.includes(location.hash.slice(1)) ? location.hash.slice(1) : 'users';
    for (const n of TABS) {
      const on = n === name;
      panels[n].hidden = !on;
      document.getElementById(`tab-${n}`).setAttribute('aria-selected', String(on));
    }
    if (!shown.has(name)) {
      shown.add(name);
      try {
        await { users: usersTab, groups: groupsTab, tokens: tokensTab }[name](panels[name]);
      } catch (err) {
        status(message, err.message, 'error');
      }
    }
    panels[name].dataset.ready = 'true';
  };
  window.addEventListener('hashchange', show);
  await show();
}

// ---- users -------------------------------------------------------------------------------

async function usersTab(panel) {
  const list = h('div', { className: 'table-box' });
  const note = h('p', { className: 'status', role: 'status', id: 'users-status' });

  const form = h('form', { id: 'user-create', className: 'card' },
    h('h2', { textContent: tr('users.new') }),
    h('div', { className: 'form-grid' },
      labelled(tr('users.username'), h('input', { name: 'username', required: true, maxLength: 64, autocomplete: 'off' }), tr('users.username_hint')),
      labelled(tr('users.display_name'), h('input', { name: 'display_name', required: true, maxLength: 200 })),
      labelled(tr('users.role'), select('role', ROLES.map((r) => [r, tr(`role.${r}`)]), 'member')),
      labelled(tr('users.password'), h('input', { name: 'password', type: 'password', required: true, autocomplete: 'new-password' }), tr('users.password_hint'))),
    h('button', { type: 'submit', textContent: tr('users.create') }));
  bindForm(form, (values) => api('/api/v1/users', { method: 'POST', body: values }), async (created) => {
    form.reset();
    status(note, tr('users.created', { name: created.display_name }));
    await refresh();
  });

  async function refresh() {
    const users = await allPages('/api/v1/users?limit=500');
    const table = h('table', { className: 'people-table', id: 'users-table' },
      h('thead', {}, h('tr', {}, ...['username', 'display_name', 'role', 'state', 'last_login', 'actions']
        .map((k) => h('th', { scope: 'col', textContent: tr(`users.col.${k}`) })))));
    const body = h('tbody');
    for (const u of users) body.append(userRow(u, refresh, note));
    table.append(body);
    list.replaceChildren(table);
  }

  panel.replaceChildren(h('h2', { textContent: tr('users.title') }), note, list, form);
  await refresh();
}

function userRow(u, refresh, note) {
  const row = h('tr', { id: `user-${u.username}` });
  row.dataset.userId = u.id;
  row.append(h('td', { textContent: u.username }));

  // Display name and role change in a small form of their own.
  const edit = h('form', { className: 'inline-form role-form' },
    h('label', { className: 'sr-only', htmlFor: `role-${u.id}`, textContent: tr('users.role') }),
    select('role', ROLES.map((r) => [r, tr(`role.${r}`)]), u.role),
    h('button', { type: 'submit', className: 'small', textContent: tr('users.save_role') }));
  edit.querySelector('select').id = `role-${u.id}`;
  bindForm(edit, (values) => api(`/api/v1/users/${u.id}`, { method: 'PATCH', body: { role: values.role } }), async (saved) => {
    status(note, tr('users.saved', { name: saved.display_name }));
    await refresh();
  });
  row.append(h('td', { textContent: u.display_name, className: 'text' }));
  row.append(h('td', { className: 'text' }, edit));
  row.append(h('td', { className: 'text' }, h('span', {
    className: `badge ${u.disabled ? 'off' : 'on'}`, textContent: tr(u.disabled ? 'users.disabled' : 'users.enabled'),
  })));
  row.append(h('td', { textContent: u.last_login_at ? fmtDateTime(u.last_login_at) : tr('users.never') }));

  const actions = h('td', { className: 'text actions' });
  const toggle = h('form', { className: 'inline-form' },
    h('button', { type: 'submit', className: u.disabled ? 'small' : 'small danger', textContent: tr(u.disabled ? 'users.enable' : 'users.disable') }));
  toggle.dataset.action = u.disabled ? 'enable' : 'disable';
  bindForm(toggle, () => api(`/api/v1/users/${u.id}`, { method: 'PATCH', body: { disabled: !u.disabled } }), async (saved) => {
    status(note, tr(saved.disabled ? 'users.disabled_done' : 'users.enabled_done', { name: saved.display_name }));
    await refresh();
  });
  const reset = h('form', { className: 'inline-form reset-form' },
    h('label', {}, h('span', { className: 'sr-only', textContent: tr('users.new_password') }),
      h('input', { name: 'password', type: 'password', required: true, autocomplete: 'new-password', placeholder: tr('users.new_password'), size: 14 })),
    h('button', { type: 'submit', className: 'small', textContent: tr('users.reset') }));
  bindForm(reset, (values) => api(`/api/v1/users/${u.id}/password`, { method: 'POST', body: values }), () => {
    reset.reset();
    status(note, tr('users.reset_done', { name: u.display_name }));
  });
  actions.append(toggle, reset);
  row.append(actions);
  return row;
}

// ---- working groups ------------------------------------------------------------------------

async function groupsTab(panel) {
  const note = h('p', { className: 'status', role: 'status', id: 'groups-status' });
  const list = h('div', { className: 'table-box' });
  const editor = h('div', { id: 'group-editor' });
  const [projects, users] = await Promise.all([
    allPages('/api/v1/projects?limit=500'),
    allPages('/api/v1/users?limit=500'),
  ]);
  // The units of each project's province (both periods), fetched when a form first needs
  // them: the whole country is some 14,000 units, far too many for one picker.
  const trees = new Map();
  const treeOf = (project) => {
    if (!trees.has(project)) {
      trees.set(project, allPages(`/api/v1/admin-units?project=${encodeURIComponent(project)}&limit=500`)
        .then(unitTree)
        .catch((e) => { trees.delete(project); throw e; }));
    }
    return trees.get(project);
  };

  async function refresh() {
    const groups = await allPages('/api/v1/working-groups?limit=500');
    const table = h('table', { className: 'people-table', id: 'groups-table' },
      h('thead', {}, h('tr', {}, ...['name', 'project', 'leader', 'members', 'area', 'actions']
        .map((k) => h('th', { scope: 'col', textContent: tr(`groups.col.${k}`) })))));
    const body = h('tbody');
    for (const g of groups) {
      const edit = h('button', { type: 'button', className: 'small', textContent: tr('groups.edit') });
      edit.addEventListener('click', () => openEditor(g).catch((e) => status(note, e.message, 'error')));
      const row = h('tr', { id: `group-${g.id}` },
        h('td', { textContent: g.name }),
        h('td', { className: 'text', textContent: g.project }),
        h('td', { className: 'text', textContent: g.leader?.display_name || '—' }),
        h('td', { className: 'text', textContent: g.members.map((m) => m.display_name).join(', ') }),
        h('td', { className: 'text area-cell', textContent: g.area.map((a) => a.name).join(', ') }),
        h('td', { className: 'text' }, edit));
      body.append(row);
    }
    table.append(body);
    list.replaceChildren(table);
  }

  async function openEditor(group) {
    const project = group?.project || projects[0]?.code;
    const tree = project ? await treeOf(project) : unitTree([]);
    const form = groupForm(group, { projects, users, tree, treeOf });
    bindForm(form, (values, f) => {
      const body = {
        name: values.name,
        project: values.project,
        leader_id: values.leader_id ? Number(values.leader_id) : null,
        member_ids: new FormData(f).getAll('member_ids').filter(Boolean).map(Number),
        area_ids: new FormData(f).getAll('area_ids').filter(Boolean).map(Number),
      };
      if (group) return api(`/api/v1/working-groups/${group.id}`, { method: 'PATCH', body });
      if (body.leader_id === null) delete body.leader_id;
      return api('/api/v1/working-groups', { method: 'POST', body });
    }, async (saved) => {
      // The list is redrawn before the form closes, so what the user sees next is current.
      await refresh();
      editor.replaceChildren();
      status(note, tr(group ? 'groups.saved' : 'groups.created', { name: saved.name }));
    });
    editor.replaceChildren(form);
    form.querySelector('input[name=name]').focus();
  }

  const add = h('button', { type: 'button', id: 'group-new', textContent: tr('groups.new') });
  add.addEventListener('click', () => openEditor(null).catch((e) => status(note, e.message, 'error')));
  panel.replaceChildren(h('h2', { textContent: tr('groups.title') }), note, list, add, editor);
  await refresh();
}

/** Units in two trees: before the 2025 reform (province → district → commune) and after
 *  (province → commune); parent codes are unambiguous within one period. */
function unitTree(units) {
  const build = (rows) => {
    const byCode = new Map(rows.map((u) => [u.code, { ...u, children: [] }]));
    const roots = [];
    for (const node of byCode.values()) {
      const parent = node.parent_code ? byCode.get(node.parent_code) : null;
      if (parent) parent.children.push(node); else roots.push(node);
    }
    const sort = (nodes) => { nodes.sort((a, b) => a.name.localeCompare(b.name, 'vi')); nodes.forEach((n) => sort(n.children)); };
    sort(roots);
    return roots;
  };
  return {
    before: build(units.filter((u) => u.valid_to)),
    after: build(units.filter((u) => !u.valid_to)),
    byId: new Map(units.map((u) => [u.id, u])),
  };
}

function groupForm(group, { projects, users, tree: firstTree, treeOf }) {
  let tree = firstTree;
  // The group's own units, should one lie outside the project's province.
  const known = new Map((group?.area || []).map((a) => [a.id, a]));
  const chosen = new Set((group?.area || []).map((a) => a.id));
  const memberIds = new Set((group?.members || []).map((m) => m.id));
  const form = h('form', { id: 'group-form', className: 'card' },
    h('h3', { textContent: group ? tr('groups.editing', { name: group.name }) : tr('groups.new') }));
  const grid = h('div', { className: 'form-grid' },
    labelled(tr('groups.name'), h('input', { name: 'name', required: true, maxLength: 200, value: group?.name || '' })),
    labelled(tr('groups.project'), select('project', projects.map((p) => [p.code, `${p.code} — ${p.name}`]), group?.project || projects[0]?.code)),
    labelled(tr('groups.leader'), select('leader_id', [['', tr('groups.no_leader')],
      ...users.filter((u) => !u.disabled || u.id === group?.leader?.id).map((u) => [String(u.id), `${u.display_name} (${u.username})`])],
    group?.leader ? String(group.leader.id) : '')));
  form.append(grid);

  const members = h('fieldset', { className: 'members' }, h('legend', { textContent: tr('groups.members') }));
  for (const u of users.filter((x) => x.role !== 'admin' && (!x.disabled || memberIds.has(x.id)))) {
    members.append(h('label', { className: 'check' },
      h('input', { type: 'checkbox', name: 'member_ids', value: String(u.id), checked: memberIds.has(u.id) }),
      ` ${u.display_name} (${u.username}, ${tr(`role.${u.role}`)})`));
  }
  form.append(members);

  // Communes: a tree of the period chosen, a filter box, and the list of what is chosen.
  const area = h('fieldset', { className: 'area-picker' }, h('legend', { textContent: tr('groups.area') }));
  const chips = h('ul', { className: 'chips', id: 'area-chosen', ariaLabel: tr('groups.area_chosen') });
  const hidden = h('div', { hidden: true });
  const treeBox = h('div', { className: 'unit-tree', id: 'unit-tree' });
  const era = h('div', { className: 'era', role: 'radiogroup', ariaLabel: tr('groups.era') });
  const hasAfter = [...chosen].some((id) => !tree.byId.get(id)?.valid_to);
  let current = chosen.size && !hasAfter ? 'before' : 'after';
  for (const e of ['after', 'before']) {
    const input = h('input', { type: 'radio', name: 'era', value: e, checked: e === current });
    input.addEventListener('change', () => { current = e; drawTree(); });
    era.append(h('label', { className: 'check' }, input, ` ${tr(`groups.era_${e}`)}`));
  }
  const filter = h('input', { type: 'search', id: 'unit-filter', placeholder: tr('groups.filter_hint'), autocomplete: 'off' });
  filter.addEventListener('input', () => drawTree());

  function drawChips() {
    chips.replaceChildren();
    hidden.replaceChildren();
    for (const id of chosen) {
      const u = tree.byId.get(id) || known.get(id);
      if (!u) continue;
      const remove = h('button', { type: 'button', className: 'chip-remove', textContent: '×', ariaLabel: tr('groups.remove_unit', { name: u.name }) });
      remove.addEventListener('click', () => { chosen.delete(id); drawChips(); drawTree(); });
      const era = !tree.byId.has(id) ? '' : u.valid_to ? tr('groups.before_2025') : tr('groups.after_2025');
      chips.append(h('li', {}, `${u.name} `, h('small', { textContent: era }), ' ', remove));
      hidden.append(h('input', { type: 'hidden', name: 'area_ids', value: String(id) }));
    }
    if (!chosen.size) chips.append(h('li', { className: 'muted', textContent: tr('groups.no_area') }));
  }

  function drawTree() {
    const needle = fold(filter.value.trim());
    const matches = (n) => !needle || fold(n.name).includes(needle) || n.code === needle || n.children.some(matches);
    const node = (n, depth) => {
      if (!matches(n)) return null;
      const box = h('input', { type: 'checkbox', value: String(n.id), checked: chosen.has(n.id) });
      box.dataset.unit = n.code;
      box.addEventListener('change', () => { if (box.checked) chosen.add(n.id); else chosen.delete(n.id); drawChips(); });
      const line = h('label', { className: 'check' }, box, ` ${n.name} `, h('small', { textContent: n.code }));
      if (!n.children.length) return h('li', {}, line);
      const kids = h('ul', {}, ...n.children.map((c) => node(c, depth + 1)).filter(Boolean));
      const open = Boolean(needle) || n.children.some((c) => chosen.has(c.id)) || depth === 0;
      return h('li', {}, h('details', { open }, h('summary', {}, line), kids));
    };
    const roots = tree[current].map((r) => node(r, 0)).filter(Boolean);
    treeBox.replaceChildren(roots.length ? h('ul', { className: 'tree-root' }, ...roots) : h('p', { className: 'muted', textContent: tr('groups.no_match') }));
  }

  // `area_ids` errors show beside the chosen list (the hidden inputs cannot take focus).
  const anchor = h('input', { name: 'area_ids', type: 'text', readOnly: true, tabIndex: -1, className: 'sr-only', ariaHidden: 'true' });
  area.append(era, labelled(tr('groups.filter'), filter), treeBox, h('p', { textContent: tr('groups.area_chosen') }), chips, anchor, hidden);
  form.append(area);
  drawChips();
  drawTree();
  // Another project, another province: its units replace the tree (chosen ones stay).
  form.querySelector('select[name=project]').addEventListener('change', async (e) => {
    tree = await treeOf(e.target.value);
    drawChips();
    drawTree();
  });

  const cancel = h('button', { type: 'button', className: 'link', textContent: tr('groups.cancel') });
  cancel.addEventListener('click', () => form.remove());
  form.append(h('div', { className: 'buttons' }, h('button', { type: 'submit', textContent: tr(group ? 'groups.save' : 'groups.create') }), cancel));
  return form;
}

// ---- API tokens ------------------------------------------------------------------------------

async function tokensTab(panel) {
  const projects = await allPages('/api/v1/projects?limit=500');
  const note = h('p', { className: 'status', role: 'status', id: 'tokens-status' });
  const list = h('div', { className: 'table-box' });
  const secretBox = h('div', { id: 'token-secret', className: 'secret', hidden: true, role: 'alert' });
  const picker = select('project', projects.map((p) => [p.code, `${p.code} — ${p.name}`]), projects[0]?.code);
  picker.id = 'tokens-project';
  picker.addEventListener('change', () => { secretBox.hidden = true; refresh(); });

  const form = h('form', { id: 'token-create', className: 'card' },
    h('h3', { textContent: tr('tokens.new') }),
    h('div', { className: 'form-grid' },
      labelled(tr('tokens.label'), h('input', { name: 'label', required: true, maxLength: 100 }), tr('tokens.label_hint')),
      labelled(tr('tokens.access'), select('access', [['read', tr('access.read')], ['write', tr('access.write')]], 'read'))),
    h('button', { type: 'submit', textContent: tr('tokens.create') }));
  bindForm(form, (values) => api(`/api/v1/projects/${encodeURIComponent(picker.value)}/tokens`, { method: 'POST', body: values }), async (created) => {
    form.reset();
    showSecret(created);
    await refresh();
  });

  function showSecret(created) {
    const code = h('code', { id: 'token-secret-value', textContent: created.secret });
    const copy = h('button', { type: 'button', id: 'token-copy', className: 'small', textContent: tr('tokens.copy') });
    const copied = h('span', { className: 'status', role: 'status' });
    copy.addEventListener('click', async () => {
      try {
        await navigator.clipboard.writeText(created.secret);
        copied.textContent = tr('tokens.copied');
      } catch {
        // No clipboard (plain http): select the text so Ctrl+C copies it.
        const range = document.createRange();
        range.selectNodeContents(code);
        getSelection().removeAllRanges();
        getSelection().addRange(range);
        copied.textContent = tr('tokens.copy_by_hand');
      }
    });
    const hide = h('button', { type: 'button', className: 'link', textContent: tr('tokens.hide') });
    hide.addEventListener('click', () => { secretBox.hidden = true; secretBox.replaceChildren(); });
    secretBox.replaceChildren(
      h('strong', { textContent: tr('tokens.secret_title', { label: created.token.label }) }),
      h('p', { className: 'warning', textContent: tr('tokens.secret_warning') }),
      h('div', { className: 'secret-line' }, code, copy, copied), hide);
    secretBox.hidden = false;
    copy.focus();
  }

  async function refresh() {
    const tokens = await allPages(`/api/v1/projects/${encodeURIComponent(picker.value)}/tokens?limit=500`);
    const table = h('table', { className: 'people-table', id: 'tokens-table' },
      h('thead', {}, h('tr', {}, ...['label', 'access', 'created', 'created_by', 'last_used', 'state', 'actions']
        .map((k) => h('th', { scope: 'col', textContent: tr(`tokens.col.${k}`) })))));
    const body = h('tbody');
    for (const tk of tokens.slice().reverse()) {
      const actions = h('td', { className: 'text' });
      if (!tk.revoked_at) {
        const revoke = h('button', { type: 'button', className: 'small danger', textContent: tr('tokens.revoke') });
        revoke.addEventListener('click', async () => {
          if (!confirm(tr('tokens.revoke_confirm', { label: tk.label }))) return;
          revoke.disabled = true;
          try {
            await api(`/api/v1/tokens/${tk.id}`, { method: 'DELETE' });
            status(note, tr('tokens.revoked_done', { label: tk.label }));
            await refresh();
          } catch (err) {
            status(note, err.message, 'error');
            revoke.disabled = false;
          }
        });
        actions.append(revoke);
      }
      const row = h('tr', { id: `token-${tk.id}` },
        h('td', { textContent: tk.label }),
        h('td', { className: 'text', textContent: tr(`access.${tk.access}`) }),
        h('td', { textContent: fmtDateTime(tk.created_at) }),
        h('td', { className: 'text', textContent: tk.created_by?.display_name || tr('tokens.cli') }),
        h('td', { textContent: tk.last_used_at ? fmtDateTime(tk.last_used_at) : tr('tokens.never') }),
        h('td', { className: 'text' }, h('span', {
          className: `badge ${tk.revoked_at ? 'off' : 'on'}`,
          textContent: tk.revoked_at ? tr('tokens.revoked_at', { at: fmtDateTime(tk.revoked_at) }) : tr('tokens.active'),
        })),
        actions);
      body.append(row);
    }
    table.append(body);
    list.replaceChildren(tokens.length ? table : h('p', { className: 'muted', textContent: tr('tokens.none') }));
  }

  panel.replaceChildren(h('h2', { textContent: tr('tokens.title') }),
    h('p', { className: 'muted', textContent: tr('tokens.intro') }),
    labelled(tr('tokens.project'), picker), note, secretBox, form, list);
  await refresh();
}


// The page shell every desktop page shares: the header (title, navigation for the user's role,
// language switch, who is logged in, logout), the login form when nobody is, and the helpers
// forms use to show the server's refusals next to the field they concern.
//
// A page's HTML carries `<header id="shell" data-title-key="…"></header>` and `<main>`;
// its script calls `startPage({ namespaces, roles })` and gets the user back (or null when the
// page showed the login form or refused the role).
import { loadCatalogue, t, languageSwitch } from './i18n.js';
import { me, login, logout, changePassword } from './api.js';

/** Every page in the navigation, with the roles that see it (none = every logged-in role). */
export const PAGES = [
  { href: '/map', key: 'nav.map' },
  { href: '/dashboard', key: 'nav.dashboard' },
  { href: '/alerts', key: 'nav.alerts', roles: ['admin', 'leader', 'district_leader', 'member'] },
  { href: '/households', key: 'nav.households', roles: ['admin', 'leader', 'district_leader', 'member'] },
  { href: '/grievances', key: 'nav.grievances', roles: ['admin', 'leader', 'district_leader', 'member'] },
  { href: '/stages', key: 'nav.stages', roles: ['admin', 'leader', 'district_leader'] },
  { href: '/field', key: 'nav.field', roles: ['admin', 'leader', 'district_leader', 'member'] },
  { href: '/data', key: 'nav.data' },
  { href: '/admin/projects', key: 'nav.admin_projects', roles: ['admin'] },
  { href: '/admin/prices', key: 'nav.admin_prices', roles: ['admin'] },
  { href: '/admin/people', key: 'nav.admin_people', roles: ['admin'] },
  { href: '/admin/audit', key: 'nav.admin_audit', roles: ['admin'] },
  { href: '/admin/privacy', key: 'nav.admin_privacy', roles: ['admin', 'district_leader'] },
];

const visibleTo = (page, role) => !page.roles || page.roles.includes(role);

function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

function renderHeader(header, user) {
  const here = location.pathname.replace(/\/$/, '') || '/';
  const title = header.dataset.titleKey ? t(header.dataset.titleKey) : 'gpmb';
  const nav = el('nav', { className: 'shell-nav', ariaLabel: t('nav.label') });
  nav.append(el('a', { href: '/', textContent: 'gpmb', className: 'shell-home' }));
  if (user) {
    for (const page of PAGES.filter((p) => visibleTo(p, user.user.role))) {
      const a = el('a', { href: page.href, textContent: t(page.key) });
      if (here === page.href) a.setAttribute('aria-current', 'page');
      nav.append(a);
    }
  }
  const tools = el('div', { className: 'shell-tools' });
  const langButton = el('button', { type: 'button', id: 'lang', className: 'link', textContent: t('lang.switch') });
  languageSwitch(langButton);
  tools.append(langButton);
  if (user) {
    // The user's name opens the form to change their own password.
    const name = el('button', { type: 'button', id: 'shell-user', className: 'link shell-user', textContent: user.user.full_name || user.user.username, title: t('password.title') });
    const dialog = passwordDialog();
    name.addEventListener('click', () => dialog.showModal());
    tools.append(name, dialog);
    const out = el('button', { type: 'button', id: 'logout', className: 'link', textContent: t('logout') });
    out.addEventListener('click', async () => {
      await logout().catch(() => {});
      location.reload();
    });
    tools.append(out);
  }
  header.classList.add('shell');
  header.replaceChildren(el('h1', { textContent: title }), nav, tools);
  document.title = `${title} – gpmb`;
}

/** The form to change one's own password; the other sessions end, this one stays. */
function passwordDialog() {
  const note = el('p', { className: 'shell-note', role: 'status' });
  const form = el('form', { id: 'password-change', method: 'dialog' },
    el('h2', { textContent: t('password.title') }),
    el('label', {}, el('span', { textContent: t('password.current') }), ' ',
      el('input', { name: 'current_password', type: 'password', autocomplete: 'current-password', required: true })),
    el('label', {}, el('span', { textContent: t('password.new') }), ' ',
      el('input', { name: 'new_password', type: 'password', autocomplete: 'new-password', required: true, minLength: 12 })),
    el('p', { className: 'shell-hint', textContent: t('password.hint') }),
    el('button', { type: 'submit', textContent: t('password.submit') }),
    el('button', { type: 'button', className: 'link', value: 'cancel', textContent: t('password.cancel'), onclick: () => dialog.close() }),
    note);
  const dialog = el('dialog', { className: 'shell-dialog' }, form);
  bindForm(form, (v) => changePassword(v.current_password, v.new_password), () => {
    form.reset();
    note.textContent = t('password.done');
  });
  dialog.addEventListener('close', () => { note.textContent = ''; clearFormErrors(form); });
  return dialog;
}

function renderLogin(main) {
  const error = el('p', { className: 'error', role: 'alert', id: 'login-error' });
  const form = el('form', { id: 'login', className: 'shell-login' },
    el('h2', { textContent: t('login.title') }),
    el('label', {}, el('span', { textContent: t('login.username') }), ' ',
      el('input', { name: 'username', autocomplete: 'username', required: true, maxLength: 64 })),
    el('label', {}, el('span', { textContent: t('login.password') }), ' ',
      el('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true })),
    el('button', { type: 'submit', textContent: t('login.submit') }),
    error);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const data = Object.fromEntries(new FormData(form));
    try {
      await login(data.username, data.password);
      location.reload();
    } catch (err) {
      error.textContent = err.status === 401 ? t('login.failed') : err.message;
    }
  });
  main.replaceChildren(form);
  form.querySelector('input').focus();
}

/**
 * Loads the catalogues, draws the header and checks who is there. Returns the `/auth/me`
 * answer, or null when the page showed the login form (nobody logged in) or a refusal (the
 * role may not use this page).
 */
export async function startPage({ namespaces = [], roles = null } = {}) {
  await loadCatalogue(namespaces);
  const header = document.getElementById('shell');
  const main = document.querySelector('main');
  let user = null;
  try {
    user = await me();
  } catch (err) {
    if (header) renderHeader(header, null);
    main.replaceChildren(el('p', { className: 'error', role: 'alert', textContent: err.message }));
    return null;
  }
  if (header) renderHeader(header, user);
  if (!user) {
    renderLogin(main);
    return null;
  }
  if (roles && !roles.includes(user.user.role)) {
    main.replaceChildren(el('p', { className: 'error', role: 'alert', id: 'forbidden', textContent: t('error.forbidden') }));
    return null;
  }
  return user;
}

/** Clears the messages a previous submit left on `form`. */
export function clearFormErrors(form) {
  for (const node of form.querySelectorAll('.field-error')) node.remove();
  for (const node of form.querySelectorAll('[aria-invalid]')) node.removeAttribute('aria-invalid');
  const box = form.querySelector('.form-error');
  if (box) box.textContent = '';
}

/**
 * Shows an ApiError on `form`: beside the field named by `err.details.field` when the form has
 * it, otherwise in the form's `.form-error` box. What the user typed stays in the form.
 */
export function showFormError(form, err) {
  clearFormErrors(form);
  const name = err?.details?.field;
  const input = name ? form.querySelector(`[name="${CSS.escape(name)}"]`) : null;
  const message = err?.message || String(err);
  if (input) {
    input.setAttribute('aria-invalid', 'true');
    const note = el('span', { className: 'field-error', role: 'alert', textContent: message });
    input.insertAdjacentElement('afterend', note);
    input.focus();
    return;
  }
  let box = form.querySelector('.form-error');
  if (!box) {
    box = el('p', { className: 'form-error error', role: 'alert' });
    form.append(box);
  }
  box.textContent = message;
}

/**
 * Wires `form` to `submit(values)`: the button is disabled while the request runs, errors are
 * shown with `showFormError`, and `done(result)` runs on success.
 */
export function bindForm(form, submit, done = () => {}) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = form.querySelector('[type=submit]');
    if (button) button.disabled = true;
    clearFormErrors(form);
    try {
      const result = await submit(Object.fromEntries(new FormData(form)), form);
      await done(result);
    } catch (err) {
      showFormError(form, err);
    } finally {
      if (button) button.disabled = false;
    }
  });
}

/** A small element builder for pages (`h('td', {textContent: …})`). */
export const h = el;

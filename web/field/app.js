// The field app of working groups (tổ công tác): "My work", the household page, the visit
// form, the inventory (kiểm đếm) form. Mobile first, Vietnamese first, usable offline: the
// shell is cached by the service worker (sw.js), API answers are kept encrypted in IndexedDB
// (vault.js) and wiped when the session ends, visits and inventories wait in the outbox.
import { loadCatalogue, t, lang, fmtDate, fmtDateTime, fmtNumber, languageSwitch } from '../lib/i18n.js';
import { api, ApiError, login, logout } from '../lib/api.js';
import { dateInput, timeInput, textToIso, textToTime, todayIso, vnDateTime } from '../lib/dates.js';
import { fmtMoney } from '../lib/money.js';
import * as outbox from './outbox.js';
import * as vault from './vault.js';

const WORK_URL = '/api/v1/my-work?limit=500';
const PREFETCH = 20;
const main = document.getElementById('main');
const state = { user: null, work: null, workFrom: null, groups: null, notice: null };

// ---- small helpers ---------------------------------------------------------------------

/** Replaces the page content; null and false entries are skipped. */
function show(...nodes) {
  main.replaceChildren(...nodes.flat().filter((n) => n !== null && n !== undefined && n !== false));
}

/** Builds an element: h('p', {class: 'x'}, 'text', child…). */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

/** Diacritic- and case-insensitive key, as the server folds (src/text.rs). */
export function fold(s) {
  return String(s ?? '').toLowerCase().normalize('NFKD').replace(/\p{M}/gu, '')
    .replace(/[đð]/g, 'd').replace(/\s+/g, ' ').trim();
}

/** `12/345`, `tờ 12 thửa 345`, `thửa 7` → {sheet, parcel}; null for other text. */
function parcelRef(folded) {
  const numbers = [];
  let thua = false;
  for (const tok of folded.split(/[\s/,:-]+/).filter(Boolean)) {
    const glued = tok.match(/^(thua|to|so|t)(\d+)$/);
    if (/^\d+$/.test(tok)) numbers.push(tok.replace(/^0+(?=\d)/, ''));
    else if (glued) { numbers.push(glued[2].replace(/^0+(?=\d)/, '')); if (glued[1] === 'thua') thua = true; }
    else if (['thua', 'to', 'so', 't', 'tbd', 'ban', 'do'].includes(tok)) { if (tok === 'thua') thua = true; }
    else return null;
  }
  if (numbers.length === 2) return { sheet: numbers[0], parcel: numbers[1] };
  if (numbers.length === 1 && thua) return { sheet: null, parcel: numbers[0] };
  return null;
}

function matches(item, folded, ref) {
  item._key ??= fold([item.head_name, ...(item.members || []).map((m) => m.name), item.id_number, item.code, item.address].join(' '));
  if (item._key.includes(folded)) return true;
  // The CCCD comes masked (`051*******45`): a full number typed matches on what is shown.
  if (/^\d{12}$/.test(folded) && item.id_number === `${folded.slice(0, 3)}*******${folded.slice(10)}`) return true;
  return !!ref && item.parcels.some((p) => p.parcel_no === ref.parcel && (!ref.sheet || p.map_sheet === ref.sheet));
}

const today = todayIso;

/** `{date: 'YYYY-MM-DD', time: 'HH:mm'}` in Vietnam time of an RFC 3339 instant (now when absent). */
function vnParts(value) {
  const at = value ? new Date(value) : new Date();
  const iso = new Date(at.getTime() + 7 * 3600e3).toISOString();
  return { date: iso.slice(0, 10), time: iso.slice(11, 16) };
}

/** A typed dd/mm/yyyy field read as `YYYY-MM-DD`; null when empty; throws naming the input when wrong. */
function readDate(input, required = false) {
  const text = input.value.trim();
  if (!text) {
    if (required) throw Object.assign(new Error(t('date.invalid')), { input });
    return null;
  }
  const iso = textToIso(text);
  if (!iso) throw Object.assign(new Error(t('date.invalid')), { input });
  return iso;
}

/** Marks `input` as refused with `message` beside it (and in `box`), and focuses it. */
function fieldRefusal(box, input, message) {
  box.textContent = message;
  if (!input) return;
  input.setAttribute('aria-invalid', 'true');
  input.focus();
}

/**
 * GET through the encrypted copy: the network when it answers (the answer is kept, sealed),
 * else the last kept answer. Returns {data, offline, at} or throws (ApiError, or 'offline' with
 * nothing kept). A 401 means the session ended: the copy and the keys are wiped first.
 */
async function cachedGet(url, { timeoutMs = 10_000 } = {}) {
  if (navigator.onLine) {
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), timeoutMs);
    try {
      // Never into the browser's HTTP cache, where it would sit in clear.
      const res = await fetch(url, { credentials: 'same-origin', cache: 'no-store', headers: { accept: 'application/json' }, signal: ctl.signal });
      if (res.ok) {
        const data = await res.json();
        await vault.cachePut(url, data);
        return { data, offline: false };
      }
      if (res.status === 401) await endSession();
      if (res.status < 500) {
        // 401/403/404 are answers, not outages: forget what was kept.
        await vault.cacheDelete(url);
        const body = await res.json().catch(() => ({}));
        const code = body?.error?.code || `http_${res.status}`;
        const key = `error.${code}`;
        throw new ApiError(res.status, code, t(key) !== key ? t(key) : (body?.error?.message || res.statusText));
      }
    } catch (err) {
      if (err?.status) throw err;
    } finally {
      clearTimeout(timer);
    }
  }
  const kept = await vault.cacheGet(url);
  if (kept) return { data: kept.data, offline: true, at: kept.at };
  throw Object.assign(new Error('offline'), { offline: true });
}

/** `api()` of lib/api.js; a 401 (the session ended) wipes the copy and shows the login. */
async function apiCall(...args) {
  try {
    return await api(...args);
  } catch (err) {
    if (err.status === 401) { await endSession(); renderLogin(); }
    throw err;
  }
}

/**
 * The session has ended (the server said 401) or the member logged out: the copy of households
 * and both keys go; records waiting in the outbox stay sealed for the next login.
 */
async function endSession() {
  const wiped = await vault.wipe();
  state.user = null;
  state.work = null;
  state.groups = null;
  document.getElementById('logout').hidden = true;
  if (wiped) state.notice = 'field.wiped.ended';
  renderSyncBar();
}

/** The server's keys for this session (GET /api/v1/field/key); throws ApiError or a network error. */
async function fetchKeys(timeoutMs = 8000) {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), timeoutMs);
  try {
    const res = await fetch('/api/v1/field/key', { credentials: 'same-origin', cache: 'no-store', headers: { accept: 'application/json' }, signal: ctl.signal });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) throw new ApiError(res.status, body?.error?.code || `http_${res.status}`, body?.error?.message || res.statusText);
    return body;
  } finally {
    clearTimeout(timer);
  }
}

function netStatus() {
  const el = document.getElementById('net');
  el.textContent = navigator.onLine ? '' : t('field.offline');
  el.classList.toggle('off', !navigator.onLine);
}

function focusHeading() {
  const h1 = main.querySelector('h1');
  if (h1) { h1.tabIndex = -1; h1.focus({ preventScroll: false }); }
}

function errorBox(err) {
  const msg = err?.offline ? t('field.not_cached') : (err?.message || String(err));
  return h('p', { class: 'error', role: 'alert' }, msg);
}

const reasonText = (r) => t(`field.reason.${r.kind}`, { date: r.date ? fmtDate(r.date) : '', days: r.days ?? '' });

function reasonChips(reasons) {
  if (!reasons?.length) return null;
  return h('ul', { class: 'chips' }, reasons.map((r) => h('li', { class: `chip ${r.kind}` },
    r.kind === 'not_visited' && r.days == null ? t('field.reason.never_visited') : reasonText(r))));
}

/** A translation, or `fallback` when the catalogue has no such key (vocabularies of other modules). */
const tr = (key, fallback) => (t(key) === key ? fallback : t(key));

/** A land-use code with its name (`ONT — Đất ở tại nông thôn`); the code alone if unknown. */
const landUse = (code) => (t(`field.land_use.${code}`) === `field.land_use.${code}` ? code : `${code} — ${t(`field.land_use.${code}`)}`);

const stanceBadge = (s) => h('span', { class: `badge stance-${s || 'none'}` }, t(`stance.${s || 'none'}`));

// ---- compensation summary ------------------------------------------------------------

/** Whole đồng as the language writes them (`1.234.567 đ`, `1,234,567 VND`), kept on one line. */
const money = (n) => h('span', { class: 'money' }, fmtMoney(n));

/** Where a plan version stands, in words: draft, posted until…, approved by decision… of… */
function planStatus(p) {
  if (p.status === 'approved') {
    return t('field.plan.status.approved', { decision: p.decision_no || '', date: fmtDate(p.approved_on) });
  }
  if (p.status === 'posted') {
    return p.posting_ends_on && p.posting_ends_on < today()
      ? t('field.plan.status.posted_over', { from: fmtDate(p.posted_on), until: fmtDate(p.posting_ends_on) })
      : t('field.plan.status.posted', { until: fmtDate(p.posting_ends_on) });
  }
  return t(`field.plan.status.${p.status}`);
}

/** "Phương án bồi thường: 1.234.567 đ (đã phê duyệt QĐ 1234/QĐ-UBND ngày 05/03/2026)". */
function planHead(p, key = 'field.plan.head', numbered = p.number > 1) {
  const [before, after] = t(numbered ? `${key}_n` : key, { n: p.number }).split('{net}');
  return h('p', { class: 'plan-head' }, h('strong', {}, before, money(p.net), after || ''), ` (${planStatus(p)})`);
}

/** The approved plan's money: due date, paid, deposited, balance, days late. */
function ledgerLine(p) {
  const l = p.ledger;
  if (!l) return null;
  const parts = [];
  if (l.due_on) parts.push(t('field.plan.due', { date: fmtDate(l.due_on) }));
  const amount = (key, n) => { const [a, b] = t(key).split('{amount}'); return [a, money(n), b || '']; };
  const items = [
    ...parts.map((x) => h('li', {}, x)),
    h('li', {}, amount('field.plan.paid', l.paid)),
    l.deposited ? h('li', {}, amount('field.plan.deposited', l.deposited)) : null,
    l.balance ? h('li', {}, amount('field.plan.balance', l.balance)) : h('li', { class: 'ok' }, t('field.plan.settled')),
    l.days_overdue > 0 ? h('li', { class: 'error' }, h('strong', {}, t('field.plan.overdue', { n: l.days_overdue }))) : null,
  ];
  return h('ul', { class: 'ledger small' }, items);
}

/** Group totals of a plan version, in the order the plan prints them. */
function planTotals(p) {
  if (!p.totals?.length) return null;
  return h('table', { class: 'plan-totals' },
    h('tbody', {}, p.totals.map((g) => h('tr', { class: g.amount < 0 ? 'minus' : '' },
      h('th', { scope: 'row' }, tr(`field.plan.group.${g.group}`, g.group)), h('td', {}, money(g.amount))))),
    h('tfoot', {}, h('tr', {}, h('th', { scope: 'row' }, t('field.plan.net')), h('td', {}, money(p.net)))));
}

/** The inventory record in one line, or "not counted yet". */
function inventoryLine(inv) {
  return h('p', { class: 'small muted inventory-line' }, inv
    ? t('field.plan.inventory', { no: inv.record_no, date: fmtDate(inv.inventoried_on), n: fmtNumber(inv.items) })
    : t('field.plan.no_inventory'));
}

/**
 * The household's compensation as the working group explains it (issue 17): the plan's net with
 * its decision, the totals per group, the ledger, the approved plan still being paid during a
 * revision, and the inventory record. "No plan yet" when there is none.
 */
function planSummary(comp, { id = 'plan-summary' } = {}) {
  const p = comp?.plan;
  // The first line says what it is ("Phương án bồi thường: …"): no heading above it.
  return h('section', { id, class: 'plan', 'aria-label': t('field.plan.title') },
    p ? [planHead(p), planTotals(p), ledgerLine(p)] : h('p', { class: 'plan-head' }, h('strong', {}, t('field.plan.none'))),
    comp?.approved ? h('div', { class: 'paying' }, planHead(comp.approved, 'field.plan.paying', true), ledgerLine(comp.approved)) : null,
    inventoryLine(comp?.inventory));
}

// ---- outbox bar ----------------------------------------------------------------------

async function renderSyncBar() {
  const bar = document.getElementById('sync');
  const queued = await outbox.all();
  const count = (state, kind) => queued.filter((r) => r.state === state && (r.kind || 'visit') === kind).length;
  const pending = queued.filter((r) => r.state === 'pending').length;
  const conflicts = queued.filter((r) => r.state === 'conflict').length;
  // Sealed under another account's key: they go when that account logs in on this phone.
  const locked = state.user ? await outbox.locked() : 0;
  // Logged out (or the session ended meanwhile): the login page says what waits.
  if (!state.user || (vault.available() && !vault.unlocked())) { bar.hidden = true; return; }
  const say = (key, n) => (n ? t(key, { n }) : null);
  bar.hidden = queued.length === 0 && locked === 0;
  bar.replaceChildren(
    locked ? h('span', { class: 'locked' }, t('field.sync.locked', { n: locked })) : '',
    pending ? h('span', { class: 'pending' }, [say('field.sync.pending', count('pending', 'visit')),
      say('field.sync.pending_inventory', count('pending', 'inventory'))].filter(Boolean).join(' · ')) : '',
    conflicts ? h('a', { href: '#/outbox', class: 'conflict' }, [say('field.sync.conflicts', count('conflict', 'visit')),
      say('field.sync.conflicts_inventory', count('conflict', 'inventory'))].filter(Boolean).join(' · ')) : '',
    pending ? h('button', { type: 'button', class: 'small', onclick: () => outbox.sync({ force: true }) }, t('field.sync.now')) : '',
  );
}

/** Why the server refused a queued record, in the member's words (kind-specific first). */
function conflictText(rec) {
  const code = rec.error?.code;
  const d = rec.error?.details || {};
  const vars = { who: d.updated_by || t('field.someone'), at: d.updated_at ? fmtDateTime(d.updated_at) : '', v: d.version ?? '' };
  const kind = rec.kind || 'visit';
  for (const key of [`field.conflict.${kind}.${code}`, `field.conflict.${code}`]) {
    if (t(key) !== key) return { text: t(key, vars), known: true };
  }
  return { text: kind === 'inventory' ? t('field.conflict.inventory.other') : t('field.conflict.other'), known: false };
}

function pendingCard(rec) {
  const b = rec.body;
  const hid = outbox.householdOf(rec);
  const inventory = rec.kind === 'inventory';
  const why = rec.state === 'conflict' ? conflictText(rec) : null;
  return h('li', { class: `pending-visit ${inventory ? 'pending-inventory' : ''} ${rec.state}`, 'data-key': rec.key },
    h('strong', {}, rec.label || `#${hid}`), ' ',
    h('span', { class: 'badge unsynced' }, rec.state === 'conflict' ? t('field.conflict') : t('field.unsynced')),
    h('div', { class: 'muted' }, inventory
      ? t('field.inventory.queued_line', { no: b.record_no, date: fmtDate(b.inventoried_on), n: fmtNumber(b.items.length) })
      : `${fmtDateTime(b.visited_at)} · ${t(`field.kind.${b.kind}`)} · ${t(`stance.${b.stance}`)}`),
    why ? h('div', { class: 'error', role: 'alert' },
      h('p', {}, why.text),
      // The server's own words only when the catalogue has none for its code (shown as said).
      !why.known
        ? h('p', { class: 'small server-message' }, t('field.conflict_reason', { status: rec.error?.status ?? '' }), ' ', rec.error?.message || '')
        : h('p', { class: 'small muted' }, t('field.conflict_code', { status: rec.error?.status ?? '' }))) : null,
    rec.state === 'conflict' ? h('div', { class: 'row' },
      h('a', { class: 'button small', href: inventory ? `#/h/${hid}/inventory/${rec.key}` : `#/h/${hid}/queued/${rec.key}` }, t('field.fix')),
      // A version conflict only goes through once the member has looked at the newer record.
      ['version_conflict', 'precondition_required'].includes(rec.error?.code) ? null
        : h('button', { type: 'button', class: 'small secondary', onclick: () => outbox.retry(rec.key) }, t('field.retry')),
      h('button', { type: 'button', class: 'small secondary', onclick: async () => {
        if (confirm(t(inventory ? 'field.discard_inventory_confirm' : 'field.discard_confirm'))) await outbox.remove(rec.key);
      } }, t(inventory ? 'field.discard_inventory' : 'field.discard'))) : null);
}

// ---- login -------------------------------------------------------------------------------

async function renderLogin() {
  const err = h('p', { class: 'error', role: 'alert', id: 'login-error' });
  // Why the phone's copy is gone, and what still waits to be sent (sealed for this account).
  const locked = await outbox.locked().catch(() => 0);
  const form = h('form', { id: 'login', class: 'card' },
    h('h1', {}, t('login.title')),
    state.notice ? h('p', { class: 'note', id: 'wipe-note', role: 'status' }, t(state.notice, { days: state.noticeDays ?? '' })) : null,
    locked ? h('p', { class: 'note', id: 'locked-note' }, t('field.locked_outbox', { n: locked })) : null,
    h('label', { for: 'login-user' }, t('login.username')),
    h('input', { id: 'login-user', name: 'username', autocomplete: 'username', required: true, autocapitalize: 'none' }),
    h('label', { for: 'login-pass' }, t('login.password')),
    h('input', { id: 'login-pass', name: 'password', type: 'password', autocomplete: 'current-password', required: true }),
    h('button', { type: 'submit' }, t('login.submit')), err);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const d = Object.fromEntries(new FormData(form));
    try {
      await login(d.username, d.password);
      await start();
    } catch (ex) {
      err.textContent = ex.status === 401 ? t('login.failed') : (navigator.onLine ? ex.message : t('field.offline_login'));
    }
  });
  show(form);
  focusHeading();
}

// ---- My work -------------------------------------------------------------------------

async function loadWork(force = false) {
  if (state.work && !force) return state.work;
  const items = [];
  let url = WORK_URL;
  let offline = false;
  let at = null;
  for (let i = 0; url && i < 20; i += 1) {
    const page = await cachedGet(url);
    offline ||= page.offline;
    at ??= page.at;
    items.push(...page.data.items);
    url = page.data.next_cursor ? `${WORK_URL}&cursor=${encodeURIComponent(page.data.next_cursor)}` : null;
  }
  state.work = items;
  state.workFrom = offline ? (at || 'cache') : null;
  if (!offline) prefetchHouseholds(items);
  return items;
}

/** Keeps the household pages of the most urgent households for offline use. */
async function prefetchHouseholds(items) {
  const urgent = items.filter((i) => i.reasons.length).slice(0, PREFETCH);
  for (const item of urgent) {
    if (!navigator.onLine) return;
    try { await cachedGet(`/api/v1/field/households/${item.id}`); } catch { /* next time */ }
  }
}

async function renderWork() {
  const search = h('input', {
    id: 'search', type: 'search', autocomplete: 'off', spellcheck: false, inputmode: 'search',
    placeholder: t('field.search_placeholder'), 'aria-describedby': 'search-help', value: sessionStorage.getItem('field.q') || '',
  });
  const list = h('ul', { class: 'work', id: 'work-list', 'aria-live': 'polite' });
  const count = h('p', { class: 'muted', id: 'work-count' });
  const pendingList = h('ul', { class: 'pending-list', id: 'pending-list' });
  show(
    h('h1', {}, t('field.title')),
    vault.available() ? null : h('p', { class: 'note', id: 'no-crypto' }, t('field.no_crypto')),
    h('div', { class: 'search' },
      h('label', { for: 'search' }, t('field.search')),
      search,
      h('p', { id: 'search-help', class: 'muted small' }, t('field.search_help'))),
    pendingList, count, list);
  focusHeading();

  const showPending = async () => {
    const queued = await outbox.all();
    pendingList.replaceChildren(...(queued.length ? [h('li', { class: 'heading' }, h('h2', {}, t('field.outbox')))] : []), ...queued.map(pendingCard));
  };
  showPending();
  main._refresh = showPending;

  let items;
  try {
    items = await loadWork();
  } catch (err) {
    if (err.status === 401) return renderLogin();
    list.replaceWith(errorBox(err));
    return;
  }
  if (state.workFrom) count.before(h('p', { class: 'note' }, t('field.from_cache', { at: state.workFrom === 'cache' ? '' : fmtDateTime(state.workFrom) })));
  const filter = () => {
    const q = fold(search.value);
    sessionStorage.setItem('field.q', search.value);
    const ref = q ? parcelRef(q) : null;
    const found = q ? items.filter((i) => matches(i, q, ref)) : items;
    count.textContent = t('field.count', { n: fmtNumber(found.length), total: fmtNumber(items.length) });
    list.replaceChildren(...found.slice(0, 60).map(workItem));
    if (found.length > 60) list.append(h('li', { class: 'muted' }, t('field.more', { n: fmtNumber(found.length - 60) })));
  };
  let timer;
  search.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(filter, 80); });
  filter();
}

function workItem(i) {
  const parcels = i.parcels.map((p) => `${p.map_sheet}/${p.parcel_no}`).join(', ');
  return h('li', { class: 'item' },
    h('a', { href: `#/h/${i.id}`, class: 'item-link' },
      h('span', { class: 'name' }, i.head_name),
      h('span', { class: 'muted' }, ` · ${i.code}`),
      h('div', { class: 'muted small' }, `${i.address || i.commune.name}${parcels ? ` · ${t('field.parcels_short')} ${parcels}` : ''}`)),
    h('div', { class: 'meta' }, stanceBadge(i.stance)),
    i.compensation?.plan ? h('p', { class: 'small plan-line' }, t('field.plan.short', { status: t(`field.plan.short.${i.compensation.plan.status}`) }).split('{net}')
      .flatMap((part, k) => (k ? [money(i.compensation.plan.net), part] : [part]))) : null,
    reasonChips(i.reasons),
    i.assignment?.note ? h('p', { class: 'small note' }, `${t('field.assigned_note')}: ${i.assignment.note}`) : null);
}

// ---- household page -------------------------------------------------------------------

const STATUS_COLOURS = {
  not_contacted: '#9aa4ad', contacted: '#5b8def', negotiating: '#f0a202', agreed: '#2e9e5b',
  paid: '#137752', handed_over: '#0b4f36', objecting: '#c62828', in_complaint: '#8e24aa',
};

/** A small map of the household's parcels as inline SVG (no tiles, no library). */
function parcelMap(parcels) {
  const rings = [];
  for (const p of parcels) {
    const g = p.geometry || {};
    const polys = g.type === 'Polygon' ? [g.coordinates] : g.type === 'MultiPolygon' ? g.coordinates : [];
    for (const poly of polys) rings.push({ p, ring: poly[0] || [] });
  }
  const pts = rings.flatMap((r) => r.ring);
  if (!pts.length) return null;
  const lons = pts.map((c) => c[0]);
  const lats = pts.map((c) => c[1]);
  const [minX, maxX, minY, maxY] = [Math.min(...lons), Math.max(...lons), Math.min(...lats), Math.max(...lats)];
  const k = Math.cos(((minY + maxY) / 2) * Math.PI / 180);
  const w = Math.max((maxX - minX) * k, 1e-9);
  const hgt = Math.max(maxY - minY, 1e-9);
  const size = 300;
  const scale = (size - 20) / Math.max(w, hgt);
  const vw = w * scale + 20;
  const vh = hgt * scale + 20;
  const NS = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', `0 0 ${vw.toFixed(1)} ${vh.toFixed(1)}`);
  svg.setAttribute('class', 'parcel-map');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', t('field.map_label', { n: parcels.length }));
  for (const { p, ring } of rings) {
    const d = ring.map((c, n) => `${n ? 'L' : 'M'}${((c[0] - minX) * k * scale + 10).toFixed(1)},${((maxY - c[1]) * scale + 10).toFixed(1)}`).join('') + 'Z';
    const path = document.createElementNS(NS, 'path');
    path.setAttribute('d', d);
    path.setAttribute('fill', STATUS_COLOURS[p.status] || '#888');
    path.setAttribute('fill-opacity', '0.55');
    path.setAttribute('stroke', '#1b1f23');
    path.setAttribute('stroke-width', '1.5');
    const title = document.createElementNS(NS, 'title');
    title.textContent = `${t('field.sheet')} ${p.map_sheet} ${t('field.parcel')} ${p.parcel_no}`;
    path.append(title);
    svg.append(path);
  }
  return svg;
}

/** The case stage and its legal deadlines (GET /api/v1/households/{id}/case); nothing if absent. */
async function caseSection(id) {
  const box = h('section', { id: 'case', hidden: true, 'aria-labelledby': 'case-h' });
  try {
    const res = await fetch(`/api/v1/households/${id}/case`, { credentials: 'same-origin', headers: { accept: 'application/json' } });
    if (!res.ok) return box;
    const c = await res.json();
    const stage = c.current_stage ?? c.stage;
    if (!stage && !c.next) return box;
    const last = (c.stages || []).filter((e) => e.stage === stage).pop();
    const rule = (r) => (r ? (lang() === 'vi' ? r.vi : r.en) || '' : '');
    const deadline = (d) => h('li', { class: d.overdue ? 'overdue' : '' },
      `${tr(`field.stage.${d.stage}`, d.stage)}: ${t('field.deadline')} ${fmtDate(d.due_on)}`,
      d.overdue ? h('strong', { class: 'error' }, ` — ${t('field.overdue')}`) : '',
      d.rule ? h('div', { class: 'muted small' }, `${rule(d.rule)} (${d.rule.article || ''})`) : '');
    const deadlines = [...(c.open_deadlines || [])];
    if (c.next?.due_on && !deadlines.some((d) => d.stage === c.next.stage)) deadlines.push(c.next);
    box.hidden = false;
    box.append(...[h('h2', { id: 'case-h' }, t('field.case')),
      stage ? h('p', {}, h('strong', {}, tr(`field.stage.${stage}`, stage)), last ? ` · ${fmtDate(last.occurred_on)}` : '') : null,
      c.next && !c.next.due_on ? h('p', { class: 'small' }, `${t('field.next_step')}: ${tr(`field.stage.${c.next.stage}`, c.next.stage)}`) : null,
      deadlines.length ? h('ul', { class: 'small' }, deadlines.map(deadline)) : null].filter(Boolean));
  } catch { /* offline: the case stays hidden */ }
  return box;
}

async function renderHousehold(id) {
  show(h('p', {}, t('field.loading')));
  let data;
  let offline = false;
  try {
    const r = await cachedGet(`/api/v1/field/households/${id}`);
    data = r.data;
    offline = r.offline;
  } catch (err) {
    if (err.status === 401) return renderLogin();
    show(h('p', {}, h('a', { href: '#/' }, `← ${t('field.back')}`)), errorBox(err));
    const item = (state.work || []).find((i) => i.id === id);
    if (item && err.offline) main.append(h('a', { class: 'button', href: `#/h/${id}/visit` }, t('field.log_visit')));
    return;
  }
  const hh = data.household;
  // This household's visits still on the phone; redrawn when the outbox changes.
  const queuedBox = h('section', { 'aria-labelledby': 'q-h', id: 'queued' });
  const showQueued = async () => {
    const queued = (await outbox.all()).filter((r) => outbox.householdOf(r) === id);
    queuedBox.hidden = !queued.length;
    queuedBox.replaceChildren(h('h2', { id: 'q-h' }, t('field.outbox')), h('ul', { class: 'pending-list' }, queued.map(pendingCard)));
  };
  await showQueued();
  const sec = (key, ...body) => h('section', { 'aria-labelledby': `${key}-h` }, h('h2', { id: `${key}-h` }, t(`field.${key}`)), ...body);

  const members = (hh.members || []).map((m) => h('li', {}, m.name, m.relation ? ` (${m.relation})` : '', m.birth_year ? ` · ${m.birth_year}` : ''));
  const parcels = data.parcels.map((p) => h('li', {},
    h('span', { class: 'dot', style: `background:${STATUS_COLOURS[p.status] || '#888'}` }),
    `${t('field.sheet')} ${p.map_sheet} · ${t('field.parcel')} ${p.parcel_no} · ${landUse(p.land_use)} · ${fmtNumber(p.area_m2)} m² · ${t(`status.${p.status}`)}`));

  const commitments = data.open_commitments.map((c) => {
    const box = h('input', { type: 'checkbox', id: `c-${c.id}` });
    const overdue = c.due_date && c.due_date < today();
    box.addEventListener('change', async () => {
      box.disabled = true;
      try {
        await apiCall(`/api/v1/commitments/${c.id}/done`, { method: box.checked ? 'POST' : 'DELETE' });
        li.classList.toggle('done', box.checked);
      } catch (err) {
        box.checked = !box.checked;
        li.append(errorBox(navigator.onLine ? err : { offline: true, message: t('field.needs_network') }));
      } finally { box.disabled = false; }
    });
    const li = h('li', { class: overdue ? 'overdue' : '' }, box,
      h('label', { for: `c-${c.id}` }, c.text, h('span', { class: 'muted small' }, ` — ${c.owner}${c.due_date ? `, ${t('field.due')} ${fmtDate(c.due_date)}` : ''}`)));
    return li;
  });

  const visits = data.visits.map((v) => h('li', { class: 'visit' },
    h('div', {}, h('strong', {}, fmtDateTime(v.visited_at)), ` · ${t(`field.kind.${v.kind}`)} · `, stanceBadge(v.stance),
      v.revisions ? h('span', { class: 'muted small' }, ` · ${t('field.edited', { n: v.revisions })}`) : ''),
    v.author ? h('div', { class: 'muted small' }, `${t('field.by')} ${v.author}`) : null,
    v.topics.length ? h('div', { class: 'small' }, v.topics.map((x) => t(`field.topic.${x}`)).join(', ')) : null,
    v.concerns ? h('p', {}, v.concerns) : null,
    v.commitments.length ? h('ul', { class: 'small' }, v.commitments.map((c) => h('li', { class: c.done ? 'done' : '' }, `${c.text} (${c.owner}${c.due_date ? `, ${fmtDate(c.due_date)}` : ''})`))) : null,
    v.next_visit_on ? h('div', { class: 'small' }, `${t('field.next_visit')}: ${fmtDate(v.next_visit_on)}`) : null,
    v.editable ? h('a', { href: `#/h/${id}/edit/${v.id}`, class: 'small' }, t('field.edit_visit')) : null));

  const grievances = data.grievances.map((g) => h('li', {},
    h('strong', {}, `${tr(`field.grievance_kind.${g.kind}`, g.kind)} · ${fmtDate(g.received_on)}`), ' · ',
    h('span', { class: `badge grievance-${g.status}` }, tr(`field.grievance_status.${g.status}`, t('field.grievance_status.other'))),
    g.resolve_by ? h('span', { class: 'small' }, ` · ${t('field.resolve_by')} ${fmtDate(g.resolve_by)}`) : '',
    h('div', { class: 'small' }, g.content)));

  const assignments = data.assignments.map((a) => h('li', {},
    `${a.assignee.display_name} — ${t('field.due')} ${fmtDate(a.due_on)}`, a.note ? ` · ${a.note}` : '',
    a.assigned_by ? h('span', { class: 'muted small' }, ` (${t('field.by')} ${a.assigned_by.display_name})`) : ''));

  show(
    h('p', {}, h('a', { href: '#/' }, `← ${t('field.back')}`)),
    h('h1', {}, hh.head_name),
    h('p', { class: 'muted' }, `${hh.code} · ${hh.address ? `${hh.address} · ` : ''}${hh.commune.name}`),
    offline ? h('p', { class: 'note' }, t('field.from_cache', { at: '' })) : null,
    h('p', {}, stanceBadge(hh.stance), hh.phone ? [' · ', h('a', { href: `tel:${hh.phone}` }, hh.phone)] : ''),
    reasonChips(data.reasons),
    h('div', { class: 'row actions' },
      h('a', { class: 'button', href: `#/h/${id}/visit`, id: 'log-visit' }, t('field.log_visit')),
      h('a', { class: 'button secondary', href: `#/h/${id}/inventory`, id: 'record-inventory' }, t('field.inventory.button'))),
    queuedBox,
    planSummary(data.compensation),
    await caseSection(id),
    sec('commitments', commitments.length ? h('ul', { class: 'commitments' }, commitments) : h('p', { class: 'muted' }, t('field.none'))),
    sec('visits', visits.length ? h('ol', { class: 'timeline' }, visits) : h('p', { class: 'muted' }, t('field.none'))),
    sec('parcels', parcelMap(data.parcels), h('ul', {}, parcels)),
    sec('members', members.length ? h('ul', {}, members) : h('p', { class: 'muted' }, t('field.none'))),
    sec('grievances', grievances.length ? h('ul', {}, grievances) : h('p', { class: 'muted' }, t('field.none'))),
    (data.can_assign || assignments.length) ? sec('assignments', assignments.length ? h('ul', {}, assignments) : null, data.can_assign ? assignForm(id, data.assignable) : null) : null,
  );
  main._refresh = showQueued;
  focusHeading();
}

function assignForm(id, people) {
  const msg = h('p', { role: 'status' });
  const form = h('form', { class: 'card', id: 'assign' },
    h('label', { for: 'assignee' }, t('field.assignee')),
    h('select', { id: 'assignee', name: 'assignee', required: true }, people.map((p) => h('option', { value: p.username }, p.display_name))),
    h('label', { for: 'assign-due' }, t('field.due_on')),
    dateInput({ id: 'assign-due', name: 'due_on', required: true, value: today() }),
    h('label', { for: 'assign-note' }, t('field.note')),
    h('input', { id: 'assign-note', name: 'note', maxlength: 2000 }),
    h('button', { type: 'submit' }, t('field.assign')), msg);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const d = Object.fromEntries(new FormData(form));
    msg.className = '';
    try {
      d.due_on = readDate(form.elements.due_on, true);
    } catch (ex) {
      msg.className = 'error';
      fieldRefusal(msg, ex.input, ex.message);
      return;
    }
    try {
      await apiCall(`/api/v1/households/${id}/next-visit`, { method: 'POST', body: d });
      msg.textContent = t('field.assigned_ok');
      state.work = null;
      renderHousehold(id);
    } catch (err) {
      msg.className = 'error';
      msg.textContent = err.message;
    }
  });
  return form;
}

// ---- visit form -----------------------------------------------------------------------

const KINDS = ['home_visit', 'group_meeting', 'dialogue', 'phone'];
const TOPICS = ['compensation_price', 'resettlement', 'livelihood', 'graves', 'land_origin', 'procedure', 'other'];
const STANCES = ['agrees', 'considering', 'disagrees', 'refuses_contact'];

async function groupsFor(id, household) {
  if (household) return household.my_groups;
  // Offline without the household page: the caller's groups of the household's project.
  const item = (state.work || []).find((i) => i.id === id);
  try {
    const { data } = await cachedGet('/api/v1/working-groups?limit=500');
    const mine = new Set(state.user?.working_groups || []);
    return data.items.filter((g) => mine.has(g.id) && (!item || g.project === item.project)).map((g) => ({ id: g.id, name: g.name }));
  } catch {
    return (state.user?.working_groups || []).map((g) => ({ id: g, name: `#${g}` }));
  }
}

function commitmentRow(n, c = {}) {
  return h('fieldset', { class: 'commitment' },
    h('legend', {}, t('field.commitment_n', { n })),
    h('label', { for: `ct-${n}` }, t('field.commitment_text')),
    h('input', { id: `ct-${n}`, name: 'c_text', value: c.text || '' }),
    h('label', { for: `co-${n}` }, t('field.commitment_owner')),
    h('input', { id: `co-${n}`, name: 'c_owner', value: c.owner || t('field.owner_default') }),
    h('label', { for: `cd-${n}` }, t('field.commitment_due')),
    dateInput({ id: `cd-${n}`, name: 'c_due', value: c.due_date || '' }));
}

async function renderVisitForm(id, visitId, queuedKey) {
  show(h('p', {}, t('field.loading')));
  let household = null;
  try { household = (await cachedGet(`/api/v1/field/households/${id}`)).data; } catch { /* offline: form still works */ }
  const item = (state.work || []).find((i) => i.id === id);
  const name = household?.household.head_name || item?.head_name || `#${id}`;
  const queued = queuedKey ? await outbox.get(queuedKey) : null;
  const editing = visitId ? household?.visits.find((v) => v.id === visitId) : null;
  if ((visitId && !editing) || (queuedKey && !queued)) {
    show(h('p', {}, h('a', { href: `#/h/${id}` }, `← ${t('field.back')}`)), errorBox({ message: t('field.edit_unavailable') }));
    return;
  }
  const groups = await groupsFor(id, household);
  const v = editing || queued?.body || {};
  const radios = (nameAttr, values, labelKey, checked) => values.map((x) => h('label', { class: 'opt' },
    h('input', { type: 'radio', name: nameAttr, value: x, required: true, checked: checked === x }), ` ${t(`${labelKey}.${x}`)}`));
  const gpsOut = h('span', { id: 'gps-out', class: 'muted small', role: 'status' });
  const gpsBox = h('input', { type: 'checkbox', id: 'gps', name: 'gps', checked: !!v.location });
  let location = v.location || null;
  gpsBox.addEventListener('change', () => {
    if (!gpsBox.checked) { location = null; gpsOut.textContent = ''; return; }
    if (!navigator.geolocation) { gpsOut.textContent = t('field.gps_unavailable'); gpsBox.checked = false; return; }
    gpsOut.textContent = t('field.gps_wait');
    navigator.geolocation.getCurrentPosition((pos) => {
      location = { lon: +pos.coords.longitude.toFixed(6), lat: +pos.coords.latitude.toFixed(6) };
      gpsOut.textContent = `${location.lat}, ${location.lon} (±${Math.round(pos.coords.accuracy)} m)`;
    }, () => { gpsOut.textContent = t('field.gps_denied'); gpsBox.checked = false; location = null; },
    { enableHighAccuracy: true, timeout: 20_000, maximumAge: 60_000 });
  });
  if (location) gpsOut.textContent = `${location.lat}, ${location.lon}`;

  const commitments = h('div', { id: 'commitments' });
  let n = 0;
  for (const c of queued?.body.commitments || []) { n += 1; commitments.append(commitmentRow(n, c)); }
  const addCommitment = () => { n += 1; commitments.append(commitmentRow(n)); commitments.lastChild.querySelector('input').focus(); };
  const err = h('p', { class: 'error', role: 'alert', id: 'visit-error' });
  const visited = vnParts(v.visited_at);

  // The stance is the one required choice: it comes first. New commitments have their own section.
  const form = h('form', { id: 'visit-form', class: 'card', novalidate: true },
    h('fieldset', { id: 'stance-set' }, h('legend', {}, t('field.stance'), ' ', h('span', { class: 'req' }, t('field.required'))),
      radios('stance', STANCES, 'stance', v.stance)),
    groups.length > 1 || editing ? [h('label', { for: 'group' }, t('field.group')),
      h('select', { id: 'group', name: 'working_group_id', required: true, disabled: !!editing }, groups.map((g) => h('option', { value: g.id, selected: Number(v.working_group_id) === g.id }, g.name)))]
      : h('input', { type: 'hidden', name: 'working_group_id', value: groups[0]?.id ?? '' }),
    h('fieldset', { class: 'when' }, h('legend', {}, t('field.visited_at')),
      h('div', { class: 'row' },
        h('span', { class: 'when-part' }, h('label', { for: 'visited-on' }, t('field.visited_on')),
          dateInput({ id: 'visited-on', name: 'visited_on', required: true, value: visited.date })),
        h('span', { class: 'when-part' }, h('label', { for: 'visited-time' }, t('field.visited_time')),
          timeInput({ id: 'visited-time', name: 'visited_time', required: true, value: visited.time })))),
    h('label', { for: 'kind' }, t('field.kind_label')),
    h('select', { id: 'kind', name: 'kind', required: true }, KINDS.map((k) => h('option', { value: k, selected: (v.kind || 'home_visit') === k }, t(`field.kind.${k}`)))),
    h('label', { for: 'participants' }, t('field.participants')),
    h('textarea', { id: 'participants', name: 'participants', rows: 2, 'aria-describedby': 'participants-help' }, (v.participants || []).join('\n')),
    h('p', { id: 'participants-help', class: 'muted small' }, t('field.participants_help')),
    h('fieldset', {}, h('legend', {}, t('field.topics')),
      TOPICS.map((x) => h('label', { class: 'opt' }, h('input', { type: 'checkbox', name: 'topics', value: x, checked: (v.topics || []).includes(x) }), ` ${t(`field.topic.${x}`)}`))),
    h('label', { for: 'concerns' }, t('field.concerns')),
    h('textarea', { id: 'concerns', name: 'concerns', rows: 4, maxlength: 20000 }, v.concerns || ''),
    h('label', { for: 'next-visit' }, t('field.next_visit')),
    dateInput({ id: 'next-visit', name: 'next_visit_on', value: v.next_visit_on || '' }),
    h('div', { class: 'opt' }, gpsBox, h('label', { for: 'gps' }, ` ${t('field.gps')}`), ' ', gpsOut),
    editing ? null : h('section', { id: 'new-commitments', 'aria-labelledby': 'new-commitments-h' },
      h('h2', { id: 'new-commitments-h' }, t('field.new_commitments')),
      h('p', { class: 'muted small' }, t('field.new_commitments_help')),
      commitments,
      h('button', { type: 'button', class: 'secondary', id: 'add-commitment', onclick: addCommitment }, t('field.add_commitment'))),
    h('button', { type: 'submit', id: 'save-visit' }, editing ? t('field.save_edit') : t('field.save_visit')),
    err);

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    err.textContent = '';
    for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
    const fd = new FormData(form);
    const texts = fd.getAll('c_text');
    const owners = fd.getAll('c_owner');
    if (!fd.get('stance')) { fieldRefusal(err, form.querySelector('input[name=stance]'), t('field.stance_required')); return; }
    let visitedOn;
    let nextVisit;
    let dues;
    try {
      visitedOn = readDate(form.elements.visited_on, true);
      nextVisit = readDate(form.elements.next_visit_on);
      dues = [...form.querySelectorAll('input[name=c_due]')].map((input) => readDate(input));
    } catch (ex) {
      fieldRefusal(err, ex.input, ex.message);
      return;
    }
    const visitedTime = textToTime(form.elements.visited_time.value);
    if (!visitedTime) { fieldRefusal(err, form.elements.visited_time, t('time.invalid')); return; }
    const body = {
      visited_at: vnDateTime(visitedOn, visitedTime),
      kind: fd.get('kind'),
      participants: String(fd.get('participants') || '').split(/[\n,;]+/).map((s) => s.trim()).filter(Boolean),
      topics: fd.getAll('topics'),
      stance: fd.get('stance'),
      concerns: String(fd.get('concerns') || '').trim(),
      next_visit_on: nextVisit,
      location,
    };
    if (editing) {
      try {
        await apiCall(`/api/v1/visits/${visitId}`, { method: 'PATCH', body });
        location_go(`#/h/${id}`);
      } catch (ex) {
        err.textContent = navigator.onLine ? ex.message : t('field.needs_network');
      }
      return;
    }
    body.household_id = id;
    body.working_group_id = Number(fd.get('working_group_id') || (groups[0]?.id));
    body.commitments = texts.map((text, k) => ({ text: text.trim(), owner: (owners[k] || '').trim(), due_date: dues[k] || null })).filter((c) => c.text);
    if (!body.working_group_id) { err.textContent = t('field.no_group'); return; }
    if (queued) await outbox.retry(queued.key, body);
    else await outbox.enqueue(body, name);
    state.work = null;
    location_go(`#/h/${id}`);
  });

  // The numbers the working group explains at the visit (from the kept page when offline).
  const comp = household ? household.compensation : item?.compensation;
  show(
    h('p', {}, h('a', { href: `#/h/${id}` }, `← ${name}`)),
    h('h1', {}, editing ? t('field.edit_visit') : queued ? t('field.fix_queued') : t('field.log_visit_for', { name })),
    editing ? h('p', { class: 'muted small' }, t('field.edit_rule')) : null,
    household || item ? planSummary(comp, { id: 'visit-plan' }) : null,
    form);
  focusHeading();
}

// ---- inventory (kiểm đếm) form -----------------------------------------------------------

// Categories a member counts in the field; remaining investment (costs and terms) is desk work,
// shown only when a line already has it.
const ASSET_CATEGORIES = ['land', 'structure', 'crop', 'tree', 'grave', 'livestock', 'moving', 'other', 'investment'];
const FIELD_CATEGORIES = ASSET_CATEGORIES.filter((c) => c !== 'investment');
const LAND_USES = ['LUC', 'LUK', 'HNK', 'CLN', 'RSX', 'NTS', 'ONT', 'ODT', 'NTD', 'DGT', 'DTL', 'SKC', 'TMD', 'BCS', 'DCS'];
const DEFAULT_UNIT = { land: 'm²', structure: 'm²', crop: 'm²', tree: 'cây', grave: 'mộ', livestock: 'con', moving: 'lần', other: 'lần', investment: 'lần' };
/** Trees and crops are priced by age class; land by its position, structures by grade. */
const byAge = (category) => category === 'tree' || category === 'crop';

/** One line of the inventory: its controls, and what the form does not show kept as it was. */
function inventoryRow(n, item, parcels) {
  const category = item.category || 'structure';
  const choices = category === 'investment' ? ASSET_CATEGORIES : FIELD_CATEGORIES;
  const id = (f) => `inv-${f}-${n}`;
  const fs = h('fieldset', { class: 'inv-item', 'data-n': n },
    h('legend', {}, t('field.inventory.item_n', { n })),
    h('label', { for: id('category') }, t('field.inventory.category')),
    h('select', { id: id('category'), name: 'category' },
      choices.map((c) => h('option', { value: c, selected: c === category }, t(`field.asset.${c}`)))),
    h('label', { for: id('code') }, t('field.inventory.code')),
    h('input', { id: id('code'), name: 'code', value: item.code || '', autocomplete: 'off', autocapitalize: 'none', list: category === 'land' ? 'land-uses' : null, 'aria-describedby': id('code-help') }),
    h('p', { id: id('code-help'), class: 'muted small' }, t(category === 'land' ? 'field.inventory.code_help_land' : 'field.inventory.code_help')),
    h('div', { class: 'pair' },
      h('span', {}, h('label', { for: id('quantity') }, t('field.inventory.quantity')),
        h('input', { id: id('quantity'), name: 'quantity', inputmode: 'decimal', autocomplete: 'off', value: showDecimal(item.quantity) })),
      h('span', {}, h('label', { for: id('unit') }, t('field.inventory.unit')),
        h('input', { id: id('unit'), name: 'unit', value: item.unit || '', placeholder: DEFAULT_UNIT[category] }))),
    h('label', { for: id('parcel') }, t('field.inventory.parcel')),
    h('select', { id: id('parcel'), name: 'parcel_id' },
      h('option', { value: '' }, t('field.inventory.no_parcel')),
      parcels.map((p) => h('option', { value: p.id, selected: p.id === item.parcel_id },
        [`${t('field.sheet')} ${p.map_sheet} ${t('field.parcel')} ${p.parcel_no}`, p.land_use, p.area_m2 ? `${fmtNumber(p.area_m2)} m²` : null]
          .filter(Boolean).join(' · ')))),
    h('div', { class: 'pair' },
      h('span', {}, h('label', { for: id('grade'), id: id('grade-label') }, t(byAge(category) ? 'field.inventory.age_class' : 'field.inventory.grade')),
        h('input', { id: id('grade'), name: 'grade', value: (byAge(category) ? item.age_class : item.grade) || '' })),
      h('span', { class: 'remaining', hidden: category !== 'structure' }, h('label', { for: id('remaining') }, t('field.inventory.remaining')),
        h('input', { id: id('remaining'), name: 'remaining_percent', inputmode: 'numeric', value: item.remaining_percent ?? '' }))),
    // Annual crops: the harvests of the previous 3 years; the plan pays the highest.
    h('div', { class: 'yields', hidden: category !== 'crop' },
      h('p', { class: 'muted small', id: id('yields-help') }, t('field.inventory.yields_help')),
      h('div', { class: 'pair' }, [1, 2, 3].map((y) => h('span', {},
        h('label', { for: id(`yield${y}`) }, t('field.inventory.yield_n', { n: y })),
        h('input', { id: id(`yield${y}`), name: `yield_${y}`, inputmode: 'numeric', autocomplete: 'off', 'aria-describedby': id('yields-help'), value: item.yields_kg?.[y - 1] ?? '' }))))),
    h('button', { type: 'button', class: 'small secondary remove', onclick: () => { fs.remove(); } }, t('field.inventory.remove_item')));
  fs._kept = item;
  const select = fs.querySelector('select[name=category]');
  select.addEventListener('change', () => {
    const c = select.value;
    fs.querySelector('input[name=unit]').placeholder = DEFAULT_UNIT[c];
    fs.querySelector('.remaining').hidden = c !== 'structure';
    fs.querySelector('.yields').hidden = c !== 'crop';
    fs.querySelector(`#${id('grade-label')}`).textContent = t(byAge(c) ? 'field.inventory.age_class' : 'field.inventory.grade');
    const code = fs.querySelector('input[name=code]');
    if (c === 'land') code.setAttribute('list', 'land-uses'); else code.removeAttribute('list');
    fs.querySelector(`#${id('code-help')}`).textContent = t(c === 'land' ? 'field.inventory.code_help_land' : 'field.inventory.code_help');
  });
  // Land on a parcel: its land use and area unless the member typed something else.
  fs.querySelector('select[name=parcel_id]').addEventListener('change', (e) => {
    const p = parcels.find((x) => String(x.id) === e.target.value);
    if (!p?.land_use || select.value !== 'land') return;
    const code = fs.querySelector('input[name=code]');
    const qty = fs.querySelector('input[name=quantity]');
    if (!code.value) code.value = p.land_use;
    if (!qty.value) qty.value = showDecimal(p.area_m2);
  });
  return fs;
}

/**
 * A quantity as typed on a phone, with at most two decimals: `12,5` or `12.5`; `1.000` or
 * `1,000` (a separator before three digits groups thousands); `1.000,5`. Null when it is not one.
 */
export function readDecimal(text) {
  const v = String(text ?? '').replace(/\s/g, '');
  const m = /^(\d{1,3}(?:[.,]\d{3})+|\d+)(?:[.,](\d{1,2}))?$/.exec(v);
  if (!m) return null;
  return Number(`${m[1].replace(/[.,]/g, '')}.${m[2] || '0'}`);
}

/** A quantity written back the way the language writes decimals (`62,5` in Vietnamese). */
const showDecimal = (n) => (n === null || n === undefined || n === '' ? '' : String(Math.round(Number(n) * 100) / 100).replace('.', lang() === 'vi' ? ',' : '.'));

/** The input of the form that a server's `details.field` names (`record_no`, `items[2].quantity`). */
function inputForField(form, field) {
  if (!field) return null;
  const m = /^items\[(\d+)\]\.(\w+)$/.exec(field);
  if (!m) return form.querySelector(`[name="${field}"]`);
  const row = form.querySelectorAll('fieldset.inv-item')[Number(m[1])];
  const name = { yields_kg: 'yield_1', age_class: 'grade', description: 'code', term_total: 'code', term_remaining: 'code', cost: 'code' }[m[2]] || m[2];
  return row?.querySelector(`[name="${name}"]`) || row?.querySelector('select');
}

/**
 * The inventory form: record number and date, members counted, relocation, and one line per
 * asset. Saved into the outbox with an Idempotency-Key made once, and `If-Match` with the
 * version the member started from; it replaces the household's inventory whole, so lines it
 * does not show (costs, terms, notes) are sent back as they were.
 */
async function renderInventoryForm(id, queuedKey) {
  show(h('p', {}, t('field.loading')));
  let household = null;
  let fresh = false;
  try {
    const r = await cachedGet(`/api/v1/field/households/${id}`);
    household = r.data;
    fresh = !r.offline;
  } catch (err) {
    if (err.status === 401) return renderLogin();
    if (!err.offline) { show(h('p', {}, h('a', { href: '#/' }, `← ${t('field.back')}`)), errorBox(err)); return; }
  }
  const item = (state.work || []).find((i) => i.id === id);
  const name = household?.household.head_name || item?.head_name || `#${id}`;
  const back = h('p', {}, h('a', { href: `#/h/${id}` }, `← ${name}`));
  const queuedAll = (await outbox.all()).filter((r) => r.kind === 'inventory' && outbox.householdOf(r) === id);
  const queued = queuedKey ? queuedAll.find((r) => r.key === queuedKey) : queuedAll[0];
  if (queuedKey && !queued) { show(back, errorBox({ message: t('field.edit_unavailable') })); return; }
  const existing = household?.inventory || null;
  const known = existing?.version ?? (household ? household.compensation?.inventory?.version : item?.compensation?.inventory?.version) ?? null;
  // An inventory on the server that this phone does not hold: saving blind would wipe its lines.
  if (!queued && known !== null && !existing) {
    show(back, h('h1', {}, t('field.inventory.title', { name })), errorBox({ message: t('field.inventory.needs_existing') }));
    focusHeading();
    return;
  }
  const v = queued?.body || existing || {};
  const parcels = household?.parcels || item?.parcels || [];
  const rows = h('div', { id: 'inv-items' });
  let n = 0;
  const addRow = (it = {}) => { n += 1; rows.append(inventoryRow(n, it, parcels)); };
  for (const it of v.items || []) addRow(it);
  if (!n) addRow({ category: 'land' });
  const err = h('p', { class: 'error', role: 'alert', id: 'inventory-error' });
  const conflict = queued?.state === 'conflict' ? conflictText(queued) : null;
  const form = h('form', { id: 'inventory-form', class: 'card', novalidate: true },
    h('datalist', { id: 'land-uses' }, LAND_USES.map((c) => h('option', { value: c }, t(`field.land_use.${c}`)))),
    h('div', { class: 'pair' },
      h('span', {}, h('label', { for: 'inv-record' }, t('field.inventory.record_no'), ' ', h('span', { class: 'req' }, t('field.required'))),
        h('input', { id: 'inv-record', name: 'record_no', value: v.record_no || '', autocomplete: 'off', 'aria-describedby': 'inv-record-help' }),
        h('p', { id: 'inv-record-help', class: 'muted small' }, t('field.inventory.record_help'))),
      h('span', {}, h('label', { for: 'inv-date' }, t('field.inventory.date'), ' ', h('span', { class: 'req' }, t('field.required'))),
        dateInput({ id: 'inv-date', name: 'inventoried_on', required: true, value: v.inventoried_on || today() }))),
    h('label', { for: 'inv-members' }, t('field.inventory.members')),
    h('input', { id: 'inv-members', name: 'members_counted', inputmode: 'numeric', autocomplete: 'off', value: v.members_counted ?? (household?.household.members?.length || 0) }),
    h('label', { class: 'opt check' }, h('input', { type: 'checkbox', id: 'inv-relocating', name: 'relocating', checked: !!v.relocating }),
      h('span', {}, t('field.inventory.relocating'))),
    h('section', { 'aria-labelledby': 'inv-items-h' },
      h('h2', { id: 'inv-items-h' }, t('field.inventory.items')),
      rows,
      h('button', { type: 'button', class: 'secondary', id: 'add-item', onclick: () => { addRow({ category: 'structure' }); rows.lastChild.querySelector('input[name=code]').focus(); } }, t('field.inventory.add_item'))),
    existing && !queued ? h('p', { class: 'note small' }, t('field.inventory.replaces', { v: existing.version, no: existing.record_no })) : null,
    h('button', { type: 'submit', id: 'save-inventory' }, t('field.inventory.save')),
    err);

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    err.textContent = '';
    for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
    const refuse = (input, key) => { fieldRefusal(err, input, t(key)); };
    const record = form.elements.record_no.value.trim();
    if (!record) return refuse(form.elements.record_no, 'field.inventory.record_required');
    let on;
    try { on = readDate(form.elements.inventoried_on, true); } catch (ex) { return fieldRefusal(err, ex.input, ex.message); }
    if (on > today()) return refuse(form.elements.inventoried_on, 'field.inventory.date_future');
    const members = readDecimal(form.elements.members_counted.value || '0');
    if (members === null || !Number.isInteger(members) || members > 100) return refuse(form.elements.members_counted, 'field.inventory.members_invalid');
    const items = [];
    for (const fs of form.querySelectorAll('fieldset.inv-item')) {
      const get = (nm) => fs.querySelector(`[name=${nm}]`);
      const code = get('code').value.trim();
      const qtyText = get('quantity').value.trim();
      if (!code && !qtyText) continue; // an empty line is no line
      if (!code) return refuse(get('code'), 'field.inventory.code_required');
      const quantity = readDecimal(qtyText);
      if (quantity === null || quantity > 1e9) return refuse(get('quantity'), 'field.inventory.quantity_invalid');
      const category = get('category').value;
      const pctText = get('remaining_percent').value.trim();
      const pct = category === 'structure' && pctText ? readDecimal(pctText) : null;
      if (category === 'structure' && pctText && (pct === null || !Number.isInteger(pct) || pct > 100)) return refuse(get('remaining_percent'), 'field.inventory.percent_invalid');
      const yields = [];
      for (const y of [1, 2, 3]) {
        const text = category === 'crop' ? get(`yield_${y}`).value.trim() : '';
        const kg = text ? readDecimal(text) : null;
        if (text && (kg === null || !Number.isInteger(kg) || kg > 1e9)) return refuse(get(`yield_${y}`), 'field.inventory.yield_invalid');
        yields.push(kg);
      }
      const grade = get('grade').value.trim() || null;
      const kept = fs._kept || {};
      const parcel = get('parcel_id').value;
      const line = {
        parcel_id: parcel ? Number(parcel) : null,
        category,
        code,
        description: kept.description ?? null,
        unit: get('unit').value.trim() || null,
        quantity,
        grade: byAge(category) ? (kept.grade ?? null) : grade,
        year_built: kept.year_built ?? null,
        age_class: byAge(category) ? grade : (kept.age_class ?? null),
        remaining_percent: category === 'structure' ? pct : (kept.remaining_percent ?? null),
      };
      if (yields.some((y) => y !== null)) line.yields_kg = yields;
      if (kept.cost) line.cost = kept.cost;
      if (kept.term_total !== undefined && kept.term_total !== null) line.term_total = kept.term_total;
      if (kept.term_remaining !== undefined && kept.term_remaining !== null) line.term_remaining = kept.term_remaining;
      items.push(line);
    }
    // What the form does not show goes back as it was (the PUT replaces the inventory whole);
    // resolving a conflict, as the newer record on the server has it.
    const w = queued?.state === 'conflict' && fresh && existing ? existing : v;
    const body = {
      record_no: record,
      inventoried_on: on,
      members_counted: members,
      relocating: form.elements.relocating.checked,
      hard_area: form.elements.relocating.checked && !!w.hard_area,
      farmland_held_m2: w.farmland_held_m2 ?? null,
      // The resettlement plot or house is recorded at the desk: kept while the household moves.
      resettlement: form.elements.relocating.checked ? (w.resettlement ?? null) : null,
      obligations: w.obligations ?? 0,
      business_income: w.business_income ?? 0,
      note: w.note ?? null,
      items,
    };
    const url = `/api/v1/households/${id}/inventory`;
    if (queued?.state === 'conflict') {
      // The member has now seen the newer record: send over the version the server named (412),
      // or the one this page just read. The key stays: the server stored nothing under it.
      const newer = queued.error?.details?.version ?? (fresh ? existing?.version : null) ?? queued.if_match;
      await outbox.retry(queued.key, body, { if_match: newer ?? null });
    } else {
      // A pending copy is replaced by this one under a new key (it may already be on its way).
      if (queued) await outbox.remove(queued.key);
      await outbox.enqueue(body, name, { kind: 'inventory', method: 'PUT', url, household_id: id, if_match: queued ? queued.if_match : (existing?.version ?? null) });
    }
    state.work = null;
    location_go(`#/h/${id}`);
  });

  show(back,
    h('h1', {}, queued?.state === 'conflict' ? t('field.inventory.fix_title') : t('field.inventory.title', { name })),
    queued ? h('p', { class: 'note small' }, t(queued.state === 'conflict' ? 'field.inventory.fixing' : 'field.inventory.queued_exists')) : null,
    conflict ? h('div', { class: 'error', role: 'alert', id: 'inventory-conflict' }, h('p', {}, conflict.text)) : null,
    form);
  // 422: the field the server named is marked.
  if (queued?.state === 'conflict' && queued.error?.status === 422) {
    const input = inputForField(form, queued.error.details?.field);
    if (input) {
      // Said beside the field too: the form is long on a phone.
      input.after(h('p', { class: 'error small', id: 'inv-field-error' }, conflict.text));
      input.setAttribute('aria-describedby', 'inv-field-error');
      fieldRefusal(err, input, conflict.text);
    }
  } else {
    focusHeading();
  }
}

function location_go(hash) {
  if (location.hash === hash) route(); else location.hash = hash;
}

async function renderOutbox() {
  const queued = await outbox.all();
  show(h('p', {}, h('a', { href: '#/' }, `← ${t('field.back')}`)), h('h1', {}, t('field.outbox')),
    queued.length ? h('ul', { class: 'pending-list' }, queued.map(pendingCard)) : h('p', {}, t('field.outbox_empty')));
  focusHeading();
}

// ---- routing and start ----------------------------------------------------------------

async function route() {
  if (!state.user) return;
  vault.touch();
  const hash = location.hash || '#/';
  let m;
  main._refresh = null;
  if ((m = hash.match(/^#\/h\/(\d+)\/visit$/))) return renderVisitForm(Number(m[1]));
  if ((m = hash.match(/^#\/h\/(\d+)\/edit\/(\d+)$/))) return renderVisitForm(Number(m[1]), Number(m[2]));
  if ((m = hash.match(/^#\/h\/(\d+)\/queued\/([\w-]+)$/))) return renderVisitForm(Number(m[1]), null, m[2]);
  if ((m = hash.match(/^#\/h\/(\d+)\/inventory$/))) return renderInventoryForm(Number(m[1]));
  if ((m = hash.match(/^#\/h\/(\d+)\/inventory\/([\w-]+)$/))) return renderInventoryForm(Number(m[1]), m[2]);
  if ((m = hash.match(/^#\/h\/(\d+)$/))) return renderHousehold(Number(m[1]));
  if (hash === '#/outbox') return renderOutbox();
  return renderWork();
}

async function start() {
  // Not opened for the server's number of days: the copy and the keys go before anything shows.
  const days = await vault.unusedTooLong();
  if (days) {
    await vault.wipe();
    Object.assign(state, { notice: 'field.wiped.unused', noticeDays: days });
  }
  await vault.restore();
  if (navigator.onLine && vault.available()) {
    try {
      await vault.unlock(await fetchKeys());
    } catch (err) {
      // 401: the session has ended. Anything else (no network after all): the kept keys serve.
      if (err.status === 401) { await endSession(); return renderLogin(); }
    }
  }
  let user = null;
  try {
    user = (await cachedGet('/api/v1/auth/me', { timeoutMs: 8000 })).data;
  } catch (err) {
    if (!(err.status === 401 || err.offline)) { show(errorBox(err)); return; }
  }
  if (!user) { renderLogin(); return; }
  state.notice = null;
  state.user = { ...user.user, working_groups: user.working_groups };
  document.getElementById('logout').hidden = false;
  outbox.start();
  renderSyncBar();
  route();
}

// A send answered 401: the session has ended.
outbox.onSessionEnd(async () => {
  if (!state.user) return;
  await endSession();
  renderLogin();
});

outbox.onChange(async ({ sent } = {}) => {
  await renderSyncBar();
  if (sent?.length) {
    state.work = null;
    // Refresh the household shown when its visits arrived.
    const m = (location.hash || '').match(/^#\/h\/(\d+)$/);
    if (m && sent.some((r) => outbox.householdOf(r) === Number(m[1]))) renderHousehold(Number(m[1]));
  }
  main._refresh?.();
});

async function boot() {
  await loadCatalogue(['field']);
  languageSwitch(document.getElementById('lang'));
  document.getElementById('logout').addEventListener('click', async () => {
    // What waits goes out first while the session still lets it.
    if (navigator.onLine) await outbox.sync({ force: true });
    const waiting = (await outbox.all()).length;
    if (waiting && !confirm(t('field.logout_pending', { n: waiting }))) return;
    try { await logout(); } catch { /* offline: the cookie stays until it expires */ }
    // The copy of households and the keys go; unsent records stay sealed for the next login.
    await vault.wipe();
    location.hash = '#/';
    location.reload();
  });
  addEventListener('online', netStatus);
  addEventListener('offline', netStatus);
  addEventListener('hashchange', route);
  netStatus();
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('/static/field/sw.js', { scope: '/field' }).catch(() => { /* http on a LAN: no offline shell */ });
  }
  renderSyncBar();
  await start();
}

boot();

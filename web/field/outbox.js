// The outbox: visits and inventories (kiểm đếm) recorded on the phone wait here (IndexedDB)
// until the server has them. Each keeps the Idempotency-Key made when it was queued, so however
// often it is resent the server stores it once. Network failures retry with exponential
// backoff; a refusal by the server (403/404/409/422: household reassigned, data changed; 412/428:
// someone changed the inventory since it was read) is kept as a conflict with the server's
// message for the member to see, never dropped silently.
const DB_NAME = 'gpmb-field';
const STORE = 'outbox';
const CONFLICT = new Set([400, 403, 404, 409, 410, 412, 413, 422, 428]);
const MAX_DELAY_MS = 5 * 60 * 1000;

let dbPromise;
function db() {
  dbPromise ??= new Promise((ok, fail) => {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: 'key' });
    req.onsuccess = () => ok(req.result);
    req.onerror = () => fail(req.error);
  });
  return dbPromise;
}

async function tx(mode, fn) {
  const d = await db();
  return new Promise((ok, fail) => {
    const t = d.transaction(STORE, mode);
    const result = fn(t.objectStore(STORE));
    t.oncomplete = () => ok(result?.result);
    t.onerror = () => fail(t.error);
    t.onabort = () => fail(t.error);
  });
}

/** Every queued record, oldest first. */
export async function all() {
  const rows = await tx('readonly', (s) => s.getAll());
  return (rows || []).sort((a, b) => a.queued_at.localeCompare(b.queued_at));
}

const put = (rec) => tx('readwrite', (s) => s.put(rec));
export const remove = (key) => tx('readwrite', (s) => s.delete(key)).then(changed);

/** A client-made idempotency key (crypto.randomUUID where the page is a secure context). */
export function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The household a queued record is about. */
export const householdOf = (rec) => rec.household_id ?? rec.body?.household_id;

/**
 * Queues a record and tries to send it at once: a visit (`body` as POST /api/v1/visits takes
 * it) by default, or with `{ kind, url, method, if_match, household_id }` another write, e.g.
 * `{ kind: 'inventory', method: 'PUT', url: '/api/v1/households/7/inventory', if_match: 2 }`.
 */
export async function enqueue(body, label, { kind = 'visit', url = null, method = null, if_match = null, household_id = null } = {}) {
  const rec = {
    key: newKey(), kind, url, method, if_match, household_id, body, label, state: 'pending', attempts: 0, next_try: 0,
    queued_at: new Date().toISOString(), error: null,
  };
  await put(rec);
  changed();
  sync();
  return rec;
}

/** One queued record. */
export const get = async (key) => (await all()).find((r) => r.key === key);

/**
 * Puts a conflicting record back in line, with `body` when the member corrected it (and
 * `changes`, e.g. `{ if_match }` once the member has seen the newer version). The key stays:
 * the server stored nothing under it, and a resend must still be recognised.
 */
export async function retry(key, body, changes = {}) {
  const rec = await get(key);
  if (!rec) return;
  Object.assign(rec, { state: 'pending', attempts: 0, next_try: 0, error: null }, changes);
  if (body) rec.body = body;
  await put(rec);
  changed();
  return sync({ force: true });
}

const listeners = new Set();
/** `fn({ sent })` runs after every change of the queue (and after each sync). */
export const onChange = (fn) => listeners.add(fn);
function changed(detail = {}) { for (const fn of listeners) fn(detail); }

let running = null;
/** Sends every due pending record, one at a time; concurrent calls share one run. */
export function sync({ force = false } = {}) {
  running ??= run(force).finally(() => { running = null; });
  return running;
}

async function backoff(rec, error) {
  rec.attempts += 1;
  const base = Math.min(MAX_DELAY_MS, 2000 * 2 ** (rec.attempts - 1));
  rec.next_try = Date.now() + base / 2 + Math.random() * base / 2;
  rec.error = error;
  await put(rec);
}

async function run(force) {
  const sent = [];
  for (const rec of await all()) {
    if (rec.state !== 'pending') continue;
    if (!navigator.onLine) break;
    if (!force && rec.next_try > Date.now()) continue;
    let res;
    const headers = { 'content-type': 'application/json', accept: 'application/json', 'idempotency-key': rec.key };
    // The version the member's data was based on: the server refuses (412) if it changed since.
    if (rec.if_match !== null && rec.if_match !== undefined) headers['if-match'] = `"${rec.if_match}"`;
    try {
      res = await fetch(rec.url || '/api/v1/visits', {
        method: rec.method || 'POST',
        credentials: 'same-origin',
        headers,
        body: JSON.stringify(rec.body),
      });
    } catch {
      await backoff(rec, { status: 0 });
      continue;
    }
    const data = await res.json().catch(() => ({}));
    if (res.ok) {
      await tx('readwrite', (s) => s.delete(rec.key));
      sent.push({ ...rec, visit: data, result: data });
    } else if (res.status === 401) {
      // The session ended: keep everything and wait for a new login.
      rec.error = { status: 401, code: data?.error?.code, message: data?.error?.message };
      await put(rec);
      break;
    } else if (CONFLICT.has(res.status)) {
      rec.state = 'conflict';
      rec.error = {
        status: res.status, code: data?.error?.code || `http_${res.status}`,
        message: data?.error?.message || res.statusText, details: data?.error?.details ?? null,
      };
      await put(rec);
    } else {
      await backoff(rec, { status: res.status, message: data?.error?.message });
    }
  }
  changed({ sent });
  return sent;
}

/** Retries when the network comes back and every few seconds while anything waits. */
let started = false;
export function start(intervalMs = 10_000) {
  if (started) return sync({ force: true });
  started = true;
  addEventListener('online', () => sync({ force: true }));
  setInterval(() => { sync(); }, intervalMs);
  sync();
}

// The outbox: visits logged on the phone wait here (IndexedDB) until the server has them.
// Each keeps the Idempotency-Key made when it was logged, so however often it is resent the
// server stores it once. Network failures retry with exponential backoff; a refusal by the
// server (403/404/409/422: household reassigned, data changed) is kept as a conflict with the
// server's message for the member to see, never dropped silently.
const DB_NAME = 'gpmb-field';
const STORE = 'outbox';
const CONFLICT = new Set([400, 403, 404, 409, 410, 422]);
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

/** Every queued visit, oldest first. */
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

/** Queues a visit (`body` as POST /api/v1/visits takes it) and tries to send it at once. */
export async function enqueue(body, label) {
  const rec = {
    key: newKey(), body, label, state: 'pending', attempts: 0, next_try: 0,
    queued_at: new Date().toISOString(), error: null,
  };
  await put(rec);
  changed();
  sync();
  return rec;
}

/** One queued visit. */
export const get = async (key) => (await all()).find((r) => r.key === key);

/**
 * Puts a conflicting visit back in line, with `body` when the member corrected it. The key
 * stays: the server stored nothing under it, and a resend must still be recognised.
 */
export async function retry(key, body) {
  const rec = await get(key);
  if (!rec) return;
  Object.assign(rec, { state: 'pending', attempts: 0, next_try: 0, error: null });
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
/** Sends every due pending visit, one at a time; concurrent calls share one run. */
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
    try {
      res = await fetch('/api/v1/visits', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'content-type': 'application/json', accept: 'application/json', 'idempotency-key': rec.key },
        body: JSON.stringify(rec.body),
      });
    } catch {
      await backoff(rec, { status: 0 });
      continue;
    }
    const data = await res.json().catch(() => ({}));
    if (res.ok) {
      await tx('readwrite', (s) => s.delete(rec.key));
      sent.push({ ...rec, visit: data });
    } else if (res.status === 401) {
      // The session ended: keep everything and wait for a new login.
      rec.error = { status: 401, code: data?.error?.code, message: data?.error?.message };
      await put(rec);
      break;
    } else if (CONFLICT.has(res.status)) {
      rec.state = 'conflict';
      rec.error = { status: res.status, code: data?.error?.code, message: data?.error?.message || res.statusText };
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

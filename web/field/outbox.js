// The outbox: visits and inventories (kiểm đếm) recorded on the phone wait here (IndexedDB,
// encrypted) until the server has them. Each keeps the Idempotency-Key made when it was queued, so however
// often it is resent the server stores it once. Network failures retry with exponential
// backoff; a refusal by the server (403/404/409/422: household reassigned, data changed; 412/428:
// someone changed the inventory since it was read) is kept as a conflict with the server's
// message for the member to see, never dropped silently.
// Records are stored sealed (vault.js): only their ids and the queue's bookkeeping are in clear.
import * as vault from './vault.js';

const CONFLICT = new Set([400, 403, 404, 409, 410, 412, 413, 422, 428]);
const MAX_DELAY_MS = 5 * 60 * 1000;

/** Every queued record this account can open, oldest first. */
export async function all() {
  const rows = await vault.outboxAll();
  return rows.sort((a, b) => a.queued_at.localeCompare(b.queued_at));
}

const put = (rec) => vault.outboxPut(rec);
/** A send's outcome noted on its record; skipped when the keys went meanwhile (a wipe). */
const note = (rec) => put(rec).catch((err) => { if (vault.unlocked() || !vault.available()) throw err; });
export const remove = (key) => vault.outboxDelete(key).then(changed);
/** How many records wait sealed under a key this phone does not hold now (log in again to send). */
export const locked = () => vault.outboxLocked();

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
    key: newKey(), kind, url, method, if_match, household_id: household_id ?? body?.household_id ?? null, body, label, state: 'pending', attempts: 0, next_try: 0,
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
  await note(rec);
}

async function run(force) {
  const sent = [];
  let ended = false;
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
      await vault.outboxDelete(rec.key);
      sent.push({ ...rec, visit: data, result: data });
    } else if (res.status === 401) {
      // The session ended: the record stays (sealed under the account's outbox key) and goes
      // after the next login; the app wipes its copy of households.
      ended = true;
      break;
    } else if (CONFLICT.has(res.status)) {
      rec.state = 'conflict';
      rec.error = {
        status: res.status, code: data?.error?.code || `http_${res.status}`,
        message: data?.error?.message || res.statusText, details: data?.error?.details ?? null,
      };
      await note(rec);
    } else {
      await backoff(rec, { status: res.status, message: data?.error?.message });
    }
  }
  changed({ sent });
  if (ended) for (const fn of endListeners) await fn();
  return sent;
}

const endListeners = new Set();
/** `fn()` runs when the server answers a send with 401 (the session has ended). */
export const onSessionEnd = (fn) => endListeners.add(fn);

/** Retries when the network comes back and every few seconds while anything waits. */
let started = false;
export function start(intervalMs = 10_000) {
  if (started) return sync({ force: true });
  started = true;
  addEventListener('online', () => sync({ force: true }));
  setInterval(() => { sync(); }, intervalMs);
  sync();
}

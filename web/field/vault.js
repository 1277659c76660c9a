// The field app's offline store (issue 16 item 11), encrypted. The phone keeps the member's
// households (names, phones, CCCD, notes) for use without signal, and the visits and
// inventories she recorded until the server has them, only as AES-GCM ciphertext (a random
// 96-bit IV per record, the record's URL or key as additional data); the record's ids stay in
// clear so it can be found. Two keys come from the server (GET /api/v1/field/key):
//
// - the session key seals the copy of households; it is bound to the login session, the server
//   deletes it when the session ends, and the app deletes it (and the copy) when the server
//   answers 401, at logout, and at start when the app was not opened for `wipe_after_days`;
// - the outbox key (one per user, the same in each of their sessions) seals what waits to be
//   sent. A wipe deletes the key from the phone but keeps the sealed records: a session often
//   ends while the member is offline (30 minutes unused), and after she logs in again with the
//   same account the key comes back and the records go out. Nothing is lost unless she discards
//   it; under another account they stay sealed.
//
// Trade-off: to open the app at the village with no signal, the keys are kept in IndexedDB as
// non-extractable CryptoKeys while the session is thought live. Script of this origin can still
// use them (that is how the app works offline), and the browser's files on the phone hold the
// key material, so an unlocked phone taken before the wipe shows what the member would see. What
// the keys protect against is the copy outliving the session: after logout, a 401, or the days
// unused, the keys are gone and the ciphertext left (the outbox) opens only with the member's
// next login. Where WebCrypto is missing (a page served over plain http to a phone, not
// localhost), nothing personal is written: households are not kept offline and the outbox
// holds its records in memory only.
const DB_NAME = 'gpmb-field';
const DB_VERSION = 2;
export const OUTBOX = 'outbox';
const CACHE = 'cache';
const META = 'meta';
/** The Cache Storage where versions before encryption kept API answers in clear. */
const LEGACY_CACHE = 'gpmb-field-api';
/** Fields of an outbox record kept in clear: ids and the queue's bookkeeping, nothing personal. */
const CLEAR = ['key', 'kind', 'household_id', 'url', 'method', 'if_match', 'state', 'attempts', 'next_try', 'queued_at'];

const enc = new TextEncoder();
const dec = new TextDecoder();
let keys = null;
/** Outbox records when WebCrypto is missing (kept while the page is open, never written). */
const memory = new Map();

/** Whether the page can encrypt (WebCrypto needs a secure context: https or localhost). */
export const available = () => !!(globalThis.crypto?.subtle && globalThis.indexedDB);
/** Whether the keys are in memory (after `unlock` or `restore`). */
export const unlocked = () => keys !== null;

let dbPromise;
function db() {
  dbPromise ??= new Promise((ok, fail) => {
    const req = indexedDB.open(DB_NAME, DB_VERSION);
    req.onupgradeneeded = () => {
      const d = req.result;
      for (const [name, keyPath] of [[OUTBOX, 'key'], [CACHE, 'url'], [META, 'name']]) {
        if (!d.objectStoreNames.contains(name)) d.createObjectStore(name, { keyPath });
      }
    };
    req.onsuccess = () => {
      req.result.onversionchange = () => req.result.close();
      ok(req.result);
    };
    req.onerror = () => fail(req.error);
  });
  return dbPromise;
}

/** Runs `fn(store)` in a transaction on `store`; resolves to the request's result once committed. */
async function tx(store, mode, fn) {
  const d = await db();
  return new Promise((ok, fail) => {
    const t = d.transaction(store, mode);
    const result = fn(t.objectStore(store));
    t.oncomplete = () => ok(result?.result);
    t.onerror = () => fail(t.error);
    t.onabort = () => fail(t.error);
  });
}

const meta = (name) => tx(META, 'readonly', (s) => s.get(name));
const putMeta = (rec) => tx(META, 'readwrite', (s) => s.put(rec));

function bytes(b64) {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i += 1) out[i] = s.charCodeAt(i);
  return out;
}

async function seal(key, keyId, value, aad) {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: enc.encode(aad) }, key, enc.encode(JSON.stringify(value)));
  return { key_id: keyId, iv, ct };
}

/** The sealed value, or undefined when it is not sealed under `key` (another session, tampered). */
async function open(key, keyId, rec, aad) {
  if (!key || rec?.key_id !== keyId || !rec.ct) return undefined;
  try {
    return JSON.parse(dec.decode(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: rec.iv, additionalData: enc.encode(aad) }, key, rec.ct)));
  } catch {
    return undefined;
  }
}

/**
 * Takes the server's keys (`GET /api/v1/field/key`): imported as non-extractable, kept in
 * memory and, for offline starts, in IndexedDB. A copy of households sealed under another
 * session's key cannot be opened any more and goes. What an earlier version kept in clear goes
 * too: outbox records are sealed now, its Cache Storage copy of API answers is deleted.
 */
export async function unlock(k) {
  if (!available()) return;
  const imp = (b64) => crypto.subtle.importKey('raw', bytes(b64), { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
  const next = {
    name: 'keys', cache: await imp(k.key), cache_id: k.key_id, outbox: await imp(k.outbox_key), outbox_id: k.outbox_key_id,
    wipe_after_days: k.wipe_after_days,
  };
  const kept = await meta('keys');
  if (kept?.cache_id !== next.cache_id) await tx(CACHE, 'readwrite', (s) => s.clear());
  await putMeta(next);
  keys = next;
  await touch();
  await sealLegacy();
  if ('caches' in self) await caches.delete(LEGACY_CACHE);
}

/** The keys kept by `unlock`, for a start with no network; false when there are none. */
export async function restore() {
  if (!available()) return false;
  keys = (await meta('keys')) || null;
  return keys !== null;
}

/** Notes that the app was used now (the days unused count from here). */
export const touch = () => (keys ? putMeta({ name: 'last_used', at: Date.now() }) : Promise.resolve());

/** The server's `wipe_after_days` when the app was last used longer ago than that, else 0. */
export async function unusedTooLong(now = Date.now()) {
  if (!available()) return 0;
  const [k, used] = [await meta('keys'), await meta('last_used')];
  if (!k) return 0;
  const days = k.wipe_after_days || 7;
  return !used || now - used.at > days * 86400e3 ? days : 0;
}

/**
 * Deletes the copy of households and both keys (from memory and IndexedDB); the outbox's sealed
 * records stay for the same account's next login. Resolves to whether anything was deleted.
 */
export async function wipe() {
  keys = null;
  sessionStorage.removeItem('field.q');
  if ('caches' in self) await caches.delete(LEGACY_CACHE);
  if (!available()) return false;
  const had = !!(await meta('keys')) || (await tx(CACHE, 'readonly', (s) => s.count())) > 0;
  await tx(CACHE, 'readwrite', (s) => s.clear());
  await tx(META, 'readwrite', (s) => s.clear());
  return had;
}

// ---- the copy of API answers (households, work list, who is logged in) --------------------

/** The kept answer for `url`: `{ data, at }`, or null when there is none this session can open. */
export async function cacheGet(url) {
  const k = keys; // the keys of this call, whatever a wipe meanwhile does
  if (!k) return null;
  const rec = await tx(CACHE, 'readonly', (s) => s.get(url));
  const data = await open(k.cache, k.cache_id, rec, url);
  return data === undefined ? null : { data, at: rec.at };
}

/** Keeps `data` as the answer for `url`, sealed under the session key. */
export async function cachePut(url, data) {
  const k = keys;
  if (!k) return;
  const sealed = await seal(k.cache, k.cache_id, data, url);
  // Not written if the keys went meanwhile (a wipe): it would outlive the session.
  if (keys !== k) return;
  await tx(CACHE, 'readwrite', (s) => s.put({ url, at: new Date().toISOString(), ...sealed }));
}

export async function cacheDelete(url) {
  if (available()) await tx(CACHE, 'readwrite', (s) => s.delete(url));
}

// ---- the outbox ------------------------------------------------------------------------

/** Every outbox record this account can open, decrypted. */
export async function outboxAll() {
  if (!available()) return [...memory.values()];
  const k = keys;
  if (!k) return [];
  const out = [];
  for (const rec of (await tx(OUTBOX, 'readonly', (s) => s.getAll())) || []) {
    const secret = await open(k.outbox, k.outbox_id, rec, rec.key);
    if (secret === undefined) continue;
    const plain = Object.fromEntries(CLEAR.map((f) => [f, rec[f] ?? null]));
    out.push({ ...plain, ...secret });
  }
  return out;
}

/** How many outbox records wait that this phone cannot open now (no key, or another account's). */
export async function outboxLocked() {
  if (!available()) return 0;
  const k = keys;
  const all = (await tx(OUTBOX, 'readonly', (s) => s.getAll())) || [];
  return all.filter((r) => !k || r.key_id !== k.outbox_id).length;
}

/** Writes an outbox record: its ids in clear, its body, label and error sealed. */
export async function outboxPut(rec) {
  if (!available()) { memory.set(rec.key, rec); return; }
  const k = keys;
  if (!k) throw new Error('locked');
  const { body = null, label = null, error = null } = rec;
  const sealed = await seal(k.outbox, k.outbox_id, { body, label, error }, rec.key);
  const plain = Object.fromEntries(CLEAR.map((f) => [f, rec[f] ?? null]));
  await tx(OUTBOX, 'readwrite', (s) => s.put({ ...plain, ...sealed }));
}

export async function outboxDelete(key) {
  if (!available()) { memory.delete(key); return; }
  await tx(OUTBOX, 'readwrite', (s) => s.delete(key));
}

/** Seals outbox records an earlier version of the app kept in clear. */
async function sealLegacy() {
  const clear = ((await tx(OUTBOX, 'readonly', (s) => s.getAll())) || []).filter((r) => !r.ct);
  for (const rec of clear) await outboxPut({ ...rec, household_id: rec.household_id ?? rec.body?.household_id ?? null });
}

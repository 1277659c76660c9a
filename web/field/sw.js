// Service worker of the field app (registered with scope /field). It keeps the app shell
// (page, scripts, styles, i18n catalogues) so the app opens with no network. API answers are
// not kept here: the page keeps its copy of households encrypted (vault.js), and the clear
// copy earlier versions kept in Cache Storage is deleted on activation.
// Writes (POST/PATCH) are never touched here: the outbox in the page sends them.
const VERSION = 'gpmb-field-v4';
const SHELL_CACHE = `${VERSION}-shell`;
const LEGACY_API_CACHE = 'gpmb-field-api';
const SHELL = [
  '/field',
  '/static/field/app.js',
  '/static/field/outbox.js',
  '/static/field/vault.js',
  '/static/field/field.css',
  '/static/field/manifest.webmanifest',
  '/static/field/icon.svg',
  '/static/lib/api.js',
  '/static/lib/i18n.js',
  '/static/lib/dates.js',
  '/static/lib/money.js',
  '/static/i18n/vi/common.json',
  '/static/i18n/vi/field.json',
  '/static/i18n/en/common.json',
  '/static/i18n/en/field.json',
];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(SHELL_CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if ((name.startsWith('gpmb-field-v') && name !== SHELL_CACHE) || name === LEGACY_API_CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

/** The network's answer (kept for next time), or the kept copy when the network fails. */
async function networkFirst(request, cacheName, key = request) {
  const cache = await caches.open(cacheName);
  try {
    const res = await fetch(request);
    if (res.ok) await cache.put(key, res.clone());
    return res;
  } catch (err) {
    const kept = await cache.match(key, { ignoreVary: true });
    if (kept) return kept;
    throw err;
  }
}

/** The kept copy at once, refreshed in the background (fast start on a slow network). */
async function staleWhileRevalidate(event, cacheName) {
  const cache = await caches.open(cacheName);
  const kept = await cache.match(event.request, { ignoreSearch: true });
  const fresh = fetch(event.request).then(async (res) => {
    if (res.ok) await cache.put(event.request, res.clone());
    return res;
  });
  if (kept) {
    event.waitUntil(fresh.catch(() => {}));
    return kept;
  }
  return fresh;
}

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (req.mode === 'navigate' && (url.pathname === '/field' || url.pathname.startsWith('/field/'))) {
    event.respondWith(networkFirst(req, SHELL_CACHE, '/field'));
  } else if (SHELL.includes(url.pathname)) {
    event.respondWith(staleWhileRevalidate(event, SHELL_CACHE));
  }
});

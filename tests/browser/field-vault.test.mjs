// The field app's offline store is encrypted (issue 16 item 11), on a 360 px phone: after a
// sync, IndexedDB and Cache Storage hold no household's name, phone or CCCD in clear, yet the
// app still shows the households after a reload with no network; a session ended on the server
// wipes the copy at the next online request, while a visit recorded offline stays sealed and is
// sent once after the member logs in again; logging out wipes the copy (a visit queued offline
// waits for the next login); not opened for the server's days (GPMB_FIELD_WIPE_DAYS), the app
// wipes at start; served over plain http (no WebCrypto), nothing personal is written.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, login, devices, collectPageErrors, artifact, chromium, CHROMIUM_ARGS } from './lib.mjs';

const WIPE_DAYS = 3;
let server;
let browser;
let admin;
before(async () => {
  server = await startServer({ env: { GPMB_FIELD_WIPE_DAYS: String(WIPE_DAYS) } });
  browser = await launchBrowser();
  admin = await browser.newContext();
  await login(admin, server.url, 'admin');
});
after(async () => { await browser?.close(); await server?.stop(); });

const phone = (lang = 'vi') => ({
  ...devices['Pixel 7'], viewport: { width: 360, height: 740 }, screen: { width: 360, height: 740 },
  locale: lang === 'vi' ? 'vi-VN' : 'en-US', timezoneId: 'Asia/Ho_Chi_Minh',
});

async function openField(context, user, lang = 'vi') {
  await login(context, server.url, user);
  const page = await context.newPage();
  const errors = collectPageErrors(page);
  await page.goto(`${server.url}/field?lang=${lang}`);
  await page.waitForSelector('#work-list li');
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  return { page, errors };
}

/** Visits of a household as the server has them (read as admin). */
async function serverVisits(householdId) {
  const res = await admin.request.get(`${server.url}/api/v1/visits?household=${householdId}&limit=500`);
  assert.equal(res.status(), 200);
  return (await res.json()).items;
}

/**
 * Everything the app's IndexedDB holds, read raw (not through the app): each store's records,
 * ciphertexts and IVs decoded as UTF-8 text so that a name stored in clear would show.
 */
const rawStore = (page) => page.evaluate(async () => {
  const d = await new Promise((ok, fail) => {
    const r = indexedDB.open('gpmb-field');
    r.onsuccess = () => ok(r.result);
    r.onerror = () => fail(r.error);
  });
  const out = {};
  for (const name of d.objectStoreNames) {
    out[name] = await new Promise((ok, fail) => {
      const g = d.transaction(name).objectStore(name).getAll();
      g.onsuccess = () => ok(g.result);
      g.onerror = () => fail(g.error);
    });
  }
  d.close();
  const text = (v) => {
    if (v instanceof ArrayBuffer || ArrayBuffer.isView(v)) return { bytes: new TextDecoder().decode(v) };
    if (v instanceof CryptoKey) return { crypto_key: v.algorithm.name, extractable: v.extractable, usages: v.usages };
    if (Array.isArray(v)) return v.map(text);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, text(x)]));
    return v;
  };
  return text(out);
});

/** Every entry of every Cache Storage cache of the origin, with its body. */
const rawCaches = (page) => page.evaluate(async () => {
  const out = {};
  for (const name of await caches.keys()) {
    const c = await caches.open(name);
    out[name] = [];
    for (const req of await c.keys()) out[name].push(`${req.url}\n${await (await c.match(req)).text()}`);
  }
  return out;
});

/** The outbox as the app reads it (through its module, which holds the keys). */
const queuedRecords = (page) => page.evaluate(async () => (await import('/static/field/outbox.js')).all());

/**
 * After a login, waits until the outbox has sent everything: the bar alone is not enough, it is
 * hidden on the login page and stays hidden until the app has read the unlocked outbox.
 */
async function waitAllSent(page) {
  const deadline = Date.now() + 30_000;
  while ((await rawStore(page)).outbox.length > 0) {
    assert.ok(Date.now() < deadline, 'the outbox was not sent within 30 s');
    await page.waitForTimeout(200);
  }
  await page.waitForFunction(() => document.getElementById('sync').hidden, null, { timeout: 30_000 });
}

/** Logs in through the app's own form and waits until the app has started. */
async function loginForm(page, user) {
  await page.fill('#login-user', user);
  await page.fill('#login-pass', 'demo');
  await page.click('#login button[type=submit]');
  await page.waitForSelector('#logout:not([hidden])');
  await page.waitForSelector('main h1:not(:text("Đăng nhập")):not(:text("Log in"))');
}

/** Sets the app's "last used" mark `daysAgo` days back, as if it had not been opened since. */
const lastUsed = (page, daysAgo) => page.evaluate((ms) => new Promise((ok, fail) => {
  const r = indexedDB.open('gpmb-field');
  r.onsuccess = () => {
    const t = r.result.transaction('meta', 'readwrite');
    t.objectStore('meta').put({ name: 'last_used', at: Date.now() - ms });
    t.oncomplete = () => { r.result.close(); ok(); };
    t.onerror = () => fail(t.error);
  };
}), daysAgo * 86400e3);

async function fillVisit(page, concerns) {
  await page.click('#log-visit');
  await page.waitForSelector('#visit-form');
  await page.selectOption('#kind', 'home_visit');
  await page.fill('#participants', 'Phạm Thị Vân Anh');
  await page.check('input[name=stance][value=considering]');
  await page.fill('#concerns', concerns);
  await page.click('#save-visit');
  await page.waitForSelector('#log-visit');
}

/** Ends the page's session on the server without the browser knowing (as an expiry would). */
async function endSessionOnServer(context) {
  const cookie = (await context.cookies(server.url)).find((c) => c.name === 'gpmb_session');
  assert.ok(cookie, 'the page has a session');
  const res = await fetch(`${server.url}/api/v1/auth/logout`, { method: 'POST', headers: { cookie: `gpmb_session=${cookie.value}` } });
  assert.equal(res.status, 204);
  const after = await fetch(`${server.url}/api/v1/field/key`, { headers: { cookie: `gpmb_session=${cookie.value}` } });
  assert.equal(after.status, 401, 'the session is over on the server');
}

/** A household of member_a's work list with a phone, a CCCD and members: its page as the app gets it. */
async function householdWithPersonalData(page) {
  return page.evaluate(async () => {
    const work = (await (await fetch('/api/v1/my-work?limit=500')).json()).items;
    for (const item of work) {
      const hh = await (await fetch(`/api/v1/field/households/${item.id}`)).json();
      if (hh.household.phone && hh.household.id_number && hh.household.members?.length) return { id: item.id, ...hh.household };
    }
    return null;
  });
}

/** The app's copy is gone: no kept answers, no keys, no clear copy in Cache Storage. */
async function assertWiped(page) {
  const raw = await rawStore(page);
  assert.deepEqual(raw.cache, [], 'no kept answers');
  assert.deepEqual(raw.meta, [], 'no keys');
  assert.ok(!('gpmb-field-api' in (await rawCaches(page))));
  return raw;
}

test('after a sync nothing personal is in clear on the phone, yet the households show offline after a reload', async () => {
  const context = await browser.newContext(phone());
  const { page, errors } = await openField(context, 'member_a');
  const hh = await householdWithPersonalData(page);
  assert.ok(hh, 'member_a has a household with a phone, a CCCD and members');
  await page.evaluate((id) => { location.hash = `#/h/${id}`; }, hh.id);
  await page.waitForSelector(`h1:text("${hh.head_name}")`);
  // And a visit recorded offline, with a person's name in it, waiting in the outbox.
  await context.setOffline(true);
  await fillVisit(page, 'Bà Phạm Thị Vân Anh hỏi về tái định cư');
  await page.waitForSelector('.pending-visit');

  const raw = await rawStore(page);
  const text = JSON.stringify(raw);
  const personal = [hh.head_name, hh.phone, hh.id_number, ...hh.members.map((m) => m.name), 'Phạm Thị Vân Anh'].filter((s) => s && s.length >= 6);
  for (const s of personal) {
    assert.ok(!text.includes(s), `"${s}" is not stored in clear in IndexedDB`);
    assert.ok(!text.includes(s.normalize('NFD')), `"${s}" (decomposed) is not stored in clear`);
  }
  // What is there: the kept answers and the outbox record, each as ciphertext with a 12-byte IV
  // under a named key; ids in clear; the keys as non-extractable CryptoKeys.
  const urls = raw.cache.map((r) => r.url);
  assert.ok(urls.includes(`/api/v1/field/households/${hh.id}`), urls.join(', '));
  assert.ok(urls.some((u) => u.startsWith('/api/v1/my-work')), urls.join(', '));
  for (const r of [...raw.cache, ...raw.outbox]) {
    assert.ok(r.ct?.bytes && r.iv?.bytes !== undefined && /^[0-9a-f]{16}$/.test(r.key_id), JSON.stringify(r).slice(0, 200));
    assert.equal(r.body, undefined);
    assert.equal(r.label, undefined);
  }
  assert.equal(raw.outbox.length, 1);
  assert.equal(raw.outbox[0].household_id, hh.id);
  const [keys] = raw.meta.filter((m) => m.name === 'keys');
  assert.deepEqual([keys.cache, keys.outbox].map((k) => [k.crypto_key, k.extractable]), [['AES-GCM', false], ['AES-GCM', false]]);
  const ivs = new Set([...raw.cache, ...raw.outbox].map((r) => JSON.stringify(r.iv)));
  assert.equal(ivs.size, raw.cache.length + raw.outbox.length, 'a fresh IV for every record');
  // The app itself opens them (so the search above would have found a name stored in clear).
  const opened = await page.evaluate(async (id) => (await import('/static/field/vault.js')).cacheGet(`/api/v1/field/households/${id}`), hh.id);
  assert.equal(opened.data.household.head_name, hh.head_name);
  assert.equal((await queuedRecords(page))[0].body.participants.includes('Phạm Thị Vân Anh'), true);
  // Cache Storage holds the app's shell only, no API answer.
  const cached = await rawCaches(page);
  assert.ok(!('gpmb-field-api' in cached), Object.keys(cached).join(', '));
  const shell = JSON.stringify(cached);
  for (const s of personal) assert.ok(!shell.includes(s), `"${s}" is not in Cache Storage`);
  const entries = Object.values(cached).flat().map((e) => e.split('\n')[0]);
  assert.ok(entries.length > 0 && entries.every((u) => !new URL(u).pathname.startsWith('/api/')), `no API answer in Cache Storage: ${entries.join(', ')}`);

  // Reload with no network: the shell from the service worker, the households from the copy.
  const reloaded = await page.reload();
  assert.ok(reloaded.fromServiceWorker());
  await page.waitForSelector(`h1:text("${hh.head_name}")`);
  assert.ok((await page.textContent('main')).includes(hh.phone));
  await page.evaluate(() => { location.hash = '#/'; });
  await page.waitForSelector('#work-list li');
  assert.ok((await page.locator('#work-list .name').allTextContents()).includes(hh.head_name));

  // Back online: the visit goes once.
  const before = (await serverVisits(hh.id)).length;
  const [{ key }] = await queuedRecords(page);
  await context.setOffline(false);
  await page.waitForFunction(() => document.getElementById('sync').hidden, null, { timeout: 30_000 });
  const visits = await serverVisits(hh.id);
  assert.equal(visits.length, before + 1);
  assert.equal(visits.filter((v) => v.client_id === key).length, 1);
  assert.deepEqual(errors, []);
  await context.close();
});

for (const lang of ['vi', 'en']) {
  test(`a session ended on the server wipes the copy at the next online request; a visit queued offline is sent once after the next login (${lang})`, async () => {
    const context = await browser.newContext(phone(lang));
    const { page, errors } = await openField(context, 'member_a', lang);
    const id = Number(await page.locator('#work-list li.item a').nth(lang === 'vi' ? 2 : 3).getAttribute('href').then((h) => h.match(/\d+/)[0]));
    await page.evaluate((hid) => { location.hash = `#/h/${hid}`; }, id);
    await page.waitForSelector('#log-visit');
    const before = (await serverVisits(id)).length;

    await context.setOffline(true);
    const concerns = `Ghi ngoại tuyến, phiên hết hạn (${lang})`;
    await fillVisit(page, concerns);
    const [{ key }] = await queuedRecords(page);
    // The session ends meanwhile (expiry, inactivity, a password change elsewhere).
    await endSessionOnServer(context);

    // Online again: the outbox's send is answered 401; the copy and the keys go, the visit stays
    // sealed, and the member is asked to log in again.
    await context.setOffline(false);
    await page.waitForSelector('#wipe-note', { timeout: 30_000 });
    const note = await page.textContent('#wipe-note');
    assert.match(note, lang === 'vi' ? /Phiên đăng nhập đã kết thúc\. Dữ liệu hộ dân lưu trên máy này đã được xóa/ : /Your session has ended\. The household data kept on this phone has been deleted/);
    assert.match(await page.textContent('#locked-note'), lang === 'vi' ? /^1 chuyến thăm, biên bản chưa gửi đang được giữ mã hóa/ : /^Visits and records not yet sent, kept encrypted on this phone: 1\./);
    await page.waitForFunction(() => document.getElementById('sync').hidden);
    const raw = await assertWiped(page);
    assert.equal(raw.outbox.length, 1);
    assert.equal(raw.outbox[0].key, key);
    assert.ok(!JSON.stringify(raw).includes(concerns));
    assert.equal((await serverVisits(id)).length, before, 'nothing reached the server');
    const [scroll, client] = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
    assert.ok(scroll <= client, `no sideways scroll: ${scroll} > ${client}`);
    await page.screenshot({ path: artifact(`field-session-ended-phone-${lang}.png`), fullPage: true });

    // Logged in again (a new session, so a new key for the copy; the same outbox key): sent once.
    await loginForm(page, 'member_a');
    await waitAllSent(page);
    const visits = await serverVisits(id);
    assert.equal(visits.length, before + 1);
    assert.deepEqual(visits.filter((v) => v.concerns === concerns).map((v) => v.client_id), [key]);
    assert.deepEqual((await rawStore(page)).outbox, []);
    assert.deepEqual(errors, []);
    await context.close();
  });

  test(`not opened for GPMB_FIELD_WIPE_DAYS days, the app wipes its copy at start (${lang})`, async () => {
    const context = await browser.newContext(phone(lang));
    const { page, errors } = await openField(context, 'member_a', lang);
    const link = page.locator('#work-list li.item a').first();
    const name = await link.locator('.name').textContent();
    await link.click();
    await page.waitForSelector(`h1:text("${name}")`);
    await context.setOffline(true);

    // Within the days: still there with no network.
    await lastUsed(page, WIPE_DAYS - 1);
    await page.reload();
    await page.waitForSelector(`h1:text("${name}")`);

    // Past them: wiped before anything shows, even with no network to ask the server.
    await lastUsed(page, WIPE_DAYS + 0.5);
    await page.reload();
    await page.waitForSelector('#wipe-note');
    assert.equal(await page.textContent('#wipe-note'), lang === 'vi'
      ? `Ứng dụng không được mở trong ${WIPE_DAYS} ngày nên dữ liệu hộ dân lưu trên máy này đã được xóa. Hãy đăng nhập lại khi có mạng.`
      : `The app was not opened for ${WIPE_DAYS} days, so the household data kept on this phone has been deleted. Log in again when you have a network.`);
    assert.equal(await page.locator(`text=${name}`).count(), 0);
    await assertWiped(page);
    await page.screenshot({ path: artifact(`field-wiped-unused-phone-${lang}.png`), fullPage: true });
    // Still logged in on the server: back online, the app gets the keys again and works.
    await context.setOffline(false);
    await page.reload();
    await page.waitForSelector(`h1:text("${name}")`);
    assert.deepEqual(errors, []);
    await context.close();
  });
}

test('logging out wipes the copy; a visit queued offline is kept sealed and sent after the next login', async () => {
  const context = await browser.newContext(phone());
  const { page, errors } = await openField(context, 'member_a');
  const id = Number(await page.locator('#work-list li.item a').nth(4).getAttribute('href').then((h) => h.match(/\d+/)[0]));
  await page.evaluate((hid) => { location.hash = `#/h/${hid}`; }, id);
  await page.waitForSelector('#log-visit');
  const before = (await serverVisits(id)).length;

  // Online with nothing waiting: logout asks nothing and leaves nothing.
  await page.click('#logout');
  await page.waitForSelector('#login');
  await assertWiped(page);
  assert.deepEqual((await rawStore(page)).outbox, []);

  // Offline with a visit waiting: the member is told it stays (encrypted) for her next login.
  await login(context, server.url, 'member_a');
  await page.goto(`${server.url}/field#/h/${id}`);
  await page.waitForSelector('#log-visit');
  await context.setOffline(true);
  const concerns = 'Đăng xuất khi còn chuyến thăm chưa gửi';
  await fillVisit(page, concerns);
  const [{ key }] = await queuedRecords(page);
  let asked = '';
  page.once('dialog', (d) => { asked = d.message(); d.accept(); });
  await page.click('#logout');
  await page.waitForSelector('#login');
  assert.match(asked, /Còn 1 chuyến thăm, biên bản chưa gửi\. Chúng được giữ mã hóa trên máy này/);
  const raw = await assertWiped(page);
  assert.deepEqual(raw.outbox.map((r) => r.key), [key]);
  assert.match(await page.textContent('#locked-note'), /^1 chuyến thăm, biên bản chưa gửi/);

  await context.setOffline(false);
  await loginForm(page, 'member_a');
  await waitAllSent(page);
  const visits = await serverVisits(id);
  assert.equal(visits.length, before + 1);
  assert.deepEqual(visits.filter((v) => v.concerns === concerns).map((v) => v.client_id), [key]);

  // Queued offline again and logged out; another member logs in on the same phone: the record
  // is not hers, stays sealed, and is not sent; it goes when member_a is back.
  await page.evaluate((hid) => { location.hash = `#/h/${hid}`; }, id);
  await page.waitForSelector('#log-visit');
  await context.setOffline(true);
  const second = 'Chuyến thăm chờ đúng tài khoản';
  await fillVisit(page, second);
  page.once('dialog', (d) => d.accept());
  await page.click('#logout');
  await page.waitForSelector('#login');
  await context.setOffline(false);
  await loginForm(page, 'member_b');
  await page.waitForSelector('#sync .locked');
  assert.equal(await page.textContent('#sync .locked'), '1 bản ghi của tài khoản khác chờ tài khoản đó đăng nhập để gửi');
  await page.screenshot({ path: artifact('field-locked-outbox-phone-vi.png') });
  await page.goto(`${server.url}/field?lang=en`);
  await page.waitForSelector('#sync .locked:text("Records of another account waiting: 1. They are sent when it logs in.")');
  await page.screenshot({ path: artifact('field-locked-outbox-phone-en.png') });
  await page.goto(`${server.url}/field?lang=vi`);
  await page.waitForSelector('#work-list li');
  assert.equal((await serverVisits(id)).filter((v) => v.concerns === second).length, 0, 'not sent under member_b');
  await page.click('#logout');
  await page.waitForSelector('#login');
  await loginForm(page, 'member_a');
  await waitAllSent(page);
  assert.equal((await serverVisits(id)).filter((v) => v.concerns === second).length, 1);
  assert.deepEqual(errors, []);
  await context.close();
});

test('served over plain http to a phone (no WebCrypto), nothing personal is written and the app says so', async () => {
  // Not localhost: a host name the browser resolves to the test server, so the page is not a
  // secure context (as on a LAN without TLS).
  const port = new URL(server.url).port;
  const lan = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: [...CHROMIUM_ARGS, '--host-resolver-rules=MAP gpmb-lan.test 127.0.0.1'],
  });
  try {
    const context = await lan.newContext(phone());
    const page = await context.newPage();
    const errors = collectPageErrors(page);
    const base = `http://gpmb-lan.test:${port}`;
    await page.goto(`${base}/field`);
    assert.equal(await page.evaluate(() => isSecureContext || !!crypto.subtle), false);
    await page.fill('#login-user', 'member_a');
    await page.fill('#login-pass', 'demo');
    await page.click('#login button[type=submit]');
    await page.waitForSelector('#work-list li');
    assert.match(await page.textContent('#no-crypto'), /^Trang không được mở qua HTTPS nên máy không giữ dữ liệu/);
    await page.screenshot({ path: artifact('field-no-crypto-phone-vi.png') });
    // A visit still goes (the outbox holds it in memory while the page is open).
    const link = page.locator('#work-list li.item a').nth(5);
    const id = Number((await link.getAttribute('href')).match(/\d+/)[0]);
    await link.click();
    const before = (await serverVisits(id)).length;
    await fillVisit(page, 'Trang http trong mạng nội bộ');
    await page.waitForFunction(() => document.getElementById('sync').hidden, null, { timeout: 30_000 });
    assert.equal((await serverVisits(id)).length, before + 1);
    // Nothing at rest: no database with records, no kept API answer.
    const stored = await page.evaluate(async () => {
      const names = (await indexedDB.databases()).map((d) => d.name);
      if (!names.includes('gpmb-field')) return 0;
      const d = await new Promise((ok) => { indexedDB.open('gpmb-field').onsuccess = (e) => ok(e.target.result); });
      let n = 0;
      for (const s of d.objectStoreNames) n += await new Promise((ok) => { d.transaction(s).objectStore(s).count().onsuccess = (e) => ok(e.target.result); });
      return n;
    });
    assert.equal(stored, 0);
    await page.goto(`${base}/field?lang=en`);
    await page.waitForSelector('#no-crypto');
    assert.match(await page.textContent('#no-crypto'), /^This page is not served over HTTPS, so nothing is kept for use offline/);
    await page.screenshot({ path: artifact('field-no-crypto-phone-en.png') });
    assert.deepEqual(errors, []);
  } finally {
    await lan.close();
  }
});

// The field app on a phone (Chromium emulating a Pixel 7): find a household by typing its
// name without diacritics, log a visit; log three more offline, reload while offline (the
// service worker serves the app), come back online and find exactly three new visits on the
// server; a retry storm of one queued visit stores it once; member_b sees none of member_a's
// households; labels, keyboard focus and contrast.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, login, devices, collectPageErrors, artifact } from './lib.mjs';

let server;
let browser;
let admin;
before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  admin = await browser.newContext();
  await login(admin, server.url, 'admin');
});
after(async () => { await browser?.close(); await server?.stop(); });

const phone = () => ({ ...devices['Pixel 7'], locale: 'vi-VN', timezoneId: 'Asia/Ho_Chi_Minh' });

/** Visits of a household as the server has them (read as admin). */
async function serverVisits(householdId) {
  const res = await admin.request.get(`${server.url}/api/v1/visits?household=${householdId}&limit=500`);
  assert.equal(res.status(), 200);
  return (await res.json()).items;
}

async function openField(context, user) {
  await login(context, server.url, user);
  const page = await context.newPage();
  const errors = collectPageErrors(page);
  await page.goto(`${server.url}/field`);
  await page.waitForSelector('#work-list li');
  // The service worker controls the page before anything goes offline.
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  return { page, errors };
}

async function fillVisit(page, { stance, concerns, commitment }) {
  await page.waitForSelector('#visit-form');
  await page.selectOption('#kind', 'home_visit');
  await page.fill('#participants', 'Nguyễn Văn A\nLê Thị Hồng Nhung');
  await page.check('input[name=topics][value=compensation_price]');
  await page.check(`input[name=stance][value=${stance}]`);
  await page.fill('#concerns', concerns);
  if (commitment) {
    await page.click('#add-commitment');
    await page.fill('#ct-1', commitment);
    await page.fill('#cd-1', '15/01/2030');
  }
  await page.click('#save-visit');
  await page.waitForSelector('#log-visit');
}

/** `YYYY-MM-DD` → dd/mm/yyyy, as the app's date fields take it. */
const ddmmyyyy = (iso) => iso.split('-').reverse().join('/');

/** Types the visit's date (dd/mm/yyyy) and 24-hour time, `offsetMs` from now, in Vietnam time. */
async function fillVisitedAt(page, offsetMs) {
  const vn = new Date(Date.now() + offsetMs + 7 * 3600e3).toISOString();
  await page.fill('#visited-on', ddmmyyyy(vn.slice(0, 10)));
  await page.fill('#visited-time', vn.slice(11, 16));
}

/** The outbox as the app reads it (the records are stored encrypted; the app's module opens them). */
const queuedRecords = (page) => page.evaluate(async () => (await import('/static/field/outbox.js')).all());

async function syncBar(page) {
  return page.evaluate(() => {
    const el = document.getElementById('sync');
    return el.hidden ? '' : el.textContent;
  });
}

test('member_a finds a household without diacritics, logs visits online and offline, each stored once', async () => {
  const context = await browser.newContext(phone());
  const { page, errors } = await openField(context, 'member_a');

  // Typed as a member would, without diacritics.
  await page.locator('#search').pressSequentially('nguyen van a', { delay: 20 });
  await page.waitForFunction(() => document.getElementById('work-count').textContent.startsWith('1 /'));
  const link = page.locator('#work-list a', { hasText: 'Nguyễn Văn A' });
  await link.click();
  await page.waitForSelector('h1:text("Nguyễn Văn A")');
  const householdId = Number(page.url().match(/#\/h\/(\d+)/)[1]);
  const before = (await serverVisits(householdId)).length;

  await page.click('#log-visit');
  await fillVisit(page, { stance: 'considering', concerns: 'Trực tuyến: hỏi về suất tái định cư', commitment: 'Gửi sơ đồ khu tái định cư' });
  await page.waitForFunction(() => document.getElementById('sync').hidden);
  await page.waitForSelector('.timeline >> text=Trực tuyến: hỏi về suất tái định cư');
  assert.equal((await serverVisits(householdId)).length, before + 1);
  await page.screenshot({ path: artifact('field-online.png'), fullPage: true });

  // Its author corrects it (within 48 hours); the server keeps the earlier version.
  await page.click('.timeline a:text("Sửa chuyến thăm")');
  await page.waitForSelector('#visit-form');
  assert.equal(await page.inputValue('#concerns'), 'Trực tuyến: hỏi về suất tái định cư');
  await page.check('input[name=stance][value=agrees]');
  await page.click('#save-visit');
  await page.waitForSelector('.timeline >> text=đã sửa 1 lần');
  const edited = (await serverVisits(householdId)).find((v) => v.concerns === 'Trực tuyến: hỏi về suất tái định cư');
  assert.equal(edited.stance, 'agrees');
  const history = await (await admin.request.get(`${server.url}/api/v1/visits/${edited.id}/history`)).json();
  assert.equal(history.items.length, 1);
  assert.equal(history.items[0].previous.stance, 'considering');

  // Offline: three visits wait on the phone as "chưa đồng bộ".
  await context.setOffline(true);
  await page.waitForFunction(() => !navigator.onLine);
  for (const n of [1, 2, 3]) {
    await page.click('#log-visit');
    await fillVisit(page, { stance: n === 2 ? 'disagrees' : 'agrees', concerns: `Ngoại tuyến ${n}` });
  }
  assert.match(await syncBar(page), /3 chuyến thăm chưa đồng bộ/);
  assert.equal(await page.locator('.pending-visit .badge.unsynced:text("chưa đồng bộ")').count(), 3);
  await page.screenshot({ path: artifact('field-offline-queued.png'), fullPage: true });

  // Reload with no network: the service worker serves the app, the outbox survives.
  const reloaded = await page.reload();
  assert.ok(reloaded.fromServiceWorker(), 'the page came from the service worker');
  const network = await page.evaluate(() => fetch('/healthz').then(() => 'reached', () => 'failed'));
  assert.equal(network, 'failed', 'the network is really off');
  await page.waitForSelector('h1:text("Nguyễn Văn A")');
  await page.waitForFunction(() => /3 chuyến thăm chưa đồng bộ/.test(document.getElementById('sync').textContent));
  assert.equal(await page.locator('.pending-visit').count(), 3);
  assert.match(await page.textContent('#net'), /Không có mạng/);
  await page.screenshot({ path: artifact('field-offline-reloaded.png'), fullPage: true });
  assert.equal((await serverVisits(householdId)).length, before + 1, 'nothing reached the server while offline');

  // Back online: the outbox empties and the server has each of the three exactly once.
  await context.setOffline(false);
  await page.waitForFunction(() => document.getElementById('sync').hidden, null, { timeout: 30_000 });
  const visits = await serverVisits(householdId);
  assert.equal(visits.length, before + 4);
  for (const n of [1, 2, 3]) {
    const mine = visits.filter((v) => v.concerns === `Ngoại tuyến ${n}`);
    assert.equal(mine.length, 1, `offline visit ${n} stored once`);
    assert.ok(mine[0].client_id, 'sent with its Idempotency-Key');
  }
  assert.equal(new Set(visits.map((v) => v.client_id).filter(Boolean)).size, visits.filter((v) => v.client_id).length);
  await page.waitForSelector('.timeline >> text=Ngoại tuyến 3');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a retry storm of one queued visit (10 sends, some responses dropped) stores it once', async () => {
  const context = await browser.newContext(phone());
  const { page } = await openField(context, 'member_a');
  const first = page.locator('#work-list li.item a').first();
  await first.click();
  await page.waitForSelector('#log-visit');
  const householdId = Number(page.url().match(/#\/h\/(\d+)/)[1]);
  const before = (await serverVisits(householdId)).length;

  await context.setOffline(true);
  await page.click('#log-visit');
  await fillVisit(page, { stance: 'considering', concerns: 'Bão gửi lại' });
  const queued = await queuedRecords(page);
  assert.equal(queued.length, 1);
  const { key, body } = queued[0];

  // Every other answer is dropped after the server has handled the request.
  let reached = 0;
  let dropped = 0;
  await context.route('**/api/v1/visits', async (route) => {
    if (route.request().method() !== 'POST') return route.continue();
    const response = await route.fetch();
    reached += 1;
    if (reached % 2 === 1) { dropped += 1; return route.abort('connectionreset'); }
    return route.fulfill({ response });
  });
  await context.setOffline(false);
  const outcomes = await page.evaluate(async ({ key, body }) => {
    const send = () => fetch('/api/v1/visits', {
      method: 'POST', credentials: 'same-origin',
      headers: { 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify(body),
    }).then(async (r) => ({ status: r.status, id: (await r.json()).id }), (e) => ({ error: String(e) }));
    return Promise.all(Array.from({ length: 10 }, send));
  }, { key, body });
  // The app's own outbox sends it too, until it gets an answer.
  await page.evaluate(() => document.querySelector('#sync button')?.click());
  await page.waitForFunction(() => document.getElementById('sync').hidden, null, { timeout: 60_000 });
  await context.unroute('**/api/v1/visits');

  assert.ok(dropped >= 5, `answers dropped: ${dropped}`);
  assert.ok(outcomes.some((o) => o.error), 'some sends saw no answer');
  const ids = new Set(outcomes.filter((o) => o.status === 201).map((o) => o.id));
  assert.equal(ids.size, 1, `every answer names the same visit: ${JSON.stringify(outcomes)}`);
  const visits = await serverVisits(householdId);
  assert.equal(visits.length, before + 1);
  assert.equal(visits.filter((v) => v.client_id === key).length, 1);
  await context.close();
});

test('a visit the server refuses is kept with its reason, corrected and sent once', async () => {
  const context = await browser.newContext(phone());
  const { page, errors } = await openField(context, 'member_a');
  await page.locator('#work-list li.item a').nth(1).click();
  await page.waitForSelector('#log-visit');
  const householdId = Number(page.url().match(/#\/h\/(\d+)/)[1]);
  const before = (await serverVisits(householdId)).length;

  // Logged offline on a phone whose clock is three days ahead.
  await context.setOffline(true);
  await page.click('#log-visit');
  await page.waitForSelector('#visit-form');
  await fillVisitedAt(page, 3 * 86400e3);
  await fillVisit(page, { stance: 'agrees', concerns: 'Đồng hồ sai' });
  const [{ key }] = await queuedRecords(page);

  // Online: the server says 422; the visit stays, with the server's reason.
  await context.setOffline(false);
  await page.waitForSelector('.pending-visit.conflict', { timeout: 30_000 });
  const card = await page.textContent('.pending-visit.conflict');
  assert.match(card, /bị từ chối/);
  assert.match(card, /Thời gian thăm ở tương lai/);
  assert.match(card, /422/);
  // The server's English message is not shown when the catalogue has words for its code.
  assert.doesNotMatch(card, /visited_at is in the future/);
  assert.match(await syncBar(page), /1 chuyến thăm bị máy chủ từ chối/);
  await page.screenshot({ path: artifact('field-conflict.png'), fullPage: true });
  await page.reload();
  await page.waitForSelector('.pending-visit.conflict');
  assert.equal((await serverVisits(householdId)).length, before);

  // Corrected by the member: sent once, under the key it was logged with.
  await page.click('.pending-visit.conflict a.button');
  await page.waitForSelector('#visit-form');
  assert.equal(await page.inputValue('#concerns'), 'Đồng hồ sai');
  await fillVisitedAt(page, -3600e3);
  await page.click('#save-visit');
  await page.waitForFunction(() => document.getElementById('sync').hidden, null, { timeout: 30_000 });
  const visits = (await serverVisits(householdId)).filter((v) => v.concerns === 'Đồng hồ sai');
  assert.equal(visits.length, 1);
  assert.equal(visits[0].client_id, key);
  assert.equal((await serverVisits(householdId)).length, before + 1);
  assert.deepEqual(errors, []);
  await context.close();
});

test('member_b sees none of member_a\'s households in the app', async () => {
  const context = await browser.newContext(phone());
  const page = await context.newPage();
  const errors = collectPageErrors(page);
  // Through the app's own login form this time.
  await page.goto(`${server.url}/field`);
  await page.fill('#login-user', 'member_b');
  await page.fill('#login-pass', 'demo');
  await page.click('#login button[type=submit]');
  await page.waitForSelector('#work-list li');
  const names = await page.locator('#work-list .name').allTextContents();
  assert.ok(names.length > 0);
  await page.fill('#search', 'nguyen van a');
  await page.waitForTimeout(200);
  assert.equal(await page.locator('#work-list a', { hasText: 'Nguyễn Văn A' }).count(), 0);
  const codes = await page.evaluate(async () => (await (await fetch('/api/v1/my-work?limit=500')).json()).items.map((i) => i.code));
  assert.ok(codes.every((c) => !c.startsWith('BT-')), 'no Bình Thuận household');
  // Opening member_a's household by its address gives "not found", not the record.
  await page.goto(`${server.url}/field#/h/1`);
  await page.waitForSelector('main .error');
  assert.match(await page.textContent('main .error'), /Không tìm thấy/);
  assert.equal(await page.locator('h1:text("Nguyễn Văn A")').count(), 0);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a group leader assigns the next visit; the member sees it first', async () => {
  const leaderContext = await browser.newContext(phone());
  const { page: leader } = await openField(leaderContext, 'totruong_binhthuan');
  await leader.fill('#search', 'nguyen van a');
  // The list is redrawn 80 ms after typing: click once it has settled, or the click can land
  // on a row being replaced.
  await leader.waitForFunction(() => document.getElementById('work-count').textContent.startsWith('1 /'));
  await leader.locator('#work-list a', { hasText: 'Nguyễn Văn A' }).click();
  await leader.waitForSelector('h1:text("Nguyễn Văn A")');
  await leader.waitForSelector('#assign');
  const due = ddmmyyyy(new Date(Date.now() + 7 * 3600e3 + 86400e3).toISOString().slice(0, 10));
  await leader.selectOption('#assignee', 'member_a');
  await leader.fill('#assign-due', due);
  await leader.fill('#assign-note', 'Thăm gấp trước họp dân');
  await leader.click('#assign button[type=submit]');
  await leader.waitForSelector('section >> text=Thăm gấp trước họp dân');
  await leaderContext.close();

  const context = await browser.newContext(phone());
  const { page } = await openField(context, 'member_a');
  const first = page.locator('#work-list li.item').first();
  assert.match(await first.textContent(), /Nguyễn Văn A/);
  assert.match(await first.textContent(), /Tổ trưởng giao thăm trước/);
  assert.match(await first.textContent(), /Thăm gấp trước họp dân/);
  await context.close();
  // member_b's list does not have it.
  const other = await browser.newContext(phone());
  const { page: b } = await openField(other, 'member_b');
  assert.doesNotMatch(await b.textContent('#work-list'), /Thăm gấp trước họp dân/);
  await other.close();
});

test('labels, keyboard focus and contrast', async () => {
  const context = await browser.newContext(phone());
  const { page } = await openField(context, 'member_a');
  // Keyboard: from the search box, Tab reaches the first household, Enter opens it.
  await page.focus('#search');
  await page.keyboard.press('Tab');
  const focused = await page.evaluate(() => ({
    href: document.activeElement.getAttribute('href'),
    outline: getComputedStyle(document.activeElement).outlineStyle,
    width: parseFloat(getComputedStyle(document.activeElement).outlineWidth),
  }));
  assert.match(focused.href, /^#\/h\/\d+$/);
  assert.ok(focused.outline !== 'none' && focused.width >= 2, `visible focus: ${JSON.stringify(focused)}`);
  await page.keyboard.press('Enter');
  await page.waitForSelector('#log-visit');
  await page.click('#log-visit');
  await page.waitForSelector('#visit-form');
  await page.click('#add-commitment');
  // Every control of the visit form has a label.
  const unlabelled = await page.evaluate(() => [...document.querySelectorAll('#visit-form input:not([type=hidden]), #visit-form select, #visit-form textarea')]
    .filter((el) => !(el.labels?.length || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')))
    .map((el) => el.outerHTML));
  assert.deepEqual(unlabelled, []);
  // Text contrast at least 4.5:1 (WCAG AA) for the page's text styles.
  const worst = await page.evaluate(() => {
    const rgb = (s) => s.match(/[\d.]+/g).slice(0, 3).map(Number);
    const lum = (c) => {
      const [r, g, b] = c.map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const bg = (el) => {
      for (let e = el; e; e = e.parentElement) {
        const c = getComputedStyle(e).backgroundColor;
        if (c && !c.endsWith(', 0)') && c !== 'transparent') return rgb(c);
      }
      return [255, 255, 255];
    };
    let min = { ratio: 21 };
    for (const el of document.querySelectorAll('h1, h2, label, legend, p, button, a, .muted, .chip, .badge')) {
      if (!el.textContent.trim() || !el.offsetParent) continue;
      const [a, b] = [lum(rgb(getComputedStyle(el).color)), lum(bg(el))];
      const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      if (ratio < min.ratio) min = { ratio, text: el.textContent.trim().slice(0, 40) };
    }
    return min;
  });
  assert.ok(worst.ratio >= 4.5, `contrast ${worst.ratio.toFixed(2)} for "${worst.text}"`);
  await page.screenshot({ path: artifact('field-visit-form.png'), fullPage: true });
  await context.close();
});

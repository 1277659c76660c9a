// The households list and the household case file: a member finds a household without
// diacritics, records a stage (and sees the legal refusal in Vietnamese), edits the household
// and meets a stale version (who changed it, what was typed kept, reload, save), changes a
// parcel's status with a stale version first; a leader reads the case file. Screenshots
// desktop and phone, vi and en.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, login, artifact, collectPageErrors } from './lib.mjs';

let server;
let browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await server?.stop(); });

async function api(context, method, path, data, headers = {}) {
  const res = await context.request.fetch(server.url + path, { method, data, headers });
  const body = await res.json().catch(() => null);
  return { status: res.status(), body };
}

/** A fresh household in Bình Thuận (member_a's area) with one parcel, no stage yet. */
async function freshHousehold(admin) {
  const parcels = await api(admin, 'GET', '/api/v1/projects/HPDQ2/parcels?commune=21043&limit=50');
  const parcel = parcels.body.features ? parcels.body.features.at(-1).id : parcels.body.items.at(-1).id;
  const { status, body } = await api(admin, 'POST', '/api/v1/households', {
    project: 'HPDQ2', head_name: 'Lê Thị Thử', commune: '21043', address: 'Thôn Châu Me',
    members: [{ name: 'Lê Thị Thử', relation: 'chủ hộ' }], parcels: [{ parcel_id: parcel, share: 0.5 }],
  });
  assert.equal(status, 201, JSON.stringify(body));
  return body;
}

test('a member searches, records a stage, edits with a stale version and changes a parcel status', async () => {
  const admin = await browser.newContext();
  await login(admin, server.url, 'admin');
  const hh = await freshHousehold(admin);

  const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  await login(context, server.url, 'member_a');
  const page = await context.newPage();
  const errors = collectPageErrors(page);

  // The list: diacritic-free search finds the household; its row links to the case file.
  await page.goto(server.url + '/households');
  await page.waitForSelector('#households tbody tr');
  await page.fill('#f-q', 'le thi thu');
  await page.click('#search button[type=submit]');
  await page.waitForFunction(() => document.querySelectorAll('#households tbody tr').length === 1);
  assert.match(await page.textContent('#households tbody'), /Lê Thị Thử/);
  await page.fill('#f-q', '');
  await page.selectOption('#f-stance', 'agrees');
  await page.click('#search button[type=submit]');
  await page.waitForFunction(() => [...document.querySelectorAll('#households tbody tr td:nth-child(5)')].every((td) => td.textContent === 'Đồng ý'));
  await page.screenshot({ path: artifact('households-desktop-vi.png') });
  await page.fill('#f-q', 'le thi thu');
  await page.selectOption('#f-stance', '');
  await page.click('#search button[type=submit]');
  await page.waitForFunction(() => document.querySelectorAll('#households tbody tr').length === 1);
  await page.click('#households tbody tr a');
  await page.waitForURL(`**/households/${hh.id}`);
  await page.waitForSelector('#stage-form');
  assert.equal(await page.textContent('#hh-name'), 'Lê Thị Thử');

  // Record the inventory first: refused, in Vietnamese, beside the stage, naming the notice.
  await page.selectOption('#stage-stage', 'inventory');
  await page.fill('#stage-doc', '15/BB-KK');
  await page.click('#stage-form button[type=submit]');
  const refusal = await page.waitForSelector('#stage-form .field-error');
  const text = await refusal.textContent();
  assert.match(text, /phải ghi «Thông báo thu hồi đất» trước/, text);
  assert.match(text, /Điều/, text);
  assert.equal(await page.inputValue('#stage-doc'), '15/BB-KK', 'what was typed is kept');
  await page.screenshot({ path: artifact('household-refusal-desktop-vi.png') });

  // The briefing is allowed: it appears in the stages table; the next stage is the notice.
  await page.selectOption('#stage-stage', 'briefing');
  await page.click('#stage-form button[type=submit]');
  await page.waitForSelector('#stages tr[data-stage="briefing"]');
  assert.match(await page.textContent('#stages'), /15\/BB-KK/);
  assert.match(await page.textContent('#next-stage'), /Thông báo thu hồi đất/);
  const kase = await api(context, 'GET', `/api/v1/households/${hh.id}/case`);
  assert.equal(kase.body.current_stage, 'briefing');

  // Edit: someone else (another session of the same member) changes the household meanwhile.
  await page.fill('#edit-phone', '0905123456');
  const other = await api(context, 'PATCH', `/api/v1/households/${hh.id}`, { address: 'Thôn Châu Me, xã Bình Thuận' }, { 'if-match': `"${hh.version}"` });
  assert.equal(other.status, 200, JSON.stringify(other.body));
  await page.click('#edit-form button[type=submit]');
  const conflict = await page.waitForSelector('#edit-conflict:not([hidden])');
  assert.match(await conflict.textContent(), /member_a sửa lúc/);
  assert.equal(await page.inputValue('#edit-phone'), '0905123456', 'what was typed is kept');
  await page.screenshot({ path: artifact('household-conflict-desktop-vi.png') });
  await page.click('#edit-reload');
  await page.waitForFunction(() => /phiên bản 2/.test(document.getElementById('edit-conflict').textContent));
  await page.click('#edit-form button[type=submit]');
  await page.waitForSelector('#edit-done');
  const saved = await api(context, 'GET', `/api/v1/households/${hh.id}`);
  assert.equal(saved.body.phone, '0905123456');
  assert.equal(saved.body.version, 3);
  assert.equal(await page.$$eval('#history li', (li) => li.length), 2);
  assert.match(await page.textContent('#history'), /Điện thoại/);

  // Parcel status: a stale version first (changed through the API), then saved.
  const parcelId = hh.parcels[0].id;
  const before = await api(context, 'GET', `/api/v1/parcels/${parcelId}`);
  const changed = await api(context, 'PATCH', `/api/v1/parcels/${parcelId}`, { status: 'contacted' }, { 'if-match': `"${before.body.version}"` });
  assert.equal(changed.status, 200, JSON.stringify(changed.body));
  const form = `form.parcel-status[data-parcel="${parcelId}"]`;
  await page.selectOption(`${form} select`, 'negotiating');
  await page.click(`${form} button[type=submit]`);
  await page.waitForSelector(`${form} .conflict`);
  assert.match(await page.textContent(`${form} .conflict`), /member_a/);
  await page.click(`${form} .conflict button`);
  await page.waitForFunction((f) => /Đã tải lại/.test(document.querySelector(`${f} .parcel-status-message`).textContent), form);
  assert.equal(await page.inputValue(`${form} select`), 'negotiating', 'the choice is kept');
  await page.click(`${form} button[type=submit]`);
  await page.waitForSelector(`${form} .ok`);
  const after = await api(context, 'GET', `/api/v1/parcels/${parcelId}`);
  assert.equal(after.body.status, 'negotiating');
  assert.match(await page.textContent(`tr[data-parcel="${parcelId}"]`), /Đang vận động/);
  await page.screenshot({ path: artifact('household-desktop-vi.png'), fullPage: true });

  // English, then a phone.
  await page.click('#lang');
  await page.waitForFunction(() => document.documentElement.lang === 'en');
  await page.waitForSelector('#stage-form');
  assert.match(await page.textContent('main'), /Case stages/);
  await page.screenshot({ path: artifact('household-desktop-en.png'), fullPage: true });
  await page.setViewportSize({ width: 360, height: 740 });
  await page.reload();
  await page.waitForSelector('#stage-form');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no horizontal page scroll (${overflow}px)`);
  await page.screenshot({ path: artifact('household-phone-en.png'), fullPage: true });
  await page.click('#lang');
  await page.waitForFunction(() => document.documentElement.lang === 'vi');
  await page.waitForSelector('#stage-form');
  await page.screenshot({ path: artifact('household-phone-vi.png'), fullPage: true });
  await page.goto(server.url + '/households');
  await page.waitForSelector('#households tbody tr');
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth));
  await page.screenshot({ path: artifact('households-phone-vi.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await context.close();
  await admin.close();
});

test('a leader reads a case file and sees the enforcement refusal with the nearest allowed time', async () => {
  const admin = await browser.newContext();
  await login(admin, server.url, 'admin');
  const hh = await freshHousehold(admin);
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  await login(context, server.url, 'leader');
  const page = await context.newPage();
  const errors = collectPageErrors(page);
  await page.goto(`${server.url}/households/${hh.id}`);
  await page.waitForSelector('#hh-name');
  // Leaders read: no stage form, no edit form.
  assert.equal(await page.$('#stage-form'), null);
  assert.equal(await page.$('#edit-form'), null);
  assert.ok(await page.$('#grievances-link'));
  await page.screenshot({ path: artifact('household-leader-desktop-vi.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await context.close();

  // A member schedules enforcement at night: refused with the nearest allowed time, in Vietnamese.
  const member = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  await login(member, server.url, 'member_a');
  const p2 = await member.newPage();
  await p2.goto(`${server.url}/households/${hh.id}`);
  await p2.waitForSelector('#stage-form');
  await p2.selectOption('#stage-stage', 'enforcement');
  await p2.fill('#stage-time', '23:00');
  await p2.click('#stage-form button[type=submit]');
  const refusal = await p2.waitForSelector('#stage-form .field-error');
  const text = await refusal.textContent();
  assert.match(text, /Không được cưỡng chế vào thời gian này/, text);
  assert.match(text, /Thời điểm gần nhất được phép: \d\d:\d\d ngày \d\d\/\d\d\/\d{4}/, text);
  await member.close();
  await admin.close();
});

// The field app's compensation work (issue 17) on a 360 px phone: a member records an
// inventory (kiểm đếm) offline, reloads with no network, comes back online and the outbox
// stores it exactly once even when the first answer is lost; an inventory changed on the
// server meanwhile is kept on the phone as a conflict naming who changed it, then resent over
// the newer version; a refused field is marked; the household page and the visit form show the
// plan summary in numbers (vi and en), "no plan yet" otherwise.
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

const phone = (locale = 'vi-VN') => ({
  ...devices['Pixel 7'], viewport: { width: 360, height: 740 }, screen: { width: 360, height: 740 },
  locale, timezoneId: 'Asia/Ho_Chi_Minh',
});

/** The household's compensation as the server has it (read as admin). */
async function serverCompensation(householdId) {
  const res = await admin.request.get(`${server.url}/api/v1/households/${householdId}/compensation`);
  assert.equal(res.status(), 200);
  return res.json();
}

/** The inventory's lines as PUT takes them back. */
const asInput = (inv, changes = {}) => ({
  record_no: inv.record_no, inventoried_on: inv.inventoried_on, members_counted: inv.members_counted,
  relocating: inv.relocating, hard_area: inv.hard_area, farmland_held_m2: inv.farmland_held_m2,
  obligations: inv.obligations, business_income: inv.business_income, note: inv.note,
  items: inv.items.map(({ id, parcel_label, ...rest }) => rest),
  ...changes,
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

/** member_a's work list as the app has it (the bundle with each household's summary). */
const workList = (page) => page.evaluate(async () => (await (await fetch('/api/v1/my-work?limit=500')).json()).items);

/** Opens a household's page online, so it is kept for offline use. */
async function openHousehold(page, id) {
  await page.evaluate((hid) => { location.hash = `#/h/${hid}`; }, id);
  await page.waitForSelector('#record-inventory');
  await page.waitForSelector('#plan-summary');
}

/** The outbox as the app reads it (the records are stored encrypted; the app's module opens them). */
const queuedRecords = (page) => page.evaluate(async () => (await import('/static/field/outbox.js')).all());

/** A full-page screenshot from the top (the sticky header where it belongs). */
async function shot(page, name) {
  await page.evaluate(() => { document.activeElement?.blur(); scrollTo(0, 0); });
  await page.screenshot({ path: artifact(name), fullPage: true });
}

const syncText = (page) => page.evaluate(() => {
  const el = document.getElementById('sync');
  return el.hidden ? '' : el.textContent;
});

test('an inventory recorded offline survives a reload and is stored exactly once, even when the first answer is lost', async () => {
  const context = await browser.newContext(phone());
  const { page, errors } = await openField(context, 'member_a');
  const work = await workList(page);
  const found = work.find((i) => !i.compensation && i.parcels.length > 0);
  assert.ok(found, 'member_a has a household with parcels and no inventory');
  // Its parcels as the household page has them (land use and area).
  const target = await page.evaluate(async (hid) => (await (await fetch(`/api/v1/field/households/${hid}`)).json()), found.id)
    .then((hh) => ({ id: found.id, parcels: hh.parcels }));
  assert.equal((await serverCompensation(target.id)).inventory, null);
  await openHousehold(page, target.id);
  assert.match(await page.textContent('#plan-summary'), /Chưa có phương án/);
  assert.match(await page.textContent('#plan-summary'), /Chưa có biên bản kiểm đếm/);

  await context.setOffline(true);
  await page.waitForFunction(() => !navigator.onLine);
  await page.click('#record-inventory');
  await page.waitForSelector('#inventory-form');
  await page.fill('#inv-record', '77/BB-KĐ');
  await page.fill('#inv-members', '5');
  // Line 1: land on the household's first parcel (its land use and area fill in).
  await page.selectOption('#inv-category-1', 'land');
  await page.selectOption('#inv-parcel-1', String(target.parcels[0].id));
  assert.equal(await page.inputValue('#inv-code-1'), target.parcels[0].land_use);
  // The parcel's area, written with a decimal comma in Vietnamese.
  const area = Math.round(target.parcels[0].area_m2 * 100) / 100;
  assert.equal(await page.inputValue('#inv-quantity-1'), String(area).replace('.', ','));
  // Line 2: a house, typed the Vietnamese way (decimal comma).
  await page.click('#add-item');
  await page.selectOption('#inv-category-2', 'structure');
  await page.fill('#inv-code-2', 'nha_cap_4');
  await page.fill('#inv-quantity-2', '62,5');
  await page.fill('#inv-grade-2', 'Cấp 4');
  await page.fill('#inv-remaining-2', '80');
  await page.selectOption('#inv-parcel-2', String(target.parcels[0].id));
  // Line 3: trees by age class.
  await page.click('#add-item');
  await page.selectOption('#inv-category-3', 'tree');
  await page.fill('#inv-code-3', 'keo');
  await page.fill('#inv-quantity-3', '120');
  await page.fill('#inv-grade-3', 'Loại A');
  assert.equal(await page.isVisible('#inv-remaining-3'), false, 'remaining quality is for structures');
  // Every control has a label; no sideways scroll on a 360 px phone.
  const unlabelled = await page.evaluate(() => [...document.querySelectorAll('#inventory-form input:not([type=hidden]), #inventory-form select')]
    .filter((el) => !el.labels?.length).map((el) => el.id || el.name));
  assert.deepEqual(unlabelled, []);
  const [scroll, client] = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
  assert.ok(scroll <= client, `no sideways scroll: ${scroll} > ${client}`);
  await shot(page, 'field-inventory-form-phone-vi.png');
  await page.click('#save-inventory');
  await page.waitForSelector('#record-inventory');
  await page.waitForSelector('.pending-inventory');
  assert.match(await syncText(page), /1 biên bản kiểm đếm chưa đồng bộ/);
  assert.match(await page.textContent('.pending-inventory'), /77\/BB-KĐ/);
  const [queued] = await queuedRecords(page);
  assert.equal(queued.kind, 'inventory');
  assert.equal(queued.method, 'PUT');
  assert.equal(queued.if_match, null, 'a first inventory has no version to match');
  assert.deepEqual(queued.body.items.map((i) => [i.category, i.code, i.quantity]),
    [['land', target.parcels[0].land_use, area], ['structure', 'nha_cap_4', 62.5], ['tree', 'keo', 120]]);
  assert.equal(queued.body.items[2].age_class, 'Loại A');
  assert.equal(queued.body.items[1].remaining_percent, 80);

  // Reload with no network: the service worker serves the app; the record and its key stay.
  const reloaded = await page.reload();
  assert.ok(reloaded.fromServiceWorker(), 'the page came from the service worker');
  await page.waitForSelector('.pending-inventory');
  const [kept] = await queuedRecords(page);
  assert.equal(kept.key, queued.key, 'the Idempotency-Key made when queued is kept across reloads');
  await shot(page, 'field-inventory-queued-phone-vi.png');
  assert.equal((await serverCompensation(target.id)).inventory, null, 'nothing reached the server while offline');

  // Online, but the first answer is lost after the server stored it: the resend under the
  // same key is answered with what was stored, not stored again.
  const sent = [];
  await context.route('**/api/v1/households/*/inventory', async (route) => {
    const response = await route.fetch();
    sent.push({ key: route.request().headers()['idempotency-key'], status: response.status(), replayed: response.headers()['idempotent-replayed'] });
    if (sent.length === 1) return route.abort('connectionreset');
    return route.fulfill({ response });
  });
  await context.setOffline(false);
  await page.waitForFunction(() => navigator.onLine);
  await page.waitForFunction(() => {
    document.querySelector('#sync button')?.click();
    return document.getElementById('sync').hidden;
  }, null, { timeout: 60_000, polling: 1000 });
  await context.unroute('**/api/v1/households/*/inventory');
  assert.ok(sent.length >= 2, `sent ${sent.length} times`);
  assert.ok(sent.every((s) => s.key === queued.key), 'every send under the key made when queued');
  assert.equal(sent[0].status, 201);
  assert.equal(sent.at(-1).replayed, 'true', 'the resend was answered from the first write');
  const { inventory } = await serverCompensation(target.id);
  assert.equal(inventory.record_no, '77/BB-KĐ');
  assert.equal(inventory.version, 1, 'stored once, never rewritten');
  assert.equal(inventory.members_counted, 5);
  assert.deepEqual(inventory.items.map((i) => [i.category, i.code, i.quantity, i.parcel_id]), [
    ['land', target.parcels[0].land_use, area, target.parcels[0].id],
    ['structure', 'nha_cap_4', 62.5, target.parcels[0].id],
    ['tree', 'keo', 120, null],
  ]);
  // The household page now shows the record from the bundle.
  await page.waitForFunction(() => /77\/BB-KĐ/.test(document.getElementById('plan-summary')?.textContent || ''), null, { timeout: 30_000 });
  assert.deepEqual(errors, []);
  await context.close();
});

test('an inventory changed on the server meanwhile stays on the phone as a conflict naming who changed it, then goes over the newer version', async () => {
  const context = await browser.newContext(phone());
  const { page, errors } = await openField(context, 'member_a');
  const work = await workList(page);
  // One of the demo's inventories (not the one the test before recorded).
  const target = work.find((i) => i.compensation?.inventory?.items > 0 && i.compensation.inventory.record_no !== '77/BB-KĐ');
  assert.ok(target, 'the demo holds inventories in member_a\'s area');
  const before = (await serverCompensation(target.id)).inventory;
  await openHousehold(page, target.id);

  await context.setOffline(true);
  await page.click('#record-inventory');
  await page.waitForSelector('#inventory-form');
  // The form starts from the inventory on the server, every line of it.
  assert.equal(await page.inputValue('#inv-record'), before.record_no);
  assert.equal(await page.locator('fieldset.inv-item').count(), before.items.length);
  assert.match(await page.textContent('#inventory-form'), new RegExp(`phiên bản ${before.version}`));
  await page.click('#add-item');
  const n = before.items.length + 1;
  await page.selectOption(`#inv-category-${n}`, 'grave');
  await page.fill(`#inv-code-${n}`, 'mo_dat');
  await page.fill(`#inv-quantity-${n}`, '2');
  await page.click('#save-inventory');
  await page.waitForSelector('.pending-inventory');
  const [queued] = await queuedRecords(page);
  assert.equal(queued.if_match, before.version);

  // Meanwhile the office changes it.
  const res = await admin.request.put(`${server.url}/api/v1/households/${target.id}/inventory`, {
    data: asInput(before, { note: 'Sửa tại văn phòng' }), headers: { 'if-match': `"${before.version}"` },
  });
  assert.equal(res.status(), 201, await res.text());
  const adminName = (await serverCompensation(target.id)).inventory.inventoried_by;
  assert.ok(adminName);

  await context.setOffline(false);
  await page.waitForSelector('.pending-inventory.conflict', { timeout: 30_000 });
  const card = await page.textContent('.pending-inventory.conflict');
  assert.match(card, new RegExp(`đã được ${adminName} sửa`));
  assert.match(card, /412/);
  assert.match(await syncText(page), /1 biên bản kiểm đếm bị máy chủ từ chối/);
  const [conflict] = await queuedRecords(page);
  assert.equal(conflict.state, 'conflict');
  assert.equal(conflict.body.items.length, n, 'the member\'s data is kept whole');
  await shot(page, 'field-inventory-conflict-phone-vi.png');
  assert.equal((await serverCompensation(target.id)).inventory.version, before.version + 1);

  // The member looks at it and sends hers over the newer version, under the same key.
  await page.click('.pending-inventory.conflict a.button');
  await page.waitForSelector('#inventory-form');
  assert.match(await page.textContent('#inventory-conflict'), new RegExp(adminName));
  assert.equal(await page.inputValue(`#inv-code-${n}`), 'mo_dat');
  await page.click('#save-inventory');
  await page.waitForFunction(() => document.getElementById('sync').hidden, null, { timeout: 30_000 });
  const after = (await serverCompensation(target.id)).inventory;
  assert.equal(after.version, before.version + 2);
  assert.equal(after.items.length, n);
  assert.ok(after.items.some((i) => i.category === 'grave' && i.code === 'mo_dat' && i.quantity === 2));
  assert.equal(after.note, 'Sửa tại văn phòng', 'what the form does not show goes back as it was');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a field the server refuses is marked in the form; corrected, it is sent once', async () => {
  const context = await browser.newContext(phone());
  const { page, errors } = await openField(context, 'member_a');
  const work = await workList(page);
  const target = work.filter((i) => !i.compensation && i.parcels.length > 0)[1];
  assert.ok(target);
  await openHousehold(page, target.id);
  await page.click('#record-inventory');
  await page.waitForSelector('#inventory-form');
  await page.fill('#inv-record', '78/BB-KĐ');
  await page.selectOption('#inv-category-1', 'land');
  await page.fill('#inv-code-1', 'XYZ');
  await page.fill('#inv-quantity-1', '100');
  await page.click('#save-inventory');
  await page.waitForSelector('.pending-inventory.conflict', { timeout: 30_000 });
  assert.match(await page.textContent('.pending-inventory.conflict'), /Mã loại đất không đúng/);
  await page.click('.pending-inventory.conflict a.button');
  await page.waitForSelector('#inventory-form');
  assert.equal(await page.getAttribute('#inv-code-1', 'aria-invalid'), 'true');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'inv-code-1');
  assert.match(await page.textContent('#inventory-error'), /Mã loại đất không đúng/);
  await shot(page, 'field-inventory-refused-phone-vi.png');
  await page.fill('#inv-code-1', 'LUC');
  await page.click('#save-inventory');
  await page.waitForFunction(() => document.getElementById('sync').hidden, null, { timeout: 30_000 });
  const { inventory } = await serverCompensation(target.id);
  assert.equal(inventory.version, 1);
  assert.deepEqual(inventory.items.map((i) => i.code), ['LUC']);
  assert.deepEqual(errors, []);
  await context.close();
});

/** `1.234.567 đ` / `1,234,567 VND`, negative with a real minus sign (web/lib/money.js). */
const money = (n, lang) => {
  const digits = String(Math.abs(n)).replace(/\B(?=(\d{3})+(?!\d))/g, lang === 'en' ? ',' : '.');
  return `${n < 0 ? '−' : ''}${digits} ${lang === 'en' ? 'VND' : 'đ'}`;
};

for (const lang of ['vi', 'en']) {
  test(`the household page and the visit form show the plan summary in numbers (${lang}, 360 px)`, async () => {
    const context = await browser.newContext(phone(lang === 'vi' ? 'vi-VN' : 'en-US'));
    const { page, errors } = await openField(context, 'member_a', lang);
    const work = await workList(page);
    const target = work.find((i) => i.compensation?.plan?.status === 'approved' && i.compensation.plan.ledger?.balance > 0)
      || work.find((i) => i.compensation?.plan?.status === 'approved');
    assert.ok(target, 'the demo holds an approved plan in member_a\'s area');
    const plan = target.compensation.plan;
    const full = await serverCompensation(target.id);
    assert.equal(plan.net, full.current.net);

    await openHousehold(page, target.id);
    const head = await page.textContent('#plan-summary .plan-head');
    const [y, m, d] = plan.approved_on.split('-');
    if (lang === 'vi') {
      assert.equal(head.trim(), `Phương án bồi thường${plan.number > 1 ? ` (lần ${plan.number})` : ''}: ${money(plan.net, 'vi')} (đã phê duyệt QĐ ${plan.decision_no} ngày ${d}/${m}/${y})`);
    } else {
      assert.match(head, new RegExp(`${money(plan.net, 'en')} \\(approved by decision ${plan.decision_no.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} of ${d}/${m}/${y}\\)`));
    }
    // Every group's total, in the plan's order, adding up to the net.
    const rows = await page.locator('#plan-summary .plan-totals tbody tr td').allTextContents();
    assert.deepEqual(rows, plan.totals.map((g) => money(g.amount, lang)));
    assert.equal(plan.totals.reduce((a, g) => a + g.amount, 0), plan.net);
    const ledger = await page.textContent('#plan-summary .ledger');
    assert.ok(ledger.includes(money(plan.ledger.paid, lang)), ledger);
    await shot(page, `field-plan-household-phone-${lang}.png`);

    await page.click('#log-visit');
    await page.waitForSelector('#visit-form');
    const box = await page.textContent('#visit-plan');
    assert.ok(box.includes(money(plan.net, lang)), box);
    assert.ok(box.includes(plan.decision_no), box);
    // The stance is still the first thing to fill in.
    const first = await page.evaluate(() => document.querySelector('#visit-form input:not([type=hidden])').name);
    assert.equal(first, 'stance');
    const [scroll, client] = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
    assert.ok(scroll <= client, `no sideways scroll: ${scroll} > ${client}`);
    await shot(page, `field-plan-visit-form-phone-${lang}.png`);

    // Offline, from the kept bundle, the visit form still has the numbers.
    await context.setOffline(true);
    await page.reload();
    await page.waitForSelector('#visit-form');
    assert.ok((await page.textContent('#visit-plan')).includes(money(plan.net, lang)));

    // During a revision: the new version, and the approved one still being paid with its ledger.
    await context.setOffline(false);
    const revised = work.find((i) => i.compensation?.approved);
    assert.ok(revised, 'the demo holds a revision of an approved plan in member_a\'s area');
    await page.evaluate((hid) => { location.hash = `#/h/${hid}`; }, revised.id);
    await page.waitForSelector('#plan-summary .paying');
    const paying = await page.textContent('#plan-summary .paying');
    const a = revised.compensation.approved;
    assert.ok(paying.includes(lang === 'vi' ? `Phương án đang chi trả (lần ${a.number}): ${money(a.net, 'vi')}` : `Plan in payment (version ${a.number}): ${money(a.net, 'en')}`), paying);
    assert.ok(paying.includes(money(a.ledger.balance, lang)), paying);

    // A household without a plan says so.
    const none = work.find((i) => !i.compensation?.plan);
    await page.evaluate((hid) => { location.hash = `#/h/${hid}/visit`; }, none.id);
    await page.waitForSelector('#visit-plan');
    assert.match(await page.textContent('#visit-plan'), lang === 'vi' ? /Chưa có phương án/ : /No plan yet/);

    // The inventory form in this language, for the record.
    await page.evaluate((hid) => { location.hash = `#/h/${hid}/inventory`; }, target.id);
    await page.waitForSelector('#inventory-form');
    await shot(page, `field-inventory-form-existing-phone-${lang}.png`);
    assert.deepEqual(errors, []);
    await context.close();
  });
}

test('a crop\'s three yields go from the phone, and the resettlement recorded at the desk stays', async () => {
  const context = await browser.newContext(phone());
  const { page, errors } = await openField(context, 'member_a');
  const work = await workList(page);
  const target = work.filter((i) => i.compensation?.inventory?.items > 0).at(-1);
  assert.ok(target, 'the demo holds inventories in member_a\'s area');
  const before = (await serverCompensation(target.id)).inventory;
  // The office records the household's own resettlement house.
  const house = { kind: 'house', code: 'CC-B2-0405', area_m2: null, price: 450000000 };
  const res = await admin.request.put(`${server.url}/api/v1/households/${target.id}/inventory`, {
    data: asInput(before, { relocating: true, resettlement: house }), headers: { 'if-match': `"${before.version}"` },
  });
  assert.equal(res.status(), 201, await res.text());
  await openHousehold(page, target.id);
  await page.click('#record-inventory');
  await page.waitForSelector('#inventory-form');
  await page.click('#add-item');
  const n = before.items.length + 1;
  assert.equal(await page.isVisible(`#inv-yield1-${n}`), false, 'yields are for annual crops');
  await page.selectOption(`#inv-category-${n}`, 'crop');
  await page.fill(`#inv-code-${n}`, 'lua');
  await page.fill(`#inv-quantity-${n}`, '500');
  await page.fill(`#inv-yield1-${n}`, '1.100');
  await page.fill(`#inv-yield3-${n}`, '12,5');
  await page.click('#save-inventory');
  await page.waitForSelector(`#inv-yield3-${n}[aria-invalid=true]`);
  await page.fill(`#inv-yield3-${n}`, '1250');
  await shot(page, 'field-inventory-yields-phone-vi.png');
  await page.click('#save-inventory');
  await page.waitForSelector('.pending-inventory, #record-inventory');
  // The outbox sends it in the background: wait for the server to have it.
  let after = null;
  for (let i = 0; i < 60; i += 1) {
    after = (await serverCompensation(target.id)).inventory;
    if (after.version > before.version + 1) break;
    await page.waitForTimeout(500);
  }
  assert.equal(after.version, before.version + 2);
  assert.deepEqual(after.items.at(-1).yields_kg, [1100, null, 1250]);
  assert.deepEqual(after.resettlement, house, 'what the form does not show goes back as it was');
  assert.deepEqual(errors, []);
  await context.close();
});

// The grievance desk: a commune officer (member_a, Bình Thuận) takes in a complaint signed by
// two households found by a search typed without diacritics; it shows in the list with its
// countdown; she accepts it with its number and resolves it with the decision's number; the
// API then holds all of it. Also: a refusal shown beside its field keeps what was typed, the
// `?household=` filter, English, a phone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, login, artifact, collectPageErrors } from './lib.mjs';

let server;
let browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await server?.stop(); });

const strip = (s) => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/đ/g, 'd').replace(/Đ/g, 'D');

test('a commune officer takes in, accepts and resolves a grievance of two households', async () => {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  await login(context, server.url, 'member_a');
  const page = await context.newPage();
  const errors = collectPageErrors(page);

  // Two households of her area, to find by their head's name typed without diacritics.
  const list = await (await context.request.get(`${server.url}/api/v1/households?project=HPDQ2&limit=2`)).json();
  assert.equal(list.items.length, 2);
  const [h1, h2] = list.items;

  await page.goto(server.url + '/grievances');
  await page.waitForSelector('#g-rows');
  assert.equal(await page.getAttribute('html', 'lang'), 'vi');
  await page.click('#g-new');
  await page.waitForSelector('#g-intake-form');
  await page.selectOption('#g-form-kind', 'complaint');
  await page.selectOption('#g-form-channel', 'citizen_reception');
  // Received four days ago, typed dd/mm/yyyy.
  const received = new Date(Date.now() + 7 * 3600e3 - 4 * 86400e3);
  const dd = (n) => String(n).padStart(2, '0');
  await page.fill('#g-received-on', `${dd(received.getUTCDate())}/${dd(received.getUTCMonth() + 1)}/${received.getUTCFullYear()}`);
  // The first by its head's name typed without diacritics, the second by its code.
  for (const [hh, q] of [[h1, strip(h1.head_name).toLowerCase()], [h2, h2.code]]) {
    await page.fill('#g-search', q);
    await page.click('#g-search-button');
    await page.waitForSelector(`#g-results li[data-id="${hh.id}"] button`);
    await page.click(`#g-results li[data-id="${hh.id}"] button`);
    await page.waitForSelector(`#g-chosen li[data-id="${hh.id}"]`);
  }
  assert.equal(await page.$$eval('#g-chosen li', (li) => li.length), 2);
  if (h1.parcels.length) await page.selectOption(`#g-parcel-${h1.id}`, String(h1.parcels[0].id));
  // Too few signers: refused beside the field, nothing typed is lost.
  await page.fill('#g-signers', '1');
  await page.fill('#g-content', 'Khiếu nại đơn giá bồi thường đất trồng lúa thấp hơn giá thị trường');
  await page.check('#g-remote_area');
  await page.click('#g-intake-form button[type=submit]');
  await page.waitForSelector('#g-signers + .field-error');
  assert.match(await page.textContent('#g-signers + .field-error'), /Số người ký/);
  assert.match(await page.inputValue('#g-content'), /đất trồng lúa/);
  assert.equal(await page.$$eval('#g-chosen li', (li) => li.length), 2);
  await page.fill('#g-signers', '3');
  await page.screenshot({ path: artifact('grievances-desktop-vi-intake.png'), fullPage: true });
  await page.click('#g-intake-form button[type=submit]');

  // Saved: it opens, and the list shows it with its countdown in words.
  await page.waitForSelector('#g-detail:not([hidden])');
  const id = await page.getAttribute('#g-detail', 'data-id');
  await page.waitForSelector(`#g-row-${id}`);
  const rowText = await page.textContent(`#g-row-${id}`);
  assert.match(rowText, /Khiếu nại/);
  assert.match(rowText, /Đã tiếp nhận/);
  assert.match(rowText, /Thụ lý/);
  assert.match(rowText, /còn \d+ ngày|hết hạn hôm nay|quá hạn \d+ ngày/);
  assert.doesNotMatch(rowText, /received|complaint/);
  assert.match(rowText, new RegExp(h1.code));
  assert.match(rowText, new RegExp(h2.code));

  // Assign to herself, accept with its number, resolve with the decision's.
  await page.selectOption('#g-assign-to', 'member_a');
  await page.click('#g-assign button[type=submit]');
  await page.waitForFunction(() => document.querySelector('#g-assign-to')?.value === 'member_a' && document.querySelector('#g-note').textContent);
  await page.fill('#g-accept [name=document_no]', '15/TB-UBND');
  await page.click('#g-accept button[type=submit]');
  await page.waitForSelector('#g-detail[data-status="accepted"]');
  assert.match(await page.textContent('#g-detail'), /Thụ lý ngày .*15\/TB-UBND/);
  await page.fill('#g-resolve [name=document_no]', '88/QĐ-UBND');
  await page.fill('#g-resolve [name=outcome]', 'Giữ nguyên đơn giá đã phê duyệt; giải thích căn cứ cho các hộ');
  await page.click('#g-resolve button[type=submit]');
  await page.waitForSelector('#g-detail[data-status="resolved"]');
  const detail = await page.textContent('#g-detail');
  assert.match(detail, /Đã giải quyết/);
  assert.match(detail, /88\/QĐ-UBND/);
  assert.match(detail, /Hạn khiếu nại lần hai/);
  await page.screenshot({ path: artifact('grievances-desktop-vi.png'), fullPage: false });

  // What the API now holds.
  const g = await (await context.request.get(`${server.url}/api/v1/grievances/${id}`)).json();
  assert.equal(g.status, 'resolved');
  assert.equal(g.kind, 'complaint');
  assert.equal(g.channel, 'citizen_reception');
  assert.equal(g.signers, 3);
  assert.equal(g.remote_area, true);
  assert.equal(g.assignee, 'member_a');
  assert.equal(g.accept_no, '15/TB-UBND');
  assert.equal(g.document_no, '88/QĐ-UBND');
  assert.deepEqual(g.households.map((x) => x.household_id).sort(), [h1.id, h2.id].sort());
  if (h1.parcels.length) assert.equal(g.households.find((x) => x.household_id === h1.id).parcel_id, h1.parcels[0].id);

  // The household's own list (the case file links here): resolved ones too.
  await page.goto(`${server.url}/grievances?household=${h2.id}`);
  await page.waitForSelector(`#g-row-${id}`);
  assert.ok(await page.isVisible('#g-household-filter'));
  // English: vocabulary in words.
  await page.goto(`${server.url}/grievances?lang=en&id=${id}`);
  await page.waitForSelector('#g-detail:not([hidden])');
  assert.match(await page.textContent('#g-detail'), /Resolved/);
  assert.match(await page.textContent('#g-detail'), /Citizen reception/);
  await page.screenshot({ path: artifact('grievances-desktop-en.png'), fullPage: false });
  assert.deepEqual(errors, []);
  await context.close();
});

test('the desk on a phone, and a leader reads it without forms', async () => {
  for (const lang of ['vi', 'en']) {
    const context = await browser.newContext({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
    await login(context, server.url, 'leader');
    const page = await context.newPage();
    const errors = collectPageErrors(page);
    await page.goto(`${server.url}/grievances?lang=${lang}`);
    await page.waitForSelector('#g-rows tr');
    // Leaders read; they do not take in grievances.
    assert.equal(await page.isVisible('#g-new'), false);
    // Overdue first.
    const first = await page.textContent('#g-rows tr:first-child .g-due');
    assert.match(first, lang === 'vi' ? /quá hạn|còn|hết hạn/ : /overdue|left|due today/);
    const wide = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(wide <= 360, `page is ${wide}px wide`);
    await page.click('#g-rows tr:first-child .g-open');
    await page.waitForSelector('#g-detail:not([hidden])');
    assert.equal(await page.$$eval('#g-detail form', (f) => f.length), 0);
    await page.screenshot({ path: artifact(`grievances-phone-${lang}.png`), fullPage: false });
    assert.deepEqual(errors, []);
    await context.close();
  }
});

test('an objection points at a line of the signing household\'s newest plan, on a desktop and a phone', async () => {
  const runs = [
    { lang: 'vi', viewport: { width: 1366, height: 768 }, extra: {} },
    { lang: 'en', viewport: { width: 360, height: 740 }, extra: { isMobile: true, hasTouch: true } },
  ];
  for (const { lang, viewport, extra } of runs) {
    const context = await browser.newContext({ viewport, ...extra });
    await login(context, server.url, 'member_a');
    const page = await context.newPage();
    const errors = collectPageErrors(page);
    // A household of her area with a computed plan: its newest version's lines are offered.
    const api = async (path) => (await context.request.get(`${server.url}${path}`)).json();
    const { items } = await api('/api/v1/households?project=HPDQ2&limit=100');
    let hh;
    let plan;
    for (const x of items) {
      const c = await api(`/api/v1/households/${x.id}/compensation`);
      if (c.current?.lines?.some((l) => l.id)) { hh = x; plan = c.current; break; }
    }
    assert.ok(hh, 'the demo has a household with a plan in member_a\'s area');
    const line = plan.lines.find((l) => l.group === 'land' && l.id) ?? plan.lines.find((l) => l.id);

    await page.goto(`${server.url}/grievances?lang=${lang}`);
    await page.waitForSelector('#g-rows');
    await page.click('#g-new');
    await page.waitForSelector('#g-intake-form');
    // No signer yet: nothing to point at.
    assert.equal(await page.isVisible('#g-plan-line'), false);
    await page.selectOption('#g-form-kind', 'petition');
    await page.fill('#g-search', hh.code);
    await page.click('#g-search-button');
    await page.click(`#g-results li[data-id="${hh.id}"] button`);
    await page.waitForSelector('#g-plan-line-box:not([hidden])');
    const label = await page.textContent('#g-plan-line-box');
    assert.match(label, lang === 'vi' ? /Dòng phương án bị khiếu nại/ : /Plan line disputed/);
    const offered = await page.$$eval('#g-plan-line option', (o) => o.map((x) => x.value).filter(Boolean));
    assert.deepEqual(offered.map(Number), plan.lines.filter((l) => l.id).map((l) => l.id), 'the newest plan\'s lines');
    const group = await page.getAttribute('#g-plan-line optgroup', 'label');
    assert.ok(group.includes(hh.code) && group.includes(String(plan.number)), group);
    await page.selectOption('#g-plan-line', String(line.id));
    await page.fill('#g-content', lang === 'vi' ? 'Đề nghị xem lại đơn giá của dòng này' : 'Please review the price of this line');
    if (viewport.width <= 360) {
      const wide = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(wide <= 360, `the form is ${wide}px wide`);
    }
    await page.click('#g-intake-form button[type=submit]');
    await page.waitForSelector('#g-detail:not([hidden]) #g-detail-plan-line');
    const shown = await page.textContent('#g-detail-plan-line');
    assert.ok(shown.includes(line.label), shown);
    assert.match(shown, lang === 'vi' ? /\d{1,3}(\.\d{3})* đ/ : /\d{1,3}(,\d{3})* VND/);
    assert.ok(shown.includes(line.article), shown);
    assert.match(await page.textContent('#g-detail'), lang === 'vi' ? /Dòng phương án bị khiếu nại/ : /Plan line disputed/);
    if (viewport.width <= 360) {
      const wide = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(wide <= 360, `the grievance is ${wide}px wide`);
    }
    await page.screenshot({ path: artifact(`grievances-plan-line-${lang}-${viewport.width}.png`), fullPage: false });
    // What the API holds.
    const id = await page.getAttribute('#g-detail', 'data-id');
    const g = await api(`/api/v1/grievances/${id}`);
    assert.equal(g.plan_line_id, line.id);
    assert.equal(g.plan_line.amount, line.amount);
    assert.deepEqual(errors, []);
    await context.close();
  }
});

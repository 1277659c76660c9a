// The alerts page: a leader opens it on the demo project, sees the counts and a mix of kinds
// (hot spots and splits after the cut-off among them), filters, switches language and follows
// an alert's link to the case file. A leader snoozes an alert with a reason and groups them;
// a member keeps the field app's link.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, login, artifact, collectPageErrors } from './lib.mjs';

let server;
let browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await server?.stop(); });

test('leader sees a realistic mix of alerts on HPDQ2 and follows one', async () => {
  const context = await browser.newContext();
  await login(context, server.url, 'leader');
  const page = await context.newPage();
  const errors = collectPageErrors(page);
  await page.goto(server.url + '/alerts');
  await page.waitForSelector('#alerts-rows tr');
  assert.equal(await page.getAttribute('html', 'lang'), 'vi');

  // Counts per kind, several of them non-zero, hot spots and splits among them.
  const count = async (kind) => Number((await page.textContent(`#alerts-counts button[data-kind="${kind}"] strong`)).replace(/\D/g, ''));
  for (const kind of ['hot_spot', 'split_after_cutoff', 'land_use_change_after_cutoff', 'commitment_overdue', 'not_visited']) {
    assert.ok(await count(kind) > 0, `${kind} has alerts`);
  }
  const kinds = new Set(await page.$$eval('#alerts-rows tr', (rows) => rows.map((r) => r.dataset.kind)));
  assert.ok(kinds.has('hot_spot') && kinds.has('split_after_cutoff'), [...kinds].join(','));
  assert.ok(kinds.size >= 4, [...kinds].join(','));
  assert.match(await page.textContent('#alerts-rows'), /Điểm nóng/);
  assert.match(await page.textContent('#alerts-rows'), /sau ngày thông báo thu hồi đất/);
  await page.screenshot({ path: artifact('alerts-leader.png'), fullPage: false });

  // Filter by kind through its count: only splits remain.
  await page.click('#alerts-counts button[data-kind="split_after_cutoff"]');
  await page.waitForFunction(() => [...document.querySelectorAll('#alerts-rows tr')].every((r) => r.dataset.kind === 'split_after_cutoff'));
  const splits = await page.$$eval('#alerts-rows tr', (rows) => rows.length);
  assert.equal(splits, await count('split_after_cutoff'));

  // English.
  await page.click('#lang');
  await page.waitForFunction(() => document.documentElement.lang === 'en');
  await page.waitForSelector('#alerts-rows tr');
  assert.match(await page.textContent('#alerts-counts'), /Hot spot/);

  // Follow a household's link: a leader goes to the desktop case file, not the phone app.
  await page.selectOption('#alerts-kind', 'hot_spot');
  await page.waitForFunction(() => [...document.querySelectorAll('#alerts-rows tr')].every((r) => r.dataset.kind === 'hot_spot'));
  const href = await page.getAttribute('#alerts-rows tr a.alerts-link[href^="/households/"]', 'href');
  assert.match(href, /^\/households\/\d+$/);
  await page.click(`#alerts-rows tr a.alerts-link[href="${href}"]`);
  await page.waitForURL((url) => url.pathname === href);
  assert.deepEqual(errors, []);
  await context.close();
});

test('the page asks for a login first', async () => {
  const page = await browser.newPage();
  await page.goto(server.url + '/alerts');
  await page.waitForSelector('#login:not([hidden])');
  await page.fill('input[name=username]', 'member_b');
  await page.fill('input[name=password]', 'demo');
  await page.click('#login button[type=submit]');
  await page.waitForSelector('#alerts-rows tr');
  // member_b works in Bình Hải: every alert is there.
  const communes = new Set(await page.$$eval('#alerts-rows tr td:nth-child(3)', (cells) => cells.map((c) => c.textContent)));
  assert.deepEqual([...communes], ['Xã Bình Hải']);
  await page.close();
});

test('a leader snoozes an alert with a reason, groups by commune, sees the threshold', async () => {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  await login(context, server.url, 'leader');
  const page = await context.newPage();
  const errors = collectPageErrors(page);
  await page.goto(server.url + '/alerts?lang=vi');
  await page.waitForSelector('#alerts-rows tr');
  assert.match(await page.textContent('#alerts-threshold'), /chưa thăm quá 30 ngày/);
  const notVisited = async () => Number((await page.textContent('#alerts-counts button[data-kind="not_visited"] strong')).replace(/\D/g, ''));
  const before = await notVisited();
  await page.selectOption('#alerts-kind', 'not_visited');
  await page.waitForFunction(() => [...document.querySelectorAll('#alerts-rows tr')].every((r) => r.dataset.kind === 'not_visited'));
  const subject = await page.getAttribute('#alerts-rows tr:first-child', 'data-subject');

  // Snooze: a reason is required; the date is typed dd/mm/yyyy.
  await page.click(`#alerts-rows tr[data-subject="${subject}"] .alerts-snooze`);
  await page.waitForSelector('.alerts-triage-form[data-action="snooze"]');
  const until = new Date(Date.now() + 7 * 3600e3 + 7 * 86400e3);
  const dd = (n) => String(n).padStart(2, '0');
  await page.fill('.alerts-triage-form [name=until]', `${dd(until.getUTCDate())}/${dd(until.getUTCMonth() + 1)}/${until.getUTCFullYear()}`);
  await page.fill('.alerts-triage-form [name=note]', 'Hộ đi làm ăn xa, hẹn gặp lại sau một tuần');
  await page.screenshot({ path: artifact('alerts-desktop-vi-snooze.png'), fullPage: false });
  await page.click('.alerts-triage-form button[type=submit]');
  await page.waitForFunction((s) => !document.querySelector(`#alerts-rows tr[data-subject="${s}"]`), subject);
  assert.match(await page.textContent('#alerts-note'), /tạm hoãn/);
  assert.equal(await notVisited(), before - 1);
  // The API agrees: the alert is gone from the list until then.
  const [kind, id] = subject.split(':');
  const items = [];
  for (let cursor = null, first = true; first || cursor; first = false) {
    const q = `/api/v1/alerts?project=HPDQ2&kind=not_visited&limit=500${cursor ? `&cursor=${cursor}` : ''}`;
    const res = await (await context.request.get(server.url + q)).json();
    items.push(...res.items);
    cursor = res.next_cursor;
  }
  assert.ok(!items.some((a) => a.subject === kind && String(a.subject_id) === id));

  // Acknowledge and assign another one: it stays, marked.
  const other = await page.getAttribute('#alerts-rows tr:first-child', 'data-subject');
  await page.click(`#alerts-rows tr[data-subject="${other}"] .alerts-ack`);
  await page.waitForFunction((s) => /Đã ghi nhận/.test(document.querySelector(`#alerts-rows tr[data-subject="${s}"]`)?.textContent ?? ''), other);
  await page.click(`#alerts-rows tr[data-subject="${other}"] .alerts-assign`);
  await page.selectOption('.alerts-triage-form [name=assignee]', 'member_a');
  await page.click('.alerts-triage-form button[type=submit]');
  await page.waitForFunction((s) => /Giao cho/.test(document.querySelector(`#alerts-rows tr[data-subject="${s}"]`)?.textContent ?? ''), other);

  // Group by commune: the counts add up to the total; a commune narrows the list.
  await page.selectOption('#alerts-kind', '');
  await page.waitForSelector('#alerts-rows tr[data-kind="hot_spot"]');
  await page.selectOption('#alerts-group-by', 'commune');
  await page.waitForSelector('#alerts-groups:not([hidden]) li');
  const sum = await page.$$eval('#alerts-groups li strong', (s) => s.reduce((n, e) => n + Number(e.textContent.replace(/\D/g, '')), 0));
  assert.equal(sum, Number((await page.textContent('#alerts-total')).replace(/\D/g, '')));
  const firstGroup = await page.textContent('#alerts-groups li:first-child .alerts-group-label');
  await page.click('#alerts-groups li:first-child button');
  await page.waitForFunction((name) => [...document.querySelectorAll('#alerts-rows tr')].every((r) => r.children[2].textContent === name), firstGroup);
  await page.screenshot({ path: artifact('alerts-desktop-vi.png'), fullPage: false });
  await page.selectOption('#alerts-group-by', 'working_group');
  await page.waitForFunction(() => /Tổ công tác/.test(document.querySelector('#alerts-groups h2')?.textContent ?? ''));

  // Sorted by age: the oldest first.
  await page.selectOption('#alerts-sort', 'age');
  assert.deepEqual(errors, []);
  await context.close();

  // English on a desktop, and both languages on a phone without sideways scrolling.
  for (const [lang, viewport, name] of [['en', { width: 1366, height: 768 }, 'desktop'], ['vi', { width: 360, height: 740 }, 'phone'], ['en', { width: 360, height: 740 }, 'phone']]) {
    const ctx = await browser.newContext({ viewport, isMobile: name === 'phone' });
    await login(ctx, server.url, 'leader');
    const p = await ctx.newPage();
    const errs = collectPageErrors(p);
    await p.goto(`${server.url}/alerts?lang=${lang}`);
    await p.waitForSelector('#alerts-rows tr');
    if (lang === 'en') assert.match(await p.textContent('#alerts-threshold'), /not visited after 30 days/);
    assert.ok(await p.evaluate(() => document.documentElement.scrollWidth) <= viewport.width);
    await p.screenshot({ path: artifact(`alerts-${name}-${lang}.png`), fullPage: false });
    assert.deepEqual(errs, []);
    await ctx.close();
  }
});

test('a member keeps the field app link', async () => {
  const context = await browser.newContext();
  await login(context, server.url, 'member_a');
  const page = await context.newPage();
  await page.goto(server.url + '/alerts?kind=not_visited');
  await page.waitForSelector('#alerts-rows tr a.alerts-link');
  const hrefs = await page.$$eval('#alerts-rows tr a.alerts-link', (a) => a.map((x) => x.getAttribute('href')));
  assert.ok(hrefs.some((h) => /^\/field#\/h\/\d+$/.test(h)), hrefs.slice(0, 3).join(','));
  assert.ok(!hrefs.some((h) => h.startsWith('/households/')));
  await context.close();
});

test('an administrator changes the "not visited" threshold on the page, then goes back to the default', async () => {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  await login(context, server.url, 'admin');
  const page = await context.newPage();
  const errors = collectPageErrors(page);
  await page.goto(server.url + '/alerts?project=HPDQ2');
  await page.waitForSelector('#alerts-threshold:not([hidden])');
  const before = await (await context.request.get(`${server.url}/api/v1/projects/HPDQ2/settings/alerts`)).json();
  const wanted = before.not_visited_days === 45 ? 46 : 45;
  await page.click('#threshold-edit');
  await page.fill('#threshold-days', String(wanted));
  await page.click('#threshold-form button[type=submit]');
  await page.waitForFunction((n) => document.querySelector('#alerts-threshold').textContent.includes(`${n} ngày`), wanted);
  const set = await (await context.request.get(`${server.url}/api/v1/projects/HPDQ2/settings/alerts`)).json();
  assert.equal(set.not_visited_days, wanted);
  assert.equal(set.custom, true);
  await page.screenshot({ path: artifact('alerts-threshold-desktop-vi.png') });
  await page.click('#threshold-edit');
  await page.click('#threshold-default');
  await page.waitForFunction((n) => document.querySelector('#alerts-threshold').textContent.includes(`${n} ngày`), before.default_not_visited_days);
  const back = await (await context.request.get(`${server.url}/api/v1/projects/HPDQ2/settings/alerts`)).json();
  assert.equal(back.custom, false);
  // A leader sees the threshold but cannot change it.
  const leader = await browser.newContext();
  await login(leader, server.url, 'leader');
  const lp = await leader.newPage();
  await lp.goto(server.url + '/alerts?project=HPDQ2');
  await lp.waitForSelector('#alerts-threshold:not([hidden])');
  assert.equal(await lp.locator('#threshold-edit').count(), 0);
  await leader.close();
  assert.deepEqual(errors, []);
  await context.close();
});

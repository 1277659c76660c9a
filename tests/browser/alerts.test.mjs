// The alerts page: a leader opens it on the demo project, sees the counts and a mix of kinds
// (hot spots and splits after the cut-off among them), filters, switches language and follows
// an alert's link.
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

  // Follow a household's link: it opens that household in the field app.
  await page.selectOption('#alerts-kind', 'hot_spot');
  await page.waitForFunction(() => [...document.querySelectorAll('#alerts-rows tr')].every((r) => r.dataset.kind === 'hot_spot'));
  const href = await page.getAttribute('#alerts-rows tr a.alerts-link', 'href');
  assert.match(href, /^\/field#\/h\/\d+$/);
  await page.click('#alerts-rows tr a.alerts-link');
  await page.waitForURL((url) => url.pathname === '/field' && /^#\/h\/\d+$/.test(url.hash));
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

// Bulk stage recording: a leader previews a stage for a commune (allowed households and the
// refused ones with their reason in Vietnamese), then records them all in one go; the API
// then shows the stage on each household. A member cannot open the page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, login, artifact, collectPageErrors } from './lib.mjs';

let server;
let browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await server?.stop(); });

test('a leader previews and records a stage for a whole commune', async () => {
  // Three new households in Bình Thuận with no stage yet (besides the demo's).
  const admin = await browser.newContext();
  await login(admin, server.url, 'admin');
  for (const name of ['Hộ Mới Một', 'Hộ Mới Hai', 'Hộ Mới Ba']) {
    const res = await admin.request.post(`${server.url}/api/v1/households`, { data: { project: 'HPDQ2', head_name: name, commune: '21043', address: 'Thôn Châu Me' } });
    assert.equal(res.status(), 201);
  }
  await admin.close();
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  await login(context, server.url, 'leader');
  const page = await context.newPage();
  const errors = collectPageErrors(page);
  await page.goto(server.url + '/stages');
  await page.waitForSelector('#bulk-form');
  await page.waitForFunction(() => document.querySelectorAll('#b-commune option').length > 1);
  await page.selectOption('#b-commune', '21043');

  // A stage most of the commune cannot take yet: refusals with their reasons.
  await page.selectOption('#b-stage', 'plan_approved');
  await page.click('#preview');
  await page.waitForSelector('#refused tbody tr');
  assert.match(await page.textContent('#refused'), /phải ghi «.+» trước|không được|đã được ghi/);
  assert.ok(await page.isDisabled('#commit'), 'all-or-nothing: cannot record all while some are refused');
  await page.screenshot({ path: artifact('stages-refused-desktop-vi.png'), fullPage: true });

  // The briefing for the households with no stage yet: all allowed, recorded in one go.
  await page.selectOption('#b-current', 'none');
  await page.selectOption('#b-stage', 'briefing');
  await page.fill('#b-doc', '07/TB-UBND');
  await page.click('#preview');
  await page.waitForSelector('#allowed tbody tr');
  assert.equal(await page.$('#refused'), null);
  const ids = await page.$$eval('#allowed tbody tr', (rows) => rows.map((r) => Number(r.dataset.household)));
  assert.ok(ids.length > 0);
  await page.screenshot({ path: artifact('stages-desktop-vi.png'), fullPage: true });
  await page.click('#commit');
  await page.waitForSelector('#commit-status.ok');
  assert.match(await page.textContent('#commit-status'), new RegExp(`cho ${ids.length} hộ`));
  for (const id of ids.slice(0, 3)) {
    const res = await context.request.get(`${server.url}/api/v1/households/${id}/case`);
    const kase = await res.json();
    assert.equal(kase.current_stage, 'briefing');
    assert.equal(kase.stages.at(-1).document_no, '07/TB-UBND');
  }

  // English and phone.
  await page.click('#lang');
  await page.waitForFunction(() => document.documentElement.lang === 'en');
  await page.waitForSelector('#bulk-form');
  await page.screenshot({ path: artifact('stages-desktop-en.png'), fullPage: true });
  await page.setViewportSize({ width: 360, height: 740 });
  await page.reload();
  await page.waitForSelector('#bulk-form');
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth));
  await page.screenshot({ path: artifact('stages-phone-en.png'), fullPage: true });
  await page.click('#lang');
  await page.waitForFunction(() => document.documentElement.lang === 'vi');
  await page.waitForSelector('#bulk-form');
  await page.screenshot({ path: artifact('stages-phone-vi.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await context.close();
});

test('a member is refused the bulk page', async () => {
  const context = await browser.newContext();
  await login(context, server.url, 'member_a');
  const page = await context.newPage();
  await page.goto(server.url + '/stages');
  await page.waitForSelector('#forbidden');
  await context.close();
});

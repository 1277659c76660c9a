// The dashboard: a leader sees the project's figures (agreeing with /progress), the server-drawn
// SVG charts loaded, and the page in English after the switch.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, collectPageErrors, artifact, login } from './lib.mjs';

let server;
let browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await server?.stop(); });

test('leader sees figures and charts of HPDQ2, in Vietnamese then English', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  await login(context, server.url, 'leader');
  const page = await context.newPage();
  const errors = collectPageErrors(page);
  await page.goto(server.url + '/dashboard');
  await page.waitForSelector('#status-table tbody tr');
  const progress = await (await context.request.get(server.url + '/api/v1/projects/HPDQ2/progress')).json();
  assert.equal(await page.getAttribute('#figures', 'data-total'), String(progress.parcels.total));
  const rows = await page.$$eval('#status-table tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
  // Eight statuses plus the total line; each count as /progress gives it.
  assert.equal(rows.length, 9);
  const handed = rows.find((r) => r[0] === 'Đã bàn giao');
  assert.equal(handed[1], progress.parcels.by_status.handed_over.toLocaleString('vi-VN'));
  assert.equal((await page.$$('#commune-table tbody tr')).length, progress.by_commune.length);
  // Every chart is an SVG the browser could draw.
  await page.waitForFunction(() => [...document.querySelectorAll('figure img')].every((i) => i.complete && i.naturalWidth > 0));
  const sizes = await page.$$eval('figure img', (imgs) => imgs.map((i) => i.naturalWidth));
  assert.equal(sizes.length, 5);
  assert.match(await page.textContent('#projection'), /thửa\/tuần|Chưa dự báo/);
  await page.screenshot({ path: artifact('dashboard.png'), fullPage: true });

  await page.click('#lang');
  await page.waitForFunction(() => document.documentElement.lang === 'en');
  await page.waitForSelector('#status-table tbody tr');
  assert.match(await page.textContent('#status-table'), /Handed over/);
  const src = await page.getAttribute('#chart-progress', 'src');
  assert.match(src, /lang=en/);
  const svg = await (await context.request.get(server.url + src)).text();
  assert.match(svg, /Progress by week/);
  assert.deepEqual(errors, []);
  await context.close();
});

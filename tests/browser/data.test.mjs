// The data admin page (/data): export links, the report period picker, the period's figures,
// the printable report on A4, and the language switch.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, login, artifact, collectPageErrors } from './lib.mjs';

let server;
let browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await server?.stop(); });

// A quarter inside the demo's year of visits (the demo is built on today: its visits run from
// about 335 to 13 days ago): the one holding today − 200 days.
const inside = new Date(Date.now() - 200 * 86_400_000);
const YEAR = String(inside.getUTCFullYear());
const PART = Math.floor(inside.getUTCMonth() / 3) + 1;
const QUARTER = `${YEAR}-Q${PART}`;
const QUARTER_VI = `Quý ${['I', 'II', 'III', 'IV'][PART - 1]} năm ${YEAR}`;

test('leader exports data and opens a quarter\'s report from /data', async () => {
  const context = await browser.newContext({ acceptDownloads: true });
  await login(context, server.url, 'leader');
  const page = await context.newPage();
  const errors = collectPageErrors(page);
  await page.goto(server.url + '/data');
  await page.waitForSelector('#export-rows a');
  assert.equal(await page.textContent('h1'), 'Quản lý dữ liệu');
  assert.equal(await page.locator('#import').count(), 1, 'the import section is there for data-import.js');

  // Export links carry the project, format and the page's language; a click downloads the file.
  const gpkg = page.locator('#export-rows a[data-what=parcels][data-format=gpkg]');
  assert.equal(await gpkg.getAttribute('href'), '/api/v1/projects/HPDQ2/exports/parcels.gpkg?lang=vi');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.click('#export-rows a[data-what=households][data-format=csv]'),
  ]);
  assert.equal(download.suggestedFilename(), 'HPDQ2-households.csv');

  // Period picker: a quarter with numbers.
  await page.selectOption('#period-kind', 'Q');
  await page.selectOption('#period-part', `Q${PART}`);
  await page.fill('#period-year', YEAR);
  assert.equal(await page.textContent('#period-code'), QUARTER);
  assert.equal(await page.getAttribute('#report-xlsx', 'href'), `/api/v1/projects/HPDQ2/reports/${QUARTER}.xlsx`);
  await page.click('#stats-show');
  await page.waitForSelector('#stats:not([hidden]) tbody tr');
  const stats = await (await context.request.get(`${server.url}/api/v1/projects/HPDQ2/stats?period=${QUARTER}`)).json();
  const firstRow = await page.locator('#stats tbody tr').first().locator('td').allTextContents();
  assert.equal(firstRow[0], 'Hộ được vận động');
  assert.equal(firstRow[1].replace(/\D/g, ''), String(stats.current.totals.households_visited));
  assert.equal(await page.isHidden('#stats-empty'), true, 'a period with numbers has no empty note');
  await page.screenshot({ path: artifact('data-page.png'), fullPage: true });

  // A period with nothing in it says so in words.
  await page.fill('#period-year', '2001');
  await page.click('#stats-show');
  await page.waitForSelector('#stats-empty:not([hidden])');
  assert.match(await page.textContent('#stats-empty'), /2001-Q\d chưa có số liệu/);
  await page.fill('#period-year', YEAR);

  // The printable report: Vietnamese administrative layout on A4.
  const report = await context.newPage();
  await report.goto(server.url + (await page.getAttribute('#report-html', 'href')));
  assert.match(await report.textContent('h1'), /BÁO CÁO/);
  assert.ok((await report.textContent('.subtitle')).includes(QUARTER_VI));
  assert.match(await report.textContent('.nation'), /CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM/);
  await report.screenshot({ path: artifact('report-quarter.png'), fullPage: true });
  const pdf = await report.pdf({ format: 'A4', preferCSSPageSize: true });
  const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) || []).length;
  assert.ok(pages >= 1 && pages <= 6, `report prints on a few A4 pages, got ${pages}`);

  // English switch.
  await page.click('#lang');
  await page.waitForFunction(() => document.documentElement.lang === 'en');
  await page.waitForSelector('#export-rows a');
  assert.equal(await page.textContent('h1'), 'Data management');
  assert.deepEqual(errors, []);
});

test('signed out, /data shows the login form and none of the page', async () => {
  const page = await browser.newPage();
  await page.goto(server.url + '/data');
  await page.waitForSelector('#login input[name=username]');
  assert.match(await page.textContent('#login h2'), /Đăng nhập/);
  assert.equal(await page.locator('#exports').count(), 0);
  await page.close();
});

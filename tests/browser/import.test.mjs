// The import section of the data page (/data): an administrator checks a parcel file with
// errors (the report lists each bad feature, nothing stored), then imports the VN-2000 file and
// a household register; a leader is told that only administrators import.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startServer, launchBrowser, login, artifact, collectPageErrors, repoRoot } from './lib.mjs';

const fixture = (name) => join(repoRoot, 'fixtures/import', name);

let server;
let browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await server?.stop(); });

test('admin checks and imports parcel and household files from /data', async () => {
  const context = await browser.newContext();
  await login(context, server.url, 'admin');
  const page = await context.newPage();
  const errors = collectPageErrors(page);
  await page.goto(server.url + '/data');
  await page.waitForSelector('#import-parcels');
  assert.equal(await page.textContent('#import h2'), 'Nhập dữ liệu');
  const count = async () => (await (await context.request.get(
    `${server.url}/api/v1/projects/HPDQ2/parcels?limit=500&commune=21043`)).json()).items.length;
  const before = await count();

  // A file with errors: every bad feature listed, nothing stored.
  await page.setInputFiles('#import-parcels input[type=file]', fixture('parcels_errors.geojson'));
  await page.click('#import-parcels .import-check');
  await page.waitForSelector('#import-parcels .import-errors tbody tr');
  const rows = await page.locator('#import-parcels .import-errors tbody tr').count();
  assert.equal(rows, 5);
  assert.match(await page.textContent('#import-parcels .import-result p'), /5 lỗi, không nhập gì/);
  assert.match(await page.locator('#import-parcels .import-errors tbody tr').nth(4).textContent(), /Đối tượng 5.*21043\/91\/6/);
  await assertProblemsInWords(page, '#import-parcels', 'vi');
  assert.equal(await count(), before);

  // The VN-2000 file: checked, then imported.
  await page.setInputFiles('#import-parcels input[type=file]', fixture('parcels_5898.geojson'));
  await page.click('#import-parcels .import-check');
  await page.waitForFunction(() => /Chưa lưu gì/.test(document.querySelector('#import-parcels .import-result')?.textContent));
  assert.equal(await count(), before);
  await page.click('#import-parcels .import-run');
  await page.waitForFunction(() => /Đã nhập parcels_5898.geojson: thêm 6/.test(document.querySelector('#import-parcels .import-result')?.textContent));
  assert.equal(await count(), before + 6);

  // A household register with errors: rows as Excel numbers them, with the column.
  await page.setInputFiles('#import-households input[type=file]', fixture('households_errors.xlsx'));
  await page.click('#import-households .import-run');
  await page.waitForSelector('#import-households .import-errors tbody tr');
  const first = await page.locator('#import-households .import-errors tbody tr').first().locator('td').allTextContents();
  assert.deepEqual(first.slice(0, 2), ['Dòng 5', 'Họ và tên chủ hộ']);
  await assertProblemsInWords(page, '#import-households', 'vi');
  await page.screenshot({ path: artifact('data-import.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await context.close();
});

/**
 * Every refused row says what is wrong in the page's language (from its code and details): no
 * catalogue key; in English the server's sentence stays folded under "details", in Vietnamese it
 * is not on the page.
 */
async function assertProblemsInWords(page, form, lang) {
  const cells = await page.locator(`${form} .import-errors tbody td[data-code]`).evaluateAll((tds) => tds.map((td) => ({
    code: td.dataset.code, shown: td.querySelector('span').textContent, reason: td.querySelector('details span')?.textContent ?? null,
    visible: td.innerText,
  })));
  assert.ok(cells.length > 0);
  for (const c of cells) {
    assert.doesNotMatch(c.shown, /import\.|_/, `a catalogue key or code on screen: ${JSON.stringify(c)}`);
    if (lang === 'vi') {
      // No English on the Vietnamese page: the server's sentence is not there at all.
      assert.equal(c.reason, null, `no English sentence of the server: ${JSON.stringify(c)}`);
      assert.match(c.shown, /[^\x00-\x7F]/, `Vietnamese (with diacritics): ${JSON.stringify(c)}`);
    } else {
      assert.ok(c.reason && !c.visible.includes(c.reason), `the server's sentence is folded away: ${JSON.stringify(c)}`);
    }
  }
  const codes = cells.map((c) => c.code);
  assert.ok(codes.every((c) => c && !/\s/.test(c)), codes.join(','));
}

test('import refusals in English on a phone: words, not codes; no raw error body', async () => {
  const context = await browser.newContext({ viewport: { width: 360, height: 740 } });
  await login(context, server.url, 'admin');
  const page = await context.newPage();
  const errors = collectPageErrors(page);
  await page.goto(server.url + '/data?lang=en');
  await page.waitForSelector('#import-parcels');
  await page.setInputFiles('#import-households input[type=file]', fixture('households_errors.xlsx'));
  await page.click('#import-households .import-check');
  await page.waitForSelector('#import-households .import-errors tbody tr');
  await assertProblemsInWords(page, '#import-households', 'en');
  const shown = await page.locator('#import-households .import-errors tbody td[data-code] > span').allTextContents();
  assert.ok(shown.some((s) => /name|CCCD|commune|parcel|phone|row/i.test(s)), shown.join(' | '));
  // A file the server cannot read at all: its refusal in words, not a JSON body.
  await page.setInputFiles('#import-households input[type=file]', { name: 'broken.xlsx', mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', buffer: Buffer.from('not a spreadsheet') });
  await page.click('#import-households .import-check');
  await page.waitForFunction(() => /not|cannot/i.test(document.querySelector('#import-households .import-result .error')?.textContent || ''));
  const refusal = await page.textContent('#import-households .import-result .error');
  assert.doesNotMatch(refusal, /[{}"]|error\.|import\./, refusal);
  const scroll = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
  assert.ok(scroll[0] <= scroll[1], `no sideways scroll: ${scroll}`);
  await page.screenshot({ path: artifact('data-import-phone-en.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await context.close();
});

test('a leader is told only administrators import', async () => {
  const context = await browser.newContext();
  await login(context, server.url, 'leader');
  const page = await context.newPage();
  await page.goto(server.url + '/data');
  await page.waitForSelector('#import p.data-note + p.data-note');
  assert.equal(await page.locator('#import-parcels').count(), 0);
  assert.match(await page.textContent('#import'), /Chỉ quản trị viên/);
  await context.close();
});

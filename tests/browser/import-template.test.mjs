// Household registers as they really are (issue 14 item 6): the data page links the import
// template; the template goes back in as it is; a register with a bad CCCD is refused row by
// row in Vietnamese words that name the number and the province code, with no English on the page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { startServer, launchBrowser, login, artifact, collectPageErrors } from './lib.mjs';

let server;
let browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await server?.stop(); });

test('the household template downloads from /data and bad CCCDs are refused in Vietnamese', async () => {
  const context = await browser.newContext({ acceptDownloads: true });
  await login(context, server.url, 'admin');
  const page = await context.newPage();
  const errors = collectPageErrors(page);
  await page.goto(server.url + '/data?lang=vi');
  await page.waitForSelector('#import-households a.import-template');
  assert.equal(await page.textContent('#import-households a.import-template'), 'Tải mẫu Excel danh sách hộ');

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.click('#import-households a.import-template'),
  ]);
  assert.equal(download.suggestedFilename(), 'mau-nhap-ho.xlsx');
  const path = await download.path();
  const bytes = await readFile(path);
  assert.equal(bytes.subarray(0, 2).toString(), 'PK', 'an xlsx (zip) workbook');

  // The template itself goes back in: its title, headers, ID and date are read as they are (its
  // example parcel may not exist in this project; nothing else may be wrong).
  await page.setInputFiles('#import-households input[type=file]', { name: 'mau-nhap-ho.xlsx', mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', buffer: bytes });
  await page.click('#import-households .import-check');
  await page.waitForFunction(() => {
    const out = document.querySelector('#import-households .import-result');
    return out && /Chưa lưu gì|lỗi/.test(out.textContent);
  });
  const codes = await page.locator('#import-households .import-errors td[data-code]').evaluateAll((tds) => tds.map((td) => td.dataset.code));
  assert.ok(codes.every((c) => c === 'unknown_parcel'), codes.join(','));

  // A register with a CCCD of no province, one whose year disagrees with the date of birth.
  const csv = [
    'STT,Họ và tên chủ hộ,Ngày sinh chủ hộ,Số CCCD/CMND,Mã xã',
    '1,Nguyễn Văn Tỉnh,15/03/1990,003090555001,21043',
    '2,Lê Thị Năm,15/03/1985,051190555002,21043',
  ].join('\n');
  await page.setInputFiles('#import-households input[type=file]', { name: 'ho.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await page.click('#import-households .import-check');
  await page.waitForSelector('#import-households .import-errors tbody tr');
  const rows = await page.locator('#import-households .import-errors tbody tr').evaluateAll((trs) => trs.map((tr) => tr.innerText));
  assert.equal(rows.length, 2, rows.join('\n'));
  assert.match(rows[0], /Dòng 2/);
  assert.match(rows[0], /Số CCCD 003090555001 bắt đầu bằng 003, không phải mã tỉnh nào/);
  assert.match(rows[1], /Dòng 3/);
  assert.match(rows[1], /ứng với người sinh năm 1990, nhưng danh sách ghi năm sinh 1985/);
  const text = await page.textContent('#import-households .import-result');
  assert.doesNotMatch(text, /\b(the|is|not|province|digits|row)\b/i, `no English: ${text}`);
  assert.equal(await page.locator('#import-households .import-errors details').count(), 0);
  await page.screenshot({ path: artifact('data-import-template.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await context.close();
});

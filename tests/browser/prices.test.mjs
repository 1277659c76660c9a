// Price tables and compensation settings (/admin/prices): an administrator downloads the
// template, checks it (nothing stored), imports it and sees the table listed with its prices;
// sets a project's job-change multiple, is refused above the national cap in Vietnamese, then
// saves a level with its decision. A member is refused the page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, launchBrowser, login, artifact, collectPageErrors } from './lib.mjs';

let server;
let browser;
before(async () => { server = await startServer({ parcels: 24 }); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await server?.stop(); });

test('admin imports the price template after a check and sets a project level with its decision', async () => {
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, acceptDownloads: true });
  await login(context, server.url, 'admin');
  const page = await context.newPage();
  const errors = collectPageErrors(page);
  await page.goto(`${server.url}/admin/prices?lang=vi`);
  // The demo holds the province's 2025 table and its 2026 version.
  await page.waitForSelector('#price-tables-table tbody tr');
  const rowsBefore = await page.locator('#price-tables-table tbody tr').count();
  assert.equal(rowsBefore, 2);
  assert.match(await page.textContent('#price-tables-table'), /Đang áp dụng/);
  assert.equal(await page.getAttribute('.shell-nav a[aria-current="page"]', 'href'), '/admin/prices');

  // The template, downloaded as the link gives it.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#price-template')]);
  assert.equal(download.suggestedFilename(), 'mau-bang-gia.xlsx');
  const file = join(mkdtempSync(join(tmpdir(), 'gpmb-prices-')), 'mau-bang-gia.xlsx');
  await download.saveAs(file);

  // Importing is offered only once the file checked clean.
  await page.setInputFiles('#price-file', file);
  assert.equal(await page.isDisabled('#price-run'), true);
  await page.click('#price-check');
  await page.waitForSelector('#import-summary');
  assert.match(await page.textContent('#import-summary'),
    /Kiểm tra mau-bang-gia\.xlsx: không có lỗi\. Nếu nhập sẽ tạo ".*" phiên bản 1 với 14 đơn giá, hệ số 1,15\. Chưa lưu gì\./);
  assert.equal(await page.locator('#price-tables-table tbody tr').count(), rowsBefore, 'a check stores nothing');
  assert.equal(await page.isDisabled('#price-run'), false);
  await page.click('#price-run');
  await page.waitForSelector('#price-tables-table tbody tr:has-text("(ví dụ)")');
  const row = await page.textContent('#price-tables-table tbody tr:has-text("(ví dụ)")');
  assert.match(row, /Đơn giá bồi thường tỉnh Quảng Ngãi năm 2026 \(ví dụ\)/);
  assert.match(row, /QĐ 45\/2025\/QĐ-UBND/);
  assert.match(row, /từ 01\/01\/2026/);
  assert.match(row, /1,15/);
  assert.match(row, /Chưa dùng/);
  assert.match(await page.textContent('#import-summary'), /Đã nhập ".*" phiên bản 1: 14 đơn giá/);

  // Its prices, money as đồng.
  await page.click('#price-tables-table tbody tr:has-text("(ví dụ)") button.view');
  await page.waitForSelector('#price-items-table');
  const items = await page.textContent('#price-items-table');
  assert.match(items, /Đất chuyên trồng lúa nước/);
  assert.match(items, /55\.000 đ/);
  assert.match(items, /Nhà – vật kiến trúc/);
  assert.match(items, /Cây lâu năm/);

  // A file that is no workbook is refused in Vietnamese.
  const bad = join(mkdtempSync(join(tmpdir(), 'gpmb-prices-')), 'sai.xlsx');
  writeFileSync(bad, 'Nhóm;Mã\nĐất;LUC\n');
  await page.setInputFiles('#price-file', bad);
  await page.click('#price-check');
  await page.waitForSelector('#import-result .error');
  assert.match(await page.textContent('#import-result'), /Không nhập được: Tệp không phải bảng tính Excel/);

  // A project level above the national cap is refused beside the field, with the article.
  await page.waitForSelector('#settings-table tr[data-code="job_change_multiple"]');
  assert.match(await page.textContent('#settings-table tr[data-code="job_change_multiple"]'),
    /5 lần \(Điều 109 Luật Đất đai 2024; Điều 22 NĐ 88\/2024\/NĐ-CP\)/);
  await page.fill('input[name="value.job_change_multiple"]', '6');
  await page.click('#save-settings');
  await page.waitForSelector('input[name="value.job_change_multiple"][aria-invalid="true"]');
  assert.match(await page.textContent('#settings-status'),
    /Vượt mức trần của Nhà nước 5 lần \(Điều 109 Luật Đất đai 2024; Điều 22 NĐ 88\/2024\/NĐ-CP\)/);

  // 2 × the farmland price, with its decision.
  await page.fill('input[name="value.job_change_multiple"]', '2');
  await page.fill('input[name="decision.job_change_multiple"]', 'QĐ 12/2026/QĐ-UBND');
  await page.fill('input[name="decided_on.job_change_multiple"]', '01/02/2026');
  await page.fill('input[name="value.relocation_support"]', '6.000.000');
  await page.click('#save-settings');
  await page.waitForFunction(() => document.getElementById('settings-status').textContent === 'Đã lưu.');
  const saved = await (await context.request.get(`${server.url}/api/v1/projects/HPDQ2/settings/compensation`)).json();
  const job = saved.settings.find((s) => s.code === 'job_change_multiple');
  assert.equal(job.value, 20000);
  assert.equal(job.decision_no, 'QĐ 12/2026/QĐ-UBND');
  assert.equal(job.decided_on, '2026-02-01');
  assert.equal(saved.settings.find((s) => s.code === 'relocation_support').value, 6000000);
  assert.equal(await page.inputValue('input[name="value.job_change_multiple"]'), '2');
  await page.screenshot({ path: artifact('admin-prices.png'), fullPage: true });

  assert.deepEqual(errors, []);
  await context.close();
});

test('a member is refused the page', async () => {
  const context = await browser.newContext();
  await login(context, server.url, 'member_a');
  const page = await context.newPage();
  await page.goto(`${server.url}/admin/prices?lang=vi`);
  await page.waitForSelector('#forbidden');
  await context.close();
});

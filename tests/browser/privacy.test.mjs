// Personal data (issue 16 item 12): the admin page /admin/privacy lists data subjects' requests
// with their legal deadlines and takes their steps (record, acknowledge, extend once, refuse a
// deletion with its legal reason) and keeps the breach log with its 72 hours; the case file
// records what a household was told. Desktop and a 360 px phone, Vietnamese and English.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, login, artifact, collectPageErrors } from './lib.mjs';

let server;
let browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await server?.stop(); });

const DESKTOP = { width: 1366, height: 768 };
const PHONE = { width: 360, height: 740 };

async function open(user, viewport = DESKTOP) {
  const context = await browser.newContext({ viewport });
  await login(context, server.url, user);
  const page = await context.newPage();
  return { context, page, errors: collectPageErrors(page) };
}

async function noSideScroll(page) {
  const [scroll, width] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  assert.ok(scroll <= width, `no horizontal page scroll (${scroll} > ${width})`);
}

test('admin records a request, acknowledges, extends once, refuses a deletion, logs a breach', async () => {
  const { context, page, errors } = await open('admin');
  await page.goto(server.url + '/admin/privacy');
  await page.waitForSelector('main[data-ready=true]');
  assert.equal(await page.getAttribute('html', 'lang'), 'vi');
  // The demo's access request, acknowledged and due within days.
  const demo = await page.textContent('#requests-table tbody');
  assert.match(demo, /Xem, nhận bản sao dữ liệu/);
  assert.match(demo, /Giải quyết trước \d\d\/\d\d\/\d{4} — (còn \d+ ngày|hết hạn hôm nay)/);
  // The demo's refused deletion shows under "all".
  await page.selectOption('#request-filter', '');
  await page.waitForFunction(() => document.querySelector('#requests-table tbody')?.textContent.includes('Từ chối có căn cứ'));

  // A new deletion request for a household, taken through its steps.
  const households = await (await context.request.get(`${server.url}/api/v1/households?limit=5`)).json();
  const hh = households.items[2];
  await page.fill('#request-household', String(hh.id));
  await page.selectOption('#request-kind', 'deletion');
  await page.selectOption('#request-channel', 'mail');
  await page.fill('#request-requester', hh.head_name);
  await page.fill('#request-details', 'Đề nghị xóa số điện thoại');
  await page.click('#request-form button[type=submit]');
  await page.waitForSelector('#privacy-message:has-text("Đã ghi nhận yêu cầu")');
  const row = '#requests-table tbody tr[data-status=received]';
  await page.waitForSelector(row);
  assert.match(await page.textContent(row), /Xác nhận trước/);
  await page.click(`${row} button[data-step=acknowledge]`);
  await page.click('#step-form button[type=submit]');
  await page.waitForSelector('#privacy-message:has-text("Đã xác nhận")');

  const ours = `#requests-table tbody tr:has-text("${hh.code}")`;
  await page.click(`${ours} button[data-step=extend]`);
  await page.click('#step-form button[type=submit]');
  await page.waitForSelector('#step-form .form-error:has-text("Ghi lý do gia hạn"), #step-form .field-error:has-text("Ghi lý do gia hạn")');
  await page.fill('#step-reason', 'Dữ liệu lưu tại nhiều đơn vị');
  await page.click('#step-form button[type=submit]');
  await page.waitForSelector('#privacy-message:has-text("Đã gia hạn")');
  assert.equal(await page.$(`${ours} button[data-step=extend]`), null, 'extended once only');

  // A deletion is refused only with its legal reason.
  await page.click(`${ours} button[data-step=complete]`);
  assert.equal(await page.inputValue('#step-outcome'), 'refused');
  await page.click('#step-form button[type=submit]');
  await page.waitForSelector('#step-form .field-error');
  assert.match(await page.textContent('#step-form .field-error'), /căn cứ pháp lý/);
  await page.fill('#step-legal-reason', 'Hồ sơ thu hồi đất phải lưu trữ theo Luật Đất đai 2024');
  await page.click('#step-form button[type=submit]');
  await page.waitForSelector('#privacy-message:has-text("Đã giải quyết")');
  await page.waitForSelector(`${ours}:has-text("Hồ sơ thu hồi đất phải lưu trữ")`);

  // The breach log: the demo's, then one discovered an hour ago, 71 hours left to report.
  assert.match(await page.textContent('#breaches-table'), /nhóm Zalo/);
  const vn = new Date(Date.now() + 7 * 3600e3 - 3600e3).toISOString();
  await page.fill('#breach-date', vn.slice(0, 10).split('-').reverse().join('/'));
  await page.fill('#breach-time', vn.slice(11, 16));
  await page.fill('#breach-households', '4');
  await page.fill('#breach-description', 'Thất lạc sổ tay ghi chép của tổ công tác');
  await page.check('#breach-kinds input[value=identity]');
  await page.check('#breach-kinds input[value=sensitive]');
  await page.click('#breach-form button[type=submit]');
  await page.waitForSelector('#breaches-table tr:has-text("Thất lạc sổ tay")');
  const breach = await page.textContent('#breaches-table tr:has-text("Thất lạc sổ tay")');
  assert.match(breach, /còn 7[01] giờ/);
  assert.match(breach, /Dữ liệu nhạy cảm/);
  await page.screenshot({ path: artifact('admin-privacy-desktop-vi.png'), fullPage: true });
  await page.click('#breaches-table tr:has-text("Thất lạc sổ tay") button[data-act=report]');
  await page.waitForFunction(() => document.querySelector('#breaches-table')?.textContent.includes('Đã báo cáo'));
  assert.deepEqual(errors, []);
  await context.close();
});

test('phone and English: no side scroll, the words switch', async () => {
  for (const [lang, viewport, kind] of [['vi', PHONE, 'phone'], ['en', PHONE, 'phone'], ['en', DESKTOP, 'desktop']]) {
    const { context, page, errors } = await open('admin', viewport);
    await page.goto(`${server.url}/admin/privacy?lang=${lang}`);
    await page.waitForSelector('main[data-ready=true]');
    if (lang === 'en') {
      assert.match(await page.textContent('#requests-table'), /Access \(copy of the data\)/);
      assert.match(await page.textContent('#breaches-table'), /Reported/);
    }
    await noSideScroll(page);
    await page.screenshot({ path: artifact(`admin-privacy-${kind}-${lang}.png`), fullPage: kind === 'phone' });
    assert.deepEqual(errors, []);
    await context.close();
  }
});

test('the case file records a notice; a district leader sees requests but no breach log; a member is refused', async () => {
  const { context, page, errors } = await open('member_a');
  const mine = await (await context.request.get(`${server.url}/api/v1/households?limit=5`)).json();
  const id = mine.items[4].id;
  await page.goto(`${server.url}/households/${id}`);
  await page.waitForSelector('#notice-form');
  await page.uncheck('#notice-form input[value=rights]');
  await page.selectOption('#notice-method', 'meeting');
  await page.fill('#notice-doc', 'BB 07/BB-UBND');
  await page.click('#notice-form button[type=submit]');
  await page.waitForSelector('#notice-done');
  const text = await page.textContent('#notices');
  assert.match(text, /Mục đích xử lý, Dữ liệu thu thập/);
  assert.match(text, /Tại cuộc họp/);
  assert.match(text, /BB 07\/BB-UBND/);
  assert.match(text, /Lê Thị Hồng Nhung/);
  await page.locator('#notices-title').scrollIntoViewIfNeeded();
  await page.screenshot({ path: artifact('household-notices-desktop-vi.png') });
  await page.goto(server.url + '/admin/privacy');
  await page.waitForSelector('#forbidden');
  assert.deepEqual(errors, []);
  await context.close();

  const d = await open('lanhdao_binhson', PHONE);
  await d.page.goto(server.url + '/admin/privacy');
  await d.page.waitForSelector('main[data-ready=true]');
  assert.ok(await d.page.$('#requests-table'));
  assert.equal(await d.page.$('#breaches-table'), null);
  await noSideScroll(d.page);
  assert.deepEqual(d.errors, []);
  await d.context.close();
});

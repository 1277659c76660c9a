// Changing one's own password from the page header (issue 16 item 10): the name in the header
// opens the form; a wrong current password is shown beside its field in Vietnamese; after the
// change this session goes on and the user's other session has ended.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, login, collectPageErrors } from './lib.mjs';

let server;
let browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await server?.stop(); });

test('member_a changes her password; her other session ends, this one stays', async () => {
  const other = await browser.newContext();
  await login(other, server.url, 'member_a');
  assert.equal((await other.request.get(`${server.url}/api/v1/auth/me`)).status(), 200);

  const ctx = await browser.newContext();
  await login(ctx, server.url, 'member_a');
  const page = await ctx.newPage();
  const errors = collectPageErrors(page);
  await page.goto(server.url + '/grievances');
  await page.click('#shell-user');
  await page.fill('#password-change input[name=current_password]', 'not it');
  await page.fill('#password-change input[name=new_password]', 'một mật khẩu dài hơn');
  await page.click('#password-change button[type=submit]');
  await page.waitForSelector('#password-change .field-error');
  assert.equal(await page.textContent('#password-change .field-error'), 'Mật khẩu hiện tại không đúng');

  await page.fill('#password-change input[name=current_password]', 'demo');
  await page.click('#password-change button[type=submit]');
  await page.waitForFunction(() => document.querySelector('#password-change .shell-note').textContent.length > 0);
  assert.match(await page.textContent('#password-change .shell-note'), /Đã đổi mật khẩu/);

  assert.equal((await ctx.request.get(`${server.url}/api/v1/auth/me`)).status(), 200);
  assert.equal((await other.request.get(`${server.url}/api/v1/auth/me`)).status(), 401);
  assert.deepEqual(errors, []);
  await other.close();
  await ctx.close();
});

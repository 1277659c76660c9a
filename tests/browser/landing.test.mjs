// The landing page: log in through the form, see the demo project's progress, switch language.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, collectPageErrors } from './lib.mjs';

let server;
let browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await server?.stop(); });

test('leader logs in on the landing page and sees HPDQ2 progress in Vietnamese', async () => {
  const page = await browser.newPage();
  const errors = collectPageErrors(page);
  await page.goto(server.url + '/');
  await page.fill('input[name=username]', 'leader');
  await page.fill('input[name=password]', 'demo');
  await page.click('#login button[type=submit]');
  await page.waitForSelector('#project-list h3');
  const text = await page.textContent('#project-list');
  assert.match(text, /HPDQ2/);
  assert.match(text, /Đã bàn giao/);
  assert.equal(await page.getAttribute('html', 'lang'), 'vi');
  await page.click('#lang');
  await page.waitForFunction(() => document.documentElement.lang === 'en');
  await page.waitForSelector('#project-list h3');
  assert.match(await page.textContent('#project-list'), /Handed over/);
  assert.deepEqual(errors, []);
});

test('wrong password shows the message from the catalogue', async () => {
  const page = await browser.newPage();
  await page.goto(server.url + '/');
  await page.fill('input[name=username]', 'leader');
  await page.fill('input[name=password]', 'wrong');
  await page.click('#login button[type=submit]');
  await page.waitForFunction(() => document.getElementById('login-error').textContent.length > 0);
  assert.equal(await page.textContent('#login-error'), 'Sai tên đăng nhập hoặc mật khẩu');
});

// The CCCD is personal data (issue 16.12): the households list and the case file show it
// masked (051*******45); the case file's "Hiện số CCCD" button asks the server for the full
// number, shows it in place, and the reveal is in the audit log. Saving the edit form
// without touching the masked number keeps the stored one.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, login, artifact, collectPageErrors } from './lib.mjs';

let server;
let browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await server?.stop(); });

async function api(context, method, path, data, headers = {}) {
  const res = await context.request.fetch(server.url + path, { method, data, headers });
  const body = await res.json().catch(() => null);
  return { status: res.status(), body };
}

test('the case file shows the CCCD masked and the button reveals it (audited)', async () => {
  const admin = await browser.newContext();
  await login(admin, server.url, 'admin');
  const created = await api(admin, 'POST', '/api/v1/households', {
    project: 'HPDQ2', head_name: 'Phạm Văn Kín', id_number: '051090012345', commune: '21043',
    address: 'Thôn Châu Me', members: [{ name: 'Phạm Văn Kín', relation: 'chủ hộ' }],
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  assert.equal(created.body.id_number, '051*******45');
  const id = created.body.id;

  const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  await login(context, server.url, 'member_a');
  const page = await context.newPage();
  const errors = collectPageErrors(page);

  // The list: masked.
  await page.goto(server.url + '/households');
  await page.waitForSelector('#households tbody tr');
  await page.fill('#f-q', 'pham van kin');
  await page.click('#search button[type=submit]');
  await page.waitForFunction(() => document.querySelectorAll('#households tbody tr').length === 1);
  const row = await page.textContent('#households tbody');
  assert.match(row, /051\*{7}45/);
  assert.doesNotMatch(row, /051090012345/);

  // The case file: masked, with the button; the page holds no full number before the click.
  await page.goto(`${server.url}/households/${id}`);
  await page.waitForSelector('#hh-cccd');
  assert.equal(await page.textContent('#hh-cccd'), '051*******45');
  assert.doesNotMatch(await page.content(), /051090012345/);
  assert.equal(await page.textContent('#reveal-cccd'), 'Hiện số CCCD');
  const before = await api(admin, 'GET', `/api/v1/audit?action=reveal&entity=household&entity_id=${id}`);
  assert.equal(before.body.items.length, 0);

  await page.click('#reveal-cccd');
  await page.waitForFunction(() => document.querySelector('#hh-cccd').textContent === '051090012345');
  assert.equal(await page.$('#reveal-cccd'), null);
  await page.screenshot({ path: artifact('household-cccd-revealed.png') });
  const audit = await api(admin, 'GET', `/api/v1/audit?action=reveal&entity=household&entity_id=${id}`);
  assert.equal(audit.body.items.length, 1, JSON.stringify(audit.body));

  // Saving the edit form with the CCCD untouched changes the address, not the number.
  await page.fill('#edit-address', 'Thôn Châu Me, Bình Thuận');
  await page.click('#edit-form button[type=submit]');
  await page.waitForSelector('#edit-done');
  const stored = await api(admin, 'GET', `/api/v1/households/${id}/id-number`);
  assert.equal(stored.body.id_number, '051090012345');
  const history = await api(admin, 'GET', `/api/v1/households/${id}/history`);
  assert.ok(history.body.items[0].fields.includes('address'), JSON.stringify(history.body.items[0]));
  assert.ok(!history.body.items[0].fields.includes('id_number'), JSON.stringify(history.body.items[0]));
  assert.equal(await page.textContent('#hh-cccd'), '051090012345');

  assert.deepEqual(errors, []);
  await context.close();
  await admin.close();
});

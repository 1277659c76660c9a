// People and access, and the audit log (administrators): the admin creates a user, disables it
// (its session ends at once), creates a token (the secret shown once) and revokes it, edits a
// working group's communes from the admin-unit tree, filters the audit log. A member opening
// these pages sees the refusal and their APIs answer 403.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, login, artifact, collectPageErrors } from './lib.mjs';

let server;
let browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await server?.stop(); });

const DESKTOP = { width: 1366, height: 768 };
const PHONE = { width: 360, height: 740 };

async function adminPage(viewport = DESKTOP) {
  const context = await browser.newContext({ viewport });
  await login(context, server.url, 'admin');
  const page = await context.newPage();
  const errors = collectPageErrors(page);
  return { context, page, errors };
}

async function noSideScroll(page) {
  const [scroll, width] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  assert.ok(scroll <= width, `no horizontal page scroll (${scroll} > ${width})`);
}

test('admin creates a user, disables it, and its session ends at once', async () => {
  const { context, page, errors } = await adminPage();
  await page.goto(server.url + '/admin/people');
  await page.waitForSelector('#users-table tbody tr');
  assert.equal(await page.getAttribute('html', 'lang'), 'vi');
  assert.match(await page.textContent('#users-table'), /Quản trị hệ thống/);
  await page.screenshot({ path: artifact('admin-people-desktop-vi.png') });

  // A short password is refused beside the field, in Vietnamese, and what was typed stays.
  await page.fill('#user-create input[name=username]', 'tho');
  await page.fill('#user-create input[name=display_name]', 'Nguyễn Thị Thơ');
  await page.selectOption('#user-create select[name=role]', 'member');
  await page.fill('#user-create input[name=password]', 'ngan');
  await page.click('#user-create button[type=submit]');
  await page.waitForSelector('#user-create .field-error');
  assert.match(await page.textContent('#user-create .field-error'), /ít nhất 12 ký tự/);
  assert.equal(await page.inputValue('#user-create input[name=display_name]'), 'Nguyễn Thị Thơ');
  assert.equal(await page.getAttribute('#user-create input[name=password]', 'aria-invalid'), 'true');
  await page.fill('#user-create input[name=password]', 'mot-hai-ba-bon-nam');
  await page.click('#user-create button[type=submit]');
  await page.waitForSelector('#user-tho');
  assert.match(await page.textContent('#users-status'), /Nguyễn Thị Thơ/);
  const users = await (await context.request.get(`${server.url}/api/v1/users?limit=500`)).json();
  const tho = users.items.find((u) => u.username === 'tho');
  assert.equal(tho.role, 'member');
  assert.equal(tho.disabled, false);

  // tho logs in elsewhere; the admin disables tho; tho's session is refused at once.
  const thoContext = await browser.newContext();
  await login(thoContext, server.url, 'tho', 'mot-hai-ba-bon-nam');
  assert.equal((await thoContext.request.get(`${server.url}/api/v1/auth/me`)).status(), 200);
  await page.click('#user-tho form[data-action=disable] button');
  await page.waitForSelector('#user-tho form[data-action=enable]');
  assert.match(await page.textContent('#user-tho'), /Đã khóa/);
  assert.equal((await thoContext.request.get(`${server.url}/api/v1/auth/me`)).status(), 401);
  await thoContext.close();

  // Role change through the row's form.
  await page.selectOption('#user-tho select[name=role]', 'district_leader');
  await page.click('#user-tho form.role-form button[type=submit]');
  await page.waitForFunction(() => document.querySelector('#user-tho select[name=role]')?.value === 'district_leader'
    && /Đã lưu/.test(document.getElementById('users-status').textContent));
  const after = await (await context.request.get(`${server.url}/api/v1/users?limit=500`)).json();
  assert.equal(after.items.find((u) => u.username === 'tho').role, 'district_leader');
  assert.equal(after.items.find((u) => u.username === 'tho').disabled, true);
  await noSideScroll(page);
  assert.deepEqual(errors, []);
  await context.close();
});

test('admin creates a token, sees the secret once, and revokes it', async () => {
  const { context, page, errors } = await adminPage();
  await page.goto(server.url + '/admin/people#tokens');
  await page.waitForSelector('#token-create');
  await page.fill('#token-create input[name=label]', 'Ban QLDA — tiến độ');
  await page.selectOption('#token-create select[name=access]', 'write');
  await page.click('#token-create button[type=submit]');
  await page.waitForSelector('#token-secret:not([hidden]) #token-secret-value');
  const secret = (await page.textContent('#token-secret-value')).trim();
  assert.match(secret, /^gpmb_\S{40,}$/);
  assert.match(await page.textContent('#token-secret'), /chỉ hiện một lần/);
  await page.waitForSelector('#tokens-table tbody tr');
  await page.screenshot({ path: artifact('admin-tokens-desktop-vi.png') });

  // The secret works; the list never carries it; its use is recorded.
  const use = await context.request.get(`${server.url}/api/v1/projects/HPDQ2/progress`, { headers: { authorization: `Bearer ${secret}` } });
  assert.equal(use.status(), 200);
  const listed = await (await context.request.get(`${server.url}/api/v1/projects/HPDQ2/tokens`)).text();
  assert.ok(!listed.includes(secret));
  const token = JSON.parse(listed).items.find((x) => x.label === 'Ban QLDA — tiến độ');
  assert.equal(token.access, 'write');
  assert.ok(token.last_used_at, 'last use recorded');

  // Shown once: after a reload the secret is nowhere on the page, the last use is.
  await page.reload();
  await page.waitForSelector(`#token-${token.id}`);
  assert.ok(!(await page.content()).includes(secret));
  assert.ok(!(await page.textContent(`#token-${token.id}`)).includes('Chưa dùng'));

  // Revoke, after a confirmation; refused at once.
  let asked = '';
  page.once('dialog', (dialog) => { asked = dialog.message(); dialog.accept(); });
  await page.click(`#token-${token.id} button.danger`);
  await page.waitForFunction((id) => /Đã thu hồi/.test(document.getElementById(`token-${id}`)?.textContent || ''), token.id);
  assert.match(asked, /Thu hồi mã/);
  const refused = await context.request.get(`${server.url}/api/v1/projects/HPDQ2/progress`, { headers: { authorization: `Bearer ${secret}` } });
  assert.equal(refused.status(), 401);
  assert.deepEqual(errors, []);
  await context.close();
});

test('admin edits a working group\'s communes from the admin-unit tree', async () => {
  const { context, page, errors } = await adminPage();
  const unitRequests = [];
  page.on('request', (r) => { if (r.url().includes('/api/v1/admin-units')) unitRequests.push(r.url()); });
  await page.goto(server.url + '/admin/people#groups');
  await page.waitForSelector('#groups-table tbody tr');
  const groups = await (await context.request.get(`${server.url}/api/v1/working-groups`)).json();
  const group = groups.items[0];
  await page.click(`#group-${group.id} button`);
  await page.waitForSelector('#group-form');
  assert.equal(await page.inputValue('#group-form input[name=name]'), group.name);
  // The picker holds the project's province, not the country's 14,000 units: one request,
  // by project; the new Quảng Ngãi and its 96 communes after the reform.
  assert.equal(unitRequests.length, 1, unitRequests.join(' '));
  assert.match(unitRequests[0], /project=HPDQ2/);
  await page.check('#group-form input[name=era][value=after]');
  assert.equal(await page.$$eval('#unit-tree input', (xs) => xs.length), 1 + 96);

  // After the reform: province → commune; the filter finds Vạn Tường without diacritics.
  await page.check('#group-form input[name=era][value=after]');
  await page.fill('#unit-filter', 'van tuong');
  await page.waitForSelector('#unit-tree input[data-unit="21061"]');
  const shown = await page.$$eval('#unit-tree li:not(:has(li)) label', (ls) => ls.map((l) => l.textContent));
  assert.ok(shown.length >= 1 && shown.every((s) => /Vạn Tường/.test(s)), shown.join(' | '));
  await page.check('#unit-tree input[data-unit="21061"]');
  // Remove the group's first old commune by its chip.
  const removed = group.area[0];
  await page.click(`#area-chosen button[aria-label="Bỏ ${removed.name}"]`);
  // Before the reform: province → district → commune.
  await page.check('#group-form input[name=era][value=before]');
  await page.fill('#unit-filter', '');
  const depth = await page.$$eval('#unit-tree details details', (d) => d.length);
  assert.ok(depth > 0, 'districts inside provinces');
  await page.screenshot({ path: artifact('admin-groups-desktop-vi.png') });
  await page.click('#group-form button[type=submit]');
  await page.waitForFunction(() => !document.getElementById('group-form'));
  const saved = await (await context.request.get(`${server.url}/api/v1/working-groups/${group.id}`)).json();
  const codes = saved.area.map((a) => a.code);
  assert.ok(codes.includes('21061'), codes.join(','));
  assert.ok(!saved.area.some((a) => a.id === removed.id), 'removed commune gone');
  assert.match(await page.textContent(`#group-${group.id}`), /Vạn Tường/);

  // Removing every commune is refused beside the picker, nothing lost.
  await page.click(`#group-${group.id} button`);
  await page.waitForSelector('#group-form');
  while (await page.$('#area-chosen button')) await page.click('#area-chosen button');
  await page.click('#group-form button[type=submit]');
  await page.waitForSelector('#group-form .field-error');
  assert.match(await page.textContent('#group-form .field-error'), /ít nhất một xã/);
  assert.deepEqual(errors, []);
  await context.close();
});

test('admin filters the audit log; actions in words, people by name', async () => {
  const { context, page, errors } = await adminPage();
  await page.goto(server.url + '/admin/audit');
  await page.waitForSelector('#audit-table tbody tr');
  const me = (await (await context.request.get(`${server.url}/api/v1/users?limit=500`)).json()).items.find((u) => u.username === 'admin');
  // Something by the admin to find: a login is there; create a user too.
  await context.request.post(`${server.url}/api/v1/users`, { data: { username: 'hoa', display_name: 'Trần Thị Hoa', role: 'member', password: 'mot-hai-ba-bon-nam' } });
  await page.selectOption('#audit-user', String(me.id));
  await page.selectOption('#audit-action', 'create');
  const today = new Date(Date.now() + 7 * 3600 * 1000).toISOString().slice(0, 10).split('-').reverse().join('/');
  await page.fill('#audit-from', today);
  await page.fill('#audit-to', today);
  await page.click('#audit-filters button[type=submit]');
  await page.waitForFunction(() => {
    const rows = [...document.querySelectorAll('#audit-table tbody tr')];
    return rows.length > 0 && rows.every((r) => r.dataset.action === 'create');
  });
  const text = await page.textContent('#audit-table tbody');
  assert.match(text, /Tạo mới/);
  assert.match(text, /Quản trị hệ thống/);
  assert.match(text, /Người dùng/);
  assert.match(text, /Trần Thị Hoa/);
  await page.screenshot({ path: artifact('admin-audit-desktop-vi.png') });

  // A badly typed date is refused beside its field.
  await page.fill('#audit-from', '31/02/2026');
  await page.click('#audit-filters button[type=submit]');
  await page.waitForSelector('#audit-filters .field-error');
  assert.deepEqual(errors, []);
  await context.close();
});

test('phone and English: no side scroll, the words switch', async () => {
  for (const [lang, viewport, kind] of [['vi', PHONE, 'phone'], ['en', PHONE, 'phone'], ['en', DESKTOP, 'desktop']]) {
    const { context, page, errors } = await adminPage(viewport);
    await page.goto(`${server.url}/admin/people?lang=${lang}`);
    await page.waitForSelector('#users-table tbody tr');
    if (lang === 'en') assert.match(await page.textContent('#users-table thead'), /Last login/);
    await noSideScroll(page);
    await page.screenshot({ path: artifact(`admin-people-${kind}-${lang}.png`), fullPage: kind === 'phone' });
    await page.goto(`${server.url}/admin/people#groups`);
    await page.waitForSelector('#groups-table tbody tr');
    await page.click('#groups-table tbody tr button');
    await page.waitForSelector('#unit-tree input');
    await noSideScroll(page);
    await page.screenshot({ path: artifact(`admin-groups-${kind}-${lang}.png`), fullPage: false });
    await page.goto(`${server.url}/admin/people#tokens`);
    await page.waitForSelector('#token-create');
    await noSideScroll(page);
    await page.screenshot({ path: artifact(`admin-tokens-${kind}-${lang}.png`), fullPage: false });
    await page.goto(`${server.url}/admin/audit`);
    await page.waitForSelector('#audit-table tbody tr');
    if (lang === 'en') assert.match(await page.textContent('#audit-table'), /Logged in/);
    await noSideScroll(page);
    await page.screenshot({ path: artifact(`admin-audit-${kind}-${lang}.png`), fullPage: false });
    assert.deepEqual(errors, []);
    await context.close();
  }
});

test('a member cannot open the admin pages or their APIs', async () => {
  const context = await browser.newContext({ viewport: DESKTOP });
  await login(context, server.url, 'member_a');
  const page = await context.newPage();
  const errors = collectPageErrors(page);
  for (const path of ['/admin/people', '/admin/audit']) {
    await page.goto(server.url + path);
    await page.waitForSelector('#forbidden');
    assert.match(await page.textContent('#forbidden'), /không có quyền/);
    assert.equal(await page.$('#users-table, #audit-table, #token-create'), null);
    // No link to the admin pages in a member's navigation.
    assert.equal(await page.$('nav a[href^="/admin/"]'), null);
  }
  const r = context.request;
  const u = server.url;
  const statuses = [
    (await r.get(`${u}/api/v1/users`)).status(),
    (await r.post(`${u}/api/v1/users`, { data: { username: 'x', display_name: 'x', role: 'admin', password: 'mot-hai-ba-bon-nam' } })).status(),
    (await r.patch(`${u}/api/v1/users/1`, { data: { role: 'admin' } })).status(),
    (await r.post(`${u}/api/v1/users/1/password`, { data: { password: 'mot-hai-ba-bon-nam' } })).status(),
    (await r.get(`${u}/api/v1/projects/HPDQ2/tokens`)).status(),
    (await r.post(`${u}/api/v1/projects/HPDQ2/tokens`, { data: { label: 'x', access: 'write' } })).status(),
    (await r.delete(`${u}/api/v1/tokens/1`)).status(),
    (await r.patch(`${u}/api/v1/working-groups/1`, { data: { name: 'x' } })).status(),
    (await r.get(`${u}/api/v1/audit`)).status(),
  ];
  assert.deepEqual(statuses, statuses.map(() => 403));
  await page.screenshot({ path: artifact('admin-refused-member-desktop-vi.png') });
  assert.deepEqual(errors, []);
  await context.close();
});

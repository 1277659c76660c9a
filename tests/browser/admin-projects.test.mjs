// Project setup (/admin/projects): an administrator creates a project, uploads its boundary and
// sees it on the map before saving, adds an agency and a milestone, saves, finds the milestone
// on the public page, meets a stale version (someone else saved) without losing what was typed,
// and closes the project; a member is refused the page and its API.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, launchBrowser, login, artifact, collectPageErrors } from './lib.mjs';

let server;
let browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await server?.stop(); });

const boundaryFile = () => {
  const path = join(mkdtempSync(join(tmpdir(), 'gpmb-boundary-')), 'ranh-gioi.geojson');
  writeFileSync(path, JSON.stringify({
    type: 'FeatureCollection',
    features: [{ type: 'Feature', properties: { ten: 'Ranh giới' }, geometry: { type: 'Polygon',
      coordinates: [[[108.80, 15.38], [108.82, 15.38], [108.82, 15.40], [108.80, 15.40], [108.80, 15.38]]] } }],
  }));
  return path;
};

test('admin sets up a project, sees the boundary before saving, publishes a milestone, closes it', async () => {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  await login(context, server.url, 'admin');
  const page = await context.newPage();
  const errors = collectPageErrors(page);
  await page.goto(server.url + '/admin/projects?lang=vi');
  await page.waitForSelector('#projects tbody tr');
  assert.match(await page.textContent('#projects tbody'), /HPDQ2.*Đang thực hiện/s);

  // Create.
  await page.click('#new-project');
  await page.fill('#create-project input[name=code]', 'DVB-1');
  await page.fill('#create-project input[name=name]', 'Đường ven biển Dung Quất – Sa Huỳnh');
  await page.fill('#create-project input[name=investor]', 'Ban QLDA tỉnh Quảng Ngãi');
  await page.click('#create-project button[type=submit]');
  await page.waitForSelector('#edit-project');
  assert.match(await page.textContent('#edit-project h2'), /DVB-1/);
  assert.ok(await page.locator('#projects tr[data-code="DVB-1"]').count());

  // A bad geometry first: refused in Vietnamese, nothing drawn.
  const bad = join(mkdtempSync(join(tmpdir(), 'gpmb-bad-')), 'no.geojson');
  writeFileSync(bad, JSON.stringify({ type: 'Polygon', coordinates: [[[108.80, 15.38], [108.81, 15.39], [108.81, 15.38], [108.80, 15.39], [108.80, 15.38]]] }));
  await page.setInputFiles('#boundary-file', bad);
  await page.click('#preview-boundary');
  await page.waitForFunction(() => document.getElementById('boundary-error').textContent.length > 0);
  assert.match(await page.textContent('#boundary-error'), /Ranh giới không hợp lệ: Ranh giới tự cắt/);

  // A VN-2000 corner list as a .txt file: the browser labels it text/plain, which the server
  // refuses (415) from a cross-site form; the page sends it as application/octet-stream.
  await page.setInputFiles('#boundary-file', { name: 'moc.txt', mimeType: 'text/plain',
    buffer: Buffer.from('STT X Y\n1 1702000 600000\n2 1702000 600100\n3 1702100 600100\n4 1702100 600000\n') });
  await page.selectOption('#boundary-crs', 'EPSG:5898');
  await page.click('#preview-boundary');
  await page.waitForSelector('#preview-summary');
  assert.match(await page.textContent('#preview-summary'), /Ranh giới mới: 1,00 ha/);
  await page.click('#discard-boundary');
  await page.waitForSelector('#preview-summary', { state: 'detached' });
  await page.selectOption('#boundary-crs', '');

  // The boundary: previewed and drawn on the map, not saved yet.
  await page.setInputFiles('#boundary-file', boundaryFile());
  await page.click('#preview-boundary');
  await page.waitForSelector('#preview-summary');
  assert.match(await page.textContent('#preview-summary'), /Ranh giới mới: 4\d\d,\d\d ha/);
  await page.waitForFunction(() => {
    const map = window.gpmbProjectMap;
    return map && map.loaded() && map.queryRenderedFeatures({ layers: ['boundary-fill'] }).length > 0;
  });
  let stored = await (await context.request.get(`${server.url}/api/v1/projects/DVB-1`)).json();
  assert.equal(stored.boundary, null, 'previewing saves nothing');

  // Dates, an agency and a milestone.
  await page.fill('input[name=notice_date]', '01/02/2026');
  await page.fill('input[name=target_handover_date]', '31/12/2026');
  await page.click('#add-parties');
  await page.fill('input[name="parties.0.role_vi"]', 'Chủ đầu tư');
  await page.fill('input[name="parties.0.role_en"]', 'Investor');
  await page.fill('input[name="parties.0.organisation"]', 'Ban Quản lý dự án tỉnh Quảng Ngãi');
  await page.fill('input[name="parties.0.phone"]', '0255 3822 111');
  await page.click('#add-milestones');
  await page.fill('input[name="milestones.0.on_date"]', '15/03/2026');
  await page.fill('input[name="milestones.0.title_vi"]', 'Niêm yết phương án bồi thường');
  await page.fill('input[name="milestones.0.title_en"]', 'Compensation plan posted');
  // A second, empty agency is refused beside its field and the rest is kept.
  await page.click('#add-parties');
  await page.click('#save-project');
  await page.waitForSelector('.field-error');
  assert.equal(await page.getAttribute('input[name="parties.1.role_vi"]', 'aria-invalid'), 'true');
  assert.match(await page.textContent('.field-error'), /Hãy nhập vai trò/);
  assert.equal(await page.inputValue('input[name="milestones.0.title_vi"]'), 'Niêm yết phương án bồi thường');
  await page.click('#parties .row:nth-child(2) button.remove');
  await page.click('#save-project');
  await page.waitForFunction(() => /Đã lưu/.test(document.getElementById('saved')?.textContent));
  stored = await (await context.request.get(`${server.url}/api/v1/projects/DVB-1`)).json();
  assert.equal(stored.boundary.type, 'Polygon');
  assert.equal(stored.notice_date, '2026-02-01');
  assert.equal(stored.target_handover_date, '2026-12-31');
  assert.equal(stored.parties.length, 1);
  assert.equal(stored.parties[0].organisation, 'Ban Quản lý dự án tỉnh Quảng Ngãi');
  assert.deepEqual(stored.milestones, [{ on_date: '2026-03-15', title_vi: 'Niêm yết phương án bồi thường', title_en: 'Compensation plan posted' }]);
  await page.waitForFunction(() => window.gpmbProjectMap?.loaded()
    && window.gpmbProjectMap.queryRenderedFeatures({ layers: ['boundary-fill'] }).length > 0);
  await page.screenshot({ path: artifact('admin-projects-desktop-vi.png'), fullPage: true });

  // The public page shows the milestone and the agency.
  const pub = await context.newPage();
  await pub.goto(`${server.url}/public/projects/DVB-1`);
  const publicText = await pub.textContent('body');
  assert.match(publicText, /Niêm yết phương án bồi thường/);
  assert.match(publicText, /Ban Quản lý dự án tỉnh Quảng Ngãi/);
  await pub.close();

  // Someone else saves meanwhile: the stale save says so, keeps the typed name, offers a reload.
  const other = await context.request.patch(`${server.url}/api/v1/projects/DVB-1`, {
    headers: { 'if-match': `"${stored.version}"` }, data: { investor: 'Sở Giao thông vận tải' },
  });
  assert.equal(other.status(), 200);
  await page.fill('#edit-project input[name=name]', 'Tên tôi vừa gõ');
  await page.click('#save-project');
  await page.waitForSelector('#stale:not([hidden]) #reload-project');
  assert.match(await page.textContent('#stale'), /đã được admin lưu/);
  assert.equal(await page.inputValue('#edit-project input[name=name]'), 'Tên tôi vừa gõ');
  await page.click('#reload-project');
  await page.waitForFunction(() => document.querySelector('#edit-project input[name=investor]')?.value === 'Sở Giao thông vận tải');

  // Close, with a confirm; writes are refused, the page says it is closed.
  page.once('dialog', (d) => d.accept());
  await page.click('#close-project');
  await page.waitForSelector('#reopen-project');
  assert.match(await page.textContent('#project-status'), /Đã đóng/);
  assert.match(await page.textContent('#projects tr[data-code="DVB-1"]'), /Đã đóng/);
  stored = await (await context.request.get(`${server.url}/api/v1/projects/DVB-1`)).json();
  assert.equal(stored.status, 'closed');
  await page.click('#save-project');
  await page.waitForFunction(() => /Dự án đã đóng/.test(document.querySelector('#edit-project .form-error')?.textContent));
  assert.deepEqual(errors, []);
  await context.close();
});

test('the page in English and on a phone', async () => {
  for (const [lang, viewport, name] of [
    ['en', { width: 1366, height: 768 }, 'desktop-en'],
    ['vi', { width: 360, height: 740 }, 'phone-vi'],
    ['en', { width: 360, height: 740 }, 'phone-en'],
  ]) {
    const context = await browser.newContext({ viewport });
    await login(context, server.url, 'admin');
    const page = await context.newPage();
    const errors = collectPageErrors(page);
    await page.goto(`${server.url}/admin/projects?lang=${lang}&project=HPDQ2`);
    await page.waitForSelector('#edit-project');
    await page.waitForFunction(() => window.gpmbProjectMap?.loaded());
    if (lang === 'en') assert.match(await page.textContent('#edit-project'), /Responsible agencies and contacts/);
    else assert.match(await page.textContent('#edit-project'), /Cơ quan chịu trách nhiệm/);
    const scroll = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(scroll <= 0, `no horizontal page scroll at ${viewport.width}px (${scroll})`);
    await page.screenshot({ path: artifact(`admin-projects-${name}.png`), fullPage: true });
    assert.deepEqual(errors, []);
    await context.close();
  }
});

test('a member cannot open the page or its API', async () => {
  const context = await browser.newContext();
  await login(context, server.url, 'member_a');
  const page = await context.newPage();
  await page.goto(server.url + '/admin/projects');
  await page.waitForSelector('#forbidden');
  const res = await context.request.post(`${server.url}/api/v1/projects/HPDQ2/close`);
  assert.equal(res.status(), 403);
  await context.close();
});

test("admin sets the printed report's parent agency and symbol", async () => {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  await login(context, server.url, 'admin');
  const page = await context.newPage();
  const errors = collectPageErrors(page);
  await page.goto(server.url + '/admin/projects?project=HPDQ2');
  await page.waitForSelector('#report-settings #report-printed:not(:empty)');
  await page.fill('#report-settings input[name=parent_agency]', 'UBND TỈNH QUẢNG NGÃI');
  await page.fill('#report-settings input[name=doc_symbol]', 'BC-GPMB');
  await page.click('#save-report');
  await page.waitForFunction(() => document.getElementById('report-saved').textContent.length > 0);
  assert.match(await page.textContent('#report-printed'), /UBND TỈNH QUẢNG NGÃI.*Số: …\/BC-GPMB/);
  const s = await (await context.request.get(`${server.url}/api/v1/projects/HPDQ2/settings/report`)).json();
  assert.equal(s.doc_symbol, 'BC-GPMB');
  await page.locator('#report-settings').screenshot({ path: artifact('admin-projects-report-desktop-vi.png') });
  assert.deepEqual(errors, []);
  await context.close();
});

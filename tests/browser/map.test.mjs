// The progress map: a leader logs in, sees the parcels rendered from the vector tiles (rendered
// features and canvas pixels), opens a parcel's panel, and sees the map follow a status change
// made through the API. Screenshot: target/browser/map.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { startServer, launchBrowser, collectPageErrors, artifact, login } from './lib.mjs';

let server;
let browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await server?.stop(); });

/** Waits until the map has loaded its tiles and drawn them. */
async function waitIdle(page) {
  await page.waitForFunction(() => window.gpmbMap && window.gpmbMap.loaded() && window.gpmbMap.areTilesLoaded(), null, { timeout: 30_000 });
}

/** Rendered parcel features as {id, status, map_sheet, parcel_no}. */
const rendered = (page) => page.evaluate(() => window.gpmbMap.queryRenderedFeatures({ layers: ['parcels'] })
  .map((f) => ({ id: f.properties.id, status: f.properties.status, map_sheet: f.properties.map_sheet, parcel_no: f.properties.parcel_no })));

test('leader sees parcels coloured by status, opens one, and sees a status change arrive', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  const errors = collectPageErrors(page);
  await page.goto(server.url + '/map');
  await page.fill('input[name=username]', 'leader');
  await page.fill('input[name=password]', 'demo');
  await page.click('#login button[type=submit]');
  await page.waitForSelector('#workspace:not([hidden])');
  await waitIdle(page);

  // Parcels are drawn: features on the parcels layer, and status colours in the canvas pixels.
  const features = await rendered(page);
  assert.ok(features.length > 20, `parcels rendered: ${features.length}`);
  const statuses = await (await context.request.get(server.url + '/api/v1/parcel-statuses')).json();
  const colours = Object.fromEntries(statuses.items.map((s) => [s.status, s.colour]));
  const pixels = await page.evaluate(() => {
    const gl = window.gpmbMap.getCanvas().getContext('webgl2') || window.gpmbMap.getCanvas().getContext('webgl');
    const w = gl.drawingBufferWidth; const h = gl.drawingBufferHeight;
    const buf = new Uint8Array(w * h * 4);
    gl.readPixels(0, 0, w, h, gl.RGBA, gl.UNSIGNED_BYTE, buf);
    const seen = {};
    for (let i = 0; i < buf.length; i += 4 * 7) {
      const key = '#' + [buf[i], buf[i + 1], buf[i + 2]].map((v) => v.toString(16).padStart(2, '0')).join('');
      seen[key] = (seen[key] || 0) + 1;
    }
    return seen;
  });
  // Fill opacity 0.9 over the background blends the colour slightly: compare within a margin.
  const near = (hex, px) => {
    const a = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
    const b = [1, 3, 5].map((i) => parseInt(px.slice(i, i + 2), 16));
    return a.every((v, i) => Math.abs(v - b[i]) <= 30);
  };
  const present = Object.entries(colours).filter(([, hex]) => Object.keys(pixels).some((px) => near(hex, px) && pixels[px] > 20));
  assert.ok(present.length >= 3, `status colours found in the canvas: ${present.map((p) => p[0])}`);

  await page.screenshot({ path: artifact('map-overview.png') });

  // The legend counts agree with /progress.
  const progress = await (await context.request.get(server.url + '/api/v1/projects/HPDQ2/progress')).json();
  assert.equal(await page.textContent('#legend-total'), progress.parcels.total.toLocaleString('vi-VN'));

  // Click a parcel that is not yet handed over: project its centre to the screen.
  const target = features.find((f) => f.status !== 'handed_over');
  const point = await page.evaluate(async (id) => {
    const map = window.gpmbMap;
    const f = map.queryRenderedFeatures({ layers: ['parcels'] }).find((x) => x.properties.id === id);
    const ring = f.geometry.type === 'Polygon' ? f.geometry.coordinates[0] : f.geometry.coordinates[0][0];
    const cx = ring.reduce((s, c) => s + c[0], 0) / ring.length;
    const cy = ring.reduce((s, c) => s + c[1], 0) / ring.length;
    map.jumpTo({ center: [cx, cy], zoom: Math.max(map.getZoom(), 17) });
    await new Promise((ok) => map.once('idle', ok));
    const p = map.project([cx, cy]);
    const rect = map.getCanvas().getBoundingClientRect();
    return { x: rect.left + p.x, y: rect.top + p.y };
  }, target.id);
  await waitIdle(page);
  await page.mouse.click(point.x, point.y);
  await page.waitForSelector('#panel:not([hidden]) #panel-title');
  const clicked = await page.getAttribute('#panel-body', 'data-parcel-id');
  const parcel = await (await context.request.get(`${server.url}/api/v1/parcels/${clicked}`)).json();
  const title = await page.textContent('#panel-title');
  assert.ok(title.includes(parcel.map_sheet) && title.includes(parcel.parcel_no), `${title} names ${parcel.map_sheet}/${parcel.parcel_no}`);
  assert.match(await page.textContent('#panel-body'), /Lịch sử tình trạng/);

  // Change its status through the API (leaders only read: an administrator writes); the
  // leader's map shows it within a few seconds.
  const newStatus = parcel.status === 'handed_over' ? 'paid' : 'handed_over';
  const adminContext = await browser.newContext();
  await login(adminContext, server.url, 'admin');
  const patch = await adminContext.request.fetch(`${server.url}/api/v1/parcels/${parcel.id}`, {
    method: 'PATCH',
    headers: { 'if-match': `"${parcel.version}"`, 'content-type': 'application/json' },
    data: { status: newStatus, reason: 'browser test' },
  });
  assert.equal(patch.status(), 200, await patch.text());
  await adminContext.close();
  await page.waitForFunction(([id, status]) => window.gpmbMap.queryRenderedFeatures({ layers: ['parcels'] })
    .some((f) => f.properties.id === id && f.properties.status === status), [parcel.id, newStatus], { timeout: 15_000 });
  await page.waitForFunction((status) => document.querySelector('#panel-body .status-chip')?.dataset.status === status, newStatus, { timeout: 10_000 });
  await waitIdle(page);
  await page.screenshot({ path: artifact('map.png') });
  assert.deepEqual(errors, []);
  await context.close();
});

test('filters: a status unticked in the legend and a stance leave only matching parcels', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  await login(context, server.url, 'leader');
  const page = await context.newPage();
  const errors = collectPageErrors(page);
  await page.goto(server.url + '/map');
  await waitIdle(page);
  await page.uncheck('#legend-items input[data-status="not_contacted"]');
  await waitIdle(page);
  const after = await rendered(page);
  assert.ok(after.length > 0 && after.every((f) => f.status !== 'not_contacted'));

  await page.selectOption('#stance', 'agrees');
  const ids = (await (await context.request.get(`${server.url}/api/v1/projects/HPDQ2/stance-parcels?stance=agrees`)).json()).parcel_ids;
  await page.waitForFunction((allowed) => {
    const fs = window.gpmbMap.queryRenderedFeatures({ layers: ['parcels'] });
    return fs.length > 0 && fs.every((f) => allowed.includes(f.properties.id));
  }, ids, { timeout: 10_000 });
  assert.deepEqual(errors, []);
  writeFileSync(artifact('map-filters.txt'), `stance agrees: ${ids.length} parcels\n`);
  await context.close();
});

/** Without diacritics, as someone types on a keyboard without Vietnamese input. */
const plain = (s) => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/đ/g, 'd').replace(/Đ/g, 'D');

test('orientation: commune names, a search without diacritics jumps to the parcel, the case file link, stance legend counts', async () => {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  await login(context, server.url, 'leader');
  const page = await context.newPage();
  const errors = collectPageErrors(page);
  await page.goto(server.url + '/map');
  await page.waitForSelector('#workspace:not([hidden])');
  await waitIdle(page);

  // The shared shell: navigation and the language switch.
  assert.equal(await page.locator('header#shell nav a[aria-current=page]').getAttribute('href'), '/map');
  // Commune names at the communes' centroids, and the project boundary drawn.
  await page.waitForSelector('.commune-label');
  const labels = await page.locator('.commune-label').allTextContents();
  assert.ok(labels.some((l) => l.includes('Bình Thuận')), `commune names: ${labels}`);
  assert.ok(await page.evaluate(() => window.gpmbMap.getLayer('boundary') !== undefined));
  assert.ok(await page.evaluate(() => window.gpmbMap.querySourceFeatures('boundary').length > 0), 'project boundary drawn');
  await page.screenshot({ path: artifact('map-desktop-vi.png') });

  // Search a household by its head's name typed without diacritics.
  const households = await (await context.request.get(`${server.url}/api/v1/households?project=HPDQ2&limit=50`)).json();
  const h = households.items.find((x) => x.parcels.length > 0 && plain(x.head_name) !== x.head_name);
  assert.ok(h, 'a household with diacritics in its name');
  await page.fill('#map-search', plain(h.head_name).toLowerCase());
  await page.press('#map-search', 'Enter');
  const pick = page.locator('#search-results button', { hasText: `(${h.code})` });
  await Promise.race([
    pick.waitFor({ timeout: 10_000 }).then(() => pick.click()),
    page.waitForSelector('#panel:not([hidden]) #panel-title', { timeout: 10_000 }),
  ]);
  await page.waitForFunction((ids) => {
    const id = Number(document.querySelector('#panel-body')?.dataset.parcelId);
    return !document.querySelector('#panel').hidden && ids.includes(id);
  }, h.parcels.map((p) => p.id), { timeout: 10_000 });
  await waitIdle(page);
  // Highlighted, and the map centred on it.
  const found = await page.evaluate(() => JSON.stringify(window.gpmbMap.getFilter('parcel-found')));
  assert.ok(h.parcels.every((p) => found.includes(String(p.id))), found);
  const parcel = await (await context.request.get(`${server.url}/api/v1/parcels/${h.parcels[0].id}`)).json();
  const centre = await page.evaluate(() => window.gpmbMap.getCenter().toArray());
  const ring = parcel.geometry.type === 'Polygon' ? parcel.geometry.coordinates[0] : parcel.geometry.coordinates[0][0];
  const xs = ring.map((c) => c[0]); const ys = ring.map((c) => c[1]);
  const pad = 0.01;
  assert.ok(centre[0] > Math.min(...xs) - pad && centre[0] < Math.max(...xs) + pad && centre[1] > Math.min(...ys) - pad && centre[1] < Math.max(...ys) + pad,
    `map centred near the parcel: ${centre}`);
  // The panel links to the household's case file and names land use and people.
  const link = page.locator('#panel-body a.case-file', { hasText: h.head_name });
  assert.equal(await link.getAttribute('href'), `/households/${h.id}`);
  const panelText = await page.textContent('#panel-body');
  assert.match(panelText, / — Đất /, 'land-use code with its name');
  assert.ok(!/\bmember_[a-f]\b|totruong_/.test(panelText), 'people by name, not login');
  await page.screenshot({ path: artifact('map-search-desktop-vi.png') });
  await page.click('#panel-close');

  // A stance filter: the legend counts follow it.
  const totalBefore = await page.textContent('#legend-total');
  await page.selectOption('#stance', 'disagrees');
  const st = await (await context.request.get(`${server.url}/api/v1/projects/HPDQ2/stance-parcels?stance=disagrees`)).json();
  await page.waitForFunction((n) => document.querySelector('#legend-total').textContent === n, st.parcel_ids.length.toLocaleString('vi-VN'), { timeout: 10_000 });
  assert.notEqual(await page.textContent('#legend-total'), totalBefore);
  for (const [status, n] of Object.entries(st.by_status)) {
    assert.equal(await page.textContent(`#legend-items li[data-status="${status}"] .count`), n.toLocaleString('vi-VN'), status);
  }
  await page.selectOption('#stance', '');
  await page.waitForFunction((n) => document.querySelector('#legend-total').textContent === n, totalBefore);

  // A commune filter fits the map to its parcels.
  const zoomBefore = await page.evaluate(() => window.gpmbMap.getZoom());
  // (Which communes the small test demo fills depends on its size: try each until one is
  // smaller than the whole project.)
  const communes = await page.$$eval('#commune option', (os) => os.map((o) => o.value).filter(Boolean));
  assert.ok(communes.length > 1, `communes in the filter: ${communes}`);
  let zoomedIn = false;
  for (const code of communes) {
    await page.selectOption('#commune', code);
    await waitIdle(page);
    if (await page.evaluate(() => window.gpmbMap.getZoom()) > zoomBefore) { zoomedIn = true; break; }
  }
  assert.ok(zoomedIn, 'a commune filter zoomed in on its parcels');

  // English.
  await page.click('#lang');
  await page.waitForSelector('#workspace:not([hidden])');
  await waitIdle(page);
  assert.equal(await page.getAttribute('#map-search', 'placeholder'), 'Sheet/parcel (12/345), household head or ID number');
  await page.screenshot({ path: artifact('map-desktop-en.png') });
  assert.deepEqual(errors, []);
  await context.close();
});

test('on a phone: the map, its search and the panel fit 360 px', async () => {
  for (const lang of ['vi', 'en']) {
    const context = await browser.newContext({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
    await login(context, server.url, 'leader');
    const page = await context.newPage();
    const errors = collectPageErrors(page);
    await page.goto(`${server.url}/map?lang=${lang}`);
    await page.waitForSelector('#workspace:not([hidden])');
    await waitIdle(page);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `no sideways scroll at 360 px (${overflow})`);
    await page.fill('#map-search', '1/1');
    await page.press('#map-search', 'Enter');
    await page.waitForSelector('#search-results:not([hidden]), #panel:not([hidden])');
    await page.screenshot({ path: artifact(`map-phone-${lang}.png`) });
    assert.deepEqual(errors, []);
    await context.close();
  }
});

test('legend: the land types of the parcels on the map, named from the land-type table, in vi and en', async () => {
  for (const lang of ['vi', 'en']) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    await login(context, server.url, 'leader');
    const page = await context.newPage();
    const errors = collectPageErrors(page);
    await page.goto(`${server.url}/map?lang=${lang}`);
    await page.waitForSelector('#workspace:not([hidden])');
    await waitIdle(page);
    const table = await (await context.request.get(`${server.url}/api/v1/land-types?lang=${lang}`)).json();
    const byCode = new Map(table.items.map((i) => [i.code, i]));
    // The codes the tiles carry, as they are: every one is in the legend, and only those.
    const codes = await page.evaluate(() => [...new Set(window.gpmbMap.querySourceFeatures('parcels', { sourceLayer: 'parcels' })
      .map((f) => f.properties.land_use))].sort());
    assert.ok(codes.length >= 3, `land uses in the tiles: ${codes}`);
    await page.waitForFunction((n) => document.querySelectorAll('#legend-land-items li').length === n, codes.length, { timeout: 10_000 });
    await page.click('#legend-land summary');
    const items = await page.$$eval('#legend-land-items li', (lis) => lis.map((li) => ({ code: li.dataset.code, text: li.textContent })));
    assert.deepEqual(items.map((i) => i.code).sort(), codes);
    for (const { code, text } of items) {
      const lt = byCode.get(code);
      assert.ok(lt, `${code} is in the table`);
      assert.ok(text.startsWith(`${code} — ${lt.name}`), text);
      if (!lt.current) assert.ok(text.includes(lt.replaced_by), `${text} names the current code`);
    }
    const luc = items.find((i) => i.code === 'LUC');
    assert.ok(luc, 'the demo has rice land');
    assert.equal(luc.text, lang === 'vi' ? 'LUC — Đất chuyên trồng lúa' : 'LUC — Specialised rice land');
    await page.screenshot({ path: artifact(`map-land-types-${lang}.png`) });
    assert.deepEqual(errors, []);
    await context.close();
  }
});

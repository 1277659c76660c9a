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

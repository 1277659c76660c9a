// Drawing on the map: an administrator splits a parcel with a cut drawn by two clicks and
// merges the parts back by picking them; a leader draws a lasso and takes its households to
// bulk stage recording. Screenshots: target/browser/map-split-*.png, map-lasso-*.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, collectPageErrors, artifact, login } from './lib.mjs';

let server;
let browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await server?.stop(); });

async function waitIdle(page) {
  await page.waitForFunction(() => window.gpmbMap && window.gpmbMap.loaded() && window.gpmbMap.areTilesLoaded(), null, { timeout: 30_000 });
}

/** Centres the map on a parcel at zoom ≥ 18 and returns the screen point of lon/lat pairs. */
async function focus(page, geometry, points) {
  return page.evaluate(async ([g, pts]) => {
    const map = window.gpmbMap;
    const ring = g.type === 'Polygon' ? g.coordinates[0] : g.coordinates[0][0];
    const cx = ring.slice(0, -1).reduce((s, c) => s + c[0], 0) / (ring.length - 1);
    const cy = ring.slice(0, -1).reduce((s, c) => s + c[1], 0) / (ring.length - 1);
    map.jumpTo({ center: [cx, cy], zoom: 18 });
    await new Promise((ok) => map.once('idle', ok));
    const rect = map.getCanvas().getBoundingClientRect();
    return [[cx, cy], ...pts].map(([x, y]) => { const p = map.project([x, y]); return { x: rect.left + p.x, y: rect.top + p.y }; });
  }, [geometry, points]);
}

const ringOf = (g) => (g.type === 'Polygon' ? g.coordinates[0] : g.coordinates[0][0]);
const renderedIds = (page) => page.evaluate(() => window.gpmbMap.queryRenderedFeatures({ layers: ['parcels'] }).map((f) => f.properties.id));

test('an administrator splits a parcel along a drawn cut, then merges the parts back', async () => {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  await login(context, server.url, 'admin');
  const page = await context.newPage();
  const errors = collectPageErrors(page);
  // A parcel someone holds, away from the panel's side of the screen once centred.
  const list = await (await context.request.get(`${server.url}/api/v1/households?project=HPDQ2&limit=20`)).json();
  const holder = list.items.find((h) => h.parcels.length > 0);
  const parcel = await (await context.request.get(`${server.url}/api/v1/parcels/${holder.parcels[0].id}`)).json();
  const ring = ringOf(parcel.geometry);
  const xs = ring.map((c) => c[0]); const ys = ring.map((c) => c[1]);
  const mid = (Math.min(...xs) + Math.max(...xs)) / 2;
  const cutA = [mid, Math.min(...ys) - 0.0002];
  const cutB = [mid, Math.max(...ys) + 0.0002];

  await page.goto(`${server.url}/map`);
  await page.waitForSelector('#workspace:not([hidden])');
  await waitIdle(page);
  const [centre, a, b] = await focus(page, parcel.geometry, [cutA, cutB]);
  await waitIdle(page);
  await page.mouse.click(centre.x, centre.y);
  await page.waitForFunction((id) => document.querySelector('#panel-body')?.dataset.parcelId === String(id), parcel.id);

  // Split: two clicks draw the cut; the preview shows two parts with free numbers.
  await page.click('#split-start');
  await page.mouse.click(a.x, a.y);
  await page.waitForFunction(() => /điểm thứ hai/.test(document.querySelector('#split-tool .tool-message')?.textContent || ''));
  await page.mouse.click(b.x, b.y);
  await page.waitForSelector('#split-save');
  const numbers = await page.locator('#split-tool input[name^=no]').evaluateAll((xs) => xs.map((x) => x.value));
  assert.equal(numbers.length, 2);
  assert.ok(numbers.every((n) => n && n !== parcel.parcel_no), `free numbers: ${numbers}`);
  assert.match(await page.textContent('#split-tool'), /tách thành 2 thửa/);
  await page.screenshot({ path: artifact('map-split-preview-desktop-vi.png') });
  await page.click('#split-save');
  await page.waitForSelector('#cadastral-done');
  assert.match(await page.textContent('#cadastral-done'), /Đã tách thửa/);

  // The parent is retired and gone from the map; the parts are drawn in its place.
  const after = await (await context.request.get(`${server.url}/api/v1/parcels/${parcel.id}/lineage`)).json();
  const parts = after.children.map((c) => c.id);
  assert.equal(parts.length, 2);
  await page.waitForFunction(([gone, fresh]) => {
    const ids = window.gpmbMap.queryRenderedFeatures({ layers: ['parcels'] }).map((f) => f.properties.id);
    return !ids.includes(gone) && fresh.every((id) => ids.includes(id));
  }, [parcel.id, parts], { timeout: 15_000 });
  assert.match(await page.textContent('#panel-lineage'), new RegExp(`Tách từ.*${parcel.parcel_no}`));
  await waitIdle(page);
  await page.screenshot({ path: artifact('map-split-done-desktop-vi.png') });

  // Merge the two parts back: the panel shows the first; a click on the map adds the second.
  const shown = Number(await page.getAttribute('#panel-body', 'data-parcel-id'));
  const other = parts.find((id) => id !== shown);
  const otherParcel = await (await context.request.get(`${server.url}/api/v1/parcels/${other}`)).json();
  await page.click('#merge-start');
  const [otherCentre] = await focus(page, otherParcel.geometry, []);
  await page.mouse.click(otherCentre.x, otherCentre.y);
  await page.waitForFunction((no) => document.querySelector('#merge-tool .tool-message')?.textContent.includes(no), otherParcel.parcel_no);
  await page.click('#merge-preview');
  await page.waitForSelector('#merge-save:not([disabled])');
  await page.click('#merge-save');
  // The split's message may still be on screen: wait for the merge's own.
  await page.waitForFunction(() => /Đã hợp thành thửa/.test(document.querySelector('#cadastral-done')?.textContent || ''));
  const merged = Number(await page.getAttribute('#panel-body', 'data-parcel-id'));
  const lineage = await (await context.request.get(`${server.url}/api/v1/parcels/${merged}/lineage`)).json();
  assert.deepEqual(lineage.parents.map((p) => p.id).sort(), [...parts].sort());
  await page.waitForFunction((id) => window.gpmbMap.queryRenderedFeatures({ layers: ['parcels'] }).some((f) => f.properties.id === id), merged, { timeout: 15_000 });
  assert.ok(!(await renderedIds(page)).some((id) => parts.includes(id)), 'the parts left the map');

  // A retired parcel opened from the lineage says so and offers no changes.
  await page.locator('#panel-lineage button', { hasText: otherParcel.parcel_no }).click();
  await page.waitForSelector('#panel-body .retired-note');
  assert.equal(await page.locator('#split-start').count(), 0);
  assert.deepEqual(errors, []);
  await context.close();
});

for (const [name, viewport, lang] of [['desktop-vi', { width: 1366, height: 768 }, 'vi'], ['phone-en', { width: 360, height: 740 }, 'en']]) {
  test(`a leader draws a lasso and records a stage for its households (${name})`, async () => {
    const context = await browser.newContext({ viewport, isMobile: viewport.width < 500, hasTouch: viewport.width < 500 });
    await login(context, server.url, 'leader');
    const page = await context.newPage();
    const errors = collectPageErrors(page);
    const list = await (await context.request.get(`${server.url}/api/v1/households?project=HPDQ2&limit=20`)).json();
    const holder = list.items.find((h) => h.parcels.length > 0);
    const parcel = await (await context.request.get(`${server.url}/api/v1/parcels/${holder.parcels[0].id}`)).json();
    await page.goto(`${server.url}/map?lang=${lang}`);
    await page.waitForSelector('#workspace:not([hidden])');
    await waitIdle(page);
    // The tool's box takes room in the toolbar: aim after it is open.
    await page.click('#lasso-start');
    const [c] = await focus(page, parcel.geometry, []);
    // A small square around the parcel's middle.
    for (const [dx, dy] of [[-12, -12], [12, -12], [12, 12], [-12, 12]]) await page.mouse.click(c.x + dx, c.y + dy);
    await page.waitForSelector('#lasso-use:not([disabled])');
    await page.screenshot({ path: artifact(`map-lasso-${name}.png`) });
    await page.click('#lasso-use');
    await page.waitForURL(/\/stages\?project=HPDQ2&lasso=1/);
    await page.waitForSelector('#lasso-chip:not([hidden])');
    const area = await page.evaluate(() => JSON.parse(sessionStorage.getItem('gpmb.lasso')).area);
    await page.selectOption('#b-stage', 'briefing');
    await page.click('#preview');
    await page.waitForSelector('#summary');
    const api = await context.request.post(`${server.url}/api/v1/projects/HPDQ2/stages/bulk`, {
      data: { stage: 'briefing', occurred_on: new Date(Date.now() + 7 * 3600e3).toISOString().slice(0, 10), filter: { area }, dry_run: true },
      headers: { origin: server.url },
    });
    assert.equal(api.status(), 200, await api.text());
    const expected = (await api.json()).selected;
    assert.ok(expected >= 1, 'the lasso holds the household');
    assert.match(await page.textContent('#summary'), new RegExp(`\\b${expected}\\b`));
    await page.screenshot({ path: artifact(`stages-lasso-${name}.png`), fullPage: true });
    assert.deepEqual(errors, []);
    await context.close();
  });
}

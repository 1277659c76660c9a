// The public page works without JavaScript and without login, and shows nothing personal: no
// name, id number or phone of any demo household appears in its HTML or in the tiles.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, artifact, login } from './lib.mjs';

let server;
let browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await server?.stop(); });

/** Every household's personal fields (read through the API as an administrator) and the
 * centre of the project. */
async function householdSecrets() {
  const context = await browser.newContext();
  await login(context, server.url, 'admin');
  const project = await (await context.request.get(`${server.url}/api/v1/projects/HPDQ2`)).json();
  const ring = project.boundary.coordinates[0];
  const centre = [0, 1].map((i) => ring.reduce((s, c) => s + c[i], 0) / ring.length);
  const secrets = [];
  let cursor = null;
  do {
    const res = await context.request.get(`${server.url}/api/v1/households?limit=500${cursor ? `&cursor=${cursor}` : ''}`);
    assert.equal(res.status(), 200);
    const page = await res.json();
    for (const h of page.items) {
      for (const v of [h.head_name, h.id_number, h.phone, h.address]) if (v && v.length >= 6) secrets.push(v);
    }
    cursor = page.next_cursor;
  } while (cursor);
  await context.close();
  return { secrets, centre };
}

/** The slippy-map tile holding a point at zoom z. */
function tileOf([lon, lat], z) {
  const n = 2 ** z;
  const x = Math.floor(((lon + 180) / 360) * n);
  const r = (lat * Math.PI) / 180;
  const y = Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n);
  return [z, x, y];
}

test('public page, without JavaScript or login, shows the project and no personal data', async () => {
  const { secrets, centre } = await householdSecrets();
  assert.ok(secrets.length > 100, `household fields read: ${secrets.length}`);
  const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  const res = await page.goto(server.url + '/public/projects/HPDQ2');
  assert.equal(res.status(), 200);
  const html = await page.content();
  assert.match(html, /Hòa Phát Dung Quất/);
  assert.match(html, /Các mốc thời gian/);
  // The status map is drawn inline: one path per status present.
  assert.ok((await page.$$('#map svg path')).length >= 3);
  assert.ok((await page.$$('#chart svg')).length === 1);
  const leaked = secrets.filter((s) => html.includes(s));
  assert.deepEqual(leaked, [], 'personal data in the public page');
  await page.screenshot({ path: artifact('public.png'), fullPage: true });

  // The tiles a map of the project would load carry no personal data either.
  const tileTexts = [];
  for (const z of [8, 10, 12, 13]) {
    const [, x, y] = tileOf(centre, z);
    const r = await context.request.get(`${server.url}/tiles/HPDQ2/${z}/${x}/${y}.mvt`);
    if (r.status() === 200) tileTexts.push((await r.body()).toString('utf8'));
  }
  assert.ok(tileTexts.length >= 2, `tiles with parcels: ${tileTexts.length}`);
  assert.ok(tileTexts.some((text) => text.includes('handed_over')), 'tiles carry statuses');
  for (const text of tileTexts) assert.deepEqual(secrets.filter((s) => text.includes(s)), []);

  const en = await page.goto(server.url + '/public/projects/HPDQ2?lang=en');
  assert.equal(en.status(), 200);
  assert.match(await page.content(), /Who is responsible for what/);
  const missing = await page.goto(server.url + '/public/projects/NO-SUCH');
  assert.equal(missing.status(), 404);
  assert.match(await page.content(), /Không tìm thấy dự án/);
  await context.close();
});

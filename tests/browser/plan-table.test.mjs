// The plan table (issue 17.4): the /data page's link opens the printable table of every
// household's plan, on a desktop in Vietnamese and on a 360 px phone in English; the wide table
// scrolls inside its box, never the page; a commune's link narrows it to that commune.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, login, artifact, collectPageErrors } from './lib.mjs';

let server;
let browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await server?.stop(); });

/** The page itself does not scroll sideways; only the table's box may. */
async function pageFits(page, what) {
  const { scroll, width } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth, width: document.documentElement.clientWidth,
  }));
  assert.ok(scroll <= width + 1, `${what}: the page is ${scroll} px wide in a ${width} px window`);
}

const CASES = [
  { name: 'desktop', viewport: { width: 1366, height: 768 }, lang: 'vi', title: 'Bảng tổng hợp phương án bồi thường, hỗ trợ, tái định cư', link: 'Bảng tổng hợp phương án (xem và in)' },
  { name: 'phone', viewport: { width: 360, height: 740 }, lang: 'en', title: 'Compensation, support and resettlement plan table', link: 'Plan table (view and print)' },
];

for (const c of CASES) {
  test(`the plan table opens from /data on a ${c.name} in ${c.lang}`, async () => {
    const context = await browser.newContext({ viewport: c.viewport, acceptDownloads: true });
    await login(context, server.url, 'leader');
    const page = await context.newPage();
    const errors = collectPageErrors(page);
    await page.goto(`${server.url}/data?lang=${c.lang}`);
    await page.waitForSelector('#plan-table:not([hidden]) #plan-table-html[href]');
    assert.equal((await page.textContent('#plan-table-html')).trim(), c.link);
    await pageFits(page, 'data page');
    const href = await page.getAttribute('#plan-table-html', 'href');
    assert.equal(href, `/api/v1/projects/HPDQ2/plans/table?format=html&lang=${c.lang}`);
    await page.selectOption('#plan-status', 'approved');
    assert.match(await page.getAttribute('#plan-table-xlsx', 'href'), /format=xlsx&lang=\w\w&status=approved$/);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#plan-table-xlsx')]);
    assert.equal(download.suggestedFilename(), 'phuong-an-HPDQ2.xlsx');

    const [table] = await Promise.all([context.waitForEvent('page'), page.click('#plan-table-html')]);
    await table.waitForLoadState();
    assert.equal((await table.textContent('h1')).trim(), c.title);
    const json = await (await context.request.get(`${server.url}/api/v1/projects/HPDQ2/plans/table?status=approved`)).json();
    assert.ok(json.rows.length > 0);
    const rows = table.locator('#plan-table tbody tr');
    assert.equal(await rows.count(), json.rows.length + 1, 'a row per household and the totals');
    await pageFits(table, 'plan table');
    // The table is wider than a phone: its box scrolls.
    if (c.name === 'phone') {
      const box = await table.evaluate(() => {
        const s = document.querySelector('.scroll');
        return { scroll: s.scrollWidth, client: s.clientWidth };
      });
      assert.ok(box.scroll > box.client, `the table scrolls inside its box: ${JSON.stringify(box)}`);
    }
    await table.screenshot({ path: artifact(`plan-table-${c.name}-${c.lang}.png`), fullPage: true });

    // A commune's link: that commune's rows only.
    const commune = json.communes[0];
    await table.click(`.toolbar nav a[href$="commune_id=${commune.id}"]`);
    await table.waitForSelector(`.toolbar nav a[aria-current][href$="commune_id=${commune.id}"]`);
    const inCommune = json.rows.filter((r) => r.commune_id === commune.id).length;
    assert.equal(await table.locator('#plan-table tbody tr').count(), inCommune + 1);
    assert.ok((await table.textContent('.subtitle')).includes(commune.name));
    await pageFits(table, 'commune table');
    assert.deepEqual(errors, []);
    await context.close();
  });
}

// Every page of the reports helper on a 360×740 phone and a 1366×768 desktop, in vi and en:
// no sideways page scroll (tables and charts scroll inside their own box), the language switch
// and logout reachable (the shared shell), /data signed out offers the login, the dashboard
// flags a target handover date that has passed, chart text is readable, and the printed
// report keeps the national motto on one line and the agency name on at most two.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, login, collectPageErrors, artifact } from './lib.mjs';

let server;
let browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await server?.stop(); });

const VIEWPORTS = { phone: { width: 360, height: 740 }, desktop: { width: 1366, height: 768 } };

async function noSidewaysScroll(page, what) {
  const [scroll, client] = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
  assert.ok(scroll <= client, `${what}: page scrolls sideways (${scroll} > ${client})`);
}

/** The element is on screen inside the viewport's width (not pushed off the right edge). */
async function inView(page, selector) {
  const box = await page.locator(selector).first().boundingBox();
  const width = page.viewportSize().width;
  assert.ok(box && box.x >= 0 && box.x + box.width <= width + 0.5, `${selector} within the ${width} px width: ${JSON.stringify(box)}`);
}

for (const [vp, viewport] of Object.entries(VIEWPORTS)) {
  for (const lang of ['vi', 'en']) {
    test(`leader pages fit a ${vp} in ${lang}: landing, dashboard, data`, async () => {
      const context = await browser.newContext({ viewport });
      await login(context, server.url, 'leader');
      const page = await context.newPage();
      const errors = collectPageErrors(page);

      await page.goto(`${server.url}/?lang=${lang}`);
      await page.waitForSelector('#project-list h3');
      await noSidewaysScroll(page, 'landing');
      await inView(page, '#lang');
      await inView(page, '#logout');
      await page.screenshot({ path: artifact(`landing-${vp}-${lang}.png`), fullPage: true });

      await page.goto(`${server.url}/dashboard`);
      await page.waitForSelector('#status-table tbody tr');
      await page.waitForFunction(() => [...document.querySelectorAll('figure img')].every((i) => i.complete && i.naturalWidth > 0));
      await noSidewaysScroll(page, 'dashboard');
      await inView(page, '#lang');
      await inView(page, '#logout');
      // Chart text: the SVG's smallest font size, as shown (scaled to the image's width).
      const shown = await page.evaluate(async () => {
        const out = [];
        for (const img of document.querySelectorAll('figure img')) {
          const svg = await (await fetch(img.src)).text();
          const sizes = [...svg.matchAll(/font-size="([\d.]+)/g)].map((m) => Number(m[1]));
          const width = Number(/<svg[^>]*\swidth="([\d.]+)/.exec(svg)[1]);
          out.push({ id: img.id, px: (Math.min(...sizes) * img.getBoundingClientRect().width) / width });
        }
        return out;
      });
      for (const c of shown) assert.ok(c.px >= 12, `chart ${c.id} text shows at ${c.px.toFixed(1)} px`);
      // A target handover date that has passed with parcels left is flagged.
      const d = await page.evaluate(async () => (await fetch('/api/v1/projects/HPDQ2/dashboard')).json());
      const vnToday = new Date(Date.now() + 7 * 3600e3).toISOString().slice(0, 10);
      const handed = d.parcels.by_status.handed_over ?? 0;
      if (d.project.target_handover_date && d.project.target_handover_date < vnToday && handed < d.parcels.total) {
        assert.equal(await page.locator('#target-tile.overdue').count(), 1, 'the passed target is flagged');
        assert.match(await page.textContent('#target-tile'), lang === 'vi' ? /Đã quá \d/ : /Passed [\d,]+ days ago/);
      } else {
        assert.equal(await page.locator('#target-tile.overdue').count(), 0);
      }
      await page.screenshot({ path: artifact(`dashboard-${vp}-${lang}.png`), fullPage: true });

      await page.goto(`${server.url}/data`);
      await page.waitForSelector('#export-rows a');
      await noSidewaysScroll(page, 'data');
      await inView(page, '#lang');
      await inView(page, '#logout');
      assert.equal(await page.textContent('h1'), lang === 'vi' ? 'Quản lý dữ liệu' : 'Data management');
      await page.screenshot({ path: artifact(`data-${vp}-${lang}.png`), fullPage: true });
      assert.deepEqual(errors, []);
      await context.close();
    });

    test(`public page fits a ${vp} in ${lang}`, async () => {
      const context = await browser.newContext({ viewport });
      const page = await context.newPage();
      await page.goto(`${server.url}/public/projects/HPDQ2?lang=${lang}`);
      await page.waitForSelector('#responsible table');
      await noSidewaysScroll(page, 'public page');
      for (const sel of ['h1', '#project dd', '#lang']) await inView(page, sel);
      // Every dd (name, investor, agency, contact) stays inside the page.
      const outside = await page.$$eval('#project dd', (dds) => dds
        .filter((dd) => dd.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
        .map((dd) => dd.textContent));
      assert.deepEqual(outside, []);
      // Tables live in boxes that scroll by themselves.
      assert.equal(await page.locator('main table').count(), await page.locator('.table-box > table').count());
      await page.screenshot({ path: artifact(`public-${vp}-${lang}.png`), fullPage: true });
      await context.close();
    });
  }
}

test('/data signed out offers the login, and signing in there opens the page', async () => {
  const context = await browser.newContext({ viewport: VIEWPORTS.phone });
  const page = await context.newPage();
  const errors = collectPageErrors(page);
  await page.goto(`${server.url}/data`);
  await page.waitForSelector('#login input[name=username]');
  await noSidewaysScroll(page, 'data login');
  await inView(page, '#lang');
  await page.screenshot({ path: artifact('data-signed-out-phone-vi.png'), fullPage: true });
  await page.fill('#login input[name=username]', 'leader');
  await page.fill('#login input[name=password]', 'demo');
  await page.click('#login button[type=submit]');
  await page.waitForSelector('#export-rows a');
  await inView(page, '#logout');
  assert.deepEqual(errors, []);
  await context.close();
});

test('the printed report: motto on one line, agency on at most two, parent agency, symbol, Vietnamese font', async () => {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  await login(context, server.url, 'leader');
  const page = await context.newPage();
  const errors = collectPageErrors(page);
  await page.goto(`${server.url}/api/v1/projects/HPDQ2/reports/2021-Q1.html`);
  await page.waitForSelector('.motto');
  await page.evaluate(() => document.fonts.ready);
  const lines = (sel) => page.$eval(sel, (el) => {
    const r = document.createRange();
    r.selectNodeContents(el);
    // One rectangle per line box of the text.
    const tops = new Set([...r.getClientRects()].map((x) => Math.round(x.top)));
    return tops.size;
  });
  await page.screenshot({ path: artifact('report-heading-desktop-vi.png'), clip: { x: 0, y: 0, width: 1366, height: 420 } });
  // On screen the A4 sheet; in print the 165 mm between the margins (624 CSS px).
  for (const [media, width] of [['screen', 1366], ['print', 624]]) {
    await page.setViewportSize({ width, height: 900 });
    await page.emulateMedia({ media });
    assert.equal(await page.textContent('.motto'), 'Độc lập - Tự do - Hạnh phúc');
    assert.equal(await lines('.motto'), 1, `motto on one line (${media})`);
    assert.equal(await lines('.nation'), 1, `nation on one line (${media})`);
    assert.ok(await lines('.agency') <= 2, `agency on at most two lines (${media}): ${await lines('.agency')}`);
  }
  // The parent agency line above the agency, and the document symbol.
  assert.match(await page.textContent('.parent'), /^UBND HUYỆN BÌNH SƠN$/);
  assert.match(await page.textContent('.heading'), /Số: ……\/BC-BCĐ/);
  // The font: DejaVu Serif, which covers Vietnamese, is what the page renders with.
  const font = await page.evaluate(async () => {
    await document.fonts.ready;
    return [...document.fonts].filter((f) => f.status === 'loaded').map((f) => f.family);
  });
  const family = await page.$eval('html', (el) => getComputedStyle(el).fontFamily);
  assert.match(family, /gpmb serif.*DejaVu Serif/);
  assert.ok(font.length === 0 || font.some((f) => /gpmb serif/.test(f)), JSON.stringify(font));
  const pdf = await page.pdf({ format: 'A4', preferCSSPageSize: true });
  assert.match(pdf.toString('latin1'), /DejaVuSerif/, 'the PDF embeds DejaVu Serif');
  await page.emulateMedia({ media: 'screen' });
  await page.screenshot({ path: artifact('report-heading-desktop-vi.png'), clip: { x: 0, y: 0, width: 1366, height: 420 } });
  assert.deepEqual(errors, []);
  await context.close();
});

// The field app speaks the user's language and writes dates the Vietnamese way: on a phone
// (360×740) and a desktop (1366×768), in vi and en, the household page shows every vocabulary
// value (grievance status and kind, stance, land use, parcel status) in words, never its wire
// value; the visit form puts the stance first, has a heading for new commitments, and its date
// and time fields read dd/mm/yyyy and 24-hour HH:mm whatever the browser's locale (en-US here).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, login, collectPageErrors, artifact } from './lib.mjs';

let server;
let browser;
before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});
after(async () => { await browser?.close(); await server?.stop(); });

const VIEWPORTS = { phone: { width: 360, height: 740 }, desktop: { width: 1366, height: 768 } };
// Wire values of the vocabularies the field app shows (src/domain.rs).
const WIRE = ['not_contacted', 'contacted', 'negotiating', 'agreed', 'paid', 'handed_over', 'objecting', 'in_complaint',
  'agrees', 'considering', 'disagrees', 'refuses_contact', 'home_visit', 'group_meeting', 'dialogue',
  'received', 'accepted', 'resolved', 'rejected', 'withdrawn', 'complaint', 'denunciation', 'petition', 'feedback',
  'compensation_price', 'resettlement', 'livelihood', 'land_origin', 'procedure', 'plan_posted', 'plan_approved',
  'recovery_decision', 'briefing', 'inventory', 'enforcement'];
// English words of those vocabularies that must not appear on a Vietnamese screen.
const ENGLISH = ['accepted', 'received', 'resolved', 'rejected', 'withdrawn', 'complaint', 'petition', 'agrees', 'disagrees', 'considering', 'paid', 'visit'];

/** Text on screen that is a raw wire value (exact, case-sensitive whole words). */
const rawWords = (text, words) => words.filter((w) => new RegExp(`(^|[^\\p{L}_])${w}([^\\p{L}_]|$)`, 'u').test(text));

for (const [vpName, viewport] of Object.entries(VIEWPORTS)) {
  for (const lang of ['vi', 'en']) {
    test(`field app in ${lang} on ${vpName}: words for vocabulary, stance first, dd/mm/yyyy`, async () => {
      const context = await browser.newContext({ viewport, locale: 'en-US', timezoneId: 'Asia/Ho_Chi_Minh', serviceWorkers: 'block' });
      await login(context, server.url, 'member_a');
      const page = await context.newPage();
      const errors = collectPageErrors(page);
      await page.goto(`${server.url}/field?lang=${lang}`);
      await page.waitForSelector('#work-list li.item');
      // A household of member_a's with grievances (the demo has some in each commune).
      const id = await page.evaluate(async () => {
        const work = await (await fetch('/api/v1/my-work?limit=500')).json();
        for (const item of work.items.slice(0, 200)) {
          const hh = await (await fetch(`/api/v1/field/households/${item.id}`)).json();
          if (hh.grievances?.length && hh.grievances.some((g) => ['received', 'accepted'].includes(g.status))) return item.id;
        }
        return null;
      });
      assert.ok(id, 'member_a has a household with an open grievance');
      await page.goto(`${server.url}/field?lang=${lang}#/h/${id}`);
      await page.waitForSelector('#log-visit');
      const text = await page.textContent('main');
      await page.screenshot({ path: artifact(`field-household-${vpName}-${lang}.png`), fullPage: true });
      const around = (w) => text.slice(Math.max(0, text.indexOf(w) - 80), text.indexOf(w) + 40);
      assert.deepEqual(rawWords(text, WIRE), [], `no wire value of a vocabulary on screen: ${rawWords(text, WIRE).map(around)}`);
      if (lang === 'vi') assert.deepEqual(rawWords(text.toLowerCase(), ENGLISH), [], 'no English vocabulary on a Vietnamese screen');
      const statuses = await page.locator('[class*="badge grievance-"]').allTextContents();
      assert.ok(statuses.length > 0, 'grievance statuses shown as badges');
      for (const s of statuses) assert.ok(!WIRE.includes(s.trim()), `status in words: ${s}`);
      assert.ok(statuses.some((s) => (lang === 'vi' ? /Đã tiếp nhận|Đã thụ lý/ : /Received|Accepted/).test(s)), statuses.join(', '));
      // Land-use codes carry their names.
      assert.match(text, lang === 'vi' ? /(ONT|ODT|LUC|LUK|HNK|CLN|NTS|RSX) — Đất/ : /(ONT|ODT|LUC|LUK|HNK|CLN|NTS|RSX) — \w/);
      await page.screenshot({ path: artifact(`field-household-${vpName}-${lang}.png`), fullPage: true });

      await page.click('#log-visit');
      await page.waitForSelector('#visit-form');
      // The first thing to fill in is the stance.
      const first = await page.evaluate(() => {
        const el = document.querySelector('#visit-form input:not([type=hidden]), #visit-form select, #visit-form textarea');
        return { name: el.name, type: el.type };
      });
      assert.deepEqual(first, { name: 'stance', type: 'radio' });
      // New commitments under their own heading.
      const heading = await page.textContent('#new-commitments h2');
      assert.match(heading, lang === 'vi' ? /Cam kết mới/ : /New commitments/);
      // Date and time typed dd/mm/yyyy and 24-hour; no native date input (mm/dd/yyyy in en-US).
      assert.equal(await page.locator('#visit-form input[type=date], #visit-form input[type=datetime-local], #visit-form input[type=time]').count(), 0);
      assert.match(await page.inputValue('#visited-on'), /^\d{2}\/\d{2}\/\d{4}$/);
      assert.match(await page.inputValue('#visited-time'), /^([01]\d|2[0-3]):[0-5]\d$/);
      const vnNow = new Date(Date.now() + 7 * 3600e3).toISOString();
      assert.equal(await page.inputValue('#visited-on'), vnNow.slice(0, 10).split('-').reverse().join('/'));
      assert.equal(await page.getAttribute('#next-visit', 'placeholder'), 'dd/mm/yyyy');
      // No horizontal scroll.
      const scroll = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
      assert.ok(scroll[0] <= scroll[1], `no sideways scroll: ${scroll}`);

      // A wrong date is refused beside its field, in the user's language, and nothing is queued.
      await page.check('input[name=stance][value=considering]');
      await page.fill('#visited-on', '31/02/2026');
      await page.click('#save-visit');
      assert.equal(await page.getAttribute('#visited-on', 'aria-invalid'), 'true');
      assert.match(await page.textContent('#visit-error'), lang === 'vi' ? /Ngày không hợp lệ/ : /Invalid date|not a valid date|date/i);
      // A correct one (dd/mm/yyyy, 24-hour evening) is sent as Vietnam time.
      const yesterday = new Date(Date.now() + 7 * 3600e3 - 86400e3).toISOString().slice(0, 10);
      await page.fill('#visited-on', yesterday.split('-').reverse().join('/'));
      await page.fill('#visited-time', '23:30');
      await page.fill('#concerns', `Kiểm tra ngày ${lang} ${vpName}`);
      await page.click('#add-commitment');
      await page.fill('#ct-1', 'Gửi bản sao phương án');
      await page.fill('#cd-1', '15/01/2030');
      await page.screenshot({ path: artifact(`field-visit-form-${vpName}-${lang}.png`), fullPage: true });
      await page.click('#save-visit');
      await page.waitForSelector('#log-visit');
      await page.waitForFunction(() => document.getElementById('sync').hidden, null, { timeout: 30_000 });
      const visits = await page.evaluate(async (hid) => (await (await fetch(`/api/v1/field/households/${hid}`)).json()).visits, id);
      const mine = visits.find((v) => v.concerns === `Kiểm tra ngày ${lang} ${vpName}`);
      assert.ok(mine, 'visit stored');
      assert.equal(new Date(mine.visited_at).toISOString(), new Date(`${yesterday}T23:30:00+07:00`).toISOString());
      assert.deepEqual(errors, []);
      await context.close();
    });
  }
}

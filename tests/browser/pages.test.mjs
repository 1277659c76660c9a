// Every page, as the roles that use it: in Vietnamese no catalogue key and no English word of
// the vocabulary is on screen; at 360 px no page scrolls sideways; a screenshot of each page in
// each language and viewport is kept under target/browser/pages/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, launchBrowser, login, artifact, collectPageErrors, repoRoot } from './lib.mjs';

let server;
let browser;
let householdId;
before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  const ctx = await browser.newContext();
  await login(ctx, server.url, 'admin');
  const res = await ctx.request.get(`${server.url}/api/v1/households?limit=1`);
  householdId = (await res.json()).items[0].id;
  await ctx.close();
});
after(async () => { await browser?.close(); await server?.stop(); });

/** (path, role) pairs: every page, as the role that works there. */
const pages = () => [
  ['/', 'leader'],
  ['/map', 'leader'],
  ['/dashboard', 'leader'],
  ['/alerts', 'leader'],
  ['/households', 'leader'],
  [`/households/${householdId}`, 'leader'],
  ['/stages', 'leader'],
  ['/grievances', 'member_a'],
  ['/field', 'member_a'],
  ['/data', 'leader'],
  ['/admin/projects', 'admin'],
  ['/admin/prices', 'admin'],
  ['/admin/people', 'admin'],
  ['/admin/audit', 'admin'],
  ['/admin/privacy', 'admin'],
  ['/public/projects/HPDQ2', null],
];

/**
 * English words a Vietnamese screen must not show: every value of the vocabularies on the wire
 * (from the OpenAPI document, e.g. `home_visit`, `accepted`) and the English catalogue's text
 * for them (e.g. "Handed over").
 */
async function englishVocabulary() {
  const ctx = await browser.newContext();
  const doc = await (await ctx.request.get(`${server.url}/api/v1/openapi.json`)).json();
  await ctx.close();
  const words = new Set();
  const walk = (node) => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      if (Array.isArray(node.enum)) {
        for (const v of node.enum) if (typeof v === 'string' && /[a-z]/.test(v) && v.length >= 5) words.add(v);
      }
      Object.values(node).forEach(walk);
    }
  };
  walk(doc.components?.schemas);
  const dir = join(repoRoot, 'web/i18n/en');
  for (const file of readdirSync(dir)) {
    const catalogue = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    for (const [key, text] of Object.entries(catalogue)) {
      if (/^(status|stance|stage|kind|channel|topic|grievance\.status|grievance\.kind)\./.test(key)
        && /^[A-Za-z][A-Za-z ]{4,}$/.test(text)) words.add(text);
    }
  }
  // Log-in names are people's names, not vocabulary.
  for (const name of ['admin', 'leader', 'member_a', 'member_b']) words.delete(name);
  return [...words];
}

async function openAs(role, lang, viewport) {
  const ctx = await browser.newContext({ viewport, locale: lang === 'vi' ? 'vi-VN' : 'en-US' });
  if (role) await login(ctx, server.url, role);
  const page = await ctx.newPage();
  return { ctx, page };
}

async function settle(page, path, lang) {
  const sep = path.includes('?') ? '&' : '?';
  await page.goto(`${server.url}${path}${sep}lang=${lang}`, { waitUntil: 'networkidle' });
  await page.waitForTimeout(300);
}

test('in Vietnamese no page shows a catalogue key or an English vocabulary word', async () => {
  const english = await englishVocabulary();
  assert.ok(english.length > 20, `the vocabulary list is too short to mean anything: ${english.length}`);
  const problems = [];
  for (const [path, role] of pages()) {
    const { ctx, page } = await openAs(role, 'vi', { width: 1366, height: 768 });
    const errors = collectPageErrors(page);
    await settle(page, path, 'vi');
    const text = await page.evaluate(() => {
      const skip = new Set(['SCRIPT', 'STYLE', 'NOSCRIPT']);
      const parts = [];
      const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const el = n.parentElement;
        if (!el || skip.has(el.tagName) || el.closest('[hidden], .shell-user, .maplibregl-ctrl-attrib')) continue;
        if (n.textContent.trim()) parts.push(n.textContent.trim());
      }
      for (const el of document.querySelectorAll('input[placeholder], [title], [aria-label]')) {
        if (el.closest('.maplibregl-ctrl')) continue;
        parts.push(el.getAttribute('placeholder') || '', el.getAttribute('title') || '', el.getAttribute('aria-label') || '');
      }
      return parts.filter(Boolean);
    });
    for (const part of text) {
      const fileName = /\.(csv|xlsx|gpkg|geojson|json|pdf|html|svg|png)$/.test(part);
      if (/^[a-z_]+(\.[a-z0-9_]+)+$/.test(part) && !fileName) problems.push(`${path}: catalogue key on screen: ${part}`);
      for (const word of english) {
        const re = new RegExp(`(^|[^\\p{L}_])${word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^\\p{L}_])`, 'u');
        if (re.test(part)) problems.push(`${path}: English "${word}" in "${part.slice(0, 80)}"`);
      }
    }
    problems.push(...errors.map((e) => `${path}: ${e}`));
    await ctx.close();
  }
  assert.deepEqual(problems, []);
});

test('at 360 px no page scrolls sideways; every page is kept as a screenshot', async () => {
  const wide = [];
  for (const lang of ['vi', 'en']) {
    for (const [viewport, tag] of [[{ width: 360, height: 740 }, 'phone'], [{ width: 1366, height: 768 }, 'desktop']]) {
      for (const [path, role] of pages()) {
        const { ctx, page } = await openAs(role, lang, viewport);
        await settle(page, path, lang);
        const name = path.replace(/^\//, '').replace(/\W+/g, '-') || 'landing';
        await page.screenshot({ path: artifact(`page-${name}-${tag}-${lang}.png`), fullPage: false });
        if (tag === 'phone') {
          const { scroll, client } = await page.evaluate(() => ({
            scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth,
          }));
          if (scroll > client) wide.push(`${path} (${lang}): ${scroll} px wide in a ${client} px screen`);
        }
        await ctx.close();
      }
    }
  }
  assert.deepEqual(wide, []);
});

test('the households list filters by a commune whose code two units share (Bình Trị, 21061)', async () => {
  const { ctx, page } = await openAs('leader', 'vi', { width: 1366, height: 768 });
  await page.goto(`${server.url}/households`);
  await page.waitForSelector('#households tbody tr');
  // The choice goes by id: the code 21061 is Bình Trị until 2025 and Vạn Tường since.
  await page.selectOption('#f-commune_id', { label: 'Xã Bình Trị' });
  await page.click('#search button[type=submit]');
  await page.waitForURL(/commune_id=\d+/);
  await page.waitForFunction(() => {
    const cells = [...document.querySelectorAll('#households tbody tr td:nth-child(4)')];
    return cells.length > 0 && cells.every((c) => c.textContent === 'Xã Bình Trị');
  });
  await ctx.close();
});

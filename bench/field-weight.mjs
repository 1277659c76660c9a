// Field app page weight and first load on a throttled 3G phone (not a test; prints figures).
//
// Starts `gpmb serve --demo`, logs in as member_a in Chromium emulating a Pixel 7 with an
// empty cache, throttles the network through CDP (Network.emulateNetworkConditions: 1.6 Mbps
// down, 750 kbps up, 150 ms RTT) and opens /field until the work list is on screen. Prints the
// bytes transferred (compressed, as on the wire, headers included) and decoded, and the load
// time, each as a ratio to its budget (500 KB, 5 s) and to the landing page `/` measured the
// same way in the same run (the baseline). Map tiles are never loaded by the field app (its
// parcel map is inline SVG), nor MapLibre.
//
// Usage: node bench/field-weight.mjs [--runs 3] [--parcels 2000]   (GPMB_BIN picks the binary; default
// target/release/gpmb if built, else target/debug/gpmb)
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { startServer, launchBrowser, login, devices, repoRoot } from '../tests/browser/lib.mjs';

const arg = (name, dflt) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : dflt);
const runs = arg('--runs', 3);
// The demo's default size: member_a then has ~170 households, a realistic work list.
const parcels = arg('--parcels', 2000);
const BUDGET_BYTES = 500 * 1024;
const BUDGET_MS = 5000;
const PROFILE = { offline: false, latency: 150, downloadThroughput: 1.6e6 / 8, uploadThroughput: 750e3 / 8 };

if (!process.env.GPMB_BIN) {
  const release = join(repoRoot, 'target/release/gpmb');
  process.env.GPMB_BIN = existsSync(release) ? release : join(repoRoot, 'target/debug/gpmb');
}
// The server runs in a temporary directory.
process.env.GPMB_BIN = resolve(process.env.GPMB_BIN);

/** One cold load of `path` (cache and service workers of a fresh context), throttled. */
async function coldLoad(browser, url, path, readySelector) {
  // Service workers blocked: every byte the page needs is then seen here; what the worker
  // fetches in the background to keep the shell is counted apart (precacheBytes).
  const context = await browser.newContext({ ...devices['Pixel 7'], locale: 'vi-VN', serviceWorkers: 'block' });
  await login(context, url, 'member_a');
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  await cdp.send('Network.emulateNetworkConditions', PROFILE);
  const requests = new Map();
  cdp.on('Network.responseReceived', (e) => {
    requests.set(e.requestId, { url: e.response.url, encoding: e.response.headers['content-encoding'] || e.response.headers['Content-Encoding'] || '', decoded: 0, wire: 0 });
  });
  cdp.on('Network.dataReceived', (e) => { const r = requests.get(e.requestId); if (r) r.decoded += e.dataLength; });
  cdp.on('Network.loadingFinished', (e) => { const r = requests.get(e.requestId); if (r) r.wire = e.encodedDataLength; });
  const t0 = Date.now();
  await page.goto(url + path, { waitUntil: 'commit' });
  await page.waitForSelector(readySelector, { timeout: 60_000 });
  const ready = Date.now() - t0;
  await page.waitForLoadState('load');
  await page.waitForTimeout(300);
  const list = [...requests.values()].filter((r) => r.wire > 0);
  await context.close();
  return {
    ms: ready,
    wire: list.reduce((s, r) => s + r.wire, 0),
    decoded: list.reduce((s, r) => s + r.decoded, 0),
    requests: list,
  };
}

/** Bytes the service worker fetches in the background to keep the shell (gzip sizes). */
async function precacheBytes(url) {
  const sw = await (await fetch(`${url}/static/field/sw.js`)).text();
  const shell = [...sw.matchAll(/'(\/(?:field|static\/[^']+))'/g)].map((m) => m[1]);
  let total = 0;
  for (const path of new Set(shell)) total += gzipSync(Buffer.from(await (await fetch(url + path)).arrayBuffer())).length;
  return { files: new Set(shell).size, bytes: total };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const kb = (b) => `${(b / 1024).toFixed(1)} KB`;

const server = await startServer({ parcels });
const browser = await launchBrowser();
try {
  const field = [];
  const landing = [];
  for (let i = 0; i < runs; i += 1) {
    landing.push(await coldLoad(browser, server.url, '/', '#project-list h3'));
    field.push(await coldLoad(browser, server.url, '/field', '#work-list li'));
  }
  const f = { ms: median(field.map((r) => r.ms)), wire: median(field.map((r) => r.wire)), decoded: median(field.map((r) => r.decoded)) };
  const l = { ms: median(landing.map((r) => r.ms)), wire: median(landing.map((r) => r.wire)) };
  const pre = await precacheBytes(server.url);
  console.log(`binary: ${process.env.GPMB_BIN}; demo with ${parcels} parcels`);
  console.log(`network: ${PROFILE.downloadThroughput * 8 / 1e6} Mbps down, ${PROFILE.uploadThroughput * 8 / 1e3} kbps up, ${PROFILE.latency} ms RTT; cold cache; median of ${runs} runs`);
  console.log('field app /field (member_a, until the work list shows):');
  for (const r of field[0].requests) console.log(`  ${kb(r.wire).padStart(9)}  ${r.encoding.padEnd(5)} ${new URL(r.url).pathname}${new URL(r.url).search}`);
  console.log(`  transferred ${kb(f.wire)} (decoded ${kb(f.decoded)}, gzip saves ${(100 * (1 - f.wire / Math.max(f.decoded, 1))).toFixed(0)}%) = ${(f.wire / BUDGET_BYTES).toFixed(3)}× the 500 KB budget`);
  console.log(`  first load ${f.ms} ms = ${(f.ms / BUDGET_MS).toFixed(3)}× the 5 s budget (runs: ${field.map((r) => r.ms).join(', ')} ms)`);
  console.log(`  service worker precache in the background after load: ${pre.files} files, ${kb(pre.bytes)} gzip`);
  console.log(`baseline, landing page / (same network): ${kb(l.wire)} in ${l.ms} ms`);
  console.log(`field / baseline: bytes ${(f.wire / l.wire).toFixed(2)}×, time ${(f.ms / l.ms).toFixed(2)}×`);
  console.log(`verdict: weight ${f.wire <= BUDGET_BYTES ? 'OK' : 'OVER BUDGET'}, load time ${f.ms <= BUDGET_MS ? 'OK' : 'OVER BUDGET'}`);
} finally {
  await browser.close();
  await server.stop();
}

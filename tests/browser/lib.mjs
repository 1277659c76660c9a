// Shared pieces of the browser tests: start a real gpmb server with demo data on a free port
// over a fresh SQLite file (or PostgreSQL database, see `databaseFor`), drive Debian's
// Chromium through playwright-core, log in.
// Run them with `node --test tests/browser/` after `cargo build` and `npm --prefix web ci`.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(join(repoRoot, 'web/package.json'));
export const { chromium, devices } = require('playwright-core');

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--no-first-run',
];

/** Today in Vietnam (UTC+7), `YYYY-MM-DD`: the day the demo is pinned to for a whole run. */
export const TODAY = new Date(Date.now() + 7 * 3600e3).toISOString().slice(0, 10);

/**
 * A database for one server: a SQLite file in `dir`, or, when `GPMB_BROWSER_POSTGRES` names a
 * PostgreSQL server (`postgres://user@host:port`), a fresh database on it made with `psql`.
 */
function databaseFor(dir) {
  const server = process.env.GPMB_BROWSER_POSTGRES;
  if (!server) return { url: `sqlite://${join(dir, 'gpmb.db')}`, drop() {} };
  const name = `gpmb_browser_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const psql = (sql) => {
    const r = spawnSync('psql', [`${server}/postgres`, '-qAtc', sql], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`psql ${sql}: ${r.stderr || r.error}`);
  };
  psql(`CREATE DATABASE ${name}`);
  return { url: `${server}/${name}`, drop: () => psql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/** Starts `gpmb serve --demo --today TODAY` on 127.0.0.1:0; resolves to `{ url, stop() }`. */
export async function startServer({ parcels = 240, env = {}, today = TODAY } = {}) {
  const bin = process.env.GPMB_BIN || join(repoRoot, 'target/debug/gpmb');
  const dir = mkdtempSync(join(tmpdir(), 'gpmb-browser-'));
  const database = databaseFor(dir);
  const child = spawn(bin, ['serve', '--addr', '127.0.0.1:0', '--demo', '--demo-parcels', String(parcels), '--today', today], {
    cwd: dir,
    env: { ...process.env, DATABASE_URL: database.url, GPMB_LOG: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`server did not start in 60 s:\n${output}`)), 60_000);
    const onData = (chunk) => {
      output += chunk;
      const m = output.match(/listening on (http:\/\/[\d.]+:\d+)/);
      if (m) { clearTimeout(timer); ok(m[1]); }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => { clearTimeout(timer); fail(new Error(`server exited with ${code}:\n${output}`)); });
  });
  child.removeAllListeners('exit');
  return {
    url,
    log: () => output,
    async stop() {
      // A server error fails the page's test elsewhere; its cause is here, so say it.
      const bad = output.split('\n').filter((l) => /ERROR|panicked/.test(l));
      if (bad.length) console.error(`server errors logged:\n${bad.slice(0, 20).join('\n')}`);
      child.kill('SIGTERM');
      await new Promise((ok) => (child.exitCode !== null ? ok() : child.once('exit', ok)));
      rmSync(dir, { recursive: true, force: true });
      database.drop();
    },
  };
}

export async function launchBrowser() {
  return chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

/** Logs in through the API inside the page's context, so the session cookie is set for it. */
export async function login(context, url, username, password = 'demo') {
  const res = await context.request.post(`${url}/api/v1/auth/login`, { data: { username, password } });
  if (!res.ok()) throw new Error(`login ${username} failed: ${res.status()} ${await res.text()}`);
}

/** A path under target/browser/ for screenshots kept as CI artifacts. */
export function artifact(name) {
  const dir = join(repoRoot, 'target/browser');
  mkdirSync(dir, { recursive: true });
  return join(dir, name);
}

/**
 * Script errors, console errors and server errors (5xx) of a page, which otherwise go unseen.
 * 4xx answers are left out: a 401 before login is how a page learns it must show the form.
 */
export function collectPageErrors(page) {
  const errors = [];
  page.on('pageerror', (err) => errors.push(String(err)));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) errors.push(msg.text());
  });
  page.on('response', (res) => { if (res.status() >= 500) errors.push(`${res.status()} ${res.url()}`); });
  return errors;
}

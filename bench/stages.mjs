// Bulk stage recording benchmark (run with bench/stages): starts `gpmb serve --demo` on a
// fresh SQLite file with enough parcels for a few thousand households, picks N households of
// HPDQ2 that have no stage yet (a dry run with the filter `no_stage`), then times
// POST /api/v1/projects/HPDQ2/stages/bulk for exactly those N: the preview (dry run) and the
// real, all-or-nothing recording of that stage, and checks what was stored.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const N = arg('--households', 2000);
const PARCELS = arg('--parcels', 30000);
const bin = process.env.GPMB_BIN;

const dir = mkdtempSync(join(tmpdir(), 'gpmb-bench-stages-'));
console.log(`loading the demo with ${PARCELS} parcels…`);
const t0 = performance.now();
const child = spawn(bin, ['serve', '--addr', '127.0.0.1:0', '--demo', '--demo-parcels', String(PARCELS)], {
  cwd: dir, env: { ...process.env, DATABASE_URL: `sqlite://${join(dir, 'gpmb.db')}`, GPMB_LOG: 'warn' },
  stdio: ['ignore', 'pipe', 'pipe'],
});
let out = '';
const base = await new Promise((ok, fail) => {
  const on = (c) => { out += c; const m = out.match(/listening on (http:\/\/[\d.]+:\d+)/); if (m) ok(m[1]); };
  child.stdout.on('data', on); child.stderr.on('data', on);
  child.on('exit', (code) => fail(new Error(`server exited ${code}\n${out}`)));
});
console.log(`demo loaded and serving in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

try {
  const login = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'leader', password: 'demo' }) });
  const cookie = login.headers.get('set-cookie').split(';')[0];
  const post = async (body) => {
    const t = performance.now();
    const res = await fetch(`${base}/api/v1/projects/HPDQ2/stages/bulk`, { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: JSON.stringify(body) });
    const data = await res.json();
    const ms = performance.now() - t;
    if (!res.ok) throw new Error(`${res.status} ${JSON.stringify(data).slice(0, 500)}`);
    return { ms, data };
  };
  const today = new Date(Date.now() + 7 * 3600e3).toISOString().slice(0, 10);
  // The stage most households of the demo may take today, and N of those households.
  let best = null;
  for (const stage of ['briefing', 'notice', 'inventory', 'plan_posted', 'plan_approved', 'recovery_decision', 'paid', 'handed_over', 'resettled']) {
    const r = await post({ stage, occurred_on: today, filter: {}, dry_run: true });
    console.log(`  preview of ${stage} over all ${r.data.selected} households: ${r.ms.toFixed(0)} ms, ${r.data.allowed.length} allowed`);
    if (!best || r.data.allowed.length > best.allowed.length) best = { stage, allowed: r.data.allowed };
  }
  const ids = best.allowed.slice(0, N).map((a) => a.household_id);
  console.log(`stage ${best.stage}: ${best.allowed.length} households may take it; using ${ids.length}`);
  if (ids.length < N) console.log(`WARNING: fewer than ${N}; raise --parcels`);
  const body = { stage: best.stage, occurred_on: today, document_no: '01/TB-BENCH', household_ids: ids };
  const preview = await post({ ...body, dry_run: true });
  console.log(`preview (dry run) of ${ids.length} households: ${preview.ms.toFixed(0)} ms — allowed ${preview.data.allowed.length}, refused ${preview.data.refused.length}`);
  const commit = await post(body);
  console.log(`RECORD one stage for ${commit.data.recorded} households: ${commit.ms.toFixed(0)} ms (goal < 2000 ms) ${commit.ms < 2000 ? 'OK' : 'OVER'}`);
  const again = await post({ ...body, dry_run: true });
  const kase = await (await fetch(`${base}/api/v1/households/${ids[0]}/case`, { headers: { cookie } })).json();
  console.log(`check: household ${ids[0]} now has ${kase.stages.filter((s) => s.stage === best.stage && s.document_no === '01/TB-BENCH').length} ${best.stage} event(s) from the bench; a second preview: ${again.data.allowed.length} allowed, ${again.data.refused.length} refused`);
} finally {
  child.kill('SIGTERM');
  await new Promise((ok) => (child.exitCode !== null ? ok() : child.once('exit', ok)));
  rmSync(dir, { recursive: true, force: true });
}

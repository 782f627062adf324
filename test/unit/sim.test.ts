/**
 * `beeptrace sim` through the real command line: the acceptance run, trace replay, and
 * bad input exiting non-zero with a message that names the problem.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = new URL('../../bin/beeptrace.js', import.meta.url).pathname;
function run(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const dir = mkdtempSync(join(tmpdir(), 'beeptrace-sim-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

test('sim --users 2000 --days 3 --infected 20 --seed 1: high-risk precision and recall ≥ 0.95', () => {
  const r = run('sim', '--users', '2000', '--days', '3', '--infected', '20', '--seed', '1', '--json');
  assert.equal(r.code, 0, r.err);
  const out = JSON.parse(r.out);
  assert.equal(Object.keys(out.users).length, 2000);
  assert.ok(out.stats.high.truePositives > 20, `enough high-risk contacts to measure (${out.stats.high.truePositives})`);
  assert.ok(out.stats.high.precision >= 0.95, `precision ${out.stats.high.precision}`);
  assert.ok(out.stats.high.recall >= 0.95, `recall ${out.stats.high.recall}`);
  assert.equal(out.stats.records.diagnosis, 20);
  assert.equal(out.stats.records.trace_batch, 6000);
  assert.ok(out.stats.uploadBytesPerUserDay > 600);
  // users' exposures are what their own devices computed from the notification chain
  const high = Object.values(out.users as Record<string, { level: string }>).filter((u) => u.level === 'high').length;
  assert.ok(high > 0);
});

const t0 = '2026-03-02T09:00:00Z';
function traceLines(): string {
  const lines: string[] = [];
  for (let m = 0; m <= 40; m++) {
    const t = new Date(Date.parse(t0) + m * 60_000).toISOString();
    lines.push(JSON.stringify({ user: 'A', t, lat: 55.8721, lon: -4.2882, acc: 8 }));
    lines.push(JSON.stringify({ user: 'B', t, lat: 55.87214, lon: -4.2882, acc: 8 })); // ~4.5 m north
    lines.push(JSON.stringify({ user: 'C', t: Date.parse(t0) + m * 60_000, lat: 55.8821, lon: -4.2882, acc: 8 })); // 1.1 km away, epoch ms
  }
  lines.push(JSON.stringify({ user: 'D', t: '2026-03-02T12:00:00Z', venue: 'cafe-1' }));
  lines.push(JSON.stringify({ user: 'A', t: '2026-03-02T12:05:00Z', venue: 'cafe-1' }));
  lines.push(JSON.stringify({ user: 'D', t: '2026-03-02T12:40:00Z', lat: 55.8, lon: -4.2, acc: 8 }));
  lines.push(JSON.stringify({ user: 'A', t: '2026-03-02T12:45:00Z', lat: 55.8, lon: -4.2, acc: 8 }));
  return lines.join('\n') + '\n';
}

test('sim --trace replays a JSONL trace: near contact high, far none, same venue low', () => {
  const r = run('sim', '--trace', file('t.jsonl', traceLines()), '--infected', 'A', '--json', '--precision', 'exact');
  assert.equal(r.code, 0, r.err);
  const out = JSON.parse(r.out);
  assert.equal(out.users.B.level, 'high');
  assert.equal(out.users.B.exposures[0].day, '2026-03-02');
  assert.ok(out.users.B.exposures[0].minutes >= 30, JSON.stringify(out.users.B));
  assert.equal(out.users.C.level, 'none');
  assert.equal(out.users.D.level, 'low');
  assert.deepEqual(out.users.C, out.truth.C);
  assert.equal(out.truth.B.level, 'high');
});

test('a readable summary without --json', () => {
  const r = run('sim', '--users', '60', '--days', '1', '--infected', '2', '--seed', '3');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /BeepTrace simulation — 60 users/);
  assert.match(r.out, /high-risk user-days\s+precision/);
});

test('bad input exits 2 with a message naming the problem', () => {
  const bad = file('bad.jsonl', traceLines() + '{"user":"A","t":"yesterday","lat":1,"lon":2}\n');
  let r = run('sim', '--trace', bad, '--infected', 'A');
  assert.equal(r.code, 2);
  assert.match(r.err, /bad\.jsonl:\d+: "t" must be/);
  const lineNo = traceLines().split('\n').length; // the bad line comes right after
  assert.match(r.err, new RegExp(`bad\\.jsonl:${lineNo}:`));

  r = run('sim', '--trace', file('ok.jsonl', traceLines()), '--infected', 'A,Zed');
  assert.equal(r.code, 2);
  assert.match(r.err, /"Zed"/);

  r = run('sim', '--users', '20', '--policy', file('p.json', '{"rules":[{"level":"high","withinMetres":10}]}'));
  assert.equal(r.code, 2);
  assert.match(r.err, /p\.json\.rules\[0\]\.minMinutes/);

  r = run('sim', '--users', '20', '--policy', file('q.json', '{"rules": ['));
  assert.equal(r.code, 2);
  assert.match(r.err, /q\.json: not JSON/);

  r = run('sim', '--users', 'many');
  assert.equal(r.code, 2);
  assert.match(r.err, /--users must be an integer/);

  r = run('sim', '--users', '20', '--seats', '4,0');
  assert.equal(r.code, 2);
  assert.match(r.err, /--seats must be a comma list of whole metres 1\.\.1000, got "4,0"/);

  r = run('sim', '--trace', file('seats.jsonl', traceLines()), '--infected', 'A', '--seats', '8');
  assert.equal(r.code, 2);
  assert.match(r.err, /--seats are for the synthetic city/);

  r = run('sim', '--frobnicate');
  assert.equal(r.code, 2);
  assert.match(r.err, /frobnicate/);

  r = run('sim', '--users', '20', '--venues', file('v.geojson', '{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0]]]}}]}'));
  assert.equal(r.code, 2);
  assert.match(r.err, /v\.geojson: skipped 1 of 1 features:\n  #0 \(feature 0\): Polygon: outer ring has fewer than 3 distinct positions\n.*v\.geojson: no usable feature/);
});

test('--help and --version', () => {
  const h = run('--help');
  assert.equal(h.code, 0);
  assert.match(h.out, /beeptrace sim/);
  const v = run('--version');
  assert.match(v.out, /^\d+\.\d+\.\d+\n$/);
});

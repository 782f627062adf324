/**
 * The solver's speed before and after a change, side by side in one run (issue 10's must-hold:
 * `solver.records_per_s_per_core` and `solver.patients_10x_time_ratio` no worse than before).
 * Checks `--before` (a git ref) out into a temporary worktree that shares this checkout's
 * node_modules, then runs `npm run bench -- --json --only solver [--users N]` there and here in
 * turn, `--runs` times each (before, after, before, after, …, so a change of the machine's load
 * falls on both), and prints every run and the medians as JSON lines.
 *
 *   node --import tsx scripts/bench-side-by-side.ts [--before 83baa82^] [--runs 3] [--users 100000]
 *
 * @example node --import tsx scripts/bench-side-by-side.ts --before 83baa82^ --runs 3
 * @module
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { before: { type: 'string' }, runs: { type: 'string' }, users: { type: 'string' } } });
const before = values.before ?? '83baa82^'; // the commit before issue 10's matching work
const runs = Number(values.runs ?? 3);
if (!Number.isInteger(runs) || runs < 1) throw new RangeError(`--runs must be a whole number ≥ 1, got ${values.runs}`);
const users = values.users === undefined ? [] : ['--users', String(Number(values.users))];
const here = resolve(import.meta.dirname, '..');
const NAMES = ['solver.records_per_s_per_core', 'solver.patients_10x_time_ratio'];

function git(...args: string[]): string {
  const r = spawnSync('git', args, { cwd: here, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr.trim()}`);
  return r.stdout.trim();
}

/** One `--only solver` run in `dir`: the figures named in NAMES. */
function bench(dir: string): Record<string, number> {
  const r = spawnSync('npm', ['run', '-s', 'bench', '--', '--json', '--only', 'solver', ...users], { cwd: dir, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`bench in ${dir} exited ${r.status}: ${r.stderr.slice(-2000)}`);
  const out: Record<string, number> = {};
  for (const line of r.stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const j = JSON.parse(line) as { name: string; value: number };
    if (NAMES.includes(j.name)) out[j.name] = j.value;
  }
  for (const n of NAMES) if (!(n in out)) throw new Error(`bench in ${dir} printed no ${n}`);
  return out;
}

/** The middle figure, or the mean of the two middle ones. */
function median(xs: number[]): number {
  const v = [...xs].sort((a, b) => a - b);
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
}

const sha = git('rev-parse', '--verify', `${before}^{commit}`);
const dir = mkdtempSync(join(tmpdir(), 'beeptrace-before-'));
git('worktree', 'add', '--detach', dir, sha);
try {
  symlinkSync(join(here, 'node_modules'), join(dir, 'node_modules'));
  const got: Record<'before' | 'after', Record<string, number>[]> = { before: [], after: [] };
  for (let i = 0; i < runs; i++) {
    for (const [side, where] of [['before', dir], ['after', here]] as const) {
      const figures = bench(where);
      got[side].push(figures);
      console.log(JSON.stringify({ run: i + 1, side, ref: side === 'before' ? sha.slice(0, 7) : 'working tree', ...figures }));
    }
  }
  for (const n of NAMES) {
    const b = median(got.before.map((f) => f[n]));
    const a = median(got.after.map((f) => f[n]));
    console.log(JSON.stringify({ name: n, before_median: b, after_median: a, after_over_before: Math.round((a / b) * 1000) / 1000, runs }));
  }
} finally {
  rmSync(join(dir, 'node_modules'), { force: true });
  git('worktree', 'remove', '--force', dir);
}

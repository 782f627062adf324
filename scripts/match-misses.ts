/**
 * Issue 10 diagnostics: run one `beeptrace sim` town and write every "any exposure" miss (false
 * negative) and false alarm (false positive) out by category, with the raw minutes behind it.
 *
 *   node --import tsx scripts/match-misses.ts [--users 600] [--seed 7] [--precision 10m|exact|exact,10m] [--verbose]
 *
 * Categories come from the raw per-minute samples the exact computation uses: at each minute
 * within 10 m, is the user / the patient moving (their sample a minute before or after is more
 * than 25 m away, the recorder's radius)?
 * @example node --import tsx scripts/match-misses.ts --precision 10m
 * @module
 */
import { parseArgs } from 'node:util';
import { simulate, toSamples } from '../src/node/sim/run.ts';
import { City } from '../src/node/sim/mobility.ts';
import { nodeCrypto } from '../src/node/node-crypto.ts';
import { Prng } from '../src/core/prng.ts';
import { StayRecorder } from '../src/core/recorder.ts';
import { ExposureMatcher, pairProbability, type OwnedStay } from '../src/core/match.ts';
import { equirectMetres, toE7 } from '../src/core/geo.ts';
import { Precision, isoDay, type PrecisionLevel, type Stay } from '../src/core/types.ts';

const { values } = parseArgs({ options: { users: { type: 'string' }, seed: { type: 'string' }, precision: { type: 'string' }, verbose: { type: 'boolean' }, infected: { type: 'string' } } });
const users = Number(values.users ?? 600);
const seed = Number(values.seed ?? 7);
const k = Number(values.infected ?? 8);
const names: Record<string, PrecisionLevel> = { exact: Precision.EXACT, '10m': Precision.M10, '100m': Precision.M100 };
const precision = (values.precision ?? '10m').split(',').map((p) => names[p]);
const firstDay = Math.floor(Date.UTC(2026, 2, 2) / 86_400_000);
const pop = new City({ users, days: 2, seed, firstDay });
const infected = new Prng(seed ^ 0x1f).shuffle([...pop.names]).slice(0, k);
const r = await simulate(pop, { infected, crypto: nodeCrypto, seed, precision });

// the same precision choice and stays as simulate
const pick = new Prng(seed ^ 0x9e3);
const precisionOf = pop.names.map(() => precision[pick.int(precision.length)]);
const staysOf = (u: number): Stay[] => {
  const rec = new StayRecorder({ precision: precisionOf[u] });
  const out: Stay[] = [];
  for (const e of pop.events(u)) out.push(...(e.kind === 'fix' ? rec.addFix({ t: e.t, lat: e.lat, lon: e.lon, acc: e.acc }) : rec.checkIn(e.venue, e.t)));
  out.push(...rec.flush((pop.lastDay + 1) * 86_400_000 - 1));
  return out;
};
const idx = new Map(pop.names.map((n, i) => [n, i]));
const inf = infected.map((n) => idx.get(n)!);
const patientStays: OwnedStay[] = inf.flatMap((u) => staysOf(u).map((s) => ({ ...s, owner: `p${u}` })));
const samples = new Map(inf.map((u) => [u, toSamples(pop.events(u))]));
type S = ReturnType<typeof toSamples>[number];
const byMin = (l: S[]) => new Map(l.map((s) => [s.minute, s]));
const patientByMin = new Map(inf.map((u) => [u, byMin(samples.get(u)!)]));
const moving = (m: Map<number, S>, minute: number, s: S) =>
  [minute - 1, minute + 1].some((x) => {
    const o = m.get(x);
    return o && !o.venue && !s.venue && equirectMetres(o.latE7, o.lonE7, s.latE7, s.lonE7) > 25;
  });

const key = (name: string, day: string) => `${name}@${day}`;
const set = (res: typeof r.users) => new Set(Object.entries(res).flatMap(([n, u]) => u.exposures.map((e) => key(n, e.day))));
const got = set(r.users);
const want = set(r.truth);
const cats = new Map<string, string[]>();
const add = (c: string, line: string) => (cats.get(c) ?? cats.set(c, []).get(c)!).push(line);

for (const kk of new Set([...got, ...want])) {
  if (got.has(kk) === want.has(kk)) continue;
  const [name, day] = kk.split('@');
  const u = idx.get(name)!;
  const dayN = Math.floor(Date.parse(`${day}T00:00:00Z`) / 86_400_000);
  const own = byMin(toSamples(pop.events(u)));
  // truth minutes within 10 m, with who moves
  const close: { m: number; d: number; um: boolean; pm: boolean }[] = [];
  let nearest = Infinity;
  for (const [m, s] of own) {
    if (Math.floor(m / 1440) !== dayN || s.venue) continue;
    for (const p of inf) {
      if (p === u) continue;
      const o = patientByMin.get(p)!.get(m);
      if (!o || o.venue) continue;
      const d = equirectMetres(s.latE7, s.lonE7, o.latE7, o.lonE7);
      nearest = Math.min(nearest, d);
      if (d <= 10) close.push({ m, d: Math.round(d * 10) / 10, um: moving(own, m, s), pm: moving(patientByMin.get(p)!, m, o) });
    }
  }
  // protocol: the pairs that gave probability
  const mine = staysOf(u).filter((s) => Math.floor(s.start / 1440) === dayN);
  const pairs: string[] = [];
  for (const s of mine) {
    for (const p of patientStays) {
      if (p.owner === `p${u}` || s.venue !== undefined || p.venue !== undefined) continue;
      const a = Math.max(s.start, p.start);
      const b = Math.min(s.start + s.minutes, p.start + p.minutes);
      if (b <= a) continue;
      const q = pairProbability(s, p, 10);
      if (q > 0) pairs.push(`[${a % 1440}+${b - a}] u(${s.minutes}m r${s.radius} p${s.precision}) q(${p.minutes}m r${p.radius} p${p.precision}) d=${Math.round(equirectMetres(s.latE7, s.lonE7, p.latE7, p.lonE7) * 10) / 10} p=${(q / 65536).toFixed(2)}`);
    }
  }
  const m = new ExposureMatcher(patientStays, { ...(await import('../src/core/policy.ts')).DEFAULT_POLICY }).scan(mine, `p${u}`);
  const mins = m?.near.get(10) ?? 0;
  let cat: string;
  if (want.has(kk)) {
    const n = close.length;
    const mv = close.filter((c) => c.um || c.pm).length;
    cat = `FN truth ${n === 1 ? '1 min' : n <= 3 ? '2-3 min' : '4+ min'}, ${mv === n ? 'all moving' : mv ? 'some moving' : 'stationary'}${close.some((c) => c.um && c.pm) ? ' (both)' : ''}`;
  } else {
    cat = `FP nearest raw ${nearest <= 15 ? '10-15 m' : nearest <= 20 ? '15-20 m' : '> 20 m'}, protocol ${mins} min`;
  }
  add(cat, `${kk} p${precisionOf[u]} truth=${JSON.stringify(close.map((c) => `${c.m % 1440}:${c.d}m${c.um ? 'U' : ''}${c.pm ? 'P' : ''}`))} protocol=${mins}min ${values.verbose ? pairs.join('; ') : pairs.length + ' pairs'}`);
}
const s = r.stats;
console.log(`users ${users} seed ${seed} precision ${values.precision ?? '10m'}: high ${s.high.precision}/${s.high.recall}, any ${s.any.precision}/${s.any.recall} (tp ${s.any.truePositives} fp ${s.any.falsePositives} fn ${s.any.falseNegatives})`);
for (const [c, lines] of [...cats].sort()) {
  console.log(`\n${c}: ${lines.length}`);
  for (const l of lines) console.log(`  ${l}`);
}
void isoDay;
void toE7;

/**
 * Issue 10 calibration of the matching rule (docs/PROTOCOL.md §11.2, §15 item 36), apart from any
 * town: two people sit D metres apart (D = 0, 2, …, 20, 24) for `--minutes` minutes at a random
 * place and bearing, each with a fix a minute (3 m noise per axis, accuracy 4–11 m), recorded at
 * `--precision`; the protocol's minutes within 10 m (StayRecorder + ExposureMatcher) against the
 * exact computation's (`fractionWithin` on the straight lines between fixes, as `beeptrace sim`).
 * Prints, per D, mean minutes and how many of `--pairs` pairs each side calls high (≥ 15) and any
 * (≥ 1), then the wrong decisions in all. A town puts people who share a place 0–8 m apart and
 * others ≥ 40 m apart; this shows what a rule does to people 10–20 m apart, which towns lack.
 *
 *   node --import tsx scripts/match-calibration.ts [--precision 10m|exact|100m] [--minutes 25] [--pairs 150]
 *
 * @example node --import tsx scripts/match-calibration.ts --precision 10m --minutes 25
 * @module
 */
import { parseArgs } from 'node:util';
import { StayRecorder } from '../src/core/recorder.ts';
import { ExposureMatcher } from '../src/core/match.ts';
import { DEFAULT_POLICY } from '../src/core/policy.ts';
import { Prng } from '../src/core/prng.ts';
import { Precision, type Stay } from '../src/core/types.ts';
import { fractionWithin } from '../src/node/sim/run.ts';

const { values } = parseArgs({ options: { precision: { type: 'string' }, minutes: { type: 'string' }, pairs: { type: 'string' } } });
const precision = ({ exact: Precision.EXACT, '10m': Precision.M10, '100m': Precision.M100 } as const)[(values.precision ?? '10m') as 'exact' | '10m' | '100m'];
if (precision === undefined) throw new Error('--precision must be exact, 10m or 100m');
const MIN = Number(values.minutes ?? 25);
const PAIRS = Number(values.pairs ?? 150);
const r = new Prng(4242);
const M_LAT = 1 / 111_195;
const LAT = 55.87;
const M_LON = M_LAT / Math.cos((LAT * Math.PI) / 180);
const T0 = Date.UTC(2026, 2, 2, 12, 0);
let wrongHigh = 0, wrongAny = 0, n = 0;
console.log('D m\tprotocol min\ttruth min\thigh protocol/truth\tany protocol/truth');
for (const D of [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 24]) {
  let pm = 0, tm = 0, highP = 0, highT = 0, anyP = 0, anyT = 0;
  for (let k = 0; k < PAIRS; k++) {
    const x0 = r.next() * 100, y0 = r.next() * 100, th = r.next() * 2 * Math.PI;
    const seats = [[x0, y0], [x0 + D * Math.cos(th), y0 + D * Math.sin(th)]];
    const fixes = seats.map(([x, y]) => Array.from({ length: MIN }, (_, m) => ({ t: T0 + m * 60_000 + r.int(20_000), x: x + r.normal() * 3, y: y + r.normal() * 3, acc: 4 + r.int(8) })));
    const stays = fixes.map((fs) => {
      const rec = new StayRecorder({ precision });
      const out: Stay[] = [];
      for (const f of fs) out.push(...rec.addFix({ t: f.t, lat: LAT + f.y * M_LAT, lon: -4.28 + f.x * M_LON, acc: f.acc }));
      return [...out, ...rec.flush(T0 + MIN * 60_000)];
    });
    const got = new ExposureMatcher(stays[0].map((s) => ({ ...s, owner: 'a' })), DEFAULT_POLICY).scan(stays[1], 'b')?.near.get(10) ?? 0;
    let within = 0;
    for (let i = 0; i < MIN; i++) {
      const [a0, b0, a1, b1] = [fixes[0][i], fixes[1][i], fixes[0][i + 1], fixes[1][i + 1]];
      const [x, y] = [b0.x - a0.x, b0.y - a0.y];
      within += a1 ? fractionWithin(x, y, b1.x - a1.x, b1.y - a1.y, 10) : fractionWithin(x, y, x, y, 10);
    }
    const truth = Math.floor(within + 1e-9);
    pm += got;
    tm += truth;
    highP += +(got >= 15);
    highT += +(truth >= 15);
    anyP += +(got >= 1);
    anyT += +(truth >= 1);
    wrongHigh += +((got >= 15) !== (truth >= 15));
    wrongAny += +((got >= 1) !== (truth >= 1));
    n++;
  }
  console.log(`${D}\t${(pm / PAIRS).toFixed(1)}\t${(tm / PAIRS).toFixed(1)}\t${highP}/${highT}\t${anyP}/${anyT}`);
}
console.log(`wrong decisions of ${n} pairs: high ${wrongHigh}, any ${wrongAny}`);

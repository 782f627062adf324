/**
 * Writes test/fixtures/gpx/*.gpx: synthetic GPS recordings (written for BeepTrace, not recorded by
 * a phone; public domain like the rest of the fixtures), with what real ones have: points every
 * few seconds at each person's own seconds, 3–4 m noise, hdop, a tunnel gap, a wild fix.
 * The expected levels are worked out in test/unit/gpx-replay.test.ts.
 *
 *   node --import tsx scripts/make-gpx.ts
 * @example node --import tsx scripts/make-gpx.ts  # rewrites the five fixtures
 * @module
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { Prng } from '../src/core/prng.ts';

const LAT0 = 55.86;
const LON0 = -4.25;
const M_LAT = 1 / 111_195;
const M_LON = M_LAT / Math.cos((LAT0 * Math.PI) / 180);
const T0 = Date.UTC(2026, 2, 10, 8, 0, 0);
const SEC = 1000;
const MIN = 60 * SEC;

type Pt = { t: number; x: number; y: number; hdop: number };
const r = new Prng(2026);
const noisy = (t: number, x: number, y: number, sd = 3, hdop = 0.8 + r.int(8) / 10): Pt => ({ t, x: x + r.normal() * sd, y: y + r.normal() * sd, hdop });

function gpx(name: string, pts: Pt[]): void {
  const body = pts
    .map((p) => `      <trkpt lat="${(LAT0 + p.y * M_LAT).toFixed(7)}" lon="${(LON0 + p.x * M_LON).toFixed(7)}"><time>${new Date(p.t).toISOString().replace('.000Z', 'Z')}</time><hdop>${p.hdop.toFixed(1)}</hdop></trkpt>`)
    .join('\n');
  mkdirSync('test/fixtures/gpx', { recursive: true });
  writeFileSync(
    `test/fixtures/gpx/${name}.gpx`,
    `<?xml version="1.0" encoding="UTF-8"?>\n<gpx version="1.1" creator="BeepTrace scripts/make-gpx.ts (synthetic)" xmlns="http://www.topografix.com/GPX/1/1">\n  <trk><name>${name}</name><trkseg>\n${body}\n  </trkseg></trk>\n</gpx>\n`,
  );
}

const WALK = 1.2; // m/s, east along y = 0
const CAFE = { x: WALK * 25 * 60, y: 6 }; // where the walk ends, 08:25

// alice (the patient): walks 08:00–08:25, a point every 5 s, no points 08:09–08:11 (underpass);
// then sits in the café until 09:00, a point every 30 s; one wild point (hdop 20 = 100 m) at 08:40.
const alice: Pt[] = [];
for (let t = T0; t < T0 + 25 * MIN; t += 5 * SEC) if (t < T0 + 9 * MIN || t >= T0 + 11 * MIN) alice.push(noisy(t, (WALK * (t - T0)) / SEC, 0));
for (let t = T0 + 25 * MIN; t <= T0 + 60 * MIN; t += 30 * SEC) alice.push(t === T0 + 40 * MIN ? { t, x: CAFE.x + 400, y: 300, hdop: 20 } : noisy(t, CAFE.x, CAFE.y, 4));
gpx('alice', alice);

// bob: walks with alice 2 m to her north, points every 7 s from 08:00:03; walks on east at 08:25
const bob: Pt[] = [];
for (let t = T0 + 3 * SEC; t < T0 + 35 * MIN; t += 7 * SEC) bob.push(noisy(t, (WALK * (t - T0)) / SEC, 2));
gpx('bob', bob);

// carol: sits at alice's café table (3 m away) 08:50–08:56, points every 20 s, then walks north
const carol: Pt[] = [];
for (let t = T0 + 50 * MIN + 11 * SEC; t < T0 + 56 * MIN; t += 20 * SEC) carol.push(noisy(t, CAFE.x + 3, CAFE.y, 4));
for (let t = T0 + 56 * MIN; t < T0 + 66 * MIN; t += 10 * SEC) carol.push(noisy(t, CAFE.x + 3, CAFE.y + (WALK * (t - T0 - 56 * MIN)) / SEC));
gpx('carol', carol);

// dave: walks north past the café door (4 m from alice) at 08:40, points every 4 s, 08:35–08:45
const dave: Pt[] = [];
for (let t = T0 + 35 * MIN; t < T0 + 45 * MIN; t += 4 * SEC) dave.push(noisy(t, CAFE.x - 4, CAFE.y + (WALK * (t - T0 - 40 * MIN)) / SEC));
gpx('dave', dave);

// erin: walks the same street as alice, the other way, 08:00–08:25: they cross once, at ~08:12
const erin: Pt[] = [];
for (let t = T0 + 1 * SEC; t < T0 + 25 * MIN; t += 6 * SEC) erin.push(noisy(t, CAFE.x - (WALK * (t - T0)) / SEC, -3));
gpx('erin', erin);

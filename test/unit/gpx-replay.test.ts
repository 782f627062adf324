/**
 * Issue 10: a replay of GPS recordings in GPX through the real StayRecorder, ledger and solver
 * (`beeptrace sim --gpx`). The recordings in test/fixtures/gpx/ are synthetic, written for
 * BeepTrace by scripts/make-gpx.ts (a point every 4–30 s at each person's own seconds, 3–4 m
 * noise, hdop, alice's 2-minute underpass gap and one 100 m wild point). Alice is diagnosed.
 *
 * Expected levels, worked out by hand from the script (policy: high = 15 minutes within 10 m,
 * low = 1 minute):
 * - bob walks 2 m beside alice 08:00–08:25 (1.2 m/s; his points 3 s after hers, every 7 s against
 *   her 5 s), less her gap 08:09–08:11: ~22 minutes together → **high**. Both are route stays
 *   (a 25 m piece every ~21 s), matched minute by minute at the middle of each minute.
 * - carol sits 3 m from alice at the café 08:50–08:56: ~6 minutes (her first point 08:50:11, the
 *   table 5–6 m apart with 4 m noise each) → **low** (at least 1, under 15).
 * - dave walks north past the café door 4 m from alice at 1.2 m/s: within 10 m for ≤ 17 s → **none**.
 * - erin walks the street the other way and crosses alice once: within 10 m for ≤ 9 s → **none**.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gpxPopulation, parseGpx } from '../../src/node/sim/gpx.ts';
import { simulate } from '../../src/node/sim/run.ts';
import { nodeCrypto } from '../../src/node/node-crypto.ts';
import { Precision, Source } from '../../src/core/types.ts';
import { StayRecorder } from '../../src/core/recorder.ts';
import { InputError } from '../../src/core/errors.ts';

const DIR = new URL('../fixtures/gpx/', import.meta.url);
const files = ['alice', 'bob', 'carol', 'dave', 'erin'].map((n) => ({ file: `${n}.gpx`, text: readFileSync(new URL(`${n}.gpx`, DIR), 'utf8') }));
const WANT = { alice: 'none', bob: 'high', carol: 'low', dave: 'none', erin: 'none' };

for (const precision of [Precision.EXACT, Precision.M10]) {
  test(`GPX replay at ${precision === Precision.EXACT ? 'exact' : '10 m'} precision: bob high, carol low, dave and erin none`, async () => {
    const r = await simulate(gpxPopulation(files), { infected: ['alice'], crypto: nodeCrypto, seed: 1, precision });
    assert.deepEqual(Object.fromEntries(Object.entries(r.users).map(([n, u]) => [n, u.level])), WANT);
    // the exact computation on the raw points agrees
    assert.deepEqual(Object.fromEntries(Object.entries(r.truth).map(([n, u]) => [n, u.level])), WANT);
    const bob = r.users.bob.exposures[0].minutes;
    assert.ok(bob >= 17 && bob <= 25, `bob: ${bob} minutes`);
    const carol = r.users.carol.exposures[0].minutes;
    assert.ok(carol >= 2 && carol <= 7, `carol: ${carol} minutes`);
  });
}

test('GPX: points become fixes in time order (accuracy 5 m × hdop); the recorder makes route stays of a walk and drops the wild point', () => {
  const alice = parseGpx(files[0].text, 'alice.gpx');
  assert.equal(alice.length, 300 - 24 + 71);
  assert.ok(alice.every((e, i) => i === 0 || e.t > alice[i - 1].t));
  const wild = alice.find((e) => e.kind === 'fix' && e.acc === 100);
  assert.ok(wild, 'the hdop 20 point is 100 m accurate');
  const rec = new StayRecorder({ precision: Precision.EXACT });
  const stays = alice.flatMap((e) => (e.kind === 'fix' ? rec.addFix(e) : []));
  stays.push(...rec.flush(alice[alice.length - 1].t + 60_000));
  const walk = stays.filter((s) => s.start % 1440 < 8 * 60 + 25);
  assert.ok(walk.filter((s) => s.source & Source.ROUTE).length >= 18, 'about one route stay a minute of walking');
  // the café: no stay 300 m away (the wild point is ignored as coarse)
  const cafe = stays.filter((s) => s.start % 1440 >= 8 * 60 + 25);
  assert.ok(cafe.length >= 2 && cafe.every((s) => !(s.source & Source.ROUTE) && Math.abs(s.latE7 - cafe[0].latE7) < 500));
});

test('GPX: bad input is an InputError naming the file and the point', () => {
  const bad = (text: string, re: RegExp) => assert.throws(() => parseGpx(text, 'x.gpx'), (e: unknown) => e instanceof InputError && re.test(e.message));
  bad('<kml></kml>', /x\.gpx: not a GPX/);
  bad('<gpx></gpx>', /no track points/);
  bad('<gpx><trkpt lat="95" lon="0"><time>2026-03-10T08:00:00Z</time></trkpt></gpx>', /track point 1: lat/);
  bad('<gpx><trkpt lat="55" lon="0"><time>2026-03-10T08:00:00Z</time></trkpt><trkpt lat="55" lon="0"></trkpt></gpx>', /track point 2: needs a <time>/);
  bad('<gpx><trkpt lat="55" lon="0"><time>2026-03-10T08:00:00Z</time><hdop>-1</hdop></trkpt></gpx>', /hdop/);
  assert.throws(() => gpxPopulation([files[0], files[0]]), /two GPX files are named "alice"/);
});

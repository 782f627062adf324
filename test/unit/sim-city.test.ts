/**
 * The synthetic city's venue sizes (`seats`, `beeptrace sim --seats`; docs/PROTOCOL.md §15 item
 * 37): the radii are taken in turn, the default town is unchanged, and larger seats put a venue's
 * visitors farther from its middle without changing any other draw of the town.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { City, DEFAULT_SEATS } from '../../src/node/sim/mobility.ts';
import { equirectMetres, toE7 } from '../../src/core/geo.ts';
import type { SimEvent } from '../../src/node/sim/population.ts';

const firstDay = Math.floor(Date.UTC(2026, 2, 2) / 86_400_000);
const city = (seats?: number[]) => new City({ users: 200, days: 1, seed: 5, firstDay, seats });

test('venues take the seat radii in turn: 2j (QR) and 2j + 1 (GPS) have seats[j mod length]; default 4 m', () => {
  assert.deepEqual(DEFAULT_SEATS, [4]);
  assert.ok(city().venues.every((v) => v.seatRadius === 4));
  const radii = city([4, 6, 8, 10]).venues.map((v) => v.seatRadius);
  assert.ok(radii.length >= 6, `venues: ${radii.length}`);
  radii.forEach((r, k) => assert.equal(r, [4, 6, 8, 10][Math.floor(k / 2) % 4], `venue ${k}`));
});

test('larger seats spread a GPS venue\'s visitors, and change nothing else of the town', () => {
  const small = city();
  const large = city([12]);
  /** Mean distance from a GPS venue's middle of the fixes within 30 m of it, and how many. */
  function spread(c: City): { mean: number; n: number } {
    const gps = c.venues.filter((v) => !v.qr).map((v) => ({ lat: toE7(v.lat, 'lat'), lon: toE7(v.lon) }));
    let sum = 0;
    let n = 0;
    for (let u = 0; u < c.names.length; u++) {
      for (const e of c.events(u)) {
        if (e.kind !== 'fix') continue;
        for (const v of gps) {
          const d = equirectMetres(v.lat, v.lon, toE7(e.lat, 'lat'), toE7(e.lon));
          if (d <= 30) {
            sum += d;
            n++;
          }
        }
      }
    }
    return { mean: sum / n, n };
  }
  const a = spread(small);
  const b = spread(large);
  assert.ok(a.n > 200 && b.n > 200, `visits to measure: ${a.n}, ${b.n}`);
  // uniform in a disc of radius R: mean distance 2R/3 (2.7 m for 4 m, 8 m for 12 m), plus 3 m of fix noise
  assert.ok(b.mean > a.mean + 2, `mean distance from the venue's middle: ${a.mean.toFixed(1)} m → ${b.mean.toFixed(1)} m`);
  // the same homes, desks, routines and fix noise: every event away from the venues is the same
  const away = (c: City, u: number): SimEvent[] => c.events(u).filter((e) => e.kind !== 'fix' || !c.venues.some((v) => equirectMetres(toE7(v.lat, 'lat'), toE7(v.lon), toE7(e.lat, 'lat'), toE7(e.lon)) < 60));
  for (const u of [0, 1, 2, 50, 199]) assert.deepEqual(away(large, u), away(small, u), `user ${u}`);
});

test('a seat radius out of (0, 1000] metres is a RangeError', () => {
  assert.throws(() => city([4, 0]), { name: 'RangeError', message: /seat radii must be metres in \(0, 1000\], got 4,0/ });
  assert.throws(() => city([Number.NaN]), RangeError);
  assert.throws(() => city([1001]), RangeError);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  bboxContains,
  cellKey,
  distanceMetres,
  equirectMetres,
  fromE7,
  neighbourKeys,
  pointInPolygon,
  polygonBBox,
  snapE7,
  snapErrorMetres,
  toE7,
} from '../../src/core/geo.ts';
import { Precision, type PrecisionLevel } from '../../src/core/types.ts';

const R = 6_371_008.8;
const deg = (a: number, b: number, c: number, d: number) => distanceMetres(toE7(a, 'lat'), toE7(b), toE7(c, 'lat'), toE7(d));

/** Point at `metres` from (lat, lon) along `bearing` (radians), on the sphere, as E7 (direct geodesic problem). */
function destination(latE7: number, lonE7: number, bearing: number, metres: number): [number, number] {
  const p1 = (latE7 / 1e7) * (Math.PI / 180);
  const l1 = (lonE7 / 1e7) * (Math.PI / 180);
  const a = metres / R;
  const p2 = Math.asin(Math.sin(p1) * Math.cos(a) + Math.cos(p1) * Math.sin(a) * Math.cos(bearing));
  const l2 = l1 + Math.atan2(Math.sin(bearing) * Math.sin(a) * Math.cos(p1), Math.cos(a) - Math.sin(p1) * Math.sin(p2));
  let lon = (l2 * 180) / Math.PI;
  lon = ((((lon + 180) % 360) + 360) % 360) - 180;
  const lat = Math.max(-90, Math.min(90, (p2 * 180) / Math.PI));
  return [toE7(lat, 'lat'), toE7(lon)];
}

const latE7 = (maxDeg = 90) => fc.integer({ min: -maxDeg * 1e7, max: maxDeg * 1e7 });
const lonE7 = fc.integer({ min: -1_800_000_000, max: 1_800_000_000 });
/** Longitudes within 0.01° of the antimeridian, on either side. */
const antimeridianE7 = fc.oneof(fc.integer({ min: 1_799_900_000, max: 1_800_000_000 }), fc.integer({ min: -1_800_000_000, max: -1_799_900_000 }));
/** Latitudes near the ±85° limit. */
const nearPoleE7 = fc.oneof(fc.integer({ min: 845_000_000, max: 850_000_000 }), fc.integer({ min: -850_000_000, max: -845_000_000 }));

test('toE7 / fromE7: fixed point, half away from zero, range checks', () => {
  assert.equal(toE7(12.34567885, 'lat'), 123456789);
  assert.equal(toE7(2.5e-7), 3);
  assert.equal(toE7(-2.5e-7), -3);
  assert.equal(toE7(1.5e-7), 2);
  assert.equal(toE7(-1.5e-7), -2);
  assert.ok(Object.is(toE7(-1e-9), 0), 'no negative zero');
  assert.equal(toE7(-180), -1_800_000_000);
  assert.equal(toE7(90, 'lat'), 900_000_000);
  assert.equal(fromE7(123456789), 12.3456789);
  assert.throws(() => toE7(90.0000001, 'lat'), /lat 90.0000001/);
  assert.throws(() => toE7(-180.5), RangeError);
  assert.throws(() => toE7(NaN, 'lat'), RangeError);
  assert.throws(() => toE7(Infinity), RangeError);
  assert.throws(() => toE7('1' as unknown as number), TypeError);
  assert.throws(() => fromE7(900_000_001, 'lat'), RangeError);
  assert.throws(() => fromE7(1.5), RangeError);
  assert.equal(fromE7(1_800_000_000), 180);
});

test('toE7 ∘ fromE7 is the identity, and fromE7 ∘ toE7 is within half a unit (property)', () => {
  fc.assert(
    fc.property(lonE7, fc.double({ min: -180, max: 180, noNaN: true }), (e7, d) => {
      assert.equal(toE7(fromE7(e7)), e7);
      assert.ok(Math.abs(fromE7(toE7(d)) - d) <= 0.5e-7 + 1e-12);
    }),
    { numRuns: 500 },
  );
});

test('distanceMetres: 1° of latitude and of equatorial longitude ≈ 111.195 km', () => {
  assert.ok(Math.abs(deg(0, 0, 1, 0) - 111_195.08) < 0.01);
  assert.ok(Math.abs(deg(45, 10, 46, 10) - 111_195.08) < 0.01);
  assert.ok(Math.abs(deg(0, 0, 0, 1) - 111_195.08) < 0.01);
  // At 60° a degree of longitude is about half as long (a bit more: the great circle cuts the parallel).
  assert.ok(Math.abs(deg(60, 0, 60, 1) - 55_596) < 5);
  assert.equal(deg(48.85, 2.35, 48.85, 2.35), 0);
  assert.ok(Math.abs(deg(0, 0, 0, 180) - Math.PI * R) < 1e-6); // antipodes
});

test('distanceMetres: city pairs match published great-circle distances (R = 6371 km)', () => {
  const cases: [string, number, number, number, number, number][] = [
    ['London–Paris', 51.5074, -0.1278, 48.8566, 2.3522, 343_560],
    ['New York–Los Angeles', 40.7128, -74.006, 34.0522, -118.2437, 3_935_750],
    ['Sydney–Melbourne', -33.8688, 151.2093, -37.8136, 144.9631, 713_430],
  ];
  for (const [name, a, b, c, d, km] of cases) {
    const m = deg(a, b, c, d);
    assert.ok(Math.abs(m - km) / km < 0.001, `${name}: ${m}`);
    assert.equal(m, deg(c, d, a, b), `${name} symmetric`);
  }
  // Across the antimeridian: 0.0002° of longitude at the equator, not half the planet.
  assert.ok(Math.abs(deg(0, 179.9999, 0, -179.9999) - 22.239) < 0.001);
});

test('equirectMetres is within 0.5% of haversine below 1 km, for |lat| ≤ 85° and across ±180° (property)', () => {
  fc.assert(
    fc.property(latE7(85), fc.oneof(lonE7, antimeridianE7), fc.double({ min: 0, max: 2 * Math.PI, noNaN: true }), fc.double({ min: 1, max: 1000, noNaN: true }), (la, lo, b, m) => {
      const [la2, lo2] = destination(la, lo, b, m);
      const h = distanceMetres(la, lo, la2, lo2);
      const e = equirectMetres(la, lo, la2, lo2);
      assert.ok(Math.abs(e - h) <= 0.005 * h + 0.02, `h=${h} e=${e}`); // 2 cm: E7 rounding of nearby points
    }),
    { numRuns: 2000 },
  );
});

test('snapE7: EXACT is the identity; M10 / M100 give deterministic, idempotent cell centres', () => {
  assert.deepEqual(snapE7(485_584_123, 22_945_987, Precision.EXACT), { latE7: 485_584_123, lonE7: 22_945_987 });
  // Pinned values: the grid is part of what devices publish, so it must never change silently.
  assert.deepEqual(snapE7(0, 0, Precision.M10), { latE7: 450, lonE7: 450 });
  assert.deepEqual(snapE7(485_584_000, 22_945_000, Precision.M10), { latE7: 485_584_334, lonE7: 22_944_468 });
  assert.deepEqual(snapE7(900_000_000, 1_800_000_000, Precision.M100), { latE7: 900_000_000, lonE7: 0 });
  assert.throws(() => snapE7(900_000_001, 0, Precision.M10), /latE7/);
  assert.throws(() => snapE7(0, 1.5, Precision.M10), /lonE7/);
  assert.throws(() => snapE7(0, 0, 7 as PrecisionLevel), RangeError);
  assert.equal(snapErrorMetres(Precision.EXACT), 0);
  assert.ok(snapErrorMetres(Precision.M10) > 10 / Math.SQRT2 && snapErrorMetres(Precision.M10) < 7.1);
  assert.ok(snapErrorMetres(Precision.M100) > 100 / Math.SQRT2 && snapErrorMetres(Precision.M100) < 71);
});

test('snapE7: cells are about square, even at 60° N (adjacent centres ~size apart both ways)', () => {
  for (const [p, size] of [[Precision.M10, 10], [Precision.M100, 100]] as const) {
    const c = snapE7(600_000_000, 100_000_000, p);
    const north = snapE7(c.latE7 + Math.round((size / 111_195) * 1e7), c.lonE7, p);
    const east = snapE7(c.latE7, c.lonE7 + Math.round((size / 55_597) * 1e7), p);
    assert.equal(east.latE7, c.latE7);
    assert.ok(Math.abs(distanceMetres(c.latE7, c.lonE7, north.latE7, c.lonE7) - size) < 0.01 * size);
    assert.ok(Math.abs(distanceMetres(c.latE7, c.lonE7, east.latE7, east.lonE7) - size) < 0.01 * size);
  }
});

test('snapE7: the worst case, a cell corner on the equator side, is within snapErrorMetres and near it (property)', () => {
  fc.assert(
    fc.property(fc.oneof(latE7(85), nearPoleE7), lonE7, fc.constantFrom<PrecisionLevel>(Precision.M10, Precision.M100), (la, lo, p) => {
      // Rebuild the cell's bounds from the documented grid rule (Math.cos is close enough here).
      const size = p === Precision.M10 ? 10 : 100;
      const rowE7 = (size * 1e7) / 111_195;
      const row = Math.floor(la / rowE7);
      const n = Math.ceil((360 * 111_195 * Math.cos((((row + 0.5) * rowE7) / 1e7) * (Math.PI / 180))) / size);
      const w = 3.6e9 / n;
      const j = Math.floor((lo + 1.8e9) / w);
      const cornerLat = row >= 0 ? Math.ceil(row * rowE7) : Math.ceil((row + 1) * rowE7) - 1;
      const cornerLon = Math.ceil(j * w - 1.8e9);
      const s = snapE7(la, lo, p);
      fc.pre(cornerLon <= 1_800_000_000);
      fc.pre(JSON.stringify(snapE7(cornerLat, cornerLon, p)) === JSON.stringify(s)); // same cell
      const d = distanceMetres(cornerLat, cornerLon, s.latE7, s.lonE7);
      assert.ok(d <= snapErrorMetres(p), `${d} > ${snapErrorMetres(p)}`);
      assert.ok(d >= 0.99 * size * Math.SQRT1_2, `corner only ${d} m from the centre`);
    }),
    { numRuns: 2000 },
  );
});

test('snapE7: distance to the snapped centre ≤ snapErrorMetres, snapping is idempotent (property)', () => {
  fc.assert(
    fc.property(
      fc.oneof(latE7(85), nearPoleE7, latE7(89.5)),
      fc.oneof(lonE7, antimeridianE7),
      fc.constantFrom<PrecisionLevel>(Precision.M10, Precision.M100),
      (la, lo, p) => {
        const s = snapE7(la, lo, p);
        assert.ok(distanceMetres(la, lo, s.latE7, s.lonE7) <= snapErrorMetres(p), `${la},${lo} → ${s.latE7},${s.lonE7}`);
        assert.deepEqual(snapE7(s.latE7, s.lonE7, p), s);
      },
    ),
    { numRuns: 3000 },
  );
});

test('cellKey / neighbourKeys: a point is in its own block; far points are not', () => {
  const keys = neighbourKeys(485_584_000, 22_945_000, 50);
  assert.equal(keys.length, 9);
  assert.equal(new Set(keys).size, 9);
  assert.ok(keys.includes(cellKey(485_584_000, 22_945_000, 50)));
  // 200 m north or east is more than one cell away.
  const [n1, n2] = destination(485_584_000, 22_945_000, 0, 200);
  const [e1, e2] = destination(485_584_000, 22_945_000, Math.PI / 2, 200);
  assert.ok(!keys.includes(cellKey(n1, n2, 50)));
  assert.ok(!keys.includes(cellKey(e1, e2, 50)));
  // At the pole rows have a single column: fewer than 9 distinct keys, no duplicates.
  const pole = neighbourKeys(900_000_000, 0, 50);
  assert.equal(new Set(pole).size, pole.length);
  assert.ok(pole.length < 9 && pole.includes(cellKey(900_000_000, 1_234_567, 50)));
  assert.throws(() => cellKey(0, 0, 0.5), RangeError);
  assert.throws(() => neighbourKeys(0, 0, NaN), RangeError);
});

test('neighbourKeys holds every point within cellMetres, near ±85° and across ±180° too (property)', () => {
  fc.assert(
    fc.property(
      fc.oneof(latE7(90), nearPoleE7, latE7(1)),
      fc.oneof(lonE7, antimeridianE7),
      fc.constantFrom(1, 10, 37.5, 100, 1000, 25_000),
      fc.double({ min: 0, max: 2 * Math.PI, noNaN: true }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      (la, lo, cell, bearing, frac) => {
        const [la2, lo2] = destination(la, lo, bearing, frac * cell);
        fc.pre(distanceMetres(la, lo, la2, lo2) <= cell); // E7 rounding may push the last cm over
        assert.ok(neighbourKeys(la, lo, cell).includes(cellKey(la2, lo2, cell)), `${la},${lo} / ${la2},${lo2} cell ${cell}`);
        assert.ok(neighbourKeys(la2, lo2, cell).includes(cellKey(la, lo, cell)));
      },
    ),
    { numRuns: 5000 },
  );
});

test('neighbourKeys: pairs straddling the antimeridian, exactly', () => {
  // 10 m apart across ±180° at 85° S.
  const a = [-850_000_000, 1_799_999_500] as const;
  const b = [-850_000_000, -1_799_999_500] as const;
  assert.ok(distanceMetres(...a, ...b) < 10);
  assert.ok(neighbourKeys(...a, 10).includes(cellKey(...b, 10)));
  assert.equal(cellKey(0, 1_800_000_000, 10), cellKey(0, -1_800_000_000, 10)); // +180° is −180°
});

test('pointInPolygon: outer ring, hole (even-odd), concave shape, bbox', () => {
  const square = [
    [[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]],
    [[4, 4], [6, 4], [6, 6], [4, 6], [4, 4]],
  ];
  assert.equal(pointInPolygon(1, 1, square), true);
  assert.equal(pointInPolygon(5, 5, square), false, 'in the hole');
  assert.equal(pointInPolygon(11, 5, square), false);
  assert.equal(pointInPolygon(-0.001, 5, square), false);
  const u = [[[0, 0], [3, 0], [3, 3], [2, 3], [2, 1], [1, 1], [1, 3], [0, 3], [0, 0]]]; // a U
  assert.equal(pointInPolygon(1.5, 2, u), false, 'between the arms');
  assert.equal(pointInPolygon(0.5, 2, u), true);
  assert.equal(pointInPolygon(2.5, 2.9, u), true);
  assert.equal(pointInPolygon(1.5, 0.5, u), true);
  assert.equal(pointInPolygon(0, 0, []), false);
  const box = polygonBBox(square);
  assert.deepEqual(box, [0, 0, 10, 10]);
  assert.equal(bboxContains(box, 10, 0), true);
  assert.equal(bboxContains(box, 10.1, 5), false);
  assert.throws(() => polygonBBox([]), RangeError);
});

test('pointInPolygon agrees with a rectangle test and with its bbox (property)', () => {
  fc.assert(
    fc.property(fc.double({ min: -50, max: 50, noNaN: true }), fc.double({ min: -50, max: 50, noNaN: true }), (x, y) => {
      const rect = [[[-10, -20], [30, -20], [30, 5], [-10, 5], [-10, -20]]];
      const inRect = x > -10 && x < 30 && y > -20 && y < 5;
      if (x !== -10 && x !== 30 && y !== -20 && y !== 5) assert.equal(pointInPolygon(x, y, rect), inRect);
      if (pointInPolygon(x, y, rect)) assert.ok(bboxContains(polygonBBox(rect), x, y));
    }),
  );
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { StayRecorder } from '../../src/core/recorder.ts';
import { snapE7, toE7 } from '../../src/core/geo.ts';
import { Precision, Source, type Fix, type Stay } from '../../src/core/types.ts';

const MIN = 60_000;
/** 2020-05-01 08:00 UTC. */
const T0 = Date.UTC(2020, 4, 1, 8, 0, 0);
const M0 = T0 / MIN;
const HOME = { lat: 48.8566, lon: 2.3522 };
/** Degrees of latitude per metre. */
const DLAT = 1 / 111_195;

const at = (min: number, dLatMetres = 0, dLonMetres = 0, acc = 8, source?: number): Fix => ({
  t: T0 + min * MIN,
  lat: HOME.lat + dLatMetres * DLAT,
  lon: HOME.lon + dLonMetres * DLAT / Math.cos((HOME.lat * Math.PI) / 180),
  acc,
  source,
});
const feed = (rec: StayRecorder, fixes: Fix[]): Stay[] => fixes.flatMap((f) => rec.addFix(f));
const spans = (stays: Stay[]) => stays.map((s) => [s.start - M0, s.minutes]);

/** Invariants every emitted sequence must satisfy. */
function checkInvariants(stays: Stay[]): void {
  let end = -Infinity;
  for (const s of stays) {
    assert.ok(Number.isInteger(s.start) && Number.isInteger(s.minutes), 'whole minutes');
    assert.ok(s.minutes >= 1 && s.minutes <= 30, `minutes ${s.minutes}`);
    assert.equal(Math.floor(s.start / 1440), Math.floor((s.start + s.minutes - 1) / 1440), 'crosses midnight');
    assert.ok(s.start >= end, `overlap: starts ${s.start} before ${end}`);
    end = s.start + s.minutes;
    assert.ok(Number.isInteger(s.radius) && s.radius >= 0 && s.radius <= 65535);
    assert.ok((s.source & 31) >= 1 && s.source <= 63 && !(s.venue && s.source & Source.ROUTE));
  }
}

test('stationary for 2 h → four 30-minute stays at the same snapped place', () => {
  const rec = new StayRecorder();
  const stays = [...feed(rec, Array.from({ length: 120 }, (_, i) => at(i))), ...rec.flush(T0 + 120 * MIN)];
  assert.deepEqual(spans(stays), [[0, 30], [30, 30], [60, 30], [90, 30]]);
  const snap = snapE7(toE7(HOME.lat, 'lat'), toE7(HOME.lon), Precision.M10);
  for (const s of stays) {
    // 30 identical fixes of accuracy 8: no spread, the receiver error of their mean, 8/√30 → 1 m
    assert.deepEqual([s.latE7, s.lonE7, s.radius, s.source, s.precision], [snap.latE7, snap.lonE7, 1, Source.GNSS, Precision.M10]);
    assert.equal(s.venue, undefined);
    assert.equal('venue' in s, false);
  }
});

test('no records while stationary: a stay is only emitted when cut, left or flushed', () => {
  const rec = new StayRecorder();
  for (let i = 0; i < 29; i++) assert.deepEqual(rec.addFix(at(i)), []);
  assert.deepEqual(spans(rec.addFix(at(30))), [[0, 30]]);
  const open = rec.openStay();
  assert.ok(open);
  assert.equal(open.start, M0 + 30);
  assert.equal(open.minutes, 1);
});

test('walking away → the stay closes at the new fix and a new one starts there', () => {
  const rec = new StayRecorder();
  const stays = feed(rec, [at(0), at(5), at(10), at(12, 100, 0), at(14, 101, 0), at(20, 300, 0)]);
  assert.deepEqual(spans(stays), [[0, 12], [12, 8]]);
  assert.notDeepEqual([stays[0].latE7, stays[0].lonE7], [stays[1].latE7, stays[1].lonE7]);
  assert.deepEqual(spans(rec.flush(T0 + 25 * MIN)), [[20, 5]]);
});

test('GPS jitter within the radius of the first fix → one stay, centred on the mean, radius = RMS spread', () => {
  const rec = new StayRecorder({ precision: Precision.EXACT });
  const jitter = [[0, 0], [12, -8], [-15, 10], [20, 3], [-5, -22], [9, 9], [24, 0], [0, -24]];
  const stays = [...feed(rec, jitter.map(([n, e], i) => at(i * 2, n, e, 12))), ...rec.flush(T0 + 20 * MIN)];
  assert.deepEqual(spans(stays), [[0, 20]]);
  const mn = jitter.reduce((a, [n]) => a + n, 0) / jitter.length;
  const me = jitter.reduce((a, [, e]) => a + e, 0) / jitter.length;
  const rms = Math.sqrt(jitter.reduce((a, [n, e]) => a + (n - mn) ** 2 + (e - me) ** 2, 0) / jitter.length);
  assert.ok(Math.abs(stays[0].latE7 - toE7(HOME.lat + mn * DLAT, 'lat')) <= 2, 'mean latitude');
  assert.ok(Math.abs(stays[0].lonE7 - toE7(HOME.lon + (me * DLAT) / Math.cos((HOME.lat * Math.PI) / 180))) <= 2, 'mean longitude');
  assert.equal(stays[0].radius, Math.round(rms));
  assert.equal(stays[0].precision, Precision.EXACT);
});

test('radius of identical fixes is best accuracy / √n (rounded), clamped to 65535; source is the OR of the sources', () => {
  const rec = new StayRecorder();
  const stays = [...feed(rec, [at(0, 0, 0, 5, Source.WIFI), at(1, 0, 0, 40.2), at(2, 0, 0, 3, Source.GNSS)]), ...rec.flush(T0 + 5 * MIN)];
  assert.equal(stays[0].radius, Math.round(3 / Math.sqrt(3)));
  assert.equal(stays[0].source, Source.WIFI | Source.GNSS);
  const wide = new StayRecorder({ radiusMetres: 65535, maxAccuracyMetres: Infinity });
  wide.addFix(at(0, 0, 0, 1e6));
  assert.equal(wide.flush(T0 + 3 * MIN)[0].radius, 65535);
});

test('coarse fixes (accuracy > 3 × radius) are ignored: they neither move nor extend a stay', () => {
  const rec = new StayRecorder({ bridgeMinutes: 0 });
  const stays = feed(rec, [at(0), at(2), at(5, 2000, 0, 900), at(8, 0, 0, 76), at(13, 0, 0, 500), at(20)]);
  // The stay ends at last good fix (2) + gap (10); the coarse ones at 5, 8 and 13 did not count.
  assert.deepEqual(spans(stays), [[0, 12]]);
  assert.equal(stays[0].radius, Math.round(8 / Math.sqrt(2)), 'only the two good fixes of the stay count');
  assert.equal(new StayRecorder().addFix(at(0, 0, 0, Infinity)).length, 0);
});

test('a UTC midnight splits a stay', () => {
  const rec = new StayRecorder();
  const t = Date.UTC(2020, 4, 1, 23, 50);
  const fixes = Array.from({ length: 30 }, (_, i) => ({ t: t + i * MIN, lat: 1, lon: 2, acc: 5 }));
  const stays = [...feed(rec, fixes), ...rec.flush(t + 30 * MIN)];
  const midnight = Date.UTC(2020, 4, 2) / MIN;
  assert.deepEqual(stays.map((s) => [s.start - midnight, s.minutes]), [[-10, 10], [0, 20]]);
});

test('a gap longer than gapMinutes closes the stay at last fix + gap (no bridging)', () => {
  const rec = new StayRecorder({ bridgeMinutes: 0 });
  const stays = feed(rec, [at(0), at(5), at(60)]);
  assert.deepEqual(spans(stays), [[0, 15]]);
  assert.deepEqual(spans(rec.flush(T0 + 62 * MIN)), [[60, 2]]);
  // A gap of exactly gapMinutes is not "longer": the stay goes on.
  const rec2 = new StayRecorder({ gapMinutes: 5 });
  assert.deepEqual(spans([...feed(rec2, [at(0), at(5), at(10)]), ...rec2.flush(T0 + 12 * MIN)]), [[0, 12]]);
  // flush long after the last fix also honours the gap.
  const rec3 = new StayRecorder();
  rec3.addFix(at(0));
  assert.deepEqual(spans(rec3.flush(T0 + 300 * MIN)), [[0, 10]]);
});

test('venue check-in closes the position stay; check-out ends the venue stay, cut at 30 min', () => {
  const rec = new StayRecorder();
  feed(rec, [at(0), at(5)]);
  const closed = rec.checkIn('00112233445566AA', T0 + 10 * MIN);
  assert.deepEqual(spans(closed), [[0, 10]]);
  assert.equal(rec.openStay()?.venue, '00112233445566aa');
  const out = rec.checkOut(T0 + 55 * MIN);
  assert.deepEqual(spans(out), [[10, 30], [40, 15]]);
  for (const s of out) {
    assert.deepEqual([s.venue, s.latE7, s.lonE7, s.radius, s.source, s.precision], ['00112233445566aa', 0, 0, 0, Source.VENUE_QR, Precision.EXACT]);
  }
  assert.equal(rec.openStay(), null);
  assert.deepEqual(rec.checkOut(T0 + 60 * MIN), [], 'nothing left to check out');
});

test('a venue stay ends at the next fix, at another venue, or after maxVenueMinutes; rescans continue it', () => {
  const rec = new StayRecorder();
  rec.checkIn('aaaaaaaaaaaaaaaa', T0);
  assert.deepEqual(rec.checkIn('aaaaaaaaaaaaaaaa', T0 + 5 * MIN, Source.BEACON), [], 'same venue: continues');
  const a = rec.checkIn('bbbbbbbbbbbbbbbb', T0 + 20 * MIN);
  assert.deepEqual(a.map((s) => [s.start - M0, s.minutes, s.venue, s.source]), [[0, 20, 'aaaaaaaaaaaaaaaa', Source.VENUE_QR | Source.BEACON]]);
  const b = rec.addFix(at(27));
  assert.deepEqual(b.map((s) => [s.start - M0, s.minutes, s.venue]), [[20, 7, 'bbbbbbbbbbbbbbbb']]);
  assert.equal(rec.openStay()?.venue, undefined);
  // A forgotten check-out: the venue stay stops 240 min after the scan.
  const rec2 = new StayRecorder();
  rec2.checkIn('cccccccccccccccc', T0);
  const long = rec2.addFix(at(600));
  assert.equal(long.length, 8);
  assert.equal(long.reduce((n, s) => n + s.minutes, 0), 240);
  assert.throws(() => rec2.checkIn('xyz', T0 + 700 * MIN), /venueId/);
});

test('minutes: start floors, end rounds, consecutive stays share the boundary minute', () => {
  const rec = new StayRecorder();
  const s = T0 + 20_000; // 08:00:20
  rec.addFix({ t: s, lat: 1, lon: 1, acc: 5 });
  const a = rec.addFix({ t: s + 4 * MIN + 20_000, lat: 2, lon: 1, acc: 5 }); // 08:04:40 → rounds to 08:05
  assert.deepEqual(spans(a), [[0, 5]]);
  // The next stay opened at 08:04:40 starts at 08:05, not 08:04 (no double-counted minute).
  const b = rec.addFix({ t: s + 4 * MIN + 40_000, lat: 3, lon: 1, acc: 5 }); // 08:05:00: 0 min → dropped
  assert.deepEqual(b, []);
  const c = rec.flush(T0 + 7 * MIN + 29_000); // 08:07:29 → 08:07
  assert.deepEqual(spans(c), [[5, 2]]);
  // Under a minute in total: nothing.
  const rec2 = new StayRecorder();
  rec2.addFix({ t: T0, lat: 1, lon: 1, acc: 5 });
  assert.deepEqual(rec2.flush(T0 + 29_000), []);
});

test('late or duplicate fixes are ignored; bad fields throw RangeError naming the field', () => {
  const rec = new StayRecorder();
  rec.addFix(at(0));
  assert.deepEqual(rec.addFix(at(0, 500, 0)), [], 'duplicate time');
  assert.deepEqual(rec.addFix({ ...at(-3, 500, 0) }), [], 'out of order');
  assert.deepEqual(spans(rec.flush(T0 + 4 * MIN)), [[0, 4]]);
  assert.throws(() => rec.addFix({ t: T0 + 5 * MIN, lat: NaN, lon: 0, acc: 1 }), { name: 'RangeError', message: /fix\.lat/ });
  assert.throws(() => rec.addFix({ t: T0 + 5 * MIN, lat: 91, lon: 0, acc: 1 }), { name: 'RangeError', message: /fix\.lat/ });
  assert.throws(() => rec.addFix({ t: T0 + 5 * MIN, lat: 0, lon: 180.5, acc: 1 }), { name: 'RangeError', message: /fix\.lon/ });
  assert.throws(() => rec.addFix({ t: T0 + 5 * MIN, lat: 0, lon: 0, acc: -1 }), { name: 'RangeError', message: /fix\.acc/ });
  assert.throws(() => rec.addFix({ t: T0 + 5 * MIN, lat: 0, lon: 0, acc: NaN }), { name: 'RangeError', message: /fix\.acc/ });
  assert.throws(() => rec.addFix({ t: NaN, lat: 0, lon: 0, acc: 1 }), { name: 'RangeError', message: /fix\.t/ });
  assert.throws(() => rec.addFix({ t: T0 + 5 * MIN, lat: 0, lon: 0, acc: 1, source: 64 }), { name: 'RangeError', message: /fix\.source/ });
  assert.throws(() => new StayRecorder({ maxStayMinutes: 31 }), /maxStayMinutes/);
  assert.throws(() => new StayRecorder({ radiusMetres: 0 }), /radiusMetres/);
  // Edge values are accepted: poles, ±180°, zero accuracy, source 0 (= unknown = GNSS).
  const edge = new StayRecorder({ precision: Precision.M100 });
  const out = [
    ...edge.addFix({ t: T0, lat: 90, lon: 180, acc: 0, source: 0 }),
    ...edge.addFix({ t: T0 + MIN, lat: -90, lon: -180, acc: 0 }),
    ...edge.flush(T0 + 3 * MIN),
  ];
  // the first is a route stay (§11.5: one fix, left within a minute): its centre is half-way, in range
  assert.deepEqual(out.map((s) => [s.minutes, s.source, s.precision]), [[1, Source.GNSS | Source.ROUTE, Precision.M100], [2, Source.GNSS, Precision.M100]]);
  assert.ok(Math.abs(out[0].latE7) <= 900_000_000 && Math.abs(out[0].lonE7) <= 1_800_000_000);
  assert.equal(out[1].latE7, snapE7(-900_000_000, -1_800_000_000, Precision.M100).latE7);
});

test('check-in / flush times earlier than the last fix are moved up to it', () => {
  const rec = new StayRecorder();
  feed(rec, [at(0), at(10)]);
  assert.deepEqual(spans(rec.checkIn('0123456789abcdef', T0 + 3 * MIN)), [[0, 10]]);
  assert.deepEqual(spans(rec.flush(T0 + 2 * MIN)), []);
  assert.equal(rec.openStay(), null);
});

/** A random walk: steps of 1 s–15 min, moves of 0–60 m, some late fixes, then a flush. */
const walk = fc.record({
  start: fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2020, 11, 31) }),
  steps: fc.array(
    fc.record({ dt: fc.integer({ min: 1000, max: 15 * MIN }), north: fc.double({ min: -60, max: 60, noNaN: true }), east: fc.double({ min: -60, max: 60, noNaN: true }), acc: fc.integer({ min: 0, max: 75 }), late: fc.boolean() }),
    { minLength: 1, maxLength: 300 },
  ),
  tail: fc.integer({ min: 0, max: 40 * MIN }),
});

test('sparse fixes: a gap of up to bridgeMinutes is bridged when the next fix is at the same place', () => {
  // a 90-minute visit seen every 30 minutes: credited 90 minutes (was 3 × 10)
  const rec = new StayRecorder();
  const stays = [...feed(rec, [at(0), at(30, 5, 5), at(60, -5, 0), at(90)]), ...rec.flush(T0 + 90 * MIN)];
  assert.deepEqual(spans(stays), [[0, 30], [30, 30], [60, 30]]);
  // pieces take the centre of the fixes they hold; all here snap to one 10 m cell or its neighbour
  for (const s of stays) assert.ok(Math.abs(s.latE7 - stays[0].latE7) < 2000);
  // elsewhere after the gap: not bridged, the stay ended at last fix + gap
  const away = new StayRecorder();
  assert.deepEqual(spans(feed(away, [at(0), at(30, 200, 0)])), [[0, 10]]);
  // longer than bridgeMinutes: not bridged either
  const late = new StayRecorder({ bridgeMinutes: 20 });
  assert.deepEqual(spans(feed(late, [at(0), at(30)])), [[0, 10]]);
});

test('total minutes of emitted stays = minutes covered by observation; no overlap, ≤ 30 min, no midnight crossing (property)', () => {
  fc.assert(
    fc.property(walk, ({ start, steps, tail }) => {
      const rec = new StayRecorder({ bridgeMinutes: 0 }); // the gap rule alone (bridging: its own test)
      const gap = 10 * MIN;
      const stays: Stay[] = [];
      // Model: observed segments are runs of accepted fixes no more than `gap` apart; a segment
      // ends at its last fix + gap, or at the flush if sooner. Covered minutes = the union of
      // [floor(segment start), round(segment end)) in minutes.
      const segs: [number, number][] = [];
      let t = start;
      let lat = 40;
      let lon = 179.99;
      let last = -Infinity;
      for (const s of steps) {
        t += s.dt;
        lat += s.north * DLAT;
        lon += s.east * DLAT;
        if (lon > 180) lon -= 360; // walks across the antimeridian too
        const ft = s.late ? t - 2 * s.dt : t;
        stays.push(...rec.addFix({ t: ft, lat, lon, acc: s.acc }));
        if (ft <= last) continue;
        if (ft - last > gap) segs.push([ft, ft]);
        segs[segs.length - 1][1] = ft;
        last = ft;
      }
      const flushAt = last + tail;
      stays.push(...rec.flush(flushAt));
      let covered = 0;
      let maxEnd = -Infinity;
      segs.forEach(([a, b], i) => {
        const end = i === segs.length - 1 ? Math.min(b + gap, flushAt) : b + gap;
        const lo = Math.max(Math.floor(a / MIN), maxEnd);
        const hi = Math.round(end / MIN);
        covered += Math.max(0, hi - lo);
        maxEnd = Math.max(maxEnd, hi);
      });
      checkInvariants(stays);
      assert.equal(stays.reduce((n, s) => n + s.minutes, 0), covered);
    }),
    { numRuns: 400 },
  );
});

test('mixed fixes, coarse fixes, check-ins, check-outs and flushes: never > 30 min, never across midnight, never overlapping (property)', () => {
  const event = fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('fix' as const), dt: fc.integer({ min: 0, max: 90 * MIN }), m: fc.double({ min: -100, max: 100, noNaN: true }), acc: fc.integer({ min: 0, max: 300 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('in' as const), dt: fc.integer({ min: -MIN, max: 300 * MIN }), venue: fc.constantFrom('aaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbb') }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('out' as const, 'flush' as const), dt: fc.integer({ min: -MIN, max: 300 * MIN }) }) },
  );
  fc.assert(
    fc.property(fc.integer({ min: Date.UTC(2021, 0, 1), max: Date.UTC(2021, 0, 3) }), fc.array(event, { maxLength: 200 }), fc.constantFrom(Precision.EXACT, Precision.M10, Precision.M100), (start, events, precision) => {
      const rec = new StayRecorder({ precision });
      const stays: Stay[] = [];
      let t = start;
      let lat = -33.9;
      for (const e of events) {
        t += e.dt;
        if (e.kind === 'fix') stays.push(...rec.addFix({ t, lat: (lat += e.m * DLAT), lon: 151.2, acc: e.acc }));
        else if (e.kind === 'in') stays.push(...rec.checkIn(e.venue, t));
        else if (e.kind === 'out') stays.push(...rec.checkOut(t));
        else stays.push(...rec.flush(t));
      }
      stays.push(...rec.flush(t + 500 * MIN));
      checkInvariants(stays);
      for (const s of stays) assert.equal(s.precision, s.venue === undefined ? precision : Precision.EXACT);
      assert.equal(rec.openStay(), null);
    }),
    { numRuns: 400 },
  );
});

test('route stays (§11.5): a walker\'s minute is centred at its middle, whatever second the fixes come at; radius √(L²/12 + acc²); survives a snapshot', () => {
  // two people walking north at 80 m/min, A's fixes at :10, B's at :50 of each minute
  const walker = (second: number) => Array.from({ length: 6 }, (_, m) => ({ t: T0 + m * MIN + second * 1000, lat: HOME.lat + ((m * 60 + second) / 60) * 80 * DLAT, lon: HOME.lon, acc: 5 }));
  const a = new StayRecorder({ precision: Precision.EXACT });
  const b = new StayRecorder({ precision: Precision.EXACT });
  const sa = feed(a, walker(10));
  const fixesB = walker(50);
  const sb = feed(b, fixesB.slice(0, 3));
  const saved = JSON.parse(JSON.stringify(b.snapshot()));
  const b2 = new StayRecorder({ precision: Precision.EXACT });
  b2.restore(saved);
  sb.push(...feed(b2, fixesB.slice(3)));
  assert.equal(sa.length, 5);
  // B's first stay starts at minute 0 and ends at round(1:50) = 2, so it takes two minutes; from
  // then on, both publish [m, m + 1) stays
  const byStart = new Map(sb.map((s) => [s.start, s]));
  let same = 0;
  for (const x of sa) {
    assert.ok(x.source & Source.ROUTE, 'route flag');
    assert.equal(x.radius, Math.round(Math.sqrt(80 ** 2 / 12 + 25)), 'radius √(80²/12 + 5²) = 24');
    const y = byStart.get(x.start);
    if (!y || y.minutes !== x.minutes) continue;
    same++;
    assert.ok(y.source & Source.ROUTE, 'route flag');
    // both centres are the position at the middle of the stay's minute (80 m/min: 40 m into it)
    const want = toE7(HOME.lat + (x.start - M0 + 0.5) * 80 * DLAT, 'lat');
    assert.ok(Math.abs(x.latE7 - want) < 20 && Math.abs(y.latE7 - want) < 20, `minute ${x.start - M0}: ${x.latE7 - want}, ${y.latE7 - want}`);
  }
  assert.ok(same >= 3, `aligned minutes: ${same}`);
  // a sitter who leaves after four minutes is not a route stay
  const sit = new StayRecorder();
  const out = [...feed(sit, [at(0), at(1), at(2), at(3), at(4, 200)])];
  assert.equal(out.length, 1);
  assert.equal(out[0].source & Source.ROUTE, 0, 'four minutes at one place is an ordinary stay');
});

test('an open venue stay (no fix yet) survives a snapshot through JSON and closes the same as without it', () => {
  const T = Date.UTC(2026, 10, 30, 9, 0);
  const a = new StayRecorder();
  a.checkIn('00112233445566aa', T);
  const saved = JSON.parse(JSON.stringify(a.snapshot()));
  assert.equal(saved.open.minAcc, null, 'no Infinity in JSON');
  const b = new StayRecorder();
  b.restore(saved);
  assert.equal(b.openStay()?.venue, '00112233445566aa');
  const closed = b.checkOut(T + 30 * 60_000);
  assert.deepEqual(closed.map((s) => [s.venue, s.minutes]), [['00112233445566aa', 30]]);
  assert.deepEqual(closed, a.checkOut(T + 30 * 60_000));
  assert.throws(() => new StayRecorder().restore({ ...saved, open: { ...saved.open, minAcc: 'x' } }), TypeError);
});

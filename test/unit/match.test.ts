/**
 * The matcher (docs/PROTOCOL.md §11.2) against a brute-force oracle: for every user-day, every
 * minute, the highest contact probability over all pairs, summed and rounded — on random stays at
 * cell edges, around midnight, at every precision. Plus the solver's output on shuffled input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ExposureMatcher, PRIOR48, contactProbability, detExpNeg, pairProbability, spread48, type OwnedStay } from '../../src/core/match.ts';
import { DEFAULT_POLICY, levelFor } from '../../src/core/policy.ts';
import { Precision, Source, type PrecisionLevel, type Stay } from '../../src/core/types.ts';

const DAY = 20_514;
const LAT = 558_721_234;
const LON = -42_882_345;
const E7_PER_M = 1e7 / 111_195;

/** A stay near a point of the 10 m grid's and index grid's edges, within ±40 m, on DAY or DAY+1, near midnight or not. */
const stayArb = fc.record({
  north: fc.integer({ min: -400, max: 400 }),
  east: fc.integer({ min: -400, max: 400 }),
  day: fc.integer({ min: 0, max: 1 }),
  start: fc.oneof(fc.integer({ min: 1380, max: 1439 }), fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 1439 })),
  minutes: fc.integer({ min: 1, max: 30 }),
  radius: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 13, max: 40 })),
  precision: fc.constantFrom<PrecisionLevel>(Precision.EXACT, Precision.M10, Precision.M100),
  route: fc.boolean(),
}).map((r): Stay => {
  const start = (DAY + r.day) * 1440 + r.start;
  return {
    start,
    minutes: Math.min(r.minutes, 1440 - r.start), // never across midnight
    latE7: LAT + Math.round((r.north / 10) * E7_PER_M),
    lonE7: LON + Math.round((r.east / 10) * E7_PER_M * 1.78),
    radius: r.radius,
    source: r.route ? Source.GNSS | Source.ROUTE : Source.GNSS,
    precision: r.precision,
  };
});

/**
 * All pairs, every minute: what §11.2 says, written the slow way. A route stay against a route
 * stay counts at a minute with min(its probability, the same patient's best route-to-route
 * probability at the minute before or after).
 */
function oracle(user: Stay[], owner: string, patients: OwnedStay[], t: number): number {
  const best = new Map<number, number>();
  const route = new Map<string, Map<number, number>>(); // patient → minute → route-to-route probability
  for (const u of user) {
    for (const p of patients) {
      if (p.owner === owner) continue;
      const q = pairProbability(u, p, t);
      const both = u.source & p.source & Source.ROUTE;
      const r = route.get(p.owner) ?? route.set(p.owner, new Map()).get(p.owner)!;
      for (let m = Math.max(u.start, p.start); m < Math.min(u.start + u.minutes, p.start + p.minutes); m++) {
        if (both) r.set(m, Math.max(r.get(m) ?? 0, q));
        else best.set(m, Math.max(best.get(m) ?? 0, q));
      }
    }
  }
  for (const r of route.values()) for (const [m, q] of r) best.set(m, Math.max(best.get(m) ?? 0, Math.min(q, Math.max(r.get(m - 1) ?? 0, r.get(m + 1) ?? 0))));
  let sum = 0;
  for (const q of best.values()) sum += q;
  return Math.floor((sum + 16384) / 65536); // a minute from 0.75 expected minutes
}

test('matcher = brute-force all pairs, per minute (random stays: cell edges, midnight, every precision)', () => {
  fc.assert(
    fc.property(fc.array(stayArb, { minLength: 1, maxLength: 12 }), fc.array(fc.tuple(stayArb, fc.constantFrom('p1', 'p2', 'me')), { minLength: 1, maxLength: 16 }), (mine, theirs) => {
      // a user-day has one day; stays of two days (across midnight) must be summed alike
      const user = [...mine].sort((a, b) => a.start - b.start);
      const patients: OwnedStay[] = theirs.map(([s, owner]) => ({ ...s, owner }));
      const got = new ExposureMatcher(patients, DEFAULT_POLICY).scan(user, 'me');
      const want = oracle(user, 'me', patients, 10);
      assert.equal(got?.near.get(10) ?? 0, want);
      if (got) assert.equal(levelFor(DEFAULT_POLICY, got), levelFor(DEFAULT_POLICY, { near: new Map([[10, want]]), venue: 0 }));
    }),
    { numRuns: 300, seed: 10 },
  );
});

test('contact probability: the Rice CDF at known points, symmetric, monotone in distance', () => {
  // same centre, σ² = 25 per axis: P = 1 − e^(−t²/2σ²) = 1 − e^−2
  assert.equal(contactProbability(0, 10, 48 * 25, 0), Math.floor((1 - Math.exp(-2)) * 65536 + 0.5));
  assert.equal(contactProbability(81, 10, 0, 0), 65536, 'no uncertainty: a step at t');
  assert.equal(contactProbability(101, 10, 0, 0), 0);
  assert.equal(contactProbability(401, 10, 24, 0), 0, 'beyond 2t: 0');
  let prev = 65537;
  for (let d = 0; d <= 20; d += 0.5) {
    const p = contactProbability(d * d, 10, 48 * 12.5, 4 * 100 * 2);
    assert.ok(p <= prev, `monotone at ${d}`);
    prev = p;
  }
  assert.ok(contactProbability(100, 10, 2 * 600, 0) < 32768, 'centres exactly t apart with spread: less than even');
  for (const y of [0, 1e-9, 0.5, 0.6931471805599453, 3, 50, 700]) assert.ok(Math.abs(detExpNeg(y) - Math.exp(-y)) <= 1e-14 * Math.exp(-y), `e^-${y}`);
  assert.equal(detExpNeg(800), 0);
});

/** P(|c| ≤ x) for c ~ N((ν, 0), σ² per axis), by the midpoint rule over the disk in polar coordinates (no series). */
function diskProbability(nu: number, x: number, s2: number): number {
  const N = 300, M = 120;
  let sum = 0;
  for (let i = 0; i < N; i++) {
    const r = ((i + 0.5) * x) / N;
    for (let j = 0; j < M; j++) sum += Math.exp(-(r * r - 2 * r * nu * Math.cos(((j + 0.5) * Math.PI) / M) + nu * nu) / (2 * s2)) * r;
  }
  return (sum * (x / N) * (Math.PI / M)) / (Math.PI * s2);
}

test('with snapping, p is the chance of contact at the median of the centres\' true offset (§11.2), checked by numerical integration', () => {
  const t = 10;
  for (const [d, spread, snap] of [[0, 512, 800], [7, 512, 800], [10.9, 512, 800], [11.5, 656, 800], [14.1, 512, 800], [19, 400, 800], [6, 512, 400], [0, 512, 80_000]]) {
    const k = (PRIOR48 * t * t) / (PRIOR48 * t * t + snap);
    const v = (k * snap) / 48;
    let lo = 0, hi = k * d + 6 * Math.sqrt(v);
    for (let i = 0; i < 30; i++) {
      const mid = (lo + hi) / 2;
      if (diskProbability(k * d, mid, v) >= 0.5) hi = mid;
      else lo = mid;
    }
    const want = diskProbability(hi, t, spread / 48);
    const got = contactProbability(d * d, t, spread, snap) / 65536;
    assert.ok(Math.abs(got - want) < 0.004, `d ${d}, spread ${spread}, snap ${snap}: ${got} vs ${want}`);
  }
  // the snapping error is common to every minute, so it is taken at its median, not averaged: two
  // people at adjacent 10 m cells (centres 10.9 m apart, radius 4 each) are more likely than not
  // within 10 m (the mean of the snapping gave 0.51: 29 minutes of a café visit made 14.8, not high)
  assert.ok(contactProbability(10.9 ** 2, 10, spread48({ radius: 4, source: Source.GNSS }) * 2, 800) >= 0.55 * 65536);
  // and farther apart, less likely than the mean gave (0.12 two cells apart): fewer false minutes
  assert.ok(contactProbability(20 ** 2, 10, spread48({ radius: 4, source: Source.GNSS }) * 2, 800) < 0.05 * 65536);
  // a stay at one place spreads 2/3 as much as its fixes (the line between two fixes), a route stay as its path
  assert.equal(spread48({ radius: 6, source: Source.GNSS }), 576);
  assert.equal(spread48({ radius: 6, source: Source.GNSS | Source.ROUTE }), 864);
});

test('a pair matches the same both ways (user ↔ patient)', () => {
  fc.assert(
    fc.property(stayArb, stayArb, (a, b) => {
      assert.equal(pairProbability(a, b, 10), pairProbability(b, a, 10));
    }),
    { numRuns: 500, seed: 11 },
  );
});

test('the solver gives the same output on shuffled input', async () => {
  const { nodeCrypto: c } = await import('../../src/node/node-crypto.ts');
  const { World } = await import('../../src/node/sim/world.ts');
  const { UserKeys } = await import('../../src/core/keys.ts');
  const { solve } = await import('../../src/core/solver.ts');
  const { decodeBlock } = await import('../../src/core/codec/block.ts');
  const { Prng } = await import('../../src/core/prng.ts');
  const { Chain } = await import('../../src/core/types.ts');
  const w = await World.create({ crypto: c, startMs: (DAY + 1) * 86_400_000 + 3_600_000 });
  const r = new Prng(12);
  const users = Array.from({ length: 12 }, () => new UserKeys(c, r.bytes(32)));
  for (const [i, u] of users.entries()) {
    const stays = Array.from({ length: 6 }, (_, k): Stay => ({
      start: DAY * 1440 + 480 + k * 30, minutes: 30, latE7: LAT + Math.round(r.range(-15, 15) * E7_PER_M) + (i % 3) * 2000, lonE7: LON,
      radius: 1 + r.int(6), source: 1, precision: r.chance(0.5) ? Precision.EXACT : Precision.M10,
    }));
    await w.upload(u, DAY, stays);
  }
  w.advanceTo(w.nowMs + 3_600_000);
  await w.diagnose(users[0], DAY, 1);
  await w.diagnose(users[1], DAY, 1);
  const blocks: { id: Uint8Array; block: ReturnType<typeof decodeBlock> }[] = [];
  for (const e of w.ledger.entries(Chain.TRACING)) blocks.push({ id: e.id, block: decodeBlock((await w.ledger.get(e.id))!) });
  const run = (bs: typeof blocks) => solve({ crypto: c, policy: DEFAULT_POLICY, epochKeys: w.epochKeys, blocks: bs, timeSec: w.timeSec(), random: (n: number) => new Uint8Array(n).fill(7) } as Parameters<typeof solve>[0]);
  const a = run(blocks);
  assert.ok(a.exposures.length >= 2, `some exposures to compare (${a.exposures.length})`);
  for (const seed of [1, 2, 3]) {
    const b = run(new Prng(seed).shuffle([...blocks]));
    assert.deepEqual(b.notifications, a.notifications);
    assert.deepEqual(b.exposures.map((e) => [e.dayPub, e.level, e.minutes]).sort(), a.exposures.map((e) => [e.dayPub, e.level, e.minutes]).sort());
  }
});

test('moving people (§11.5 route stays): walking together 20 minutes counts (high at exact), whatever the fixes\' seconds; crossing or passing a door is none', async () => {
  const { StayRecorder } = await import('../../src/core/recorder.ts');
  const T0 = Date.UTC(2026, 2, 2, 8, 0);
  const M_LAT = 1 / 111_195;
  const M_LON = M_LAT / Math.cos((55.87 * Math.PI) / 180);
  const noise = new (await import('../../src/core/prng.ts')).Prng(5);
  /** Fixes a minute apart at `second` past each minute, walking east at `speed` m/s from `x0` metres, `y` metres north. */
  const walk = (second: number, x0: number, speed: number, minutes: number, y = 0, precision: PrecisionLevel = Precision.EXACT): Stay[] => {
    const rec = new StayRecorder({ precision });
    const out: Stay[] = [];
    for (let m = 0; m < minutes; m++) {
      const t = T0 + m * 60_000 + second * 1000;
      const x = x0 + speed * (t - T0) / 1000 + noise.normal() * 3;
      out.push(...rec.addFix({ t, lat: 55.87 + (y + noise.normal() * 3) * M_LAT, lon: -4.28 + x * M_LON, acc: 6 }));
    }
    out.push(...rec.flush(T0 + minutes * 60_000));
    return out;
  };
  for (const precision of [Precision.EXACT, Precision.M10]) {
    const a = walk(5, 0, 1.2, 22, 0, precision);
    assert.ok(a.filter((s) => s.source & Source.ROUTE).length >= 18, 'a walker publishes route stays');
    const m = new ExposureMatcher(a.map((s) => ({ ...s, owner: 'a' })), DEFAULT_POLICY);
    // B walks beside A (2 m to the north), its fixes 42 s later in each minute
    const together = m.scan(walk(47, 0, 1.2, 22, 2, precision), 'b');
    // exact: high risk; 10 m: the snapping error (a 10 m grid for a 10 m rule) leaves ~60 % per minute
    const want = precision === Precision.EXACT ? 15 : 10;
    assert.ok((together?.near.get(10) ?? 0) >= want, `walking together: ${together?.near.get(10)} minutes at precision ${precision}`);
    // C walks the other way and crosses A once: a few seconds within 10 m
    const crossing = m.scan(walk(30, 1.2 * 22 * 60, -1.2, 22, 3, precision), 'c');
    assert.equal(crossing?.near.get(10) ?? 0, 0, `crossing: precision ${precision}`);
    // D stands at a door on A's route for the whole time
    const rec = new StayRecorder({ precision });
    const door: Stay[] = [];
    for (let k = 0; k < 22; k++) door.push(...rec.addFix({ t: T0 + k * 60_000 + 20_000, lat: 55.87 + (4 + noise.normal() * 3) * M_LAT, lon: -4.28 + (700 + noise.normal() * 3) * M_LON, acc: 6 }));
    door.push(...rec.flush(T0 + 22 * 60_000));
    assert.equal(levelFor(DEFAULT_POLICY, m.scan(door, 'd') ?? { near: new Map(), venue: 0 }), 'none', `passing a door: precision ${precision}`);
  }
});

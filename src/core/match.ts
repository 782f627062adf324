/**
 * Exposure matching (docs/PROTOCOL.md §11.2, DESIGN §7). Built once from the patients' stays,
 * then fed every user-day's stays one at a time, so cost grows with the number of records and
 * not with records × patient records:
 *
 * - Each patient stay is put in the grid cell of every point within `reach` (the largest rule
 *   distance) of it, per UTC day. A user stay then looks in its own cell only.
 * - Each candidate pair gives each minute both stays cover a **contact probability**
 *   (`contactProbability`): how likely the two people were within the rule's distance, with each
 *   stay's spread (its radius; 2/3 of it for a stay at one place) and snapping error (its
 *   precision, the same at every minute, so taken at its median) as uncertainty. Per minute the
 *   highest over all patients counts; a rule's minutes are the sum, rounded at 3/4 (`ROUNDING`):
 *   one minute counts from 0.75. Route stays (a person walking, §11.5) count against each other
 *   with the receiver's error only, and a minute of them only with a neighbouring minute of the
 *   same patient (walking together, not crossing). This estimates; the old
 *   rule (threshold + worst-case slack) bounded, and at 10 m precision one "exposure" in three was
 *   false. Every step is IEEE-754 + − × / and integers, so every solver decides alike.
 * - Venue rule: a patient venue check-in matches user check-ins at the same venue id; a patient
 *   position inside a building polygon matches user positions inside the same polygon (only the
 *   few buildings that contain patient stays are indexed).
 * - Minutes are the union of overlaps, per rule threshold, over all patients (two patients in the
 *   same room do not double the minutes).
 *
 * @example
 * const m = new ExposureMatcher(patientStays, policy, buildings);
 * const minutes = m.scan(userStays, ownerKey); // { near: Map(10 → 22), venue: 0 }
 * levelFor(policy, minutes)
 * @module
 */
import { cellKey, equirectSquaredMetres, neighbourKeys } from './geo.ts';
import type { Policy } from './policy.ts';
import type { BuildingIndex } from './buildings.ts';
import { PRECISION_METRES, Source, type Stay } from './types.ts';

/** A patient stay, tagged with an owner key so a patient's own user-day never matches itself. */
export interface OwnedStay extends Stay {
  owner: string;
}

/** Overlap minutes of one user-day: per proximity threshold (metres → minutes), and at the same venue/building. */
export interface Minutes {
  near: Map<number, number>;
  venue: number;
}

/**
 * A stay's spread per axis, in 1/48 m² (an integer), the radius r being the root-mean-square
 * distance of its fixes from the centre:
 * - a **stay at one place**: r²/3 (`16·r²`). Between two fixes a minute apart the person is on the
 *   straight line between them (the path the exact computation and the recorder's routes assume),
 *   and a point at fraction τ of that line deviates from the centre by (1 − τ)·e₀ + τ·e₁: variance
 *   ((1 − τ)² + τ²) of a fix's, 2/3 of it over the minute. Of the fix's r²/2 per axis, r²/3.
 * - a **route stay** (`Source.ROUTE`): r²/2 (`24·r²`): its radius is the path walked during the
 *   minute, where the person really was, not the scatter of fixes around one place.
 * @example spread48({ radius: 6, source: Source.GNSS }) === 576 // 12 m² per axis
 */
export function spread48(s: Pick<Stay, 'radius' | 'source'>): number {
  return (s.source & Source.ROUTE ? 24 : 16) * s.radius * s.radius;
}

/**
 * The radius a **route stay** (`Source.ROUTE`, §11.5) counts with against another route stay: the
 * receiver's error only. Both centres are positions at the middle of the same minutes, so people
 * walking together are as far apart as their centres say; the path walked (in the radius) is
 * spread only against someone who stayed put.
 */
export const ROUTE_RADIUS = 3;
/**
 * Expected minutes are rounded with this offset (1/65536): ⌊(Σp + 16384) / 65536⌋, so a minute
 * counts from 0.75 expected minutes. "At least a minute" means 60 s of contact; half-up rounding
 * (0.5) let a few walk-bys (0.15–0.3 each) add up to a false minute (§15 item 35).
 */
export const ROUNDING = 16384;

/**
 * The spread of the pair (1/48 m², both sides summed): `spread48` of each, except that two route
 * stays count with `ROUTE_RADIUS` each.
 * @example pairSpread48(stayA, stayB) === spread48(stayA) + spread48(stayB) // unless both are route stays
 */
export function pairSpread48(a: Pick<Stay, 'radius' | 'source'>, b: Pick<Stay, 'radius' | 'source'>): number {
  if (a.source & b.source & Source.ROUTE) return 24 * (Math.min(ROUTE_RADIUS, a.radius) ** 2 + Math.min(ROUTE_RADIUS, b.radius) ** 2);
  return spread48(a) + spread48(b);
}

/**
 * A stay's snapping error per axis, in 1/48 m² (an integer): size² / 12, the true centre being
 * uniform in a grid cell of side `size` (0 at exact precision).
 * @example snap48({ precision: Precision.M10 }) === 400 // 8.33 m²
 */
export function snap48(s: Pick<Stay, 'precision'>): number {
  const size = PRECISION_METRES[s.precision] ?? 0;
  return 4 * size * size;
}

/**
 * e^−y for y ≥ 0 from + − × / only (so every engine gives the same bits, unlike `Math.exp`):
 * y = k·ln 2 + r with 0 ≤ r < ln 2, e^−r by its Taylor series (error < 1e−17), then k halvings.
 * @example detExpNeg(1) // 0.36787944117144233
 */
export function detExpNeg(y: number): number {
  if (!(y >= 0)) throw new RangeError(`detExpNeg: y must be ≥ 0, got ${y}`);
  if (y > 745) return 0;
  const k = Math.floor(y / LN2);
  const r = y - k * LN2;
  let s = 1;
  for (let i = 22; i >= 1; i--) s = 1 - (s * r) / i;
  for (let i = 0; i < k; i++) s *= 0.5;
  return s;
}
const LN2 = 0.6931471805599453;
/** Centres farther apart than REACH × t never count for threshold t (so the index stays local). */
export const REACH = 2;

/**
 * Prior of the offset between two people whose contact is in question, per axis, in units of t²/48:
 * t²/2, a root-mean-square distance of t. A tighter one (t²/4, the other person uniformly within t)
 * finds more contacts split by a 10 m grid but makes people 10–16 m apart "high" (§15 item 36).
 * @example const k = (PRIOR48 * t * t) / (PRIOR48 * t * t + snap48(a) + snap48(b)) // 0.75 for two 10 m stays, t = 10
 */
export const PRIOR48 = 24;
/** Newton steps for the median of the centre offset (`contactProbability`); fixed, so every solver stops alike. */
const MEDIAN_STEPS = 4;

/**
 * Probability, in 1/65536 (an integer 0..65536), that two people were within `t` metres of each
 * other at a minute both stays cover (docs/PROTOCOL.md §11.2), given:
 * - `d2`, the squared distance of the published centres (m²);
 * - `snap`, both stays' snapping variance per axis (1/48 m², `snap48` summed): the true offset c of
 *   the centres is the published one plus this Gaussian error. Prior: people whose contact is in
 *   question are about t apart (an offset ~ N(0, t²/2) per axis, `PRIOR48`), so
 *   c ~ N(k × published offset, k × snapping) with k = prior / (prior + snapping);
 * - `spread`, both stays' spread (1/48 m², `spread48` summed): how far from its centre a person is
 *   at a given minute, Gaussian noise new at every minute.
 * c is the same at every minute of the pair (the snapping of two fixed centres), so the minutes of
 * contact of a stay pair are n × f(|c|), f(x) = P(|x + noise| ≤ t), falling with |c|. A rule's
 * minutes are reached *more likely than not* exactly when they are reached at the **median** of
 * |c|: the result is f(median |c|), the CDF at t of a Rice distribution (a Poisson mixture of χ²
 * CDFs), the median found by `MEDIAN_STEPS` Newton steps on that CDF. Without snapping, c is the
 * published offset. Centres farther apart than `REACH` × t give 0. Deterministic: + − × / and
 * `detExpNeg` only.
 * @example contactProbability(0, 10, 48 * 25, 0) // 56667 ≈ 0.865: same centre, σ = 5 m per axis
 */
export function contactProbability(d2: number, t: number, spread: number, snap: number): number {
  const t2 = t * t;
  if (d2 > REACH * REACH * t2) return 0;
  if (snap <= 0) return toUnits(riceCdf(d2, t2, spread / 48));
  const k = (PRIOR48 * t2) / (PRIOR48 * t2 + snap);
  const nu2 = k * k * d2;
  const sc = (k * snap) / 48;
  // the median of |c|², by Newton's method from its value at ν = 0 (2·v·ln 2); it lies in [ν², ν² + 2v]
  let m = nu2 + 2 * sc * LN2;
  for (let i = 0; i < MEDIAN_STEPS; i++) {
    const cdf = riceCdf(nu2, m, sc);
    if (riceDensity > 0) m -= (cdf - 0.5) / riceDensity;
    if (m < 0) m = 0;
  }
  return toUnits(riceCdf(m, t2, spread / 48));
}
function toUnits(p: number): number {
  return Math.floor(Math.max(0, Math.min(1, p)) * 65536 + 0.5);
}
/** The density of |c|² at x2 of the last `riceCdf` call (Σⱼ wⱼ·cⱼ / (2·s2)); 0 after a step. */
let riceDensity = 0;
/**
 * P(|c|² ≤ x2) for c Gaussian in the plane with a mean of squared length nu2 and variance s2 per
 * axis (the Rice CDF): Σⱼ e^−μ μʲ/j! · (1 − e^−z Σᵢ≤ⱼ zⁱ/i!), μ = nu2/(2·s2), z = x2/(2·s2), summed
 * in the order of §11.2 so that every engine rounds alike; its density at x2 is left in
 * `riceDensity`. A step when σ is under 1/35 of the distances.
 */
function riceCdf(nu2: number, x2: number, s2: number): number {
  riceDensity = 0;
  if (s2 <= 0) return nu2 <= x2 ? 1 : 0;
  const mu = nu2 / (2 * s2);
  const z = x2 / (2 * s2);
  if (mu > 600 || z > 600) return nu2 <= x2 ? 1 : 0;
  let w = detExpNeg(mu);
  let c = detExpNeg(z);
  let cdfTail = c;
  let p = 0;
  let density = 0;
  for (let j = 0; ; j++) {
    if (j > 0) {
      w = (w * mu) / j;
      c = (c * z) / j;
      cdfTail += c;
    }
    p += w * (1 - cdfTail);
    density += w * c;
    if ((j > mu && w < 1e-12) || j > 2000) break;
  }
  riceDensity = density / (2 * s2);
  return p;
}

/**
 * The proximity estimate of §11.2 for one pair of position stays: the probability (1/65536) that
 * their people were within `t` metres of each other at a minute both stays cover.
 * @example pairProbability(userStay, patientStay, 10) >= 32768 // more likely than not
 */
export function pairProbability(a: Stay, b: Stay, t: number): number {
  return contactProbability(equirectSquaredMetres(a.latE7, a.lonE7, b.latE7, b.lonE7), t, pairSpread48(a, b), snap48(a) + snap48(b));
}

export class ExposureMatcher {
  private readonly thresholds: number[];
  /** Cell size of the index: no pair farther apart than REACH × the largest threshold can match. */
  private readonly reach: number;
  /** day → cell → patient position stays */
  private readonly cells = new Map<number, Map<number, OwnedStay[]>>();
  /** place key (venue id or building index) → patient stays there */
  private readonly places = new Map<string, OwnedStay[]>();
  private readonly patientBuildings: BuildingIndex | undefined;
  readonly patientStays: number;

  constructor(patients: OwnedStay[], policy: Policy, buildings?: BuildingIndex) {
    this.thresholds = [...new Set(policy.rules.filter((r) => r.withinMetres !== undefined).map((r) => r.withinMetres!))].sort((x, y) => x - y);
    const useVenue = policy.rules.some((r) => r.sameVenue);
    this.reach = Math.max(1, REACH * Math.max(0, ...this.thresholds));
    this.patientStays = patients.length;
    const used = new Set<number>();
    for (const s of patients) {
      if (s.venue !== undefined) {
        if (useVenue) push(this.places, `v:${s.venue}`, s);
        continue;
      }
      if (this.thresholds.length) {
        const day = Math.floor(s.start / 1440);
        let cells = this.cells.get(day);
        if (!cells) this.cells.set(day, (cells = new Map()));
        for (const k of neighbourKeys(s.latE7, s.lonE7, this.reach)) push(cells, k, s);
      }
      if (useVenue && buildings) {
        for (const b of buildings.containing(s.latE7, s.lonE7)) {
          push(this.places, `b:${b}`, s);
          used.add(b);
        }
      }
    }
    this.patientBuildings = buildings && used.size ? buildings.subset(used) : undefined;
  }

  /**
   * `contactProbability`, remembered: on a snapping grid the same distances and spreads recur
   * (a desk, a home), and the series costs ~2 µs where a lookup costs ~0.1 µs.
   */
  private probability(d2: number, t: number, spread: number, snap: number): number {
    if (d2 > REACH * REACH * t * t) return 0;
    // snap48 sums are < 2^17 (≤ 2 × 4 × 100²); spread × 2^17 + snap is exact below 2^53
    if (spread >= 2 ** 35 || snap >= 2 ** 17) return contactProbability(d2, t, spread, snap);
    let byD = this.memo.get(t);
    if (!byD) this.memo.set(t, (byD = new Map()));
    let bySpread = byD.get(d2);
    if (!bySpread) {
      if (byD.size >= 1 << 16) byD.clear();
      byD.set(d2, (bySpread = new Map()));
    }
    const k = spread * 2 ** 17 + snap;
    let q = bySpread.get(k);
    if (q === undefined) {
      q = contactProbability(d2, t, spread, snap);
      bySpread.set(k, q);
    }
    return q;
  }
  /** threshold → per-minute probabilities of the user-day being scanned (all 0 between scans) */
  private readonly scratch = new Map<number, Uint32Array>();
  /** threshold → squared distance → spread · 2^17 + snap → probability */
  private readonly memo = new Map<number, Map<number, Map<number, number>>>();

  /** Raise the probability of minutes [a, b) at threshold t to at least q (the day starts at minute day0). */
  private mark(near: Map<number, { pm: Uint32Array; lo: number; hi: number; other?: Map<number, number> }>, day0: number, t: number, a: number, b: number, q: number): void {
    let acc = near.get(t);
    if (!acc) {
      let pm = this.scratch.get(t);
      if (!pm) this.scratch.set(t, (pm = new Uint32Array(1440)));
      near.set(t, (acc = { pm, lo: 1440, hi: 0 }));
    }
    if (a >= day0 && b <= day0 + 1440) {
      const pm = acc.pm;
      for (let m = a - day0; m < b - day0; m++) if (pm[m] < q) pm[m] = q;
      if (a - day0 < acc.lo) acc.lo = a - day0;
      if (b - day0 > acc.hi) acc.hi = b - day0;
    } else {
      const o = (acc.other ??= new Map());
      for (let m = a; m < b; m++) if ((o.get(m) ?? 0) < q) o.set(m, q);
    }
  }

  /** True when no patient stay was given (nothing can match). */
  get empty(): boolean {
    return this.patientStays === 0;
  }

  /**
   * Overlap minutes of one user-day (all stays of one pseudonym-day), skipping patient stays with
   * the same `owner`. Returns null when nothing overlaps.
   */
  scan(stays: Stay[], owner: string): Minutes | null {
    /** threshold → per-minute probability of the day (1/65536), the highest over all patients */
    // per threshold: the day's per-minute probabilities (reused scratch, cleared below), the range
    // touched, and minutes of any other day (a user-day has one day; a caller may pass more)
    let near: Map<number, { pm: Uint32Array; lo: number; hi: number; other?: Map<number, number> }> | undefined;
    let day0 = 0;
    /** threshold + patient → minute → probability, of route-stay pairs */
    let routes: Map<string, { t: number; pm: Map<number, number> }> | undefined;
    let venue: [number, number][] | undefined;
    let lastLat = NaN, lastLon = NaN, lastKey = 0;
    for (const s of stays) {
      const end = s.start + s.minutes;
      if (s.venue !== undefined) {
        const list = this.places.get(`v:${s.venue}`);
        if (list) venue = overlaps(list, s.start, end, owner, venue);
        continue;
      }
      const cells = this.cells.get(Math.floor(s.start / 1440));
      let cand: OwnedStay[] | undefined;
      if (cells) {
        // consecutive stays at one place (a night at home is several of them) share their cell key
        if (s.latE7 !== lastLat || s.lonE7 !== lastLon) {
          lastKey = cellKey(s.latE7, s.lonE7, this.reach);
          lastLat = s.latE7;
          lastLon = s.lonE7;
        }
        cand = cells.get(lastKey);
      }
      if (cand) {
        const ra = spread48(s);
        const sa = snap48(s);
        const route = s.source & Source.ROUTE;
        for (const p of cand) {
          if (p.owner === owner) continue;
          const a = Math.max(s.start, p.start);
          const b = Math.min(end, p.start + p.minutes);
          if (b <= a) continue;
          const d2 = equirectSquaredMetres(s.latE7, s.lonE7, p.latE7, p.lonE7);
          const rv = route && p.source & Source.ROUTE ? pairSpread48(s, p) : ra + spread48(p);
          const sv = sa + snap48(p);
          const bothRoute = route && p.source & Source.ROUTE;
          for (const t of this.thresholds) {
            const q = this.probability(d2, t, rv, sv);
            if (!q) continue;
            if (!near) {
              near = new Map();
              day0 = Math.floor(s.start / 1440) * 1440;
            }
            if (bothRoute) {
              // kept aside: counts only where the same patient is also near at a neighbouring minute
              const k = `${t}\u0000${p.owner}`;
              let r = (routes ??= new Map()).get(k);
              if (!r) routes.set(k, (r = { t, pm: new Map() }));
              for (let m = a; m < b; m++) if ((r.pm.get(m) ?? 0) < q) r.pm.set(m, q);
              continue;
            }
            this.mark(near, day0, t, a, b, q);
          }
        }
      }
      if (this.patientBuildings) {
        for (const bi of this.patientBuildings.containing(s.latE7, s.lonE7)) {
          const list = this.places.get(`b:${bi}`);
          if (list) venue = overlaps(list, s.start, end, owner, venue);
        }
      }
    }
    // route stays against route stays (§11.2): a minute counts with the lower of its probability and
    // the higher of its neighbours' (the same patient's), so one minute of two people crossing does
    // not count and minutes of walking together do
    if (routes && near) {
      for (const { t, pm } of routes.values()) {
        for (const [m, q] of pm) {
          const e = Math.min(q, Math.max(pm.get(m - 1) ?? 0, pm.get(m + 1) ?? 0));
          if (e) this.mark(near, day0, t, m, m + 1, e);
        }
      }
    }
    if (!near && !venue) return null;
    const out: Minutes = { near: new Map(), venue: venue ? unionLength(venue) : 0 };
    // expected minutes of contact: the sum of the per-minute probabilities, rounded at 3/4 (ROUNDING)
    if (near) {
      for (const [t, { pm, lo, hi, other }] of near) {
        let sum = 0;
        for (let m = lo; m < hi; m++) sum += pm[m];
        pm.fill(0, lo, Math.max(lo, hi));
        if (other) for (const q of other.values()) sum += q;
        const minutes = Math.floor((sum + ROUNDING) / 65536);
        if (minutes) out.near.set(t, minutes);
      }
    }
    if (!venue && !out.near.size) return null;
    // a contact within a smaller threshold is also within every larger one
    for (const t of this.thresholds) {
      let best = out.near.get(t) ?? 0;
      for (const [u, m] of out.near) if (u <= t && m > best) best = m;
      if (best) out.near.set(t, best);
    }
    return out;
  }
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const l = m.get(k);
  if (l) l.push(v);
  else m.set(k, [v]);
}

function overlaps(list: OwnedStay[], start: number, end: number, owner: string, acc: [number, number][] | undefined): [number, number][] | undefined {
  for (const p of list) {
    if (p.owner === owner) continue;
    const a = Math.max(start, p.start);
    const b = Math.min(end, p.start + p.minutes);
    if (b > a) (acc ??= []).push([a, b]);
  }
  return acc;
}

/** Total length of a union of half-open intervals. @example unionLength([[0, 10], [5, 15]]) === 15 */
export function unionLength(iv: [number, number][]): number {
  if (iv.length === 1) return iv[0][1] - iv[0][0];
  iv.sort((x, y) => x[0] - y[0]);
  let total = 0;
  let [a, b] = iv[0];
  for (let i = 1; i < iv.length; i++) {
    const [c, d] = iv[i];
    if (c > b) {
      total += b - a;
      a = c;
      b = d;
    } else if (d > b) b = d;
  }
  return total + (b - a);
}

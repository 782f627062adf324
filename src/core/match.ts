/**
 * Exposure matching (docs/PROTOCOL.md §Solver, DESIGN §7). Built once from the patients' stays,
 * then fed every user-day's stays one at a time, so cost grows with the number of records and
 * not with records × patient records:
 *
 * - Each patient stay is put in the grid cell of every point within `reach` of it (the 3×3 block
 *   of cells of size `reach` around it), per UTC day. A user stay then looks in its own cell only.
 * - Candidates are checked exactly: centre distance ≤ withinMetres + slack, overlapping minutes.
 *   Slack = √(eA² + eB²) with e the worst snapping error of each stay's precision: the two
 *   snapping errors are independent, so they add in quadrature; this covers ~95% of pairs on a
 *   10 m grid, where the linear worst case (eA + eB) tripled the low-risk false alarms in `sim`.
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
import { cellKey, equirectMetres, neighbourKeys, snapErrorMetres } from './geo.ts';
import type { Policy } from './policy.ts';
import type { BuildingIndex } from './buildings.ts';
import type { Stay } from './types.ts';

/** A patient stay, tagged with an owner key so a patient's own user-day never matches itself. */
export interface OwnedStay extends Stay {
  owner: string;
}

/** Overlap minutes of one user-day: per proximity threshold (metres → minutes), and at the same venue/building. */
export interface Minutes {
  near: Map<number, number>;
  venue: number;
}

interface Grid {
  /** Cell size: the largest distance at which a patient stay can still match a user stay of this precision. */
  reach: number;
  /** day → cell → patient stays */
  cells: Map<number, Map<number, OwnedStay[]>>;
}

export class ExposureMatcher {
  private readonly thresholds: number[];
  private readonly maxThreshold: number;
  /** Largest snapping error among the patients' positions. */
  private readonly patientError: number;
  private readonly positions: OwnedStay[] = [];
  /** One grid per user precision level, built on first use, so cells fit the slack actually needed. */
  private readonly grids = new Map<number, Grid>();
  /** place key (venue id or building index) → patient stays there */
  private readonly places = new Map<string, OwnedStay[]>();
  private readonly patientBuildings: BuildingIndex | undefined;
  readonly patientStays: number;

  constructor(patients: OwnedStay[], policy: Policy, buildings?: BuildingIndex) {
    this.thresholds = [...new Set(policy.rules.filter((r) => r.withinMetres !== undefined).map((r) => r.withinMetres!))];
    const useVenue = policy.rules.some((r) => r.sameVenue);
    this.maxThreshold = Math.max(0, ...this.thresholds);
    this.patientStays = patients.length;
    let err = 0;
    const used = new Set<number>();
    for (const s of patients) {
      if (s.venue !== undefined) {
        if (useVenue) push(this.places, `v:${s.venue}`, s);
        continue;
      }
      if (this.thresholds.length) {
        this.positions.push(s);
        err = Math.max(err, snapErrorMetres(s.precision));
      }
      if (useVenue && buildings) {
        for (const b of buildings.containing(s.latE7, s.lonE7)) {
          push(this.places, `b:${b}`, s);
          used.add(b);
        }
      }
    }
    this.patientError = err;
    this.patientBuildings = buildings && used.size ? buildings.subset(used) : undefined;
  }

  /** The grid for user stays of a given precision (slack √(eUser² + ePatient²) on top of the threshold). */
  private grid(precision: number): Grid {
    let g = this.grids.get(precision);
    if (!g) {
      const eu = snapErrorMetres(precision as 0 | 1 | 2);
      const reach = Math.max(1, this.maxThreshold + Math.sqrt(eu * eu + this.patientError * this.patientError));
      g = { reach, cells: new Map() };
      for (const s of this.positions) {
        const day = Math.floor(s.start / 1440);
        let cells = g.cells.get(day);
        if (!cells) g.cells.set(day, (cells = new Map()));
        for (const k of neighbourKeys(s.latE7, s.lonE7, reach)) push(cells, k, s);
      }
      this.grids.set(precision, g);
    }
    return g;
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
    let near: Map<number, [number, number][]> | undefined;
    let venue: [number, number][] | undefined;
    let lastLat = NaN, lastLon = NaN, lastKey = 0;
    let lastGrid: Grid | undefined;
    for (const s of stays) {
      const end = s.start + s.minutes;
      if (s.venue !== undefined) {
        const list = this.places.get(`v:${s.venue}`);
        if (list) venue = overlaps(list, s.start, end, owner, venue);
        continue;
      }
      const g = this.positions.length ? this.grid(s.precision) : undefined;
      const cells = g?.cells.get(Math.floor(s.start / 1440));
      let cand: OwnedStay[] | undefined;
      if (cells) {
        // consecutive stays at one place (a night at home is 14 of them) share their cell key
        if (s.latE7 !== lastLat || s.lonE7 !== lastLon || g !== lastGrid) {
          lastKey = cellKey(s.latE7, s.lonE7, g!.reach);
          lastLat = s.latE7;
          lastLon = s.lonE7;
          lastGrid = g;
        }
        cand = cells.get(lastKey);
      }
      if (cand) {
        const ea = snapErrorMetres(s.precision);
        for (const p of cand) {
          if (p.owner === owner) continue;
          const a = Math.max(s.start, p.start);
          const b = Math.min(end, p.start + p.minutes);
          if (b <= a) continue;
          const d = equirectMetres(s.latE7, s.lonE7, p.latE7, p.lonE7);
          const eb = snapErrorMetres(p.precision);
          const slack = Math.sqrt(ea * ea + eb * eb);
          for (const t of this.thresholds) {
            if (d <= t + slack) {
              near ??= new Map();
              let iv = near.get(t);
              if (!iv) near.set(t, (iv = []));
              iv.push([a, b]);
            }
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
    if (!near && !venue) return null;
    const out: Minutes = { near: new Map(), venue: venue ? unionLength(venue) : 0 };
    if (near) for (const [t, iv] of near) out.near.set(t, unionLength(iv));
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

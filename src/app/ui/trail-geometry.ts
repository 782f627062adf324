/**
 * Projects the user's own stays onto a local plane for drawing: equirectangular around the
 * stays' centre (metres east and north; fine at the scale of a day's walk), fitted into a
 * viewBox with a margin, plus a scale bar of a round length (1, 2 or 5 × 10ⁿ metres).
 * Pure: no DOM.
 * @example
 * const g = projectStays(stays, 320, 240);
 * g.points[0].x; g.scale.metres; // e.g. 200
 * @module
 */
import type { Stay } from '../../core/types.ts';

const M_PER_DEG_LAT = 111_320;

export interface TrailPoint { x: number; y: number; r: number; stay: Stay }
export interface TrailGeometry {
  width: number;
  height: number;
  points: TrailPoint[];
  /** Metres per drawing unit. */
  metresPerUnit: number;
  /** A scale bar: its length in metres and in drawing units. */
  scale: { metres: number; units: number };
}

/** The largest 1, 2 or 5 × 10ⁿ not above `x` (x > 0). @example niceBelow(730) === 500 */
export function niceBelow(x: number): number {
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [5, 2, 1]) if (m * p <= x) return m * p;
  return p;
}

/**
 * Fit `stays` into width × height units (y grows downwards, north is up). Circles keep their
 * radius in metres (at least 4 units, so a precise stay stays visible). The plane spans at least
 * 100 m so one stay does not fill the picture.
 */
export function projectStays(stays: readonly Stay[], width: number, height: number, margin = 24): TrailGeometry {
  if (stays.length === 0) return { width, height, points: [], metresPerUnit: 1, scale: { metres: 0, units: 0 } };
  const lat0 = stays.reduce((s, x) => s + x.latE7, 0) / stays.length / 1e7;
  const lon0 = stays.reduce((s, x) => s + x.lonE7, 0) / stays.length / 1e7;
  const kx = M_PER_DEG_LAT * Math.cos((lat0 * Math.PI) / 180);
  const xy = stays.map((s) => ({ e: (s.lonE7 / 1e7 - lon0) * kx, n: (s.latE7 / 1e7 - lat0) * M_PER_DEG_LAT, s }));
  let minE = Infinity, maxE = -Infinity, minN = Infinity, maxN = -Infinity;
  for (const p of xy) {
    minE = Math.min(minE, p.e - p.s.radius); maxE = Math.max(maxE, p.e + p.s.radius);
    minN = Math.min(minN, p.n - p.s.radius); maxN = Math.max(maxN, p.n + p.s.radius);
  }
  const spanE = Math.max(100, maxE - minE);
  const spanN = Math.max(100, maxN - minN);
  const cE = (minE + maxE) / 2, cN = (minN + maxN) / 2;
  const metresPerUnit = Math.max(spanE / (width - 2 * margin), spanN / (height - 2 * margin));
  const points = xy.map((p) => ({
    x: width / 2 + (p.e - cE) / metresPerUnit,
    y: height / 2 - (p.n - cN) / metresPerUnit,
    r: Math.max(4, p.s.radius / metresPerUnit),
    stay: p.s,
  }));
  const metres = niceBelow((width / 3) * metresPerUnit);
  return { width, height, points, metresPerUnit, scale: { metres, units: metres / metresPerUnit } };
}

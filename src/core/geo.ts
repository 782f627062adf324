/**
 * Geodesy for stays: 1e-7 degree fixed point, distances on a sphere, the privacy snapping grid,
 * the solver's spatial-index cells, and point-in-polygon for GeoJSON areas.
 *
 * Two grids live here and they are deliberately different:
 * - the **snapping grid** (`snapE7`) hides the exact position before a stay is sealed. Its cells
 *   are about square (same metres east–west as north–south) so the privacy loss is the same
 *   everywhere, and it is bit-for-bit deterministic on every JS engine (see `detCos`), because
 *   two devices at the same place must publish the same centre.
 * - the **index grid** (`cellKey`, `neighbourKeys`) only buckets points for the solver. Its cells
 *   are a little wider than asked, so that a 3×3 block is guaranteed to hold every point within
 *   `cellMetres`, up to the poles and across the antimeridian.
 *
 * Coordinates in the hot functions (`distanceMetres`, `equirectMetres`, `cellKey`) are trusted
 * integers in E7 (validated once, where they enter: `toE7`, the recorder, the codec).
 *
 * @example
 * const a = { lat: toE7(48.8584, 'lat'), lon: toE7(2.2945) };
 * const s = snapE7(a.lat, a.lon, Precision.M10);
 * distanceMetres(a.lat, a.lon, s.latE7, s.lonE7) <= snapErrorMetres(Precision.M10); // true
 * @module
 */
import { PRECISION_METRES, type PrecisionLevel } from './types.ts';

/** Mean Earth radius (IUGG R1), metres. @example EARTH_RADIUS_METRES === 6_371_008.8 */
export const EARTH_RADIUS_METRES = 6_371_008.8;
/** Metres per degree of latitude used to size grid cells (2πR/360, rounded down). @example 10 / METRES_PER_DEGREE */
export const METRES_PER_DEGREE = 111_195;

const E7 = 1e7;
const MAX_LAT_E7 = 900_000_000;
const MAX_LON_E7 = 1_800_000_000;
const TURN_E7 = 3_600_000_000;
const RAD_PER_E7 = Math.PI / 180 / E7;

/**
 * Degrees → 1e-7 degree integer, rounding half away from zero (so +x and −x stay symmetric).
 * `axis` picks the range check: ±90 for `'lat'`, ±180 for `'lon'` (the default, the wider one).
 * Throws RangeError on NaN, ±Infinity or out of range; TypeError on a non-number.
 * @example toE7(12.34567885, 'lat') === 123456789; toE7(-2.5e-7) === -3
 */
export function toE7(deg: number, axis: 'lat' | 'lon' = 'lon'): number {
  if (typeof deg !== 'number') throw new TypeError(`toE7: ${axis} must be a number, got ${typeof deg}`);
  const max = axis === 'lat' ? 90 : 180;
  // `!(x <= max)` is also true for NaN.
  if (!(Math.abs(deg) <= max)) throw new RangeError(`toE7: ${axis} ${deg} is not in [-${max}, ${max}]`);
  const r = Math.round(Math.abs(deg) * E7);
  return deg < 0 && r !== 0 ? -r : r; // no −0: it would encode differently from 0 in some paths
}

/**
 * 1e-7 degree integer → degrees. Throws RangeError if not an integer within ±90° (`'lat'`) or
 * ±180° (`'lon'`, the default).
 * @example fromE7(123456789) === 12.3456789
 */
export function fromE7(e7: number, axis: 'lat' | 'lon' = 'lon'): number {
  const max = axis === 'lat' ? MAX_LAT_E7 : MAX_LON_E7;
  if (!Number.isInteger(e7) || Math.abs(e7) > max) throw new RangeError(`fromE7: ${axis} ${e7} is not an integer in [-${max}, ${max}]`);
  return e7 / E7;
}

/**
 * Great-circle distance in metres (haversine, sphere of radius `EARTH_RADIUS_METRES`).
 * Exact to float precision at every distance; the reference the tests and the recorder use.
 * @example Math.round(distanceMetres(0, 0, 10_000_000, 0)) === 111195 // 1° of latitude
 */
export function distanceMetres(latE7a: number, lonE7a: number, latE7b: number, lonE7b: number): number {
  const p1 = latE7a * RAD_PER_E7;
  const p2 = latE7b * RAD_PER_E7;
  const sLat = Math.sin((p2 - p1) / 2);
  const sLon = Math.sin((lonE7b - lonE7a) * RAD_PER_E7 / 2); // sin² is 2π-periodic: no wrap needed
  const h = sLat * sLat + Math.cos(p1) * Math.cos(p2) * sLon * sLon;
  return 2 * EARTH_RADIUS_METRES * Math.asin(Math.min(1, Math.sqrt(h))); // min: rounding can push h over 1
}

/**
 * Equirectangular approximation of `distanceMetres`: one cosine, no trig on the differences.
 * For the solver's hot loops. Error < 0.5% below 1 km for |lat| ≤ 85° (tested), wraps across the
 * antimeridian; not meant for long distances or paths over a pole.
 * @example equirectMetres(0, 1_799_999_000, 0, -1_799_999_000) // ≈ 22.2 m across ±180°
 */
export function equirectMetres(latE7a: number, lonE7a: number, latE7b: number, lonE7b: number): number {
  let dLon = lonE7b - lonE7a;
  if (dLon > MAX_LON_E7) dLon -= TURN_E7;
  else if (dLon < -MAX_LON_E7) dLon += TURN_E7;
  const x = dLon * RAD_PER_E7 * Math.cos(((latE7a + latE7b) / 2) * RAD_PER_E7);
  const y = (latE7b - latE7a) * RAD_PER_E7;
  return EARTH_RADIUS_METRES * Math.sqrt(x * x + y * y);
}

// Cosine from + and × only. Math.cos may differ in the last bit between JS engines, which could
// move a grid boundary and make two browsers publish different centres for the same place;
// IEEE-754 + and × are exactly specified, so this polynomial gives the same bits everywhere.
// Taylor series to x^24: error < 1e-16 on [0, π/2], the only range used.
const COS_TERMS: number[] = [];
for (let k = 0, f = 1; k <= 12; k++, f *= (2 * k - 1) * (2 * k)) COS_TERMS.push((k % 2 ? -1 : 1) / f);
function detCos(rad: number): number {
  const x2 = rad * rad;
  let s = 0;
  for (let k = COS_TERMS.length - 1; k >= 0; k--) s = s * x2 + COS_TERMS[k];
  return s;
}
function cosDegAbs(deg: number): number {
  return Math.max(0, detCos(Math.min(90, Math.abs(deg)) * (Math.PI / 180)));
}

/**
 * Square of `equirectMetres`, bit-for-bit the same on every JS engine: the cosine is `detCos`
 * and the rest is IEEE-754 + − × /, so a solver's decision at a threshold never depends on the
 * engine (docs/PROTOCOL.md §11.2, Appendix A item 10).
 * @example equirectSquaredMetres(0, 0, 898_000, 0) // ≈ 9.985² m²
 */
export function equirectSquaredMetres(latE7a: number, lonE7a: number, latE7b: number, lonE7b: number): number {
  let dLon = lonE7b - lonE7a;
  if (dLon > MAX_LON_E7) dLon -= TURN_E7;
  else if (dLon < -MAX_LON_E7) dLon += TURN_E7;
  const x = dLon * RAD_PER_E7 * cosDegAbs((latE7a + latE7b) / 2 / E7);
  const y = (latE7b - latE7a) * RAD_PER_E7;
  return EARTH_RADIUS_METRES * EARTH_RADIUS_METRES * (x * x + y * y);
}

function checkPoint(latE7: number, lonE7: number, fn: string): void {
  if (!Number.isInteger(latE7) || Math.abs(latE7) > MAX_LAT_E7) throw new RangeError(`${fn}: latE7 ${latE7} is not an integer in ±${MAX_LAT_E7}`);
  if (!Number.isInteger(lonE7) || Math.abs(lonE7) > MAX_LON_E7) throw new RangeError(`${fn}: lonE7 ${lonE7} is not an integer in ±${MAX_LON_E7}`);
}

/** Longitude column of `lonE7` among `n` equal columns starting at −180° (+180° is −180°). */
function column(lonE7: number, n: number): number {
  const j = Math.floor((lonE7 + MAX_LON_E7) / (TURN_E7 / n));
  return j >= n ? j - n : j;
}

/**
 * Snap a point to the centre of its cell in the global privacy grid of `PRECISION_METRES[precision]`
 * (EXACT returns the input unchanged). Rows are `size / 111195`° tall, counted from the equator;
 * each row has `ceil(circumference at its centre latitude / size)` equal columns from −180°, so
 * cells are about square and never wider than `size` at their centre.
 * @example snapE7(485_584_000, 22_945_000, Precision.M10) // the same centre on every device
 */
export function snapE7(latE7: number, lonE7: number, precision: PrecisionLevel): { latE7: number; lonE7: number } {
  checkPoint(latE7, lonE7, 'snapE7');
  const size = PRECISION_METRES[precision];
  if (size === undefined) throw new RangeError(`snapE7: unknown precision ${precision}`);
  if (size === 0) return { latE7, lonE7 };
  const rowE7 = (size * E7) / METRES_PER_DEGREE;
  const row = Math.floor(latE7 / rowE7);
  const midE7 = (row + 0.5) * rowE7;
  const n = Math.max(1, Math.ceil((360 * METRES_PER_DEGREE * cosDegAbs(midE7 / E7)) / size));
  const j = column(lonE7, n);
  return {
    // The polar rows' centres may fall past ±90°: clamping only brings them closer to the point.
    latE7: Math.max(-MAX_LAT_E7, Math.min(MAX_LAT_E7, Math.round(midE7))),
    lonE7: Math.round((j + 0.5) * (TURN_E7 / n)) - MAX_LON_E7,
  };
}

/**
 * Largest distance in metres between a point and its snapped centre: the half-diagonal of a cell,
 * plus 0.1% for cells widening toward their equator-side edge and 1 cm for the E7 rounding.
 * Holds for |lat| ≤ 89.5°; closer to a pole, cells get up to 2× wider and the bound does not hold.
 * @example snapErrorMetres(Precision.M10) // ≈ 7.09
 */
export function snapErrorMetres(precision: PrecisionLevel): number {
  const size = PRECISION_METRES[precision];
  if (size === undefined) throw new RangeError(`snapErrorMetres: unknown precision ${precision}`);
  return size === 0 ? 0 : size * Math.SQRT1_2 * 1.001 + 0.01;
}

// Index cells: key = row × 2^26 + column. With cellMetres ≥ 1 a row has < 4.1e7 < 2^26 columns
// and |row| ≤ 1.0e7, so keys are unique safe integers.
const KEY_STRIDE = 2 ** 26;

function checkCell(cellMetres: number): void {
  if (!(cellMetres >= 1 && cellMetres <= 1_000_000)) throw new RangeError(`cellKey: cellMetres ${cellMetres} is not in [1, 1e6]`);
}
/**
 * Columns in index row `row`. A neighbour q within d ≤ cellMetres of a point in this row lies on
 * paths whose |lat| stays below the row's poleward edge + one row, so |Δlon| ≤ d / (R·cos φ) with
 * φ that latitude; columns at least that wide keep q within ±1 column.
 */
function indexColumns(row: number, rowE7: number, cellMetres: number): number {
  const edgeDeg = Math.max(Math.abs(row), Math.abs(row + 1)) * rowE7 / E7;
  return Math.max(1, Math.floor((360 * METRES_PER_DEGREE * cosDegAbs(edgeDeg + rowE7 / E7)) / cellMetres));
}

/**
 * Key of the index cell (about `cellMetres` square, slightly wider east–west) containing a point.
 * @example const byCell = new Map<number, Stay[]>(); byCell.set(cellKey(s.latE7, s.lonE7, 50), [s]);
 */
export function cellKey(latE7: number, lonE7: number, cellMetres: number): number {
  checkCell(cellMetres);
  // Rows are cellMetres/111195° tall, a hair more than cellMetres/(2πR/360): two points within
  // cellMetres are always less than one row apart.
  const rowE7 = (cellMetres * E7) / METRES_PER_DEGREE;
  const row = Math.floor(latE7 / rowE7);
  return row * KEY_STRIDE + column(lonE7, indexColumns(row, rowE7, cellMetres));
}

/**
 * Keys of the 3×3 block of index cells around a point (fewer near the poles, where rows have
 * under 3 columns): every point within `cellMetres` of it has its `cellKey` in this list.
 * @example neighbourKeys(p.latE7, p.lonE7, 50).flatMap((k) => byCell.get(k) ?? [])
 */
export function neighbourKeys(latE7: number, lonE7: number, cellMetres: number): number[] {
  checkCell(cellMetres);
  const rowE7 = (cellMetres * E7) / METRES_PER_DEGREE;
  const row0 = Math.floor(latE7 / rowE7);
  const keys: number[] = [];
  for (let row = row0 - 1; row <= row0 + 1; row++) {
    if (row * rowE7 > MAX_LAT_E7 || (row + 1) * rowE7 <= -MAX_LAT_E7) continue; // beyond a pole
    // Columns of the neighbouring row: counted in *that* row's grid, since widths differ by row.
    const n = indexColumns(row, rowE7, cellMetres);
    const j = column(lonE7, n);
    for (const c of new Set([(j - 1 + n) % n, j, (j + 1) % n])) keys.push(row * KEY_STRIDE + c);
  }
  return keys;
}

/**
 * Point in a GeoJSON Polygon's `coordinates` ([ring][vertex][lon, lat]; first ring outer, others
 * holes), by the even-odd rule over all rings. Planar in degrees, as GeoJSON (RFC 7946 §3.1.1)
 * prescribes; polygons crossing the antimeridian must be split, as the RFC says. Points exactly on
 * an edge may fall either side.
 * @example pointInPolygon(0.5, 0.5, [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]) === true
 */
export function pointInPolygon(lon: number, lat: number, polygon: number[][][]): boolean {
  let inside = false;
  for (const ring of polygon) {
    for (let k = 0, m = ring.length - 1; k < ring.length; m = k++) {
      const [xk, yk] = ring[k];
      const [xm, ym] = ring[m];
      // Edge straddles the horizontal line through the point, and crosses it east of the point.
      if (yk > lat !== ym > lat && lon < ((xm - xk) * (lat - yk)) / (ym - yk) + xk) inside = !inside;
    }
  }
  return inside;
}

/** `[minLon, minLat, maxLon, maxLat]`, the GeoJSON bbox order. @example const box: BBox = [2.2, 48.8, 2.5, 48.9]; */
export type BBox = [number, number, number, number];

/**
 * Bounding box of a GeoJSON Polygon (its outer ring: holes lie inside it), to reject most points
 * before `pointInPolygon`. Throws RangeError on a polygon without vertices.
 * @example polygonBBox([[[0, 0], [2, 0], [2, 1], [0, 0]]]) // [0, 0, 2, 1]
 */
export function polygonBBox(polygon: number[][][]): BBox {
  const outer = polygon[0];
  if (!outer || outer.length === 0) throw new RangeError('polygonBBox: polygon has no outer ring vertices');
  const box: BBox = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [lon, lat] of outer) {
    box[0] = Math.min(box[0], lon);
    box[1] = Math.min(box[1], lat);
    box[2] = Math.max(box[2], lon);
    box[3] = Math.max(box[3], lat);
  }
  return box;
}

/** Whether a point lies in a bbox (edges included). @example bboxContains([0, 0, 2, 1], 1, 1) === true */
export function bboxContains(box: BBox, lon: number, lat: number): boolean {
  return lon >= box[0] && lon <= box[2] && lat >= box[1] && lat <= box[3];
}

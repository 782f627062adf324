/**
 * Reading building and venue features from GeoJSON as authorities export it from OpenStreetMap:
 * every usable feature is kept, and each one that is not is reported with its id and the reason,
 * instead of refusing the whole file (issue 12). What counts:
 * - Polygon / MultiPolygon: each ring's positions must be [lon, lat] in range; repeated consecutive
 *   positions are dropped and an unclosed ring is closed; a ring needs 3 distinct positions and an
 *   area (not all on one line). A bad outer ring drops its polygon, a bad hole only the hole; a
 *   MultiPolygon keeps its good polygons. A self-intersecting ring is kept (the even-odd rule of
 *   the point-in-polygon test still gives it an area) and noted.
 * - Point / MultiPoint (a venue without an outline): a circle of `properties.radius` metres if that
 *   is a number in 1..1000, else of `pointRadiusMetres` (default 25 m), as a 32-sided polygon.
 * - LineString, MultiLineString, GeometryCollection, a missing geometry: skipped with the reason.
 * A feature's id is `id`, else `properties["@id"]`, else `properties.id`, else "#<its index>".
 * @example
 * const r = readFeatures(text, 'venues.geojson');
 * r.skipped // [{ id: 'way/42', index: 3, reason: 'Polygon: outer ring has fewer than 3 distinct positions' }]
 * @module
 */
import { InputError } from './errors.ts';
import { polygonBBox } from './geo.ts';
import type { Building } from './buildings.ts';

/** Radius of a Point venue without its own `radius` property, metres. */
export const DEFAULT_POINT_RADIUS_M = 25;
const CIRCLE_SIDES = 32;
const M_PER_DEG_LAT = 111_320;

/** One feature the loader did not keep. */
export interface SkippedFeature {
  /** The feature's id ("way/42"), or "#<index>" when it has none. */
  id: string;
  /** Position in the file's feature list (0-based). */
  index: number;
  reason: string;
}

/** What the reader found: the kept buildings, the skipped features and notes on kept ones. */
export interface FeatureReport {
  buildings: Building[];
  /** Features in the file. */
  total: number;
  skipped: SkippedFeature[];
  /** Kept features that were repaired or are odd (a dropped hole, a self-intersecting ring, a Point made a circle). */
  notes: SkippedFeature[];
  /** How many kept features came from Points (circles). */
  circles: number;
}

export interface ReadOptions {
  /** Radius of a Point venue, metres (1..1000; default 25). */
  pointRadiusMetres?: number;
}

class Bad extends Error {}
function bad(msg: string): never { throw new Bad(msg); }

function position(p: unknown): [number, number] {
  if (!Array.isArray(p) || p.length < 2 || typeof p[0] !== 'number' || typeof p[1] !== 'number' ||
    !Number.isFinite(p[0]) || !Number.isFinite(p[1]) || Math.abs(p[0]) > 180 || Math.abs(p[1]) > 90) bad('a position is not [lon, lat] within range');
  return [(p as number[])[0], (p as number[])[1]];
}

/** True if every position of the ring lies on the line through its first two (no area by any rule). */
function onOneLine(ring: number[][]): boolean {
  const [a, b] = ring;
  return ring.every((c) => (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]) === 0);
}

function crosses(a: number[], b: number[], c: number[], d: number[]): boolean {
  const o = (p: number[], q: number[], r: number[]) => Math.sign((q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0]));
  return o(a, b, c) * o(a, b, d) < 0 && o(c, d, a) * o(c, d, b) < 0;
}

/** True if two non-adjacent edges of the closed ring cross (checked for rings up to 2000 positions). */
function selfIntersects(ring: number[][]): boolean {
  const n = ring.length - 1;
  if (n > 2000) return false;
  for (let i = 0; i < n; i++) for (let j = i + 2; j < n; j++) {
    if (i === 0 && j === n - 1) continue;
    if (crosses(ring[i], ring[i + 1], ring[j], ring[j + 1])) return true;
  }
  return false;
}

/** A clean closed ring, or throws Bad with what is wrong with it. */
function ring(r: unknown, what: string): number[][] {
  if (!Array.isArray(r)) bad(`${what} is not a list of positions`);
  const out: number[][] = [];
  for (const p of r as unknown[]) {
    const q = position(p);
    const last = out[out.length - 1];
    if (!last || last[0] !== q[0] || last[1] !== q[1]) out.push(q);
  }
  if (out.length > 1 && out[0][0] === out[out.length - 1][0] && out[0][1] === out[out.length - 1][1]) out.pop();
  if (out.length < 3) bad(`${what} has fewer than 3 distinct positions`);
  out.push(out[0]);
  if (onOneLine(out)) bad(`${what} has no area (its positions lie on one line)`);
  return out;
}

/** One polygon: outer ring required, bad holes dropped with a note. */
function polygon(coords: unknown, note: (m: string) => void): number[][][] {
  if (!Array.isArray(coords) || coords.length === 0) bad('a Polygon needs at least one ring');
  const outer = ring((coords as unknown[])[0], 'outer ring');
  if (selfIntersects(outer)) note('outer ring intersects itself (kept; even-odd rule)');
  const rings = [outer];
  (coords as unknown[]).slice(1).forEach((h, i) => {
    try { rings.push(ring(h, `hole ${i + 1}`)); } catch (e) {
      if (!(e instanceof Bad)) throw e;
      note(`${e.message}: hole dropped`);
    }
  });
  return rings;
}

/** A circle of `m` metres around (lon, lat), as a closed ring. */
function circle(lon: number, lat: number, m: number): number[][][] {
  const dLat = m / M_PER_DEG_LAT, dLon = m / (M_PER_DEG_LAT * Math.max(0.01, Math.cos((lat * Math.PI) / 180)));
  const r: number[][] = [];
  for (let i = 0; i < CIRCLE_SIDES; i++) {
    const t = (2 * Math.PI * i) / CIRCLE_SIDES;
    r.push([lon + dLon * Math.cos(t), lat + dLat * Math.sin(t)]);
  }
  r.push(r[0]);
  return [r];
}

function featureId(f: Record<string, unknown>, index: number): string {
  const props = (typeof f.properties === 'object' && f.properties !== null ? f.properties : {}) as Record<string, unknown>;
  for (const v of [f.id, props['@id'], props.id]) if (typeof v === 'string' && v !== '' || typeof v === 'number') return String(v);
  return `#${index}`;
}

function features(doc: unknown, where: string): unknown[] {
  const d = doc as { type?: string; features?: unknown };
  if (d?.type === 'FeatureCollection') {
    if (!Array.isArray(d.features)) throw new InputError('bad_geojson', `${where}: FeatureCollection without a list of features`);
    return d.features;
  }
  if (d?.type === 'Feature') return [doc];
  if (typeof d?.type === 'string') return [{ type: 'Feature', geometry: doc }];
  throw new InputError('bad_geojson', `${where}: not a GeoJSON FeatureCollection, Feature or geometry`);
}

/**
 * Read every feature of a GeoJSON text. Throws InputError('bad_geojson') only when the text is not
 * JSON or not GeoJSON at all; a bad feature is skipped and reported.
 * @example readFeatures('{"type":"Point","coordinates":[13.4,52.5]}').circles === 1
 */
export function readFeatures(text: string, where = 'geojson', opts: ReadOptions = {}): FeatureReport {
  const radius = opts.pointRadiusMetres ?? DEFAULT_POINT_RADIUS_M;
  if (!(radius >= 1 && radius <= 1000)) throw new InputError('bad_geojson', `point radius must be 1..1000 metres, got ${radius}`);
  let doc: unknown;
  try { doc = JSON.parse(text); } catch (e) { throw new InputError('bad_geojson', `${where}: not JSON (${(e as Error).message})`); }
  const list = features(doc, where);
  const report: FeatureReport = { buildings: [], total: list.length, skipped: [], notes: [], circles: 0 };
  list.forEach((raw, index) => {
    const f = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    const id = featureId(f, index);
    const note = (reason: string) => report.notes.push({ id, index, reason });
    const g = f.geometry as { type?: unknown; coordinates?: unknown } | null | undefined;
    const type = typeof g === 'object' && g !== null ? String(g.type) : 'Feature';
    try {
      let polys: number[][][][];
      if (type === 'Polygon') polys = [polygon(g!.coordinates, note)];
      else if (type === 'MultiPolygon') {
        if (!Array.isArray(g!.coordinates)) bad('MultiPolygon coordinates must be a list');
        polys = [];
        (g!.coordinates as unknown[]).forEach((p, j) => {
          try { polys.push(polygon(p, (m) => note(`polygon ${j}: ${m}`))); } catch (e) {
            if (!(e instanceof Bad)) throw e;
            note(`polygon ${j}: ${e.message}: polygon dropped`);
          }
        });
        if (!polys.length) bad('no usable polygon');
      } else if (type === 'Point' || type === 'MultiPoint') {
        const pts = type === 'Point' ? [g!.coordinates] : Array.isArray(g!.coordinates) ? g!.coordinates as unknown[] : bad('MultiPoint coordinates must be a list');
        if (!pts.length) bad('MultiPoint without points');
        const pr = (f.properties as Record<string, unknown> | null | undefined)?.radius;
        const m = typeof pr === 'number' && pr >= 1 && pr <= 1000 ? pr : radius;
        polys = pts.map((p) => { const [lon, lat] = position(p); return circle(lon, lat, m); });
        report.circles++;
        note(`${type}: a circle of ${m} m`);
      } else if (type === 'LineString' || type === 'MultiLineString') bad(`a ${type} has no area`);
      else if (type === 'Feature') bad('no geometry');
      else bad(`geometry type ${type} is not supported`);
      const props = f.properties as Record<string, unknown> | null | undefined;
      const name = typeof props?.name === 'string' ? props.name : id;
      report.buildings.push({ polygons: polys, boxes: polys.map(polygonBBox), name });
    } catch (e) {
      if (!(e instanceof Bad)) throw e;
      report.skipped.push({ id, index, reason: `${type}: ${e.message}` });
      report.notes = report.notes.filter((n) => n.index !== index);
    }
  });
  return report;
}

/**
 * The report in words for an operator: one line per skipped feature, with a count.
 * @example skippedText(r, 'venues.geojson') // "venues.geojson: skipped 2 of 9 features:\n  way/1 (feature 3): …"
 */
export function skippedText(r: FeatureReport, where: string): string {
  if (!r.skipped.length) return '';
  return `${where}: skipped ${r.skipped.length} of ${r.total} features:\n` +
    r.skipped.map((s) => `  ${s.id} (feature ${s.index}): ${s.reason}\n`).join('');
}

/**
 * Building and venue polygons from GeoJSON (OpenStreetMap style: a FeatureCollection of Polygon
 * or MultiPolygon features), for the solver's "same building" rule. Indexed by a coarse grid of
 * 0.001° cells over each polygon's bounding box, so a point lookup tests only nearby polygons.
 *
 * @example
 * const b = parseBuildings(geojsonText, 'venues.geojson');
 * b.containing(latE7, lonE7) // [indices of polygons containing the point]
 * @module
 */
import { InputError } from './errors.ts';
import { bboxContains, pointInPolygon, polygonBBox, type BBox } from './geo.ts';

const GRID = 1000; // cells per degree
const MAX_CELLS_PER_POLYGON = 4096;

export interface Building {
  /** Polygons (a MultiPolygon has several), GeoJSON coordinates [ring][vertex][lon, lat]. */
  polygons: number[][][][];
  boxes: BBox[];
  /** Feature id or properties.name, if any (for operators' reports). */
  name?: string;
}

export class BuildingIndex {
  private cells = new Map<string, number[]>();
  private big: number[] = [];
  constructor(readonly buildings: Building[], only?: Set<number>) {
    buildings.forEach((b, i) => {
      if (only && !only.has(i)) return;
      for (const box of b.boxes) {
        const x0 = Math.floor(box[0] * GRID), x1 = Math.floor(box[2] * GRID);
        const y0 = Math.floor(box[1] * GRID), y1 = Math.floor(box[3] * GRID);
        if ((x1 - x0 + 1) * (y1 - y0 + 1) > MAX_CELLS_PER_POLYGON) {
          this.big.push(i);
          continue;
        }
        for (let x = x0; x <= x1; x++) for (let y = y0; y <= y1; y++) {
          const k = `${x},${y}`;
          const l = this.cells.get(k);
          if (!l) this.cells.set(k, [i]);
          else if (l[l.length - 1] !== i) l.push(i);
        }
      }
    });
  }
  get size(): number {
    return this.buildings.length;
  }
  /** Indices of buildings containing the point. @example idx.containing(s.latE7, s.lonE7) */
  containing(latE7: number, lonE7: number): number[] {
    const lat = latE7 / 1e7, lon = lonE7 / 1e7;
    const cand = this.cells.get(`${Math.floor(lon * GRID)},${Math.floor(lat * GRID)}`);
    const out: number[] = [];
    for (const list of [cand ?? [], this.big]) {
      for (const i of list) {
        if (out.includes(i)) continue;
        const b = this.buildings[i];
        if (b.polygons.some((p, j) => bboxContains(b.boxes[j], lon, lat) && pointInPolygon(lon, lat, p))) out.push(i);
      }
    }
    return out;
  }
  /** An index over only some of the buildings (same indices). */
  subset(only: Set<number>): BuildingIndex {
    return new BuildingIndex(this.buildings, only);
  }
}

function fail(where: string, msg: string): never {
  throw new InputError('bad_geojson', `${where}: ${msg}`);
}

function checkRing(ring: unknown, where: string): number[][] {
  if (!Array.isArray(ring) || ring.length < 4) fail(where, 'a linear ring needs at least 4 positions');
  for (const [i, p] of ring.entries()) {
    if (!Array.isArray(p) || p.length < 2 || typeof p[0] !== 'number' || typeof p[1] !== 'number' || !Number.isFinite(p[0]) || !Number.isFinite(p[1]) || Math.abs(p[0]) > 180 || Math.abs(p[1]) > 90) {
      fail(`${where}[${i}]`, 'position must be [lon, lat] within range');
    }
  }
  return ring as number[][];
}

function checkPolygon(coords: unknown, where: string): number[][][] {
  if (!Array.isArray(coords) || coords.length === 0) fail(where, 'a Polygon needs at least one ring');
  return coords.map((r, i) => checkRing(r, `${where}[${i}]`));
}

/**
 * Parse a GeoJSON FeatureCollection (or a single Feature / geometry) of Polygon and MultiPolygon
 * geometries. Other geometry types are skipped (points of interest carry no area). Throws
 * InputError('bad_geojson') naming the feature and what is wrong.
 * @example parseBuildings(text, 'venues.geojson').size
 */
export function parseBuildings(text: string, where = 'geojson'): BuildingIndex {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    fail(where, `not JSON (${(e as Error).message})`);
  }
  const features: unknown[] =
    (doc as { type?: string })?.type === 'FeatureCollection' ? ((doc as { features?: unknown[] }).features ?? fail(where, 'FeatureCollection without features'))
    : (doc as { type?: string })?.type === 'Feature' ? [doc]
    : [{ type: 'Feature', geometry: doc }];
  if (!Array.isArray(features)) fail(where, 'features must be a list');
  const out: Building[] = [];
  features.forEach((f, i) => {
    const w = `${where}: feature ${i}`;
    const g = (f as { geometry?: { type?: string; coordinates?: unknown } })?.geometry;
    if (!g || typeof g !== 'object') fail(w, 'has no geometry');
    let polys: number[][][][];
    if (g.type === 'Polygon') polys = [checkPolygon(g.coordinates, `${w}.coordinates`)];
    else if (g.type === 'MultiPolygon') {
      if (!Array.isArray(g.coordinates)) fail(w, 'MultiPolygon coordinates must be a list');
      polys = g.coordinates.map((p, j) => checkPolygon(p, `${w}.coordinates[${j}]`));
    } else return;
    const props = (f as { properties?: Record<string, unknown>; id?: unknown }).properties;
    const name = typeof props?.name === 'string' ? props.name : typeof (f as { id?: unknown }).id === 'string' ? ((f as { id: string }).id) : undefined;
    out.push({ polygons: polys, boxes: polys.map(polygonBBox), name });
  });
  return new BuildingIndex(out);
}

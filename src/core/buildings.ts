/**
 * Building and venue polygons from GeoJSON (OpenStreetMap exports as they are: Polygon and
 * MultiPolygon features, Point venues as circles; src/core/geojson.ts), for the solver's "same building" rule. Indexed by a coarse grid of
 * 0.001° cells over each polygon's bounding box, so a point lookup tests only nearby polygons.
 *
 * @example
 * const { index: b, report } = loadBuildings(geojsonText, 'venues.geojson'); // report.skipped: ids and reasons
 * b.containing(latE7, lonE7) // [indices of polygons containing the point]
 * @module
 */
import { InputError } from './errors.ts';
import { bboxContains, pointInPolygon, type BBox } from './geo.ts';
import { readFeatures, skippedText, type FeatureReport, type ReadOptions } from './geojson.ts';

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

/** Options of loadBuildings: the Point venue radius, and whether any skipped feature refuses the file. */
export interface LoadOptions extends ReadOptions {
  /** Refuse the whole file if any feature is skipped (the CLI's --strict). */
  strict?: boolean;
}

/**
 * Load buildings and venues from a GeoJSON export (src/core/geojson.ts says what is kept): the
 * index and the report of what was skipped and why. Throws InputError('bad_geojson') when the text
 * is not GeoJSON, when features were skipped and `strict` is set, or when none is usable.
 * @example
 * const { index, report } = loadBuildings(text, 'venues.geojson', { pointRadiusMetres: 30 });
 * process.stderr.write(skippedText(report, 'venues.geojson'));
 */
export function loadBuildings(text: string, where = 'geojson', opts: LoadOptions = {}): { index: BuildingIndex; report: FeatureReport } {
  const report = readFeatures(text, where, opts);
  if (report.skipped.length && opts.strict) throw new InputError('bad_geojson', `${skippedText(report, where)}${where}: refused (strict): ${report.skipped.length} features skipped`);
  if (report.skipped.length && !report.buildings.length) throw new InputError('bad_geojson', `${skippedText(report, where)}${where}: no usable feature`);
  return { index: new BuildingIndex(report.buildings), report };
}

/**
 * The index alone, with the lenient default (skipped features dropped; none usable throws).
 * @example parseBuildings(text, 'venues.geojson').size
 */
export function parseBuildings(text: string, where = 'geojson', opts: LoadOptions = {}): BuildingIndex {
  return loadBuildings(text, where, opts).index;
}

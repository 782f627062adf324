/**
 * `beeptrace buildings FILE [--venue-radius M] [--strict] [--json]`: load a GeoJSON export of
 * buildings and venues (OpenStreetMap as it is) the way the solver and `sim --venues` do, and say
 * what was kept and each skipped feature's id and reason. Exit 0 when it loads; exit 2 when it is
 * not GeoJSON, when nothing is usable, or with --strict when any feature was skipped.
 * Also the shared handling of `--venues`, `--venue-radius` and `--strict` for other commands.
 * @example await buildingsCommand(['venues.geojson', '--strict']) // 2 if a feature was skipped
 * @module
 */
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { InputError } from '../core/errors.ts';
import { loadBuildings, type BuildingIndex } from '../core/buildings.ts';
import { DEFAULT_POINT_RADIUS_M, skippedText, type FeatureReport } from '../core/geojson.ts';

export const BUILDINGS_HELP = `beeptrace buildings FILE [options]   check a GeoJSON export of buildings and venues
  --venue-radius M   a Point venue becomes a circle of M metres (1..1000; default ${DEFAULT_POINT_RADIUS_M});
                     a feature's own numeric "radius" property (metres) wins
  --strict           refuse the whole file (exit 2) if any feature is skipped
  --json             print {total, kept, circles, skipped: [{id, index, reason}], notes} on stdout
Kept: Polygon and MultiPolygon (repeated positions dropped, unclosed rings closed, bad holes and bad
members of a MultiPolygon dropped), Point and MultiPoint venues as circles. Skipped, each named by its
id ("id", properties "@id" or "id", else "#index") with the reason: rings of fewer than 3 distinct
positions or no area, positions out of range, LineStrings, features without geometry.
`;

/** The --venue-radius value in metres. @example venueRadius('30') === 30 */
export function venueRadius(v: string | undefined): number {
  if (v === undefined) return DEFAULT_POINT_RADIUS_M;
  if (!/^\d+(\.\d+)?$/.test(v) || +v < 1 || +v > 1000) throw new InputError('usage', `--venue-radius must be a number of metres in 1..1000, got "${v}"`);
  return +v;
}

/**
 * Load a venues file for a command: warnings for skipped features on `warn` (stderr), InputError
 * (exit 2) as loadBuildings says.
 * @example const b = readVenues('v.geojson', { radius: '25', strict: false }, (l) => process.stderr.write(l));
 */
export function readVenues(file: string, o: { radius?: string; strict?: boolean }, warn: (text: string) => void): { index: BuildingIndex; report: FeatureReport } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError('file', `cannot read venues ${file}: ${(e as Error).message}`);
  }
  const r = loadBuildings(text, file, { pointRadiusMetres: venueRadius(o.radius), strict: o.strict });
  const w = skippedText(r.report, file);
  if (w) warn(`warning: ${w}`);
  return r;
}

/** Run `beeptrace buildings`; returns the exit code (InputError is turned into 2 by the CLI). @example await buildingsCommand(['v.geojson']) */
export async function buildingsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, strict: true, allowPositionals: true,
    options: { 'venue-radius': { type: 'string' }, strict: { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean' } },
  });
  if (values.help) {
    process.stdout.write(BUILDINGS_HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new InputError('usage', 'beeptrace buildings takes one FILE (try beeptrace buildings --help)');
  const file = positionals[0];
  const { report: r } = readVenues(file, { radius: values['venue-radius'], strict: values.strict }, (l) => process.stderr.write(l));
  const kept = r.buildings.length;
  if (values.json) process.stdout.write(`${JSON.stringify({ total: r.total, kept, circles: r.circles, skipped: r.skipped, notes: r.notes })}\n`);
  else process.stdout.write(`${file}: kept ${kept} of ${r.total} features (${r.circles} Point venues as circles), skipped ${r.skipped.length}\n`);
  return 0;
}

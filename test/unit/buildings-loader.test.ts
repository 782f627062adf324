/**
 * Loading OpenStreetMap exports as they are (issue 12 item 6): the fixture
 * test/fixtures/geojson/osm-mixed.geojson holds a good building, a "polygon" of two identical
 * points, a flat (one-line) ring, a self-intersecting bow-tie, two Point venues (one with its own
 * radius), a LineString, a feature without id that is usable and one that is not, a MultiPolygon
 * with a degenerate hole and a degenerate member, a MultiPolygon with nothing usable, a position
 * out of range and a feature without geometry. Every usable feature is kept, every skipped one is
 * named by id with its reason; a Point is a circle of the stated radius; --strict refuses with exit 2.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { readFeatures, skippedText } from '../../src/core/geojson.ts';
import { loadBuildings, parseBuildings } from '../../src/core/buildings.ts';
import { InputError } from '../../src/core/errors.ts';

const FIXTURE = new URL('../fixtures/geojson/osm-mixed.geojson', import.meta.url).pathname;
const TEXT = readFileSync(FIXTURE, 'utf8');
const BIN = new URL('../../bin/beeptrace.js', import.meta.url).pathname;
const E7 = 1e7;
/** (lat, lon) `north` metres north of a point, as E7 integers. */
const north = (lat: number, lon: number, m: number): [number, number] => [Math.round((lat + m / 111_320) * E7), Math.round(lon * E7)];
const SKIPPED = ['way/101', 'way/102', 'way/300', '#8', 'relation/401', 'way/500', 'node/600'];

test('every usable feature is kept; each skipped one is reported with its id and reason', () => {
  const r = readFeatures(TEXT, 'osm.geojson');
  assert.equal(r.total, 13);
  assert.equal(r.buildings.length, 6);
  assert.equal(r.circles, 2);
  assert.deepEqual(r.skipped.map((s) => s.id), SKIPPED);
  const reason = (id: string) => r.skipped.find((s) => s.id === id)!.reason;
  assert.equal(reason('way/101'), 'Polygon: outer ring has fewer than 3 distinct positions', 'the two-identical-point "polygon"');
  assert.match(reason('way/102'), /no area/);
  assert.match(reason('way/300'), /LineString has no area/);
  assert.equal(r.skipped.find((s) => s.id === '#8')!.index, 8, 'a feature without id is named by its index');
  assert.match(reason('relation/401'), /no usable polygon/);
  assert.match(reason('way/500'), /not \[lon, lat\] within range/);
  assert.match(reason('node/600'), /no geometry/);
  assert.deepEqual(r.notes.map((n) => n.id), ['way/103', 'node/200', 'node/201', 'relation/400', 'relation/400']);
  assert.match(r.notes[0].reason, /intersects itself/);
  assert.equal(skippedText(r, 'osm.geojson').split('\n')[0], 'osm.geojson: skipped 7 of 13 features:');
  assert.match(skippedText(r, 'osm.geojson'), /^ {2}way\/101 \(feature 1\): Polygon: outer ring has fewer than 3 distinct positions$/m);
});

test('the kept features answer point lookups: polygons, a closed-by-us ring, MultiPolygon members, a bow-tie', () => {
  const { index } = loadBuildings(TEXT, 'osm.geojson');
  const names = (lat: number, lon: number) => index.containing(Math.round(lat * E7), Math.round(lon * E7)).map((i) => index.buildings[i].name);
  assert.deepEqual(names(55.8603, -4.2495), ['Library']);
  assert.deepEqual(names(55.8903, -4.2795), ['#7'], 'the unclosed ring of the feature without id is closed and kept');
  assert.deepEqual(names(55.8503, -4.2375), ['Two wings'], 'the good third member of the MultiPolygon');
  assert.deepEqual(names(55.8503, -4.2395), ['Two wings'], 'the first member, its degenerate hole dropped');
  assert.deepEqual(names(55.8803, -4.2698), ['way/103'], 'a lobe of the bow-tie');
  assert.deepEqual(names(55.8600, -4.2600), [], 'nothing where the degenerate way/101 was');
});

test('a Point venue is a circle of the stated radius: the default 25 m, the option, or its own radius', () => {
  const at = (idx: ReturnType<typeof parseBuildings>, lat: number, lon: number, m: number) =>
    idx.containing(...north(lat, lon, m)).map((i) => idx.buildings[i].name);
  const dflt = parseBuildings(TEXT, 'osm.geojson');
  assert.deepEqual(at(dflt, 55.8650, -4.2550, 20), ['Corner Café']);
  assert.deepEqual(at(dflt, 55.8650, -4.2550, 30), []);
  const wide = parseBuildings(TEXT, 'osm.geojson', { pointRadiusMetres: 40 });
  assert.deepEqual(at(wide, 55.8650, -4.2550, 30), ['Corner Café']);
  // node/201 says "radius": 10 — its own radius wins over the default and the option.
  assert.deepEqual(at(wide, 55.8660, -4.2560, 8), ['node/201']);
  assert.deepEqual(at(wide, 55.8660, -4.2560, 12), []);
  assert.throws(() => readFeatures(TEXT, 'x', { pointRadiusMetres: 0 }), InputError);
});

test('strict refuses the file naming the skipped ids; a file with nothing usable or not JSON is refused', () => {
  assert.throws(() => loadBuildings(TEXT, 'osm.geojson', { strict: true }), (e: InputError) =>
    e.code === 'bad_geojson' && SKIPPED.every((id) => e.message.includes(`${id} (feature`)) && /refused \(strict\): 7 features skipped/.test(e.message));
  const clean = JSON.stringify({ type: 'FeatureCollection', features: [JSON.parse(TEXT).features[0]] });
  assert.equal(loadBuildings(clean, 'clean', { strict: true }).index.size, 1, 'strict accepts a clean file');
  const none = JSON.stringify({ type: 'FeatureCollection', features: [JSON.parse(TEXT).features[1]] });
  assert.throws(() => loadBuildings(none, 'none.geojson'), /none\.geojson: no usable feature/);
  assert.throws(() => loadBuildings('{"type":', 'broken.geojson'), /broken\.geojson: not JSON/);
  assert.throws(() => loadBuildings('[1,2]', 'list.geojson'), /not a GeoJSON/);
});

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('CLI: `beeptrace buildings` warns with every skipped id; --strict exits 2; --json; `sim --venues --strict` exits 2', () => {
  let r = run('buildings', FIXTURE);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /^warning: .*osm-mixed\.geojson: skipped 7 of 13 features:$/m);
  for (const id of SKIPPED) assert.match(r.err, new RegExp(`^  ${id.replace('/', '\\/')} \\(feature \\d+\\): `, 'm'), id);
  assert.match(r.out, /kept 6 of 13 features \(2 Point venues as circles\), skipped 7/);

  r = run('buildings', FIXTURE, '--strict');
  assert.equal(r.code, 2);
  assert.match(r.err, /way\/101 \(feature 1\): Polygon: outer ring has fewer than 3 distinct positions/);
  assert.match(r.err, /refused \(strict\): 7 features skipped/);
  assert.equal(r.out, '');

  r = run('buildings', FIXTURE, '--json', '--venue-radius', '40');
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out) as { kept: number; skipped: { id: string }[]; notes: { reason: string }[] };
  assert.equal(j.kept, 6);
  assert.deepEqual(j.skipped.map((s) => s.id), SKIPPED);
  assert.ok(j.notes.some((n) => n.reason === 'Point: a circle of 40 m'));

  r = run('buildings', FIXTURE, '--venue-radius', '0');
  assert.equal(r.code, 2);
  assert.match(r.err, /--venue-radius must be a number of metres in 1\.\.1000/);

  r = run('sim', '--users', '20', '--venues', FIXTURE, '--strict');
  assert.equal(r.code, 2);
  assert.match(r.err, /relation\/401 \(feature 10\): MultiPolygon: no usable polygon/);
});

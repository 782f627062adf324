/** The trail's projection: distances kept in metres, north up, east right, a round scale bar. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { niceBelow, projectStays } from '../../src/app/ui/trail-geometry.ts';
import type { Stay } from '../../src/core/types.ts';

const stay = (latE7: number, lonE7: number, radius = 10): Stay => ({ start: 0, minutes: 10, latE7, lonE7, radius, source: 1, precision: 0 });

test('two stays 500 m apart east–west are drawn 500 m apart on the scale, north up and east right', () => {
  const lat = 52.52, kx = 111_320 * Math.cos((lat * Math.PI) / 180);
  const dLon = 500 / kx;
  const g = projectStays([stay(lat * 1e7, 13.4 * 1e7), stay(lat * 1e7, (13.4 + dLon) * 1e7), stay((lat + 200 / 111_320) * 1e7, 13.4 * 1e7)], 320, 240);
  const [a, b, c] = g.points;
  assert.ok(Math.abs((b.x - a.x) * g.metresPerUnit - 500) < 1, 'east–west distance kept');
  assert.ok(b.x > a.x, 'east is to the right');
  assert.ok(c.y < a.y, 'north is up');
  assert.ok(Math.abs((a.y - c.y) * g.metresPerUnit - 200) < 1, 'north–south distance kept');
  for (const p of g.points) assert.ok(p.x - p.r >= 0 && p.x + p.r <= 320 && p.y - p.r >= 0 && p.y + p.r <= 240, 'inside the picture');
  assert.ok([1, 2, 5].includes(g.scale.metres / 10 ** Math.floor(Math.log10(g.scale.metres))), 'round scale');
  assert.ok(Math.abs(g.scale.units * g.metresPerUnit - g.scale.metres) < 1e-6);
});

test('one stay does not fill the picture, and small circles stay visible', () => {
  const g = projectStays([stay(0, 0, 1)], 320, 240);
  assert.ok(g.metresPerUnit * (240 - 48) >= 100 - 1e-9, 'at least 100 m shown');
  assert.equal(g.points[0].r, 4);
  assert.deepEqual(projectStays([], 320, 240).points, []);
});

test('niceBelow picks 1, 2 or 5 × 10ⁿ', () => {
  assert.equal(niceBelow(730), 500);
  assert.equal(niceBelow(199), 100);
  assert.equal(niceBelow(20), 20);
  assert.equal(niceBelow(3.5), 2);
});

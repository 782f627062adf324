/**
 * GPX replay for `beeptrace sim --gpx a.gpx,b.gpx`: each file is one person (named after the file,
 * without `.gpx`), its track points (`<trkpt lat lon><time/><hdop/></trkpt>`, GPX 1.0 and 1.1)
 * become fixes in time order. GPX has no accuracy field; a point's accuracy is 5 m × `hdop`
 * (a consumer receiver's ~5 m range error), or 10 m without one. Points without a time are an
 * error (a replay needs times). Errors name the file and the point.
 *
 * @example
 * const pop = gpxPopulation([{ file: 'alice.gpx', text }]);
 * pop.names // ['alice']
 * @module
 */
import { InputError } from '../../core/errors.ts';
import type { SimEvent } from './population.ts';
import { TracePopulation } from './trace.ts';

/** Accuracy of a point per unit of hdop, metres. */
export const METRES_PER_HDOP = 5;

/**
 * The fixes of one GPX text, oldest first. Throws InputError('bad_gpx') naming `file` and the point.
 * @example parseGpx('<gpx><trk><trkseg><trkpt lat="55.86" lon="-4.25"><time>2026-03-10T08:00:00Z</time></trkpt></trkseg></trk></gpx>', 'a.gpx')
 */
export function parseGpx(text: string, file: string): SimEvent[] {
  if (!/<gpx[\s>]/.test(text)) throw new InputError('bad_gpx', `${file}: not a GPX document (no <gpx> element)`);
  const out: SimEvent[] = [];
  const re = /<trkpt\b([^>]*?)(\/>|>([\s\S]*?)<\/trkpt>)/g;
  let k = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    k++;
    const where = `${file}: track point ${k}`;
    const attr = (name: string) => new RegExp(`\\b${name}\\s*=\\s*["']([^"']*)["']`).exec(m![1])?.[1];
    const child = (name: string) => new RegExp(`<${name}>\\s*([^<]*?)\\s*</${name}>`).exec(m![3] ?? '')?.[1];
    const lat = Number(attr('lat'));
    const lon = Number(attr('lon'));
    if (attr('lat') === undefined || !(Math.abs(lat) <= 90)) throw new InputError('bad_gpx', `${where}: lat must be a number in −90..90, got ${attr('lat')}`);
    if (attr('lon') === undefined || !(Math.abs(lon) <= 180)) throw new InputError('bad_gpx', `${where}: lon must be a number in −180..180, got ${attr('lon')}`);
    const time = child('time');
    const t = time === undefined ? NaN : Date.parse(time);
    if (!Number.isFinite(t) || !/^\d{4}-\d{2}-\d{2}T/.test(time ?? '')) throw new InputError('bad_gpx', `${where}: needs a <time> like 2026-03-10T08:00:00Z, got ${time}`);
    const hdop = child('hdop');
    const h = hdop === undefined ? undefined : Number(hdop);
    if (h !== undefined && !(h >= 0 && h <= 1000)) throw new InputError('bad_gpx', `${where}: hdop must be a number ≥ 0, got ${hdop}`);
    out.push({ kind: 'fix', t, lat, lon, acc: h === undefined ? 10 : h * METRES_PER_HDOP });
  }
  if (!out.length) throw new InputError('bad_gpx', `${file}: no track points (<trkpt>)`);
  return out.sort((a, b) => a.t - b.t);
}

/**
 * A population of GPX files, one person each, named after the file (without directory and `.gpx`).
 * Throws InputError('usage') if two files give the same name.
 * @example gpxPopulation([{ file: 'test/fixtures/gpx/alice.gpx', text }]).names // ['alice']
 */
export function gpxPopulation(files: { file: string; text: string }[]): TracePopulation {
  const names: string[] = [];
  const byUser: SimEvent[][] = [];
  let first = Infinity;
  let last = -Infinity;
  for (const { file, text } of files) {
    const name = file.replace(/^.*[\\/]/, '').replace(/\.gpx$/i, '');
    if (names.includes(name)) throw new InputError('usage', `two GPX files are named "${name}"`);
    const ev = parseGpx(text, file);
    names.push(name);
    byUser.push(ev);
    first = Math.min(first, ev[0].t);
    last = Math.max(last, ev[ev.length - 1].t);
  }
  if (!names.length) throw new InputError('usage', 'no GPX files');
  return new TracePopulation(names, byUser, Math.floor(first / 86_400_000), Math.floor(last / 86_400_000));
}

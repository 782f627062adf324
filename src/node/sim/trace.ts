/**
 * Trace replay for `beeptrace sim --trace FILE.jsonl`: one fix per line,
 *   {"user":"A","t":"2026-03-02T09:00:00Z","lat":55.87210,"lon":-4.28820,"acc":8}
 * `t` is an ISO time or epoch milliseconds; a line with "venue":"ID" instead of lat/lon is a venue
 * check-in that the user's next line ends. Any other key is an error (a typo must not pass
 * silently). Errors name the file and line.
 *
 * @example
 * const pop = parseTrace(text, 'trace.jsonl');
 * pop.names // ['A', 'B']
 * @module
 */
import { InputError } from '../../core/errors.ts';
import { utf8, toHex } from '../../core/bytes.ts';
import { sha256 } from '@noble/hashes/sha2.js';
import type { Population, SimEvent } from './population.ts';

const KEYS = new Set(['user', 't', 'lat', 'lon', 'acc', 'venue']);

/** Venue ids on the wire are 16 hex characters; other names are hashed to that form. */
export function venueId(name: string): string {
  return /^[0-9a-f]{16}$/.test(name) ? name : toHex(sha256(utf8(`BeepTrace/venue/${name}`)).subarray(0, 8));
}

export class TracePopulation implements Population {
  constructor(
    readonly names: string[],
    private readonly byUser: SimEvent[][],
    readonly firstDay: number,
    readonly lastDay: number,
  ) {}
  events(user: number): SimEvent[] {
    return this.byUser[user];
  }
}

/** Parse a JSONL trace. Throws InputError('bad_line') with `file:line: problem`. */
export function parseTrace(text: string, file: string): TracePopulation {
  const users = new Map<string, SimEvent[]>();
  const lines = text.split('\n');
  let first = Infinity;
  let last = -Infinity;
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    const where = `${file}:${i + 1}`;
    const bad = (msg: string): never => {
      throw new InputError('bad_line', `${where}: ${msg}`);
    };
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line);
    } catch (e) {
      return bad(`not JSON (${(e as Error).message})`);
    }
    if (typeof o !== 'object' || o === null || Array.isArray(o)) bad('a line must be a JSON object');
    for (const k of Object.keys(o)) if (!KEYS.has(k)) bad(`unknown key "${k}"`);
    if (typeof o.user !== 'string' || !o.user) bad('"user" must be a non-empty string');
    let t: number;
    if (typeof o.t === 'number' && Number.isFinite(o.t)) t = o.t;
    else if (typeof o.t === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(o.t) && !Number.isNaN(Date.parse(o.t))) t = Date.parse(o.t);
    else return bad('"t" must be an ISO time like 2026-03-02T09:00:00Z or epoch milliseconds');
    if (t < Date.UTC(2000, 0, 1) || t > Date.UTC(2100, 0, 1)) bad(`time ${new Date(t).toISOString()} is out of range`);
    let ev: SimEvent;
    if (o.venue !== undefined) {
      if (typeof o.venue !== 'string' || !o.venue) bad('"venue" must be a non-empty string');
      if (o.lat !== undefined || o.lon !== undefined) bad('a venue line has no lat/lon');
      ev = { kind: 'venue', t, venue: venueId(o.venue as string) };
    } else {
      if (typeof o.lat !== 'number' || !(Math.abs(o.lat) <= 90)) bad('"lat" must be a number in −90..90');
      if (typeof o.lon !== 'number' || !(Math.abs(o.lon) <= 180)) bad('"lon" must be a number in −180..180');
      const acc = o.acc === undefined ? 10 : o.acc;
      if (typeof acc !== 'number' || !(acc >= 0 && acc <= 100_000)) bad('"acc" must be a number of metres ≥ 0');
      ev = { kind: 'fix', t, lat: o.lat as number, lon: o.lon as number, acc: acc as number };
    }
    const list = users.get(o.user as string) ?? [];
    users.set(o.user as string, list);
    list.push(ev);
    first = Math.min(first, t);
    last = Math.max(last, t);
  });
  if (!users.size) throw new InputError('empty_trace', `${file}: no fixes`);
  const names = [...users.keys()];
  const byUser = names.map((n) => users.get(n)!.sort((a, b) => a.t - b.t));
  return new TracePopulation(names, byUser, Math.floor(first / 86_400_000), Math.floor(last / 86_400_000));
}

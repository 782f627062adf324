/**
 * Stay wire format: exactly 16 bytes (docs/PROTOCOL.md §Stay). Times are relative to the
 * batch's UTC day, so a stay never crosses midnight.
 *
 *   0  u16 start minute of the day (0..1439)
 *   2  u16 minutes (1..1440 − start)
 *   4  i32 latitude E7  | venue id bytes 0..3   (venue flag set)
 *   8  i32 longitude E7 | venue id bytes 4..7
 *  12  u16 radius metres
 *  14  u8  flags: bits 0–4 source (Source), bit 5 route (Source.ROUTE, never on a venue stay), bit 7 venue; bit 6 zero
 *  15  u8  precision (0 exact, 1 ~10 m, 2 ~100 m; 0 for venues)
 *
 * @example
 * const b = encodeStay(stay, day); decodeStay(b, day) // deep-equals stay
 * @module
 */
import { CodecError } from '../errors.ts';
import { fromHex, toHex } from '../bytes.ts';
import type { Day, PrecisionLevel, Stay } from '../types.ts';

export const STAY_BYTES = 16;
const VENUE_FLAG = 0x80;
/** Bit 5: a route stay (docs/PROTOCOL.md §5, §11.2), carried in `Stay.source` as `Source.ROUTE`. */
const ROUTE_FLAG = 0x20;

/** Write one stay of day `day` into `out` at `offset`. Throws RangeError if it does not fit the format. */
export function writeStay(out: Uint8Array, offset: number, s: Stay, day: Day): void {
  const rel = s.start - day * 1440;
  if (!Number.isInteger(rel) || rel < 0 || rel > 1439) throw new RangeError(`stay starts at minute ${s.start}, outside day ${day}`);
  if (!Number.isInteger(s.minutes) || s.minutes < 1 || rel + s.minutes > 1440) throw new RangeError(`stay of ${s.minutes} minutes crosses the end of day ${day}`);
  if (!Number.isInteger(s.radius) || s.radius < 0 || s.radius > 0xffff) throw new RangeError(`stay radius ${s.radius} out of range`);
  if (!Number.isInteger(s.source) || s.source < 0 || s.source > 0x3f) throw new RangeError(`stay source ${s.source} out of range`);
  if (s.venue !== undefined && s.source & ROUTE_FLAG) throw new RangeError('a venue stay is never a route stay');
  const v = new DataView(out.buffer, out.byteOffset + offset, STAY_BYTES);
  v.setUint16(0, rel);
  v.setUint16(2, s.minutes);
  if (s.venue !== undefined) {
    if (!/^[0-9a-f]{16}$/.test(s.venue)) throw new RangeError(`venue id must be 16 lower-case hex characters`);
    if (s.latE7 !== 0 || s.lonE7 !== 0 || s.precision !== 0) throw new RangeError('a venue stay has latE7 = lonE7 = 0 and precision 0 (the wire has no room for them)');
    out.set(fromHex(s.venue), offset + 4);
    v.setUint16(12, s.radius);
    v.setUint8(14, s.source | VENUE_FLAG);
    v.setUint8(15, 0);
    return;
  }
  if (!Number.isInteger(s.latE7) || Math.abs(s.latE7) > 900_000_000) throw new RangeError(`latitude ${s.latE7} out of range`);
  if (!Number.isInteger(s.lonE7) || Math.abs(s.lonE7) > 1_800_000_000) throw new RangeError(`longitude ${s.lonE7} out of range`);
  if (s.precision !== 0 && s.precision !== 1 && s.precision !== 2) throw new RangeError(`precision ${s.precision} unknown`);
  v.setInt32(4, s.latE7);
  v.setInt32(8, s.lonE7);
  v.setUint16(12, s.radius);
  v.setUint8(14, s.source);
  v.setUint8(15, s.precision);
}

/** Encode one stay (16 bytes). @example encodeStay(stay, day).length === 16 */
export function encodeStay(s: Stay, day: Day): Uint8Array {
  const out = new Uint8Array(STAY_BYTES);
  writeStay(out, 0, s, day);
  return out;
}

/** Read one stay; strict (CodecError on any non-canonical field). @example readStay(bytes, 0, day) */
export function readStay(b: Uint8Array, offset: number, day: Day): Stay {
  if (offset + STAY_BYTES > b.length) throw new CodecError('truncated', `stay at ${offset}: need 16 bytes`);
  // Plain byte arithmetic: a DataView per stay showed up in the solver's profile.
  const o = offset;
  const rel = (b[o] << 8) | b[o + 1];
  const minutes = (b[o + 2] << 8) | b[o + 3];
  if (rel > 1439) throw new CodecError('range', `stay start minute ${rel} > 1439`);
  if (minutes < 1 || rel + minutes > 1440) throw new CodecError('range', `stay of ${minutes} minutes from minute ${rel} crosses midnight`);
  const flags = b[o + 14];
  const precision = b[o + 15];
  if (flags & 0x40) throw new CodecError('range', `stay flags 0x${flags.toString(16)} use reserved bit 6`);
  const radius = (b[o + 12] << 8) | b[o + 13];
  const start = day * 1440 + rel;
  if (flags & VENUE_FLAG) {
    if (flags & ROUTE_FLAG) throw new CodecError('range', 'venue stay with the route flag');
    if (precision !== 0) throw new CodecError('range', 'venue stay with nonzero precision');
    return { start, minutes, latE7: 0, lonE7: 0, radius, source: flags & 0x1f, precision: 0, venue: toHex(b.subarray(offset + 4, offset + 12)) };
  }
  const latE7 = (b[o + 4] << 24) | (b[o + 5] << 16) | (b[o + 6] << 8) | b[o + 7];
  const lonE7 = (b[o + 8] << 24) | (b[o + 9] << 16) | (b[o + 10] << 8) | b[o + 11];
  if (Math.abs(latE7) > 900_000_000) throw new CodecError('range', `latitude ${latE7} out of range`);
  if (Math.abs(lonE7) > 1_800_000_000) throw new CodecError('range', `longitude ${lonE7} out of range`);
  if (precision > 2) throw new CodecError('range', `precision ${precision} unknown`);
  return { start, minutes, latE7, lonE7, radius, source: flags, precision: precision as PrecisionLevel };
}

/** Decode exactly one encoded stay (16 bytes, no more, no less); strict. @example decodeStay(encodeStay(s, day), day) */
export function decodeStay(b: Uint8Array, day: Day): Stay {
  if (b.length > STAY_BYTES) throw new CodecError('trailing', `stay: ${b.length - STAY_BYTES} trailing bytes`);
  return readStay(b, 0, day);
}

/**
 * The venue poster's QR payload (docs/PROTOCOL.md §7.11): a place certified by the CA as a VENUE
 * prints it; people scan it to check in. Compact binary, then base64url after a text prefix that
 * names the type and version (like the clinic and consent codes, src/core/codec/consent.ts):
 *
 *   `BTV1:` + base64url(u8 version=1 ‖ u8 type=3 ‖ u16 region ‖ venue key 32 ‖ u16 default stay
 *   minutes (1..240) ‖ u8 name length (1..64) ‖ name, UTF-8 ‖ signature 64)
 *
 * — 103 + name bytes: at most 167 bytes, 228 characters (a version-11 QR at error correction M, 61 modules a side).
 * The signature is the venue key's, over "BeepTrace/venue-poster/v1" ‖ every byte before it
 * (`posterBody`). The venue id a check-in records is not on the poster: it is derived from the
 * key (`venueIdOf`), so nobody can print a poster whose stays collide with another venue's.
 *
 * Decoding checks only the form (CodecError: `bad_prefix`, `wrong_type`, `bad_base64`,
 * `truncated`, `trailing`, `version`, `range`, `not_canonical`); the signature, the region and the
 * certificate are checked by src/core/venue.ts.
 *
 * @example
 * const text = encodePoster({ region: 1, venueKey, minutes: 60, name: 'Café Nord', signature });
 * decodePoster(text).name; // 'Café Nord'
 * @module
 */
import { fromBase64url, fromUtf8, toBase64url, utf8 } from '../bytes.ts';
import { CodecError } from '../errors.ts';
import { Reader, Writer } from './wire.ts';

/** Text prefix of a venue poster code. @example text.startsWith(POSTER_PREFIX) */
export const POSTER_PREFIX = 'BTV1:';
/** Binary format version of the poster code. @example decodePoster(text) // refuses any other version (`version`) */
export const POSTER_CODEC_VERSION = 1;
/** Type byte of a poster (clinic codes are 1, consent codes 2). @example POSTER_TYPE === 3 */
export const POSTER_TYPE = 3;
/** Most bytes of a venue name (UTF-8). @example MAX_VENUE_NAME_BYTES === 64 */
export const MAX_VENUE_NAME_BYTES = 64;
/** Longest default stay a poster may state, minutes (the recorder's venue limit, 4 h). @example MAX_VENUE_MINUTES === 240 */
export const MAX_VENUE_MINUTES = 240;
/** Most characters of a poster code's text (prefix + base64url of the largest poster). @example MAX_POSTER_CHARS === 228 */
export const MAX_POSTER_CHARS = POSTER_PREFIX.length + Math.ceil(((103 + MAX_VENUE_NAME_BYTES) * 4) / 3);

/** What a venue poster carries. @example { region: 1, venueKey, minutes: 60, name: 'Café Nord', signature } */
export interface Poster {
  region: number;
  /** The venue's Ed25519 public key (certified as Role.VENUE). */
  venueKey: Uint8Array;
  /** Default stay, minutes: the app checks out by itself this long after the scan. */
  minutes: number;
  /** The venue's name, as printed (1..64 bytes of UTF-8, no control characters). */
  name: string;
  /** The venue key's signature over `posterBody` (after a label, src/core/venue.ts). */
  signature: Uint8Array;
}

function checkName(name: string): Uint8Array {
  if (typeof name !== 'string' || name.trim() !== name || name === '') throw new RangeError('a venue name is a non-empty string without leading or trailing spaces');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) throw new RangeError('a venue name has no control characters');
  const b = utf8(name);
  if (b.length > MAX_VENUE_NAME_BYTES) throw new RangeError(`a venue name is at most ${MAX_VENUE_NAME_BYTES} bytes of UTF-8, got ${b.length}`);
  return b;
}

/**
 * The poster's bytes before its signature (what the venue key signs, after a label).
 * Throws RangeError for a name or duration the format cannot carry.
 * @example posterBody({ region: 1, venueKey, minutes: 60, name: 'Café Nord' })
 */
export function posterBody(p: Omit<Poster, 'signature'>): Uint8Array {
  const name = checkName(p.name);
  if (!Number.isInteger(p.minutes) || p.minutes < 1 || p.minutes > MAX_VENUE_MINUTES) throw new RangeError(`a poster's default stay is 1..${MAX_VENUE_MINUTES} minutes, got ${p.minutes}`);
  const w = new Writer(39 + name.length);
  w.u8(POSTER_CODEC_VERSION).u8(POSTER_TYPE).u16(p.region).bytes(p.venueKey, 32).u16(p.minutes).u8(name.length).bytes(name, name.length);
  return w.finish();
}

/** Encode a poster as QR text. @example encodePoster(p).startsWith('BTV1:') */
export function encodePoster(p: Poster): string {
  const body = posterBody(p);
  const w = new Writer(body.length + 64);
  w.bytes(body, body.length).bytes(p.signature, 64);
  return POSTER_PREFIX + toBase64url(w.finish());
}

/**
 * Decode a poster's text (form only; verify with `checkPoster`). Throws CodecError.
 * @example decodePoster(text).venueKey.length === 32
 */
export function decodePoster(text: string): Poster {
  if (typeof text !== 'string') throw new CodecError('bad_prefix', 'a venue poster code is text');
  const t = text.trim();
  if (!t.startsWith(POSTER_PREFIX)) {
    const kind = t.startsWith('BTC1:') ? 'a clinic code' : t.startsWith('BTP1:') ? 'a consent code' : null;
    if (kind) throw new CodecError('wrong_type', `this is ${kind}, not a venue poster`);
    throw new CodecError('bad_prefix', `not a BeepTrace venue poster (it must start with ${POSTER_PREFIX})`);
  }
  if (t.length > MAX_POSTER_CHARS) throw new CodecError('range', `venue poster: ${t.length} characters, at most ${MAX_POSTER_CHARS}`);
  let bytes: Uint8Array;
  try {
    bytes = fromBase64url(t.slice(POSTER_PREFIX.length));
  } catch {
    throw new CodecError('bad_base64', 'venue poster: the text after the prefix is not base64url');
  }
  const r = new Reader(bytes, 'venue poster');
  const version = r.u8('version');
  if (version !== POSTER_CODEC_VERSION) throw new CodecError('version', `venue poster: version ${version} (this app reads ${POSTER_CODEC_VERSION})`);
  const type = r.u8('type');
  if (type !== POSTER_TYPE) throw new CodecError('wrong_type', `venue poster: type byte ${type}, expected ${POSTER_TYPE}`);
  const region = r.u16('region');
  const venueKey = r.bytes(32, 'venue key').slice();
  const minutes = r.check(r.u16('minutes'), 1, MAX_VENUE_MINUTES, 'minutes');
  const len = r.check(r.u8('name length'), 1, MAX_VENUE_NAME_BYTES, 'name length');
  let name: string;
  try {
    name = fromUtf8(r.bytes(len, 'name'));
  } catch {
    throw new CodecError('not_canonical', 'venue poster: the name is not UTF-8');
  }
  try {
    checkName(name);
  } catch (e) {
    throw new CodecError('not_canonical', `venue poster: ${(e as Error).message}`);
  }
  const signature = r.bytes(64, 'signature').slice();
  r.end();
  return { region, venueKey, minutes, name, signature };
}

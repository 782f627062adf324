/**
 * The two QR payloads of a diagnosis (docs/PROTOCOL.md §7.10): the **clinic code** a diagnostician
 * shows (its key, its region and a fresh challenge, signed by it) and the **consent code** a
 * patient shows back (the chosen days' public keys with possession proofs bound to that challenge
 * and that diagnostician). Compact binary, then base64url after a text prefix that names the type
 * and version, so a QR reader tells the two apart before decoding:
 *
 * - clinic code  `BTC1:` + base64url(u8 version=1 ‖ u8 type=1 ‖ u16 region ‖ diagnostician 32 ‖
 *   challenge 32 ‖ signature 64) — 132 bytes, 181 characters;
 * - consent code `BTP1:` + base64url(u8 version=1 ‖ u8 type=2 ‖ u16 region ‖ diagnostician 32 ‖
 *   challenge 32 ‖ u8 count ‖ u32 first day ‖ count × (u8 day − first day ‖ day public key 32 ‖
 *   proof 64)) — 73 + 97 per day: 1 431 bytes, 1 913 characters for 14 days (a version-33 QR at
 *   error correction L, well inside what phone cameras read off a screen; at most 16 days).
 *
 * A challenge is u32 issue time (seconds) ‖ 28 random bytes, so whoever holds it knows its age.
 * Decoding checks only the form (CodecError: `bad_prefix`, `wrong_type`, `bad_base64`,
 * `truncated`, `trailing`, `version`, `range`, `not_canonical`); signatures, freshness, region
 * and certificates are checked by src/core/consent.ts.
 *
 * @example
 * const text = encodeClinicCode({ region: 1, diagnostician, challenge, signature });
 * decodeClinicCode(text).challenge; // 32 bytes
 * @module
 */
import { fromBase64url, toBase64url } from '../bytes.ts';
import { CodecError } from '../errors.ts';
import { Reader, Writer } from './wire.ts';
import type { Day } from '../types.ts';

/** Text prefix of a clinic code. @example text.startsWith(CLINIC_PREFIX) */
export const CLINIC_PREFIX = 'BTC1:';
/** Text prefix of a consent code. @example text.startsWith(CONSENT_PREFIX) */
export const CONSENT_PREFIX = 'BTP1:';
/** Binary format version of both codes. */
export const CONSENT_CODEC_VERSION = 1;
/** Most days one consent code carries (keeps the QR code readable: 16 days: 2 167 characters). @example MAX_CONSENT_DAYS === 16 */
export const MAX_CONSENT_DAYS = 16;
/** Bytes of a challenge: u32 issue time (seconds) ‖ 28 random bytes. */
export const CHALLENGE_BYTES = 32;

const TYPE_CLINIC = 1;
const TYPE_CONSENT = 2;

/** What a clinic code carries. @example { region: 1, diagnostician, challenge, signature } */
export interface ClinicCode {
  region: number;
  /** The diagnostician's Ed25519 public key. */
  diagnostician: Uint8Array;
  /** u32 issue time (seconds) ‖ 28 random bytes. */
  challenge: Uint8Array;
  /** The diagnostician's signature over `clinicSignedBytes` (src/core/consent.ts). */
  signature: Uint8Array;
}

/** One consented day: its public key and its possession proof. */
export interface ConsentDay {
  day: Day;
  dayPub: Uint8Array;
  proof: Uint8Array;
}

/** What a consent code carries. Days in increasing order, at most 255 apart. */
export interface ConsentCode {
  region: number;
  diagnostician: Uint8Array;
  challenge: Uint8Array;
  days: ConsentDay[];
}

/** Issue time (seconds) a challenge carries. @example challengeIssuedAt(challenge) === 1_790_000_000 */
export function challengeIssuedAt(challenge: Uint8Array): number {
  if (!(challenge instanceof Uint8Array) || challenge.length !== CHALLENGE_BYTES) throw new RangeError(`a challenge is ${CHALLENGE_BYTES} bytes`);
  return new DataView(challenge.buffer, challenge.byteOffset, 4).getUint32(0);
}

/** A fresh challenge issued at `nowSec`: u32 time ‖ 28 random bytes. @example makeChallenge(nowSec, c.randomBytes(28)) */
export function makeChallenge(nowSec: number, random28: Uint8Array): Uint8Array {
  if (random28.length !== CHALLENGE_BYTES - 4) throw new RangeError('makeChallenge: need 28 random bytes');
  const w = new Writer(CHALLENGE_BYTES);
  w.u32(nowSec);
  w.bytes(random28, CHALLENGE_BYTES - 4);
  return w.finish();
}

/** The clinic code's bytes before its signature (what the diagnostician signs, after a label). @example clinicBody({ region, diagnostician, challenge }) */
export function clinicBody(c: Omit<ClinicCode, 'signature'>): Uint8Array {
  const w = new Writer(68);
  w.u8(CONSENT_CODEC_VERSION).u8(TYPE_CLINIC).u16(c.region).bytes(c.diagnostician, 32).bytes(c.challenge, CHALLENGE_BYTES);
  return w.finish();
}

/** Encode a clinic code as QR text. @example encodeClinicCode(code).startsWith('BTC1:') */
export function encodeClinicCode(c: ClinicCode): string {
  const w = new Writer(132);
  w.u8(CONSENT_CODEC_VERSION).u8(TYPE_CLINIC).u16(c.region).bytes(c.diagnostician, 32).bytes(c.challenge, CHALLENGE_BYTES).bytes(c.signature, 64);
  return CLINIC_PREFIX + toBase64url(w.finish());
}

/** Encode a consent code as QR text. Days must be increasing, within 255 days of the first, 1..16. @example encodeConsentCode(code).startsWith('BTP1:') */
export function encodeConsentCode(c: ConsentCode): string {
  const n = c.days.length;
  if (n < 1 || n > MAX_CONSENT_DAYS) throw new RangeError(`a consent code carries 1..${MAX_CONSENT_DAYS} days, got ${n}`);
  const first = c.days[0].day;
  const w = new Writer(73 + n * 97);
  w.u8(CONSENT_CODEC_VERSION).u8(TYPE_CONSENT).u16(c.region).bytes(c.diagnostician, 32).bytes(c.challenge, CHALLENGE_BYTES).u8(n).u32(first);
  let prev = -1;
  for (const d of c.days) {
    const off = d.day - first;
    if (!Number.isInteger(off) || off <= prev || off > 255) throw new RangeError('consent code: days must be increasing whole day numbers within 255 days of the first');
    prev = off;
    w.u8(off).bytes(d.dayPub, 32).bytes(d.proof, 64);
  }
  return CONSENT_PREFIX + toBase64url(w.finish());
}

/** What kind of code a scanned text is, without decoding it. @example codeKind('BTC1:…') === 'clinic' */
export function codeKind(text: string): 'clinic' | 'consent' | null {
  if (typeof text !== 'string') return null;
  if (text.startsWith(CLINIC_PREFIX)) return 'clinic';
  if (text.startsWith(CONSENT_PREFIX)) return 'consent';
  return null;
}

function payload(text: string, want: 'clinic' | 'consent'): Uint8Array {
  const kind = codeKind(typeof text === 'string' ? text.trim() : text);
  const name = want === 'clinic' ? 'clinic code' : 'consent code';
  if (kind === null) throw new CodecError('bad_prefix', `not a BeepTrace ${name} (it must start with ${want === 'clinic' ? CLINIC_PREFIX : CONSENT_PREFIX})`);
  if (kind !== want) throw new CodecError('wrong_type', `this is a ${kind} code, not a ${name}`);
  try {
    return fromBase64url(text.trim().slice(CLINIC_PREFIX.length));
  } catch {
    throw new CodecError('bad_base64', `${name}: the text after the prefix is not base64url`);
  }
}

function head(r: Reader, type: number, name: string): { region: number; diagnostician: Uint8Array; challenge: Uint8Array } {
  const version = r.u8('version');
  if (version !== CONSENT_CODEC_VERSION) throw new CodecError('version', `${name}: version ${version} (this app reads ${CONSENT_CODEC_VERSION})`);
  const t = r.u8('type');
  if (t !== type) throw new CodecError('wrong_type', `${name}: type byte ${t}, expected ${type}`);
  return { region: r.u16('region'), diagnostician: r.bytes(32, 'diagnostician').slice(), challenge: r.bytes(CHALLENGE_BYTES, 'challenge').slice() };
}

/** Decode a clinic code's text (form only; verify with `checkClinicCode`). Throws CodecError. @example decodeClinicCode(text).diagnostician */
export function decodeClinicCode(text: string): ClinicCode {
  const r = new Reader(payload(text, 'clinic'), 'clinic code');
  const h = head(r, TYPE_CLINIC, 'clinic code');
  const signature = r.bytes(64, 'signature').slice();
  r.end();
  return { ...h, signature };
}

/** Decode a consent code's text (form only; proofs are checked by `checkConsent`). Throws CodecError. @example decodeConsentCode(text).days.length */
export function decodeConsentCode(text: string): ConsentCode {
  const r = new Reader(payload(text, 'consent'), 'consent code');
  const h = head(r, TYPE_CONSENT, 'consent code');
  const n = r.check(r.u8('count'), 1, MAX_CONSENT_DAYS, 'count');
  const first = r.u32('first day');
  const days: ConsentDay[] = [];
  let prev = -1;
  for (let i = 0; i < n; i++) {
    const off = r.u8('day offset');
    if (i === 0 ? off !== 0 : off <= prev) throw new CodecError('not_canonical', 'consent code: day offsets must start at 0 and increase');
    prev = off;
    if (first + off > 0xffffffff) throw new CodecError('range', 'consent code: day past 2^32');
    days.push({ day: first + off, dayPub: r.bytes(32, 'day public key').slice(), proof: r.bytes(64, 'proof').slice() });
  }
  r.end();
  return { ...h, days };
}

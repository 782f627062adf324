/**
 * The two QR payloads of a diagnosis (docs/PROTOCOL.md §7.10, version 2): the **clinic code** a
 * diagnostician shows (its key, its region, a fresh challenge and a fresh X25519 exchange key,
 * signed by it) and the **consent code** a patient shows back (the region, the diagnostician and
 * the challenge it answers, the patient's own fresh exchange key, and — sealed to the two exchange
 * keys, so that a photograph of either code reveals nothing — the chosen days' public keys with
 * possession proofs). Compact binary, then base64url after a text prefix that names the type, so a
 * QR reader tells the two apart before decoding:
 *
 * - clinic code  `BTC1:` + base64url(u8 version=2 ‖ u8 type=1 ‖ u16 region ‖ diagnostician 32 ‖
 *   challenge 32 ‖ exchange key 32 ‖ signature 64) — 164 bytes, 224 characters;
 * - consent code `BTP1:` + base64url(u8 version=2 ‖ u8 type=2 ‖ u16 region ‖ diagnostician 32 ‖
 *   challenge 32 ‖ patient exchange key 32 ‖ sealed) with sealed = ChaCha20-Poly1305 of the
 *   consented days (u8 count ‖ u32 first day ‖ count × (u8 day − first day ‖ day public key 32 ‖
 *   proof 64)) and its 16-byte tag — 121 + 97 per day: 1 479 bytes, 1 977 characters for 14 days
 *   (a version-33 QR at error correction L; at most 16 days: 2 236 characters, version 35).
 *
 * A challenge is u32 issue time (seconds) ‖ 28 random bytes, so whoever holds it knows its age.
 * Decoding checks only the form (CodecError: `bad_prefix`, `wrong_type`, `bad_base64`,
 * `truncated`, `trailing`, `version`, `range`, `not_canonical`); signatures, freshness, region,
 * certificates and the sealing are checked by src/core/consent.ts.
 *
 * @example
 * const text = encodeClinicCode({ region: 1, diagnostician, challenge, exchangeKey, signature });
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
/** Binary format version of both codes (1: the consent carried its days in the clear, issue 18). */
export const CONSENT_CODEC_VERSION = 2;
/** Most days one consent code carries (keeps the QR code readable: 16 days: 2 236 characters). @example MAX_CONSENT_DAYS === 16 */
export const MAX_CONSENT_DAYS = 16;
/** Bytes of a consent code before its sealed days (its AAD): version, type, region, diagnostician, challenge, patient key. */
export const CONSENT_HEAD_BYTES = 100;
/** Bytes one consented day takes in the sealed part. */
export const CONSENT_DAY_BYTES = 97;
/** The AEAD tag of the sealed part. */
const TAG_BYTES = 16;
/** Bytes of a challenge: u32 issue time (seconds) ‖ 28 random bytes. */
export const CHALLENGE_BYTES = 32;

const TYPE_CLINIC = 1;
const TYPE_CONSENT = 2;

/** What a clinic code carries. @example { region: 1, diagnostician, challenge, exchangeKey, signature } */
export interface ClinicCode {
  region: number;
  /** The diagnostician's Ed25519 public key. */
  diagnostician: Uint8Array;
  /** u32 issue time (seconds) ‖ 28 random bytes. */
  challenge: Uint8Array;
  /** A fresh X25519 public key for this challenge only; its secret stays in the clinic's app. */
  exchangeKey: Uint8Array;
  /** The diagnostician's signature over the bytes before it (src/core/consent.ts). */
  signature: Uint8Array;
}

/** One consented day: its public key and its possession proof. */
export interface ConsentDay {
  day: Day;
  dayPub: Uint8Array;
  proof: Uint8Array;
}

/** What a consent code carries in the clear, and its sealed days (`decodeConsentDays` after opening). */
export interface ConsentCode {
  region: number;
  diagnostician: Uint8Array;
  challenge: Uint8Array;
  /** The patient's fresh X25519 public key for this consent only. */
  patientKey: Uint8Array;
  /** The consented days, sealed (ChaCha20-Poly1305 output: 5 + 97·K bytes and a 16-byte tag). */
  sealed: Uint8Array;
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

/** The clinic code's bytes before its signature (what the diagnostician signs, after a label). @example clinicBody({ region, diagnostician, challenge, exchangeKey }) */
export function clinicBody(c: Omit<ClinicCode, 'signature'>): Uint8Array {
  const w = new Writer(100);
  w.u8(CONSENT_CODEC_VERSION).u8(TYPE_CLINIC).u16(c.region).bytes(c.diagnostician, 32).bytes(c.challenge, CHALLENGE_BYTES).bytes(c.exchangeKey, 32);
  return w.finish();
}

/** Encode a clinic code as QR text. @example encodeClinicCode(code).startsWith('BTC1:') */
export function encodeClinicCode(c: ClinicCode): string {
  const w = new Writer(164);
  w.bytes(clinicBody(c), 100).bytes(c.signature, 64);
  return CLINIC_PREFIX + toBase64url(w.finish());
}

/** A consent code's bytes before its sealed days: the AAD of the sealing. @example consentHead(code) */
export function consentHead(c: Omit<ConsentCode, 'sealed'>): Uint8Array {
  const w = new Writer(CONSENT_HEAD_BYTES);
  w.u8(CONSENT_CODEC_VERSION).u8(TYPE_CONSENT).u16(c.region).bytes(c.diagnostician, 32).bytes(c.challenge, CHALLENGE_BYTES).bytes(c.patientKey, 32);
  return w.finish();
}

/** Encode a consent code as QR text (the days already sealed). @example encodeConsentCode(code).startsWith('BTP1:') */
export function encodeConsentCode(c: ConsentCode): string {
  const k = (c.sealed.length - TAG_BYTES - 5) / CONSENT_DAY_BYTES;
  if (!Number.isInteger(k) || k < 1 || k > MAX_CONSENT_DAYS) throw new RangeError(`a consent code's sealed part holds 1..${MAX_CONSENT_DAYS} days (21 + 97·K bytes), got ${c.sealed.length} bytes`);
  const w = new Writer(CONSENT_HEAD_BYTES + c.sealed.length);
  w.bytes(consentHead(c), CONSENT_HEAD_BYTES).bytes(c.sealed, c.sealed.length);
  return CONSENT_PREFIX + toBase64url(w.finish());
}

/** The plaintext of a consent's sealed part: the days (increasing, within 255 days of the first, 1..16). @example encodeConsentDays(proofs).length === 5 + 97 * proofs.length */
export function encodeConsentDays(days: ConsentDay[]): Uint8Array {
  const n = days.length;
  if (n < 1 || n > MAX_CONSENT_DAYS) throw new RangeError(`a consent code carries 1..${MAX_CONSENT_DAYS} days, got ${n}`);
  const first = days[0].day;
  const w = new Writer(5 + n * CONSENT_DAY_BYTES);
  w.u8(n).u32(first);
  let prev = -1;
  for (const d of days) {
    const off = d.day - first;
    if (!Number.isInteger(off) || off <= prev || off > 255) throw new RangeError('consent code: days must be increasing whole day numbers within 255 days of the first');
    prev = off;
    w.u8(off).bytes(d.dayPub, 32).bytes(d.proof, 64);
  }
  return w.finish();
}

/** Decode the opened days of a consent (CodecError when malformed). @example decodeConsentDays(plaintext)[0].day */
export function decodeConsentDays(b: Uint8Array): ConsentDay[] {
  const r = new Reader(b, 'consent days');
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
  return days;
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
  const exchangeKey = r.bytes(32, 'exchange key').slice();
  const signature = r.bytes(64, 'signature').slice();
  r.end();
  return { ...h, exchangeKey, signature };
}

/**
 * Decode a consent code's text (form only: the days stay sealed; `checkConsent` opens them).
 * Throws CodecError; a sealed part that cannot hold a whole number of 1..16 days is `truncated`
 * (shorter than one day, or cut mid-day) or `range` (more than 16 days).
 * @example decodeConsentCode(text).patientKey
 */
export function decodeConsentCode(text: string): ConsentCode {
  const bytes = payload(text, 'consent');
  const r = new Reader(bytes, 'consent code');
  const h = head(r, TYPE_CONSENT, 'consent code');
  const patientKey = r.bytes(32, 'patient key').slice();
  const rest = bytes.length - CONSENT_HEAD_BYTES;
  const k = (rest - TAG_BYTES - 5) / CONSENT_DAY_BYTES;
  if (k < 1 || !Number.isInteger(k)) throw new CodecError('truncated', `consent code: its sealed part (${rest} bytes) is not 21 + 97 bytes per day: cut short`);
  if (k > MAX_CONSENT_DAYS) throw new CodecError('range', `consent code: ${k} days (at most ${MAX_CONSENT_DAYS})`);
  const sealed = r.bytes(rest, 'sealed days').slice();
  r.end();
  return { ...h, patientKey, sealed };
}

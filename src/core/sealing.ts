/**
 * Sealing of what only solvers may read (docs/PROTOCOL.md §Sealing):
 *
 * - Trace batch: one X25519 ephemeral key per pseudonym-day (derived from the seed, so every part
 *   of a day uses the same one and a solver derives one key per user-day).
 *   key = HKDF-SHA256(ikm = X25519(eph, epochPub), salt = ephPub ‖ epochPub, info = "BeepTrace/trace-key/v1")
 *   nonce = u8 part ‖ 11 zero bytes; AAD = the batch body before the sealed field (day, epoch,
 *   part, day public key, ephemeral key, bucket), so a ciphertext cannot be moved to another
 *   pseudonym, day or part. Plaintext: n_d (32) ‖ u8 count ‖ stays, zero-padded to the bucket.
 * - Case (diagnosis or self-report): a fresh random ephemeral key per case, info "BeepTrace/case-key/v1",
 *   zero nonce, AAD = epoch ‖ days ‖ ephPub. Plaintext: onset day u32 ‖ lookback u8 ‖ challenge 32 ‖
 *   K × (day u32 ‖ day public key ‖ possession proof).
 * - Possession proof: Ed25519 signature by the day key over
 *   "BeepTrace/possession/v1" ‖ SHA-256(binding ‖ challenge) ‖ u32 day, where binding is the
 *   diagnostician's public key (diagnosis) or the case's ephemeral key (self-report): a proof made
 *   for one clinic or one report cannot be replayed in another.
 *
 * @example
 * const body = sealTraceBatch(c, keys, { day, epoch, epochPub, part: 0, stays });
 * const opened = openTraceBatch(c, epochSecret, epochPub, decodeTraceBatch(body));
 * @module
 */
import { hkdf, type CryptoProvider } from './crypto.ts';
import { concat, toHex, u32be, utf8 } from './bytes.ts';
import { CodecError } from './errors.ts';
import { readStay, STAY_BYTES, writeStay } from './codec/stay.ts';
import {
  BUCKETS, caseSealedLength, encodeCase, encodeTraceBatch, ENDORSED_DAY_BYTES, MAX_CASE_DAYS,
  type CaseBody, type TraceBatchBody,
} from './codec/records.ts';
import type { UserKeys } from './keys.ts';
import type { Day, Stay } from './types.ts';

const TRACE_INFO = utf8('BeepTrace/trace-key/v1');
const CASE_INFO = utf8('BeepTrace/case-key/v1');
const POSSESSION = utf8('BeepTrace/possession/v1');

function sealKey(c: CryptoProvider, ephSecretOrEpochSecret: Uint8Array, otherPub: Uint8Array, ephPub: Uint8Array, epochPub: Uint8Array, info: Uint8Array): Uint8Array {
  const shared = c.x25519(ephSecretOrEpochSecret, otherPub);
  return hkdf(c, shared, concat(ephPub, epochPub), info, 32);
}

/** Smallest bucket index that holds `n` stays. @example bucketFor(28) === 0 */
export function bucketFor(n: number): number {
  const i = BUCKETS.findIndex((b) => b >= n);
  if (i < 0) throw new RangeError(`${n} stays do not fit one part (max ${BUCKETS[BUCKETS.length - 1]}); split the day into parts`);
  return i;
}

function traceNonce(part: number): Uint8Array {
  const n = new Uint8Array(12);
  n[0] = part;
  return n;
}

/** AAD of a trace batch = its body bytes before the sealed field. */
function traceAad(b: Omit<TraceBatchBody, 'sealed'>): Uint8Array {
  return concat(u32be(b.day), u32be(b.epoch), new Uint8Array([b.part]), b.dayPub, b.ephPub, new Uint8Array([b.bucket]));
}

/**
 * Seal one part of a user's day into a trace batch body. Stays must lie within `day`.
 * @example sealTraceBatch(c, keys, { day, epoch, epochPub, part: 0, stays })
 */
export function sealTraceBatch(
  c: CryptoProvider,
  keys: UserKeys,
  a: { day: Day; epoch: number; epochPub: Uint8Array; part: number; stays: Stay[] },
): Uint8Array {
  const bucket = bucketFor(a.stays.length);
  const size = BUCKETS[bucket];
  const eph = keys.dayEphemeral(a.day);
  const head = { day: a.day, epoch: a.epoch, part: a.part, dayPub: keys.daySigning(a.day).publicKey, ephPub: eph.publicKey, bucket };
  const pt = new Uint8Array(33 + size * STAY_BYTES);
  pt.set(keys.notificationSecret(a.day), 0);
  pt[32] = a.stays.length;
  a.stays.forEach((s, i) => writeStay(pt, 33 + i * STAY_BYTES, s, a.day));
  const key = sealKey(c, eph.secretKey, a.epochPub, eph.publicKey, a.epochPub, TRACE_INFO);
  const sealed = c.aeadSeal(key, traceNonce(a.part), pt, traceAad(head));
  return encodeTraceBatch({ ...head, sealed });
}

/** What a solver reads from a trace batch. */
export interface OpenedTrace {
  nd: Uint8Array;
  stays: Stay[];
}

/**
 * Per-solver cache of derived trace keys, by ephemeral public key: "decrypt each user-day once".
 * Bounded; clear it between runs.
 */
export class TraceKeyCache {
  private m = new Map<string, Uint8Array>();
  constructor(private max = 1_000_000) {}
  get(c: CryptoProvider, epochSecret: Uint8Array, epochPub: Uint8Array, ephPub: Uint8Array): Uint8Array {
    const k = toHex(ephPub);
    let v = this.m.get(k);
    if (!v) {
      v = sealKey(c, epochSecret, ephPub, ephPub, epochPub, TRACE_INFO);
      if (this.m.size >= this.max) this.m.clear();
      this.m.set(k, v);
    }
    return v;
  }
}

/**
 * Open a trace batch with the epoch private key. Returns null when it does not authenticate
 * (wrong epoch key, or tampered). Throws CodecError when it authenticates but its plaintext is
 * malformed (the uploader's fault; the solver skips it).
 * @example openTraceBatch(c, epochSecret, epochPub, decodeTraceBatch(body))
 */
export function openTraceBatch(c: CryptoProvider, epochSecret: Uint8Array, epochPub: Uint8Array, b: TraceBatchBody, cache?: TraceKeyCache): OpenedTrace | null {
  let key: Uint8Array;
  try {
    key = cache ? cache.get(c, epochSecret, epochPub, b.ephPub) : sealKey(c, epochSecret, b.ephPub, b.ephPub, epochPub, TRACE_INFO);
  } catch {
    return null; // low-order ephemeral key
  }
  const pt = c.aeadOpen(key, traceNonce(b.part), b.sealed, traceAad(b));
  if (!pt) return null;
  const count = pt[32];
  const size = BUCKETS[b.bucket];
  if (count > size) throw new CodecError('range', `trace batch claims ${count} stays in a bucket of ${size}`);
  const stays: Stay[] = [];
  for (let i = 0; i < count; i++) stays.push(readStay(pt, 33 + i * STAY_BYTES, b.day));
  for (let i = 33 + count * STAY_BYTES; i < pt.length; i++) {
    if (pt[i] !== 0) throw new CodecError('not_canonical', 'trace batch padding is not zero');
  }
  return { nd: pt.slice(0, 32), stays };
}

/** One day a patient proved to own. */
export interface EndorsedDay {
  day: Day;
  dayPub: Uint8Array;
  proof: Uint8Array;
}

/** The message a possession proof signs. @example possessionMessage(c, clinicPub, challenge, day) */
export function possessionMessage(c: CryptoProvider, binding: Uint8Array, challenge: Uint8Array, day: Day): Uint8Array {
  return concat(POSSESSION, c.sha256(concat(binding, challenge)), u32be(day));
}

/** The patient's device proves possession of its day keys for `days`. @example proveDays(keys, days, clinicPub, challenge) */
export function proveDays(keys: UserKeys, days: Day[], binding: Uint8Array, challenge: Uint8Array): EndorsedDay[] {
  return days.map((day) => {
    const kp = keys.daySigning(day);
    return { day, dayPub: kp.publicKey, proof: keys.c.ed25519Sign(kp.secretKey, possessionMessage(keys.c, binding, challenge, day)) };
  });
}

/** Check every proof; returns the days whose proof fails (empty when all hold). @example badProofs(c, endorsed, clinicPub, challenge).length === 0 */
export function badProofs(c: CryptoProvider, endorsed: EndorsedDay[], binding: Uint8Array, challenge: Uint8Array): Day[] {
  return endorsed.filter((e) => !c.ed25519Verify(e.dayPub, possessionMessage(c, binding, challenge, e.day), e.proof)).map((e) => e.day);
}

/** Plaintext of a case. */
export interface OpenedCase {
  onset: Day;
  lookback: number;
  challenge: Uint8Array;
  endorsed: EndorsedDay[];
}

function caseAad(epoch: number, days: number, ephPub: Uint8Array): Uint8Array {
  return concat(u32be(epoch), new Uint8Array([days]), ephPub);
}

/**
 * Seal a case (diagnosis or self-report) to the epoch key. `ephSecret` must be fresh random bytes.
 * @example encodeCase(sealCase(c, { epoch, epochPub, ephSecret, ...opened }))
 */
export function sealCase(c: CryptoProvider, a: OpenedCase & { epoch: number; epochPub: Uint8Array; ephSecret: Uint8Array }): Uint8Array {
  const k = a.endorsed.length;
  if (k < 1 || k > MAX_CASE_DAYS) throw new RangeError(`a case endorses 1..${MAX_CASE_DAYS} days, got ${k}`);
  const ephPub = c.x25519PublicKey(a.ephSecret);
  const pt = new Uint8Array(caseSealedLength(k) - 16);
  const v = new DataView(pt.buffer);
  v.setUint32(0, a.onset);
  pt[4] = a.lookback;
  pt.set(a.challenge, 5);
  a.endorsed.forEach((e, i) => {
    const o = 37 + i * ENDORSED_DAY_BYTES;
    v.setUint32(o, e.day);
    pt.set(e.dayPub, o + 4);
    pt.set(e.proof, o + 36);
  });
  const key = sealKey(c, a.ephSecret, a.epochPub, ephPub, a.epochPub, CASE_INFO);
  const sealed = c.aeadSeal(key, new Uint8Array(12), pt, caseAad(a.epoch, k, ephPub));
  const body: CaseBody = { epoch: a.epoch, days: k, ephPub, sealed };
  return encodeCase(body);
}

/** Open a case with the epoch private key; null if it does not authenticate. @example openCase(c, sk, pk, decodeCase(body)) */
export function openCase(c: CryptoProvider, epochSecret: Uint8Array, epochPub: Uint8Array, b: CaseBody): OpenedCase | null {
  let key: Uint8Array;
  try {
    key = sealKey(c, epochSecret, b.ephPub, b.ephPub, epochPub, CASE_INFO);
  } catch {
    return null;
  }
  const pt = c.aeadOpen(key, new Uint8Array(12), b.sealed, caseAad(b.epoch, b.days, b.ephPub));
  if (!pt) return null;
  const v = new DataView(pt.buffer, pt.byteOffset, pt.length);
  const endorsed: EndorsedDay[] = [];
  for (let i = 0; i < b.days; i++) {
    const o = 37 + i * ENDORSED_DAY_BYTES;
    endorsed.push({ day: v.getUint32(o), dayPub: pt.slice(o + 4, o + 36), proof: pt.slice(o + 36, o + 100) });
  }
  return { onset: v.getUint32(0), lookback: pt[4], challenge: pt.slice(5, 37), endorsed };
}


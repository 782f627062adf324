/**
 * Tag sets: a compact, salted Golomb-Rice coded set (GCS, as in Bitcoin's BIP-158 filters) of
 * 32-byte notification tags. The solver publishes one per (exposure day, risk level); every phone
 * downloads them all and asks "is my tag in this set?". Cost ≈ P + 1.6 bits per tag, a false
 * positive rate of 2^-P per query, no false negatives.
 *
 * ## Specification (docs/PROTOCOL.md §Tag sets)
 *
 * A record is `(n, P, salt, data)`: n ∈ 0..2^20 (1,048,576), P ∈ 1..32, salt 16 bytes (fresh and
 * random per set, so the same tag maps to unrelated values in different sets), data the coded bytes.
 *
 * - Prefix: x(t) = the first 8 bytes of SHA-256(salt ‖ t), big-endian, a 64-bit integer (t: 32 bytes).
 * - Count: n = the number of distinct x(t) over the input tags (= the number of distinct tags,
 *   except with probability < n²·2^-65; tags with equal x are indistinguishable to the set anyway).
 *   The builder accepts at most 2^20 input tags (before de-duplication).
 * - Range: F = n · 2^P ≤ 2^52, so every value below is an exact JS number.
 * - Mapping: h(t) = fastrange64(x(t), F) = ⌊x(t) · F / 2^64⌋, computed exactly (BigInt here).
 * - Values: the set of distinct h(t). If only k < n distinct values result (different x mapped to
 *   one value; expected n − k ≈ n / 2^(P+1)), n − k filler values are added so that the set has
 *   exactly n values: for j = 0, 1, 2, …, y_j = the first 8 bytes of
 *   SHA-256(salt ‖ "BeepTrace/tagset/fill" ‖ u32be(j)) (41 bytes of input, never 48 like a tag's),
 *   and fastrange64(y_j, F) is added unless already present, until the set has n values.
 *   Fillers cost nothing in accuracy: any n values in [0, F) give the false-positive rate n/F = 2^-P.
 * - Coding: sort the n values v_0 < v_1 < … < v_{n-1}; code each delta d_i = v_i − v_{i−1}
 *   (v_{−1} = 0) as Golomb-Rice: the quotient q = ⌊d_i / 2^P⌋ in unary (q one-bits, then a
 *   zero bit), then the remainder d_i mod 2^P in exactly P bits, most significant bit first.
 *   Bits are packed MSB-first into bytes; the last byte is padded with zero bits. n = 0 ⇒ no bytes.
 * - Canonical decoding (anything else is a `CodecError`): more than ⌈n·(P+2)/8⌉ bytes is 'trailing'
 *   (checked first); exactly n values are read ('truncated' if the bits run out); every delta
 *   after the first is ≥ 1 ('not_canonical': no duplicates); every value is < F ('range'); the
 *   padding bits are zero ('not_canonical'); no byte follows the last coded bit's byte ('trailing').
 *   Each set of n values in [0, F) thus has exactly one encoding.
 * - Query: t is reported a member iff h(t) (with this record's salt and F) is one of the values.
 *
 * Size: the gaps are ≈ exponential with mean 2^P, so q is geometric with mean 1/(e−1) ≈ 0.58:
 * ≈ P + 1.58 bits per value (P = 26: ≈ 3.45 bytes per tag).
 *
 * @example
 * const set = buildTagSet(nobleCrypto, tags, nobleCrypto.randomBytes(16), riceParameterFor(2 ** -26));
 * const index = new TagSetIndex(set);      // decodes and validates once
 * index.has(nobleCrypto, myTag);           // true for every tag in `tags`, else true with p ≈ 2^-26
 * @module
 */
import type { CryptoProvider } from './crypto.ts';
import { abytes, concat, u32be, utf8 } from './bytes.ts';
import { CodecError } from './errors.ts';

/** Largest n (and largest number of input tags) of a tag set: 2^20. */
export const MAX_TAGSET_N = 1 << 20;
const FILL_LABEL = utf8('BeepTrace/tagset/fill');

/** A published tag set: n coded values (tags after de-duplication), Rice parameter P, 16-byte salt, coded data. */
export interface TagSet {
  n: number;
  P: number;
  salt: Uint8Array;
  data: Uint8Array;
}

function checkInt(v: unknown, lo: number, hi: number, name: string): number {
  if (typeof v !== 'number') throw new TypeError(`tagset: ${name} must be a number, got ${typeof v}`);
  if (!Number.isInteger(v) || v < lo || v > hi) throw new RangeError(`tagset: ${name} = ${v} outside ${lo}..${hi}`);
  return v;
}
const checkP = (P: unknown): number => checkInt(P, 1, 32, 'P');
const checkN = (n: unknown): number => checkInt(n, 0, MAX_TAGSET_N, 'n');

/** First 8 bytes of a digest as a big-endian u64. */
function prefix64(h: Uint8Array): bigint {
  const hi = ((h[0] << 24) | (h[1] << 16) | (h[2] << 8) | h[3]) >>> 0;
  const lo = ((h[4] << 24) | (h[5] << 16) | (h[6] << 8) | h[7]) >>> 0;
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** ⌊x · F / 2^64⌋, exact. */
const fastrange64 = (x: bigint, F: bigint): number => Number((x * F) >> 64n);

/**
 * Build the tag set of `tags` (32 bytes each; duplicates allowed and removed) under `salt`.
 * Returns the record to publish; `n` is the count after de-duplication. Deterministic.
 * @example
 * const { n, data } = buildTagSet(nobleCrypto, [tagA, tagB, tagA], salt, 20); // n === 2
 */
export function buildTagSet(c: CryptoProvider, tags: Uint8Array[], salt: Uint8Array, P: number): TagSet {
  if (!Array.isArray(tags)) throw new TypeError('buildTagSet: tags must be an array of Uint8Array');
  abytes(salt, 16, 'buildTagSet: salt');
  checkP(P);
  if (tags.length > MAX_TAGSET_N) throw new RangeError(`buildTagSet: ${tags.length} tags, at most ${MAX_TAGSET_N}`);
  const xs = new BigUint64Array(tags.length);
  const input = new Uint8Array(48);
  input.set(salt, 0);
  for (let i = 0; i < tags.length; i++) {
    input.set(abytes(tags[i], 32, 'buildTagSet: tag'), 16);
    xs[i] = prefix64(c.sha256(input));
  }
  xs.sort();
  let n = 0;
  for (let i = 0; i < xs.length; i++) if (i === 0 || xs[i] !== xs[n - 1]) xs[n++] = xs[i];
  const F = BigInt(n) << BigInt(P);
  let values = new Float64Array(n);
  let m = 0;
  for (let i = 0; i < n; i++) {
    const v = fastrange64(xs[i], F); // fastrange is monotone in x, so `values` comes out sorted
    if (m === 0 || v !== values[m - 1]) values[m++] = v;
  }
  if (m < n) {
    const have = new Set(values.subarray(0, m));
    for (let j = 0; have.size < n; j++) have.add(fastrange64(prefix64(c.sha256(concat(salt, FILL_LABEL, u32be(j)))), F));
    values = Float64Array.from(have).sort();
  }
  return { n, P, salt: salt.slice(), data: encodeTagSet(values, P) };
}

/**
 * Golomb-Rice code strictly increasing integers `values` (each < values.length · 2^P): the inverse
 * of `decodeTagSet(values.length, P, ·)`. Throws RangeError for values that are not a valid set.
 * @example
 * encodeTagSet(Float64Array.of(3, 20), 4) // 1c 20: 0|0011 10|0001 + 5 zero padding bits
 */
export function encodeTagSet(values: Float64Array, P: number): Uint8Array {
  if (!(values instanceof Float64Array)) throw new TypeError('encodeTagSet: values must be a Float64Array');
  checkP(P);
  const n = checkN(values.length);
  const M = 2 ** P;
  const F = n * M;
  const out = new Uint8Array(Math.ceil((n * (P + 2)) / 8));
  let o = 0;
  let acc = 0; // pending bits, fewer than 8 between calls
  let nacc = 0;
  const put = (v: number, k: number): void => {
    // k ≤ 24 and v < 2^k: acc < 2^31 stays a non-negative int32.
    acc = (acc << k) | v;
    nacc += k;
    while (nacc >= 8) {
      nacc -= 8;
      out[o++] = acc >>> nacc;
      acc &= (1 << nacc) - 1;
    }
  };
  let prev = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (!Number.isInteger(v) || v >= F || (i > 0 ? v <= prev : v < 0)) {
      throw new RangeError(`encodeTagSet: values[${i}] = ${v} is not an integer in (${i > 0 ? prev : -1}, ${F})`);
    }
    const d = v - prev;
    prev = v;
    let q = Math.floor(d / M);
    const r = d - q * M;
    for (; q >= 24; q -= 24) put(0xffffff, 24);
    put(((1 << q) - 1) << 1, q + 1);
    if (P > 16) {
      put(Math.floor(r / 65536), P - 16);
      put(r & 0xffff, 16);
    } else put(r, P);
  }
  if (nacc > 0) out[o++] = acc << (8 - nacc);
  return out.slice(0, o);
}

/**
 * Strictly decode `data` as n Golomb-Rice coded values with parameter P: the sorted values.
 * Throws CodecError ('truncated', 'trailing', 'range', 'not_canonical') for any non-canonical input.
 * @example
 * decodeTagSet(2, 4, Uint8Array.of(0x1c, 0x20)) // Float64Array [3, 20]
 */
export function decodeTagSet(n: number, P: number, data: Uint8Array): Float64Array {
  checkN(n);
  checkP(P);
  abytes(data, undefined, 'decodeTagSet: data');
  const len = data.length;
  // At most n·(P+1) bits of remainders and stop bits plus ⌊(F−1)/2^P⌋ < n one-bits.
  const maxLen = Math.ceil((n * (P + 2)) / 8);
  if (len > maxLen) throw new CodecError('trailing', `tag set: ${len} bytes, at most ${maxLen} for n = ${n}, P = ${P}`);
  const bits = len * 8;
  const M = 2 ** P;
  const F = n * M;
  const out = new Float64Array(n);
  let pos = 0; // bit position
  let prev = 0;
  for (let i = 0; i < n; i++) {
    let q = 0;
    for (;;) {
      if (pos >= bits) throw new CodecError('truncated', `tag set: data ends inside value ${i} of ${n}`);
      const bit = (data[pos >>> 3] >>> (7 - (pos & 7))) & 1;
      pos++;
      if (bit === 0) break;
      q++;
    }
    if (pos + P > bits) throw new CodecError('truncated', `tag set: data ends inside value ${i} of ${n}`);
    let r = 0;
    for (let k = P; k > 0; ) {
      const avail = 8 - (pos & 7);
      const take = avail < k ? avail : k;
      r = r * (1 << take) + ((data[pos >>> 3] >>> (avail - take)) & ((1 << take) - 1));
      pos += take;
      k -= take;
    }
    const d = q * M + r;
    if (i > 0 && d === 0) throw new CodecError('not_canonical', `tag set: value ${i} repeats value ${i - 1}`);
    prev += d;
    if (prev >= F) throw new CodecError('range', `tag set: value ${i} = ${prev} not below F = ${F}`);
    out[i] = prev;
  }
  const used = Math.ceil(pos / 8);
  if (len > used) throw new CodecError('trailing', `tag set: ${len - used} trailing bytes after ${n} values`);
  if (pos & 7 && data[len - 1] & ((1 << (8 - (pos & 7))) - 1)) {
    throw new CodecError('not_canonical', 'tag set: nonzero padding bits');
  }
  return out;
}

/**
 * A decoded, validated tag set, ready for fast membership queries (binary search).
 * @example
 * const index = new TagSetIndex({ n, P, salt, data }); // throws CodecError on bad data
 * if (index.has(nobleCrypto, myTag)) notify();
 */
export class TagSetIndex {
  readonly n: number;
  readonly P: number;
  readonly salt: Uint8Array;
  private readonly values: Float64Array;
  private readonly F: bigint;
  constructor(set: TagSet) {
    if (typeof set !== 'object' || set === null) throw new TypeError('TagSetIndex: expected { n, P, salt, data }');
    this.salt = abytes(set.salt, 16, 'TagSetIndex: salt').slice();
    this.values = decodeTagSet(set.n, set.P, set.data);
    this.n = set.n;
    this.P = set.P;
    this.F = BigInt(set.n) << BigInt(set.P);
  }
  /**
   * Is `tag` (32 bytes) in the set? Never false for a member; true for a non-member with p = 2^-P.
   * @example index.has(nobleCrypto, tag) === true
   */
  has(c: CryptoProvider, tag: Uint8Array): boolean {
    abytes(tag, 32, 'TagSetIndex.has: tag');
    if (this.n === 0) return false;
    const v = fastrange64(prefix64(c.sha256(concat(this.salt, tag))), this.F);
    const a = this.values;
    let lo = 0;
    let hi = a.length - 1; // n ≥ 1
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (a[mid] < v) lo = mid + 1;
      else hi = mid;
    }
    return a[lo] === v;
  }
}

/**
 * Smallest Rice parameter P with 2^-P ≤ `falsePositive`, clamped to 1..32.
 * @example riceParameterFor(0.001) === 10; riceParameterFor(2 ** -26) === 26
 */
export function riceParameterFor(falsePositive: number): number {
  if (typeof falsePositive !== 'number') throw new TypeError('riceParameterFor: expected a number');
  if (!(falsePositive > 0)) throw new RangeError(`riceParameterFor: false-positive rate ${falsePositive} must be > 0`);
  for (let P = 1; P < 32; P++) if (2 ** -P <= falsePositive) return P;
  return 32;
}

/**
 * Approximate size in bytes of a set of n tags at parameter P (≈ P + 1.58 bits per tag), for planning.
 * @example expectedBytes(10_000, 26) // ≈ 34_478
 */
export function expectedBytes(n: number, P: number): number {
  checkN(n);
  checkP(P);
  return Math.ceil((n * (P + 1 + 1 / (Math.E - 1))) / 8);
}

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { nobleCrypto as c } from '../../src/core/crypto.ts';
import { concat, fromHex, toHex, u32be, utf8 } from '../../src/core/bytes.ts';
import { CodecError } from '../../src/core/errors.ts';
import {
  MAX_TAGSET_N,
  TagSetIndex,
  buildTagSet,
  decodeTagSet,
  encodeTagSet,
  expectedBytes,
  riceParameterFor,
} from '../../src/core/tagset.ts';

// ---- An independent reference of the spec in src/core/tagset.ts (BigInt and strings, no shared code). ----

const prefix = (salt: Uint8Array, input: Uint8Array): bigint => BigInt('0x' + toHex(c.sha256(concat(salt, input)).subarray(0, 8)));
const fastrange = (x: bigint, F: number): number => Number((x * BigInt(F)) >> 64n);

/** n, F and the sorted values the spec prescribes, plus the raw image size (before fillers). */
function reference(salt: Uint8Array, tags: Uint8Array[], P: number) {
  const xs = [...new Set(tags.map((t) => prefix(salt, t)))];
  const n = xs.length;
  const F = n * 2 ** P;
  const set = new Set(xs.map((x) => fastrange(x, F)));
  const image = set.size;
  for (let j = 0; set.size < n; j++) set.add(fastrange(prefix(salt, concat(utf8('BeepTrace/tagset/fill'), u32be(j))), F));
  return { n, F, image, values: [...set].sort((a, b) => a - b) };
}

/** Number of coded bits for sorted values at parameter P. */
function codedBits(values: ArrayLike<number>, P: number): number {
  let bits = 0;
  for (let i = 0, prev = 0; i < values.length; prev = values[i++]) bits += Math.floor((values[i] - prev) / 2 ** P) + 1 + P;
  return bits;
}

/** Deterministic 32-byte tags: SHA-256(label ‖ u32be(i)). */
const derivedTags = (label: string, count: number): Uint8Array[] =>
  Array.from({ length: count }, (_, i) => c.sha256(concat(utf8(label), u32be(i))));

/** mulberry32: a seeded PRNG, so the statistical test is reproducible. */
function prngBytes(seed: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let a = seed >>> 0;
  for (let i = 0; i < length; i += 4) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const w = (t ^ (t >>> 14)) >>> 0;
    for (let k = 0; k < 4 && i + k < length; k++) out[i + k] = w >>> (24 - 8 * k);
  }
  return out;
}

const isCodecError = (code?: string) => (e: unknown) => e instanceof CodecError && (code === undefined || e.code === code);

const arbP = fc.oneof(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 32 }));

// ---- Properties ----

test('property: no false negatives, and decode(encode) equals the sorted mapped values of the spec', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 2000 }),
      fc.integer({ min: 1, max: 5 }), // every k-th tag is a repeat of an earlier one
      fc.uint8Array({ minLength: 16, maxLength: 16 }),
      arbP,
      (count, k, salt, P) => {
        const base = derivedTags(toHex(salt), count);
        const tags = base.map((t, i) => (k > 1 && i % k === k - 1 ? base[i >> 1] : t));
        const set = buildTagSet(c, tags, salt, P);
        const ref = reference(salt, tags, P);
        assert.equal(set.n, ref.n);
        assert.equal(set.n, new Set(tags.map(toHex)).size);
        assert.equal(set.P, P);
        assert.deepEqual(set.salt, salt);
        assert.deepEqual(Array.from(decodeTagSet(set.n, P, set.data)), ref.values);
        assert.equal(set.data.length, Math.ceil(codedBits(ref.values, P) / 8));
        const index = new TagSetIndex(set);
        for (const t of tags) assert.equal(index.has(c, t), true);
      },
    ),
    { numRuns: 60 },
  );
});

test('property: arbitrary (often equal or all-zero) tags from fast-check round-trip and are all members', () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { maxLength: 300, size: 'large' }),
      fc.uint8Array({ minLength: 16, maxLength: 16 }),
      arbP,
      (tags, salt, P) => {
        const set = buildTagSet(c, tags, salt, P);
        const ref = reference(salt, tags, P);
        assert.equal(set.n, ref.n);
        assert.deepEqual(Array.from(decodeTagSet(set.n, P, set.data)), ref.values);
        const index = new TagSetIndex(set);
        assert.ok(tags.every((t) => index.has(c, t)));
      },
    ),
    { numRuns: 100 },
  );
});

test('property: encodeTagSet and decodeTagSet are inverse bijections on sets of n values below n·2^P', () => {
  fc.assert(
    fc.property(
      arbP.chain((P) =>
        fc.tuple(
          fc.constant(P),
          fc.integer({ min: 1, max: 200 }).chain((n) => fc.uniqueArray(fc.integer({ min: 0, max: Math.min(n * 2 ** P - 1, 2 ** 52) }), { minLength: n, maxLength: n })),
        ),
      ),
      ([P, vals]) => {
        const values = Float64Array.from(vals).sort();
        const data = encodeTagSet(values, P);
        assert.deepEqual(decodeTagSet(values.length, P, data), values);
        assert.equal(data.length, Math.ceil(codedBits(values, P) / 8));
      },
    ),
    { numRuns: 300 },
  );
});

test('property: random bytes either raise CodecError or decode to a set that re-encodes to the same bytes', () => {
  let decoded = 0;
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 40 }), arbP, fc.uint8Array({ maxLength: 64 }), (n, P, data) => {
      let values: Float64Array;
      try {
        values = decodeTagSet(n, P, data);
      } catch (e) {
        assert.ok(isCodecError()(e), String(e));
        return;
      }
      decoded++;
      assert.equal(values.length, n);
      for (let i = 0; i < n; i++) assert.ok(values[i] < n * 2 ** P && (i === 0 || values[i] > values[i - 1]));
      assert.deepEqual(encodeTagSet(values, P), data);
    }),
    { numRuns: 2000 },
  );
  assert.ok(decoded > 0, 'some random inputs should be valid encodings');
});

// ---- Accuracy, size, unlinkability ----

test('false-positive rate at P = 10 over 200,000 non-member queries is within 6 sigma of 2^-10', () => {
  const P = 10;
  const members = derivedTags('fp members', 1000);
  const set = buildTagSet(c, members, fromHex('f0'.repeat(16)), P);
  const index = new TagSetIndex(set);
  const memberHex = new Set(members.map(toHex));
  const Q = 200_000;
  const pool = prngBytes(42, 32 * Q);
  let hits = 0;
  for (let i = 0; i < Q; i++) {
    const q = pool.subarray(32 * i, 32 * i + 32);
    assert.ok(!memberHex.has(toHex(q)));
    if (index.has(c, q)) hits++;
  }
  // Each query maps to a uniform value in [0, F) and hits one of the n values with p = n / F = 2^-P.
  const p = set.n / (set.n * 2 ** P);
  const mean = Q * p;
  const sigma = Math.sqrt(Q * p * (1 - p));
  assert.ok(Math.abs(hits - mean) <= 6 * sigma, `hits ${hits}, expected ${mean.toFixed(1)} ± ${(6 * sigma).toFixed(1)}`);
});

test('size: 10,000 tags at P = 26 take at most 3.5 bytes per tag, close to expectedBytes', () => {
  const set = buildTagSet(c, derivedTags('size', 10_000), fromHex('11'.repeat(16)), 26);
  assert.equal(set.n, 10_000);
  assert.ok(set.data.length / 10_000 <= 3.5, `${set.data.length / 10_000} bytes per tag`);
  const expected = expectedBytes(10_000, 26);
  assert.ok(Math.abs(set.data.length - expected) / expected < 0.01, `${set.data.length} vs expected ${expected}`);
});

test('unlinkability: the same tags under two salts map to different values', () => {
  const tags = derivedTags('linkable?', 1000);
  const saltA = fromHex('aa'.repeat(16));
  const saltB = fromHex('bb'.repeat(16));
  const a = buildTagSet(c, tags, saltA, 20);
  const b = buildTagSet(c, tags, saltB, 20);
  assert.equal(a.n, b.n);
  assert.notDeepEqual(a.data, b.data);
  const F = a.n * 2 ** 20;
  let same = 0;
  for (const t of tags) if (fastrange(prefix(saltA, t), F) === fastrange(prefix(saltB, t), F)) same++;
  assert.equal(same, 0); // expected 1000 · 2^-20 ≈ 0.001 by chance
  // One tag in two otherwise different sets: its value differs.
  const t = tags[0];
  const one = reference(saltA, [t, ...derivedTags('others A', 9)], 26);
  const two = reference(saltB, [t, ...derivedTags('others B', 9)], 26);
  assert.notEqual(fastrange(prefix(saltA, t), one.F), fastrange(prefix(saltB, t), two.F));
});

// ---- Strict decoding ----

const small = buildTagSet(c, derivedTags('strict', 40), fromHex('5a'.repeat(16)), 12);
const smallValues = decodeTagSet(small.n, small.P, small.data);

test('every truncated encoding raises CodecError truncated', () => {
  for (let k = 0; k < small.data.length; k++) {
    assert.throws(() => decodeTagSet(small.n, small.P, small.data.subarray(0, k)), isCodecError('truncated'), `length ${k}`);
  }
  assert.throws(() => new TagSetIndex({ ...small, data: small.data.subarray(0, small.data.length - 1) }), isCodecError('truncated'));
});

test('an extra trailing byte raises CodecError trailing', () => {
  for (const extra of [0x00, 0x01, 0xff]) {
    assert.throws(() => decodeTagSet(small.n, small.P, concat(small.data, Uint8Array.of(extra))), isCodecError('trailing'));
  }
  assert.throws(() => decodeTagSet(0, 5, Uint8Array.of(0)), isCodecError('trailing'));
});

test('nonzero padding bits raise CodecError not_canonical', () => {
  // Find sets whose last byte has padding, for a few P, and set each padding bit in turn.
  let checked = 0;
  for (let P = 1; P <= 32; P += 3) {
    const set = buildTagSet(c, derivedTags(`pad ${P}`, 7), fromHex('77'.repeat(16)), P);
    const pad = set.data.length * 8 - codedBits(decodeTagSet(set.n, P, set.data), P);
    assert.ok(pad >= 0 && pad < 8);
    for (let b = 0; b < pad; b++) {
      const bad = set.data.slice();
      bad[bad.length - 1] |= 1 << b;
      assert.throws(() => decodeTagSet(set.n, P, bad), isCodecError('not_canonical'), `P ${P} bit ${b}`);
      checked++;
    }
  }
  assert.ok(checked > 10);
});

test('a wrong n raises CodecError', () => {
  for (const n of [0, 1, small.n - 2, small.n - 1, small.n + 1, small.n + 2, 2 * small.n]) {
    assert.throws(() => decodeTagSet(n, small.P, small.data), isCodecError(), `n ${n}`);
    assert.throws(() => new TagSetIndex({ ...small, n }), isCodecError(), `index n ${n}`);
  }
  assert.throws(() => decodeTagSet(1, 8, new Uint8Array()), isCodecError('truncated'));
});

test('duplicates and out-of-range values raise CodecError', () => {
  // P = 4, n = 2: 0|0011 then 0|0000 (delta 0 = a repeated value).
  assert.throws(() => decodeTagSet(2, 4, Uint8Array.of(0x18, 0x00)), isCodecError('not_canonical'));
  // P = 4, n = 1, F = 16: 10|0000 is the value 16.
  assert.throws(() => decodeTagSet(1, 4, Uint8Array.of(0x80)), isCodecError('range'));
  assert.deepEqual(decodeTagSet(1, 4, Uint8Array.of(0x78)), Float64Array.of(15)); // 0|1111: 15 is fine
  assert.deepEqual(decodeTagSet(1, 4, Uint8Array.of(0x00)), Float64Array.of(0)); // first value may be 0
});

test('every single-bit flip raises CodecError or decodes to a different set', () => {
  let rejected = 0;
  let different = 0;
  for (let bit = 0; bit < small.data.length * 8; bit++) {
    const bad = small.data.slice();
    bad[bit >> 3] ^= 0x80 >> (bit & 7);
    try {
      const values = decodeTagSet(small.n, small.P, bad);
      assert.notDeepEqual(values, smallValues);
      assert.deepEqual(encodeTagSet(values, small.P), bad);
      different++;
    } catch (e) {
      assert.ok(isCodecError()(e), `bit ${bit}: ${e}`);
      rejected++;
    }
  }
  assert.equal(rejected + different, small.data.length * 8);
  assert.ok(rejected > 0 && different > 0);
});

test('wrong argument types are TypeError, bad arguments RangeError', () => {
  const salt = new Uint8Array(16);
  const tag = new Uint8Array(32);
  assert.throws(() => buildTagSet(c, 'tags' as unknown as Uint8Array[], salt, 10), TypeError);
  assert.throws(() => buildTagSet(c, [[1, 2]] as unknown as Uint8Array[], salt, 10), TypeError);
  assert.throws(() => buildTagSet(c, [new Uint8Array(31)], salt, 10), RangeError);
  assert.throws(() => buildTagSet(c, [tag], new Uint8Array(15), 10), RangeError);
  for (const P of [0, 33, 1.5, NaN]) assert.throws(() => buildTagSet(c, [tag], salt, P), RangeError, `P ${P}`);
  assert.throws(() => buildTagSet(c, new Array(MAX_TAGSET_N + 1).fill(tag), salt, 10), RangeError);
  assert.throws(() => decodeTagSet(MAX_TAGSET_N + 1, 10, new Uint8Array()), RangeError);
  assert.throws(() => decodeTagSet(-1, 10, new Uint8Array()), RangeError);
  assert.throws(() => decodeTagSet(1, 10, [0, 0] as unknown as Uint8Array), TypeError);
  assert.throws(() => encodeTagSet(Float64Array.of(5, 5), 4), RangeError);
  assert.throws(() => encodeTagSet(Float64Array.of(32), 4), RangeError);
  assert.throws(() => new TagSetIndex({ ...small, salt: new Uint8Array(8) }), RangeError);
  assert.throws(() => new TagSetIndex(small).has(c, new Uint8Array(16)), RangeError);
});

test('riceParameterFor and expectedBytes', () => {
  assert.equal(riceParameterFor(2 ** -10), 10);
  assert.equal(riceParameterFor(0.001), 10);
  assert.equal(riceParameterFor(2 ** -26), 26);
  assert.equal(riceParameterFor(1e-6), 20);
  assert.equal(riceParameterFor(0.5), 1);
  assert.equal(riceParameterFor(1), 1);
  assert.equal(riceParameterFor(1e-12), 32);
  assert.equal(riceParameterFor(2 ** -32), 32);
  for (const bad of [0, -1, NaN]) assert.throws(() => riceParameterFor(bad), RangeError);
  assert.equal(expectedBytes(0, 26), 0);
  assert.equal(expectedBytes(10_000, 26), 34_478);
});

test('empty and duplicate inputs', () => {
  const salt = fromHex('01'.repeat(16));
  const empty = buildTagSet(c, [], salt, 20);
  assert.deepEqual([empty.n, empty.data.length], [0, 0]);
  assert.equal(new TagSetIndex(empty).has(c, new Uint8Array(32)), false);
  const [a, b] = derivedTags('dup', 2);
  const set = buildTagSet(c, [a, b, a.slice(), a], salt, 20);
  assert.equal(set.n, 2);
  const index = new TagSetIndex(set);
  assert.ok(index.has(c, a) && index.has(c, b));
});

test('large set: 150,000 tags at P = 26 round-trip, about 3.45 bytes per tag', () => {
  const tags = derivedTags('large', 150_000);
  const set = buildTagSet(c, tags, fromHex('3c'.repeat(16)), 26);
  assert.equal(set.n, 150_000);
  assert.ok(set.data.length / set.n < 3.5);
  const values = decodeTagSet(set.n, 26, set.data);
  assert.deepEqual(encodeTagSet(values, 26), set.data);
  const index = new TagSetIndex(set);
  for (let i = 0; i < tags.length; i += 101) assert.equal(index.has(c, tags[i]), true);
});

// ---- Known-answer vectors (for other implementations) ----
// salt = 000102…0f; tags = 32 bytes of 0x01, 0x02, …, 0x0a, then 32 bytes of 0x04 again (a duplicate).

test('known-answer vectors', () => {
  const salt = fromHex('000102030405060708090a0b0c0d0e0f');
  const tags = Array.from({ length: 10 }, (_, i) => new Uint8Array(32).fill(i + 1));
  tags.push(new Uint8Array(32).fill(4));
  const vectors = [
    {
      P: 20,
      values: [308255, 755670, 1475466, 1503030, 3530599, 7308628, 8834441, 8859161, 9752640, 10390979],
      data: '25a0f9b4edd5f76806bacbbc0c7a697b6748350304836889d37b06',
    },
    // P = 1 (F = 20): the 10 prefixes map to only 8 distinct values; 2 fillers complete the set.
    { P: 1, values: [0, 1, 2, 4, 6, 8, 13, 16, 18, 19], data: '1649b620' },
  ];
  for (const v of vectors) {
    const set = buildTagSet(c, tags, salt, v.P);
    assert.equal(set.n, 10);
    assert.equal(toHex(set.data), v.data, `P ${v.P}`);
    assert.deepEqual(Array.from(decodeTagSet(10, v.P, fromHex(v.data))), v.values);
    assert.deepEqual(reference(salt, tags, v.P).values, v.values);
  }
  assert.equal(reference(salt, tags, 1).image, 8);
  assert.equal(reference(salt, tags, 20).image, 10);
});

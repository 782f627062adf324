/**
 * Property tests of every BeepTrace wire format (docs/PROTOCOL.md §Encoding): the 16-byte stay,
 * every record body, and the block envelope. For each encoding:
 *
 * - round trip: decode(encode(x)) deep-equals x (also when the bytes sit at an offset in a bigger buffer);
 * - every truncation (every prefix length) throws CodecError;
 * - every extension (1..n extra bytes) throws CodecError;
 * - every single-bit flip either throws CodecError or decodes to a value that re-encodes to
 *   exactly the flipped bytes (canonical: one encoding per value) — never another exception;
 * - out-of-range values on encode throw RangeError.
 *
 * And a whole sealed block with any bit flipped is rejected by the ledger (World harness).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { nodeCrypto } from '../../src/node/node-crypto.ts';
import type { CryptoProvider } from '../../src/core/crypto.ts';
import { concat, toHex, utf8 } from '../../src/core/bytes.ts';
import { CodecError, RejectError } from '../../src/core/errors.ts';
import { Writer } from '../../src/core/codec/wire.ts';
import { decodeStay, encodeStay, STAY_BYTES } from '../../src/core/codec/stay.ts';
import {
  ANONYMOUS, decodeBlock, Kind, KIND_CHAINS, KIND_NAME, MAX_BODY, MAX_PARENTS, ROLE_SIGNED, sealBlock, signedMessage, powBitsOf,
  sortParents, type Block, type KindCode, type ParentRef,
} from '../../src/core/codec/block.ts';
import {
  BUCKETS, caseSealedLength, decodeCase, decodeCertificate, decodeCheckpoint, decodeEpochKey, decodeNotification,
  decodePolicyStatement, decodeRevocation, decodeTraceBatch, decodeWithdrawal, encodeCase, encodeCertificate, encodeCheckpoint,
  encodeEpochKey, encodeNotification, encodePolicyStatement, encodeRevocation, encodeTraceBatch, encodeWithdrawal,
  MAX_CASE_DAYS, MAX_PARTS, MAX_TAGSET_BYTES, Role, traceSealedLength,
  type CaseBody, type CertificateBody, type CheckpointBody, type EpochKeyBody, type NotificationBody, type RevocationBody,
  type TraceBatchBody, type WithdrawalBody,
} from '../../src/core/codec/records.ts';
import {
  certificateBlock, checkpointBlock, diagnosisBlock, epochKeyBlock, newRoleKey, notificationBlock, policyBlock, revocationBlock,
  selfReportBlock, traceBatchBlock, withdrawalBlock,
} from '../../src/core/blocks.ts';
import { proveDays } from '../../src/core/sealing.ts';
import { buildTagSet } from '../../src/core/tagset.ts';
import { UserKeys } from '../../src/core/keys.ts';
import { World } from '../../src/node/sim/world.ts';
import { seededCrypto } from './seeded-crypto.ts';
import { DEFAULT_POLICY } from '../../src/core/policy.ts';
import { Precision, Source, type Stay } from '../../src/core/types.ts';

// ───────────────────────────── helpers ─────────────────────────────

const U32_MAX = 0xffffffff;
const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: U32_MAX });
const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
/** fc.record with ordinary objects (decoders return ordinary objects; deepStrictEqual compares prototypes). */
const rec = <T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> => fc.record(model, { noNullPrototype: true }) as fc.Arbitrary<T>;

/** Strings with no lone surrogates (UTF-8 cannot carry those), sometimes starting with U+FEFF (a BOM must survive). */
function wellFormedString(maxBytes: number, maxLength: number): fc.Arbitrary<string> {
  const lone = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
  const s = fc.oneof(fc.string({ maxLength }), fc.string({ unit: 'binary', maxLength }), fc.string({ unit: 'grapheme', maxLength }));
  return fc.oneof(s, s.map((x) => '\uFEFF' + x)).filter((x) => !lone.test(x) && utf8(x).length <= maxBytes);
}

function isCodecError(e: unknown): e is CodecError {
  return e instanceof CodecError;
}

/** Run `f`; it must throw a CodecError (any other outcome fails with `why`). */
function mustCodecError(f: () => unknown, why: string): CodecError {
  try {
    f();
  } catch (e) {
    if (isCodecError(e)) return e;
    assert.fail(`${why}: threw ${(e as Error)?.name} (${(e as Error)?.message}), not CodecError`);
  }
  assert.fail(`${why}: decoded without error`);
}

function flipBit(b: Uint8Array, bit: number): Uint8Array {
  const f = b.slice();
  f[bit >> 3] ^= 0x80 >> (bit & 7);
  return f;
}

/** The bytes placed at offset `pad` inside a bigger buffer filled with 0xa5 (catches byteOffset bugs). */
function embedded(b: Uint8Array, pad: number): Uint8Array {
  const big = new Uint8Array(pad + b.length + 7).fill(0xa5);
  big.set(b, pad);
  return big.subarray(pad, pad + b.length);
}

interface Codec<T> {
  name: string;
  arb: fc.Arbitrary<T>;
  encode(x: T): Uint8Array;
  decode(b: Uint8Array): T;
  /** fast-check runs for the cheap properties; the exhaustive bit-flip property runs `flipRuns`. */
  runs: number;
  flipRuns: number;
}

/** The four properties every encoding must have. Registers four tests. */
function codecProperties<T>(k: Codec<T>): void {
  test(`${k.name}: decode(encode(x)) deep-equals x, also from an offset view`, () => {
    fc.assert(
      fc.property(k.arb, fc.integer({ min: 1, max: 9 }), (x, pad) => {
        const b = k.encode(x);
        assert.deepStrictEqual(k.decode(b), x);
        assert.deepStrictEqual(k.decode(embedded(b, pad)), x);
        assert.deepStrictEqual(k.encode(k.decode(b)), b, 'encoding is a function of the value');
      }),
      { numRuns: k.runs },
    );
  });

  test(`${k.name}: every truncation throws CodecError`, () => {
    fc.assert(
      fc.property(k.arb, (x) => {
        const b = k.encode(x);
        for (let len = 0; len < b.length; len++) mustCodecError(() => k.decode(b.slice(0, len)), `prefix of ${len}/${b.length} bytes`);
      }),
      { numRuns: Math.max(10, k.runs >> 2) },
    );
  });

  test(`${k.name}: any extension throws CodecError`, () => {
    fc.assert(
      fc.property(k.arb, fc.uint8Array({ minLength: 1, maxLength: 40 }), (x, extra) => {
        const b = k.encode(x);
        for (let n = 1; n <= extra.length; n++) mustCodecError(() => k.decode(concat(b, extra.subarray(0, n))), `${n} extra bytes`);
      }),
      { numRuns: Math.max(10, k.runs >> 2) },
    );
  });

  test(`${k.name}: every single-bit flip throws CodecError or re-encodes to exactly the flipped bytes`, () => {
    fc.assert(
      fc.property(k.arb, (x) => {
        const b = k.encode(x);
        for (let bit = 0; bit < b.length * 8; bit++) {
          const f = flipBit(b, bit);
          let v: T;
          try {
            v = k.decode(f);
          } catch (e) {
            if (!isCodecError(e)) assert.fail(`flip of bit ${bit}: ${(e as Error)?.name} (${(e as Error)?.message}), not CodecError`);
            continue;
          }
          let again: Uint8Array;
          try {
            again = k.encode(v);
          } catch (e) {
            assert.fail(`flip of bit ${bit} decoded to a value the encoder refuses: ${(e as Error).message}`);
          }
          assert.deepStrictEqual(again, f, `flip of bit ${bit}: decoded value has another encoding`);
        }
      }),
      { numRuns: k.flipRuns },
    );
  });
}

// ───────────────────────────── arbitraries ─────────────────────────────

const arbDay = fc.oneof(fc.integer({ min: 20_000, max: 22_000 }), fc.integer({ min: 0, max: U32_MAX }));
const arbLat = fc.oneof(fc.integer({ min: -900_000_000, max: 900_000_000 }), fc.constantFrom(-900_000_000, 0, 900_000_000));
const arbLon = fc.oneof(fc.integer({ min: -1_800_000_000, max: 1_800_000_000 }), fc.constantFrom(-1_800_000_000, 0, 1_800_000_000));

/** A stay of `day` (start at any minute, any duration up to midnight), position or venue. */
function arbStay(day: number): fc.Arbitrary<Stay> {
  return fc.integer({ min: 0, max: 1439 }).chain((rel) =>
    rec({
      rel: fc.constant(rel),
      minutes: fc.integer({ min: 1, max: 1440 - rel }),
      radius: u16,
      source: fc.integer({ min: 0, max: 0x3f }),
      where: fc.oneof(
        rec({ latE7: arbLat, lonE7: arbLon, precision: fc.constantFrom(Precision.EXACT, Precision.M10, Precision.M100) }),
        bytes(8).map((v) => ({ latE7: 0, lonE7: 0, precision: Precision.EXACT, venue: toHex(v) })),
      ),
    }).map(({ rel, minutes, radius, source, where }) => ({ start: day * 1440 + rel, minutes, radius, source: 'venue' in where ? source & 0x1f : source, ...where }) as Stay),
  );
}
const arbStayWithDay = arbDay.chain((day) => fc.tuple(fc.constant(day), arbStay(day)));

const arbTraceBatch: fc.Arbitrary<TraceBatchBody> = fc.integer({ min: 0, max: BUCKETS.length - 1 }).chain((bucket) =>
  rec({
    day: u32, epoch: u32, part: fc.integer({ min: 0, max: MAX_PARTS - 1 }), dayPub: bytes(32), ephPub: bytes(32),
    bucket: fc.constant(bucket), sealed: bytes(traceSealedLength(BUCKETS[bucket])),
  }),
);
const arbCase: fc.Arbitrary<CaseBody> = fc.integer({ min: 1, max: MAX_CASE_DAYS }).chain((days) =>
  rec({ epoch: u32, days: fc.constant(days), ephPub: bytes(32), sealed: bytes(caseSealedLength(days)) }),
);
const arbWithdrawal: fc.Arbitrary<WithdrawalBody> = rec({ day: u32, dayPub: bytes(32) });
const arbNotification: fc.Arbitrary<NotificationBody> = rec({
  exposureDay: u32, level: fc.constantFrom(1, 2), P: fc.integer({ min: 1, max: 32 }), n: fc.integer({ min: 1, max: 1_048_576 }),
  salt: bytes(16), data: fc.uint8Array({ maxLength: 64 }),
});
const arbCertificate: fc.Arbitrary<CertificateBody> = fc
  .record({
    serial: bytes(16), role: fc.constantFrom(Role.DIAGNOSTICIAN, Role.SOLVER, Role.VALIDATOR), region: u16, subject: bytes(32),
    a: u32, b: u32, name: wellFormedString(64, 20),
  })
  .filter((r) => r.a !== r.b)
  .map(({ a, b, ...r }) => ({ ...r, notBefore: Math.min(a, b), notAfter: Math.max(a, b) }));
const arbRevocation: fc.Arbitrary<RevocationBody> = rec({ subject: bytes(32), revokedAt: u32, reason: u8 });
const arbEpochKey: fc.Arbitrary<EpochKeyBody> = rec({ epoch: u32, publicKey: bytes(32) });
const arbPolicyJson: fc.Arbitrary<string> = fc.oneof(
  wellFormedString(4096, 60),
  fc.constant(JSON.stringify(DEFAULT_POLICY)),
  fc.json({ maxDepth: 2 }).filter((s) => utf8(s).length <= 4096),
);
const arbCheckpoint: fc.Arbitrary<CheckpointBody> = fc
  .record({ chain: fc.constantFrom(1, 2), a: u32, b: u32, size: u32, root: bytes(32), casesPart: fc.double({ min: 0, max: 1, noNaN: true }), casesRoot: bytes(32) })
  .filter((r) => r.a !== r.b)
  .map(({ a, b, casesPart, casesRoot, ...r }) => ({
    ...r, fromTime: Math.min(a, b), toTime: Math.max(a, b),
    ...(r.chain === 1 ? { cases: { size: Math.floor(r.size * casesPart), root: casesRoot } } : {}),
  }));

// ───────────────────────────── block envelope helpers ─────────────────────────────

/** The fields of a block that its bytes carry (everything but the derived `bytes`/`powPrefixLength`). */
interface BlockFields {
  chain: 1 | 2;
  kind: KindCode;
  region: number;
  time: number;
  parents: ParentRef[];
  signer: Uint8Array | undefined;
  body: Uint8Array;
  nonce: number;
  signature: Uint8Array | undefined;
}
const fieldsOf = (b: Block): BlockFields => ({
  chain: b.chain, kind: b.kind, region: b.region, time: b.time, parents: b.parents, signer: b.signer, body: b.body, nonce: b.nonce, signature: b.signature,
});

/** sealBlock with a signature we throw away (so encoding a block costs no Ed25519). */
const unsigningCrypto: CryptoProvider = { ...nodeCrypto, ed25519Sign: () => new Uint8Array(64) };
const DUMMY_SECRET = new Uint8Array(32).fill(7);

/**
 * Encode a block with a chosen nonce and signature: the envelope up to the nonce comes from the
 * real encoder (sealBlock), then u64 nonce ‖ signature, as docs/PROTOCOL.md §Block lays out.
 */
function encodeBlockFields(x: BlockFields): Uint8Array {
  const anonymous = ANONYMOUS.has(x.kind);
  const sealed = sealBlock(unsigningCrypto, { chain: x.chain, kind: x.kind, region: x.region, time: x.time, parents: x.parents, signer: x.signer, body: x.body }, {
    powBits: 0, secretKey: anonymous ? undefined : DUMMY_SECRET,
  });
  const prefix = sealed.subarray(0, sealed.length - 8 - (anonymous ? 0 : 64));
  const w = new Writer().bytes(prefix, prefix.length).u64(x.nonce);
  if (x.signature) w.bytes(x.signature, 64);
  return w.finish();
}

const ALL_KINDS = Object.values(Kind) as KindCode[];
const arbParents: fc.Arbitrary<ParentRef[]> = fc
  .tuple(fc.uniqueArray(bytes(32), { maxLength: MAX_PARENTS, selector: toHex }), fc.array(u32, { minLength: MAX_PARENTS, maxLength: MAX_PARENTS }))
  .map(([ids, times]) => sortParents(ids.map((id, i) => ({ id, time: times[i] }))));
const arbBlock: fc.Arbitrary<BlockFields> = fc.constantFrom(...ALL_KINDS).chain((kind) =>
  rec({
    chain: fc.constant(KIND_CHAINS[kind][0] as 1 | 2),
    kind: fc.constant(kind),
    region: u16,
    time: u32,
    parents: arbParents,
    signer: ROLE_SIGNED.has(kind) ? bytes(32) : fc.constant(undefined),
    body: fc.uint8Array({ maxLength: Math.min(MAX_BODY[kind], 120) }),
    nonce: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })),
    signature: ANONYMOUS.has(kind) ? fc.constant(undefined) : bytes(64),
  }),
);

// ───────────────────────────── the properties, per encoding ─────────────────────────────

// A stay decodes relative to the batch's day, so the codec under test is "day ‖ stay" with the day fixed per example.
for (const day of [0, 20_514, U32_MAX]) {
  codecProperties<Stay>({
    name: `stay of day ${day}`,
    arb: arbStay(day),
    encode: (s) => encodeStay(s, day),
    decode: (b) => decodeStay(b, day),
    runs: 300,
    flipRuns: 200,
  });
}

codecProperties<TraceBatchBody>({ name: 'trace batch body', arb: arbTraceBatch, encode: encodeTraceBatch, decode: decodeTraceBatch, runs: 60, flipRuns: 6 });
codecProperties<CaseBody>({ name: 'case body (diagnosis / self-report)', arb: arbCase, encode: encodeCase, decode: (b) => decodeCase(b), runs: 60, flipRuns: 6 });
codecProperties<WithdrawalBody>({ name: 'withdrawal body', arb: arbWithdrawal, encode: encodeWithdrawal, decode: decodeWithdrawal, runs: 200, flipRuns: 60 });
codecProperties<NotificationBody>({ name: 'notification body', arb: arbNotification, encode: encodeNotification, decode: decodeNotification, runs: 200, flipRuns: 60 });
codecProperties<CertificateBody>({ name: 'certificate body', arb: arbCertificate, encode: encodeCertificate, decode: decodeCertificate, runs: 200, flipRuns: 60 });
codecProperties<RevocationBody>({ name: 'revocation body', arb: arbRevocation, encode: encodeRevocation, decode: decodeRevocation, runs: 200, flipRuns: 60 });
codecProperties<EpochKeyBody>({ name: 'epoch key body', arb: arbEpochKey, encode: encodeEpochKey, decode: decodeEpochKey, runs: 200, flipRuns: 60 });
codecProperties<string>({ name: 'policy statement body', arb: arbPolicyJson, encode: encodePolicyStatement, decode: decodePolicyStatement, runs: 200, flipRuns: 20 });
codecProperties<CheckpointBody>({ name: 'checkpoint body', arb: arbCheckpoint, encode: encodeCheckpoint, decode: decodeCheckpoint, runs: 200, flipRuns: 60 });
codecProperties<BlockFields>({
  name: 'block envelope (all kinds, 0–4 parents)',
  arb: arbBlock,
  encode: encodeBlockFields,
  decode: (b) => fieldsOf(decodeBlock(b)),
  runs: 150,
  flipRuns: 25,
});

test('stay: round trip for stays of any UTC day; the same bytes read on another day shift by whole days', () => {
  fc.assert(
    fc.property(arbStayWithDay, ([day, s]) => {
      const b = encodeStay(s, day);
      assert.equal(b.length, STAY_BYTES);
      assert.deepStrictEqual(decodeStay(b, day), s);
      if (day > 0) assert.equal(decodeStay(b, day - 1).start, s.start - 1440);
    }),
    { numRuns: 500 },
  );
});

test('stay: non-canonical bytes are CodecError with a reason (reserved flag bits, venue precision, coordinates, midnight)', () => {
  const day = 20_514;
  const pos = encodeStay({ start: day * 1440 + 600, minutes: 30, latE7: 558_721_000, lonE7: -42_882_000, radius: 5, source: Source.GNSS, precision: Precision.M10 }, day);
  const venue = encodeStay({ start: day * 1440 + 600, minutes: 30, latE7: 0, lonE7: 0, radius: 0, source: Source.VENUE_QR, precision: Precision.EXACT, venue: '00112233aabbccdd' }, day);
  const patched = (b: Uint8Array, at: number, v: number[]) => {
    const c = b.slice();
    c.set(v, at);
    return c;
  };
  assert.equal(mustCodecError(() => decodeStay(patched(pos, 14, [pos[14] | 0x40]), day), 'reserved flag').code, 'range');
  assert.equal(mustCodecError(() => decodeStay(patched(venue, 14, [venue[14] | 0x20]), day), 'route flag on a venue stay').code, 'range');
  assert.equal(decodeStay(patched(pos, 14, [pos[14] | 0x20]), day).source, Source.GNSS | Source.ROUTE, 'control: a route position stay (§5 bit 5)');
  assert.throws(() => encodeStay({ start: day * 1440, minutes: 1, latE7: 0, lonE7: 0, radius: 0, source: Source.ROUTE, precision: 0, venue: '00112233aabbccdd' }, day), /never a route stay/);
  assert.equal(mustCodecError(() => decodeStay(patched(venue, 15, [1]), day), 'venue precision').code, 'range');
  assert.equal(mustCodecError(() => decodeStay(patched(pos, 15, [3]), day), 'precision 3').code, 'range');
  assert.equal(mustCodecError(() => decodeStay(patched(pos, 4, [0x35, 0xa4, 0xe9, 0x01]), day), 'latitude 900000001').code, 'range');
  assert.equal(mustCodecError(() => decodeStay(patched(pos, 8, [0x6b, 0x49, 0xd2, 0x01]), day), 'longitude 1800000001').code, 'range');
  assert.equal(mustCodecError(() => decodeStay(patched(pos, 0, [0x05, 0xa0]), day), 'start minute 1440').code, 'range');
  assert.equal(mustCodecError(() => decodeStay(patched(pos, 2, [0, 0]), day), 'zero minutes').code, 'range');
  assert.equal(mustCodecError(() => decodeStay(patched(pos, 2, [0x03, 0x49]), day), 'past midnight (600 + 841)').code, 'range');
  assert.equal(decodeStay(patched(pos, 2, [0x03, 0x48]), day).minutes, 840, 'control: up to midnight exactly');
});

// ───────────────────────────── encoders refuse out-of-range values ─────────────────────────────

/** encode(base) round-trips (control); encode({...base, ...o}) throws RangeError for every override o. */
function refuses<T extends object>(name: string, base: T, encode: (x: T) => Uint8Array, decode: (b: Uint8Array) => T, overrides: Partial<Record<keyof T, unknown>>[]): void {
  test(`${name}: encode throws RangeError for each out-of-range field (${overrides.length} cases), and accepts the control`, () => {
    assert.deepStrictEqual(decode(encode(base)), base, 'control');
    for (const o of overrides) {
      assert.throws(() => encode({ ...base, ...o } as T), RangeError, `${name} with ${JSON.stringify(o, (_, v) => (v instanceof Uint8Array ? `<${v.length} bytes>` : v))}`);
    }
  });
}

const D0 = 20_514;
const b32 = new Uint8Array(32).fill(9);
const short = (n: number) => new Uint8Array(n).fill(1);
refuses<Stay>('stay', { start: D0 * 1440 + 600, minutes: 30, latE7: 1, lonE7: -1, radius: 5, source: 1, precision: 2 }, (s) => encodeStay(s, D0), (b) => decodeStay(b, D0), [
  { start: D0 * 1440 - 1 }, { start: (D0 + 1) * 1440 }, { start: D0 * 1440 + 0.5 }, { minutes: 0 }, { minutes: -1 }, { minutes: 1.5 }, { minutes: 841 },
  { radius: -1 }, { radius: 65_536 }, { radius: 2.5 }, { source: -1 }, { source: 64 }, { source: 0.5 },
  { latE7: 900_000_001 }, { latE7: -900_000_001 }, { latE7: 1.5 }, { lonE7: 1_800_000_001 }, { lonE7: -1_800_000_001 }, { lonE7: NaN }, { precision: 3 as never },
]);
refuses<Stay>('venue stay', { start: D0 * 1440, minutes: 1440, latE7: 0, lonE7: 0, radius: 0, source: 16, precision: 0, venue: '00112233aabbccdd' }, (s) => encodeStay(s, D0), (b) => decodeStay(b, D0), [
  { venue: '00112233AABBCCDD' }, { venue: '00112233aabbccd' }, { venue: 'xx112233aabbccdd' }, { latE7: 1 }, { lonE7: -1 }, { precision: 1 }, { source: 32 },
]);
refuses<TraceBatchBody>('trace batch', { day: D0, epoch: 2930, part: 0, dayPub: b32, ephPub: b32, bucket: 0, sealed: short(traceSealedLength(32)) }, encodeTraceBatch, decodeTraceBatch, [
  { day: -1 }, { day: 2 ** 32 }, { day: 1.5 }, { epoch: -1 }, { epoch: 2 ** 32 }, { part: -1 }, { part: MAX_PARTS }, { part: 0.5 },
  { bucket: -1 }, { bucket: BUCKETS.length }, { bucket: 0.5 }, { dayPub: short(31) }, { ephPub: short(33) }, { sealed: short(traceSealedLength(64)) },
]);
refuses<CaseBody>('case', { epoch: 2930, days: 2, ephPub: b32, sealed: short(caseSealedLength(2)) }, encodeCase, (b) => decodeCase(b), [
  { epoch: -1 }, { epoch: 2 ** 32 }, { days: 0 }, { days: MAX_CASE_DAYS + 1 }, { days: 1.5 }, { ephPub: short(31) }, { sealed: short(caseSealedLength(3)) },
]);
refuses<WithdrawalBody>('withdrawal', { day: D0, dayPub: b32 }, encodeWithdrawal, decodeWithdrawal, [{ day: -1 }, { day: 2 ** 32 }, { dayPub: short(31) }]);
refuses<NotificationBody>('notification', { exposureDay: D0, level: 2, P: 26, n: 3, salt: short(16), data: short(12) }, encodeNotification, decodeNotification, [
  { exposureDay: -1 }, { exposureDay: 2 ** 32 }, { level: 0 }, { level: 3 }, { P: 0 }, { P: 33 }, { n: 0 }, { n: 1_048_577 }, { n: 1.5 },
  { salt: short(15) }, { data: short(MAX_TAGSET_BYTES + 1) },
]);
refuses<CertificateBody>('certificate', { serial: short(16), role: 1, region: 1, subject: b32, notBefore: 100, notAfter: 200, name: 'City Clinic' }, encodeCertificate, decodeCertificate, [
  { serial: short(15) }, { role: 0 }, { role: 5 }, { region: -1 }, { region: 65_536 }, { subject: short(31) }, { notBefore: -1 }, { notAfter: 2 ** 32 },
  { notAfter: 100 }, { notAfter: 99 }, { name: 'é'.repeat(33) }, { name: 'x'.repeat(65) },
]);
refuses<RevocationBody>('revocation', { subject: b32, revokedAt: 1_772_000_000, reason: 1 }, encodeRevocation, decodeRevocation, [
  { subject: short(33) }, { revokedAt: -1 }, { revokedAt: 2 ** 32 }, { reason: 256 }, { reason: -1 },
]);
refuses<EpochKeyBody>('epoch key', { epoch: 2930, publicKey: b32 }, encodeEpochKey, decodeEpochKey, [{ epoch: -1 }, { epoch: 2 ** 32 }, { publicKey: short(31) }]);
refuses<CheckpointBody>('checkpoint', { chain: 1, fromTime: 100, toTime: 200, size: 7, root: b32, cases: { size: 2, root: b32 } }, encodeCheckpoint, decodeCheckpoint, [
  { chain: 0 }, { chain: 3 }, { fromTime: -1 }, { toTime: 2 ** 32 }, { toTime: 100 }, { toTime: 50 }, { size: -1 }, { size: 2 ** 32 }, { root: short(31) },
  { cases: undefined }, { chain: 2 }, { cases: { size: 2, root: short(31) } }, { cases: { size: -1, root: b32 } }, { cases: { size: 8, root: b32 } },
]);

test('checkpoint: a tracing checkpoint that claims more case blocks than blocks does not decode', () => {
  const body = encodeCheckpoint({ chain: 1, fromTime: 100, toTime: 200, size: 7, root: b32, cases: { size: 7, root: b32 } });
  const over = body.slice();
  new DataView(over.buffer).setUint32(45, 8);
  assert.throws(() => decodeCheckpoint(over), (e: Error) => e instanceof CodecError && /8 case blocks of 7/.test(e.message));
  assert.equal(body.length, 81);
  assert.equal(encodeCheckpoint({ chain: 2, fromTime: 100, toTime: 200, size: 7, root: b32 }).length, 45);
});

test('policy statement: 4096 bytes of UTF-8 encode, 4097 throw RangeError; a leading U+FEFF survives the round trip', () => {
  const max = 'é'.repeat(2048);
  assert.equal(decodePolicyStatement(encodePolicyStatement(max)), max);
  assert.throws(() => encodePolicyStatement(max + 'x'), RangeError);
  assert.throws(() => encodePolicyStatement('x'.repeat(4097)), RangeError);
  // U+FEFF is a character like any other here: stripping it would give "{}" two encodings.
  assert.equal(decodePolicyStatement(encodePolicyStatement('\uFEFF{}')), '\uFEFF{}');
  assert.notDeepEqual(encodePolicyStatement('\uFEFF{}'), encodePolicyStatement('{}'));
});

test('certificate and policy: invalid UTF-8 in a name or policy is CodecError bad_utf8', () => {
  const cert = encodeCertificate({ serial: short(16), role: 1, region: 1, subject: b32, notBefore: 1, notAfter: 2, name: 'ab' });
  const bad = cert.slice();
  bad[bad.length - 1] = 0xff;
  assert.equal(mustCodecError(() => decodeCertificate(bad), 'name').code, 'bad_utf8');
  for (const seq of [[0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80]]) {
    const body = concat(new Uint8Array([0, seq.length]), new Uint8Array(seq));
    assert.equal(mustCodecError(() => decodePolicyStatement(body), `bytes ${seq}`).code, 'bad_utf8');
  }
});

// ───────────────────────────── block envelope specifics ─────────────────────────────

const header = (kind: KindCode, over: Partial<BlockFields> = {}): BlockFields => ({
  chain: KIND_CHAINS[kind][0] as 1 | 2, kind, region: 1, time: 1_772_000_000, parents: [], signer: ROLE_SIGNED.has(kind) ? b32 : undefined,
  body: short(10), nonce: 0, signature: ANONYMOUS.has(kind) ? undefined : short(64), ...over,
});

test('block envelope: encode throws RangeError for out-of-range fields, TypeError for a missing or stray signer', () => {
  const p = (fill: number, time = 5): ParentRef => ({ id: new Uint8Array(32).fill(fill), time });
  for (const kind of ALL_KINDS) {
    assert.deepStrictEqual(fieldsOf(decodeBlock(encodeBlockFields(header(kind)))), header(kind), `control ${KIND_NAME[kind]}`);
    const bad: Partial<BlockFields>[] = [
      { region: -1 }, { region: 65_536 }, { time: -1 }, { time: 2 ** 32 }, { parents: [p(1), p(2), p(3), p(4), p(5)] },
      { parents: [p(1, -1)] }, { parents: [p(1, 2 ** 32)] }, { parents: [{ id: short(31), time: 1 }] }, { parents: [p(2), p(1)] },
      { parents: [p(1), p(1)] }, { chain: (3 - KIND_CHAINS[kind][0]) as 1 | 2 }, { chain: 3 as never }, { body: new Uint8Array(MAX_BODY[kind] + 1) },
    ];
    if (ROLE_SIGNED.has(kind)) bad.push({ signer: short(31) });
    for (const o of bad) assert.throws(() => encodeBlockFields({ ...header(kind), ...o }), RangeError, `${KIND_NAME[kind]} ${Object.keys(o)}`);
    assert.throws(() => encodeBlockFields({ ...header(kind), signer: ROLE_SIGNED.has(kind) ? undefined : b32 }), TypeError);
  }
  for (const kind of [0, 11, 255]) assert.throws(() => encodeBlockFields({ ...header(Kind.WITHDRAWAL), kind: kind as KindCode }), RangeError, `kind ${kind}`);
});

test('block envelope: a body of exactly MAX_BODY[kind] bytes round-trips for every kind', () => {
  for (const kind of ALL_KINDS) {
    const x = header(kind, { body: new Uint8Array(MAX_BODY[kind]).fill(kind) });
    assert.deepStrictEqual(fieldsOf(decodeBlock(encodeBlockFields(x))), x, KIND_NAME[kind]);
  }
});

test('block envelope: hand-made non-canonical envelopes fail with the documented CodecError codes', () => {
  const withParents = header(Kind.CERTIFICATE, { parents: sortParents([{ id: new Uint8Array(32).fill(1), time: 1 }, { id: new Uint8Array(32).fill(2), time: 1 }]) });
  const b = encodeBlockFields(withParents);
  const at = (i: number, v: ArrayLike<number>) => {
    const c = b.slice();
    c.set(v, i);
    return c;
  };
  // offsets: 0 version, 1 chain, 2 kind, 3 region, 5 time, 9 parent count, 10 parents (36 each), 82 signer, 114 body length, 118 body
  assert.equal(mustCodecError(() => decodeBlock(at(0, [2])), 'version').code, 'version');
  assert.equal(mustCodecError(() => decodeBlock(at(1, [1])), 'chain').code, 'wrong_chain');
  assert.equal(mustCodecError(() => decodeBlock(at(2, [11])), 'kind').code, 'unknown_kind');
  assert.equal(mustCodecError(() => decodeBlock(at(9, [5])), 'parent count').code, 'range');
  assert.equal(mustCodecError(() => decodeBlock(at(10, new Uint8Array(32).fill(3))), 'unsorted parents').code, 'not_canonical');
  assert.equal(mustCodecError(() => decodeBlock(at(10, new Uint8Array(32).fill(2))), 'repeated parent').code, 'not_canonical');
  assert.equal(mustCodecError(() => decodeBlock(at(114, [0, 0, 0, MAX_BODY[Kind.CERTIFICATE] + 1])), 'body length').code, 'too_long');
  assert.equal(mustCodecError(() => decodeBlock(at(118 + 10, [0, 0x20, 0, 0])), 'nonce ≥ 2^53').code, 'range');
  assert.equal(decodeBlock(at(118 + 10, [0, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])).nonce, Number.MAX_SAFE_INTEGER, 'control: nonce 2^53 − 1');
  assert.equal(mustCodecError(() => decodeBlock(new Uint8Array(1_048_576 + 513)), 'oversized').code, 'too_long');
  assert.throws(() => decodeBlock([1, 2, 3] as never), TypeError);
});

test('sealBlock: the signature covers the envelope up to the nonce, proof-of-work meets the bits asked, self-reports carry no signature', () => {
  const c = nodeCrypto;
  const sk = c.randomBytes(32);
  const pk = c.ed25519PublicKey(sk);
  fc.assert(
    fc.property(fc.constantFrom(...ALL_KINDS), arbParents, fc.integer({ min: 0, max: 6 }), fc.uint8Array({ maxLength: 40 }), (kind, parents, bits, body) => {
      const anonymous = ANONYMOUS.has(kind);
      const bytes = sealBlock(c, { chain: KIND_CHAINS[kind][0], kind, region: 7, time: 1_772_000_000, parents, signer: ROLE_SIGNED.has(kind) ? pk : undefined, body }, {
        powBits: bits, secretKey: anonymous ? undefined : sk,
      });
      const b = decodeBlock(bytes);
      assert.ok(powBitsOf(c, b) >= bits);
      assert.deepStrictEqual(b.parents, parents);
      if (anonymous) {
        assert.equal(b.signature, undefined);
        assert.equal(bytes.length, b.powPrefixLength + 8);
      } else {
        assert.ok(c.ed25519Verify(pk, signedMessage(b), b.signature!));
        const other = flipBit(bytes, 8 * 4 + 7); // region 7 → 6: the signature no longer matches
        assert.equal(c.ed25519Verify(pk, signedMessage(decodeBlock(other)), b.signature!), false);
      }
    }),
    { numRuns: 60 },
  );
});

// ───────────────────────────── whole sealed blocks through the ledger ─────────────────────────────

// The world below uses seededCrypto (deterministic randomBytes), so every key, nonce and block is
// the same on every run. This matters for the anonymous self-report: its only protection is
// proof-of-work, so a flipped self-report passes the PoW rule with probability 2^-16 per flip;
// with a fixed world the outcome is reproducible, not a coin toss.

test('a sealed block of any kind with any single bit flipped is rejected by the ledger, and nothing is stored', async () => {
  const c = seededCrypto('codec-flip-world');
  const D = Math.floor(Date.UTC(2026, 2, 2) / 86_400_000);
  const w = await World.create({ crypto: c, startMs: D * 86_400_000 + 10 * 3_600_000 });
  const keys = new UserKeys(c, c.randomBytes(32));
  const { epoch, publicKey: epochPub } = await w.ensureEpoch(D);
  const t = w.timeSec();
  const n = (chain: 1 | 2) => ({ region: w.region, timeSec: t, parents: w.ledger.tips(chain) });
  const stays: Stay[] = [{ start: D * 1440 + 540, minutes: 30, latE7: 558_721_000, lonE7: -42_882_000, radius: 5, source: Source.GNSS, precision: Precision.EXACT }];
  const challenge = c.randomBytes(32);
  const tags = [c.randomBytes(32), c.randomBytes(32), c.randomBytes(32)];
  const set = buildTagSet(c, tags, c.randomBytes(16), 20);
  const blocks: [string, Uint8Array][] = [
    ['trace batch', traceBatchBlock(c, keys, { ...n(1), day: D, part: 0, stays, epoch, epochPub, powBits: DEFAULT_POLICY.pow.traceBits })],
    ['withdrawal', withdrawalBlock(c, keys, { ...n(1), day: D, powBits: DEFAULT_POLICY.pow.withdrawalBits })],
    ['self-report', selfReportBlock(c, keys, { ...n(1), epoch, epochPub, onset: D, days: [D - 1, D], powBits: DEFAULT_POLICY.pow.selfReportBits })],
    ['diagnosis', diagnosisBlock(c, w.diagnostician, { ...n(1), epoch, epochPub, onset: D, lookback: 2, challenge, endorsed: proveDays(keys, [D - 2, D - 1, D], w.diagnostician.publicKey, challenge) })],
    ['notification', notificationBlock(c, w.solver, { exposureDay: D, level: 2, P: set.P, n: set.n, salt: set.salt, data: set.data }, n(2))],
    ['checkpoint', checkpointBlock(c, w.validators[0], { chain: 1, fromTime: t - 3600, toTime: t, size: 0, root: c.sha256(new Uint8Array(0)), cases: { size: 0, root: c.sha256(new Uint8Array(0)) } }, n(2))],
    ['certificate', certificateBlock(c, w.root, { serial: c.randomBytes(16), role: Role.SOLVER, region: w.region, subject: newRoleKey(c).publicKey, notBefore: t, notAfter: t + 86_400, name: 'Solver B' }, n(2))],
    ['revocation', revocationBlock(c, w.root, { subject: newRoleKey(c).publicKey, revokedAt: t, reason: 1 }, n(2))],
    ['epoch key', epochKeyBlock(c, w.root, epoch + 1, c.x25519PublicKey(c.randomBytes(32)), n(2))],
    ['policy', policyBlock(c, w.root, JSON.stringify({ ...DEFAULT_POLICY, maxSkewSeconds: 900 }), n(2))],
  ];
  const codes = new Map<string, number>();
  for (const [name, bytes] of blocks) {
    const before = w.ledger.count();
    for (let bit = 0; bit < bytes.length * 8; bit++) {
      let outcome: string;
      try {
        const r = await w.ledger.add(flipBit(bytes, bit));
        // A flipped signer or epoch field names a key the CA never certified or published: the
        // ledger holds such a block (pending on the authority, never stored or forwarded).
        outcome = r.status === 'pending' && r.missing.length === 0 ? 'held for authority' : `accepted as ${r.status}`;
      } catch (e) {
        if (e instanceof CodecError) outcome = 'codec';
        else if (e instanceof RejectError) outcome = e.code;
        else throw new Error(`${name}, bit ${bit}: unexpected ${(e as Error).name}: ${(e as Error).message}`);
      }
      assert.ok(!outcome.startsWith('accepted'), `${name}: flip of bit ${bit} was ${outcome}`);
      codes.set(outcome, (codes.get(outcome) ?? 0) + 1);
    }
    assert.equal(w.ledger.count(), before, `${name}: nothing stored`);
    w.ledger.dropHeld();
    assert.equal(w.ledger.pendingCount, 0, `${name}: nothing pending`);
    const r = await w.ledger.add(bytes);
    assert.equal(r.status, 'added', `control: the unflipped ${name} is accepted`);
  }
  for (const code of ['codec', 'bad_signature', 'pow', 'region', 'future', 'bad_body']) assert.ok((codes.get(code) ?? 0) > 0, `some flip was rejected as ${code}: ${[...codes]}`);
});

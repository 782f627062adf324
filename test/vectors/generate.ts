/**
 * Test vectors of the BeepTrace protocol (docs/PROTOCOL.md §16). From fixed inputs only (no
 * randomness, no clock), this computes every derivation and wire format a second implementation
 * must reproduce, as JSON with lower-case hex byte strings.
 *
 *   node --import tsx test/vectors/generate.ts > test/fixtures/vectors.json
 *
 * test/unit/vectors.test.ts recomputes the same object with both crypto providers and compares it
 * with the committed JSON, so any change of a wire format or a derivation fails the tests.
 * Everything here is deterministic: Ed25519 signatures are deterministic (RFC 8032), the trace
 * batch's ephemeral key is derived from the seed, the case ephemeral secret is fixed, and the
 * proof-of-work nonce is the smallest that works.
 * @module
 */
import { pathToFileURL } from 'node:url';
import type { CryptoProvider } from '../../src/core/crypto.ts';
import { hkdf } from '../../src/core/crypto.ts';
import { concat, toHex, u32be, utf8 } from '../../src/core/bytes.ts';
import { UserKeys, notificationTag, pseudonym } from '../../src/core/keys.ts';
import { encodeStay } from '../../src/core/codec/stay.ts';
import { Writer } from '../../src/core/codec/wire.ts';
import { Kind, decodeBlock, leadingZeroBits, sealBlock, signedMessage, sortParents, type ParentRef } from '../../src/core/codec/block.ts';
import {
  Role, encodeCertificate, encodeCheckpoint, encodeEpochKey, encodeNotification, encodePolicyStatement, encodeWithdrawal,
  decodeTraceBatch, decodeCase, type CertificateBody,
} from '../../src/core/codec/records.ts';
import { possessionMessage, proveDays, sealCase, sealTraceBatch, TraceKeyCache } from '../../src/core/sealing.ts';
import { buildTagSet, riceParameterFor } from '../../src/core/tagset.ts';
import { parsePolicy } from '../../src/core/policy.ts';
import { inclusionProof, leafHash, merkleRoot } from '../../src/core/merkle.ts';
import { Chain, Precision, Source, type Stay } from '../../src/core/types.ts';

/** Bytes first, first+1, … (mod 256), `n` long. @example seq(1, 32) = 01 02 … 20 */
export function seq(first: number, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (first + i) & 255);
}

/** The fixed inputs of every vector. */
export const INPUT = {
  /** User seed: 0x01, 0x02, …, 0x20. */
  seed: seq(0x01, 32),
  /** 2026-03-02 and the next day (UTC day numbers). */
  day0: 20514,
  day1: 20515,
  region: 1,
  /** Epoch X25519 secret 0x40..0x5f; epoch number = floor(day0 / 7). */
  epochSecret: seq(0x40, 32),
  epoch: Math.floor(20514 / 7),
  /** Ed25519 secret seeds of the CA root and the three certified roles. */
  rootSecret: seq(0xa0, 32),
  diagnosticianSecret: seq(0xb0, 32),
  solverSecret: seq(0xc0, 32),
  validatorSecret: seq(0xd0, 32),
  /** The diagnostician's challenge. */
  challenge: new Uint8Array(32).fill(0x33),
  /** Case ephemeral X25519 secrets (diagnosis, self-report); fresh random in real use. */
  diagnosisEphSecret: seq(0x60, 32),
  selfReportEphSecret: seq(0x80, 32),
  selfReportChallenge: new Uint8Array(32).fill(0x77),
  /** Tag set salts. */
  tagSalt: seq(0xe0, 16),
  fillerSalt: seq(0xf0, 16),
  /** The policy statement, verbatim (it spells out the default policy, except `advice`, which takes its default texts; P of the tag set derives from it). */
  policyJson:
    '{"version":1,"rules":[{"level":"high","withinMetres":10,"minMinutes":15},{"level":"low","withinMetres":10,"minMinutes":1},' +
    '{"level":"low","sameVenue":true,"minMinutes":15}],"retentionDays":14,"epochDays":7,"lookbackDays":14,' +
    '"pow":{"traceBits":8,"selfReportBits":16,"withdrawalBits":8},"maxSkewSeconds":600,"selfReportMaxLevel":"low",' +
    '"notification":{"falseAlarmPerUserDay":0.000001,"setsPerExposureDay":128}}',
  /** Proof-of-work bits used for the anonymous / day-key kinds (the default policy's). */
  pow: { traceBits: 8, selfReportBits: 16, withdrawalBits: 8 },
} as const;

const D0 = INPUT.day0;
const D1 = INPUT.day1;
const DAY = 86_400;
const HOUR = 3_600;

/** Block times, seconds. */
export const TIMES = {
  policy: D0 * DAY + 8 * HOUR,
  certificate: D0 * DAY + 8 * HOUR + 60,
  epochKey: D0 * DAY + 8 * HOUR + 120,
  traceBatch: D0 * DAY + 20 * HOUR,
  withdrawal: D1 * DAY + 12 * HOUR,
  diagnosis: (D0 + 2) * DAY + 9 * HOUR,
  selfReport: (D0 + 2) * DAY + 9 * HOUR + 60,
  notification: (D0 + 2) * DAY + 10 * HOUR,
  checkpointFrom: D0 * DAY,
  checkpointTo: (D0 + 2) * DAY + 10 * HOUR,
  checkpoint: (D0 + 2) * DAY + 10 * HOUR + 60,
  /** The clock at which every vector block passes the acceptance rules. */
  now: (D0 + 2) * DAY + 11 * HOUR,
};

/** Stays of day0: a snapped position (negative longitude), a venue check-in, one that ends at midnight. */
export const STAYS: Stay[] = [
  { start: D0 * 1440 + 9 * 60 + 30, minutes: 30, latE7: 558_721_234, lonE7: -42_882_345, radius: 12, source: Source.GNSS | Source.WIFI, precision: Precision.M10 },
  { start: D0 * 1440 + 12 * 60, minutes: 45, latE7: 0, lonE7: 0, radius: 0, source: Source.VENUE_QR, precision: Precision.EXACT, venue: '00112233445566aa' },
  { start: D0 * 1440 + 23 * 60 + 50, minutes: 10, latE7: -338_567_890, lonE7: 1_512_153_000, radius: 65_535, source: Source.CELL, precision: Precision.M100 },
];

const hex = toHex;

function stayJson(s: Stay): Record<string, unknown> {
  return { ...s };
}

/** RFC 6962 leaves and root of ids ordered by (time, id). */
function orderIds(blocks: { id: Uint8Array; time: number }[]): { id: Uint8Array; time: number }[] {
  return [...blocks].sort((a, b) => a.time - b.time || (hex(a.id) < hex(b.id) ? -1 : hex(a.id) > hex(b.id) ? 1 : 0));
}

/** A block in the vectors: id, size, body, the hash of its signed message, its proof-of-work, and all its bytes. */
export interface BlockVector {
  id: string;
  length: number;
  body: string;
  signedMessageSha256: string | null;
  pow: PowVector;
  hex: string;
}
export interface PowVector {
  prefixLength: number;
  prefixSha256: string;
  nonce: number;
  digest: string;
  leadingZeroBits: number;
}

/** What the block's proof-of-work hash is: SHA-256("BeepTrace/pow/v1" ‖ SHA-256(prefix) ‖ u64 nonce). */
function powInfo(c: CryptoProvider, bytes: Uint8Array): PowVector {
  const b = decodeBlock(bytes);
  const prefixHash = c.sha256(bytes.subarray(0, b.powPrefixLength));
  const digest = c.sha256(concat(utf8('BeepTrace/pow/v1'), prefixHash, new Writer(8).u64(b.nonce).finish()));
  return { prefixLength: b.powPrefixLength, prefixSha256: hex(prefixHash), nonce: b.nonce, digest: hex(digest), leadingZeroBits: leadingZeroBits(digest) };
}

function blockJson(c: CryptoProvider, bytes: Uint8Array, body: Uint8Array): BlockVector {
  const b = decodeBlock(bytes);
  return {
    id: hex(c.sha256(bytes)),
    length: bytes.length,
    body: hex(body),
    signedMessageSha256: b.signature ? hex(c.sha256(signedMessage(b))) : null,
    pow: powInfo(c, bytes),
    hex: hex(bytes),
  };
}

function roleKey(c: CryptoProvider, secretKey: Uint8Array): { secretKey: Uint8Array; publicKey: Uint8Array } {
  return { secretKey, publicKey: c.ed25519PublicKey(secretKey) };
}

/** Deterministic 32-byte tags: SHA-256("BeepTrace/vectors/tag" ‖ u32be(i)). */
function fixedTag(c: CryptoProvider, i: number): Uint8Array {
  return c.sha256(concat(utf8('BeepTrace/vectors/tag'), u32be(i)));
}

/** Compute every vector with the given crypto provider. Same output for every conforming provider. */
export function generate(c: CryptoProvider) {
  const salt = utf8('BeepTrace/v1');
  const keys = new UserKeys(c, INPUT.seed);
  const root = roleKey(c, INPUT.rootSecret);
  const diagnostician = roleKey(c, INPUT.diagnosticianSecret);
  const solver = roleKey(c, INPUT.solverSecret);
  const validator = roleKey(c, INPUT.validatorSecret);
  const epochPub = c.x25519PublicKey(INPUT.epochSecret);
  const region = INPUT.region;

  // ---- 3. Key schedule ----
  const watchKey = hkdf(c, INPUT.seed, salt, utf8('watch'), 32);
  const keyDay = (day: number) => {
    const sign = keys.daySigning(day);
    const eph = keys.dayEphemeral(day);
    const nd = keys.notificationSecret(day);
    return {
      day,
      daySigningSecret: hex(sign.secretKey),
      daySigningPublic: hex(sign.publicKey),
      pseudonym: hex(pseudonym(c, sign.publicKey)),
      dayEphemeralSecret: hex(eph.secretKey),
      dayEphemeralPublic: hex(eph.publicKey),
      notificationSecret: hex(nd),
      tag: hex(notificationTag(c, nd)),
    };
  };

  // ---- 5. Stays ----
  const stays = STAYS.map((s) => ({ stay: stayJson(s), day: D0, hex: hex(encodeStay(s, D0)) }));

  // ---- Notification-chain authority blocks ----
  const policyBody = encodePolicyStatement(INPUT.policyJson);
  const policyBytes = sealBlock(c, { chain: Chain.NOTIFICATION, kind: Kind.POLICY, region, time: TIMES.policy, parents: [], signer: root.publicKey, body: policyBody }, { powBits: 0, secretKey: root.secretKey });
  const policyRef: ParentRef = { id: c.sha256(policyBytes), time: TIMES.policy };

  const certs: { role: string; body: CertificateBody; key: { publicKey: Uint8Array } }[] = [
    { role: 'diagnostician', key: diagnostician, body: { serial: seq(0x10, 16), role: Role.DIAGNOSTICIAN, region, subject: diagnostician.publicKey, notBefore: D0 * DAY, notAfter: (D0 + 366) * DAY, name: 'City Clinic' } },
    { role: 'solver', key: solver, body: { serial: seq(0x20, 16), role: Role.SOLVER, region, subject: solver.publicKey, notBefore: D0 * DAY, notAfter: (D0 + 366) * DAY, name: 'Regional Solver' } },
    { role: 'validator', key: validator, body: { serial: seq(0x30, 16), role: Role.VALIDATOR, region: 0xffff, subject: validator.publicKey, notBefore: D0 * DAY, notAfter: (D0 + 366) * DAY, name: 'Validator 1 — Ålesund' } },
  ];
  const certBlocks = certs.map((cert) => {
    const body = encodeCertificate(cert.body);
    const bytes = sealBlock(c, { chain: Chain.NOTIFICATION, kind: Kind.CERTIFICATE, region, time: TIMES.certificate, parents: [policyRef], signer: root.publicKey, body }, { powBits: 0, secretKey: root.secretKey });
    return { cert, body, bytes };
  });
  const certRefs = sortParents(certBlocks.map((b) => ({ id: c.sha256(b.bytes), time: TIMES.certificate })));

  const epochBody = encodeEpochKey({ epoch: INPUT.epoch, publicKey: epochPub });
  const epochBytes = sealBlock(c, { chain: Chain.NOTIFICATION, kind: Kind.EPOCH_KEY, region, time: TIMES.epochKey, parents: certRefs, signer: root.publicKey, body: epochBody }, { powBits: 0, secretKey: root.secretKey });
  const epochRef: ParentRef = { id: c.sha256(epochBytes), time: TIMES.epochKey };

  // ---- 8. Trace batch (day0, part 0, three stays, bucket 32), anonymous upload: 0 parents ----
  const traceBody = sealTraceBatch(c, keys, { day: D0, epoch: INPUT.epoch, epochPub, part: 0, stays: STAYS });
  const traceBytes = sealBlock(c, { chain: Chain.TRACING, kind: Kind.TRACE_BATCH, region, time: TIMES.traceBatch, parents: [], body: traceBody }, { powBits: INPUT.pow.traceBits, secretKey: keys.daySigning(D0).secretKey });
  const tb = decodeTraceBatch(traceBody);
  const traceKey = new TraceKeyCache().get(c, INPUT.epochSecret, epochPub, tb.ephPub);
  const traceShared = c.x25519(INPUT.epochSecret, tb.ephPub);
  const traceNonce = new Uint8Array(12);
  traceNonce[0] = tb.part;
  const traceAad = traceBody.subarray(0, traceBody.length - tb.sealed.length);
  const tracePlain = c.aeadOpen(traceKey, traceNonce, tb.sealed, traceAad);
  if (!tracePlain) throw new Error('vectors: trace batch does not open');

  // ---- Withdrawal of day1 ----
  const withdrawalBody = encodeWithdrawal({ day: D1, dayPub: keys.daySigning(D1).publicKey });
  const withdrawalBytes = sealBlock(c, { chain: Chain.TRACING, kind: Kind.WITHDRAWAL, region, time: TIMES.withdrawal, parents: [], body: withdrawalBody }, { powBits: INPUT.pow.withdrawalBits, secretKey: keys.daySigning(D1).secretKey });

  // ---- Diagnosis: days day0 and day1, proofs bound to the diagnostician's key and challenge ----
  const endorsed = proveDays(keys, [D0, D1], diagnostician.publicKey, INPUT.challenge);
  const diagBody = sealCase(c, { epoch: INPUT.epoch, epochPub, ephSecret: INPUT.diagnosisEphSecret, onset: D1, lookback: 14, challenge: INPUT.challenge, endorsed });
  const diagParents = sortParents([
    { id: c.sha256(traceBytes), time: TIMES.traceBatch },
    { id: c.sha256(withdrawalBytes), time: TIMES.withdrawal },
  ]);
  const diagBytes = sealBlock(c, { chain: Chain.TRACING, kind: Kind.DIAGNOSIS, region, time: TIMES.diagnosis, parents: diagParents, signer: diagnostician.publicKey, body: diagBody }, { powBits: 0, secretKey: diagnostician.secretKey });
  const dc = decodeCase(diagBody);
  const caseInfo = utf8('BeepTrace/case-key/v1');
  const diagShared = c.x25519(INPUT.epochSecret, dc.ephPub);
  const diagKey = hkdf(c, diagShared, concat(dc.ephPub, epochPub), caseInfo, 32);
  const diagAad = diagBody.subarray(0, diagBody.length - dc.sealed.length);
  const diagPlain = c.aeadOpen(diagKey, new Uint8Array(12), dc.sealed, diagAad);
  if (!diagPlain) throw new Error('vectors: diagnosis does not open');

  // ---- Self-report: day0 only, proofs bound to the report's ephemeral key; anonymous (no signature) ----
  const srEphPub = c.x25519PublicKey(INPUT.selfReportEphSecret);
  const srEndorsed = proveDays(keys, [D0], srEphPub, INPUT.selfReportChallenge);
  const srBody = sealCase(c, { epoch: INPUT.epoch, epochPub, ephSecret: INPUT.selfReportEphSecret, onset: D0, lookback: 0, challenge: INPUT.selfReportChallenge, endorsed: srEndorsed });
  const srBytes = sealBlock(c, { chain: Chain.TRACING, kind: Kind.SELF_REPORT, region, time: TIMES.selfReport, parents: [], body: srBody }, { powBits: INPUT.pow.selfReportBits });

  // ---- 12. Tag sets: P from the vector policy's false-alarm budget ----
  const budget = parsePolicy(INPUT.policyJson).notification;
  const falsePositiveTarget = budget.falseAlarmPerUserDay / budget.setsPerExposureDay;
  const P = riceParameterFor(falsePositiveTarget);
  const tags = [notificationTag(c, keys.notificationSecret(D0)), notificationTag(c, keys.notificationSecret(D1)), ...[0, 1, 2, 3, 4, 5].map((i) => fixedTag(c, i))];
  const set = buildTagSet(c, tags, INPUT.tagSalt, P);
  const nonMember = fixedTag(c, 1000);
  // A small-P set where several tags map to the same value, so the filler rule is exercised.
  const fillerTags = Array.from({ length: 12 }, (_, i) => fixedTag(c, 100 + i));
  const fillerP = 1;
  const fillerSet = buildTagSet(c, fillerTags, INPUT.fillerSalt, fillerP);
  const tagDetail = (salt: Uint8Array, t: Uint8Array, n: number, p: number) => {
    const x = BigInt('0x' + hex(c.sha256(concat(salt, t)).subarray(0, 8)));
    return { tag: hex(t), x: x.toString(), h: Number((x * (BigInt(n) << BigInt(p))) >> 64n) };
  };
  const fillerDetails = fillerTags.map((t) => tagDetail(INPUT.fillerSalt, t, fillerSet.n, fillerP));
  const fillerImage = new Set(fillerDetails.map((d) => d.h)).size;

  const notificationBody = encodeNotification({ exposureDay: D0, level: 2, P: set.P, n: set.n, salt: set.salt, data: set.data });
  const notificationBytes = sealBlock(c, { chain: Chain.NOTIFICATION, kind: Kind.NOTIFICATION, region, time: TIMES.notification, parents: [epochRef], signer: solver.publicKey, body: notificationBody }, { powBits: 0, secretKey: solver.secretKey });

  // ---- 10. Merkle root over the tracing chain's ids in [checkpointFrom, checkpointTo), ordered by (time, id) ----
  const tracing = orderIds([
    { id: c.sha256(traceBytes), time: TIMES.traceBatch },
    { id: c.sha256(withdrawalBytes), time: TIMES.withdrawal },
    { id: c.sha256(diagBytes), time: TIMES.diagnosis },
    { id: c.sha256(srBytes), time: TIMES.selfReport },
  ].filter((b) => b.time >= TIMES.checkpointFrom && b.time < TIMES.checkpointTo));
  const leaves = tracing.map((b) => leafHash(c.sha256, b.id));
  const mroot = merkleRoot(c.sha256, leaves);
  // the case root: the same over the interval's case blocks alone (diagnosis, self-report, withdrawal: §7.9)
  const caseIds = new Set([withdrawalBytes, diagBytes, srBytes].map((b) => hex(c.sha256(b))));
  const caseLeaves = tracing.filter((b) => caseIds.has(hex(b.id))).map((b) => leafHash(c.sha256, b.id));
  const casesRoot = merkleRoot(c.sha256, caseLeaves);
  const checkpointBody = encodeCheckpoint({ chain: Chain.TRACING, fromTime: TIMES.checkpointFrom, toTime: TIMES.checkpointTo, size: leaves.length, root: mroot, cases: { size: caseLeaves.length, root: casesRoot } });
  const checkpointBytes = sealBlock(c, {
    chain: Chain.NOTIFICATION, kind: Kind.CHECKPOINT, region, time: TIMES.checkpoint,
    parents: [{ id: c.sha256(notificationBytes), time: TIMES.notification }], signer: validator.publicKey, body: checkpointBody,
  }, { powBits: 0, secretKey: validator.secretKey });

  return {
    about: 'BeepTrace protocol test vectors (docs/PROTOCOL.md §16). Byte strings are lower-case hex; times in seconds; stays in minutes; days are UTC day numbers.',
    input: {
      seed: hex(INPUT.seed),
      day0: D0,
      day1: D1,
      region,
      epoch: INPUT.epoch,
      epochSecret: hex(INPUT.epochSecret),
      epochPublic: hex(epochPub),
      rootSecret: hex(root.secretKey),
      rootPublic: hex(root.publicKey),
      diagnosticianSecret: hex(diagnostician.secretKey),
      diagnosticianPublic: hex(diagnostician.publicKey),
      solverSecret: hex(solver.secretKey),
      solverPublic: hex(solver.publicKey),
      validatorSecret: hex(validator.secretKey),
      validatorPublic: hex(validator.publicKey),
      challenge: hex(INPUT.challenge),
      diagnosisEphSecret: hex(INPUT.diagnosisEphSecret),
      selfReportEphSecret: hex(INPUT.selfReportEphSecret),
      selfReportChallenge: hex(INPUT.selfReportChallenge),
      tagSalt: hex(INPUT.tagSalt),
      fillerSalt: hex(INPUT.fillerSalt),
      policyJson: INPUT.policyJson,
      pow: INPUT.pow,
      times: TIMES,
    },
    keys: {
      watchKey: hex(watchKey),
      days: [keyDay(D0), keyDay(D1)],
    },
    stays,
    traceBatch: {
      day: D0,
      part: 0,
      bucket: tb.bucket,
      shared: hex(traceShared),
      key: hex(traceKey),
      nonce: hex(traceNonce),
      aad: hex(traceAad),
      plaintext: hex(tracePlain),
      block: blockJson(c, traceBytes, traceBody),
    },
    withdrawal: { day: D1, block: blockJson(c, withdrawalBytes, withdrawalBody) },
    diagnosis: {
      onset: D1,
      lookback: 14,
      endorsed: endorsed.map((e) => ({ day: e.day, dayPub: hex(e.dayPub), message: hex(possessionMessage(c, diagnostician.publicKey, INPUT.challenge, e.day)), proof: hex(e.proof) })),
      ephPublic: hex(dc.ephPub),
      shared: hex(diagShared),
      key: hex(diagKey),
      aad: hex(diagAad),
      plaintext: hex(diagPlain),
      block: blockJson(c, diagBytes, diagBody),
    },
    selfReport: {
      onset: D0,
      ephPublic: hex(srEphPub),
      endorsed: srEndorsed.map((e) => ({ day: e.day, dayPub: hex(e.dayPub), message: hex(possessionMessage(c, srEphPub, INPUT.selfReportChallenge, e.day)), proof: hex(e.proof) })),
      block: blockJson(c, srBytes, srBody),
    },
    authority: {
      policy: { block: blockJson(c, policyBytes, policyBody) },
      certificates: certBlocks.map((b) => ({
        role: b.cert.role,
        serial: hex(b.cert.body.serial),
        subject: hex(b.cert.body.subject),
        regionCode: b.cert.body.region,
        notBefore: b.cert.body.notBefore,
        notAfter: b.cert.body.notAfter,
        name: b.cert.body.name,
        block: blockJson(c, b.bytes, b.body),
      })),
      epochKey: { block: blockJson(c, epochBytes, epochBody) },
    },
    tagSet: {
      falsePositiveTarget,
      P: set.P,
      n: set.n,
      salt: hex(set.salt),
      tags: tags.map((t) => tagDetail(INPUT.tagSalt, t, set.n, set.P)),
      data: hex(set.data),
      nonMember: tagDetail(INPUT.tagSalt, nonMember, set.n, set.P),
      notification: { exposureDay: D0, level: 2, block: blockJson(c, notificationBytes, notificationBody) },
    },
    fillerTagSet: {
      P: fillerP,
      n: fillerSet.n,
      salt: hex(fillerSet.salt),
      distinctValuesBeforeFill: fillerImage,
      tags: fillerDetails,
      data: hex(fillerSet.data),
    },
    merkle: {
      chain: Chain.TRACING,
      fromTime: TIMES.checkpointFrom,
      toTime: TIMES.checkpointTo,
      ids: tracing.map((b) => hex(b.id)),
      leafHashes: leaves.map(hex),
      root: hex(mroot),
      cases: { size: caseLeaves.length, leafHashes: caseLeaves.map(hex), root: hex(casesRoot) },
      inclusion: tracing.map((_, i) => ({ index: i, proof: inclusionProof(c.sha256, leaves, i).map(hex) })),
      checkpoint: { block: blockJson(c, checkpointBytes, checkpointBody) },
    },
  };
}

export type Vectors = ReturnType<typeof generate>;

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { nobleCrypto } = await import('../../src/core/crypto.ts');
  process.stdout.write(JSON.stringify(generate(nobleCrypto), null, 2) + '\n');
}

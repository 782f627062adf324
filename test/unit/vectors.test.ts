/**
 * The protocol's test vectors (docs/PROTOCOL.md §16): recompute test/fixtures/vectors.json with
 * both crypto providers and compare, then read the committed bytes back — by the spec's byte
 * tables, by the decoders, and through the acceptance rules — so that any change of a wire format
 * or a derivation fails here. To regenerate after an intended change (and a spec update):
 *   node --import tsx test/vectors/generate.ts > test/fixtures/vectors.json
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { nobleCrypto, hkdf, type CryptoProvider } from '../../src/core/crypto.ts';
import { nodeCrypto } from '../../src/node/node-crypto.ts';
import { concat, fromHex, toHex, u32be, utf8 } from '../../src/core/bytes.ts';
import { decodeStay } from '../../src/core/codec/stay.ts';
import { Kind, decodeBlock, powBitsOf, signedMessage, type Block } from '../../src/core/codec/block.ts';
import {
  decodeCase, decodeCertificate, decodeCheckpoint, decodeEpochKey, decodeNotification, decodePolicyStatement, decodeTraceBatch,
  decodeWithdrawal,
} from '../../src/core/codec/records.ts';
import { badProofs, openCase, openTraceBatch } from '../../src/core/sealing.ts';
import { decodeTagSet, TagSetIndex } from '../../src/core/tagset.ts';
import { leafHash, merkleRoot, verifyInclusion } from '../../src/core/merkle.ts';
import { AuthorityState } from '../../src/core/ledger/authority.ts';
import { checkBlock } from '../../src/core/ledger/rules.ts';
import { DEFAULT_POLICY, parsePolicy } from '../../src/core/policy.ts';
import { WatchKeys } from '../../src/core/keys.ts';
import { ExposureChecker } from '../../src/core/selfmatch.ts';
import { Chain } from '../../src/core/types.ts';
import { generate, INPUT, STAYS, TIMES, type BlockVector, type Vectors } from '../vectors/generate.ts';

const V: Vectors = JSON.parse(readFileSync(new URL('../fixtures/vectors.json', import.meta.url), 'utf8'));
const PROVIDERS: CryptoProvider[] = [nobleCrypto, nodeCrypto];
const h = fromHex;

const blockOf = (b: { hex: string }): Block => decodeBlock(h(b.hex));

for (const c of PROVIDERS) {
  test(`${c.name}: recomputing every vector from the fixed inputs gives test/fixtures/vectors.json`, () => {
    const fresh = generate(c);
    // Section by section first, for a readable failure, then the whole object.
    for (const k of Object.keys(V) as (keyof Vectors)[]) assert.deepEqual(fresh[k], V[k], `section ${k}`);
    assert.deepEqual(fresh, V);
  });
}

test('key schedule: the labels of §3, recomputed with HKDF directly (both providers)', () => {
  for (const c of PROVIDERS) {
    const seed = h(V.input.seed);
    const salt = utf8('BeepTrace/v1');
    const watch = hkdf(c, seed, salt, utf8('watch'), 32);
    assert.equal(toHex(watch), V.keys.watchKey, c.name);
    for (const d of V.keys.days) {
      const sign = hkdf(c, seed, salt, concat(utf8('day-sign'), u32be(d.day)), 32);
      assert.equal(toHex(sign), d.daySigningSecret, c.name);
      assert.equal(toHex(c.ed25519PublicKey(sign)), d.daySigningPublic, c.name);
      assert.equal(toHex(c.sha256(concat(utf8('BeepTrace/pseudonym/v1'), h(d.daySigningPublic))).subarray(0, 16)), d.pseudonym, c.name);
      const eph = hkdf(c, seed, salt, concat(utf8('day-ephemeral'), u32be(d.day)), 32);
      assert.equal(toHex(eph), d.dayEphemeralSecret, c.name);
      assert.equal(toHex(c.x25519PublicKey(eph)), d.dayEphemeralPublic, c.name);
      const nd = hkdf(c, watch, salt, concat(utf8('notify'), u32be(d.day)), 32);
      assert.equal(toHex(nd), d.notificationSecret, c.name);
      assert.equal(toHex(c.sha256(concat(utf8('BeepTrace/notification-tag/v1'), nd))), d.tag, c.name);
      // a guardian holding only the watch key gets the same tags
      assert.equal(toHex(new WatchKeys(c, watch).tag(d.day)), d.tag, c.name);
    }
  }
});

test('stays: the 16-byte layout of §5, field by field', () => {
  for (const [i, s] of V.stays.entries()) {
    const b = h(s.hex);
    assert.equal(b.length, 16);
    const v = new DataView(b.buffer, b.byteOffset, 16);
    const st = STAYS[i];
    assert.equal(v.getUint16(0), st.start - s.day * 1440, 'start minute of the day');
    assert.equal(v.getUint16(2), st.minutes);
    assert.equal(v.getUint16(12), st.radius);
    assert.equal(v.getUint8(14) & 0x1f, st.source);
    if (st.venue !== undefined) {
      assert.equal(v.getUint8(14) & 0x80, 0x80, 'venue flag');
      assert.equal(toHex(b.subarray(4, 12)), st.venue);
      assert.equal(v.getUint8(15), 0);
    } else {
      assert.equal(v.getUint8(14) & 0x80, 0);
      assert.equal(v.getInt32(4), st.latE7);
      assert.equal(v.getInt32(8), st.lonE7);
      assert.equal(v.getUint8(15), st.precision);
    }
    assert.deepEqual(decodeStay(b, s.day), st);
  }
});

/** Parse a block by the byte table of §6, independently of decodeBlock. */
function parseBySpec(bytes: Uint8Array) {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  let o = 0;
  const version = v.getUint8(o++);
  const chain = v.getUint8(o++);
  const kind = v.getUint8(o++);
  const region = v.getUint16(o); o += 2;
  const time = v.getUint32(o); o += 4;
  const np = v.getUint8(o++);
  const parents: { id: string; time: number }[] = [];
  for (let i = 0; i < np; i++) {
    parents.push({ id: toHex(bytes.subarray(o, o + 32)), time: v.getUint32(o + 32) });
    o += 36;
  }
  const roleSigned = [2, 5, 6, 7, 8, 9, 10].includes(kind);
  const signer = roleSigned ? toHex(bytes.subarray(o, o + 32)) : undefined;
  if (roleSigned) o += 32;
  const len = v.getUint32(o); o += 4;
  const body = toHex(bytes.subarray(o, o + len)); o += len;
  const powPrefix = o;
  const nonce = v.getUint32(o) * 2 ** 32 + v.getUint32(o + 4); o += 8;
  const signature = kind === 3 ? undefined : toHex(bytes.subarray(o, o + 64));
  if (kind !== 3) o += 64;
  assert.equal(o, bytes.length, 'no trailing bytes');
  return { version, chain, kind, region, time, parents, signer, body, powPrefix, nonce, signature };
}

const ALL_BLOCKS = (): { name: string; b: BlockVector; chain: number; kind: number; time: number; signer?: string }[] => [
  { name: 'policy', b: V.authority.policy.block, chain: 2, kind: Kind.POLICY, time: TIMES.policy, signer: V.input.rootPublic },
  ...V.authority.certificates.map((x) => ({ name: `certificate ${x.role}`, b: x.block, chain: 2, kind: Kind.CERTIFICATE, time: TIMES.certificate, signer: V.input.rootPublic })),
  { name: 'epoch key', b: V.authority.epochKey.block, chain: 2, kind: Kind.EPOCH_KEY, time: TIMES.epochKey, signer: V.input.rootPublic },
  { name: 'trace batch', b: V.traceBatch.block, chain: 1, kind: Kind.TRACE_BATCH, time: TIMES.traceBatch },
  { name: 'withdrawal', b: V.withdrawal.block, chain: 1, kind: Kind.WITHDRAWAL, time: TIMES.withdrawal },
  { name: 'diagnosis', b: V.diagnosis.block, chain: 1, kind: Kind.DIAGNOSIS, time: TIMES.diagnosis, signer: V.input.diagnosticianPublic },
  { name: 'self-report', b: V.selfReport.block, chain: 1, kind: Kind.SELF_REPORT, time: TIMES.selfReport },
  { name: 'notification', b: V.tagSet.notification.block, chain: 2, kind: Kind.NOTIFICATION, time: TIMES.notification, signer: V.input.solverPublic },
  { name: 'checkpoint', b: V.merkle.checkpoint.block, chain: 2, kind: Kind.CHECKPOINT, time: TIMES.checkpoint, signer: V.input.validatorPublic },
];

test('every committed block: the envelope table of §6, decodeBlock, id, proof-of-work', () => {
  for (const { name, b, chain, kind, time, signer } of ALL_BLOCKS()) {
    const bytes = h(b.hex);
    assert.equal(bytes.length, b.length, name);
    const s = parseBySpec(bytes);
    const d = decodeBlock(bytes);
    assert.equal(s.version, 1, name);
    assert.equal(s.chain, chain, name);
    assert.equal(d.chain, chain, name);
    assert.equal(s.kind, kind, name);
    assert.equal(d.kind, kind, name);
    assert.equal(s.region, V.input.region, name);
    assert.equal(d.region, V.input.region, name);
    assert.equal(s.time, time, name);
    assert.equal(d.time, time, name);
    assert.deepEqual(d.parents.map((p) => ({ id: toHex(p.id), time: p.time })), s.parents, name);
    assert.equal(s.signer, signer, name);
    assert.equal(d.signer && toHex(d.signer), signer, name);
    assert.equal(s.body, b.body, name);
    assert.equal(toHex(d.body), b.body, name);
    assert.equal(s.powPrefix, b.pow.prefixLength, name);
    assert.equal(d.powPrefixLength, b.pow.prefixLength, name);
    assert.equal(s.nonce, b.pow.nonce, name);
    assert.equal(d.nonce, b.pow.nonce, name);
    for (const c of PROVIDERS) {
      assert.equal(toHex(c.sha256(bytes)), b.id, `${name} id (${c.name})`);
      // the signature covers "BeepTrace/block/v1" ‖ everything up to and including the nonce
      const msg = concat(utf8('BeepTrace/block/v1'), bytes.subarray(0, s.powPrefix + 8));
      assert.deepEqual(signedMessage(d), msg, name);
    }
  }
  // parents are canonical: sorted by id, distinct
  for (const { b } of ALL_BLOCKS()) {
    const ps = blockOf(b).parents.map((p) => toHex(p.id));
    assert.deepEqual(ps, [...ps].sort(), 'parents sorted');
  }
  // proof-of-work: the smallest nonce that reaches the bits, for the kinds that need it
  for (const c of PROVIDERS) {
    assert.ok(powBitsOf(c, blockOf(V.traceBatch.block)) >= INPUT.pow.traceBits);
    assert.ok(powBitsOf(c, blockOf(V.withdrawal.block)) >= INPUT.pow.withdrawalBits);
    assert.ok(powBitsOf(c, blockOf(V.selfReport.block)) >= INPUT.pow.selfReportBits);
    assert.equal(blockOf(V.diagnosis.block).nonce, 0, 'role-signed kinds need no work: nonce 0');
  }
});

test('signatures: day key for trace batch and withdrawal, roles and root for the rest, none for the self-report', () => {
  for (const c of PROVIDERS) {
    const verify = (bk: { hex: string }, pub: string) => {
      const d = blockOf(bk);
      return c.ed25519Verify(h(pub), signedMessage(d), d.signature!);
    };
    assert.ok(verify(V.traceBatch.block, V.keys.days[0].daySigningPublic), c.name);
    assert.ok(verify(V.withdrawal.block, V.keys.days[1].daySigningPublic), c.name);
    assert.ok(!verify(V.withdrawal.block, V.keys.days[0].daySigningPublic), c.name);
    assert.ok(verify(V.diagnosis.block, V.input.diagnosticianPublic), c.name);
    assert.ok(verify(V.authority.policy.block, V.input.rootPublic), c.name);
    assert.ok(verify(V.tagSet.notification.block, V.input.solverPublic), c.name);
    assert.ok(verify(V.merkle.checkpoint.block, V.input.validatorPublic), c.name);
    assert.equal(blockOf(V.selfReport.block).signature, undefined);
  }
});

test('record bodies decode to the inputs (§7)', () => {
  const tb = decodeTraceBatch(blockOf(V.traceBatch.block).body);
  assert.equal(tb.day, INPUT.day0);
  assert.equal(tb.epoch, INPUT.epoch);
  assert.equal(tb.part, 0);
  assert.equal(tb.bucket, 0);
  assert.equal(toHex(tb.dayPub), V.keys.days[0].daySigningPublic);
  assert.equal(toHex(tb.ephPub), V.keys.days[0].dayEphemeralPublic);
  assert.equal(tb.sealed.length, 32 + 1 + 32 * 16 + 16);
  assert.equal(blockOf(V.traceBatch.block).body.length, 4 + 4 + 1 + 32 + 32 + 1 + 561);

  const w = decodeWithdrawal(blockOf(V.withdrawal.block).body);
  assert.equal(w.day, INPUT.day1);
  assert.equal(toHex(w.dayPub), V.keys.days[1].daySigningPublic);

  const dc = decodeCase(blockOf(V.diagnosis.block).body);
  assert.equal(dc.epoch, INPUT.epoch);
  assert.equal(dc.days, 2);
  assert.equal(toHex(dc.ephPub), V.diagnosis.ephPublic);
  assert.equal(dc.sealed.length, 4 + 1 + 32 + 2 * 100 + 16);
  const sc = decodeCase(blockOf(V.selfReport.block).body);
  assert.equal(sc.days, 1);
  assert.equal(toHex(sc.ephPub), V.selfReport.ephPublic);

  assert.equal(decodePolicyStatement(blockOf(V.authority.policy.block).body), INPUT.policyJson);
  assert.deepEqual(parsePolicy(INPUT.policyJson), DEFAULT_POLICY,
    'the vector policy spells out DEFAULT_POLICY: if the defaults changed, update docs/PROTOCOL.md §11.6 and INPUT.policyJson, then regenerate');
  for (const x of V.authority.certificates) {
    const cert = decodeCertificate(blockOf(x.block).body);
    assert.equal(toHex(cert.serial), x.serial);
    assert.equal(toHex(cert.subject), x.subject);
    assert.equal(cert.region, x.regionCode);
    assert.equal(cert.notBefore, x.notBefore);
    assert.equal(cert.notAfter, x.notAfter);
    assert.equal(cert.name, x.name);
  }
  const ek = decodeEpochKey(blockOf(V.authority.epochKey.block).body);
  assert.equal(ek.epoch, INPUT.epoch);
  assert.equal(toHex(ek.publicKey), V.input.epochPublic);

  const n = decodeNotification(blockOf(V.tagSet.notification.block).body);
  assert.deepEqual({ day: n.exposureDay, level: n.level, P: n.P, n: n.n, salt: toHex(n.salt), data: toHex(n.data) },
    { day: INPUT.day0, level: 2, P: V.tagSet.P, n: V.tagSet.n, salt: V.tagSet.salt, data: V.tagSet.data });

  const cp = decodeCheckpoint(blockOf(V.merkle.checkpoint.block).body);
  assert.deepEqual({ chain: cp.chain, from: cp.fromTime, to: cp.toTime, size: cp.size, root: toHex(cp.root), cases: { size: cp.cases?.size, root: toHex(cp.cases!.root) } },
    { chain: Chain.TRACING, from: V.merkle.fromTime, to: V.merkle.toTime, size: V.merkle.ids.length, root: V.merkle.root, cases: { size: V.merkle.cases.size, root: V.merkle.cases.root } });
});

test('sealing (§8): the solver opens the committed trace batch and case with the epoch secret', () => {
  for (const c of PROVIDERS) {
    const epochSecret = h(V.input.epochSecret);
    const epochPub = h(V.input.epochPublic);
    const tb = decodeTraceBatch(blockOf(V.traceBatch.block).body);
    // key = HKDF(X25519(epoch secret, eph pub), salt = ephPub ‖ epochPub, info "BeepTrace/trace-key/v1")
    const shared = c.x25519(epochSecret, tb.ephPub);
    assert.equal(toHex(shared), V.traceBatch.shared);
    // the uploader derives the same shared secret from its side
    assert.equal(toHex(c.x25519(h(V.keys.days[0].dayEphemeralSecret), epochPub)), V.traceBatch.shared);
    assert.equal(toHex(hkdf(c, shared, concat(tb.ephPub, epochPub), utf8('BeepTrace/trace-key/v1'), 32)), V.traceBatch.key);
    const pt = c.aeadOpen(h(V.traceBatch.key), h(V.traceBatch.nonce), tb.sealed, h(V.traceBatch.aad));
    assert.ok(pt);
    assert.equal(toHex(pt!), V.traceBatch.plaintext);
    assert.equal(toHex(pt!.subarray(0, 32)), V.keys.days[0].notificationSecret, 'plaintext starts with n_d');
    assert.equal(pt![32], STAYS.length, 'then the count');
    const opened = openTraceBatch(c, epochSecret, epochPub, tb);
    assert.ok(opened);
    assert.deepEqual(opened!.stays, STAYS);
    assert.equal(toHex(opened!.nd), V.keys.days[0].notificationSecret);
    // the ciphertext is bound to its body: another part number does not open
    assert.equal(openTraceBatch(c, epochSecret, epochPub, { ...tb, part: 1 }), null);

    const dc = decodeCase(blockOf(V.diagnosis.block).body);
    const oc = openCase(c, epochSecret, epochPub, dc);
    assert.ok(oc);
    assert.equal(toHex(c.aeadOpen(h(V.diagnosis.key), new Uint8Array(12), dc.sealed, h(V.diagnosis.aad))!), V.diagnosis.plaintext);
    assert.equal(oc!.onset, V.diagnosis.onset);
    assert.equal(oc!.lookback, V.diagnosis.lookback);
    assert.equal(toHex(oc!.challenge), V.input.challenge);
    assert.deepEqual(oc!.endorsed.map((e) => ({ day: e.day, dayPub: toHex(e.dayPub), proof: toHex(e.proof) })),
      V.diagnosis.endorsed.map((e) => ({ day: e.day, dayPub: e.dayPub, proof: e.proof })));
    for (const e of V.diagnosis.endorsed) {
      const msg = concat(utf8('BeepTrace/possession/v1'), c.sha256(concat(h(V.input.diagnosticianPublic), h(V.input.challenge))), u32be(e.day));
      assert.equal(toHex(msg), e.message);
      assert.ok(c.ed25519Verify(h(e.dayPub), msg, h(e.proof)));
    }
    assert.deepEqual(badProofs(c, oc!.endorsed, h(V.input.diagnosticianPublic), oc!.challenge), []);
    // bound to the diagnostician: the same proofs fail for another clinic's key
    assert.deepEqual(badProofs(c, oc!.endorsed, h(V.input.solverPublic), oc!.challenge), [INPUT.day0, INPUT.day1]);

    const sc = decodeCase(blockOf(V.selfReport.block).body);
    const os = openCase(c, epochSecret, epochPub, sc);
    assert.ok(os);
    assert.deepEqual(badProofs(c, os!.endorsed, sc.ephPub, os!.challenge), [], 'self-report proofs are bound to its ephemeral key');
    assert.deepEqual(badProofs(c, os!.endorsed, dc.ephPub, os!.challenge), [INPUT.day0]);
  }
});

test('tag sets (§12): decoding, membership, the filler rule, and self-match on the notification block', () => {
  for (const c of PROVIDERS) {
    const idx = new TagSetIndex({ n: V.tagSet.n, P: V.tagSet.P, salt: h(V.tagSet.salt), data: h(V.tagSet.data) });
    for (const t of V.tagSet.tags) assert.ok(idx.has(c, h(t.tag)), 'member');
    assert.equal(idx.has(c, h(V.tagSet.nonMember.tag)), false);
    const values = [...decodeTagSet(V.tagSet.n, V.tagSet.P, h(V.tagSet.data))];
    assert.deepEqual(values, [...new Set(V.tagSet.tags.map((t) => t.h))].sort((a, b) => a - b));
    const budget = parsePolicy(INPUT.policyJson).notification;
    assert.equal(V.tagSet.falsePositiveTarget, budget.falseAlarmPerUserDay / budget.setsPerExposureDay);
    assert.equal(V.tagSet.P, 27, 'P from the vector policy: smallest P with 2^-P ≤ 1e-6 / 128');
    assert.ok(2 ** -V.tagSet.P <= V.tagSet.falsePositiveTarget && 2 ** -(V.tagSet.P - 1) > V.tagSet.falsePositiveTarget);

    // filler set: fewer distinct values than tags, topped up with SHA-256(salt ‖ "BeepTrace/tagset/fill" ‖ u32be(j))
    const fv = [...decodeTagSet(V.fillerTagSet.n, V.fillerTagSet.P, h(V.fillerTagSet.data))];
    const F = BigInt(V.fillerTagSet.n) << BigInt(V.fillerTagSet.P);
    const have = new Set(V.fillerTagSet.tags.map((t) => t.h));
    assert.equal(have.size, V.fillerTagSet.distinctValuesBeforeFill);
    assert.ok(have.size < V.fillerTagSet.n, 'the vector exercises the filler rule');
    for (let j = 0; have.size < V.fillerTagSet.n; j++) {
      const y = BigInt('0x' + toHex(c.sha256(concat(h(V.fillerTagSet.salt), utf8('BeepTrace/tagset/fill'), u32be(j))).subarray(0, 8)));
      have.add(Number((y * F) >> 64n));
    }
    assert.deepEqual(fv, [...have].sort((a, b) => a - b));

    // the owner of the seed finds itself in the high-risk set of day0, from the block alone
    const checker = new ExposureChecker(c, new WatchKeys(c, h(V.keys.watchKey)));
    assert.equal(checker.add(decodeNotification(blockOf(V.tagSet.notification.block).body)), 'high');
    assert.deepEqual(checker.exposures(), [{ day: INPUT.day0, level: 'high' }]);
  }
});

test('Merkle (§10): leaves H(0x00 ‖ id) in (time, id) order, RFC 6962 root, audit paths', () => {
  for (const c of PROVIDERS) {
    const ids = V.merkle.ids.map(h);
    const leaves = ids.map((id) => c.sha256(concat(new Uint8Array([0]), id)));
    assert.deepEqual(leaves.map(toHex), V.merkle.leafHashes);
    assert.deepEqual(ids.map((id) => toHex(leafHash(c.sha256, id))), V.merkle.leafHashes);
    assert.equal(toHex(merkleRoot(c.sha256, leaves)), V.merkle.root);
    // the case root (§7.9): the leaves of the interval's case blocks alone, in the same order
    assert.equal(toHex(merkleRoot(c.sha256, V.merkle.cases.leafHashes.map(h))), V.merkle.cases.root);
    assert.deepEqual(V.merkle.cases.leafHashes, V.merkle.leafHashes.filter((_: string, i: number) => V.merkle.ids[i] !== V.traceBatch.block.id), "every leaf but the trace batch's");
    // hand-made RFC 6962 root for 4 leaves: H(1 ‖ H(1 ‖ l0 ‖ l1) ‖ H(1 ‖ l2 ‖ l3))
    assert.equal(ids.length, 4);
    const node = (a: Uint8Array, b: Uint8Array) => c.sha256(concat(new Uint8Array([1]), a, b));
    assert.equal(toHex(node(node(leaves[0], leaves[1]), node(leaves[2], leaves[3]))), V.merkle.root);
    for (const p of V.merkle.inclusion) {
      assert.ok(verifyInclusion(c.sha256, p.index, ids.length, leaves[p.index], p.proof.map(h), h(V.merkle.root)));
    }
    // ids are the committed tracing blocks', ordered by (time, id)
    const tracing = [V.traceBatch.block, V.withdrawal.block, V.diagnosis.block, V.selfReport.block]
      .map((b) => ({ id: b.id, time: blockOf(b).time }))
      .sort((a, b) => a.time - b.time || (a.id < b.id ? -1 : 1));
    assert.deepEqual(tracing.map((x) => x.id), V.merkle.ids);
  }
});

test('acceptance (§9): every committed block passes checkBlock at the vector clock, in publication order', () => {
  for (const c of PROVIDERS) {
    const authority = new AuthorityState(h(V.input.rootPublic));
    const ctx = { authority, region: V.input.region, nowSec: TIMES.now };
    for (const { name, b } of ALL_BLOCKS()) {
      const d = blockOf(b);
      const signer = checkBlock(c, d, ctx);
      if (d.kind === Kind.SELF_REPORT) assert.equal(signer, undefined, name);
      else assert.ok(signer, name);
      if (AuthorityState.isStatement(d.kind)) authority.apply(d, h(b.id));
    }
    assert.deepEqual(authority.policy, DEFAULT_POLICY);
    assert.equal(toHex(authority.epochKey(INPUT.epoch)!), V.input.epochPublic);
  }
});

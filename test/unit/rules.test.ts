/**
 * Ledger acceptance rules (src/core/ledger/rules.ts, src/core/ledger/ledger.ts): for every
 * RejectError code, a block that breaks exactly that rule is rejected with that code and nothing
 * is stored, next to a control — the same block without the fault — that is accepted. Then the
 * ledger's own behaviour: duplicates, pending blocks and their release, pruned parents, prune(),
 * order-independent authority state, and open() on an existing store.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { nodeCrypto } from '../../src/node/node-crypto.ts';
import { toHex } from '../../src/core/bytes.ts';
import { RejectError } from '../../src/core/errors.ts';
import { decodeBlock, Kind, KIND_NAME, powBitsOf, sealBlock, sortParents, type KindCode, type ParentRef } from '../../src/core/codec/block.ts';
import {
  ANY_REGION, encodeCertificate, encodeCheckpoint, encodeEpochKey, encodeNotification, encodePolicyStatement, encodeRevocation,
  encodeWithdrawal, Role, type RoleCode,
} from '../../src/core/codec/records.ts';
import {
  certificateBlock, checkpointBlock, diagnosisBlock, epochKeyBlock, newRoleKey, notificationBlock, policyBlock, revocationBlock,
  selfReportBlock, withdrawalBlock, type RoleKey,
} from '../../src/core/blocks.ts';
import { proveDays, sealCase, sealTraceBatch } from '../../src/core/sealing.ts';
import { buildTagSet } from '../../src/core/tagset.ts';
import { UserKeys } from '../../src/core/keys.ts';
import { Ledger } from '../../src/core/ledger/ledger.ts';
import type { AuthorityState } from '../../src/core/ledger/authority.ts';
import { DEFAULT_POLICY, epochOf, type Policy } from '../../src/core/policy.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { World } from '../../src/node/sim/world.ts';
import { Chain, Precision, Source, type ChainId, type Day, type Stay } from '../../src/core/types.ts';

// ───────────────────────────── helpers ─────────────────────────────

const c = nodeCrypto;
const D: Day = Math.floor(Date.UTC(2026, 2, 2) / 86_400_000); // 2026-03-02, epoch 2930 starts on D − 4
const START_MS = D * 86_400_000 + 10 * 3_600_000; // 10:00 UTC
const DAY_S = 86_400;
const P = DEFAULT_POLICY;

const world = () => World.create({ crypto: c, startMs: START_MS });
const user = () => new UserKeys(c, c.randomBytes(32));
const stay = (day: Day, minute = 600): Stay => ({ start: day * 1440 + minute, minutes: 30, latE7: 558_721_000, lonE7: -42_882_000, radius: 5, source: Source.GNSS, precision: Precision.EXACT });
const idOf = (bytes: Uint8Array) => c.sha256(bytes);

/** The ledger must refuse `bytes` with RejectError(code) and store nothing (index, store and pending pool unchanged). */
/** A block that waits for a CA statement (a certificate or an epoch key) is held, not stored. */
async function held(ledger: Ledger, bytes: Uint8Array): Promise<void> {
  const count = ledger.count();
  const pending = ledger.pendingCount;
  const r = await ledger.add(bytes);
  assert.equal(r.status, 'pending');
  assert.deepEqual(r.status === 'pending' && r.missing, []);
  assert.equal(ledger.count(), count, 'index unchanged');
  assert.equal(ledger.pendingCount, pending + 1, 'held in the pending pool');
  assert.equal(ledger.has(idOf(bytes)), false);
}

async function rejects(ledger: Ledger, bytes: Uint8Array, code: string, message?: RegExp): Promise<void> {
  const count = ledger.count();
  const stored = await ledger.opts.store.countBlocks();
  const pending = ledger.pendingCount;
  await assert.rejects(ledger.add(bytes), (e: unknown) => {
    assert.ok(e instanceof RejectError, `expected RejectError(${code}), got ${(e as Error)?.name}: ${(e as Error)?.message}`);
    assert.equal(e.code, code, e.message);
    if (message) assert.match(e.message, message);
    return true;
  });
  assert.equal(ledger.count(), count, 'index unchanged');
  assert.equal(await ledger.opts.store.countBlocks(), stored, 'store unchanged');
  assert.equal(ledger.pendingCount, pending, 'pending pool unchanged');
  assert.equal(ledger.has(idOf(bytes)), false);
}

/** The ledger must accept `bytes` ('added') and store it. */
async function accepts(ledger: Ledger, bytes: Uint8Array): Promise<void> {
  const count = ledger.count();
  const r = await ledger.add(bytes);
  assert.equal(r.status, 'added', `expected 'added', got ${r.status}`);
  assert.equal(ledger.count(), count + 1);
  assert.ok(ledger.has(idOf(bytes)));
  assert.deepEqual(await ledger.get(idOf(bytes)), bytes);
}

/** A trace batch of `keys` for `day`, every field overridable (to break exactly one rule). */
function traceBlock(w: World, keys: UserKeys, o: { day?: Day; epoch?: number; epochPub?: Uint8Array; region?: number; time?: number; parents?: ParentRef[]; powBits?: number; signWith?: Uint8Array } = {}): Uint8Array {
  const day = o.day ?? D;
  const epoch = o.epoch ?? epochOf(P, day);
  const epochPub = o.epochPub ?? w.ledger.authority.epochKey(epochOf(P, day)) ?? c.x25519PublicKey(c.randomBytes(32));
  const body = sealTraceBatch(c, keys, { day, epoch, epochPub, part: 0, stays: [stay(day)] });
  return sealBlock(c, { chain: Chain.TRACING, kind: Kind.TRACE_BATCH, region: o.region ?? w.region, time: o.time ?? w.timeSec(), parents: o.parents ?? [], body }, {
    powBits: o.powBits ?? P.pow.traceBits, secretKey: o.signWith ?? keys.daySigning(day).secretKey,
  });
}

/** A signed block of any kind with a raw body (for bodies that do not decode). */
function rawBlock(w: World, kind: KindCode, body: Uint8Array, key: { secretKey: Uint8Array; publicKey: Uint8Array } | null, o: { time?: number; powBits?: number } = {}): Uint8Array {
  const chain: ChainId = kind === Kind.TRACE_BATCH || kind === Kind.DIAGNOSIS || kind === Kind.SELF_REPORT || kind === Kind.WITHDRAWAL ? Chain.TRACING : Chain.NOTIFICATION;
  const roleSigned = kind !== Kind.TRACE_BATCH && kind !== Kind.WITHDRAWAL && kind !== Kind.SELF_REPORT;
  return sealBlock(c, { chain, kind, region: w.region, time: o.time ?? w.timeSec(), parents: [], signer: roleSigned ? key!.publicKey : undefined, body }, {
    powBits: o.powBits ?? 0, secretKey: kind === Kind.SELF_REPORT ? undefined : key!.secretKey,
  });
}

/**
 * The same block mined two ways: `ok` meets `need` bits of proof-of-work, `weak` falls short
 * (block time moved back a second at a time until nonce 0 misses the target).
 */
function powPair(make: (timeSec: number, powBits: number) => Uint8Array, timeSec: number, need: number): { ok: Uint8Array; weak: Uint8Array } {
  for (let t = timeSec; ; t--) {
    const weak = make(t, 0);
    if (powBitsOf(c, decodeBlock(weak)) < need) return { ok: make(t, need), weak };
  }
}

/** A certificate statement by `signer` (the root unless told otherwise). */
function certBlock(w: World, subject: Uint8Array, o: { role?: RoleCode; region?: number; notBefore?: number; notAfter?: number; time?: number; parents?: ParentRef[]; region2?: number; signer?: RoleKey } = {}): Uint8Array {
  const t = w.timeSec();
  return certificateBlock(c, o.signer ?? w.root, {
    serial: c.randomBytes(16), role: o.role ?? Role.DIAGNOSTICIAN, region: o.region ?? w.region, subject, notBefore: o.notBefore ?? t - DAY_S, notAfter: o.notAfter ?? t + 30 * DAY_S, name: 'Clinic',
  }, { region: o.region2 ?? w.region, timeSec: o.time ?? t, parents: o.parents ?? [] });
}

/** A diagnosis of `patient`'s day D by `clinic`, at block time `time`. */
function diagnosis(w: World, clinic: RoleKey, patient: UserKeys, o: { time?: number; epoch?: number; epochPub?: Uint8Array } = {}): Uint8Array {
  const challenge = c.randomBytes(32);
  const epoch = o.epoch ?? epochOf(P, D);
  return diagnosisBlock(c, clinic, {
    region: w.region, timeSec: o.time ?? w.timeSec(), parents: [], epoch, epochPub: o.epochPub ?? w.ledger.authority.epochKey(epoch)!, onset: D, lookback: 1, challenge,
    endorsed: proveDays(patient, [D - 1, D], clinic.publicKey, challenge),
  });
}

function tagSetBody(level = 2) {
  const set = buildTagSet(c, [c.randomBytes(32), c.randomBytes(32)], c.randomBytes(16), 20);
  return { exposureDay: D, level, P: set.P, n: set.n, salt: set.salt, data: set.data };
}

// ───────────────────────────── one test per rule code ─────────────────────────────

test("rule 'region': a block for another region is refused; the same block for this region is accepted", async () => {
  const w = await world();
  const u = user();
  await rejects(w.ledger, traceBlock(w, u, { region: 2 }), 'region');
  await accepts(w.ledger, traceBlock(w, u, { region: 1 }));
  const k = newRoleKey(c);
  await rejects(w.ledger, certBlock(w, k.publicKey, { region2: 0xffff }), 'region');
  await accepts(w.ledger, certBlock(w, k.publicKey));
});

test("rule 'future': a block more than maxSkewSeconds ahead is refused; exactly maxSkewSeconds ahead is accepted", async () => {
  const w = await world();
  const u = user();
  const t = w.timeSec();
  await rejects(w.ledger, traceBlock(w, u, { time: t + P.maxSkewSeconds + 1 }), 'future');
  await accepts(w.ledger, traceBlock(w, u, { time: t + P.maxSkewSeconds }));
});

test("rule 'expired': a block older than the retention window is refused; one at the horizon is accepted", async () => {
  const w = await world();
  const horizon = w.timeSec() - P.retentionDays * DAY_S;
  const k = newRoleKey(c);
  await rejects(w.ledger, certBlock(w, k.publicKey, { time: horizon - 1 }), 'expired');
  await accepts(w.ledger, certBlock(w, k.publicKey, { time: horizon }));
});

test("rule 'parent_time': a parent that claims a time after the block is refused; its true time is accepted", async () => {
  const w = await world();
  const [tip] = w.ledger.tips(Chain.NOTIFICATION);
  const k = newRoleKey(c);
  const t = w.timeSec();
  await rejects(w.ledger, certBlock(w, k.publicKey, { time: t, parents: [{ id: tip.id, time: t + 1 }] }), 'parent_time');
  await accepts(w.ledger, certBlock(w, k.publicKey, { time: t, parents: [{ id: tip.id, time: tip.time }] }));
});

test("ledger 'parent_time': a reference that misstates a known parent's time is refused; the parent's true time is accepted", async () => {
  const w = await world();
  const [tip] = w.ledger.tips(Chain.NOTIFICATION);
  const k = newRoleKey(c);
  const t = w.timeSec() + 5;
  await rejects(w.ledger, certBlock(w, k.publicKey, { time: t, parents: [{ id: tip.id, time: tip.time - 1 }] }), 'parent_time', /parent has/);
  await rejects(w.ledger, certBlock(w, k.publicKey, { time: t, parents: [{ id: tip.id, time: tip.time + 1 }] }), 'parent_time', /parent has/);
  await accepts(w.ledger, certBlock(w, k.publicKey, { time: t, parents: [{ id: tip.id, time: tip.time }] }));
});

test("ledger 'parent_chain': a parent that is a block of the other chain is refused; a parent on the block's own chain is accepted", async () => {
  const w = await world();
  const u = user();
  const first = traceBlock(w, u);
  await accepts(w.ledger, first);
  const [notificationTip] = w.ledger.tips(Chain.NOTIFICATION);
  await rejects(w.ledger, traceBlock(w, u, { parents: [notificationTip] }), 'parent_chain');
  await accepts(w.ledger, traceBlock(w, u, { parents: [{ id: idOf(first), time: w.timeSec() }] }));
});

test("rule 'pow': trace batch, withdrawal and self-report below the policy's bits are refused; mined ones are accepted", async () => {
  const w = await world();
  const u = user();
  const { epoch, publicKey: epochPub } = await w.ensureEpoch(D);
  const t = w.timeSec();
  const trace = powPair((time, powBits) => traceBlock(w, u, { time, powBits }), t, P.pow.traceBits);
  const withdrawal = powPair((time, powBits) => withdrawalBlock(c, u, { region: w.region, timeSec: time, day: D, powBits }), t, P.pow.withdrawalBits);
  // a self-report is randomised (fresh keys), so pin its randomness to build the same report twice
  const report = powPair((time, powBits) => {
    const fixed = { ...c, randomBytes: (n: number) => new Uint8Array(n).fill(0x42) };
    return selfReportBlock(fixed, u, { region: w.region, timeSec: time, epoch, epochPub, onset: D, days: [D], powBits });
  }, t, P.pow.selfReportBits);
  for (const [kind, pair, bits] of [[Kind.TRACE_BATCH, trace, P.pow.traceBits], [Kind.WITHDRAWAL, withdrawal, P.pow.withdrawalBits], [Kind.SELF_REPORT, report, P.pow.selfReportBits]] as const) {
    assert.ok(bits > 0 && powBitsOf(c, decodeBlock(pair.ok)) >= bits && powBitsOf(c, decodeBlock(pair.weak)) < bits);
    await rejects(w.ledger, pair.weak, 'pow', new RegExp(`${KIND_NAME[kind]} needs ${bits} bits`));
    await accepts(w.ledger, pair.ok);
  }
});

test("rule 'bad_signature': blocks signed by the wrong key (or carrying another block's signature) are refused; correctly signed ones are accepted", async () => {
  const w = await world();
  const u = user();
  const mallory = user();
  await rejects(w.ledger, traceBlock(w, u, { signWith: mallory.daySigning(D).secretKey }), 'bad_signature');
  await accepts(w.ledger, traceBlock(w, u));

  const wd = withdrawalBlock(c, u, { region: w.region, timeSec: w.timeSec(), day: D, powBits: 8 });
  const forged = wd.slice();
  forged.set(traceBlock(w, u).subarray(-64), forged.length - 64); // a valid signature by the same key, over another block
  await rejects(w.ledger, forged, 'bad_signature');
  await accepts(w.ledger, wd);

  const patient = user();
  const fake = { publicKey: w.diagnostician.publicKey, secretKey: newRoleKey(c).secretKey };
  await rejects(w.ledger, diagnosis(w, fake, patient), 'bad_signature');
  await accepts(w.ledger, diagnosis(w, w.diagnostician, patient));

  const k = newRoleKey(c);
  await rejects(w.ledger, certBlock(w, k.publicKey, { signer: { publicKey: w.root.publicKey, secretKey: k.secretKey } }), 'bad_signature');
  await accepts(w.ledger, certBlock(w, k.publicKey));
});

test("rule 'unauthorized': CA statements not signed by the CA root are refused; the root's are accepted", async () => {
  const w = await world();
  const t = w.timeSec();
  const common = { region: w.region, timeSec: t, parents: [] };
  const notRoot = w.diagnostician; // a certified key, but not the root
  const subject = newRoleKey(c).publicKey;
  const epochPub = c.x25519PublicKey(c.randomBytes(32));
  const cert = { serial: c.randomBytes(16), role: Role.SOLVER, region: w.region, subject, notBefore: t, notAfter: t + DAY_S, name: 'S' } as const;
  const policy = JSON.stringify({ ...P, lookbackDays: 10 });
  const statements: [string, (k: RoleKey) => Uint8Array][] = [
    ['certificate', (k) => certificateBlock(c, k, cert, common)],
    ['revocation', (k) => revocationBlock(c, k, { subject, revokedAt: t, reason: 1 }, common)],
    ['epoch_key', (k) => epochKeyBlock(c, k, epochOf(P, D) + 3, epochPub, common)],
    ['policy', (k) => policyBlock(c, k, policy, { ...common, timeSec: t + 1 })], // after the world's policy (same-second policies tie-break by id)
  ];
  for (const [name, make] of statements) {
    await rejects(w.ledger, make(notRoot), 'unauthorized', new RegExp(`${name} must be signed by the CA root`));
    await accepts(w.ledger, make(w.root));
  }
  assert.equal(w.ledger.authority.policy.lookbackDays, 10, 'the root policy took effect');
});

test("rule 'unauthorized': a diagnosis by a key with no certificate is held until a certificate arrives; with one it is accepted", async () => {
  const w = await world();
  const patient = user();
  const clinic = newRoleKey(c);
  const dx = diagnosis(w, clinic, patient);
  await held(w.ledger, dx);
  await accepts(w.ledger, diagnosis(w, w.diagnostician, patient));
  const r = await w.ledger.add(certBlock(w, clinic.publicKey));
  assert.equal(r.status, 'added');
  assert.deepEqual(r.status === 'added' && r.released.map((x) => Buffer.from(x).toString('hex')), [Buffer.from(idOf(dx)).toString('hex')]);
  assert.equal(w.ledger.has(idOf(dx)), true, 'released once the certificate was applied');
  assert.equal(w.ledger.pendingCount, 0);
});

test("rule 'unauthorized': a certified key acting in another role or region is refused; in its own role and region it is accepted", async () => {
  const w = await world();
  const patient = user();
  const common = { region: w.region, timeSec: w.timeSec(), parents: [] };
  const t = w.timeSec();
  const cp = { chain: 1, fromTime: t - 3600, toTime: t, size: 0, root: c.sha256(new Uint8Array(0)), cases: { size: 0, root: c.sha256(new Uint8Array(0)) } };
  await rejects(w.ledger, diagnosis(w, w.solver, patient), 'unauthorized', /another role or region/);
  await accepts(w.ledger, diagnosis(w, w.diagnostician, patient));
  const n = tagSetBody();
  await rejects(w.ledger, notificationBlock(c, w.diagnostician, n, common), 'unauthorized', /another role or region/);
  await accepts(w.ledger, notificationBlock(c, w.solver, n, common));
  await rejects(w.ledger, checkpointBlock(c, w.solver, cp, common), 'unauthorized', /another role or region/);
  await accepts(w.ledger, checkpointBlock(c, w.validators[0], cp, common));

  const elsewhere = newRoleKey(c);
  const anywhere = newRoleKey(c);
  await accepts(w.ledger, certBlock(w, elsewhere.publicKey, { region: 2 }));
  await accepts(w.ledger, certBlock(w, anywhere.publicKey, { region: ANY_REGION }));
  await rejects(w.ledger, diagnosis(w, elsewhere, patient), 'unauthorized', /another role or region/);
  await accepts(w.ledger, diagnosis(w, anywhere, patient));
});

test("rule 'unauthorized': outside the certificate's validity window is refused; inside it the same clinic is accepted", async () => {
  const w = await world();
  const patient = user();
  const t = w.timeSec();
  const expired = newRoleKey(c);
  await accepts(w.ledger, certBlock(w, expired.publicKey, { notBefore: t - 2 * DAY_S, notAfter: t - 60 }));
  await rejects(w.ledger, diagnosis(w, expired, patient, { time: t }), 'unauthorized', /not valid at this time/);
  await rejects(w.ledger, diagnosis(w, expired, patient, { time: t - 60 }), 'unauthorized', /not valid at this time/);
  await accepts(w.ledger, diagnosis(w, expired, patient, { time: t - 61 }));

  const early = newRoleKey(c);
  await accepts(w.ledger, certBlock(w, early.publicKey, { notBefore: t + 100, notAfter: t + DAY_S }));
  await rejects(w.ledger, diagnosis(w, early, patient, { time: t + 99 }), 'unauthorized', /not valid at this time/);
  await accepts(w.ledger, diagnosis(w, early, patient, { time: t + 100 })); // within maxSkewSeconds of now
});

test("revocation: a revoked clinic's diagnoses are stored (the set never depends on arrival order) and count only before revokedAt and sealed by a checkpoint (§9.1)", async () => {
  const w = await world();
  const patient = user();
  const t = w.timeSec();
  const early = diagnosis(w, w.diagnostician, patient, { time: t - 300 });
  await accepts(w.ledger, early);
  await accepts(w.ledger, revocationBlock(c, w.root, { subject: w.diagnostician.publicKey, revokedAt: t + 3600, reason: 1 }, { region: w.region, timeSec: t, parents: [] }));
  const mid = diagnosis(w, w.diagnostician, patient, { time: t - 200 });
  await accepts(w.ledger, mid);
  assert.match(w.ledger.whyVoid(idOf(mid))!, /no final checkpoint/, 'before revokedAt but not sealed: does not count');
  await accepts(w.ledger, revocationBlock(c, w.root, { subject: w.diagnostician.publicKey, revokedAt: t - 60, reason: 1 }, { region: w.region, timeSec: t, parents: [] }));
  for (const time of [t, t - 60]) {
    const late = diagnosis(w, w.diagnostician, patient, { time });
    await accepts(w.ledger, late);
    assert.match(w.ledger.whyVoid(idOf(late))!, /revoked from/);
  }
  assert.match(w.ledger.whyVoid(idOf(early))!, /no final checkpoint/, 'a revocation reaches back to statements no checkpoint sealed');
});

test("rule 'bad_body': a correctly signed block of every kind whose body does not decode is refused; the valid body is accepted", async () => {
  const w = await world();
  const u = user();
  const { epoch, publicKey: epochPub } = await w.ensureEpoch(D);
  const t = w.timeSec();
  const day = u.daySigning(D);
  const goodTrace = sealTraceBatch(c, u, { day: D, epoch, epochPub, part: 0, stays: [stay(D)] });
  const goodCase = sealCase(c, { epoch, epochPub, ephSecret: c.randomBytes(32), onset: D, lookback: 0, challenge: c.randomBytes(32), endorsed: proveDays(u, [D], epochPub, new Uint8Array(32)) });
  const goodNotification = encodeNotification(tagSetBody());
  const badTagData = (() => {
    const n = tagSetBody();
    return encodeNotification({ ...n, data: new Uint8Array([...n.data, 0]) }); // a trailing byte in the tag set
  })();
  const cert = { serial: c.randomBytes(16), role: Role.VALIDATOR, region: w.region, subject: newRoleKey(c).publicKey, notBefore: t, notAfter: t + DAY_S, name: 'V' } as const;
  const goodCert = encodeCertificate(cert);
  const badCert = goodCert.slice();
  badCert[16] = 9; // role 9
  const goodCp = encodeCheckpoint({ chain: 1, fromTime: t - 60, toTime: t, size: 0, root: c.sha256(new Uint8Array(0)), cases: { size: 0, root: c.sha256(new Uint8Array(0)) } });
  const badCp = goodCp.slice();
  badCp.set(badCp.subarray(1, 5), 5); // toTime = fromTime
  const cases: [string, KindCode, Uint8Array, Uint8Array, { secretKey: Uint8Array; publicKey: Uint8Array } | null, number][] = [
    ['trace batch, trailing byte', Kind.TRACE_BATCH, new Uint8Array([...goodTrace, 0]), goodTrace, day, P.pow.traceBits],
    ['withdrawal, 35 bytes', Kind.WITHDRAWAL, encodeWithdrawal({ day: D, dayPub: day.publicKey }).subarray(0, 35), encodeWithdrawal({ day: D, dayPub: day.publicKey }), day, P.pow.withdrawalBits],
    ['diagnosis, sealed part cut short', Kind.DIAGNOSIS, goodCase.subarray(0, goodCase.length - 1), goodCase, w.diagnostician, 0],
    ['self-report, 0 days', Kind.SELF_REPORT, new Uint8Array([...goodCase.subarray(0, 4), 0, ...goodCase.subarray(5)]), goodCase, null, P.pow.selfReportBits],
    ['notification, level 3', Kind.NOTIFICATION, new Uint8Array([...goodNotification.subarray(0, 4), 3, ...goodNotification.subarray(5)]), goodNotification, w.solver, 0],
    ['notification, tag set with a trailing byte', Kind.NOTIFICATION, badTagData, encodeNotification(tagSetBody(1)), w.solver, 0],
    ['checkpoint, empty interval', Kind.CHECKPOINT, badCp, goodCp, w.validators[1], 0],
    ['certificate, role 9', Kind.CERTIFICATE, badCert, goodCert, w.root, 0],
    ['revocation, 36 bytes', Kind.REVOCATION, encodeRevocation({ subject: cert.subject, revokedAt: t, reason: 2 }).subarray(0, 36), encodeRevocation({ subject: cert.subject, revokedAt: t, reason: 2 }), w.root, 0],
    ['epoch key, 35 bytes', Kind.EPOCH_KEY, encodeEpochKey({ epoch: epoch + 4, publicKey: epochPub }).subarray(0, 35), encodeEpochKey({ epoch: epoch + 4, publicKey: epochPub }), w.root, 0],
    ['policy, unknown key', Kind.POLICY, encodePolicyStatement('{"retentionDayz":14}'), encodePolicyStatement('{"retentionDays":14}'), w.root, 0],
    ['policy, not JSON', Kind.POLICY, encodePolicyStatement('{retentionDays:14}'), encodePolicyStatement('{"retentionDays":15}'), w.root, 0],
    ['policy, invalid UTF-8', Kind.POLICY, new Uint8Array([0, 2, 0xc0, 0x80]), encodePolicyStatement('{"retentionDays":16}'), w.root, 0],
  ];
  for (const [name, kind, bad, good, key, powBits] of cases) {
    await rejects(w.ledger, rawBlock(w, kind, bad, key, { powBits }), 'bad_body', undefined).catch((e) => assert.fail(`${name}: ${e.message}`));
    await accepts(w.ledger, rawBlock(w, kind, good, key, { powBits })).catch((e) => assert.fail(`${name} (control): ${e.message}`));
  }
});

test("rule 'day_range': a trace batch or withdrawal for a day after the block's day or before the horizon day is refused; for today it is accepted", async () => {
  const w = await world();
  const u = user();
  await w.ensureEpoch(D - P.retentionDays - 1);
  await rejects(w.ledger, traceBlock(w, u, { day: D + 1 }), 'day_range');
  await rejects(w.ledger, traceBlock(w, u, { day: D - P.retentionDays - 1 }), 'day_range');
  await accepts(w.ledger, traceBlock(w, u, { day: D }));
  await accepts(w.ledger, traceBlock(w, u, { day: D - P.retentionDays })); // the horizon day itself
  const wd = (day: Day) => withdrawalBlock(c, u, { region: w.region, timeSec: w.timeSec(), day, powBits: P.pow.withdrawalBits });
  await rejects(w.ledger, wd(D + 1), 'day_range');
  await rejects(w.ledger, wd(D - P.retentionDays - 1), 'day_range');
  await accepts(w.ledger, wd(D));
});

test("rule 'unknown_epoch': a batch naming the wrong epoch is refused; one sealed to an unpublished epoch is held and accepted once the epoch is published", async () => {
  const w = await world();
  const u = user();
  const e = epochOf(P, D);
  await rejects(w.ledger, traceBlock(w, u, { epoch: e + 1 }), 'unknown_epoch', /belongs to epoch/);
  await accepts(w.ledger, traceBlock(w, u, { epoch: e }));

  const lastWeek = D - P.epochDays; // inside the window, in the previous epoch, whose key is not published yet
  assert.equal(w.ledger.authority.epochKey(e - 1), undefined);
  const secret = c.randomBytes(32);
  const pub = c.x25519PublicKey(secret);
  const batch = traceBlock(w, u, { day: lastWeek, epochPub: pub });
  await held(w.ledger, batch);
  const patient = user();
  const dx = diagnosis(w, w.diagnostician, patient, { epoch: e - 1, epochPub: pub });
  await held(w.ledger, dx);
  const r = await w.ledger.add(epochKeyBlock(c, w.root, e - 1, pub, { region: w.region, timeSec: w.timeSec(), parents: [] }));
  assert.equal(r.status === 'added' && r.released.length, 2);
  assert.equal(w.ledger.has(idOf(batch)), true, 'the batch is released once the epoch key is applied');
  assert.equal(w.ledger.has(idOf(dx)), true, 'and the diagnosis');
  assert.equal(w.ledger.pendingCount, 0);
});

test('two CA keys for one epoch: both statements are accepted and every node uses the first in (time, id) order, whatever the arrival order (issue 9 finding 9)', async () => {
  const w = await world();
  const e = epochOf(P, D) + 5;
  const k1 = c.x25519PublicKey(c.randomBytes(32));
  const k2 = c.x25519PublicKey(c.randomBytes(32));
  const k3 = c.x25519PublicKey(c.randomBytes(32));
  const t = w.timeSec() - 10;
  const s = [
    epochKeyBlock(c, w.root, e, k1, { region: w.region, timeSec: t, parents: [] }),
    epochKeyBlock(c, w.root, e, k2, { region: w.region, timeSec: t, parents: [] }),
    epochKeyBlock(c, w.root, e, k3, { region: w.region, timeSec: t - 1, parents: [] }),
  ];
  const ca: Uint8Array[] = [];
  for (const en of w.ledger.entries(Chain.NOTIFICATION)) ca.push((await w.ledger.get(en.id))!);
  const keys: string[] = [];
  for (const order of [[0, 1, 2], [2, 1, 0], [1, 0, 2], [1, 2, 0]]) {
    const l = new Ledger({ crypto: c, store: new MemoryStore(), rootKey: w.root.publicKey, region: w.region, now: () => w.nowMs, carries: [Chain.TRACING, Chain.NOTIFICATION] });
    for (const b of ca) await l.add(b);
    for (const i of order) assert.equal((await l.add(s[i])).status, 'added');
    keys.push(toHex(l.authority.epochKey(e)!));
  }
  assert.deepEqual(new Set(keys), new Set([toHex(k3)]), 'the earliest statement wins on every node');
});

test("ledger 'not_carried': a thin node carrying only the notification chain refuses tracing blocks; a full node accepts the same bytes", async () => {
  const w = await world();
  const thin = new Ledger({ crypto: c, store: new MemoryStore(), rootKey: w.root.publicKey, region: w.region, now: () => w.nowMs, carries: [Chain.NOTIFICATION] });
  await thin.open();
  const batch = traceBlock(w, user());
  await rejects(thin, batch, 'not_carried');
  await accepts(w.ledger, batch);
  await accepts(thin, certBlock(w, newRoleKey(c).publicKey)); // and it does carry the notification chain
});

// ───────────────────────────── ledger behaviour ─────────────────────────────

test("a block already stored is reported 'duplicate' and not stored twice", async () => {
  const w = await world();
  const b = traceBlock(w, user());
  await accepts(w.ledger, b);
  const count = w.ledger.count();
  const r = await w.ledger.add(b);
  assert.equal(r.status, 'duplicate');
  assert.deepEqual(r.id, idOf(b));
  assert.equal(w.ledger.count(), count);
  assert.equal(await w.ledger.opts.store.countBlocks(), count);
});

test("a 'duplicate' of a block still being written resolves only once the first copy is durable", async () => {
  const w = await world();
  // A store whose writes finish only when the test says so (a slow fsync).
  const store = new MemoryStore();
  const gates: (() => void)[] = [];
  let slow = false;
  const put = store.putBlock.bind(store);
  store.putBlock = (meta, bytes) => (slow ? new Promise<void>((resolve, reject) => gates.push(() => put(meta, bytes).then(resolve, reject))) : put(meta, bytes));
  const ledger = new Ledger({ crypto: c, store, rootKey: w.root.publicKey, region: w.region, now: () => w.nowMs, carries: [Chain.TRACING, Chain.NOTIFICATION] });
  for (const e of w.ledger.entries(Chain.NOTIFICATION)) await ledger.add((await w.ledger.get(e.id))!);
  slow = true;
  const b = traceBlock(w, user());
  const order: string[] = [];
  const first = ledger.add(b).then((r) => order.push(`first ${r.status}`));
  await new Promise((r) => setImmediate(r));
  assert.ok(ledger.has(idOf(b)), 'accepted at once (effects apply before the write)');
  const second = ledger.add(b).then((r) => order.push(`second ${r.status}`));
  let durable = false;
  const waited = ledger.whenDurable(idOf(b)).then(() => (durable = true));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(order, [], 'neither add resolves before the write');
  assert.equal(durable, false, 'whenDurable waits for the write');
  assert.equal(gates.length, 1, 'one write, not two');
  // listed while it is written: `get` waits for the bytes instead of answering undefined
  assert.ok(ledger.entries(Chain.TRACING).some((e) => toHex(e.id) === toHex(idOf(b))), 'listed by entries during the write');
  let read: Uint8Array | undefined;
  const reading = ledger.get(idOf(b)).then((bytes) => (read = bytes));
  await new Promise((r) => setImmediate(r));
  assert.equal(read, undefined, 'get has not answered before the write');
  gates[0]();
  await Promise.all([first, second, waited, reading]);
  assert.deepEqual(read, b, 'get answers the bytes once they are written');
  assert.deepEqual(order.sort(), ['first added', 'second duplicate']);
  assert.ok(await store.hasBlock(idOf(b)), 'on disk when both resolved');
});

test("a block whose parent is unknown (inside the window) is 'pending' with the missing id, and is released when the parent arrives", async () => {
  const w = await world();
  const t = w.timeSec();
  const parent = certBlock(w, newRoleKey(c).publicKey, { time: t - 20 });
  const child = certBlock(w, newRoleKey(c).publicKey, { time: t - 10, parents: [{ id: idOf(parent), time: t - 20 }] });
  const grandchild = certBlock(w, newRoleKey(c).publicKey, { time: t, parents: sortParents([{ id: idOf(child), time: t - 10 }, ...w.ledger.tips(Chain.NOTIFICATION)]) });
  const count = w.ledger.count();

  const r1 = await w.ledger.add(child);
  assert.equal(r1.status, 'pending');
  assert.deepEqual(r1.status === 'pending' && r1.missing, [idOf(parent)]);
  const r2 = await w.ledger.add(grandchild);
  assert.equal(r2.status, 'pending');
  assert.deepEqual(r2.status === 'pending' && r2.missing, [idOf(child)]);
  assert.equal(w.ledger.count(), count, 'pending blocks are not stored');
  assert.equal(w.ledger.pendingCount, 2);
  assert.ok(w.ledger.missingParents().some((id) => toHex(id) === toHex(idOf(parent))), 'the network is asked for the parent');

  const r3 = await w.ledger.add(parent);
  assert.equal(r3.status, 'added');
  assert.deepEqual(r3.status === 'added' && r3.released.map(toHex), [toHex(idOf(child)), toHex(idOf(grandchild))]);
  assert.equal(w.ledger.count(), count + 3);
  assert.equal(w.ledger.pendingCount, 0);
  assert.deepEqual(w.ledger.missingParents(), []);
  assert.ok(w.ledger.has(idOf(grandchild)));
  assert.deepEqual(w.ledger.tips(Chain.NOTIFICATION).map((p) => toHex(p.id)), [toHex(idOf(grandchild))]);
});

test('a pending block whose reference misstates its parent\'s time is dropped, not stored, when the parent arrives', async () => {
  const w = await world();
  const t = w.timeSec();
  const parent = certBlock(w, newRoleKey(c).publicKey, { time: t - 20 });
  const liar = certBlock(w, newRoleKey(c).publicKey, { time: t, parents: [{ id: idOf(parent), time: t - 19 }] });
  assert.equal((await w.ledger.add(liar)).status, 'pending');
  const count = w.ledger.count();
  const r = await w.ledger.add(parent);
  assert.equal(r.status, 'added');
  assert.deepEqual(r.status === 'added' && r.released, []);
  assert.equal(w.ledger.count(), count + 1, 'only the parent');
  assert.equal(w.ledger.has(idOf(liar)), false);
  assert.equal(w.ledger.pendingCount, 0);
});

test('a parent older than the retention window counts as pruned: the block is accepted; a parent at the horizon is still awaited', async () => {
  const w = await world();
  const horizon = w.timeSec() - P.retentionDays * DAY_S;
  const gone = { id: c.randomBytes(32), time: horizon - 1 };
  const recent = { id: c.randomBytes(32), time: horizon };
  await accepts(w.ledger, certBlock(w, newRoleKey(c).publicKey, { parents: [gone] }));
  const r = await w.ledger.add(certBlock(w, newRoleKey(c).publicKey, { parents: [recent] }));
  assert.equal(r.status, 'pending');
  assert.deepEqual(r.status === 'pending' && r.missing, [recent.id]);
});

test('prune() drops exactly the blocks older than the retention window, from the index and the store', async () => {
  const w = await world();
  const u = user();
  const t0 = w.timeSec();
  await accepts(w.ledger, traceBlock(w, u));
  const old = w.ledger.entries(Chain.TRACING).concat(w.ledger.entries(Chain.NOTIFICATION));
  assert.ok(old.length >= 7, 'policy, certificates, epoch key, trace batch');
  w.advanceTo(START_MS + 3 * DAY_S * 1000);
  await w.ensureEpoch(D + 3);
  const fresh = traceBlock(w, u, { day: D + 3 });
  await accepts(w.ledger, fresh);
  assert.equal(await w.ledger.prune(), 0, 'nothing is older than the window yet');

  w.advanceTo((t0 + P.retentionDays * DAY_S + 1) * 1000); // the first blocks are now 1 s past the horizon
  const before = w.ledger.count();
  const removed = await w.ledger.prune();
  assert.equal(removed, old.length);
  assert.equal(w.ledger.count(), before - old.length);
  for (const e of old) {
    assert.equal(w.ledger.has(e.id), false);
    assert.equal(await w.ledger.get(e.id), undefined);
  }
  assert.ok(w.ledger.has(idOf(fresh)), 'a block inside the window stays');
  assert.equal(await w.ledger.opts.store.countBlocks(), w.ledger.count());
});

/** Everything the authority state answers, as plain data, for the subjects and epochs of interest. */
function authorityFingerprint(a: AuthorityState, subjects: Uint8Array[], epochs: number[], times: number[]): unknown {
  return {
    policy: a.policy,
    epochs: epochs.map((e) => (a.epochKey(e) ? toHex(a.epochKey(e)!) : null)),
    revoked: subjects.map((s) => a.revokedAt(s) ?? null),
    why: subjects.map((s) => [1, 2, 3].map((role) => [1, 2].map((region) => times.map((t) => a.whyNotAuthorized(s, role as RoleCode, region, t))))),
    subjects: [1, 2, 3].map((role) => a.subjects(role as RoleCode).map((x) => `${toHex(x.subject)}:${x.name}`).sort()),
  };
}

test('the authority state is the same whatever order the CA statements arrive in (property over permutations)', async () => {
  const root = newRoleKey(c);
  const subjects = Array.from({ length: 3 }, () => newRoleKey(c).publicKey);
  const epochKeys = Array.from({ length: 4 }, () => c.x25519PublicKey(c.randomBytes(32)));
  const nowMs = START_MS;
  const t = Math.floor(nowMs / 1000);
  const times = [t - 7200, t - 3000, t - 1000, t - 1, t, t + 500, t + 5000];
  const offset = fc.integer({ min: 0, max: 3600 });
  type Spec =
    | { k: 'cert'; s: number; role: RoleCode; region: number; nb: number; len: number; name: string; at: number }
    | { k: 'revoke'; s: number; when: number; at: number }
    | { k: 'epoch'; e: number; at: number }
    | { k: 'policy'; lookback: number; max: Policy['selfReportMaxLevel']; at: number };
  const statement: fc.Arbitrary<Spec> = fc.oneof(
    fc.record({ k: fc.constant('cert' as const), s: fc.nat(2), role: fc.constantFrom<RoleCode[]>(1, 2, 3), region: fc.constantFrom(1, 2, ANY_REGION), nb: fc.integer({ min: -7200, max: 3600 }), len: fc.integer({ min: 1, max: 7200 }), name: fc.constantFrom('A', 'B'), at: offset }),
    fc.record({ k: fc.constant('revoke' as const), s: fc.nat(2), when: fc.integer({ min: -7200, max: 7200 }), at: offset }),
    fc.record({ k: fc.constant('epoch' as const), e: fc.nat(3), at: offset }),
    fc.record({ k: fc.constant('policy' as const), lookback: fc.integer({ min: 1, max: 14 }), max: fc.constantFrom<Policy['selfReportMaxLevel'][]>('none', 'low', 'high'), at: fc.constantFrom(0, 10, 20) }),
  );
  const build = (x: Spec): Uint8Array => {
    const common = { region: 1, timeSec: t - x.at, parents: [] };
    switch (x.k) {
      case 'cert':
        return certificateBlock(c, root, { serial: c.randomBytes(16), role: x.role, region: x.region, subject: subjects[x.s], notBefore: t + x.nb, notAfter: t + x.nb + x.len, name: x.name }, common);
      case 'revoke':
        return revocationBlock(c, root, { subject: subjects[x.s], revokedAt: t + x.when, reason: 1 }, common);
      case 'epoch':
        return epochKeyBlock(c, root, x.e, epochKeys[x.e], common);
      default:
        return policyBlock(c, root, JSON.stringify({ lookbackDays: x.lookback, selfReportMaxLevel: x.max } satisfies Partial<Policy>), common);
    }
  };
  const run = async (blocks: Uint8Array[]) => {
    const ledger = new Ledger({ crypto: c, store: new MemoryStore(), rootKey: root.publicKey, region: 1, now: () => nowMs, carries: [Chain.NOTIFICATION] });
    for (const b of blocks) {
      const r = await ledger.add(b);
      assert.notEqual(r.status, 'pending');
    }
    return authorityFingerprint(ledger.authority, subjects, [0, 1, 2, 3], times);
  };
  let differentStates = 0;
  let first: unknown;
  await fc.assert(
    fc.asyncProperty(
      fc.array(statement, { minLength: 1, maxLength: 12 }).chain((specs) => {
        const idx = specs.map((_, i) => i);
        return fc.tuple(fc.constant(specs), fc.shuffledSubarray(idx, { minLength: idx.length, maxLength: idx.length }));
      }),
      async ([specs, order]) => {
        const blocks = specs.map(build);
        const inOrder = await run(blocks);
        const shuffled = await run(order.map((i) => blocks[i]));
        const reversed = await run([...blocks].reverse());
        assert.deepStrictEqual(shuffled, inOrder);
        assert.deepStrictEqual(reversed, inOrder);
        if (first === undefined) first = inOrder;
        else if (JSON.stringify(first) !== JSON.stringify(inOrder)) differentStates++;
      },
    ),
    { numRuns: 60 },
  );
  assert.ok(differentStates > 0, 'the generated statements do produce different authority states');
});

test('ledger.open() on the same store rebuilds the index, the tips and the authority state', async () => {
  const w = await world();
  const u = user();
  const patient = user();
  const t = w.timeSec();
  await accepts(w.ledger, traceBlock(w, u));
  await accepts(w.ledger, traceBlock(w, patient));
  await accepts(w.ledger, diagnosis(w, w.diagnostician, patient));
  await accepts(w.ledger, policyBlock(c, w.root, JSON.stringify({ lookbackDays: 9 }), { region: w.region, timeSec: t + 1, parents: w.ledger.tips(Chain.NOTIFICATION) }));
  await accepts(w.ledger, revocationBlock(c, w.root, { subject: w.diagnostician.publicKey, revokedAt: t, reason: 1 }, { region: w.region, timeSec: t + 1, parents: w.ledger.tips(Chain.NOTIFICATION) }));
  const epochNext = epochOf(P, D) + 1;
  await accepts(w.ledger, epochKeyBlock(c, w.root, epochNext, c.x25519PublicKey(c.randomBytes(32)), { region: w.region, timeSec: t + 1, parents: w.ledger.tips(Chain.NOTIFICATION) }));

  const again = new Ledger({ ...w.ledger.opts });
  assert.equal(again.count(), 0, 'nothing before open()');
  await again.open();
  assert.equal(again.count(), w.ledger.count());
  for (const chain of [Chain.TRACING, Chain.NOTIFICATION] as ChainId[]) {
    assert.deepEqual(again.entries(chain), w.ledger.entries(chain));
    assert.deepEqual(again.tips(chain), w.ledger.tips(chain));
  }
  const subjects = [w.diagnostician.publicKey, w.solver.publicKey, ...w.validators.map((v) => v.publicKey)];
  const times = [t - 3600, t - 1, t, t + 60];
  assert.deepStrictEqual(authorityFingerprint(again.authority, subjects, [epochNext - 1, epochNext], times), authorityFingerprint(w.ledger.authority, subjects, [epochNext - 1, epochNext], times));
  assert.equal(again.authority.policy.lookbackDays, 9);

  // and it behaves like the original: duplicates, revocation, epochs
  const [some] = w.ledger.entries(Chain.TRACING);
  assert.equal((await again.add((await again.get(some.id))!)).status, 'duplicate');
  const revoked = diagnosis(w, w.diagnostician, user());
  await accepts(again, revoked);
  assert.match(again.whyVoid(idOf(revoked))!, /revoked/);
  await accepts(again, traceBlock(w, user()));
});

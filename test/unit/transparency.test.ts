/**
 * The transparency summary (src/core/ledger/transparency.ts): counted from a small World run,
 * only from blocks the ledger accepted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { World } from '../../src/node/sim/world.ts';
import { nodeCrypto as c } from '../../src/node/node-crypto.ts';
import { UserKeys } from '../../src/core/keys.ts';
import { diagnosisBlock, newRoleKey, revocationBlock } from '../../src/core/blocks.ts';
import { possessionProofs } from '../../src/core/device.ts';
import { toHex } from '../../src/core/bytes.ts';
import { Ledger } from '../../src/core/ledger/ledger.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { fingerprint, summarize, tallyLedger, TransparencyTally } from '../../src/core/ledger/transparency.ts';
import { decodeBlock } from '../../src/core/codec/block.ts';
import { Chain, Precision, Source, type Stay } from '../../src/core/types.ts';

const D = Math.floor(Date.UTC(2026, 2, 2) / 86_400_000);
const LAT = 558_721_000;
const LON = -42_882_000;
const M = 1e7 / 111_195;

function stays(day: number, northMetres: number): Stay[] {
  return [0, 30].map((o) => ({ start: day * 1440 + 600 + o, minutes: 30, latE7: Math.round(LAT + northMetres * M), lonE7: LON, radius: 5, source: Source.GNSS, precision: Precision.EXACT }));
}

/** Two patients and a contact; both patients diagnosed the next morning; the solver runs. */
async function run() {
  const w = await World.create({ crypto: c, startMs: (D + 1) * 86_400_000 + 600_000 });
  const [p1, p2, contact, other] = [0, 1, 2, 3].map(() => new UserKeys(c, c.randomBytes(32)));
  await w.upload(p1, D, stays(D, 0));
  await w.upload(p2, D, stays(D, 2000));
  await w.upload(contact, D, stays(D, 4));
  await w.upload(other, D, stays(D, 2003));
  w.advanceTo((D + 1) * 86_400_000 + 9 * 3_600_000);
  await w.diagnose(p1, D);
  await w.diagnose(p2, D, 3);
  await w.selfReport(other, D, [D]);
  await w.withdraw(contact, D);
  const out = await w.runSolver();
  const from = (D + 1) * 86_400 + 600;
  w.advanceTo(w.nowMs + 600_000);
  await w.checkpoint(Chain.TRACING, from, w.timeSec() - 60, 2);
  return { w, out };
}

test('counts match what was published: cases per diagnostician and day, tag sets per solver, self-reports, withdrawals, checkpoints', async () => {
  const { w } = await run();
  const s = (await tallyLedger(w.ledger)).summary(w.policy.checkpointQuorum);
  assert.deepEqual(s.chains, [Chain.TRACING, Chain.NOTIFICATION]);
  const diag = toHex(w.diagnostician.publicKey);
  assert.equal(s.cases.length, 1);
  assert.equal(s.cases[0].signer, diag);
  assert.equal(s.cases[0].day, D + 1, 'the day of the block time, not of the stays');
  assert.equal(s.cases[0].cases, 2);
  const days = (await Promise.all(w.ledger.entries(Chain.TRACING).filter((e) => e.kind === 2).map(async (e) => decodeBlock((await w.ledger.get(e.id))!).body[4]))).reduce((a, b) => a + b, 0);
  assert.equal(s.cases[0].caseDays, days, 'the days the cases cover, as their bodies say');
  const notes = await w.notifications();
  assert.ok(notes.length > 0, 'the solver published tag sets');
  assert.deepEqual(s.tagSets, [{ signer: toHex(w.solver.publicKey), day: D + 1, sets: notes.length, tags: notes.reduce((n, x) => n + x.n, 0) }]);
  assert.deepEqual(s.selfReports, [{ day: D + 1, count: 1 }]);
  assert.deepEqual(s.withdrawals, [{ day: D + 1, count: 1 }]);
  assert.equal(s.checkpointCount, 1);
  assert.equal(s.checkpoints[0].signers.length, 2);
  assert.equal(s.checkpoints[0].final, true, 'two of three validators make the default quorum');
  assert.deepEqual(s.signatures.map((r) => r.signer).sort(), w.validators.slice(0, 2).map((v) => toHex(v.publicKey)).sort());
  const roles = s.certificates.map((x) => x.role).sort();
  assert.deepEqual(roles, ['diagnostician', 'solver', 'validator', 'validator', 'validator']);
  assert.ok(s.certificates.every((x) => x.revokedAt === null && x.region === w.region && x.notAfter > x.notBefore));
});

test('a revoked certificate shows as revoked; re-published statements and duplicates count once', async () => {
  const { w } = await run();
  const revokedAt = w.timeSec() - 30;
  await w.publish(revocationBlock(c, w.root, { subject: w.diagnostician.publicKey, revokedAt, reason: 1 }, { region: w.region, timeSec: w.timeSec(), parents: w.ledger.tips(Chain.NOTIFICATION) }));
  w.advanceTo(w.nowMs + 1000);
  await w.refreshAuthority();
  const tally = await tallyLedger(w.ledger);
  for (const e of w.ledger.entries(Chain.NOTIFICATION)) tally.add(decodeBlock((await w.ledger.get(e.id))!), e.id); // seen again
  const s = tally.summary(w.policy.checkpointQuorum);
  const cert = s.certificates.find((x) => x.role === 'diagnostician')!;
  assert.equal(cert.revokedAt, revokedAt);
  assert.deepEqual(s.revocations, [{ subject: toHex(w.diagnostician.publicKey), revokedAt, reason: 1 }]);
  assert.equal(s.certificates.length, 5, 'the refresh re-published the same certificates');
  assert.equal(s.cases[0].cases, 2);
});

test('a block that fails verification is never counted: the tally is fed by the ledger', async () => {
  const { w } = await run();
  const thin = new Ledger({ crypto: c, store: new MemoryStore(), rootKey: w.root.publicKey, region: w.region, now: () => w.nowMs, carries: [Chain.TRACING, Chain.NOTIFICATION] });
  await thin.open();
  const tally = new TransparencyTally([Chain.TRACING, Chain.NOTIFICATION]);
  thin.onBlock((e, b) => tally.add(b, e.id));
  for (const chain of [Chain.NOTIFICATION, Chain.TRACING]) for (const e of w.ledger.entries(chain)) await thin.add((await w.ledger.get(e.id))!);
  const before = tally.summary(2);
  // an uncertified "clinic" endorses a case: the ledger refuses it (held for a certificate that never comes)
  const rogue = newRoleKey(c);
  const patient = new UserKeys(c, c.randomBytes(32));
  const challenge = c.randomBytes(32);
  const { epoch, publicKey } = await w.ensureEpoch(w.day());
  const fake = diagnosisBlock(c, rogue, { region: w.region, timeSec: w.timeSec(), parents: thin.tips(Chain.TRACING), epoch, epochPub: publicKey, onset: D, lookback: 1, challenge, endorsed: possessionProofs(patient, [D], rogue.publicKey, challenge) });
  const r = await thin.add(fake);
  assert.equal(r.status, 'pending');
  // a tampered copy of a real diagnosis (one byte of its body): bad signature, refused
  const real = w.ledger.entries(Chain.TRACING).find((e) => e.kind === 2)!;
  const bytes = (await w.ledger.get(real.id))!.slice();
  bytes[bytes.length - 80] ^= 1;
  await assert.rejects(thin.add(bytes));
  assert.deepEqual(tally.summary(2), before, 'neither was counted');
  assert.equal(before.cases[0].cases, 2);
  // and the pure summary over the same accepted blocks agrees
  const all = [];
  for (const chain of [Chain.TRACING, Chain.NOTIFICATION]) for (const e of thin.entries(chain)) all.push({ block: decodeBlock((await thin.get(e.id))!), id: e.id });
  assert.deepEqual(summarize([Chain.TRACING, Chain.NOTIFICATION], all, 2), before);
});

test('a ledger of the notification chain alone (cases: false) has tag sets and certificates but no cases', async () => {
  const { w } = await run();
  const thin = new Ledger({ crypto: c, store: new MemoryStore(), rootKey: w.root.publicKey, region: w.region, now: () => w.nowMs, carries: [Chain.NOTIFICATION], cases: false });
  await thin.open();
  for (const e of w.ledger.entries(Chain.NOTIFICATION)) await thin.add((await w.ledger.get(e.id))!);
  const s = (await tallyLedger(thin)).summary(2);
  assert.deepEqual(s.chains, [Chain.NOTIFICATION]);
  assert.equal(s.cases.length, 0);
  assert.equal(s.tagSets.length, 1);
  assert.equal(s.certificates.length, 5);
});

test('a thin node (notification chain and the case blocks, PROTOCOL §15 item 34) counts the same cases as a full node, without the trace batches', async () => {
  const { w } = await run();
  const thin = new Ledger({ crypto: c, store: new MemoryStore(), rootKey: w.root.publicKey, region: w.region, now: () => w.nowMs, carries: [Chain.NOTIFICATION] });
  await thin.open();
  for (const e of w.ledger.entries(Chain.NOTIFICATION)) await thin.add((await w.ledger.get(e.id))!);
  for (const e of w.ledger.entries(Chain.TRACING)) {
    const bytes = (await w.ledger.get(e.id))!;
    if (e.kind === 1) await assert.rejects(thin.add(bytes), /not_carried|does not carry/, 'a trace batch is refused');
    else assert.equal((await thin.add(bytes)).status, 'added', 'a case block is accepted without its tracing parents');
  }
  const s = (await tallyLedger(thin)).summary(2);
  const full = (await tallyLedger(w.ledger)).summary(2);
  assert.deepEqual(s.chains, [Chain.TRACING, Chain.NOTIFICATION]);
  assert.equal(s.cases[0].cases, 2);
  assert.deepEqual({ ...s, checkpoints: [], checkpointCount: 0 }, { ...full, checkpoints: [], checkpointCount: 0 });
});

test('fingerprint: four groups of four hex digits', () => {
  assert.equal(fingerprint('a1b2c3d4e5f60718ffff'), 'a1b2 c3d4 e5f6 0718');
});

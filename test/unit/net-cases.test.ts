/**
 * Thin nodes hold the tracing chain's case blocks (docs/PROTOCOL.md §15 item 34, docs/NET.md §2),
 * in the deterministic in-memory network:
 *
 * - every case block (diagnosis, self-report, withdrawal) reaches every thin node, without its
 *   tracing parents, and no trace batch (nor its id) ever does;
 * - a thin node that was offline learns the cases it missed by sync, with all cases offered,
 *   never one asked for by id;
 * - a forged case block, an uncertified diagnosis, a self-report short of proof-of-work and a
 *   trace batch offered over a case link are refused by a thin node (and cost the sender);
 *   a revoked diagnostician's later diagnosis is stored but does not count.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toHex } from '../../src/core/bytes.ts';
import { Kind } from '../../src/core/codec/block.ts';
import { Role } from '../../src/core/codec/records.ts';
import { diagnosisBlock, newRoleKey, revocationBlock } from '../../src/core/blocks.ts';
import { possessionProofs, selfReport } from '../../src/core/device.ts';
import { UserKeys } from '../../src/core/keys.ts';
import { CASE_KINDS } from '../../src/core/ledger/cases.ts';
import { Ledger } from '../../src/core/ledger/ledger.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { tallyLedger } from '../../src/core/ledger/transparency.ts';
import { Chain, Precision, Source } from '../../src/core/types.ts';
import { World } from '../../src/node/sim/world.ts';
import { SimNetwork } from '../../src/net/sim.ts';
import type { NetEvent } from '../../src/net/context.ts';
import type { Link } from '../../src/net/link.ts';
import { blockFrames, decodeFrame, encodeFrame } from '../../src/net/frames.ts';
import { seededCrypto } from './seeded-crypto.ts';
import { D } from './net-fixture.ts';

const c = seededCrypto('net-cases/1');
const hexOf = (b: Uint8Array) => toHex(c.sha256(b));

/** A world with trace batches, then cases of every kind (the diagnosis has trace batches as parents). */
async function cases() {
  const w = await World.create({ crypto: c, startMs: (D + 1) * 86_400_000 + 3_600_000 });
  const get = async (id: Uint8Array) => (await w.ledger.get(id))!;
  const ca: Uint8Array[] = [];
  for (const e of w.ledger.entries(Chain.NOTIFICATION)) ca.push(await get(e.id));
  const patient = new UserKeys(c, c.randomBytes(32));
  for (let i = 0; i < 6; i++) {
    w.advanceTo(w.nowMs + 1000);
    const stays = [{ start: D * 1440 + 600 + i, minutes: 10, latE7: 558_000_000 + i * 1000, lonE7: -42_000_000, radius: 8, source: Source.GNSS, precision: Precision.M10 }];
    await w.upload(i === 0 ? patient : new UserKeys(c, c.randomBytes(32)), D, stays as never);
  }
  const trace = [];
  for (const e of w.ledger.entries(Chain.TRACING)) trace.push(await get(e.id));
  const caseBlocks = async () => {
    const out: Uint8Array[] = [];
    for (const e of w.ledger.entries(Chain.TRACING)) if (CASE_KINDS.has(e.kind) && !known.has(e.hex)) out.push(await get(e.id));
    for (const b of out) known.add(hexOf(b));
    return out;
  };
  const known = new Set<string>();
  w.advanceTo(w.nowMs + 1000);
  await w.diagnose(patient, D);
  w.advanceTo(w.nowMs + 1000);
  await w.selfReport(new UserKeys(c, c.randomBytes(32)), D, [D]);
  w.advanceTo(w.nowMs + 1000);
  await w.withdraw(new UserKeys(c, c.randomBytes(32)), D);
  const first = await caseBlocks();
  w.advanceTo(w.nowMs + 1000);
  await w.diagnose(new UserKeys(c, c.randomBytes(32)), D);
  w.advanceTo(w.nowMs + 1000);
  await w.selfReport(new UserKeys(c, c.randomBytes(32)), D, [D]);
  const later = await caseBlocks();
  return { w, ca, trace, first, later, patient };
}

function newSim(w: World, seed: number) {
  return new SimNetwork({ crypto: c, rootKey: w.root.publicKey, region: w.region, seed, startMs: w.nowMs + 1000, link: { delay: [5, 40], loss: 0.02 } });
}

async function dial(sim: SimNetwork, from: string, to: string): Promise<Link> {
  const p = sim.net.connect(from, to);
  await sim.net.run(sim.net.now() + 200);
  return p;
}

test('case blocks reach every thin node without their tracing parents; no trace batch does; an offline thin node catches up by sync', async () => {
  const { w, ca, trace, first, later } = await cases();
  assert.equal(first.length, 3);
  assert.ok(first.some((b) => b[1] === Chain.TRACING && b[2] === Kind.DIAGNOSIS), 'the fixture has a diagnosis');
  const sim = newSim(w, 41);
  const batches = new Set(trace.map(hexOf));
  const violations: string[] = [];
  sim.net.onDeliver = (from, to, frame) => {
    if (!to.startsWith('t')) return;
    const d = decodeFrame(frame);
    const ids = d.type === 'inv' ? d.ids : d.type === 'sync' ? d.ranges.flatMap((r) => (r.mode === 'idlist' ? r.ids : [])) : d.type === 'block' ? [d.id] : [];
    if (ids.some((id) => batches.has(toHex(id)))) violations.push(`${from}→${to} ${d.type} of a trace batch`);
  };
  for (let i = 0; i < 3; i++) await sim.addNode(`f${i}`, 'full', { preload: ca });
  for (let i = 0; i < 4; i++) await sim.addNode(`t${i}`, 'thin', { preload: ca });
  await sim.net.run(sim.net.now() + 5_000);
  for (const [i, b] of trace.entries()) void sim.get(`f${i % 3}`).node.publish(b);
  await sim.net.run(sim.net.now() + 2_000);
  for (const [i, b] of first.entries()) void sim.get(`f${i % 3}`).node.publish(b);
  await sim.net.run(sim.net.now() + 20_000);
  const want = (bs: Uint8Array[]) => bs.map(hexOf).sort();
  for (let i = 0; i < 4; i++) assert.deepEqual(sim.ids(`t${i}`, Chain.TRACING), want(first), `t${i} holds the cases and nothing else of the tracing chain`);

  // t3 goes offline (its store kept); more cases are published meanwhile; it comes back and syncs
  const away = sim.get('t3').store;
  sim.removeNode('t3');
  // the last one (a self-report) is a thin node's own: uploaded to a full node, and held by the thin node itself
  for (const [i, b] of later.slice(0, -1).entries()) void sim.get(`f${i % 3}`).node.publish(b);
  const own = sim.get('t0').node.publish(later.at(-1)!);
  await sim.net.run(sim.net.now() + 10_000);
  assert.equal((await own).status, 'uploaded');
  assert.equal(later.at(-1)![2], Kind.SELF_REPORT);
  assert.equal(sim.get('t0').ledger.has(c.sha256(later.at(-1)!)), true, 'the thin node holds its own self-report once the upload is answered');
  const offered = () => [0, 1, 2].reduce((n, i) => n + sim.get(`f${i}`).node.stats().sync.offered, 0);
  const offeredBefore = offered();
  const back = await sim.addNode('t3', 'thin', { store: away });
  assert.equal(back.ledger.count(Chain.TRACING), first.length, 'back from its store with the cases it had');
  await sim.net.run(sim.net.now() + 40_000);
  for (let i = 0; i < 4; i++) assert.deepEqual(sim.ids(`t${i}`, Chain.TRACING), want([...first, ...later]), `t${i} has every case`);
  // nothing new was gossiped after it returned: the cases it missed came by sync (offered to it, or asked for by it)
  assert.ok(offered() - offeredBefore + back.node.stats().sync.needed >= later.length, 'the cases it missed came by sync');
  for (const b of [...first, ...later]) assert.equal(back.ledger.counts(hexOf(b)), true, 'every case counts on the thin node');
  const s = (await tallyLedger(back.ledger)).summary(2);
  assert.deepEqual(s.cases.map((r) => [r.signer, r.cases]), [[toHex(w.diagnostician.publicKey), 2]]);
  assert.equal(s.selfReports.reduce((n, r) => n + r.count, 0), 2);
  assert.equal(s.withdrawals.reduce((n, r) => n + r.count, 0), 1);
  assert.deepEqual(violations, []);
  for (let i = 0; i < 3; i++) assert.equal(sim.get(`f${i}`).ledger.count(Chain.TRACING), trace.length + first.length + later.length);
});

test('a thin node refuses a forged case block, an uncertified diagnosis, a self-report short of proof-of-work and a trace batch; a revoked diagnostician\'s diagnosis does not count', async () => {
  const { w, ca, trace, first, patient } = await cases();
  const diagnosis = first.find((b) => b[2] === Kind.DIAGNOSIS)!;
  const forged = diagnosis.slice();
  forged[forged.length - 1] ^= 1;
  const { epoch, publicKey } = await w.ensureEpoch(w.day());
  const challenge = c.randomBytes(32);
  const rogue = newRoleKey(c);
  const uncertified = diagnosisBlock(c, rogue, { region: w.region, timeSec: w.timeSec(), parents: [], epoch, epochPub: publicKey, onset: D, lookback: 1, challenge, endorsed: possessionProofs(patient, [D], rogue.publicKey, challenge) });
  const cheap = selfReport(c, new UserKeys(c, c.randomBytes(32)), { region: w.region, timeSec: w.timeSec(), onset: D, days: [D], epoch, epochPub: publicKey, powBits: 0 });
  // a diagnostician certified, then revoked; its diagnosis after the revocation is valid but void
  const revoked = newRoleKey(c);
  await w.certify(revoked, Role.DIAGNOSTICIAN, 'Struck Clinic', w.timeSec() - 86_400, w.timeSec() + 86_400);
  w.advanceTo(w.nowMs + 2000);
  await w.publish(revocationBlock(c, w.root, { subject: revoked.publicKey, revokedAt: w.timeSec() - 1, reason: 1 }, { region: w.region, timeSec: w.timeSec(), parents: w.ledger.tips(Chain.NOTIFICATION) }));
  const late = diagnosisBlock(c, revoked, { region: w.region, timeSec: w.timeSec(), parents: [], epoch, epochPub: publicKey, onset: D, lookback: 1, challenge, endorsed: possessionProofs(patient, [D], revoked.publicKey, challenge) });
  const authority = [];
  for (const e of w.ledger.entries(Chain.NOTIFICATION)) authority.push((await w.ledger.get(e.id))!);

  const sim = newSim(w, 42);
  const events: (NetEvent & { node: string })[] = [];
  const thin = await sim.addNode('t0', 'thin', { preload: authority, options: { onEvent: (e) => events.push({ ...e, node: 't0' }) } });
  await sim.net.run(sim.net.now() + 1_000);
  assert.equal(ca.length < authority.length, true);

  const hello = encodeFrame({ type: 'hello', version: 1, region: w.region, chains: [1, 2], role: 'full' });
  const offers: [string, Uint8Array][] = [['e0', forged], ['e1', uncertified], ['e2', cheap], ['e3', trace[0]], ['e4', late], ['e5', first[1]]];
  for (const [addr, block] of offers) {
    sim.net.add(addr, { accept: () => undefined }, { chains: [1, 2] });
    const l = await dial(sim, addr, 't0');
    l.send(hello);
    l.onFrame = (fr) => {
      const d = decodeFrame(fr);
      if (d.type === 'hello') l.send(encodeFrame({ type: 'inv', chain: Chain.TRACING, ids: [c.sha256(block)] }));
      if (d.type === 'get' && d.ids.some((id) => toHex(id) === hexOf(block))) for (const f of blockFrames(c.sha256(block), block, false)) l.send(f);
    };
  }
  await sim.net.run(sim.net.now() + 90_000);
  await thin.node.settle();

  for (const b of [forged, uncertified, cheap, trace[0]]) assert.equal(thin.ledger.has(c.sha256(b)), false, 'refused, not stored');
  const penalties = (addr: string) => events.filter((e) => e.type === 'penalty' && sim.net.linkInfo(e.link)?.remote === addr).map((e) => e.type === 'penalty' && e.reason);
  assert.ok(penalties('e0').includes('invalid_block'), `forged: ${penalties('e0')}`);
  assert.ok(penalties('e3').includes('protocol'), `trace batch over a case link: ${penalties('e3')}`);
  assert.ok(penalties('e2').length >= 1, `a self-report short of proof-of-work costs the sender: ${penalties('e2')}`);
  assert.deepEqual(penalties('e5'), [], 'an honest case block costs nothing');
  // the revoked diagnostician's diagnosis is stored (it passes every rule) and does not count
  assert.equal(thin.ledger.has(c.sha256(late)), true);
  assert.match(thin.ledger.whyVoid(c.sha256(late)) ?? '', /revoked/);
  assert.equal(thin.ledger.counts(c.sha256(first[1])), true);
  const s = (await tallyLedger(thin.ledger)).summary(2);
  assert.deepEqual(s.cases, [], 'no case counted: the uncertified and the revoked one are not cases');
  assert.equal(s.selfReports.reduce((n, r) => n + r.count, 0) + s.withdrawals.reduce((n, r) => n + r.count, 0), 1, 'only the honest case block');
});

test('a thin ledger keeps its case blocks across a reopen, never makes them tips, and prunes them with retention', async () => {
  const { w, ca, first } = await cases();
  let nowMs = w.nowMs;
  const store = new MemoryStore();
  const open = async () => {
    const l = new Ledger({ crypto: c, store, rootKey: w.root.publicKey, region: w.region, now: () => nowMs, carries: [Chain.NOTIFICATION] });
    await l.open();
    return l;
  };
  const thin = await open();
  for (const b of ca) await thin.add(b);
  for (const b of first) assert.equal((await thin.add(b)).status, 'added');
  assert.deepEqual(thin.tips(Chain.TRACING), [], 'a thin node names no tracing tips (its uploads stay parentless)');
  assert.equal(thin.missingParents().length, 0, 'it awaits no tracing parent');
  const again = await open();
  assert.deepEqual(again.entries(Chain.TRACING).map((e) => e.hex), thin.entries(Chain.TRACING).map((e) => e.hex));
  assert.equal(again.entries(Chain.TRACING).length, 3);
  assert.deepEqual(again.tips(Chain.TRACING), []);
  nowMs += 15 * 86_400_000; // past the 14-day retention window of the cases (and of the CA statements)
  assert.ok((await again.prune()) >= 3);
  assert.equal(again.count(Chain.TRACING), 0);
  assert.equal(await store.countBlocks(Chain.TRACING), 0, 'pruned from the store too');
});

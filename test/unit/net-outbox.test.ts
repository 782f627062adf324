/**
 * Upload retention over the in-memory network (src/net/outbox.ts, src/net/proofs.ts): a thin
 * node keeps each upload in its store until a final checkpoint proves it.
 *
 * - Over many seeds with loss and duplication: uploads are kept after their receipt, are not
 *   asked about while only one validator signed (k = 2), and once the checkpoint is final every
 *   one is proven by an inclusion path and removed from memory and from the store.
 * - An upload that reached the carriers after its interval was checkpointed is answered ABSENT;
 *   with a renew hook it is re-issued at the current time and proven in a later checkpoint;
 *   without one it is uploaded again and kept as unprovable.
 * - Kept across a restart: an upload made with no carrier in reach survives the node's stop, goes
 *   out from the store when a restarted node finds a carrier, and is proven.
 * - A peer that forges an inclusion path is disconnected; an honest one proves the upload.
 * - The answering side: UNKNOWN for a chain not carried, an interval over a day, a root that
 *   differs, and beyond the per-peer rate.
 * - renewBlock: the same record at a new time, accepted by every rule; only the device's own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nodeCrypto as c } from '../../src/node/node-crypto.ts';
import { toHex } from '../../src/core/bytes.ts';
import { UserKeys } from '../../src/core/keys.ts';
import { renewBlock, traceBatchBlock, withdrawalBlock } from '../../src/core/blocks.ts';
import { decodeBlock } from '../../src/core/codec/block.ts';
import { epochOf } from '../../src/core/policy.ts';
import { buildCheckpoint, verifyIncluded } from '../../src/core/ledger/checkpoints.ts';
import { Chain, Precision, Source } from '../../src/core/types.ts';
import { ValidatorRole } from '../../src/node/roles/validator-role.ts';
import { SimNetwork, type SimNode } from '../../src/net/sim.ts';
import type { NetEvent } from '../../src/net/context.ts';
import { OUTBOX_INDEX_KEY, outboxEntryKey, type RenewFn } from '../../src/net/outbox.ts';
import { renewWith } from '../../src/net/assemble.ts';
import { ProofServer } from '../../src/net/proofs.ts';
import { ProofStatus, type Frame } from '../../src/net/frames.ts';
import type { NetContext } from '../../src/net/context.ts';
import type { Peer } from '../../src/net/peer.ts';
import { D, fixture, seeds } from './net-fixture.ts';

type Fixture = Awaited<ReturnType<typeof fixture>>;
let f: Fixture;
test.before(async () => {
  f = await fixture(0, 0);
});

const nowSec = (sim: SimNetwork) => Math.floor(sim.net.now() / 1000);

function newSim(seed: number, link = {}) {
  return new SimNetwork({
    crypto: c, rootKey: f.w.root.publicKey, region: f.w.region, seed, startMs: f.startMs, link: { delay: [5, 40], ...link },
    node: { tickMs: 250, outbox: { checkMs: 1_000, proofTimeoutMs: 3_000 } },
  });
}

/** A trace batch of one random device, at block time `timeSec`. */
function batch(keys: UserKeys, timeSec: number, i = 0): Uint8Array {
  const epoch = epochOf(f.w.ledger.authority.policy, D);
  const epochPub = f.w.ledger.authority.epochKey(epoch)!;
  return traceBatchBlock(c, keys, {
    region: f.w.region, timeSec, parents: [], day: D, part: i, epoch, epochPub, powBits: f.w.policy.pow.traceBits,
    stays: [{ start: D * 1440 + 600 + i, minutes: 10, latE7: 558_000_000 + i * 1000, lonE7: -42_000_000, radius: 8, source: Source.GNSS, precision: Precision.M10 }],
  });
}

/** Validator `v` (index into the World's validators) checkpoints [from, to) of the tracing chain on node `at`. */
async function checkpoint(sim: SimNetwork, at: SimNode, v: number, from: number, to: number) {
  return new ValidatorRole(c, at.ledger, f.w.validators[v]).checkpoint(Chain.TRACING, from, to, nowSec(sim));
}

/** Run the network until `done()` or `ms` of virtual time passed; returns whether it is done. */
async function runUntil(sim: SimNetwork, done: () => boolean, ms: number): Promise<boolean> {
  const end = sim.net.now() + ms;
  while (!done() && sim.net.now() < end) await sim.net.run(sim.net.now() + 250);
  return done();
}

/** Publish on a thin node and run the network until the publish settles. */
async function publish(sim: SimNetwork, n: SimNode, bytes: Uint8Array) {
  let out: { status: string; receipt?: string } | Error | null = null;
  n.node.publish(bytes).then((r) => (out = r), (e: Error) => (out = e));
  await runUntil(sim, () => out !== null, 60_000);
  return out as unknown as { status: string; receipt?: string };
}

async function keptIds(n: SimNode): Promise<string[]> {
  const index = (await n.store.getValue(OUTBOX_INDEX_KEY)) ?? new Uint8Array(0);
  const out: string[] = [];
  for (let i = 0; i < index.length; i += 32) out.push(toHex(index.subarray(i, i + 32)));
  return out.sort();
}

async function thinWithEvents(sim: SimNetwork, addr: string, opts: { renew?: RenewFn; store?: SimNode['store'] } = {}) {
  const events: NetEvent[] = [];
  const n = await sim.addNode(addr, 'thin', { preload: f.ca, store: opts.store, options: { renew: opts.renew, onEvent: (e) => events.push(e) } });
  return { n, events };
}

for (const seed of seeds([1, 2, 3, 4, 5, 6])) {
  test(`seed ${seed}: uploads are kept until a final checkpoint proves them, then leave the store`, async () => {
    const sim = newSim(seed, { loss: 0.02, duplicate: 0.02 });
    const f1 = await sim.addNode('f1', 'full', { preload: f.ca });
    const f2 = await sim.addNode('f2', 'full', { preload: f.ca });
    const { n: t, events } = await thinWithEvents(sim, 't');
    await sim.net.run(sim.net.now() + 3_000);
    const from = nowSec(sim);
    const blocks = Array.from({ length: 5 }, (_, i) => batch(new UserKeys(c, f.c.randomBytes(32)), from + i, i));
    const ids = blocks.map((b) => toHex(c.sha256(b))).sort();
    for (const b of blocks) assert.equal((await publish(sim, t, b)).status, 'uploaded', `seed ${seed}: upload acknowledged`);
    assert.deepEqual(t.node.retained().map((u) => u.id).sort(), ids, 'every upload is kept after its receipt');
    assert.ok(t.node.retained().every((u) => u.state === 'received'));
    assert.deepEqual(await keptIds(t), ids, 'and kept in the store');
    assert.ok(await runUntil(sim, () => ids.every((h) => f1.ledger.has(h) && f2.ledger.has(h)), 30_000), 'both full nodes hold the uploads');

    // One validator's checkpoint is not final (quorum 2): nothing is asked, nothing dropped.
    const to = from + 10; // the blocks' times are from … from + 4
    await runUntil(sim, () => nowSec(sim) > to, 20_000);
    await checkpoint(sim, f1, 0, from - 10, to);
    await sim.net.run(sim.net.now() + 10_000);
    assert.equal(t.node.stats().outbox.asked, 0, 'no question before the checkpoint is final');
    assert.equal(t.node.retained().length, 5);

    await checkpoint(sim, f2, 1, from - 10, to);
    assert.ok(await runUntil(sim, () => t.node.retained().length === 0, 60_000), `seed ${seed}: every upload proven (kept: ${t.node.retained().length})`);
    const proven = events.filter((e) => e.type === 'upload_proven').map((e) => (e as { id: string }).id).sort();
    assert.deepEqual(proven, ids, 'one upload_proven per upload');
    await t.node.settle();
    assert.deepEqual(await keptIds(t), [], 'the store lists nothing');
    for (const h of ids) assert.equal(await t.store.getValue(outboxEntryKey(h)), undefined, 'and holds no entry');
    const served = f1.node.stats().proofs.included + f2.node.stats().proofs.included;
    assert.ok(served >= 5, `full nodes served the inclusion paths (${served})`);
    assert.equal(t.node.stats().outbox.badProofs, 0);
  });
}

test('an upload that arrived after its interval was checkpointed is renewed and proven later', async () => {
  const sim = newSim(11);
  const f1 = await sim.addNode('f1', 'full', { preload: f.ca });
  const f2 = await sim.addNode('f2', 'full', { preload: f.ca });
  const keys = new UserKeys(c, f.c.randomBytes(32));
  const renew: RenewFn = (bytes) => renewBlock(c, keys, bytes, { timeSec: nowSec(sim), powBits: f.w.policy.pow.traceBits });
  const { n: t, events } = await thinWithEvents(sim, 't', { renew });
  await sim.net.run(sim.net.now() + 3_000);
  // The device made this batch 5 minutes ago while offline; meanwhile the validators closed the interval.
  const T = nowSec(sim);
  const old = batch(keys, T - 300);
  await checkpoint(sim, f1, 0, T - 600, T - 60);
  await checkpoint(sim, f2, 1, T - 600, T - 60);
  assert.equal((await publish(sim, t, old)).status, 'uploaded');
  assert.ok(await runUntil(sim, () => events.some((e) => e.type === 'upload_absent'), 30_000), 'the carriers answer ABSENT');
  const absent = events.find((e) => e.type === 'upload_absent') as Extract<NetEvent, { type: 'upload_absent' }>;
  assert.equal(absent.id, toHex(c.sha256(old)));
  assert.ok(absent.renewedAs && absent.renewedAs !== absent.id, 'renewed under a new id');
  assert.ok(await runUntil(sim, () => f1.ledger.has(absent.renewedAs!) && f2.ledger.has(absent.renewedAs!), 30_000), 'the renewed block reaches the carriers');
  assert.deepEqual(t.node.retained().map((u) => u.id), [absent.renewedAs], 'only the renewed block is kept');
  const renewedTime = t.node.retained()[0].time;
  assert.ok(renewedTime >= T, 'at a time after the closed interval');
  await sim.net.run(sim.net.now() + 2_000);
  await checkpoint(sim, f1, 0, T - 60, nowSec(sim));
  await checkpoint(sim, f2, 1, T - 60, nowSec(sim));
  assert.ok(await runUntil(sim, () => t.node.retained().length === 0, 60_000), 'the renewed block is proven');
  assert.deepEqual(events.filter((e) => e.type === 'upload_proven').map((e) => (e as { id: string }).id), [absent.renewedAs]);
  await t.node.settle();
  assert.deepEqual(await keptIds(t), []);
});

test('without a renew hook, an upload left out of a final checkpoint is uploaded again and kept as unprovable', async () => {
  const sim = newSim(12);
  const f1 = await sim.addNode('f1', 'full', { preload: f.ca });
  const f2 = await sim.addNode('f2', 'full', { preload: f.ca });
  const { n: t, events } = await thinWithEvents(sim, 't');
  await sim.net.run(sim.net.now() + 3_000);
  const T = nowSec(sim);
  await checkpoint(sim, f1, 0, T - 600, T - 60);
  await checkpoint(sim, f2, 1, T - 600, T - 60);
  const old = batch(new UserKeys(c, f.c.randomBytes(32)), T - 300);
  assert.equal((await publish(sim, t, old)).status, 'uploaded');
  assert.ok(await runUntil(sim, () => t.node.retained()[0]?.state === 'unprovable', 30_000), 'marked unprovable');
  assert.deepEqual(events.filter((e) => e.type === 'upload_absent'), [{ type: 'upload_absent', id: toHex(c.sha256(old)), renewedAs: null }]);
  assert.equal(t.node.stats().outbox.reuploaded, 1, 'uploaded once more');
  await sim.net.run(sim.net.now() + 20_000);
  assert.equal(t.node.stats().outbox.absent, 1, 'not asked again about the checkpoint that left it out');
  await t.node.settle();
  assert.deepEqual(await keptIds(t), [toHex(c.sha256(old))], 'still kept in the store');
  const v = await t.store.getValue(outboxEntryKey(toHex(c.sha256(old))));
  assert.equal(v?.[0], 2, 'stored with the unprovable state');
});

test('an upload made with no carrier in reach survives a restart, goes out from the store, and is proven', async () => {
  const sim = newSim(13);
  const { n: t1 } = await thinWithEvents(sim, 't1');
  await sim.net.run(sim.net.now() + 2_000);
  const b = batch(new UserKeys(c, f.c.randomBytes(32)), nowSec(sim));
  const hex = toHex(c.sha256(b));
  let settled: string | null = null;
  t1.node.publish(b).then(() => (settled = 'resolved'), () => (settled = 'rejected'));
  await sim.net.run(sim.net.now() + 5_000);
  assert.equal(settled, null, 'no carrier: the upload waits');
  await t1.node.settle();
  assert.deepEqual(await keptIds(t1), [hex], 'kept in the store before any peer saw it');
  assert.equal((await t1.store.getValue(outboxEntryKey(hex)))?.[0], 0, 'in the sending state');
  sim.removeNode('t1');
  await runUntil(sim, () => settled !== null, 1_000);
  assert.equal(settled, 'rejected', 'the stopped node rejects the pending publish');

  const f1 = await sim.addNode('f1', 'full', { preload: f.ca });
  const f2 = await sim.addNode('f2', 'full', { preload: f.ca });
  const { n: t2, events } = await thinWithEvents(sim, 't2', { store: t1.store });
  assert.ok(await runUntil(sim, () => f1.ledger.has(hex) && f2.ledger.has(hex), 60_000), 'the restarted node uploads it from the store, unasked');
  assert.ok(await runUntil(sim, () => t2.node.retained()[0]?.state === 'received', 10_000));
  await sim.net.run(sim.net.now() + 2_000);
  const T = nowSec(sim);
  await checkpoint(sim, f1, 0, T - 600, T);
  await checkpoint(sim, f2, 1, T - 600, T);
  assert.ok(await runUntil(sim, () => t2.node.retained().length === 0, 60_000), 'proven');
  assert.ok(events.some((e) => e.type === 'upload_proven' && e.id === hex));
  await t2.node.settle();
  assert.deepEqual(await keptIds(t2), []);
});

test('a peer that forges an inclusion path is disconnected, and an honest one proves the upload', async () => {
  let liarAsked = 0;
  for (const seed of seeds([21, 22, 23, 24])) {
    const sim = newSim(seed);
    const liar = await sim.addNode('liar', 'full', { preload: f.ca });
    const honest = await sim.addNode('honest', 'full', { preload: f.ca });
    // The liar answers every PROVE with INCLUDED and a made-up path.
    const ctx = liar.node as unknown as NetContext;
    (liar.node as unknown as { prover: { onProve: (p: Peer, fr: Extract<Frame, { type: 'prove' }>) => void } }).prover.onProve = (peer, fr) => {
      liarAsked++;
      ctx.send(peer, { type: 'proof', id: fr.id, root: fr.checkpoint.root, status: ProofStatus.INCLUDED, index: 0, path: [f.c.randomBytes(32)] });
    };
    const { n: t, events } = await thinWithEvents(sim, 't');
    await sim.net.run(sim.net.now() + 3_000);
    const b = batch(new UserKeys(c, f.c.randomBytes(32)), nowSec(sim));
    const hex = toHex(c.sha256(b));
    assert.equal((await publish(sim, t, b)).status, 'uploaded');
    assert.ok(await runUntil(sim, () => liar.ledger.has(hex) && honest.ledger.has(hex), 30_000));
    await sim.net.run(sim.net.now() + 2_000);
    const T = nowSec(sim);
    await checkpoint(sim, honest, 0, T - 600, T);
    await checkpoint(sim, honest, 1, T - 600, T);
    assert.ok(await runUntil(sim, () => t.node.retained().length === 0, 60_000), `seed ${seed}: proven by the honest peer`);
    const bad = t.node.stats().outbox.badProofs;
    const penalties = events.filter((e) => e.type === 'penalty' && e.reason === 'bad_proof').length;
    assert.equal(penalties, bad, 'every forged path is penalised');
    if (bad) assert.ok(!t.node.peers().some((p) => events.some((e) => e.type === 'banned' && e.link === p.link)), 'the liar was cut off');
  }
  assert.ok(liarAsked > 0, 'over the seeds the liar was asked at least once');
});

test('the answering side: INCLUDED paths verify; UNKNOWN for a chain not carried, a long interval, another root, and beyond the rate', async () => {
  const sim = newSim(31);
  const full = await sim.addNode('f', 'full', { preload: f.ca });
  const T = nowSec(sim);
  const blocks = Array.from({ length: 7 }, (_, i) => batch(new UserKeys(c, f.c.randomBytes(32)), T - 100 + i, i));
  for (const b of blocks) await full.ledger.add(b);
  const cp = { ...buildCheckpoint(c, full.ledger, Chain.TRACING, T - 200, T), chain: Chain.TRACING } as const;
  const sent: Extract<Frame, { type: 'proof' }>[] = [];
  const ctx = { ledger: full.ledger, clock: sim.net.clockFor('f'), carries: (ch: number) => full.ledger.carries(ch as 1), send: (_p: Peer, fr: Frame) => sent.push(fr as never) } as unknown as NetContext;
  const server = new ProofServer(ctx, { proofsPerSec: 1, proofBurst: 11 });
  const peer = {} as Peer;
  for (const b of blocks) server.onProve(peer, { type: 'prove', id: c.sha256(b), checkpoint: cp });
  assert.ok(sent.every((p) => p.status === ProofStatus.INCLUDED));
  for (const [i, b] of blocks.entries()) assert.ok(verifyIncluded(c, c.sha256(b), cp, { index: sent[i].index, proof: sent[i].path }), `path ${i} verifies`);
  server.onProve(peer, { type: 'prove', id: f.c.randomBytes(32), checkpoint: cp });
  assert.equal(sent.at(-1)!.status, ProofStatus.ABSENT, 'an id not in a matching interval is ABSENT');
  server.onProve(peer, { type: 'prove', id: c.sha256(blocks[0]), checkpoint: { ...cp, root: f.c.randomBytes(32) } });
  assert.equal(sent.at(-1)!.status, ProofStatus.UNKNOWN, 'another root: UNKNOWN');
  server.onProve(peer, { type: 'prove', id: c.sha256(blocks[0]), checkpoint: { ...cp, fromTime: T - 90_000 } });
  assert.equal(sent.at(-1)!.status, ProofStatus.UNKNOWN, 'an interval over a day: UNKNOWN');
  server.onProve(peer, { type: 'prove', id: c.sha256(blocks[0]), checkpoint: { ...cp, chain: Chain.NOTIFICATION } });
  assert.equal(sent.at(-1)!.status, ProofStatus.UNKNOWN, 'the notification chain\'s blocks of the interval are not the checkpoint\'s');
  const thinCtx = { ...ctx, carries: (ch: number) => ch === Chain.NOTIFICATION } as unknown as NetContext;
  const thinServer = new ProofServer(thinCtx);
  thinServer.onProve(peer, { type: 'prove', id: c.sha256(blocks[0]), checkpoint: cp });
  assert.equal(sent.at(-1)!.status, ProofStatus.UNKNOWN, 'a node that does not carry the chain: UNKNOWN');
  server.onProve(peer, { type: 'prove', id: c.sha256(blocks[1]), checkpoint: cp });
  assert.equal(sent.at(-1)!.status, ProofStatus.UNKNOWN, 'the 12th question, beyond the burst of 11, is throttled');
  assert.equal(server.stats.throttled, 1);
  const other = {} as Peer;
  server.onProve(other, { type: 'prove', id: c.sha256(blocks[1]), checkpoint: cp });
  assert.equal(sent.at(-1)!.status, ProofStatus.INCLUDED, 'the rate is per peer');
});

test('renewBlock re-issues an own trace batch or withdrawal at a new time; another device\'s or a role\'s block is refused', async () => {
  const keys = new UserKeys(c, f.c.randomBytes(32));
  const T = f.w.timeSec();
  const old = batch(keys, T - 300);
  const fresh = renewBlock(c, keys, old, { timeSec: T, powBits: f.w.policy.pow.traceBits });
  const a = decodeBlock(old);
  const b = decodeBlock(fresh);
  assert.notDeepEqual(c.sha256(fresh), c.sha256(old), 'a new id');
  assert.equal(b.time, T);
  assert.deepEqual(b.body, a.body, 'the same sealed record: no new encryption');
  assert.equal((await f.w.ledger.add(fresh)).status, 'added', 'the renewed block passes every rule');
  const w = withdrawalBlock(c, keys, { region: f.w.region, timeSec: T - 60, day: D, powBits: f.w.policy.pow.withdrawalBits });
  assert.equal(decodeBlock(renewBlock(c, keys, w, { timeSec: T, powBits: f.w.policy.pow.withdrawalBits })).time, T);
  assert.throws(() => renewBlock(c, new UserKeys(c, f.c.randomBytes(32)), old, { timeSec: T, powBits: 0 }), RangeError, 'another device\'s batch');
  assert.throws(() => renewBlock(c, keys, old, { timeSec: T - 301, powBits: 0 }), RangeError, 'a time before the block\'s');
  assert.throws(() => renewBlock(c, keys, f.ca[0], { timeSec: T, powBits: 0 }), TypeError, 'a CA statement is not an upload');
});

test('renewWith signs with the keys as they are when it renews (a backup import replaces them)', () => {
  const a = new UserKeys(c, f.c.randomBytes(32));
  const b = new UserKeys(c, f.c.randomBytes(32));
  let current = b;
  const renew = renewWith(c, () => current, f.w.ledger, { now: () => f.startMs + 3_600_000 });
  const old = batch(a, Math.floor(f.startMs / 1000));
  assert.throws(() => renew(old), /another device's key/, 'with keys b, a\'s upload is not its own');
  current = a; // the backup of a imported
  const renewed = renew(old);
  assert.ok(renewed instanceof Uint8Array, 'renewWith renews at once');
  assert.equal(decodeBlock(renewed).kind, decodeBlock(old).kind);
  assert.notEqual(toHex(c.sha256(renewed)), toHex(c.sha256(old)), 'a new block id');
  assert.throws(() => renewWith(c, b, f.w.ledger, { now: () => f.startMs + 3_600_000 })(old), /another device's key/, 'fixed keys still work as before');
});

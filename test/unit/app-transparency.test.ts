/**
 * The engine's 'transparency' intent (src/app/engine/transparency.ts) over fake-indexeddb and the
 * in-memory network: a thin node (relay off) — which holds the case blocks of the tracing chain — counts the blocks its ledger accepted: cases a full node publishes, tag sets — as they
 * arrive, and again from the store after a restart — and never one it refused.
 */
import 'fake-indexeddb/auto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nodeCrypto as c } from '../../src/node/node-crypto.ts';
import { toHex } from '../../src/core/bytes.ts';
import { diagnosisBlock, newRoleKey, notificationBlock, type RoleKey } from '../../src/core/blocks.ts';
import { decodeBlock } from '../../src/core/codec/block.ts';
import { possessionProofs } from '../../src/core/device.ts';
import { UserKeys } from '../../src/core/keys.ts';
import { buildTagSet } from '../../src/core/tagset.ts';
import { Chain } from '../../src/core/types.ts';
import type { Ledger } from '../../src/core/ledger/ledger.ts';
import { SimNetwork } from '../../src/net/sim.ts';
import { openIdbStore } from '../../src/store/idb-store.ts';
import { AppEngine } from '../../src/app/engine/engine.ts';
import type { FromEngine, TransparencySummary } from '../../src/app/protocol.ts';
import { D, fixture } from './net-fixture.ts';

async function openEngine(f: Awaited<ReturnType<typeof fixture>>, sim: SimNetwork, db: string) {
  let ledger: Ledger | undefined;
  const engine = await AppEngine.open({
    store: await openIdbStore(db), crypto: c, now: () => sim.net.now(), config: { region: f.w.region }, tickMs: 0,
    net: async (a) => {
      const sn = await sim.addNode('thin', 'thin', { preload: f.ca, store: a.store, start: false });
      ledger = sn.ledger;
      return { ledger: sn.ledger, node: sn.node, stop: async () => { sim.removeNode('thin'); await sn.node.settle(); } };
    },
  });
  let id = 0;
  const summary = async (): Promise<TransparencySummary> => {
    const my = ++id;
    let reply: FromEngine | undefined;
    const off = engine.onMessage((m) => { if (m.kind === 'reply' && m.id === my) reply = m; });
    await engine.handle({ kind: 'intent', id: my, intent: { type: 'transparency' } });
    off();
    assert.ok(reply?.kind === 'reply' && reply.ok, 'the intent succeeded');
    return reply.value as TransparencySummary;
  };
  return { engine, ledger: ledger!, summary };
}

function tagSet(sim: SimNetwork, ledger: Ledger, signer: RoleKey, day: number): Uint8Array {
  const set = buildTagSet(c, Array.from({ length: 6 }, () => c.randomBytes(32)), c.randomBytes(16), 27);
  return notificationBlock(c, signer, { exposureDay: day, level: 2, ...set }, { region: 1, timeSec: Math.floor(sim.net.now() / 1000), parents: ledger.tips(Chain.NOTIFICATION) });
}

test("the 'transparency' intent: a thin node counts what its ledger accepted, live and after a restart, never what it refused", async () => {
  const f = await fixture(0, 0);
  const sim = new SimNetwork({ crypto: c, rootKey: f.w.root.publicKey, region: f.w.region, seed: 3, startMs: f.startMs, link: { delay: [5, 40] }, node: { tickMs: 500 } });
  const a = await openEngine(f, sim, 'bt-transparency-1');
  const first = await a.summary();
  assert.deepEqual(first.chains, [Chain.TRACING, Chain.NOTIFICATION], 'a thin node: the notification chain and the case blocks of the tracing chain');
  assert.equal(first.certificates.length, 5, 'the CA statements preloaded');
  assert.deepEqual(first.tagSets, []);

  const day = Math.floor(sim.net.now() / 86_400_000);
  assert.equal((await a.ledger.add(tagSet(sim, a.ledger, f.w.solver, day - 1))).status, 'added');
  // A tag set signed by an uncertified key is held for a certificate that never comes: not counted.
  assert.equal((await a.ledger.add(tagSet(sim, a.ledger, newRoleKey(c), day - 1))).status, 'pending');
  const live = await a.summary();
  assert.deepEqual(live.tagSets, [{ signer: toHex(f.w.solver.publicKey), day, sets: 1, tags: 6 }]);
  await a.engine.close();

  const b = await openEngine(f, sim, 'bt-transparency-1');
  assert.deepEqual(await b.summary(), live, 'the same counts from the store after a restart');
  await b.engine.close();
});

test("a thin node (relay off) counts a case a full node publishes: the diagnosis arrives without its tracing parents, the summary names its diagnostician", async () => {
  const f = await fixture(3, 0);
  const sim = new SimNetwork({ crypto: c, rootKey: f.w.root.publicKey, region: f.w.region, seed: 5, startMs: f.startMs, link: { delay: [5, 40] }, node: { tickMs: 500 } });
  const full = await sim.addNode('f0', 'full', { preload: f.ca });
  for (const b of f.trace) assert.equal((await full.node.publish(b)).status, 'added');
  const a = await openEngine(f, sim, 'bt-transparency-2');
  await sim.net.run(sim.net.now() + 5_000);
  const patient = new UserKeys(c, c.randomBytes(32));
  const challenge = c.randomBytes(32);
  const { epoch, publicKey } = await f.w.ensureEpoch(f.w.day());
  const diagnostician = f.w.diagnostician;
  const diag = diagnosisBlock(c, diagnostician, {
    region: f.w.region, timeSec: Math.floor(sim.net.now() / 1000), parents: full.ledger.tips(Chain.TRACING), epoch, epochPub: publicKey,
    onset: D, lookback: 1, challenge, endorsed: possessionProofs(patient, [D, D + 1], diagnostician.publicKey, challenge),
  });
  assert.ok(decodeBlock(diag).parents.length > 0, 'the diagnosis names trace batches the thin node never holds');
  assert.equal((await full.node.publish(diag)).status, 'added');
  await sim.net.run(sim.net.now() + 10_000);
  assert.equal(a.ledger.count(Chain.TRACING), 1, 'the thin node holds the case block, and no trace batch');
  const s = await a.summary();
  assert.deepEqual(s.cases.map((r) => [r.signer, r.cases, r.caseDays]), [[toHex(diagnostician.publicKey), 1, 2]]);
  await a.engine.close();
});

/**
 * The engine's 'transparency' intent (src/app/engine/transparency.ts) over fake-indexeddb and the
 * in-memory network: a thin node's summary counts the blocks its ledger accepted — as they
 * arrive, and again from the store after a restart — and never one it refused.
 */
import 'fake-indexeddb/auto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nodeCrypto as c } from '../../src/node/node-crypto.ts';
import { toHex } from '../../src/core/bytes.ts';
import { newRoleKey, notificationBlock, type RoleKey } from '../../src/core/blocks.ts';
import { buildTagSet } from '../../src/core/tagset.ts';
import { Chain } from '../../src/core/types.ts';
import type { Ledger } from '../../src/core/ledger/ledger.ts';
import { SimNetwork } from '../../src/net/sim.ts';
import { openIdbStore } from '../../src/store/idb-store.ts';
import { AppEngine } from '../../src/app/engine/engine.ts';
import type { FromEngine, TransparencySummary } from '../../src/app/protocol.ts';
import { fixture } from './net-fixture.ts';

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

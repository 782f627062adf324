/**
 * Gossip over the in-memory network with real blocks and real Ledgers (a World makes the blocks;
 * every node starts with the CA statements, the authority state it needs to accept anything).
 *
 * - On a clean network every block reaches every node, about one body per node per block.
 * - Over many seeds, 100 nodes (85 full, 15 thin) with frame loss, duplication, reordering, churn
 *   and a partition that heals end with identical block sets: every full node has every block of
 *   both chains, every thin node every notification block and no tracing block.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nodeCrypto as c } from '../../src/node/node-crypto.ts';
import { toHex } from '../../src/core/bytes.ts';
import { Prng } from '../../src/core/prng.ts';
import { Chain, type ChainId } from '../../src/core/types.ts';
import { SimNetwork } from '../../src/net/sim.ts';
import type { NetEvent } from '../../src/net/context.ts';

import { D, fixture, seeds } from './net-fixture.ts';


const hexOf = (b: Uint8Array) => toHex(c.sha256(b));

test('gossip delivers every block to every node, about one body per node per block', async () => {
  const f = await fixture(12, 3);
  const sim = new SimNetwork({ crypto: c, rootKey: f.w.root.publicKey, region: f.w.region, seed: 11, startMs: f.startMs, link: { delay: [5, 40] } });
  const events: NetEvent[] = [];
  for (let i = 0; i < 30; i++) await sim.addNode(`n${i}`, 'full', { preload: f.ca, options: { onEvent: (e) => events.push(e) } });
  await sim.net.run(sim.net.now() + 10_000);
  const r = new Prng(1);
  const all = [...f.trace, ...f.notif];
  for (const b of all) {
    await sim.all()[r.int(30)].node.publish(b);
    await sim.net.run(sim.net.now() + 200);
  }
  const t0 = sim.net.now();
  await sim.net.run(t0 + 5_000);
  const want = (chain: ChainId, extra: Uint8Array[]) => [...(chain === Chain.NOTIFICATION ? f.ca : []), ...extra].map(hexOf).sort();
  let bodies = 0;
  for (const n of sim.all()) {
    assert.deepEqual(sim.ids(n.addr, Chain.TRACING), want(Chain.TRACING, f.trace), `${n.addr} tracing`);
    assert.deepEqual(sim.ids(n.addr, Chain.NOTIFICATION), want(Chain.NOTIFICATION, f.notif), `${n.addr} notification`);
    bodies += n.node.stats().gossip.bodies;
  }
  const perNode = bodies / (30 * all.length);
  assert.ok(perNode <= 1.05, `${perNode.toFixed(3)} block bodies per node per block (announce, then pull once)`);
  assert.deepEqual(events.filter((e) => e.type === 'penalty' || e.type === 'error'), [], 'no honest peer is penalized');
});

test('a node told NOTFOUND for a parent still hears of it as soon as it appears (no sync needed)', async () => {
  const f = await fixture(0, 0);
  // a checkpoint round: the second validator's block names the first's as its parent
  const made: Uint8Array[] = [];
  const off = f.w.ledger.onBlock((_e, b) => made.push(b.bytes));
  f.w.advanceTo(f.w.nowMs + 1000);
  await f.w.checkpoint(Chain.TRACING, f.w.timeSec() - 10, f.w.timeSec(), 2);
  off();
  const [parent, child] = made;
  const sim = new SimNetwork({
    crypto: c, rootKey: f.w.root.publicKey, region: f.w.region, seed: 12, startMs: f.w.nowMs + 1000, link: { delay: [5, 40] },
    node: { sync: { intervalMs: 1e9, followUpMs: 0 }, mesh: { rotateMs: 0 } },
  });
  for (let i = 0; i < 10; i++) await sim.addNode(`n${i}`, 'full', { preload: f.ca });
  await sim.net.run(sim.net.now() + 5_000);
  assert.equal((await sim.get('n0').node.publish(child)).status, 'pending', 'the child waits for its parent');
  await sim.net.run(sim.net.now() + 3_000); // n0 asks its peers for the parent: all answer NOTFOUND
  assert.ok(sim.get('n0').node.stats().gossip.notFound > 0);
  let childAt = 0;
  sim.get('n0').node.onBlock((e) => e.hex === hexOf(child) && (childAt = sim.net.now()));
  const t = sim.net.now();
  await sim.get('n9').node.publish(parent);
  await sim.net.run(t + 5_000);
  assert.ok(childAt > 0 && childAt - t < 2_000, `the parent reached n0 by gossip and released the child ${childAt - t} ms after it was published`);
  for (const n of sim.all()) assert.deepEqual(sim.ids(n.addr, Chain.NOTIFICATION), [...f.ca, parent, child].map(hexOf).sort(), `${n.addr}`);
});

/** One seeded run of the fault scenario; returns a description of any difference (empty = converged). */
async function faultRun(f: Awaited<ReturnType<typeof fixture>>, seed: number) {
  const r = new Prng(seed);
  const sim = new SimNetwork({
    crypto: c, rootKey: f.w.root.publicKey, region: f.w.region, seed, startMs: f.startMs,
    link: { loss: 0.05 + 0.05 * r.next(), duplicate: 0.03, delay: [5, 120] },
  });
  const N = 100;
  const thin = new Set<string>();
  const bad: NetEvent[] = [];
  for (let i = 0; i < N; i++) {
    const role = i % 7 === 3 ? 'thin' : 'full';
    if (role === 'thin') thin.add(`n${i}`);
    await sim.addNode(`n${i}`, role, { preload: f.ca, options: { onEvent: (e) => (e.type === 'error' || (e.type === 'penalty' && e.points >= 25)) && bad.push(e) } });
  }
  const net = sim.net;
  const t0 = net.now();
  await net.run(t0 + 5_000);
  // publishing, churn and a partition interleaved over 60 s
  const schedule: { at: number; act: () => void }[] = [];
  const uploads: Promise<unknown>[] = [];
  const nodes = sim.all();
  for (const b of f.trace) {
    const n = nodes[r.int(N)];
    schedule.push({ at: t0 + 5_000 + r.int(50_000), act: () => uploads.push(n.node.publish(b)) });
  }
  const full = nodes.filter((n) => !thin.has(n.addr));
  // checkpoints in order, each at a random full node (it may not have the parent yet: then it waits in the pending pool)
  f.notif.forEach((b, i) => schedule.push({ at: t0 + 6_000 + i * 7_000 + r.int(3_000), act: () => void full[r.int(full.length)].node.publish(b) }));
  for (let t = t0 + 5_000; t < t0 + 65_000; t += 2_000) schedule.push({ at: t, act: () => net.churn(nodes[r.int(N)].addr) });
  const half = nodes.map((n) => n.addr);
  schedule.push({ at: t0 + 15_000, act: () => net.partition(half.slice(0, N / 2), half.slice(N / 2)) });
  schedule.push({ at: t0 + 40_000, act: () => net.heal() });
  schedule.sort((a, b) => a.at - b.at);
  for (const s of schedule) {
    await net.run(s.at);
    s.act();
  }
  const want = (chain: ChainId) => [...(chain === Chain.NOTIFICATION ? [...f.ca, ...f.notif] : f.trace)].map(hexOf).sort().join();
  const differs = () => nodes.filter((n) => sim.ids(n.addr, Chain.NOTIFICATION).join() !== want(Chain.NOTIFICATION) || sim.ids(n.addr, Chain.TRACING).join() !== (thin.has(n.addr) ? '' : want(Chain.TRACING)));
  let end = net.now();
  while (differs().length && end < t0 + 400_000) await net.run((end += 5_000));
  // an upload whose receipt was lost is re-sent after its timeout: keep the network running until every publish has settled
  let open = uploads.length;
  for (const u of uploads) void u.then(() => open--, () => open--);
  for (let until = net.now() + 120_000; open > 0 && net.now() < until; ) await net.run(net.now() + 1_000);
  const results = await Promise.allSettled(uploads);
  return { left: differs().map((n) => `${n.addr}(${n.role}) ${n.ledger.count(Chain.TRACING)}/${n.ledger.count(Chain.NOTIFICATION)}`), bad, convergedAfterS: (end - t0) / 1000, uploads: results.filter((x) => x.status === 'fulfilled').length, stats: net.stats };
}

test('100 nodes with loss, duplication, reordering, churn and a healed partition converge to identical sets (20 seeds)', async () => {
  const f = await fixture(20, 3);
  const times: number[] = [];
  for (const seed of seeds(Array.from({ length: 20 }, (_, i) => i + 1))) {
    const res = await faultRun(f, seed);
    assert.deepEqual(res.left, [], `seed ${seed}: nodes that did not converge (tracing/notification counts)`);
    assert.deepEqual(res.bad, [], `seed ${seed}: honest peers penalized or internal errors`);
    assert.equal(res.uploads, f.trace.length, `seed ${seed}: every publish (and every thin node's upload) was acknowledged`);
    assert.ok(res.stats.dropped > 0 && res.stats.duplicated > 0, 'the faults really happened');
    times.push(res.convergedAfterS);
  }
  assert.ok(Math.max(...times) < 400, `converged within ${Math.max(...times)} s of virtual time`);
});

/**
 * One bad peer must not stop a node (issue 9). Each test is a deterministic run of the in-memory
 * network (a seeded clock and seeded keys: `SEED=n` reruns one seed of a loop) with one attacking
 * peer that stays under every rate limit, and asserts that the honest blocks still arrive and that
 * what the attacker makes the node hold stays within its budget. docs/SECURITY.md lists them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nodeCrypto as c } from '../../src/node/node-crypto.ts';
import { toHex } from '../../src/core/bytes.ts';
import { Chain } from '../../src/core/types.ts';
import { Prng } from '../../src/core/prng.ts';
import { SimNetwork } from '../../src/net/sim.ts';
import { blockFrames, decodeFrame, encodeFrame, sortIds, type Frame } from '../../src/net/frames.ts';
import type { NetEvent } from '../../src/net/context.ts';
import { DEFAULT_GOSSIP } from '../../src/net/gossip.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { fixture } from './net-fixture.ts';
import { ValidatorRole } from '../../src/node/roles/validator-role.ts';
import { attackBlocks, bigScene, every, hexOf, honestBlocks, honestPenalties, isEvil, orphan, scene, type Fixture } from './attack-fixture.ts';

let shared: Fixture;
test.before(async () => {
  shared = await attackBlocks();
});

/** A run of 6 full nodes, blocks published at random nodes; returns a digest of every frame delivered. */
async function replayRun(f: Fixture, seed: number) {
  const sim = new SimNetwork({ crypto: c, rootKey: f.w.root.publicKey, region: f.w.region, seed, startMs: f.startMs, link: { delay: [5, 40], loss: 0.02 } });
  let frames = 0;
  let digest: Uint8Array = new Uint8Array(32);
  sim.net.onDeliver = (from, to, frame) => {
    frames++;
    digest = c.sha256(new Uint8Array([...digest, ...new TextEncoder().encode(`${from}>${to}`), ...frame]));
  };
  for (let i = 0; i < 6; i++) await sim.addNode(`n${i}`, 'full', { preload: f.ca });
  await sim.net.run(sim.net.now() + 3_000);
  for (const [i, b] of [...f.trace, ...f.notif].entries()) {
    await sim.all()[i % 6].node.publish(b);
    await sim.net.run(sim.net.now() + 300);
  }
  await sim.net.run(sim.net.now() + 10_000);
  return { frames, digest: toHex(digest), held: sim.all().map((n) => n.ledger.count()) };
}

test('finding 13: a seeded network run replays exactly (the keys come from the seed too)', async () => {
  const a = await replayRun(await fixture(4, 1, 7), 7);
  const b = await replayRun(await fixture(4, 1, 7), 7);
  assert.equal(a.frames, b.frames, 'the same number of frames');
  assert.equal(a.digest, b.digest, 'the same frames, in the same order, between the same nodes');
  assert.deepEqual(a.held, b.held);
  const other = await replayRun(await fixture(4, 1, 8), 7);
  assert.notEqual(other.digest, a.digest, 'another key seed gives other blocks');
});

test('finding 1: a peer announcing random ids as fast as the limits allow cannot starve the others, and holds at most its want budget', async () => {
  const s = await scene(31);
  const r = new Prng(31);
  // INVs of 256 random ids, 100 frames/s (the limit is 200/s) and 820 kB/s (the limit is 1 MB/s)
  const end = s.sim.net.now() + 90_000;
  every(s.sim, 10, end, () => s.evil.send(encodeFrame({ type: 'inv', chain: Chain.TRACING, ids: sortIds(Array.from({ length: 256 }, () => r.bytes(32))) })));
  await s.sim.net.run(s.sim.net.now() + 10_000); // 256,000 ids announced: more than the node's whole want table
  const res = await honestBlocks(s, shared.trace.slice(0, 20), 60_000);
  assert.equal(res.got, 20, `the victim received ${res.got} of 20 honest blocks`);
  const g = (s.victim.node as unknown as { gossip: { wanted: number } }).gossip;
  assert.ok(g.wanted <= DEFAULT_GOSSIP.maxWantsPerPeer, `${g.wanted} ids wanted, at most the attacker's budget of ${DEFAULT_GOSSIP.maxWantsPerPeer}`);
  assert.ok(s.victim.node.stats().gossip.wantsOverBudget > 100_000, 'the attacker\'s excess announcements were ignored');
  assert.deepEqual(honestPenalties(s), []);
});

/**
 * The attacker announces the honest blocks' ids before the honest node does and answers the GET
 * with chunks of a fake 1 MB body under each real id: `repeat` resends the first chunk every 2 s,
 * `drip` sends one new chunk every 4 s (just inside the request timeout).
 */
async function withholding(seed: number, mode: 'repeat' | 'drip') {
  const s = await scene(seed);
  const blocks = shared.trace.slice(0, 20);
  const r = new Prng(seed);
  const fake = new Map<string, Uint8Array[]>();
  for (const b of blocks) fake.set(hexOf(b), blockFrames(c.sha256(b), r.bytes(1_000_000), false));
  const asked: string[] = [];
  s.evil.onFrame = (fr) => {
    const x = decodeFrame(fr);
    if (x.type === 'get') for (const id of x.ids) if (!asked.includes(toHex(id))) asked.push(toHex(id));
  };
  s.evil.send(encodeFrame({ type: 'inv', chain: Chain.TRACING, ids: sortIds(blocks.map((b) => c.sha256(b))) }));
  let k = 0;
  every(s.sim, mode === 'repeat' ? 2_000 : 4_000, s.sim.net.now() + 400_000, () => {
    if (mode === 'repeat') for (const h of asked) s.evil.send(fake.get(h)![0]);
    else if (asked.length) s.evil.send(fake.get(asked[0])![k++ % 61]);
  });
  await s.sim.net.run(s.sim.net.now() + 1_000);
  assert.equal(asked.length, 20, 'the victim asked the attacker first');
  const res = await honestBlocks(s, blocks, 60_000);
  return { s, res };
}

for (const mode of ['repeat', 'drip'] as const) {
  test(`finding 2: a peer that withholds announced blocks (${mode}) delays them at most briefly; they come from the honest holder`, async () => {
    const { s, res } = await withholding(32, mode);
    assert.equal(res.got, 20, `the victim received ${res.got} of 20 honest blocks within 60 s`);
    assert.ok(res.afterMs <= 60_000, `${res.afterMs} ms`);
    assert.deepEqual(honestPenalties(s), []);
  });
}

test('finding 4: blocks one peer makes the node hold pending stay within that peer\'s byte budget; honest blocks still arrive', async () => {
  const budget = 64 * 1024;
  const s = await scene(34, { gossip: { maxHeldBytesPerPeer: budget } });
  const t = Math.floor(s.sim.net.now() / 1000);
  const orphans = Array.from({ length: 300 }, (_, i) => orphan(shared, t, i));
  let i = 0;
  every(s.sim, 20, s.sim.net.now() + 60_000, () => {
    if (i < orphans.length) { const b = orphans[i++]; s.evil.send(blockFrames(c.sha256(b), b, true)[0]); }
  });
  await s.sim.net.run(s.sim.net.now() + 8_000);
  const held = s.victim.ledger.pendingBytes;
  assert.ok(held > budget / 2 && held <= budget, `${held} bytes held pending for the attacker, budget ${budget} (300 orphans are ${300 * orphans[0].length} bytes)`);
  assert.ok(s.victim.node.stats().gossip.heldEvicted > 0);
  const res = await honestBlocks(s, shared.trace.slice(20, 24), 60_000);
  assert.equal(res.got, 4);
  assert.deepEqual(honestPenalties(s), []);
});

test('finding 6: a partial block whose first chunk is resent still expires (a duplicate chunk does not refresh it)', async () => {
  const { Reassembler } = await import('../../src/net/frames.ts');
  const body = new Prng(6).bytes(40_000); // 3 chunks
  const frames = blockFrames(c.sha256(body), body, true).map(decodeFrame) as Extract<Frame, { type: 'block' }>[];
  const r = new Reassembler();
  assert.equal(r.push(frames[0], 0), null);
  for (let t = 10_000; t <= 30_000; t += 10_000) {
    assert.equal(r.push(frames[0], t), null); // the attacker resends it every 10 s
    r.expire(t - 30_000); // the partial timeout, as gossip's housekeeping applies it
  }
  r.expire(30_001 - 30_000);
  assert.equal(r.held, 0, 'the partial block was dropped 30 s after its last new chunk');
  // a new chunk does keep it
  const r2 = new Reassembler();
  r2.push(frames[0], 0);
  r2.push(frames[1], 20_000);
  r2.expire(40_000 - 30_000);
  assert.equal(r2.held, body.length);
});

const WHOLE = { start: { time: 0, prefix: new Uint8Array(0) } };
const TOP = { time: 0xffffffff, prefix: new Uint8Array(0) };

test('finding 7: one SYNC with an empty id list over the whole range does not make the node announce every block', async () => {
  const s = await bigScene(35);
  assert.ok(s.victim.ledger.count(Chain.TRACING) === 300);
  s.evil.send(encodeFrame({ type: 'sync', chain: Chain.TRACING, ...WHOLE, ranges: [{ upper: TOP, mode: 'idlist', ids: [] }] }));
  await s.sim.net.run(s.sim.net.now() + 1_000);
  const invIds = s.heard.filter((x) => x.type === 'inv').reduce((n, x) => n + (x as Extract<Frame, { type: 'inv' }>).ids.length, 0);
  assert.ok(invIds <= 64, `${invIds} ids announced in answer to one 12-byte SYNC (the node holds 300)`);
  const answer = s.heard.filter((x) => x.type === 'sync') as Extract<Frame, { type: 'sync' }>[];
  assert.ok(answer.some((x) => x.ranges.some((r) => r.mode === 'fingerprint')), 'the difference is offered in pieces: fingerprints of sub-ranges');
});

test('finding 7: the reconciliation work one peer may ask for is budgeted; over it SYNCs go unanswered and the peer is penalised', async () => {
  const s = await bigScene(36, { sync: { workPerSec: 3_000, workBurst: 30_000 } });
  const bogus = encodeFrame({ type: 'sync', chain: Chain.TRACING, ...WHOLE, ranges: [{ upper: TOP, mode: 'fingerprint', count: 1, fingerprint: new Uint8Array(16) }] });
  let sent = 0;
  every(s.sim, 50, s.sim.net.now() + 10_000, () => { s.evil.send(bogus); sent++; }); // 20 frames/s, far under the frame limit
  await s.sim.net.run(s.sim.net.now() + 10_500);
  const answered = s.heard.filter((x) => x.type === 'sync').length;
  assert.ok(sent >= 190, `${sent} sent`);
  assert.ok(answered <= (30_000 + 10.5 * 3_000) / 300 + 16, `${answered} of ${sent} whole-range SYNCs answered (each costs 300 ids of work)`);
  assert.ok(s.events.some((e) => e.type === 'penalty' && e.reason === 'flood' && isEvil(s, e.link)), 'the attacker was penalised');
  assert.deepEqual(honestPenalties(s), []);
});

test('finding 10: a full disk never penalises a peer; the node stops visibly and its ledger refuses further writes', async () => {
  const f = shared;
  class FullStore extends MemoryStore {
    full = false;
    override async putBlock(meta: Parameters<MemoryStore['putBlock']>[0], bytes: Uint8Array): Promise<void> {
      if (this.full) throw new Error('ENOSPC: no space left on device');
      return super.putBlock(meta, bytes);
    }
  }
  const sim = new SimNetwork({ crypto: c, rootKey: f.w.root.publicKey, region: f.w.region, seed: 37, startMs: f.startMs, link: { delay: [5, 40] } });
  const store = new FullStore();
  const events: NetEvent[] = [];
  const victim = await sim.addNode('v', 'full', { store, preload: f.ca, options: { onEvent: (e) => events.push(e) } });
  const others: NetEvent[] = [];
  for (let i = 0; i < 5; i++) await sim.addNode(`h${i}`, 'full', { preload: f.ca, options: { onEvent: (e) => others.push(e) } });
  await sim.net.run(sim.net.now() + 3_000);
  store.full = true;
  for (const [i, b] of f.trace.slice(0, 10).entries()) {
    await sim.get(`h${i % 5}`).node.publish(b);
    await sim.net.run(sim.net.now() + 500);
  }
  await sim.net.run(sim.net.now() + 10_000);
  assert.deepEqual(events.filter((e) => e.type === 'penalty' || e.type === 'banned'), [], 'no peer was blamed for the full disk');
  assert.equal(events.filter((e) => e.type === 'fault').length, 1, 'the fault was reported once');
  assert.ok(victim.node.localFault, 'the node says why it stopped');
  assert.deepEqual(victim.node.peers(), [], 'the node stopped');
  assert.ok(victim.ledger.fault);
  await assert.rejects(victim.ledger.add(f.trace[20]), (e: Error) => e.name === 'StoreFault', 'the ledger refuses further writes');
  assert.deepEqual(others.filter((e) => e.type === 'penalty' && e.points >= 25), [], 'and the honest peers do not blame it either');
});

test('finding 11: an own role\'s block accepted while gossip awaits a peer\'s block is local, and announced to that peer too', async () => {
  const f = shared;
  class RacingStore extends MemoryStore {
    hook?: () => void;
    override async putBlock(meta: Parameters<MemoryStore['putBlock']>[0], bytes: Uint8Array): Promise<void> {
      const h = this.hook;
      this.hook = undefined;
      if (h) {
        h(); // the role adds its block while this (a peer's) block is being written
        await new Promise((r) => setImmediate(r));
      }
      return super.putBlock(meta, bytes);
    }
  }
  const sim = new SimNetwork({ crypto: c, rootKey: f.w.root.publicKey, region: f.w.region, seed: 38, startMs: f.startMs, link: { delay: [5, 40] }, node: { sync: { intervalMs: 1e9, followUpMs: 0 } } });
  const store = new RacingStore();
  const v = await sim.addNode('v', 'full', { store, preload: f.ca });
  const h = await sim.addNode('h', 'full', { preload: f.ca });
  await sim.net.run(sim.net.now() + 3_000);
  const [x, role] = [f.trace[0], f.trace[1]];
  const via = new Map<string, string | null>();
  v.node.onBlock((e, _b, link) => via.set(e.hex, link));
  store.hook = () => void v.ledger.add(role); // as ValidatorRole / SolverRole do
  await h.node.publish(x);
  await sim.net.run(sim.net.now() + 3_000);
  assert.ok(v.ledger.has(hexOf(x)) && v.ledger.has(hexOf(role)));
  assert.notEqual(via.get(hexOf(x)), null, 'the peer\'s block came from the peer');
  assert.equal(via.get(hexOf(role)), null, 'the role\'s block is local, not the peer\'s');
  assert.ok(h.ledger.has(hexOf(role)), 'and it was announced to that peer (no sync runs here)');
});

test("finding 11 (roles): a validator's checkpoint made while gossip awaits a peer's block goes through the node's queue: local, announced to the peer, reported 'added'", async () => {
  const f = shared;
  let queuedBehind: boolean | undefined;
  class RacingStore extends MemoryStore {
    hook?: () => void;
    override async putBlock(meta: Parameters<MemoryStore['putBlock']>[0], bytes: Uint8Array): Promise<void> {
      const h = this.hook;
      this.hook = undefined;
      if (h) {
        h(); // the validator's duty runs while this (a peer's) block is being written
        await new Promise((r) => setImmediate(r));
        queuedBehind = !v.ledger.has(hexOf(made!)); // the role's block waits in the node's serial queue
      }
      return super.putBlock(meta, bytes);
    }
  }
  let made: Uint8Array | undefined;
  const sim = new SimNetwork({ crypto: c, rootKey: f.w.root.publicKey, region: f.w.region, seed: 39, startMs: f.startMs, link: { delay: [5, 40] }, node: { sync: { intervalMs: 1e9, followUpMs: 0 } } });
  const store = new RacingStore();
  const v = await sim.addNode('v', 'full', { store, preload: f.ca });
  const h = await sim.addNode('h', 'full', { preload: f.ca });
  await sim.net.run(sim.net.now() + 3_000);
  const role = new ValidatorRole(c, v.ledger, f.w.validators[0]);
  role.publish = (b) => ((made = b), v.node.publish(b)); // as FullNode.publishVia wires it in beeptrace node
  const via = new Map<string, string | null>();
  v.node.onBlock((e, _b, link) => via.set(e.hex, link));
  const nowSec = Math.floor(sim.net.now() / 1000);
  let duty: Promise<{ bytes: Uint8Array }> | undefined;
  store.hook = () => { duty = role.checkpoint(Chain.TRACING, nowSec - 1200, nowSec - 600, nowSec); };
  await h.node.publish(f.trace[0]);
  await sim.net.run(sim.net.now() + 3_000);
  assert.ok(duty, 'the duty ran during the write');
  assert.equal(queuedBehind, true, "the role's block was not added beside the queue (the ledger directly) while a peer's block was being added");
  const { bytes } = await duty!; // it threw "own checkpoint not added: duplicate" if the role's add raced the queue
  assert.equal(via.get(hexOf(bytes)), null, "the checkpoint is local, not the peer's");
  assert.ok(h.ledger.has(hexOf(bytes)), 'and it was announced to the peer (no sync runs here)');
});

/**
 * NetNode behaviour over the in-memory network with real blocks and Ledgers:
 *
 * - a late joiner (full and thin) catches up completely through sync;
 * - reconciling identical sets costs O(1) frames, one missing block a handful;
 * - a thin node never receives a trace batch or its id (frames counted by kind and chain), keeps a peer
 *   that carries the tracing chain, and its uploads reach every full node;
 * - malicious peers (invalid blocks, oversized or malformed frames, floods, unsolicited blocks,
 *   frames before HELLO) are disconnected and banned, honest blocks still arrive everywhere, and
 *   nothing invalid is stored anywhere; honest peers are never penalized;
 * - incompatible peers (region, version) are turned away without blame;
 * - back-pressure: a slow link with a small buffer delivers every block, none lost or retried;
 * - thousands of random and mutated frames never make a node throw.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { nodeCrypto as c } from '../../src/node/node-crypto.ts';
import { toHex } from '../../src/core/bytes.ts';
import { Prng } from '../../src/core/prng.ts';
import { Chain, type ChainId } from '../../src/core/types.ts';
import { SimNetwork } from '../../src/net/sim.ts';
import type { NetEvent } from '../../src/net/context.ts';
import type { Link } from '../../src/net/link.ts';
import { blockFrames, decodeFrame, encodeFrame, sortIds, type Frame } from '../../src/net/frames.ts';

import { D, fixture } from './net-fixture.ts';

type Fixture = Awaited<ReturnType<typeof fixture>>;

const hexOf = (b: Uint8Array) => toHex(c.sha256(b));
const hexes = (bs: Uint8Array[]) => bs.map(hexOf).sort();

function newSim(f: Fixture, seed: number, link: ConstructorParameters<typeof SimNetwork>[0]['link'] = {}) {
  return new SimNetwork({ crypto: c, rootKey: f.w.root.publicKey, region: f.w.region, seed, startMs: f.startMs, link: { delay: [5, 40], ...link } });
}

/** Open a raw link from `from` to `to` (runs the network until it is open). */
async function dial(sim: SimNetwork, from: string, to: string): Promise<Link> {
  const p = sim.net.connect(from, to);
  await sim.net.run(sim.net.now() + 200);
  return p;
}

/** A copy of a valid block with one signature byte flipped: well-formed, but fails `bad_signature`. */
function tamper(block: Uint8Array): Uint8Array {
  const x = block.slice();
  x[x.length - 1] ^= 1;
  return x;
}

let shared: Fixture;
test.before(async () => {
  shared = await fixture(120, 3);
});

test('a late full node and a late thin node catch up completely through sync', async () => {
  const f = shared;
  const sim = newSim(f, 21, { loss: 0.02 });
  for (let i = 0; i < 12; i++) await sim.addNode(`f${i}`, 'full', { preload: f.ca });
  for (let i = 0; i < 3; i++) await sim.addNode(`t${i}`, 'thin', { preload: f.ca });
  await sim.net.run(sim.net.now() + 5_000);
  const r = new Prng(2);
  for (const b of [...f.trace, ...f.notif]) {
    void sim.get(`f${r.int(12)}`).node.publish(b);
    await sim.net.run(sim.net.now() + 50);
  }
  await sim.net.run(sim.net.now() + 20_000);
  const late = await sim.addNode('late', 'full', { preload: f.ca });
  const lateThin = await sim.addNode('late-thin', 'thin', { preload: f.ca });
  const joined = sim.net.now();
  const total = f.ca.length + f.notif.length;
  const behind = () => late.ledger.count(Chain.TRACING) < f.trace.length || late.ledger.count(Chain.NOTIFICATION) < total || lateThin.ledger.count(Chain.NOTIFICATION) < total;
  while (behind() && sim.net.now() < joined + 120_000) await sim.net.run(sim.net.now() + 500);
  const tookMs = sim.net.now() - joined;
  await sim.net.run(sim.net.now() + 5_000);
  assert.deepEqual(sim.ids('late', Chain.TRACING), hexes(f.trace));
  assert.deepEqual(sim.ids('late', Chain.NOTIFICATION), hexes([...f.ca, ...f.notif]));
  assert.deepEqual(sim.ids('late-thin', Chain.NOTIFICATION), hexes([...f.ca, ...f.notif]));
  assert.equal(lateThin.ledger.count(Chain.TRACING), 0);
  const progress = late.node.syncProgress();
  assert.deepEqual(progress.map((p) => [p.chain, p.have]), [[Chain.TRACING, f.trace.length], [Chain.NOTIFICATION, f.ca.length + f.notif.length]]);
  assert.ok(progress.every((p) => p.lastSyncAt !== null && p.lastSyncAt >= joined), 'a reconciliation of each chain completed after joining');
  assert.deepEqual(lateThin.node.syncProgress().map((p) => p.chain), [Chain.NOTIFICATION], 'a thin node reports only its chain');
  assert.ok(tookMs < 30_000, `caught up in ${tookMs / 1000} s`);
});

test('reconciling identical sets costs O(1) frames; one missing block a handful', async () => {
  const f = shared;
  const sim = newSim(f, 22);
  const opts = { options: { mesh: { target: 1, rotateMs: 0 } } };
  await sim.addNode('a', 'full', { preload: [...f.ca, ...f.trace], ...opts });
  const counts: Record<string, number> = {};
  let bytes = 0;
  sim.net.onDeliver = (_from, _to, frame) => {
    const t = decodeFrame(frame).type;
    counts[t] = (counts[t] ?? 0) + 1;
    bytes += frame.length;
  };
  await sim.addNode('b', 'full', { preload: [...f.ca, ...f.trace], ...opts });
  await sim.net.run(sim.net.now() + 3_000);
  assert.equal(sim.net.connections().length, 1);
  // notification chain: 7 ids, sent as one id list (no answer needed); tracing: a fingerprint and an empty answer
  assert.deepEqual({ ...counts }, { hello: 2, sync: 3 });
  assert.ok(bytes < 400, `${bytes} bytes in all (the 7 notification ids are listed: 224 bytes)`);
  // one follow-up round 5 s after connecting (in case a frame of the first was lost) costs the same, and then no more
  await sim.net.run(sim.net.now() + 15_000);
  assert.deepEqual({ ...counts }, { hello: 2, sync: 6 });

  for (const k of Object.keys(counts)) delete counts[k];
  bytes = 0;
  const missing = f.trace[77];
  await sim.addNode('c', 'full', { preload: [...f.ca, ...f.trace.filter((b) => b !== missing)], ...opts });
  await sim.net.run(sim.net.now() + 10_000);
  assert.ok(sim.ids('c', Chain.TRACING).includes(hexOf(missing)), 'the missing block was found and fetched');
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  assert.ok(total <= 12, `${JSON.stringify(counts)}`);
  assert.equal(counts.block, 1, 'exactly one block body moved');
  assert.ok(bytes < 8_000, `${bytes} bytes, against ${32 * f.trace.length} to list every id`);
});

test('a thin node never receives a trace batch (nor its id), keeps a tracing peer, and its uploads reach every full node', async () => {
  const f = shared;
  const sim = newSim(f, 23, { loss: 0.03 });
  const tracing = new Set(f.trace.map(hexOf));
  for (let i = 0; i < 3; i++) await sim.addNode(`f${i}`, 'full', { preload: f.ca });
  for (let i = 0; i < 9; i++) await sim.addNode(`t${i}`, 'thin', { preload: f.ca });
  const toThin: Record<string, number> = {};
  const violations: string[] = [];
  sim.net.onDeliver = (from, to, frame) => {
    if (!to.startsWith('t')) return;
    const d = decodeFrame(frame);
    const key = d.type === 'inv' || d.type === 'sync' ? `${d.type}:${d.chain}` : d.type;
    toThin[key] = (toThin[key] ?? 0) + 1;
    // a thin node holds the tracing chain's case blocks only (PROTOCOL §15 item 34): no trace batch id may reach it
    const ids = d.type === 'inv' ? d.ids : d.type === 'sync' ? d.ranges.flatMap((r) => (r.mode === 'idlist' ? r.ids : [])) : [];
    if ((d.type === 'inv' || d.type === 'sync') && d.chain === Chain.TRACING && ids.some((id) => tracing.has(toHex(id)))) violations.push(`${from}→${to} ${d.type} offering a trace batch`);
    if (d.type === 'block' && tracing.has(toHex(d.id))) violations.push(`${from}→${to} a tracing block`);
  };
  await sim.net.run(sim.net.now() + 5_000);
  // full nodes gossip tracing blocks and checkpoints; each thin node uploads one trace batch of its own
  const uploads = [];
  for (let i = 0; i < 9; i++) uploads.push(sim.get(`t${i}`).node.publish(f.trace[i]));
  for (const [i, b] of f.trace.slice(9, 40).entries()) void sim.get(`f${i % 3}`).node.publish(b);
  for (const b of f.notif) {
    void sim.get('f0').node.publish(b);
    await sim.net.run(sim.net.now() + 1_000);
  }
  await sim.net.run(sim.net.now() + 60_000);
  const results = await Promise.all(uploads);
  assert.ok(results.every((r) => r.status === 'uploaded' && r.receipt !== undefined), JSON.stringify(results.map((r) => r.status)));
  assert.deepEqual(violations, []);
  assert.ok((toThin.block ?? 0) >= 9 * f.notif.length * 0.9, `thin nodes got the notification blocks (${toThin.block} BLOCK frames)`);
  assert.ok((toThin['inv:2'] ?? 0) > 0);
  for (let i = 0; i < 3; i++) assert.deepEqual(sim.ids(`f${i}`, Chain.TRACING), hexes(f.trace.slice(0, 40)), `f${i} has every upload and every gossiped batch`);
  for (let i = 0; i < 9; i++) {
    const t = sim.get(`t${i}`);
    assert.equal(t.ledger.count(Chain.TRACING), 0);
    assert.deepEqual(sim.ids(`t${i}`, Chain.NOTIFICATION), hexes([...f.ca, ...f.notif]));
    assert.ok(t.node.peers().some((p) => p.chains.includes(Chain.TRACING)), `t${i} keeps a peer that carries the tracing chain`);
    assert.equal(t.node.stats().traffic.inByType.receipt >= 1, true, `t${i} got a receipt for its upload`);
  }
});

test('malicious peers are disconnected and banned; honest blocks arrive everywhere; nothing invalid is stored', async () => {
  const f = shared;
  const sim = newSim(f, 24);
  const H = 8;
  const events: (NetEvent & { node: string })[] = [];
  for (let i = 0; i < H; i++) await sim.addNode(`h${i}`, 'full', { preload: f.ca, options: { onEvent: (e) => events.push({ ...e, node: `h${i}` }) } });
  const hello = encodeFrame({ type: 'hello', version: 1, region: f.w.region, chains: [1, 2], role: 'full' });
  const bad1 = tamper(f.trace[100]);
  const bad2 = tamper(f.trace[101]);
  const unrequested = f.trace[102];
  // the adversary answers inbound links (honest nodes may dial it: each keeps 4 outbound peers) with
  // garbage — once its scripted attacks below are under way, so that each target meets its script first
  let playing = false;
  sim.net.add('evil', { accept: (l) => (playing ? sim.net.clock.setTimeout(() => l.send(new Uint8Array([3, 1, 0, 9])), 0) : l.close('busy')) }, { chains: [1, 2] });
  await sim.net.run(sim.net.now() + 3_000);

  const scripts: [string, string, (l: Link) => void][] = [
    ['h0', 'invalid_block', (l) => {
      l.send(encodeFrame({ type: 'inv', chain: 1, ids: [c.sha256(bad1)] }));
      l.onFrame = (fr) => {
        const d = decodeFrame(fr);
        if (d.type === 'get' && d.ids.some((id) => toHex(id) === hexOf(bad1))) for (const b of blockFrames(c.sha256(bad1), bad1, false)) l.send(b);
      };
    }],
    ['h1', 'oversized', (l) => l.send(new Uint8Array(20_000))],
    ['h2', 'flood', (l) => {
      const r = new Prng(9);
      for (let i = 0; i < 3000; i++) l.send(encodeFrame({ type: 'inv', chain: 1, ids: [r.bytes(32)] }));
    }],
    ['h3', 'malformed', (l) => l.send(new Uint8Array([4, 0, 1, 7, 7]))],
    ['h4', 'invalid_block', (l) => {
      for (const b of blockFrames(c.sha256(bad2), bad2, true)) l.send(b);
    }],
    ['h5', 'unsolicited', (l) => {
      for (let i = 0; i < 5; i++) for (const b of blockFrames(c.sha256(unrequested), unrequested, false)) l.send(b);
    }],
    ['h6', 'protocol', (l) => {
      for (let i = 0; i < 80; i++) l.send(encodeFrame({ type: 'get', ids: [new Uint8Array(32).fill(i)] }));
    }],
  ];
  for (const [target, , play] of scripts) {
    const l = await dial(sim, 'evil', target);
    if (target === 'h6') play(l); // frames before HELLO
    else {
      // like a real peer: say HELLO, and misbehave once the honest node's HELLO is in
      l.send(hello);
      l.onFrame = (fr) => {
        if (fr[0] !== 1) return;
        l.onFrame = undefined;
        play(l);
      };
    }
  }
  playing = true;
  // honest traffic meanwhile
  const honest = f.trace.slice(0, 30);
  for (const [i, b] of honest.entries()) {
    void sim.get(`h${i % H}`).node.publish(b);
    await sim.net.run(sim.net.now() + 100);
  }
  await sim.net.run(sim.net.now() + 30_000);

  for (const [target, reason] of scripts) {
    const bans = events.filter((e) => e.node === target && e.type === 'banned');
    assert.equal(bans.length >= 1, true, `${target} banned the adversary: ${JSON.stringify(events.filter((e) => e.node === target && e.type !== "peer_ready"))}`);
    assert.ok(bans.every((e) => e.type === 'banned' && e.addr === 'evil'), `${target} banned the adversary's address, nobody else`);
    const last = events.filter((e) => e.node === target && e.type === 'penalty').at(-1);
    assert.equal(last?.type === 'penalty' && last.reason, reason, `${target}: ${JSON.stringify(last)}`);
  }
  assert.deepEqual(sim.net.neighbours('evil'), [], 'every link of the adversary is closed');
  const blamed = events.filter((e) => e.type === 'penalty' && sim.net.linkInfo(e.link)?.remote !== 'evil');
  assert.deepEqual(blamed, [], 'no honest peer is penalized');
  assert.deepEqual(events.filter((e) => e.type === 'error'), []);
  for (let i = 0; i < H; i++) {
    assert.deepEqual(sim.ids(`h${i}`, Chain.TRACING), hexes(honest), `h${i} has exactly the honest blocks`);
    const n = sim.get(`h${i}`);
    for (const b of [bad1, bad2]) assert.equal(n.ledger.has(c.sha256(b)), false, 'no invalid block is stored');
  }
  // banned: a new link from the adversary is refused at once, and no honest node dials it again
  const bannedAt = sim.net.now();
  let closed = '';
  void sim.net.connect('evil', 'h0').then((l) => (l.onClose = (r) => (closed = r)));
  await sim.net.run(sim.net.now() + 1_000);
  assert.equal(closed, 'banned');
  await sim.net.run(sim.net.now() + 120_000);
  const redials = sim.net.connectLog.filter((x) => x.at > bannedAt && x.to === 'evil' && scripts.some(([t]) => t === x.from));
  assert.deepEqual(redials, [], 'no node that banned the adversary dials it again during the ban');
});

test('incompatible peers (another region, another protocol version) are turned away without blame', async () => {
  const f = shared;
  const sim = newSim(f, 25);
  const events: NetEvent[] = [];
  await sim.addNode('h', 'full', { preload: f.ca, options: { onEvent: (e) => events.push(e) } });
  const byes: Frame[] = [];
  const hellos = [encodeFrame({ type: 'hello', version: 1, region: f.w.region + 1, chains: [2], role: 'thin' }), new Uint8Array([1, 2, 0, 1, 3, 1])];
  for (const [i, hello] of hellos.entries()) {
    sim.net.add(`x${i}`, { accept: () => undefined });
    const l = await dial(sim, `x${i}`, 'h');
    l.onFrame = (fr) => byes.push(decodeFrame(fr));
    let closed = false;
    l.onClose = () => (closed = true);
    l.send(hello);
    await sim.net.run(sim.net.now() + 500);
    assert.equal(closed, true);
  }
  assert.deepEqual(byes.filter((b) => b.type === 'bye').map((b) => b.type === 'bye' && b.reason), [4, 4], 'BYE incompatible, twice');
  assert.ok(byes.filter((b) => b.type === 'bye').some((b) => b.type === 'bye' && /region/.test(b.text)));
  assert.deepEqual(events.filter((e) => e.type === 'penalty'), []);
});

test('back-pressure: a slow link with a small buffer delivers every block, none lost or retried', async () => {
  const f = shared;
  const sim = newSim(f, 26);
  const opts = { options: { mesh: { target: 1, rotateMs: 0 } } };
  const a = await sim.addNode('a', 'full', { preload: [...f.ca, ...f.trace.slice(0, 60)], ...opts });
  sim.net.configure('a', 'b', { bandwidth: 20, bufferBytes: 4096, delay: [5, 5] });
  const b = await sim.addNode('b', 'full', { preload: f.ca, ...opts });
  await sim.net.run(sim.net.now() + 2_000);
  // while b syncs the 60 old blocks over the slow link, a publishes 40 new ones
  for (const blk of f.trace.slice(60, 100)) await a.node.publish(blk);
  let waited = 0;
  while (b.ledger.count(Chain.TRACING) < 100 && waited < 120_000) {
    await sim.net.run(sim.net.now() + 1_000);
    waited += 1_000;
  }
  assert.deepEqual(sim.ids('b', Chain.TRACING), hexes(f.trace.slice(0, 100)));
  const sa = a.node.stats();
  const sb = b.node.stats();
  assert.ok(sa.traffic.refused > 10, `the link refused frames ${sa.traffic.refused} times (back-pressure happened)`);
  assert.equal(sb.gossip.timeouts, 0, 'no request timed out');
  assert.equal(sb.gossip.retries, 0, 'no block was asked twice');
  assert.equal(sb.gossip.bodies, 100, 'each block crossed the link once');
  assert.ok(waited >= 3_000, `100 blocks of ~1 KB at 20 bytes/ms take seconds (${waited} ms)`);
});

test('random and mutated frames from a peer never make a node throw; it keeps serving honest peers', async () => {
  const f = shared;
  const sim = newSim(f, 27);
  const events: NetEvent[] = [];
  const h = await sim.addNode('h', 'full', { preload: f.ca, options: { onEvent: (e) => events.push(e), limits: { frameBurst: 1e9, framesPerSec: 1e9 } } });
  await sim.addNode('friend', 'full', { preload: f.ca });
  sim.net.add('fuzz', { accept: () => undefined });
  await sim.net.run(sim.net.now() + 3_000);
  const hello = encodeFrame({ type: 'hello', version: 1, region: f.w.region, chains: [1, 2], role: 'full' });
  const valid = fc.oneof(
    fc.uniqueArray(fc.uint8Array({ minLength: 32, maxLength: 32 }), { minLength: 1, maxLength: 4, selector: toHex }).map((ids) => encodeFrame({ type: 'get', ids: sortIds(ids) })),
    fc.uniqueArray(fc.uint8Array({ minLength: 32, maxLength: 32 }), { minLength: 1, maxLength: 4, selector: toHex }).map((ids) => encodeFrame({ type: 'inv', chain: 1, ids: sortIds(ids) })),
    fc.constantFrom(...f.trace.slice(110, 115).map((b) => blockFrames(c.sha256(b), b, true)[0])),
    fc.constant(encodeFrame({ type: 'sync', chain: 1, start: { time: 0, prefix: new Uint8Array(0) }, ranges: [{ upper: { time: 0xffffffff, prefix: new Uint8Array(0) }, mode: 'fingerprint', count: 5, fingerprint: new Uint8Array(16) }] })),
    fc.constant(encodeFrame({ type: 'receipt', id: new Uint8Array(32), status: 0 })),
    fc.constant(encodeFrame({ type: 'notfound', ids: [new Uint8Array(32)] })),
  );
  const mutated = fc.tuple(valid, fc.nat(), fc.integer({ min: 0, max: 255 })).map(([b, i, v]) => {
    const x = b.slice();
    x[i % x.length] = v;
    return x;
  });
  const frames = fc.sample(fc.oneof(valid, mutated, fc.uint8Array({ maxLength: 64 })), { numRuns: 3000, seed: 42 });
  let link: Link | null = null;
  let closed = true;
  for (const fr of frames) {
    if (closed) {
      // the node bans the fuzzer's address after enough penalties: lift it by coming from fresh addresses
      const addr = `fuzz${sim.net.now()}`;
      sim.net.add(addr, { accept: () => undefined });
      link = await dial(sim, addr, 'h');
      closed = false;
      link.onClose = () => {
        closed = true;
        sim.net.remove(addr);
      };
      link.send(hello);
    }
    link!.send(fr);
    await sim.net.run(sim.net.now() + 5);
  }
  await sim.net.run(sim.net.now() + 10_000);
  assert.deepEqual(events.filter((e) => e.type === 'error' || (e.type === 'penalty' && e.reason === 'handler_error')), [], 'no handler threw');
  assert.ok(events.filter((e) => e.type === 'penalty').length > 100, 'the garbage was noticed');
  // still working: an honest block published at the friend arrives
  const blk = f.trace[119];
  await sim.get('friend').node.publish(blk);
  await sim.net.run(sim.net.now() + 30_000);
  assert.equal(h.ledger.has(c.sha256(blk)), true);
});

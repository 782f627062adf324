/**
 * Issue 17: no host can cut a node off from the truth. Each test is a deterministic run of the
 * in-memory network (seeded clock and keys; `SEED=n` reruns one seed of a loop) with an attacker
 * that stays within what the limits allow, and asserts the budget or rule that bounds it.
 * docs/SECURITY.md lists them ("issue 17, finding N").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nodeCrypto as c } from '../../src/node/node-crypto.ts';
import { toHex } from '../../src/core/bytes.ts';
import { Chain } from '../../src/core/types.ts';
import { Prng } from '../../src/core/prng.ts';
import { blockFrames, encodeFrame, sortIds, decodeFrame, type Frame } from '../../src/net/frames.ts';
import { SimNetwork } from '../../src/net/sim.ts';
import type { NetEvent } from '../../src/net/context.ts';
import type { Link } from '../../src/net/link.ts';
import { DEFAULT_MESH } from '../../src/net/mesh.ts';
import { decodeBlock, powBitsOf } from '../../src/core/codec/block.ts';
import { traceBatchBlock, withdrawalBlock } from '../../src/core/blocks.ts';
import { epochOf } from '../../src/core/policy.ts';
import { Precision, Source } from '../../src/core/types.ts';
import { UserKeys } from '../../src/core/keys.ts';
import { attackBlocks, every, honestBlocks, honestPenalties, isEvil, scene, type Fixture } from './attack-fixture.ts';
import { D, seeds } from './net-fixture.ts';

let shared: Fixture;
test.before(async () => {
  shared = await attackBlocks();
});

test('issue 17 finding 4: chunks of requested blocks dropped for the partial budget pay the rate limit and are no progress', async () => {
  for (const seed of seeds([41, 42])) {
    const s = await scene(seed);
    const r = new Prng(seed);
    const ids = Array.from({ length: 100 }, () => r.bytes(32));
    const asked = new Set<string>();
    s.evil.onFrame = (fr) => {
      const x = decodeFrame(fr) as Frame;
      if (x.type === 'get') for (const id of x.ids) asked.add(toHex(id));
    };
    s.evil.send(encodeFrame({ type: 'inv', chain: Chain.TRACING, ids: sortIds(ids) }));
    await s.sim.net.run(s.sim.net.now() + 500);
    assert.ok(asked.size >= 50, `the victim asked the attacker for ${asked.size} ids`);
    const wanted = ids.filter((id) => asked.has(toHex(id)));
    // two first chunks of 1,048,000-byte "blocks" fill the 2 MiB partial budget…
    for (const id of wanted.slice(0, 2)) s.evil.send(blockFrames(id, r.bytes(1_048_000), false)[0]);
    // …then first chunks of 40 kB "blocks" under the other asked ids, 1,000 frames a second for 20 s
    await s.sim.net.run(s.sim.net.now() + 100); // the partial budget is full now
    const flood = wanted.slice(2).map((id) => blockFrames(id, r.bytes(40_000), false)[0]);
    let sent = 0;
    every(s.sim, 10, s.sim.net.now() + 20_000, () => {
      for (let k = 0; k < 10; k++) s.evil.send(flood[sent++ % flood.length]);
    });
    const t0 = s.sim.net.now();
    let closedAt = Infinity;
    while (s.sim.net.now() < t0 + 20_000) {
      await s.sim.net.run(s.sim.net.now() + 500);
      if (closedAt === Infinity && !s.victim.node.peers().some((p) => isEvil(s, p.link))) closedAt = s.sim.net.now() - t0;
    }
    const floods = s.events.filter((e) => e.type === 'penalty' && e.reason === 'flood' && isEvil(s, e.link)).length;
    assert.ok(floods > 0, `${sent} chunk frames sent, ${floods} FLOOD penalties`);
    assert.ok(closedAt < 10_000, `the flooding peer was disconnected after ${closedAt} ms`);
    assert.ok(s.events.some((e) => e.type === 'banned' && isEvil(s, e.link)), 'and banned');
    const res = await honestBlocks(s, shared.trace.slice(0, 4), 60_000);
    assert.equal(res.got, 4, 'honest blocks still arrive');
    assert.deepEqual(honestPenalties(s), []);
  }
});

test('issue 17 finding 3: a case block naming a real parent with a forged time is stored by thin and full nodes alike, and nobody is banned', async () => {
  for (const seed of seeds([43, 44])) {
    const f = shared;
    const sim = new SimNetwork({ crypto: c, rootKey: f.w.root.publicKey, region: f.w.region, seed, startMs: f.startMs, link: { delay: [5, 40] }, node: { mesh: { rotateMs: 0 } } });
    const events: NetEvent[] = [];
    const full = await sim.addNode('f', 'full', { preload: f.ca, options: { onEvent: (e) => events.push(e) } });
    const thin = await sim.addNode('t', 'thin', { preload: f.ca, options: { onEvent: (e) => events.push(e) } });
    await sim.net.run(sim.net.now() + 3_000);
    const parent = f.trace[0];
    await full.node.publish(parent);
    const pb = decodeBlock(parent);
    const timeSec = Math.floor(sim.net.now() / 1000);
    // a withdrawal of a fresh key (8 bits of work) whose parent is the real trace batch, its time off by 1 s
    const forged = withdrawalBlock(c, new UserKeys(c, new Prng(seed).bytes(32)), {
      region: f.w.region, timeSec, parents: [{ id: c.sha256(parent), time: pb.time + 1 }], day: D, powBits: f.w.policy.pow.withdrawalBits,
    });
    // an attacker hands it to the thin node (as a full node announcing a case block)
    sim.net.add('evil', { accept: (l) => l.close('no') });
    const p = sim.net.connect('evil', 't');
    await sim.net.run(sim.net.now() + 200);
    const evil = await p;
    evil.onFrame = (fr) => {
      const x = decodeFrame(fr) as Frame;
      if (x.type === 'get') for (const fr2 of blockFrames(c.sha256(forged), forged, false)) evil.send(fr2);
    };
    evil.send(encodeFrame({ type: 'hello', version: 1, region: f.w.region, chains: [1, 2], role: 'full' }));
    await sim.net.run(sim.net.now() + 300);
    evil.send(encodeFrame({ type: 'inv', chain: Chain.TRACING, ids: [c.sha256(forged)] }));
    await sim.net.run(sim.net.now() + 10_000);
    const h = toHex(c.sha256(forged));
    assert.ok(thin.ledger.has(h), 'the thin node stored it');
    assert.ok(full.ledger.has(h), 'the full node stored it too: the same rule on both');
    assert.equal(thin.ledger.counts(h), full.ledger.counts(h), 'and both judge its standing alike');
    assert.deepEqual(events.filter((e) => e.type === 'penalty' || e.type === 'banned'), [], 'no honest node was penalised');
    // a case block whose parent exists nowhere is stored at once on a full node, as on a thin one
    const orphanCase = withdrawalBlock(c, new UserKeys(c, new Prng(seed + 1).bytes(32)), {
      region: f.w.region, timeSec, parents: [{ id: new Prng(seed + 2).bytes(32), time: timeSec - 5 }], day: D, powBits: f.w.policy.pow.withdrawalBits,
    });
    assert.equal((await full.ledger.add(orphanCase)).status, 'added');
    assert.equal((await thin.ledger.add(orphanCase)).status, 'added');
  }
});

/**
 * A host with many ids (sybils, all from one source) keeps dialling a victim and answers every
 * link with HELLO and nothing else (it relays no block): `H` honest full nodes, the victim among
 * them. Returns the victim's peer counts at each 30 s sample and what it received.
 */
async function sybilSiege(seed: number, sybils: number, minutes: number) {
  const f = shared;
  const sim = new SimNetwork({ crypto: c, rootKey: f.w.root.publicKey, region: f.w.region, seed, startMs: f.startMs, link: { delay: [10, 60] } });
  const H = 12;
  for (let i = 0; i < H; i++) await sim.addNode(`h${i}`, 'full', { preload: f.ca });
  await sim.net.run(sim.net.now() + 20_000);
  const hello = encodeFrame({ type: 'hello', version: 1, region: f.w.region, chains: [1, 2], role: 'full' });
  const silent = (l: Link) => {
    l.send(hello);
    l.onFrame = () => {};
  };
  const isSybil = (addr: string | undefined) => addr?.startsWith('sybil') ?? false;
  const r = new Prng(seed);
  for (let k = 0; k < sybils; k++) {
    const addr = `sybil${k}`;
    sim.net.add(addr, { accept: silent }, { source: 'evil-net', chains: [1, 2] });
    // each id dials the victim, and dials again 1–3 s after its link closes (evicted or rotated)
    const dialVictim = () => {
      sim.net.connect(addr, 'h0').then((l) => {
        silent(l);
        l.onClose = () => sim.net.clock.setTimeout(dialVictim, 1_000 + r.int(2_000));
      }, () => sim.net.clock.setTimeout(dialVictim, 1_000 + r.int(2_000)));
    };
    sim.net.clock.setTimeout(dialVictim, r.int(5_000));
  }
  const victim = sim.get('h0');
  const samples: { honest: number; sybil: number }[] = [];
  const blocks = f.trace.slice(0, 10);
  const t0 = sim.net.now();
  let published = 0;
  while (sim.net.now() < t0 + minutes * 60_000) {
    await sim.net.run(sim.net.now() + 30_000);
    const ends = victim.node.peers().map((p) => sim.net.linkInfo(p.link)?.remote);
    samples.push({ honest: ends.filter((a) => a !== undefined && !isSybil(a)).length, sybil: ends.filter(isSybil).length });
    if (published < blocks.length) await sim.get(`h${1 + (published % (H - 1))}`).node.publish(blocks[published++]);
  }
  await sim.net.run(sim.net.now() + 30_000);
  const got = blocks.slice(0, published).filter((b) => victim.ledger.has(c.sha256(b))).length;
  return { samples, got, published, victim, sim };
}

test('issue 17 finding 1: one host dialling a node from 40 ids cannot surround it; the node keeps ≥ 4 honest peers and gets every block', async () => {
  for (const seed of seeds([45, 46])) {
    const { samples, got, published, victim } = await sybilSiege(seed, 40, 30);
    const worst = Math.min(...samples.map((x) => x.honest));
    assert.ok(worst >= 4, `honest peers of the victim at each 30 s sample: ${samples.map((x) => `${x.honest}/${x.sybil}`).join(' ')}`);
    assert.ok(samples.every((x) => x.sybil <= DEFAULT_MESH.maxPeers - DEFAULT_MESH.outbound), 'the sybils hold at most the inbound share');
    assert.ok(samples.at(-1)!.sybil >= 1, 'the sybils did get in (the test exercises eviction)');
    assert.equal(got, published, `${got} of ${published} honest blocks reached the victim`);
    assert.ok(victim.node.stats().mesh.evictions > 10, `${victim.node.stats().mesh.evictions} inbound links evicted`);
  }
});

test('issue 17: certified full nodes prove their key; a node keeps two of them, drops a directory entry that proves none, and refuses a relayed proof', async () => {
  for (const seed of seeds([47, 48])) {
    const f = shared;
    const sim = new SimNetwork({ crypto: c, rootKey: f.w.root.publicKey, region: f.w.region, seed, startMs: f.startMs, link: { delay: [10, 60] } });
    const events: NetEvent[] = [];
    for (let i = 0; i < 6; i++) await sim.addNode(`h${i}`, 'full', { preload: f.ca });
    // ids in the certified directory that hold no certified key (anyone can join the room)
    const hello = encodeFrame({ type: 'hello', version: 1, region: f.w.region, chains: [1, 2], role: 'full' });
    for (const fake of ['fake0', 'fake1']) sim.net.add(fake, { accept: (l) => l.send(hello) }, { chains: [1, 2], certified: true });
    const thin = await sim.addNode('t', 'thin', { preload: f.ca, options: { onEvent: (e) => events.push(e) } });
    await sim.net.run(sim.net.now() + 30_000);
    const remote = (link: string) => sim.net.linkInfo(link)?.remote;
    const dropped = new Set(events.flatMap((e) => (e.type === 'dial_failed' && /no certified key proved/.test(e.error) ? [e.addr] : [])));
    assert.deepEqual([...dropped].sort(), ['fake0', 'fake1'], 'both entries dialled for a certified key and proving none were dropped');
    assert.ok(!thin.node.peers().some((p) => p.certified));
    // then two real ones join the directory: a validator and a solver
    await sim.addNode('v0', 'full', { preload: f.ca, certified: true, options: { auth: f.w.validators[0] } });
    await sim.addNode('s0', 'full', { preload: f.ca, certified: true, options: { auth: f.w.solver } });
    await sim.net.run(sim.net.now() + 120_000);
    const certified = thin.node.peers().filter((p) => p.certified).map((p) => remote(p.link)).sort();
    assert.deepEqual(certified, ['s0', 'v0'], 'the thin node keeps the two certified nodes, proven');
    // a new node that holds no certificate yet: the proofs come before the certificates, and count once they are synced
    const fresh = await sim.addNode('t2', 'thin', {});
    await sim.net.run(sim.net.now() + 60_000);
    assert.ok(fresh.ledger.count(Chain.NOTIFICATION) >= f.ca.length, 'it synced the CA statements');
    assert.equal(fresh.node.peers().filter((p) => p.certified).length, 2, 'and then counted the proofs it had received before');
    // a siege of 40 sybil ids does not cost it its certified peers (they are never evicted or rotated)
    for (let k = 0; k < 40; k++) {
      const addr = `sybil${k}`;
      sim.net.add(addr, { accept: (l) => l.send(hello) }, { source: 'evil-net', chains: [1, 2] });
      const dial = () => sim.net.connect(addr, 't').then((l) => {
        l.send(hello);
        l.onClose = () => sim.net.clock.setTimeout(dial, 1_000);
      }, () => sim.net.clock.setTimeout(dial, 1_000));
      sim.net.clock.setTimeout(dial, k * 50);
    }
    await sim.net.run(sim.net.now() + 600_000);
    assert.deepEqual(thin.node.peers().filter((p) => p.certified).map((p) => remote(p.link)).sort(), ['s0', 'v0'], 'still both after 10 min of siege');
    // a man in the middle: it relays v0's AUTH from its link with v0 to its link with the thin node
    sim.net.add('mitm', { accept: (l) => l.close('no') });
    const toV0 = sim.net.connect('mitm', 'v0');
    const toThin = sim.net.connect('mitm', 't');
    await sim.net.run(sim.net.now() + 300);
    const [a, b] = await Promise.all([toV0, toThin]);
    b.send(hello);
    a.onFrame = (fr) => {
      if (fr[0] === 11) b.send(fr); // v0's AUTH, signed for the link v0–mitm
    };
    a.send(hello);
    await sim.net.run(sim.net.now() + 2_000);
    const lie = events.find((e): e is Extract<NetEvent, { type: 'penalty' }> => e.type === 'penalty' && e.reason === 'bad_auth');
    assert.ok(lie && remote(lie.link) === 'mitm', 'the relayed proof is a lie: the thin node penalises the relay');
    assert.ok(!thin.node.peers().some((p) => remote(p.link) === 'mitm' && p.certified));
  }
});

test('issue 17: verifyAuth — a proof verifies only for its own link, a certified key, in force', async () => {
  const { authFrame, verifyAuth } = await import('../../src/net/auth.ts');
  const f = shared;
  const ends = { local: new Uint8Array([1, 2, 3]), remote: new Uint8Array([4, 5, 6]) };
  const mine = authFrame(c, f.w.validators[1], f.w.region, ends);
  const theirView = { local: ends.remote, remote: ends.local };
  const now = Math.floor(f.startMs / 1000);
  assert.equal(verifyAuth(c, f.w.ledger.authority, mine, f.w.region, theirView, now), 'proven');
  assert.deepEqual(verifyAuth(c, f.w.ledger.authority, mine, f.w.region, { local: theirView.local, remote: new Uint8Array([9]) }, now), { why: 'the AUTH signature does not verify for this connection', lie: true });
  assert.equal((verifyAuth(c, f.w.ledger.authority, mine, f.w.region + 1, theirView, now) as { lie: boolean }).lie, true, 'the region is signed too');
  const secretKey = new Prng(3).bytes(32);
  const stranger = { secretKey, publicKey: c.ed25519PublicKey(secretKey) };
  const v = verifyAuth(c, f.w.ledger.authority, authFrame(c, stranger, f.w.region, ends), f.w.region, theirView, now);
  assert.ok(typeof v === 'object' && !v.lie && /not a certified full node/.test(v.why), 'an uncertified key proves nothing and is no lie (the state may be behind)');
  const diag = verifyAuth(c, f.w.ledger.authority, authFrame(c, f.w.diagnostician, f.w.region, ends), f.w.region, theirView, now);
  assert.ok(typeof diag === 'object' && !diag.lie, 'a diagnostician is not a full node');
  assert.deepEqual(verifyAuth(c, f.w.ledger.authority, mine, f.w.region, undefined, now), { why: 'this link has no channel binding: an AUTH on it proves nothing', lie: false });
});

test('issue 17 finding 7: parked blocks are bounded per source, across its links; a source that leaves before the last try still pays', async () => {
  for (const seed of seeds([49, 50])) {
    const f = shared;
    const budget = 64 * 1024;
    const sim = new SimNetwork({ crypto: c, rootKey: f.w.root.publicKey, region: f.w.region, seed, startMs: f.startMs, link: { delay: [5, 40] }, node: { mesh: { rotateMs: 0 } } });
    const victim = await sim.addNode('v', 'full', { preload: f.ca, options: { gossip: { maxDeferredBytesPerSource: budget, maxDeferredBytes: 4 * budget } } });
    await sim.net.run(sim.net.now() + 2_000);
    // trace batches of fresh keys below every policy's proof-of-work: refused as `pow`, which a
    // node parks (a stricter policy may be on its way) — 8 bits cost nothing to skip
    const epoch = epochOf(f.w.ledger.authority.policy, D);
    const epochPub = f.w.ledger.authority.epochKey(epoch)!;
    const r = new Prng(seed);
    const cheap = (i: number) => {
      for (;;) {
        const b = traceBatchBlock(c, new UserKeys(c, r.bytes(32)), {
          region: f.w.region, timeSec: Math.floor(sim.net.now() / 1000), parents: [], day: D, part: 0, epoch, epochPub, powBits: 0,
          stays: [{ start: D * 1440 + 600 + (i % 800), minutes: 10, latE7: 558_000_000 + i, lonE7: -42_000_000, radius: 8, source: Source.GNSS, precision: Precision.M10 }],
        });
        if (powBitsOf(c, decodeBlock(b)) < 8) return b;
      }
    };
    const hello = encodeFrame({ type: 'hello', version: 1, region: f.w.region, chains: [1, 2], role: 'full' });
    const parkedOf = (src: string) => victim.node.sources.get(src, sim.net.now()).parked;
    let worst = 0;
    // one source, three links one after another (fresh ids), 150 blocks each
    for (let k = 0; k < 3; k++) {
      const addr = `evil${k}`;
      sim.net.add(addr, { accept: (l) => l.close('no') }, { source: 'evil-net' });
      const p = sim.net.connect(addr, 'v');
      await sim.net.run(sim.net.now() + 200);
      const l = await p;
      l.send(hello);
      for (let i = 0; i < 150; i++) {
        const b = cheap(k * 150 + i);
        l.send(blockFrames(c.sha256(b), b, true)[0]);
        if (i % 10 === 9) {
          await sim.net.run(sim.net.now() + 500);
          worst = Math.max(worst, parkedOf('evil-net'));
        }
      }
      l.close('leaving');
      await sim.net.run(sim.net.now() + 1_000);
    }
    assert.ok(worst > budget / 2 && worst <= budget, `the source's parked bytes peaked at ${worst}, its share ${budget} (it sent ${450 * cheap(0).length})`);
    assert.ok(victim.node.stats().gossip.parkedEvicted > 100);
    // another source still finds room
    sim.net.add('other', { accept: (l) => l.close('no') }, { source: 'other-net' });
    const p2 = sim.net.connect('other', 'v');
    await sim.net.run(sim.net.now() + 200);
    const l2 = await p2;
    l2.send(hello);
    for (let i = 0; i < 20; i++) {
      const b = cheap(1000 + i);
      l2.send(blockFrames(c.sha256(b), b, true)[0]);
    }
    await sim.net.run(sim.net.now() + 2_000);
    assert.ok(parkedOf('other-net') > 0, 'the other source parked its blocks');
    // the last tries come after the evil links are gone: the source pays, and its next link starts where it stands
    await sim.net.run(sim.net.now() + 70_000);
    const score = victim.node.sources.score('evil-net', sim.net.now());
    assert.ok(score < -50, `the source's score after its blocks' last tries: ${score}`);
    sim.net.add('evil9', { accept: (l) => l.close('no') }, { source: 'evil-net' });
    const p3 = sim.net.connect('evil9', 'v');
    await sim.net.run(sim.net.now() + 200);
    const l3 = await p3;
    l3.send(hello);
    await sim.net.run(sim.net.now() + 500);
    const fresh = victim.node.peers().find((x) => sim.net.linkInfo(x.link)?.remote === 'evil9');
    assert.ok(fresh && fresh.score <= -49, `a new id of the source starts at ${fresh?.score}, not at 0`);
  }
});

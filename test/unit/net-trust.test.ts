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
import { attackBlocks, every, honestBlocks, honestPenalties, isEvil, scene, type Fixture } from './attack-fixture.ts';
import { seeds } from './net-fixture.ts';

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

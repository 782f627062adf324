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
import { SimNetwork } from '../../src/net/sim.ts';
import { fixture } from './net-fixture.ts';

type Fixture = Awaited<ReturnType<typeof fixture>>;
const hexOf = (b: Uint8Array) => toHex(c.sha256(b));

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

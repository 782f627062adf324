/**
 * Issue 9 finding 5 (and the order-dependent parts of finding 9): acceptance is a pure function of
 * the chain (docs/PROTOCOL.md §9.1). A revoked diagnostician's statement counts only if it is
 * before revokedAt and sealed by a final checkpoint of an interval that ends by then; a policy
 * counts at the block's time. Two nodes given the same blocks in any order hold the same ledger.
 * Deterministic: seeded keys and shuffles; `SEED=n` reruns one seed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededCrypto } from './seeded-crypto.ts';
import { history, replay, rng, shuffled, summarise } from './order-fixture.ts';

const SEEDS = process.env.SEED ? [Number(process.env.SEED)] : [1, 2, 3, 4, 5, 6];
const ORDERS = 6;

test('finding 5: a revoked diagnostician counts only before revokedAt and sealed by a checkpoint ending by then; backdating after the fact does not count', async () => {
  const h = await history(seededCrypto('standing-1'), 1);
  const l = h.w.ledger;
  for (const [n, counts] of Object.entries(h.expect)) {
    assert.equal(l.counts(h.named[n]), counts, `${n}: ${l.whyVoid(h.named[n])}`);
  }
  assert.match(l.whyVoid(h.named.d3)!, /no final checkpoint/, 'd3 is before revokedAt but was backdated after the checkpoint of its interval');
  assert.match(l.whyVoid(h.named.d4)!, /revoked from/);
  assert.match(l.whyVoid(h.named.tb1)!, /proof-of-work/);
});

test('finding 5: two nodes given the same blocks in different random orders end with identical ledgers (stored, counting, checkpoint roots)', async () => {
  for (const seed of SEEDS) {
    const c = seededCrypto(`standing-${seed}`);
    const h = await history(c, seed);
    const reference = summarise(c, h.w.ledger);
    const r = rng(seed * 7919);
    for (let k = 0; k < ORDERS; k++) {
      const order = k === 0 ? [...h.blocks.keys()].reverse() : shuffled(h.blocks.length, r);
      const got = await replay(c, h, h.blocks, order);
      assert.deepEqual(got.rejected, [], `seed ${seed} order ${k}: nothing refused`);
      assert.equal(got.summary.pending, 0, `seed ${seed} order ${k}: nothing left pending`);
      assert.deepEqual(got.summary, reference, `seed ${seed} order ${k} (rerun: SEED=${seed})`);
      for (const [n, counts] of Object.entries(h.expect)) assert.equal(got.ledger.counts(h.named[n]), counts, `seed ${seed} order ${k}: ${n}`);
    }
  }
});

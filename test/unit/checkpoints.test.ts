/** Checkpoints: k-of-n finality, inclusion proofs for a thin node's uploads, audits by full nodes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { World } from '../../src/node/sim/world.ts';
import { nodeCrypto as c } from '../../src/node/node-crypto.ts';
import { UserKeys } from '../../src/core/keys.ts';
import { Ledger } from '../../src/core/ledger/ledger.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { auditCheckpoint, checkpointRecords, finalCheckpoints, inclusionProofFor, verifyIncluded } from '../../src/core/ledger/checkpoints.ts';
import { Chain, Precision, Source } from '../../src/core/types.ts';
import { CheckpointTracker } from '../../src/app/engine/checkpoints.ts';
import { revocationBlock } from '../../src/core/blocks.ts';

const D = Math.floor(Date.UTC(2026, 2, 2) / 86_400_000);

async function uploads(n: number) {
  const w = await World.create({ crypto: c, startMs: (D + 1) * 86_400_000 + 3_600_000 });
  const ids: Uint8Array[] = [];
  const from = w.timeSec();
  for (let i = 0; i < n; i++) {
    const keys = new UserKeys(c, c.randomBytes(32));
    w.advanceTo(w.nowMs + 1000);
    await w.upload(keys, D, [{ start: D * 1440 + 600 + i, minutes: 10, latE7: 558_000_000 + i * 1000, lonE7: -42_000_000, radius: 8, source: Source.GNSS, precision: Precision.M10 }]);
    ids.push(w.ledger.entries(Chain.TRACING).at(-1)!.id);
  }
  w.advanceTo(w.nowMs + 60_000);
  return { w, ids, from, to: w.timeSec() };
}

test('a checkpoint is final only with the quorum of distinct validators', async () => {
  const { w, from, to } = await uploads(5);
  await w.checkpoint(Chain.TRACING, from, to, 1);
  assert.equal(finalCheckpoints(await checkpointRecords(w.ledger), w.policy.checkpointQuorum).length, 0, 'one signature of 2 needed');
  await w.checkpoint(Chain.TRACING, from, to, 3);
  const finals = finalCheckpoints(await checkpointRecords(w.ledger), w.policy.checkpointQuorum);
  assert.equal(finals.length, 1);
  assert.equal(finals[0].size, 5);
  assert.equal(finals[0].signers.length, 3, 'the same validator signing twice counts once');
});

test("a thin node verifies that its upload was included, and nothing else verifies", async () => {
  const { w, ids, from, to } = await uploads(7);
  const cp = await w.checkpoint(Chain.TRACING, from, to);
  // the thin node carries only the notification chain, where checkpoints live
  const thin = new Ledger({ crypto: c, store: new MemoryStore(), rootKey: w.root.publicKey, region: w.region, now: () => w.nowMs, carries: [Chain.NOTIFICATION] });
  for (const e of w.ledger.entries(Chain.NOTIFICATION)) await thin.add((await w.ledger.get(e.id))!);
  const [final] = finalCheckpoints(await checkpointRecords(thin), w.policy.checkpointQuorum);
  assert.deepEqual(final.root, cp.root);
  for (const id of ids) {
    const p = await inclusionProofFor(c, w.ledger, id, final);
    assert.ok(p, 'the full node can prove every upload of the interval');
    assert.equal(verifyIncluded(c, id, final, p), true);
    assert.equal(verifyIncluded(c, c.randomBytes(32), final, p), false, 'a proof does not transfer to another id');
    assert.equal(verifyIncluded(c, id, final, { ...p, index: (p.index + 1) % ids.length }), false);
  }
  assert.equal(await inclusionProofFor(c, w.ledger, c.randomBytes(32), final), null);
});

test('a full node missing a block of the interval sees the checkpoint differ', async () => {
  const { w, ids, from, to } = await uploads(4);
  const cp = await w.checkpoint(Chain.TRACING, from, to);
  assert.equal(auditCheckpoint(c, w.ledger, cp), 'match');
  const partial = new Ledger({ crypto: c, store: new MemoryStore(), rootKey: w.root.publicKey, region: w.region, now: () => w.nowMs, carries: [Chain.TRACING, Chain.NOTIFICATION] });
  for (const e of w.ledger.entries(Chain.NOTIFICATION)) await partial.add((await w.ledger.get(e.id))!);
  for (const id of ids.slice(1)) await partial.add((await w.ledger.get(id))!);
  assert.equal(auditCheckpoint(c, partial, cp), 'differs');
  assert.equal(await inclusionProofFor(c, partial, ids[1], cp), null, 'no proof from a node whose blocks do not give the root');
  await partial.add((await w.ledger.get(ids[0]))!);
  assert.equal(auditCheckpoint(c, partial, cp), 'match', 'after sync it matches');
});

test('the app’s checkpoint tracker: final with the quorum; a validator revoked before it signed does not count, even when the revocation arrives after the checkpoint', async () => {
  const { w, from, to } = await uploads(3);
  const tracker = new CheckpointTracker(w.ledger);
  const off = w.ledger.onBlock((e, b) => tracker.add(b, e.hex));
  try {
    const revokedAt = w.timeSec();
    w.advanceTo(w.nowMs + 5_000);
    await w.checkpoint(Chain.TRACING, from, to, 2); // validators 1 and 2: the quorum of 2
    assert.equal(tracker.covers(Chain.TRACING, from), true, 'final: two counted signatures');
    assert.equal(tracker.latestEnd(Chain.TRACING), to);
    // Validator 2's key was revoked from before it signed; the revocation comes later.
    await w.publish(revocationBlock(c, w.root, { subject: w.validators[1].publicKey, revokedAt, reason: 1 }, { region: w.region, timeSec: w.timeSec(), parents: w.ledger.tips(Chain.NOTIFICATION) }));
    assert.equal(tracker.covers(Chain.TRACING, from), false, 'one counted signature of 2');
    assert.equal(tracker.latestEnd(Chain.TRACING), null);
    const again = new CheckpointTracker(w.ledger);
    await again.load();
    assert.equal(again.covers(Chain.TRACING, from), false, 'the same after a reload');
  } finally { off(); }
});

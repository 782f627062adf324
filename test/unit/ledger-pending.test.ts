/**
 * The ledger's pending pool (blocks waiting for parents or for a CA statement) under an attacker
 * that sends valid blocks whose parents do not exist (issue 9, findings 3 and 4): what the pool
 * holds stays within its count and byte caps, and nothing is left behind in its index of awaited
 * parents.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nodeCrypto as c } from '../../src/node/node-crypto.ts';
import { sortParents } from '../../src/core/codec/block.ts';
import { traceBatchBlock } from '../../src/core/blocks.ts';
import { UserKeys } from '../../src/core/keys.ts';
import { Ledger } from '../../src/core/ledger/ledger.ts';
import { epochOf } from '../../src/core/policy.ts';
import { Chain, Precision, Source } from '../../src/core/types.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { D, fixture } from './net-fixture.ts';

type Fixture = Awaited<ReturnType<typeof fixture>>;
let f: Fixture;
test.before(async () => {
  f = await fixture(0, 0, 41);
});

async function ledger(opts: { maxPending?: number; maxPendingBytes?: number } = {}): Promise<Ledger> {
  const l = new Ledger({ crypto: c, store: new MemoryStore(), rootKey: f.w.root.publicKey, region: f.w.region, now: () => f.startMs, carries: [Chain.TRACING, Chain.NOTIFICATION], ...opts });
  for (const b of f.ca) await l.add(b);
  return l;
}

/** A valid trace batch of a fresh device whose `nParents` parents exist nowhere (an orphan). */
function orphan(i: number, nParents = 4): Uint8Array {
  const epoch = epochOf(f.w.ledger.authority.policy, D);
  const timeSec = Math.floor(f.startMs / 1000);
  const parents = sortParents(Array.from({ length: nParents }, () => ({ id: f.c.randomBytes(32), time: timeSec - 1 })));
  return traceBatchBlock(c, new UserKeys(c, f.c.randomBytes(32)), {
    region: f.w.region, timeSec, parents, day: D, part: 0, epoch, epochPub: f.w.ledger.authority.epochKey(epoch)!, powBits: f.w.policy.pow.traceBits,
    stays: [{ start: D * 1440 + 600 + (i % 800), minutes: 10, latE7: 558_000_000 + i, lonE7: -42_000_000, radius: 8, source: Source.GNSS, precision: Precision.M10 }],
  });
}

test('finding 3: orphans evicted from the pending pool leave nothing in the index of awaited parents', async () => {
  const l = await ledger({ maxPending: 10 });
  for (let i = 0; i < 60; i++) assert.equal((await l.add(orphan(i))).status, 'pending');
  assert.equal(l.pendingCount, 10);
  assert.equal(l.missingParents().length, 40, 'only the parents of the 10 blocks still held are awaited');
  const waiting = (l as unknown as { waiting: Map<string, Set<string>> }).waiting;
  assert.equal(waiting.size, 40, 'no empty entries are left behind');
});

test('finding 4: the pending pool is capped by bytes as well as by count', async () => {
  const one = orphan(0).length;
  const l = await ledger({ maxPendingBytes: 20 * one });
  for (let i = 0; i < 60; i++) await l.add(orphan(i));
  assert.ok(l.pendingBytes <= 20 * one, `${l.pendingBytes} bytes held, cap ${20 * one}`);
  assert.ok(l.pendingCount >= 19 && l.pendingCount <= 20, `${l.pendingCount} blocks held`);
  assert.ok(l.forgetPending(c.sha256(orphan(1000))) === false);
});

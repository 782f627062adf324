/**
 * Retention across a whole window with an injected clock (docs/PROTOCOL.md §10.3): a full node
 * (segment files) and a browser's thin node (its IndexedDB adapter over fake-indexeddb), each
 * assembled as in production (src/net/assemble.ts: prune at start and hourly on the node's clock),
 * and the CA of `beeptrace ca` (src/node/ca/authority.ts) re-publishing its standing statements
 * when due. 21 days go by, one hour at a time; each day the CA's statements, a solver's
 * notification and a device's trace batch reach both nodes.
 *
 * After the window: no store holds a block older than the horizon (checked every day), the
 * first day's statements are gone everywhere, and yet — after a restart, when a node knows only
 * what its store holds — the CA's standing statements are in force (the policy, the solver's
 * certificate, the revocation, the current epoch key): the thin node verifies and counts a new
 * notification, a revoked key's new one is stored and does not count, the full node takes a new
 * trace batch, and a node that joins empty takes every block the full node holds.
 */
import 'fake-indexeddb/auto';
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex, fromHex } from '../../src/core/bytes.ts';
import { newRoleKey, notificationBlock, traceBatchBlock } from '../../src/core/blocks.ts';
import { Role } from '../../src/core/codec/records.ts';
import { UserKeys } from '../../src/core/keys.ts';
import type { Ledger } from '../../src/core/ledger/ledger.ts';
import { DEFAULT_POLICY, epochOf } from '../../src/core/policy.ts';
import { buildTagSet } from '../../src/core/tagset.ts';
import { Chain, Precision, Source, type ChainId } from '../../src/core/types.ts';
import type { BlockStore } from '../../src/core/store.ts';
import { assembleNode, openLedger, PRUNE_MS } from '../../src/net/assemble.ts';
import type { Clock } from '../../src/net/link.ts';
import { openIdbStore } from '../../src/store/idb-store.ts';
import { CertificateAuthority, checkpointBoundary } from '../../src/node/ca/authority.ts';
import { drain } from '../../src/node/ca/outbox.ts';
import { FullNode } from '../../src/node/full-node.ts';
import { seededCrypto } from './seeded-crypto.ts';

const c = seededCrypto('retention');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 2, 2, 9, 0, 0);
const POLICY = { ...DEFAULT_POLICY, checkpointQuorum: 1 }; // not the default: it must still be in force at the end
const tmp = await mkdtemp(join(tmpdir(), 'retention-'));
after(() => rm(tmp, { recursive: true, force: true }));

/** One timeline for every node; each node gets its own view of it, so we know when its prunes are done. */
class Timeline {
  now = T0;
  private timers: { at: number; seq: number; fn: () => void; owner: string; prune: boolean }[] = [];
  private seq = 0;
  readonly fired = new Map<string, number>();
  readonly done = new Map<string, number>();
  clockFor(owner: string): Clock {
    return {
      now: () => this.now,
      setTimeout: (fn, ms) => {
        const t = { at: this.now + ms, seq: ++this.seq, fn, owner, prune: ms === PRUNE_MS }; // other timers: the NetNode's own
        this.timers.push(t);
        return t;
      },
      clearTimeout: (h) => {
        this.timers = this.timers.filter((t) => t !== h);
      },
    };
  }
  /** A node finished a prune. */
  pruned(owner: string): void {
    this.done.set(owner, (this.done.get(owner) ?? 0) + 1);
  }
  /** Move the clock to `to`, firing timers in order, each node's prunes awaited. */
  async advanceTo(to: number): Promise<void> {
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const t = this.timers[0];
      if (!t || t.at > to) break;
      this.timers.shift();
      this.now = t.at;
      if (t.prune) this.fired.set(t.owner, (this.fired.get(t.owner) ?? 0) + 1);
      t.fn();
      await this.settled();
    }
    this.now = to;
  }
  async settled(): Promise<void> {
    for (let i = 0; i < 2000 && [...this.fired].some(([o, n]) => (this.done.get(o) ?? 0) < n); i++) await new Promise((r) => setTimeout(r, 1));
    assert.ok(![...this.fired].some(([o, n]) => (this.done.get(o) ?? 0) < n), 'every prune finished');
  }
}

const offline = () => ({ connect: () => Promise.reject(new Error('offline')), discover: () => [], attach() {}, start() {}, stop() {} });

/** A node assembled as in production, on the timeline's clock; the NetNode's own housekeeping is kept out of the way. */
function assemble(tl: Timeline, name: string, ledger: Ledger, role: 'full' | 'thin') {
  // the first prune (at start) is not a timer: count it as fired
  tl.fired.set(name, (tl.fired.get(name) ?? 0) + 1);
  const n = assembleNode({ ledger, role, clock: tl.clockFor(name), crypto: c, transport: offline, tickMs: 1e12, pruneMs: PRUNE_MS, onPrune: (r) => {
    assert.equal(r.error, undefined);
    tl.pruned(name);
  } });
  n.start();
  return n;
}

async function oldest(store: BlockStore): Promise<number> {
  let t = Infinity;
  for (const chain of [Chain.TRACING, Chain.NOTIFICATION] as ChainId[]) {
    const first = (await store.listBlocks(chain, -Infinity, Infinity))[0];
    if (first) t = Math.min(t, first.time);
  }
  return t;
}

test('after a retention window no node holds a block older than the horizon, and the CA\'s standing statements are in force', async () => {
  const tl = new Timeline();
  const ca = await CertificateAuthority.init({ dir: join(tmp, 'ca'), region: 1, signalUrl: 'ws://127.0.0.1:8787', passphrase: 'p', crypto: c, policy: POLICY, now: () => tl.now, scrypt: { N: 2 ** 10, r: 8, p: 1 } });
  const solver = newRoleKey(c);
  const rogue = newRoleKey(c);
  await ca.certify({ role: 'solver', subject: solver.publicKey, region: 1, days: 365, name: 'Solver' });
  await ca.certify({ role: 'solver', subject: rogue.publicKey, region: 1, days: 365, name: 'Rogue' });
  const revokedAt = checkpointBoundary(Math.floor(tl.now / 1000));
  await ca.revoke({ subject: rogue.publicKey, at: revokedAt });
  await ca.epoch();
  const rootKey = fromHex(ca.state.rootKey);

  const config = { region: 1, rootKey, epochKeys: new Map() };
  const fullDir = join(tmp, 'full');
  let full = await FullNode.open({ dir: fullDir, role: 'archive', crypto: c, now: () => tl.now, config });
  let idb = await openIdbStore('retention-thin');
  let thin = await openLedger({ crypto: c, store: idb, rootKey, region: 1, role: 'thin', now: () => tl.now });
  const nodes = [assemble(tl, 'full', full.ledger, 'full'), assemble(tl, 'thin', thin, 'thin')];
  await tl.settled();

  const firstDay: string[] = [];
  const deliver = async (bytes: Uint8Array) => {
    for (const l of [full.ledger, thin]) {
      if (!l.holds(bytes[1] === 1 ? Chain.TRACING : Chain.NOTIFICATION, bytes[2])) continue;
      const r = await l.add(bytes).catch((e: Error) => ({ status: e.message }));
      assert.ok(['added', 'duplicate'].includes(r.status), `delivered: ${r.status}`);
    }
    return toHex(c.sha256(bytes));
  };
  const device = new UserKeys(c, c.randomBytes(32));
  const traceBatch = (day: number) => {
    const epoch = epochOf(POLICY, day);
    return traceBatchBlock(c, device, {
      region: 1, timeSec: Math.floor(tl.now / 1000), parents: full.ledger.tips(Chain.TRACING), day, part: 0, epoch, epochPub: fromHex(ca.state.epochs[epoch].publicKey), powBits: POLICY.pow.traceBits,
      stays: [{ start: day * 1440 + 480, minutes: 30, latE7: 558_000_000, lonE7: -42_000_000, radius: 8, source: Source.GNSS, precision: Precision.M10 }],
    });
  };
  const notification = (signer: typeof solver, parentsOf: Ledger) => notificationBlock(c, signer, { exposureDay: Math.floor(tl.now / DAY) - 1, level: 2, ...buildTagSet(c, Array.from({ length: 6 }, () => c.randomBytes(32)), c.randomBytes(16), 27) }, {
    region: 1, timeSec: Math.floor(tl.now / 1000), parents: parentsOf.tips(Chain.NOTIFICATION),
  });

  let republished = 0;
  for (let d = 0; d <= 21; d++) {
    await tl.advanceTo(T0 + d * DAY);
    // the CA's cron job: ca epoch (and republish when due), ca shred; then ca publish
    if (d % 7 === 0) await ca.epoch();
    if (tl.now >= ca.republishDue()) {
      await ca.republish();
      republished++;
    }
    await ca.shred();
    for (const id of await drain(ca.dir, deliver)) if (d === 0) firstDay.push(id);
    const day = Math.floor(tl.now / DAY);
    const ids = [await deliver(traceBatch(day)), await deliver(notification(solver, full.ledger))];
    if (d === 0) firstDay.push(...ids);
    // every node pruned to the horizon of its last (hourly) prune, which is now
    const horizonMs = (Math.floor(tl.now / 1000) - POLICY.retentionDays * 86_400) * 1000;
    for (const [name, store] of [['full', full.store], ['thin', idb]] as const) {
      assert.ok((await oldest(store)) >= horizonMs, `day ${d}: ${name} holds no block older than the horizon`);
    }
  }
  assert.ok(republished >= 4, `the CA re-published ${republished} times in 21 days (a third of 14 days apart)`);
  const nowSec = Math.floor(tl.now / 1000);
  const horizonMs = (nowSec - POLICY.retentionDays * 86_400) * 1000;
  for (const id of firstDay) for (const l of [full.ledger, thin]) assert.equal(l.has(id), false, 'the first day\'s blocks are gone');
  assert.ok((await full.store.countBlocks(Chain.TRACING)) >= 14 && (await idb.countBlocks(Chain.NOTIFICATION)) >= 14, 'the window\'s blocks are kept');

  // Restart: a node now knows only what its store holds.
  for (const n of nodes) await n.stop();
  await full.close();
  await idb.close();
  full = await FullNode.open({ dir: fullDir, role: 'archive', crypto: c, now: () => tl.now, config });
  idb = await openIdbStore('retention-thin');
  thin = await openLedger({ crypto: c, store: idb, rootKey, region: 1, role: 'thin', now: () => tl.now });
  const restarted = [assemble(tl, 'full', full.ledger, 'full'), assemble(tl, 'thin', thin, 'thin')];
  await tl.settled();
  for (const [name, l, store] of [['full', full.ledger, full.store], ['thin', thin, idb]] as const) {
    assert.ok((await oldest(store)) >= horizonMs, `${name}: nothing older than the horizon after the restart`);
    const a = l.authority;
    assert.equal(a.policy.checkpointQuorum, 1, `${name}: the CA's policy is in force`);
    assert.equal(a.whyNotAuthorized(solver.publicKey, Role.SOLVER, 1, nowSec), null, `${name}: the solver's certificate is known`);
    assert.equal(a.revokedAt(rogue.publicKey), revokedAt, `${name}: the revocation is in force`);
    assert.ok(a.epochKey(epochOf(POLICY, Math.floor(nowSec / 86_400))), `${name}: the current epoch's key is known`);
  }
  // The app's node still verifies new blocks: the solver's new notification counts, the revoked key's does not.
  const fresh = notification(solver, thin);
  assert.equal((await thin.add(fresh)).status, 'added');
  assert.equal(thin.whyVoid(c.sha256(fresh)), null, 'a new notification of the certified solver counts');
  const revoked = notification(rogue, thin);
  assert.equal((await thin.add(revoked)).status, 'added', 'stored (a revocation refuses nothing)');
  assert.match(String(thin.whyVoid(c.sha256(revoked))), /revoked/, 'and does not count');
  const batch = traceBatch(Math.floor(nowSec / 86_400));
  assert.equal((await full.ledger.add(batch)).status, 'added', 'the full node takes a new trace batch (the epoch key is known)');
  assert.equal(full.ledger.whyVoid(c.sha256(batch)), null);

  // A node that joins now, empty, takes every block the full node holds (as sync hands them over;
  // a notification older than the re-published certificate waits for it in the pending pool).
  const late = await openLedger({ crypto: c, store: await openIdbStore('retention-late'), rootKey, region: 1, role: 'full', now: () => tl.now });
  for (const chain of [Chain.NOTIFICATION, Chain.TRACING] as ChainId[]) {
    for (const e of full.ledger.entries(chain)) assert.notEqual((await late.add((await full.ledger.get(e.id))!)).status, 'duplicate');
  }
  assert.equal(late.pendingCount, 0, 'nothing left waiting');
  assert.equal(late.count(), full.ledger.count());
  for (const n of restarted) await n.stop();
  await full.close();
  await idb.close();
});

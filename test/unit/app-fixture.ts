/**
 * Shared by the app-engine tests: a World's CA statements preloaded into an in-memory network in
 * virtual time, app engines on fake-indexeddb with a thin node each, and helpers to drive them
 * through the page↔engine protocol. Call `loadAppFixture()` in `test.before`.
 */
import 'fake-indexeddb/auto';
import assert from 'node:assert/strict';
import { nodeCrypto as c } from '../../src/node/node-crypto.ts';
import { toHex } from '../../src/core/bytes.ts';
import { UserKeys } from '../../src/core/keys.ts';
import { decodeBlock, Kind } from '../../src/core/codec/block.ts';
import { decodeTraceBatch } from '../../src/core/codec/records.ts';
import { notificationBlock } from '../../src/core/blocks.ts';
import { buildTagSet } from '../../src/core/tagset.ts';
import { Chain, type Day, type Fix } from '../../src/core/types.ts';
import type { BlockStore } from '../../src/core/store.ts';
import { SimNetwork, type SimNode } from '../../src/net/sim.ts';
import { openIdbStore } from '../../src/store/idb-store.ts';
import { SEED_KEY } from '../../src/app/device.ts';
import { AppEngine, type AppEngineOptions } from '../../src/app/engine/engine.ts';
import type { AppEvent, FromEngine, Intent } from '../../src/app/protocol.ts';
import { fixture } from './net-fixture.ts';

type Fixture = Awaited<ReturnType<typeof fixture>>;
/** The World's CA statements and keys (set by `loadAppFixture`). */
export let f: Fixture;
/** Build the fixture once. @example test.before(loadAppFixture) */
export async function loadAppFixture(): Promise<void> {
  f ??= await fixture(0, 0);
}

export const MIN = 60_000;
let dbSeq = 0;
/** A fresh database name per call. */
export function nextDb(prefix: string): string {
  return `${prefix}-${++dbSeq}`;
}

export function newSim(seed: number) {
  return new SimNetwork({
    crypto: c, rootKey: f.w.root.publicKey, region: f.w.region, seed, startMs: f.startMs, link: { delay: [5, 40] },
    node: { tickMs: 500, outbox: { checkMs: 1_000, proofTimeoutMs: 3_000 } },
  });
}

/** Let fake-indexeddb's macrotasks run: the in-memory network itself only awaits promises. */
export async function yieldIo(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}

/** Run the virtual network, and real I/O in between, until `done()` or `ms` of virtual time passed. */
export async function runUntil(sim: SimNetwork, done: () => boolean, ms = 30_000): Promise<boolean> {
  const end = sim.net.now() + ms;
  while (!done() && sim.net.now() < end) {
    await sim.net.run(sim.net.now() + 250);
    await yieldIo();
  }
  return done();
}

export interface App {
  engine: AppEngine;
  store: BlockStore;
  events: AppEvent[];
  node: () => SimNode;
  send<T = unknown>(intent: Intent): Promise<T>;
}

/** An engine on IndexedDB database `db` with a thin node at `addr`; `wrap` may wrap the store. */
export async function openApp(
  sim: SimNetwork, db: string, addr: string, wrap: (s: BlockStore) => BlockStore = (s) => s, shiftMs: () => number = () => 0, extra: Partial<AppEngineOptions> = {},
): Promise<App> {
  const store = wrap(await openIdbStore(db));
  let sn: SimNode | undefined;
  const engine = await AppEngine.open({
    store, crypto: c, now: () => sim.net.now() + shiftMs(), config: { region: f.w.region }, tickMs: 0, backupKdf: { logN: 10, r: 8, p: 1 }, ...extra,
    net: async (a) => {
      sn = await sim.addNode(addr, 'thin', { preload: f.ca, store: a.store, start: false });
      return {
        ledger: sn.ledger, node: sn.node,
        stop: async () => {
          sim.removeNode(addr);
          await sn!.node.settle();
        },
      };
    },
  });
  const events: AppEvent[] = [];
  engine.onMessage((m) => m.kind === 'event' && events.push(m.event));
  let id = 0;
  return {
    engine, store, events, node: () => sn!,
    async send<T>(intent: Intent): Promise<T> {
      const my = ++id + 1_000_000 * dbSeq;
      let reply: FromEngine | undefined;
      const off = engine.onMessage((m) => {
        if (m.kind === 'reply' && m.id === my) reply = m;
      });
      await engine.handle({ kind: 'intent', id: my, intent });
      off();
      assert.ok(reply && reply.kind === 'reply', `a reply to ${intent?.type}`);
      if (!reply.ok) throw Object.assign(new Error(reply.error.message), { code: reply.error.code });
      return reply.value as T;
    },
  };
}

/** The device keys the engine keeps in its store. */
export async function keysOf(store: BlockStore): Promise<UserKeys> {
  return new UserKeys(c, (await store.getValue(SEED_KEY))!);
}

/** Fixes every minute: `minutes` at (lat, lon) from `fromMs`. */
export function dwell(fromMs: number, minutes: number, lat: number, lon: number): Fix[] {
  return Array.from({ length: minutes }, (_, i) => ({ t: fromMs + i * MIN, lat, lon, acc: 8 }));
}

/** A signed notification of the World's solver naming `tags` on `day` at `level`. */
export function notification(sim: SimNetwork, day: Day, level: 1 | 2, tags: Uint8Array[], parentsFrom: SimNode): Uint8Array {
  const others = Array.from({ length: 5 }, () => c.randomBytes(32));
  const set = buildTagSet(c, [...tags, ...others], c.randomBytes(16), 27);
  return notificationBlock(c, f.w.solver, { exposureDay: day, level, ...set }, {
    region: f.w.region, timeSec: Math.floor(sim.net.now() / 1000), parents: parentsFrom.ledger.tips(Chain.NOTIFICATION),
  });
}


export async function traceParts(full: SimNode, keys: UserKeys, day: Day): Promise<number[]> {
  const pub = toHex(keys.daySigning(day).publicKey);
  const parts: number[] = [];
  for (const e of full.ledger.entries(Chain.TRACING)) {
    if (e.kind !== Kind.TRACE_BATCH) continue;
    const b = decodeTraceBatch(decodeBlock((await full.ledger.get(e.id))!).body);
    if (toHex(b.dayPub) === pub && b.day === day) parts.push(b.part);
  }
  return parts.sort((a, b) => a - b);
}

/** Walk a route on `day`: 20 min at home, 20 min at work 300 m north, then stay at a café (open stay). */
export async function walk(app: App, day: Day, startMin = 10): Promise<void> {
  const t0 = day * 86_400_000 + startMin * MIN;
  const route = [...dwell(t0, 20, 55.86, -4.25), ...dwell(t0 + 20 * MIN, 20, 55.8627, -4.25), ...dwell(t0 + 40 * MIN, 5, 55.8627, -4.255)];
  for (const fix of route) assert.equal(await app.send({ type: 'fix', fix }), true);
}

/** Wait (real time) until `cond()` holds. */
export async function waitFor(cond: () => boolean, tries = 2000): Promise<void> {
  for (let i = 0; i < tries && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(cond(), 'condition reached');
}

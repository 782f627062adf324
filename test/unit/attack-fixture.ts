/**
 * Shared scenes of the network attack tests (not a test file: the runner's glob is *.test.ts): a
 * victim full node, an honest full node linked to it, and an attacker with one raw link to the
 * victim, on the seeded in-memory network; helpers to drive the attacker in virtual time.
 */
import { nodeCrypto as c } from '../../src/node/node-crypto.ts';
import { toHex } from '../../src/core/bytes.ts';
import { Chain, Precision, Source } from '../../src/core/types.ts';
import { SimNetwork, type SimNode } from '../../src/net/sim.ts';
import { decodeFrame, encodeFrame, type Frame } from '../../src/net/frames.ts';
import type { NetNodeOptions } from '../../src/net/node.ts';
import type { Link } from '../../src/net/link.ts';
import type { NetEvent } from '../../src/net/context.ts';
import { sortParents } from '../../src/core/codec/block.ts';
import { traceBatchBlock } from '../../src/core/blocks.ts';
import { UserKeys } from '../../src/core/keys.ts';
import { epochOf } from '../../src/core/policy.ts';
import { D, fixture } from './net-fixture.ts';

export type Fixture = Awaited<ReturnType<typeof fixture>>;
/** Hex id of a block's bytes. */
export const hexOf = (b: Uint8Array) => toHex(c.sha256(b));

let sharedFixture: Promise<Fixture> | undefined;
/** The attack tests' blocks: 24 trace batches and the CA statements (seed 9), made once per process. */
export function attackBlocks(): Promise<Fixture> {
  return (sharedFixture ??= fixture(24, 0, 9));
}

export interface Scene {
  sim: SimNetwork;
  victim: SimNode;
  honest: SimNode;
  events: NetEvent[];
  /** The attacker's raw link to the victim (HELLO already sent). */
  evil: Link;
  /** Frames the victim sent the attacker. */
  heard: Frame[];
}

/** A victim, an honest full node it is linked to, and an attacker with one ordinary link to the victim. */
export async function scene(seed: number, victimOptions: Partial<NetNodeOptions> = {}): Promise<Scene> {
  const f = await attackBlocks();
  const sim = new SimNetwork({ crypto: c, rootKey: f.w.root.publicKey, region: f.w.region, seed, startMs: f.startMs, link: { delay: [5, 40] }, node: { mesh: { rotateMs: 0 } } });
  const events: NetEvent[] = [];
  const victim = await sim.addNode('v', 'full', { preload: f.ca, options: { ...victimOptions, onEvent: (e) => events.push(e) } });
  const honest = await sim.addNode('h', 'full', { preload: f.ca });
  await sim.net.run(sim.net.now() + 2_000);
  sim.net.add('evil', { accept: (l) => l.close('no') });
  const p = sim.net.connect('evil', 'v');
  await sim.net.run(sim.net.now() + 200);
  const evil = await p;
  const heard: Frame[] = [];
  evil.onFrame = (fr) => heard.push(decodeFrame(fr));
  evil.send(encodeFrame({ type: 'hello', version: 1, region: f.w.region, chains: [1, 2], role: 'full' }));
  await sim.net.run(sim.net.now() + 500);
  return { sim, victim, honest, events, evil, heard };
}

/** Run `fn` every `everyMs` of virtual time until `untilMs` (as the attacker's clock). */
export function every(sim: SimNetwork, everyMs: number, untilMs: number, fn: () => void): void {
  const loop = () => {
    if (sim.net.now() >= untilMs) return;
    fn();
    sim.net.clock.setTimeout(loop, everyMs);
  };
  sim.net.clock.setTimeout(loop, 0);
}

/** Publish `blocks` at the honest node one a second, then run until the victim has them all or `maxMs` passed; returns how many it got and when the last came. */
export async function honestBlocks(s: Scene, blocks: Uint8Array[], maxMs: number) {
  const t0 = s.sim.net.now();
  for (const b of blocks) {
    await s.honest.node.publish(b);
    await s.sim.net.run(s.sim.net.now() + 1_000);
  }
  const want = new Set(blocks.map(hexOf));
  const got = () => [...want].filter((h) => s.victim.ledger.has(h)).length;
  while (got() < want.size && s.sim.net.now() < t0 + maxMs) await s.sim.net.run(s.sim.net.now() + 1_000);
  return { got: got(), afterMs: s.sim.net.now() - t0 };
}

export const honestPenalties = (s: Scene) => s.events.filter((e) => e.type === 'penalty' && !isEvil(s, e.link));
export function isEvil(s: Scene, link: string): boolean {
  return s.sim.net.linkInfo(link)?.remote === 'evil';
}

/** A valid trace batch of a fresh device whose 4 parents exist nowhere: it can only wait in the pending pool. */
export function orphan(f: Fixture, timeSec: number, i: number): Uint8Array {
  const epoch = epochOf(f.w.ledger.authority.policy, D);
  const parents = sortParents(Array.from({ length: 4 }, () => ({ id: f.c.randomBytes(32), time: timeSec - 1 })));
  return traceBatchBlock(c, new UserKeys(c, f.c.randomBytes(32)), {
    region: f.w.region, timeSec, parents, day: D, part: 0, epoch, epochPub: f.w.ledger.authority.epochKey(epoch)!, powBits: f.w.policy.pow.traceBits,
    stays: [{ start: D * 1440 + 600 + (i % 800), minutes: 10, latE7: 558_000_000 + i, lonE7: -42_000_000, radius: 8, source: Source.GNSS, precision: Precision.M10 }],
  });
}

/** A victim holding 300 tracing blocks besides the CA statements (preloaded, trusted). */
export async function bigScene(seed: number, victimOptions: Partial<NetNodeOptions> = {}) {
  const s = await scene(seed, victimOptions);
  const f = await attackBlocks();
  const t = Math.floor(s.sim.net.now() / 1000) - 60;
  const blocks = Array.from({ length: 300 }, (_, i) => orphan(f, t, i));
  const store = s.victim.store;
  for (const b of blocks) await store.putBlock({ id: c.sha256(b), chain: Chain.TRACING, time: t * 1000, kind: 1 }, b);
  s.sim.removeNode('v');
  const victim = await s.sim.addNode('v2', 'full', { store, options: { ...victimOptions, onEvent: (e) => s.events.push(e) } });
  await s.sim.net.run(s.sim.net.now() + 2_000);
  const p = s.sim.net.connect('evil', 'v2');
  await s.sim.net.run(s.sim.net.now() + 200);
  const evil = await p;
  const heard: Frame[] = [];
  evil.onFrame = (fr) => heard.push(decodeFrame(fr));
  evil.send(encodeFrame({ type: 'hello', version: 1, region: f.w.region, chains: [1, 2], role: 'full' }));
  await s.sim.net.run(s.sim.net.now() + 500);
  heard.length = 0;
  return { ...s, victim, evil, heard };
}


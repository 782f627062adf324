/**
 * The one way to assemble a node: a Ledger over a given store with the chains its role carries
 * (thin: the notification chain; relay and full: both), a NetNode with a clock, dialling and
 * discovery through a transport, and — with the device's keys — re-issuing an own upload that a
 * final checkpoint left out. The browser thin node (src/app/thin-node.ts, on the page or in a
 * Worker) and the Node.js full node (src/node/run-node.ts, src/node/full-node.ts) are built here.
 *
 * The transport is made from the chains the role carries (a WebRTC transport joins their rooms; a
 * PortTransport asks the page to): `transport: (chains) => new WebRtcTransport({ …, chains })`.
 *
 * @example
 * const ledger = await openLedger({ crypto, store, rootKey, region: 1, role: 'thin', now: clock.now });
 * const n = assembleNode({ ledger, role: 'thin', clock, crypto, transport: (chains) => new PortTransport(port, { chains }) });
 * n.start(); … await n.stop();
 *
 * Retention (docs/PROTOCOL.md §10.3): a started node prunes its ledger at once and then every
 * `pruneMs` of its clock (default an hour): every block older than the policy's horizon leaves
 * the index and the store, on full nodes and in browsers alike.
 * @module
 */
import { renewBlock } from '../core/blocks.ts';
import { decodeBlock, Kind } from '../core/codec/block.ts';
import type { CryptoProvider } from '../core/crypto.ts';
import type { UserKeys } from '../core/keys.ts';
import { Ledger } from '../core/ledger/ledger.ts';
import type { BlockStore } from '../core/store.ts';
import { Chain, type ChainId } from '../core/types.ts';
import type { NetEvent } from './context.ts';
import type { NodeRole } from './frames.ts';
import type { Clock, Link } from './link.ts';
import { NetNode } from './node.ts';
import type { RenewFn } from './outbox.ts';
import type { AuthKey } from './auth.ts';
import type { DiscoverQuery, MeshOptions } from './mesh.ts';

/** Names of chains, as signaling rooms use them. @example const chains: ChainName[] = ['notification'] */
export type ChainName = 'tracing' | 'notification';

/**
 * What a NetNode needs of a transport (`WebRtcTransport`, `PortTransport`).
 * @example const t: NodeTransport = new WebRtcTransport({ url, region, chains, Peer });
 */
export interface NodeTransport {
  connect(addr: string): Promise<Link>;
  discover(opts?: DiscoverQuery): string[];
  /** The source (network prefix) of an address (src/net/sources.ts). */
  sourceOf?(addr: string): string;
  attach(node: { accept(link: Link, addr?: string): void }): void;
  start(): void;
  stop(): void;
}

/** The chains a role carries. @example roleChains('thin') // [Chain.NOTIFICATION] */
export function roleChains(role: NodeRole): ChainId[] {
  return role === 'thin' ? [Chain.NOTIFICATION] : [Chain.TRACING, Chain.NOTIFICATION];
}

/** The same, by name (signaling rooms). @example roleChainNames('relay') // ['tracing', 'notification'] */
export function roleChainNames(role: NodeRole): ChainName[] {
  return role === 'thin' ? ['notification'] : ['tracing', 'notification'];
}

/** A host clock (browser, worker or Node) over the global timers. @example new NetNode({ …, clock: hostClock() }) */
export function hostClock(): Clock {
  // looked up on every call, so timers a test installs later (fake clocks) are the ones used
  const g = () => globalThis as unknown as { setTimeout(fn: () => void, ms: number): unknown; clearTimeout(h: unknown): void };
  return { now: () => Date.now(), setTimeout: (fn, ms) => g().setTimeout(fn, ms), clearTimeout: (h) => g().clearTimeout(h) };
}

/** What `openLedger` needs. @example openLedger({ crypto, store, rootKey, region: 1, role: 'thin' }) */
export interface LedgerSetup {
  crypto: CryptoProvider;
  store: BlockStore;
  /** The CA root public key every statement is checked against. */
  rootKey: Uint8Array;
  region: number;
  role: NodeRole;
  /** Milliseconds since the epoch (default Date.now). */
  now?: () => number;
}

/** A Ledger over `store` carrying the role's chains (and, for a thin node, the tracing chain's case blocks: PROTOCOL §15 item 34), rebuilt from the store. @example await openLedger({ crypto, store, rootKey, region, role: 'full' }) */
export async function openLedger(o: LedgerSetup): Promise<Ledger> {
  const ledger = new Ledger({ crypto: o.crypto, store: o.store, rootKey: o.rootKey, region: o.region, now: o.now ?? (() => Date.now()), carries: roleChains(o.role) });
  await ledger.open();
  return ledger;
}

/** The device's keys, or a function that says what they are now (a backup import replaces them). */
export type KeysNow = UserKeys | (() => UserKeys);

/**
 * Re-issue an own block at the clock's time, with the proof-of-work the policy asks for its kind,
 * signed with the keys as they are when it renews.
 * @example renewWith(crypto, () => ctx.keys, ledger, clock)
 */
export function renewWith(crypto: CryptoProvider, keysNow: KeysNow, ledger: Ledger, clock: Pick<Clock, 'now'>): RenewFn {
  return (bytes) => {
    const keys = typeof keysNow === 'function' ? keysNow() : keysNow;
    const pow = ledger.authority.policy.pow;
    const kind = decodeBlock(bytes).kind;
    const powBits = kind === Kind.TRACE_BATCH ? pow.traceBits : kind === Kind.WITHDRAWAL ? pow.withdrawalBits : pow.selfReportBits;
    return renewBlock(crypto, keys, bytes, { timeSec: Math.floor(clock.now() / 1000), powBits });
  };
}

/** What `assembleNode` needs. @example assembleNode({ ledger, role: 'thin', clock: hostClock(), crypto, transport: (chains) => new PortTransport(port, { chains }) }) */
export interface NodeSetup<T extends NodeTransport> {
  ledger: Ledger;
  role: NodeRole;
  clock: Clock;
  crypto: CryptoProvider;
  /** Made once, from the chains the role carries; `certified`: the node proves a certified key (it joins the directory). */
  transport: (chains: ChainName[], o: { certified: boolean }) => T;
  /** This node's certified full-node key (a validator's or solver's), proved to its peers (src/net/auth.ts). */
  auth?: AuthKey;
  /** Mesh settings (src/net/mesh.ts). */
  mesh?: Partial<MeshOptions>;
  /** The device's keys (or what they are now): the node re-issues an own upload a final checkpoint left out. */
  keys?: KeysNow;
  /** Housekeeping period of the NetNode, ms. */
  tickMs?: number;
  /** Retention pruning period, ms of the node's clock (default PRUNE_MS; 0 = never). */
  pruneMs?: number;
  /** Told after each pruning: how many blocks went, or why it failed. */
  onPrune?: (r: { pruned: number; error?: string }) => void;
  onEvent?: (e: NetEvent) => void;
}

/** Default period of retention pruning: an hour (a store rewrites the horizon day's file at most this often). @example assembleNode({ …, pruneMs: PRUNE_MS }) */
export const PRUNE_MS = 3_600_000;

/** An assembled node: not started until `start()`. @example const n = assembleNode(setup); n.start(); n.node.onBlock(…); await n.stop(); */
export interface AssembledNode<T extends NodeTransport> {
  ledger: Ledger;
  node: NetNode;
  transport: T;
  role: NodeRole;
  start(): void;
  /** Stop the network and wait for pending writes (the caller closes its store). */
  stop(): Promise<void>;
}

/**
 * Wire a NetNode to a ledger and a transport.
 * @example const n = assembleNode({ ledger, role: 'full', clock: hostClock(), crypto, transport: (chains) => new WebRtcTransport({ url, region, chains, Peer, wrtc }) });
 */
export function assembleNode<T extends NodeTransport>(o: NodeSetup<T>): AssembledNode<T> {
  const transport = o.transport(roleChainNames(o.role), { certified: o.auth !== undefined });
  const node = new NetNode({
    ledger: o.ledger, clock: o.clock, role: o.role, connect: transport.connect, discover: transport.discover, tickMs: o.tickMs,
    sourceOf: transport.sourceOf ? (a) => transport.sourceOf!(a) : undefined, auth: o.auth, mesh: o.mesh,
    renew: o.keys ? renewWith(o.crypto, o.keys, o.ledger, o.clock) : undefined, onEvent: o.onEvent,
  });
  transport.attach(node);
  let running = false;
  let timer: unknown;
  let pruning: Promise<void> = Promise.resolve();
  const pruneMs = o.pruneMs ?? PRUNE_MS;
  const prune = () => {
    pruning = pruning.then(() => o.ledger.prune()).then(
      (pruned) => o.onPrune?.({ pruned }),
      (e: Error) => o.onPrune?.({ pruned: 0, error: e?.message ?? String(e) }),
    );
    if (running && pruneMs > 0) timer = o.clock.setTimeout(prune, pruneMs);
  };
  return {
    ledger: o.ledger, node, transport, role: o.role,
    start() {
      if (running) return;
      running = true;
      transport.start();
      node.start();
      if (pruneMs > 0) prune();
    },
    async stop() {
      running = false;
      if (timer !== undefined) o.clock.clearTimeout(timer);
      node.stop();
      transport.stop();
      await pruning;
      await node.settle();
    },
  };
}

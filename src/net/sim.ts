/**
 * A simulated BeepTrace network: NetNodes with real Ledgers (memory stores) over a `MemoryNet`,
 * in virtual time. Used by the network tests, the gossip benchmark and simulations. Pure like the
 * rest of src/net: the crypto provider is injected.
 *
 * Nodes can start from a preloaded set of blocks (typically the CA statements of a World: the
 * authority state every node needs before it can accept anything). Preloaded blocks are put in
 * the node's store and the ledger is opened from it — they are trusted, not re-verified, so give
 * only blocks another ledger already accepted.
 *
 * @example
 * const sim = new SimNetwork({ crypto: nodeCrypto, rootKey: w.root.publicKey, region: w.region, seed: 1, startMs: w.nowMs });
 * const a = await sim.addNode('a', 'full', { preload: caBlocks });
 * const b = await sim.addNode('b', 'thin', { preload: caBlocks });
 * await sim.net.run(sim.net.now() + 30_000);
 * @module
 */
import type { CryptoProvider } from '../core/crypto.ts';
import { decodeBlock } from '../core/codec/block.ts';
import { Ledger } from '../core/ledger/ledger.ts';
import type { ChainId } from '../core/types.ts';
import type { BlockStore } from '../core/store.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { ROLE_CHAINS, type NodeRole } from './frames.ts';
import { MemoryNet, type LinkOptions } from './memory-net.ts';
import { NetNode, type NetNodeOptions } from './node.ts';

/** How to build a SimNetwork. @example { crypto, rootKey, region: 1, seed: 7, startMs, link: { loss: 0.05 } } */
export interface SimOptions {
  crypto: CryptoProvider;
  /** CA root public key (all nodes trust it). */
  rootKey: Uint8Array;
  region: number;
  seed: number;
  startMs: number;
  link?: Partial<LinkOptions>;
  connectDelay?: [number, number];
  /** Options every node gets (per-node options override them). */
  node?: Partial<Omit<NetNodeOptions, 'ledger' | 'clock' | 'role' | 'connect' | 'discover'>>;
}

/** One simulated node. @example sim.get('a').ledger.count() */
export interface SimNode {
  addr: string;
  store: BlockStore;
  role: NodeRole;
  node: NetNode;
  ledger: Ledger;
}

/**
 * NetNodes over a MemoryNet. See the module comment.
 * @example const n = await sim.addNode('late', 'full', { preload }); // joins and syncs
 */
export class SimNetwork {
  readonly net: MemoryNet;
  private readonly nodes = new Map<string, SimNode>();
  private seq = 0;

  constructor(readonly o: SimOptions) {
    this.net = new MemoryNet({ seed: o.seed, startMs: o.startMs, connectDelay: o.connectDelay, ...o.link });
  }

  /**
   * Create a node with a ledger on `store` (default: a fresh MemoryStore — pass an old node's store
   * to restart it) holding `preload` (trusted, see module comment), put it on the network and
   * start it (unless `start: false`). `source`: its network prefix (default its address);
   * `certified`: listed in the certified-node directory (give it `options.auth` to prove it).
   */
  async addNode(addr: string, role: NodeRole, opts: { preload?: Iterable<Uint8Array>; start?: boolean; store?: BlockStore; options?: Partial<NetNodeOptions>; source?: string; certified?: boolean } = {}): Promise<SimNode> {
    const store = opts.store ?? new MemoryStore();
    const carries: ChainId[] = ROLE_CHAINS[role];
    for (const bytes of opts.preload ?? []) {
      const b = decodeBlock(bytes);
      if (!carries.includes(b.chain)) continue;
      if (await store.hasBlock(this.o.crypto.sha256(bytes))) continue;
      await store.putBlock({ id: this.o.crypto.sha256(bytes), chain: b.chain, time: b.time * 1000, kind: b.kind }, bytes);
    }
    const ledger = new Ledger({ crypto: this.o.crypto, store, rootKey: this.o.rootKey, region: this.o.region, now: () => this.net.now(), carries });
    await ledger.open();
    const node = new NetNode({
      seed: (this.o.seed * 1_000_003 + ++this.seq) >>> 0,
      ...this.o.node,
      ...opts.options,
      ledger,
      role,
      clock: this.net.clockFor(addr),
      connect: (to) => this.net.connect(addr, to),
      discover: (d) => this.net.discover(addr, d),
      sourceOf: (a) => this.net.sourceOf(a),
    });
    this.net.add(addr, { accept: (link, from) => node.accept(link, from), settle: () => node.settle() }, { chains: carries, source: opts.source, certified: opts.certified });
    const n: SimNode = { addr, store, role, node, ledger };
    this.nodes.set(addr, n);
    if (opts.start !== false) node.start();
    return n;
  }

  /** The node at `addr` (throws if there is none). */
  get(addr: string): SimNode {
    const n = this.nodes.get(addr);
    if (!n) throw new Error(`SimNetwork: no node at ${addr}`);
    return n;
  }

  /** Every node, in the order they were added. */
  all(): SimNode[] {
    return [...this.nodes.values()];
  }

  /** Stop a node and take it off the network. */
  removeNode(addr: string): void {
    const n = this.get(addr);
    n.node.stop();
    this.net.remove(addr);
    this.nodes.delete(addr);
  }

  /** Sorted id hexes of a node's blocks of `chain`. */
  ids(addr: string, chain: ChainId): string[] {
    return this.get(addr).ledger.entries(chain).map((e) => e.hex).sort();
  }

  /** Longest shortest path (in links) between two nodes of the current link graph; Infinity if it is not connected. */
  diameter(): number {
    const adj = new Map<string, string[]>();
    for (const a of this.nodes.keys()) adj.set(a, []);
    for (const { a, b } of this.net.connections()) {
      adj.get(a)?.push(b);
      adj.get(b)?.push(a);
    }
    let worst = 0;
    for (const src of adj.keys()) {
      const dist = new Map<string, number>([[src, 0]]);
      const q = [src];
      for (let i = 0; i < q.length; i++) for (const n of adj.get(q[i]) ?? []) if (!dist.has(n)) { dist.set(n, dist.get(q[i])! + 1); q.push(n); }
      if (dist.size < adj.size) return Infinity;
      for (const d of dist.values()) worst = Math.max(worst, d);
    }
    return worst;
  }
}

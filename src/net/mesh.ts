/**
 * The mesh (docs/NET.md §7): a bounded, randomised set of peers that one host cannot take over.
 * Learned from Bitcoin Core's connection manager (outbound slots the node fills itself, inbound
 * eviction that protects peers by usefulness and by diversity of network) and adapted to browsers,
 * where every peer arrives through signaling with a fresh id. Every tick it
 *
 * - **keeps its outbound slots**: it dials until it has `outbound` peers it chose itself, whatever
 *   its inbound links (a node whose slots a flood of inbound links fills still dials: issue 17
 *   finding 1), and until its peers come from `target` sources (many links from one source count
 *   once), within `maxPeers` — at the cap, it evicts an inbound link of a source it has several
 *   from to dial a source it has none from; candidates come from `discover()` and are
 *   taken from the sources it has fewest peers from, discouraged sources last (sources.ts), skipping
 *   banned addresses and addresses in backoff;
 * - **evicts inbound links over their share** (`maxPeers − outbound`; also whenever the total is
 *   over `maxPeers`), never an outbound one for capacity. Protected from eviction: certified full
 *   nodes that proved their key (auth.ts), a thin node's only peer that carries the tracing chain,
 *   the {@link PROTECT_NOVEL} peers of distinct sources that most recently delivered a block new to
 *   this node, and the {@link PROTECT_AGE} longest-connected of distinct sources. Of the rest, the
 *   youngest link of the source with the most inbound links goes (discouraged sources first): a
 *   host dialling from many ids evicts its own links, not the honest ones;
 * - **keeps certified peers**: a node dials candidates of the certified-node directory until
 *   `certified` peers have proved a certified key (auth.ts), and never rotates them out;
 * - backs off exponentially after failed dials (per address and overall), capped at `backoffMaxMs`;
 * - rotates: every `rotateMs` (±25%) a node with its outbound slots full dials a fresh peer and,
 *   once it is connected, drops one random unprotected outbound peer (make before break: its count
 *   of outbound peers never dips), so partitions heal and no fixed set of neighbours surrounds it
 *   for long.
 *
 * @example
 * const mesh = new Mesh(ctx, host, DEFAULT_MESH);
 * mesh.tick(); // from the node's housekeeping timer
 * @module
 */
import { Chain, type ChainId } from '../core/types.ts';
import type { NetContext } from './context.ts';
import { ByeReason, type ByeReasonCode } from './frames.ts';
import type { Link } from './link.ts';
import type { Peer } from './peer.ts';
import type { SourceBook } from './sources.ts';

/** Inbound peers protected for delivering new blocks most recently (distinct sources). @example PROTECT_NOVEL === 2 */
export const PROTECT_NOVEL = 2;
/** Inbound peers protected for being connected longest (distinct sources). @example PROTECT_AGE === 2 */
export const PROTECT_AGE = 2;

/** The certified-node directory, found empty, is asked again after this long, doubling up to the max (ms). */
const CERTIFIED_BACKOFF_MIN_MS = 5_000;
const CERTIFIED_BACKOFF_MAX_MS = 300_000;

/** Mesh settings. @example new NetNode({ …, mesh: { target: 8, maxPeers: 12 } }) */
export interface MeshOptions {
  /** Sources (network prefixes, sources.ts) a node dials until its peers come from, counting links both ways. */
  target: number;
  /** Outbound peers (chosen by this node) it keeps whatever its inbound links; at most `target`. */
  outbound: number;
  /** Hard cap on links (far below a browser's ~500 connections); inbound links get `maxPeers − outbound`. */
  maxPeers: number;
  /** Peers that proved a certified full-node key (auth.ts) this node keeps, dialling the directory for them; 0 = none. */
  certified: number;
  /** A node with its outbound slots full drops one random unprotected outbound peer this often (±25%), ms; 0 = never. */
  rotateMs: number;
  /** A dial that has not opened after this long counts as failed, ms. */
  dialTimeoutMs: number;
  /** First backoff after a failed dial, ms (doubles per failure). */
  backoffBaseMs: number;
  /** Longest backoff, ms. */
  backoffMaxMs: number;
  /** A link that has not said HELLO after this long is closed, ms. */
  helloTimeoutMs: number;
}
/** @example DEFAULT_MESH.target === 6 */
export const DEFAULT_MESH: MeshOptions = {
  target: 5,
  outbound: 2,
  maxPeers: 12,
  certified: 2,
  rotateMs: 60_000,
  dialTimeoutMs: 10_000,
  backoffBaseMs: 1_000,
  backoffMaxMs: 60_000,
  helloTimeoutMs: 10_000,
};

/** What `discover` may be asked for: a chain's carriers, or the certified-node directory. */
export interface DiscoverQuery {
  chain?: ChainId;
  certified?: boolean;
}

/** What the mesh needs from the node. @example { peers: () => [...], attach, drop, connect, discover, sourceOf, sources } */
export interface MeshHost {
  /** Every open peer, HELLO or not. */
  peers(): Peer[];
  /** Take a dialled link; `certified`: dialled from the certified-node directory (it must prove a key: auth.ts). */
  attach(link: Link, outbound: boolean, addr: string, certified?: boolean): void;
  drop(peer: Peer, reason: ByeReasonCode, text: string): void;
  connect?: (addr: string) => Promise<Link>;
  discover?: (opts?: DiscoverQuery) => string[];
  /** The source (network prefix) of a directory address (sources.ts). */
  sourceOf(addr: string): string;
  readonly sources: SourceBook;
}

/**
 * Keeps the peer set within bounds. See the module comment.
 * @example if (!mesh.banned(addr)) attach(link)
 */
export class Mesh {
  private readonly dialing = new Map<string, { tracing: boolean; certified: boolean; source: string }>();
  private readonly backoff = new Map<string, { failures: number; until: number }>();
  private readonly bans = new Map<string, number>();
  private failures = 0;
  private nextDialAt = 0;
  private nextRotateAt: number;
  private stopped = false;
  /** Outbound slots: `outbound`, at most `target`. */
  private readonly slots: number;
  /** The address a rotation dialled: one random outbound peer goes once it is connected. */
  private rotating: string | null = null;
  private nextCertifiedAt = 0;
  private certifiedBackoff = 0;
  readonly stats = { dials: 0, dialFailures: 0, dropsOverCap: 0, evictions: 0, rotations: 0 };

  constructor(
    private readonly ctx: NetContext,
    private readonly host: MeshHost,
    private readonly o: MeshOptions,
  ) {
    if (!(o.target >= 1 && o.maxPeers >= o.target)) throw new RangeError(`mesh: need 1 ≤ target ≤ maxPeers, got target ${o.target}, maxPeers ${o.maxPeers}`);
    if (!(o.outbound >= 1)) throw new RangeError(`mesh: outbound must be ≥ 1, got ${o.outbound}`);
    if (!(o.certified >= 0)) throw new RangeError(`mesh: certified must be ≥ 0, got ${o.certified}`);
    this.slots = Math.min(o.outbound, o.target);
    this.nextRotateAt = ctx.clock.now() + this.jitter(o.rotateMs);
  }

  private jitter(ms: number): number {
    return ms * (0.75 + 0.5 * this.ctx.rng.next());
  }

  /** Is `addr` banned now? */
  banned(addr: string): boolean {
    const until = this.bans.get(addr);
    if (until === undefined) return false;
    if (until > this.ctx.clock.now()) return true;
    this.bans.delete(addr);
    return false;
  }

  /** Do not dial or accept `addr` for `ms`. */
  ban(addr: string, ms: number): number {
    const until = this.ctx.clock.now() + ms;
    this.bans.set(addr, until);
    return until;
  }

  /** Addresses being dialled now. */
  get pendingDials(): number {
    return this.dialing.size;
  }

  /** One round of upkeep (see the module comment). */
  tick(): void {
    if (this.stopped) return;
    const now = this.ctx.clock.now();
    let peers = this.evictOverCap(this.host.peers());
    if (!this.host.connect || !this.host.discover) return;
    if (now >= this.nextDialAt) {
      if (this.ctx.role === 'thin') {
        const has = peers.some((p) => p.carries(Chain.TRACING) || (!p.ready && p.outbound)) || [...this.dialing.values()].some((d) => d.tracing);
        if (!has) {
          const [c] = this.candidates({ chain: Chain.TRACING }, peers, 1);
          if (c) this.dial(c, { tracing: true });
        }
      }
      if (this.o.certified > 0 && now >= this.nextCertifiedAt) {
        const proven = peers.filter((p) => p.certified !== null).length;
        const trying = peers.filter((p) => p.outbound && p.certified === null && p.authPending).length + [...this.dialing.values()].filter((d) => d.certified).length;
        const want = this.o.certified - proven - trying;
        if (want > 0) {
          const found = this.candidates({ certified: true }, peers, want);
          for (const c of found) this.dial(c, { certified: true });
          // an empty directory (none runs, or all are ours already) is asked again later, not every tick
          this.certifiedBackoff = found.length ? 0 : Math.min(CERTIFIED_BACKOFF_MAX_MS, Math.max(CERTIFIED_BACKOFF_MIN_MS, this.certifiedBackoff * 2));
          this.nextCertifiedAt = now + this.certifiedBackoff;
        }
      }
      // `target` counts sources, not links: many links from one source (one host's sybil ids, or
      // one NAT) count as one, so a node they surround keeps dialling — up to the hard cap
      const out = peers.filter((p) => p.outbound).length + this.dialing.size;
      const present = new Set(peers.map((p) => p.source));
      const sources = present.size + this.dialing.size;
      const room = this.o.maxPeers - peers.length - this.dialing.size;
      const missing = Math.max(this.slots - out, Math.min(this.o.target - sources, room));
      if (missing > 0) for (const addr of this.candidates({}, peers, missing)) this.dial(addr, {});
      else if (sources < this.o.target && room <= 0) this.makeRoomForSource(peers, present);
    }
    if (this.o.rotateMs > 0 && now >= this.nextRotateAt) {
      this.nextRotateAt = now + this.jitter(this.o.rotateMs);
      peers = this.host.peers();
      const outbound = peers.filter((p) => p.outbound);
      if (outbound.length >= this.slots && this.rotating === null && peers.length + this.dialing.size < this.o.maxPeers) {
        // make before break: dial the newcomer first; the old peer goes once it is in (below)
        const [c] = this.candidates({}, peers, 1);
        if (c) {
          this.rotating = c;
          this.dial(c, {});
        }
      }
    }
    if (this.rotating !== null && !this.dialing.has(this.rotating)) {
      const arrived = this.rotating;
      this.rotating = null;
      peers = this.host.peers();
      const rotatable = peers.filter((p) => p.outbound && p.ready && p.addr !== arrived && !this.isProtected(p, peers));
      if (peers.some((p) => p.addr === arrived) && peers.filter((p) => p.outbound).length > this.slots && rotatable.length) {
        this.stats.rotations++;
        this.host.drop(this.ctx.rng.pick(rotatable), ByeReason.ROTATION, 'rotating peers');
      }
    }
  }

  /**
   * At the cap with peers from fewer than `target` sources: if discovery offers an address of a
   * source it has no peer from, evict one inbound link of a source it has several from and dial
   * that address — one host's ids filling every slot cannot keep new sources out. (Where every
   * candidate shares the sources it has, as on one machine's loopback, nothing changes.)
   */
  private makeRoomForSource(peers: Peer[], present: Set<string>): void {
    const [fresh] = this.candidates({}, peers, 1).filter((a) => !present.has(this.host.sourceOf(a)));
    if (!fresh) return;
    const count = new Map<string, number>();
    for (const p of peers) count.set(p.source, (count.get(p.source) ?? 0) + 1);
    const victim = this.evictionCandidate(peers.filter((p) => !p.outbound && (count.get(p.source) ?? 0) > 1), peers);
    if (!victim) return;
    this.stats.evictions++;
    this.host.drop(victim, ByeReason.OVER_CAPACITY, `making room for a peer from another network (${present.size} of ${this.o.target} sources)`);
    this.dial(fresh, {});
  }

  /**
   * Inbound links over their share (`maxPeers − outbound`), or any link over `maxPeers`: evict
   * inbound ones (see the module comment); over `maxPeers` with no inbound link evictable, the
   * youngest unprotected outbound link beyond the outbound slots. Returns the peers left.
   */
  private evictOverCap(peers: Peer[]): Peer[] {
    const inboundCap = this.o.maxPeers - this.slots;
    for (;;) {
      const inbound = peers.filter((p) => !p.outbound);
      if (inbound.length <= inboundCap && peers.length <= this.o.maxPeers) return peers;
      let victim = this.evictionCandidate(inbound, peers);
      if (!victim && peers.length > this.o.maxPeers) {
        const extra = peers.filter((p) => p.outbound && !this.isProtected(p, peers));
        if (peers.filter((p) => p.outbound).length > this.slots && extra.length) victim = extra.reduce((a, b) => (b.since > a.since ? b : a));
      }
      if (!victim) return peers;
      this.stats.dropsOverCap++;
      this.stats.evictions++;
      this.host.drop(victim, ByeReason.OVER_CAPACITY, `over the cap of ${this.o.maxPeers} peers (${inboundCap} inbound)`);
      peers = this.host.peers();
    }
  }

  /**
   * The inbound link to evict, or null if every one is protected: certified peers, a thin node's
   * only tracing carrier, the PROTECT_NOVEL most recent providers of new blocks and the PROTECT_AGE
   * oldest links (each of distinct sources) are kept; of the rest, discouraged sources go first,
   * then the youngest link of the source with the most inbound links.
   */
  private evictionCandidate(inbound: Peer[], all: Peer[]): Peer | null {
    const now = this.ctx.clock.now();
    let cands = inbound.filter((p) => !this.isProtected(p, all));
    const keep = (sorted: Peer[], k: number) => {
      const sources = new Set<string>();
      for (const p of sorted) {
        if (sources.size >= k) break;
        if (sources.has(p.source)) continue;
        sources.add(p.source);
        cands = cands.filter((q) => q !== p);
      }
    };
    keep(cands.filter((p) => p.lastNovelAt > -Infinity).sort((a, b) => b.lastNovelAt - a.lastNovelAt || cmpLink(a, b)), PROTECT_NOVEL);
    keep([...cands].sort((a, b) => a.since - b.since || cmpLink(a, b)), PROTECT_AGE);
    if (!cands.length) return null;
    const discouraged = cands.filter((p) => this.host.sources.discouraged(p.source, now));
    if (discouraged.length) cands = discouraged;
    const bySource = new Map<string, Peer[]>();
    for (const p of inbound) {
      if (!cands.includes(p)) continue;
      const g = bySource.get(p.source);
      if (g) g.push(p);
      else bySource.set(p.source, [p]);
    }
    // the source with the most inbound links (all of them count, protected ones too)
    const count = (s: string) => inbound.filter((p) => p.source === s).length;
    let group: Peer[] = [];
    let most = -1;
    for (const [s, g] of bySource) {
      const n = count(s);
      if (n > most || (n === most && s < group[0].source)) {
        most = n;
        group = g;
      }
    }
    return group.reduce((a, b) => (b.since > a.since || (b.since === a.since && cmpLink(b, a) > 0) ? b : a));
  }

  /** Never evicted or rotated: a certified peer, and a thin node's only peer carrying the tracing chain. */
  private isProtected(p: Peer, peers: Peer[]): boolean {
    if (p.certified !== null) return true;
    return this.ctx.role === 'thin' && p.carries(Chain.TRACING) && peers.filter((q) => q.carries(Chain.TRACING)).length === 1;
  }

  /**
   * Up to `k` addresses to dial: from `discover(query)`, not connected, dialled, banned or backing
   * off; one at a time from the source this node has fewest peers (and dials) from, discouraged
   * sources only when nothing else is left.
   */
  private candidates(query: DiscoverQuery, peers: Peer[], k: number): string[] {
    const now = this.ctx.clock.now();
    const connected = new Set(peers.map((p) => p.addr).filter((a): a is string => a !== undefined));
    let list: string[];
    try {
      list = this.host.discover!(query.chain === undefined && !query.certified ? undefined : query);
    } catch (e) {
      this.ctx.emit({ type: 'dial_failed', addr: '', error: `discover() threw: ${(e as Error).message}` });
      return [];
    }
    const open = list.filter((a) => typeof a === 'string' && !connected.has(a) && !this.dialing.has(a) && !this.banned(a) && !((this.backoff.get(a)?.until ?? 0) > now));
    const have = new Map<string, number>();
    for (const p of peers) have.set(p.source, (have.get(p.source) ?? 0) + 1);
    for (const d of this.dialing.values()) have.set(d.source, (have.get(d.source) ?? 0) + 1);
    const pool = open.map((addr) => ({ addr, source: this.host.sourceOf(addr) }));
    const out: string[] = [];
    while (out.length < k && pool.length) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i < pool.length; i++) {
        const rank = (this.host.sources.discouraged(pool[i].source, now) ? 1e6 : 0) + (have.get(pool[i].source) ?? 0);
        if (rank < bestRank) {
          bestRank = rank;
          best = i;
        }
      }
      const [c] = pool.splice(best, 1);
      out.push(c.addr);
      have.set(c.source, (have.get(c.source) ?? 0) + 1);
    }
    return out;
  }

  private dial(addr: string, kind: { tracing?: boolean; certified?: boolean }): void {
    this.dialing.set(addr, { tracing: kind.tracing === true, certified: kind.certified === true, source: this.host.sourceOf(addr) });
    this.stats.dials++;
    let settled = false;
    const timer = this.ctx.clock.setTimeout(() => {
      if (settled) return;
      settled = true;
      this.dialing.delete(addr);
      this.failed(addr, `no link after ${this.o.dialTimeoutMs} ms`);
    }, this.o.dialTimeoutMs);
    let p: Promise<Link>;
    try {
      p = this.host.connect!(addr);
    } catch (e) {
      p = Promise.reject(e);
    }
    p.then(
      (link) => {
        if (settled || this.stopped) {
          link.close(this.stopped ? 'node stopped' : 'dial timed out');
          return;
        }
        settled = true;
        this.ctx.clock.clearTimeout(timer);
        this.dialing.delete(addr);
        this.failures = 0;
        this.backoff.delete(addr);
        this.host.attach(link, true, addr, kind.certified === true);
      },
      (e: unknown) => {
        if (settled) return;
        settled = true;
        this.ctx.clock.clearTimeout(timer);
        this.dialing.delete(addr);
        this.failed(addr, (e as Error)?.message ?? String(e));
      },
    );
  }

  /** A dialled peer turned out useless (it did not prove the certified key it was dialled for): back off from it as from a failed dial. */
  failedAfterDial(addr: string, why: string): void {
    this.failed(addr, why);
  }

  private failed(addr: string, why: string): void {
    const now = this.ctx.clock.now();
    this.stats.dialFailures++;
    this.failures++;
    const b = this.backoff.get(addr) ?? { failures: 0, until: 0 };
    b.failures++;
    b.until = now + Math.min(this.o.backoffMaxMs, this.o.backoffBaseMs * 2 ** (b.failures - 1));
    this.backoff.set(addr, b);
    this.nextDialAt = now + this.jitter(Math.min(this.o.backoffMaxMs, this.o.backoffBaseMs * 2 ** (this.failures - 1)));
    this.ctx.emit({ type: 'dial_failed', addr, error: why });
  }

  stop(): void {
    this.stopped = true;
  }
}

/** A deterministic tie-break between two peers (by link id). */
function cmpLink(a: Peer, b: Peer): number {
  return a.link.id < b.link.id ? -1 : a.link.id > b.link.id ? 1 : 0;
}

/**
 * The mesh (docs/NET.md §Mesh): a bounded, randomised set of peers. Every tick it
 *
 * - drops random extra links when over the hard cap `maxPeers` (never a thin node's only peer
 *   that carries the tracing chain);
 * - keeps a thin node connected to at least one peer that carries the tracing chain (to hand its
 *   uploads to);
 * - dials candidates from the injected `discover()` until `target` peers, skipping banned
 *   addresses and addresses in backoff; dead peers are replaced the same way;
 * - backs off exponentially after failed dials (per address and overall), capped at `backoffMaxMs`;
 * - rotates: every `rotateMs` (±25%) a node at its target drops one random peer, so partitions
 *   heal and no fixed set of neighbours can surround a node for long.
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

/** Mesh settings. @example new NetNode({ …, mesh: { target: 8, maxPeers: 12 } }) */
export interface MeshOptions {
  /** Peers a node tries to keep. */
  target: number;
  /** Hard cap on links (far below a browser's ~500 connections). */
  maxPeers: number;
  /** A node at its target drops one random peer this often (±25%), ms; 0 = never. */
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
  target: 6,
  maxPeers: 12,
  rotateMs: 60_000,
  dialTimeoutMs: 10_000,
  backoffBaseMs: 1_000,
  backoffMaxMs: 60_000,
  helloTimeoutMs: 10_000,
};

/** What the mesh needs from the node. @example { peers: () => [...], attach, drop, connect, discover } */
export interface MeshHost {
  /** Every open peer, HELLO or not. */
  peers(): Peer[];
  attach(link: Link, outbound: boolean, addr: string): void;
  drop(peer: Peer, reason: ByeReasonCode, text: string): void;
  connect?: (addr: string) => Promise<Link>;
  discover?: (opts?: { chain?: ChainId }) => string[];
}

/**
 * Keeps the peer set within bounds. See the module comment.
 * @example if (!mesh.banned(addr)) attach(link)
 */
export class Mesh {
  private readonly dialing = new Map<string, { tracing: boolean }>();
  private readonly backoff = new Map<string, { failures: number; until: number }>();
  private readonly bans = new Map<string, number>();
  private failures = 0;
  private nextDialAt = 0;
  private nextRotateAt: number;
  private stopped = false;
  readonly stats = { dials: 0, dialFailures: 0, dropsOverCap: 0, rotations: 0 };

  constructor(
    private readonly ctx: NetContext,
    private readonly host: MeshHost,
    private readonly o: MeshOptions,
  ) {
    if (!(o.target >= 1 && o.maxPeers >= o.target)) throw new RangeError(`mesh: need 1 ≤ target ≤ maxPeers, got target ${o.target}, maxPeers ${o.maxPeers}`);
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
    let peers = this.host.peers();
    if (peers.length > this.o.maxPeers) {
      const extra = this.ctx.rng.shuffle(peers.filter((p) => !this.isProtected(p, peers))).slice(0, peers.length - this.o.maxPeers);
      for (const p of extra) {
        this.stats.dropsOverCap++;
        this.host.drop(p, ByeReason.OVER_CAPACITY, `over the cap of ${this.o.maxPeers} peers`);
      }
      peers = this.host.peers();
    }
    if (!this.host.connect || !this.host.discover) return;
    if (this.ctx.role === 'thin' && now >= this.nextDialAt) {
      const has = peers.some((p) => p.carries(Chain.TRACING) || (!p.ready && p.outbound)) || [...this.dialing.values()].some((d) => d.tracing);
      if (!has) {
        const [c] = this.candidates({ chain: Chain.TRACING }, peers);
        if (c) this.dial(c, true);
      }
    }
    const missing = this.o.target - peers.length - this.dialing.size;
    if (missing > 0 && now >= this.nextDialAt) {
      for (const addr of this.candidates({}, peers).slice(0, missing)) this.dial(addr, false);
    }
    if (this.o.rotateMs > 0 && now >= this.nextRotateAt) {
      this.nextRotateAt = now + this.jitter(this.o.rotateMs);
      const ready = peers.filter((p) => p.ready && !this.isProtected(p, peers));
      if (peers.length >= this.o.target && ready.length) {
        this.stats.rotations++;
        this.host.drop(this.ctx.rng.pick(ready), ByeReason.ROTATION, 'rotating peers');
      }
    }
  }

  /** A thin node's only peer carrying the tracing chain is kept. */
  private isProtected(p: Peer, peers: Peer[]): boolean {
    return this.ctx.role === 'thin' && p.carries(Chain.TRACING) && peers.filter((q) => q.carries(Chain.TRACING)).length === 1;
  }

  private candidates(opts: { chain?: ChainId }, peers: Peer[]): string[] {
    const now = this.ctx.clock.now();
    const connected = new Set(peers.map((p) => p.addr).filter((a): a is string => a !== undefined));
    let list: string[];
    try {
      list = this.host.discover!(opts.chain === undefined ? undefined : opts);
    } catch (e) {
      this.ctx.emit({ type: 'dial_failed', addr: '', error: `discover() threw: ${(e as Error).message}` });
      return [];
    }
    return list.filter((a) => typeof a === 'string' && !connected.has(a) && !this.dialing.has(a) && !this.banned(a) && !((this.backoff.get(a)?.until ?? 0) > now));
  }

  private dial(addr: string, tracing: boolean): void {
    this.dialing.set(addr, { tracing });
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
        this.host.attach(link, true, addr);
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

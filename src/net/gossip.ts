/**
 * Gossip of blocks (docs/NET.md §Gossip): announce-then-pull with a seen-cache.
 *
 * - When the ledger accepts a block (own publish, fetched, or released from the pending pool),
 *   its id is announced (INV, batched) to every ready peer that carries its chain — and a case
 *   block of the tracing chain to every ready peer (a thin one holds them: PROTOCOL §15 item 34) — except the
 *   peer it came from and peers known to have it. Nothing is announced before `added`, so nothing
 *   invalid is ever forwarded.
 * - On INV, ids not seen, not stored and not in flight are wanted; each wanted id is asked (GET)
 *   of one announcer at a time, at most `maxInflight` ids per peer; a request fails when the peer
 *   has delivered nothing for `requestTimeoutMs`, or has answered a later request (peers serve in
 *   order) more than `reorderGraceMs` ago; then it is asked of another announcer.
 * - A BLOCK body (chunks reassembled) is checked against its id and given to `ledger.add`
 *   (serialised): `pending` → the missing parents are asked of the same peer; an invalid block
 *   scores the sender down; a block that fails only because this node's authority state is behind
 *   (unknown epoch, uncertified signer) is parked and retried when an authority statement arrives.
 * - GETs are served from the ledger one block at a time, only when the peer's bulk queue is empty
 *   (back-pressure): a slow link slows the server down, it never drops a block.
 * - Uploads received (BLOCK flagged UPLOAD, a thin node's own block) are checked and added like
 *   fetched blocks and answered with a RECEIPT; the sending side is `upload.ts`.
 *
 * @example
 * const g = new Gossip(ctx, DEFAULT_GOSSIP);
 * ledger.onBlock((e, b) => g.accepted(e, b));
 * @module
 */
import { equal, fromHex, toHex } from '../core/bytes.ts';
import { CodecError, RejectError, StoreFault } from '../core/errors.ts';
import { Kind, type Block } from '../core/codec/block.ts';
import type { Entry } from '../core/ledger/ledger.ts';
import { isCaseBlock } from '../core/ledger/cases.ts';
import { Chain, type ChainId } from '../core/types.ts';
import type { NetContext } from './context.ts';
import {
  blockFrames, MAX_IDS, ProtocolError, ReceiptStatus, sortIds, type BlockFrame, type GetFrame, type InvFrame, type NotFoundFrame,
  type ReceiptStatusCode,
} from './frames.ts';
import { LruSet } from './lru.ts';
import type { Peer } from './peer.ts';
import { Penalty } from './scores.ts';

/** Gossip settings. @example new NetNode({ …, gossip: { maxInflight: 32 } }) */
export interface GossipOptions {
  /** Most ids asked of one peer and not yet received. */
  maxInflight: number;
  /** A request fails when its peer has delivered nothing new (no new chunk, no NOTFOUND of an asked id) for this long, ms. */
  requestTimeoutMs: number;
  /**
   * A request this old moves to another source of the block that has a free request slot, whatever
   * the first peer delivers meanwhile (a peer that trickles chunks cannot hold a block back), ms.
   */
  stallMs: number;
  /** …or when a later request to the same peer was answered this long ago (peers serve in order), ms. */
  reorderGraceMs: number;
  /** Peers tried for one id before giving up (sync finds it again later). */
  maxTries: number;
  /** INVs are batched for this long, ms. */
  invDelayMs: number;
  /** Size of the seen-cache (ids stored, or known to be unacceptable). */
  seenCache: number;
  /** Most ids wanted at once (all peers together). */
  maxWants: number;
  /**
   * Most wanted ids one peer may be a source of: ids it announced beyond this are ignored (sync
   * offers them again once some are fetched), so one peer cannot fill `maxWants` for everyone.
   */
  maxWantsPerPeer: number;
  /**
   * Most bytes, and blocks, one peer's blocks may occupy in the ledger's pending pool (waiting for
   * parents or a CA statement); beyond, its oldest held block is dropped (it can be fetched again).
   */
  maxHeldBytesPerPeer: number;
  maxHeldPerPeer: number;
  /** A partial block with no new chunk for this long is dropped, ms. */
  partialTimeoutMs: number;
  /** A parked block (authority state behind) gets its last try after this long, ms. */
  deferMs: number;
  /** Most bytes of parked blocks. */
  maxDeferredBytes: number;
  /**
   * Most bytes of parked blocks from one source (src/net/sources.ts), across its links and after
   * they close; beyond, its oldest parked block goes (issue 17 finding 7).
   */
  maxDeferredBytesPerSource: number;
}

/** @example DEFAULT_GOSSIP.maxInflight === 128 */
export const DEFAULT_GOSSIP: GossipOptions = {
  maxInflight: 128,
  requestTimeoutMs: 5_000,
  stallMs: 15_000,
  reorderGraceMs: 1_000,
  maxTries: 6,
  invDelayMs: 5,
  seenCache: 65_536,
  maxWants: 200_000,
  maxWantsPerPeer: 16_384,
  maxHeldBytesPerPeer: 8 * 1024 * 1024,
  maxHeldPerPeer: 2_048,
  partialTimeoutMs: 30_000,
  deferMs: 60_000,
  maxDeferredBytes: 8 * 1024 * 1024,
  maxDeferredBytesPerSource: 1024 * 1024,
};

/** Reject codes no honest node can disagree on: the sender is at fault. */
const HARD = new Set(['parent_time', 'bad_signature', 'bad_body', 'region', 'parent_chain']);
/**
 * Reject codes that may only mean this node's authority state is behind: an epoch key, a
 * certificate or the policy (its proof-of-work bits) not received yet.
 */
const DEFER = new Set(['unknown_epoch', 'unauthorized', 'pow']);
/** Request slots beyond `maxInflight` kept for the notification chain, which carries the authority state every other block is judged by. */
const NOTIFICATION_RESERVE = 64;
/** Reject codes that will never change for this block: remember, never fetch again, no blame. */
const FINAL = new Set(['expired', 'epoch_conflict']);
const AUTHORITY_KINDS = new Set<number>([Kind.CERTIFICATE, Kind.REVOCATION, Kind.EPOCH_KEY, Kind.POLICY]);

interface Want {
  hex: string;
  id: Uint8Array;
  chain: ChainId;
  sources: Peer[];
  asked: Peer | null;
  last: Peer | null;
  tries: number;
}

type Mode = 'fetch' | 'upload' | 'retry' | 'final';

/** Counters of the gossip engine. @example node.stats().gossip.bodies */
export interface GossipStats {
  bodies: number;
  duplicateBodies: number;
  requested: number;
  retries: number;
  timeouts: number;
  notFound: number;
  invalid: number;
  deferred: number;
  invSent: number;
  /** Uploads received from peers and given to the ledger. */
  uploadsServed: number;
  wantsDropped: number;
  /** Announced ids ignored because their announcer was at its `maxWantsPerPeer` budget. */
  wantsOverBudget: number;
  /** Pending blocks dropped because their sender was over its held budget. */
  heldEvicted: number;
  /** Parked blocks dropped because their source was over its share, or to make room for another source's. */
  parkedEvicted: number;
}

/**
 * The gossip engine of one node. See the module comment.
 * @example gossip.want(ids, Chain.TRACING, peer)
 */
export class Gossip {
  readonly stats: GossipStats = { bodies: 0, duplicateBodies: 0, requested: 0, retries: 0, timeouts: 0, notFound: 0, invalid: 0, deferred: 0, invSent: 0, uploadsServed: 0, wantsDropped: 0, wantsOverBudget: 0, heldEvicted: 0, parkedEvicted: 0 };
  /** Called for every block the ledger accepts, with the peer it came from (null: local). */
  onAccepted?: (e: Entry, block: Block, via: Peer | null) => void;
  private readonly seen: LruSet;
  private readonly rejected = new LruSet(16_384);
  private readonly held = new LruSet(4_096);
  /** Pending blocks → the peer whose held budget they use. */
  private readonly heldBy = new Map<string, Peer>();
  private readonly adding = new Set<string>();
  private readonly wants = new Map<string, Want>();
  /** Parked blocks (oldest first), the peer that sent each, and its source. */
  private readonly deferred = new Map<string, { bytes: Uint8Array; peer: Peer; source: string; at: number }>();
  private deferredBytes = 0;
  private invTimer: unknown = null;
  private retryTimer: unknown = null;
  /** Blocks being given to the ledger → the peer they came from. */
  private readonly sourceOf = new Map<string, Peer>();
  private stopped = false;

  constructor(
    private readonly ctx: NetContext,
    private readonly o: GossipOptions,
  ) {
    this.seen = new LruSet(o.seenCache);
  }

  /** Stored, being stored, held for parents, or known to be unacceptable. */
  private known(hex: string): boolean {
    return this.ctx.ledger.has(hex) || this.adding.has(hex) || this.held.has(hex) || this.rejected.has(hex) || this.seen.has(hex);
  }

  /** Ids wanted and not yet stored. */
  get wanted(): number {
    return this.wants.size;
  }

  // ───────────────────────── announce ─────────────────────────

  /** The ledger accepted a block: announce it (the ledger's onBlock listener). */
  accepted(e: Entry, block: Block): void {
    // the peer that sent this very block (or, for a block released from the pending pool, the one that
    // sent it then): never whoever's block happens to be in the ledger at the moment (an own role's
    // block accepted meanwhile is local, and must be announced to that peer too)
    const via = this.sourceOf.get(e.hex) ?? this.heldBy.get(e.hex) ?? null;
    this.seen.add(e.hex);
    this.held.delete(e.hex);
    this.unchargeHeld(e.hex);
    this.forget(e.hex);
    const isCase = isCaseBlock(e.chain, e.kind);
    for (const p of this.ctx.readyPeers()) {
      const scope = p === via ? null : this.ctx.exchanges(p, e.chain);
      if (!scope || (scope === 'cases' && !isCase) || p.known.has(e.hex)) continue;
      p.known.add(e.hex);
      let batch = p.invBatch.get(e.chain);
      if (!batch) p.invBatch.set(e.chain, (batch = []));
      batch.push(e.id);
    }
    if (this.invTimer === null && !this.stopped) this.invTimer = this.ctx.clock.setTimeout(() => this.flushInv(), this.o.invDelayMs);
    if (AUTHORITY_KINDS.has(block.kind) && this.deferred.size && this.retryTimer === null && !this.stopped) {
      this.retryTimer = this.ctx.clock.setTimeout(() => {
        this.retryTimer = null;
        this.retryDeferred(false);
      }, 0);
    }
    this.onAccepted?.(e, block, via);
  }

  private flushInv(): void {
    this.invTimer = null;
    for (const p of this.ctx.readyPeers()) {
      for (const [chain, ids] of p.invBatch) {
        for (let i = 0; i < ids.length; i += MAX_IDS) {
          this.stats.invSent++;
          this.ctx.send(p, { type: 'inv', chain, ids: sortIds(ids.slice(i, i + MAX_IDS)) }, { droppable: true });
        }
      }
      p.invBatch.clear();
    }
  }

  // ───────────────────────── pull ─────────────────────────

  /** A peer announced ids. */
  onInv(peer: Peer, f: InvFrame): void {
    if (!this.ctx.exchanges(peer, f.chain)) {
      const who = this.ctx.carries(f.chain) ? 'the peer said it does not carry' : 'this node said it does not carry';
      this.ctx.penalize(peer, 'protocol', Penalty.PROTOCOL, `INV of chain ${f.chain}, which ${who}`);
      return;
    }
    for (const id of f.ids) peer.known.add(toHex(id));
    this.want(f.ids, f.chain, peer);
  }

  /**
   * Fetch these ids of `chain`: from `from` (it has them), or from any ready peer carrying the
   * chain when `from` is null. Ids already known or in flight are skipped (deduplication).
   */
  want(ids: Uint8Array[], chain: ChainId, from: Peer | null): void {
    const touched = new Set<Peer>();
    const all = from ? [from] : this.ctx.rng.shuffle(this.ctx.readyPeers().filter((p) => this.ctx.exchanges(p, chain) === 'all'));
    if (!all.length) return;
    for (const id of ids) {
      const hex = toHex(id);
      if (this.known(hex)) continue;
      let w = this.wants.get(hex);
      // each source spends one unit of its own budget: a peer's announcements never crowd out another's
      const fresh = all.filter((s) => !w?.sources.includes(s));
      const within = fresh.filter((s) => s.wantCount < this.o.maxWantsPerPeer);
      if (within.length < fresh.length) this.stats.wantsOverBudget += fresh.length - within.length;
      if (!w) {
        if (!within.length) continue;
        if (this.wants.size >= this.o.maxWants) {
          this.stats.wantsDropped++;
          continue;
        }
        w = { hex, id: id.slice(), chain, sources: [], asked: null, last: null, tries: 0 };
        this.wants.set(hex, w);
      }
      for (const s of within) {
        w.sources.push(s);
        s.wantCount++;
        if (!w.asked) this.queueOn(s, w);
      }
      if (!w.asked) {
        const p = this.assign(w);
        if (p) touched.add(p);
      }
    }
    this.flushGets(touched);
  }

  /** Most ids in flight at one peer for a want of this chain (notification blocks jump the queue). */
  private capacity(chain: ChainId): number {
    return this.o.maxInflight + (chain === Chain.NOTIFICATION ? NOTIFICATION_RESERVE : 0);
  }

  /** Wait for a free request slot at `s` (notification-chain wants first). */
  private queueOn(s: Peer, w: Want): void {
    (w.chain === Chain.NOTIFICATION ? s.waitingFirst : s.waiting).push(w.hex);
  }

  /** Ask a want of its best source (fewest requests in flight, preferring not the last one tried). */
  private assign(w: Want): Peer | null {
    let best: Peer | null = null;
    const cap = this.capacity(w.chain);
    for (const pass of [0, 1]) {
      for (const s of w.sources) {
        if (!s.ready || s.requested.size >= cap) continue;
        if (pass === 0 && s === w.last && w.sources.length > 1) continue;
        if (!best || s.requested.size < best.requested.size) best = s;
      }
      if (best) break;
    }
    if (best) this.ask(w, best);
    return best;
  }

  private ask(w: Want, p: Peer): void {
    p.requested.set(w.hex, this.ctx.clock.now());
    p.asked.add(w.hex);
    w.asked = p;
    w.last = p;
    p.getBatch.push(w.id);
    this.stats.requested++;
  }

  private flushGets(peers: Iterable<Peer>): void {
    for (const p of peers) {
      if (!p.getBatch.length || p.closed) continue;
      const ids = sortIds(p.getBatch);
      p.getBatch = [];
      for (let i = 0; i < ids.length; i += MAX_IDS) this.ctx.send(p, { type: 'get', ids: ids.slice(i, i + MAX_IDS) });
    }
  }

  /** Ask more of `peer` once half its request window is free (notification-chain wants first). */
  private refill(peer: Peer): void {
    if (peer.closed) return;
    const take = (list: string[], cap: number): string[] => {
      let i = 0;
      for (; i < list.length && peer.requested.size < cap; i++) {
        const w = this.wants.get(list[i]);
        if (!w || w.asked || !w.sources.includes(peer)) continue;
        this.ask(w, peer);
      }
      return i ? list.slice(i) : list;
    };
    // Refill at half the window, for both queues: refilling on every arrival sends one GET per
    // block, and a thin node syncing thousands of notification blocks then trips the serving
    // peer's frame-rate limit and is banned (seen in the reload test, test/e2e/mesh.test.ts).
    if (peer.waitingFirst.length && peer.requested.size <= this.capacity(Chain.NOTIFICATION) / 2) {
      peer.waitingFirst = take(peer.waitingFirst, this.capacity(Chain.NOTIFICATION));
    }
    if (peer.requested.size <= this.o.maxInflight / 2) peer.waiting = take(peer.waiting, this.o.maxInflight);
    this.flushGets([peer]);
  }

  /** A want's request failed: free it and ask another source (or the same, later). */
  private unask(w: Want, dropSource: Peer | null, touched: Set<Peer>): void {
    if (w.asked) {
      w.asked.requested.delete(w.hex);
      w.asked.reassembler.drop(w.hex);
      w.asked = null;
    }
    if (dropSource) this.dropSource(w, dropSource);
    if (!w.sources.length || w.tries >= this.o.maxTries) {
      this.deleteWant(w);
      this.stats.wantsDropped++;
      return;
    }
    for (const s of w.sources) this.queueOn(s, w);
    this.stats.retries++;
    const p = this.assign(w);
    if (p) touched.add(p);
  }

  /** `p` is no longer a source of `w`: give back its unit of want budget. */
  private dropSource(w: Want, p: Peer): void {
    const i = w.sources.indexOf(p);
    if (i < 0) return;
    w.sources.splice(i, 1);
    p.wantCount--;
  }

  /** Forget a want, giving every source back its unit of want budget. */
  private deleteWant(w: Want): void {
    if (this.wants.get(w.hex) !== w) return;
    this.wants.delete(w.hex);
    for (const s of w.sources) s.wantCount--;
    w.sources = [];
  }

  /** A want is satisfied (stored, or will never be): free its request slot. */
  private forget(hex: string): void {
    const w = this.wants.get(hex);
    if (!w) return;
    this.deleteWant(w);
    if (w.asked) {
      w.asked.requested.delete(hex);
      this.refill(w.asked);
    }
  }

  /** The peer does not have these ids. */
  onNotFound(peer: Peer, f: NotFoundFrame): void {
    const touched = new Set<Peer>();
    for (const id of f.ids) {
      const hex = toHex(id);
      if (!peer.requested.has(hex)) continue;
      peer.lastProgress = this.ctx.clock.now(); // only an answer to an open request is progress
      this.stats.notFound++;
      peer.requested.delete(hex);
      const w = this.wants.get(hex);
      if (w && w.asked === peer) {
        w.asked = null;
        this.unask(w, peer, touched);
      }
    }
    this.flushGets(touched);
    this.refill(peer);
  }

  /** A BLOCK chunk arrived. */
  onChunk(peer: Peer, f: BlockFrame): void {
    const hex = toHex(f.id);
    const now = this.ctx.clock.now();
    if (f.upload) {
      if (this.ctx.ledger.has(hex)) {
        // acknowledge only once the copy here is durable (it may still be in its first write)
        if (f.index === 0) {
          const id = f.id;
          this.ctx.track(this.ctx.ledger.whenDurable(hex).then(() => {
            if (!peer.closed) this.ctx.send(peer, { type: 'receipt', id, status: ReceiptStatus.DUPLICATE });
          }));
        }
        return;
      }
      if (this.adding.has(hex) || this.rejected.has(hex)) return;
    } else if (!peer.requested.has(hex)) {
      // a late answer (after a timeout, or to a GET the network duplicated after a NOTFOUND) is welcome;
      // a copy of something already here is harmless; a block never asked of this peer is not
      if (this.known(hex)) return;
      if (!peer.asked.has(hex)) {
        this.ctx.penalize(peer, 'unsolicited', Penalty.UNSOLICITED, `BLOCK ${hex.slice(0, 16)}… was never asked of this peer`);
        return;
      }
    }
    // progress is new bytes: a chunk resent (or duplicated by the network), or one the partial budget
    // cannot take, does not keep requests alive
    if (!f.upload && peer.reassembler.accepts(f)) peer.lastProgress = now;
    let whole: Uint8Array | null;
    try {
      whole = peer.reassembler.push(f, now);
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      // over budget with blocks this node asked for is this node's doing: drop, the request times out and is retried
      if (e.code !== 'partial_budget' || f.upload) this.ctx.penalize(peer, e.code, Penalty.PROTOCOL, e.message);
      return;
    }
    if (!whole) return;
    peer.stats.bodiesIn++;
    this.stats.bodies++;
    const askedAt = peer.requested.get(hex);
    if (askedAt !== undefined && askedAt > peer.servedAskedAt) {
      peer.servedAskedAt = askedAt;
      peer.servedAt = now;
    }
    peer.requested.delete(hex);
    if (this.known(hex)) {
      this.stats.duplicateBodies++;
      this.refill(peer);
      return;
    }
    if (!equal(this.ctx.ledger.opts.crypto.sha256(whole), f.id)) {
      const w = this.wants.get(hex);
      if (w && w.asked === peer) {
        w.asked = null;
        const touched = new Set<Peer>();
        this.unask(w, peer, touched);
        this.flushGets(touched);
      }
      this.ctx.penalize(peer, 'wrong_id', Penalty.WRONG_ID, `BLOCK bytes hash to another id than ${hex.slice(0, 16)}…`);
      return;
    }
    this.process(peer, hex, whole, f.upload ? 'upload' : 'fetch');
    this.refill(peer);
  }

  /** Give a block to the ledger (serialised) and act on the outcome. */
  private process(peer: Peer, hex: string, bytes: Uint8Array, mode: Mode): void {
    this.adding.add(hex);
    this.ctx.track(this.ctx.serial(async () => {
      let receipt: ReceiptStatusCode | null = null;
      try {
        this.sourceOf.set(hex, peer);
        const r = await this.ctx.ledger.add(bytes);
        this.seen.add(hex);
        this.forget(hex);
        if (r.status === 'added') receipt = ReceiptStatus.STORED;
        else if (r.status === 'duplicate') receipt = ReceiptStatus.DUPLICATE;
        else {
          receipt = ReceiptStatus.HELD;
          this.seen.delete(hex);
          this.held.add(hex);
          if (!peer.closed) this.chargeHeld(peer, hex, bytes.length);
          if (!peer.closed) this.want(r.missing, bytes[1] as ChainId, peer);
        }
        if (mode === 'upload') this.stats.uploadsServed++;
      } catch (e) {
        receipt = this.failed(peer, hex, bytes, e, mode);
      } finally {
        this.sourceOf.delete(hex);
        this.adding.delete(hex);
      }
      if (mode === 'upload' && receipt !== null && !peer.closed) this.ctx.send(peer, { type: 'receipt', id: fromHex(hex), status: receipt });
    }));
  }

  /** A block was refused by the ledger: blame, park or remember, per the reason. Returns the receipt status for an upload. */
  private failed(peer: Peer, hex: string, bytes: Uint8Array, e: unknown, mode: Mode): ReceiptStatusCode | null {
    const code = e instanceof CodecError || e instanceof RejectError ? e.code : '';
    const what = `${code}: ${(e as Error)?.message ?? String(e)}`;
    if (e instanceof CodecError || (e instanceof RejectError && HARD.has(code))) {
      this.stats.invalid++;
      this.rejected.add(hex);
      this.forget(hex);
      this.ctx.penalize(peer, 'invalid_block', Penalty.INVALID_BLOCK, what);
      return null;
    }
    if (e instanceof StoreFault) {
      // this node's disk, not the peer: no blame, no receipt (the uploader tries another peer)
      this.forget(hex);
      this.ctx.fault(e);
      return null;
    }
    if (!(e instanceof RejectError)) {
      this.forget(hex);
      this.ctx.penalize(peer, 'handler_error', Penalty.HANDLER_ERROR, `ledger.add threw ${what}`);
      return null;
    }
    this.forget(hex);
    if (code === 'not_carried') {
      this.rejected.add(hex);
      if (mode === 'upload') this.ctx.penalize(peer, 'upload_not_carried', Penalty.UPLOAD_NOT_CARRIED, what);
      else this.ctx.penalize(peer, 'protocol', Penalty.PROTOCOL, `sent a block of a chain this node does not carry (${what})`);
      return ReceiptStatus.REFUSED;
    }
    if (FINAL.has(code)) {
      this.seen.add(hex);
      return ReceiptStatus.REFUSED;
    }
    if (DEFER.has(code) && mode !== 'final') {
      this.park(hex, bytes, peer, mode === 'retry');
      return ReceiptStatus.REFUSED;
    }
    if (code !== 'future') this.ctx.penalize(peer, 'soft_reject', Penalty.SOFT_REJECT, what); // a peer gone meanwhile: its source pays
    return ReceiptStatus.REFUSED;
  }

  /** `peer`'s block waits in the ledger's pending pool: charge its held budget, dropping its oldest held blocks beyond it. */
  private chargeHeld(peer: Peer, hex: string, n: number): void {
    for (const h of [...peer.held.keys()]) if (!this.ctx.ledger.isPending(h)) this.unchargeHeld(h, true); // released or evicted by the ledger
    this.unchargeHeld(hex);
    peer.held.set(hex, n);
    peer.heldBytes += n;
    this.heldBy.set(hex, peer);
    while (peer.held.size > this.o.maxHeldPerPeer || peer.heldBytes > this.o.maxHeldBytesPerPeer) {
      const oldest = peer.held.keys().next().value as string;
      this.unchargeHeld(oldest, true);
      this.ctx.ledger.forgetPending(oldest);
      this.stats.heldEvicted++;
    }
  }

  /** A held block left the pending pool (accepted, or dropped with `gone`: it may be fetched again). */
  private unchargeHeld(hex: string, gone = false): void {
    const p = this.heldBy.get(hex);
    if (gone) this.held.delete(hex);
    if (!p) return;
    this.heldBy.delete(hex);
    p.heldBytes -= p.held.get(hex) ?? 0;
    p.held.delete(hex);
  }

  /**
   * Keep a block that may become acceptable when the authority state catches up — within its
   * source's share (`maxDeferredBytesPerSource`, its oldest parked block dropped beyond) and the
   * pool's (`maxDeferredBytes`: the source with the most parked bytes loses its oldest), so no
   * source can fill the pool for the others (issue 17 finding 7).
   */
  private park(hex: string, bytes: Uint8Array, peer: Peer, again: boolean): void {
    const old = this.deferred.get(hex);
    if (old && again) {
      old.bytes = bytes;
      return;
    }
    if (bytes.length > Math.min(this.o.maxDeferredBytes, this.o.maxDeferredBytesPerSource)) return; // dropped: sync will offer it again
    const now = this.ctx.clock.now();
    const rec = this.ctx.sources.get(peer.source, now);
    while (rec.parked + bytes.length > this.o.maxDeferredBytesPerSource) this.evictParked(peer.source);
    while (this.deferredBytes + bytes.length > this.o.maxDeferredBytes) this.evictParked(this.largestParker());
    this.deferred.set(hex, { bytes, peer, source: peer.source, at: now });
    this.deferredBytes += bytes.length;
    rec.parked += bytes.length;
    this.stats.deferred++;
  }

  /** The source with the most parked bytes. */
  private largestParker(): string {
    const bytes = new Map<string, number>();
    for (const d of this.deferred.values()) bytes.set(d.source, (bytes.get(d.source) ?? 0) + d.bytes.length);
    let best = '';
    let most = -1;
    for (const [src, n] of bytes) if (n > most) [best, most] = [src, n];
    return best;
  }

  /** Drop the oldest parked block of `source` (it can be fetched again). */
  private evictParked(source: string): void {
    for (const [hex, d] of this.deferred) {
      if (d.source !== source) continue;
      this.unpark(hex);
      this.stats.parkedEvicted++;
      return;
    }
  }

  /** Re-try parked blocks; with `expiredOnly`, only those parked longer than `deferMs` (their last try). */
  private retryDeferred(expiredOnly: boolean): void {
    const now = this.ctx.clock.now();
    for (const [hex, d] of [...this.deferred]) {
      const last = now - d.at >= this.o.deferMs;
      if (expiredOnly && !last) continue;
      if (this.ctx.ledger.has(hex)) {
        this.unpark(hex);
        continue;
      }
      if (last) this.unpark(hex);
      this.process(d.peer, hex, d.bytes, last ? 'final' : 'retry');
    }
  }

  private unpark(hex: string): void {
    const d = this.deferred.get(hex);
    if (!d) return;
    this.deferred.delete(hex);
    this.deferredBytes -= d.bytes.length;
    this.ctx.sources.get(d.source, this.ctx.clock.now()).parked -= d.bytes.length;
  }

  // ───────────────────────── serve ─────────────────────────

  /** A peer asked for blocks. */
  onGet(peer: Peer, f: GetFrame, maxServeQueue: number): void {
    if (peer.serveQueue.length + f.ids.length > maxServeQueue) {
      this.ctx.penalize(peer, 'serve_overflow', Penalty.SERVE_OVERFLOW, `${peer.serveQueue.length + f.ids.length} block ids queued, limit ${maxServeQueue}`);
      return;
    }
    for (const id of f.ids) peer.serveQueue.push(id);
    this.serveNext(peer);
  }

  /** Load and queue the next requested blocks while the peer's bulk queue is empty. */
  serveNext(peer: Peer): void {
    if (peer.serving || peer.closed || !peer.serveQueue.length || !peer.bulkIdle) return;
    peer.serving = true;
    this.ctx.track((async () => {
      const missing: Uint8Array[] = [];
      try {
        while (!peer.closed && peer.bulkIdle && peer.serveQueue.length) {
          const id = peer.serveQueue.shift()!;
          const bytes = await this.ctx.ledger.get(id);
          if (bytes) {
            // it has it now (not before: a peer told NOTFOUND must still hear the INV when this node gets the block)
            peer.known.add(toHex(id));
            this.ctx.sendBulk(peer, blockFrames(id, bytes, false));
          } else missing.push(id);
        }
      } finally {
        peer.serving = false;
      }
      const ids = sortIds(missing);
      for (let i = 0; i < ids.length && !peer.closed; i += MAX_IDS) this.ctx.send(peer, { type: 'notfound', ids: ids.slice(i, i + MAX_IDS) });
      if (peer.serveQueue.length && peer.bulkIdle) this.serveNext(peer);
    })());
  }

  // ───────────────────────── peers and time ─────────────────────────

  /** A peer is gone: its requests go to other announcers. */
  peerClosed(peer: Peer): void {
    // its pending blocks stay in the ledger's pool (bounded there); they no longer count for anyone
    for (const h of peer.held.keys()) this.heldBy.delete(h);
    peer.held.clear();
    peer.heldBytes = 0;
    const touched = new Set<Peer>();
    for (const w of [...this.wants.values()]) {
      if (!w.sources.includes(peer)) continue;
      if (w.asked === peer) {
        w.asked = null;
        this.unask(w, peer, touched);
      } else {
        this.dropSource(w, peer);
        if (!w.sources.length && !w.asked) this.deleteWant(w);
      }
    }
    this.flushGets(touched);
  }

  /** Housekeeping: request timeouts, stale partial blocks, parked blocks' last try. */
  tick(peers: Peer[]): void {
    const now = this.ctx.clock.now();
    const touched = new Set<Peer>();
    for (const p of peers) {
      const expired: string[] = [];
      // a request fails when the peer has sent nothing for requestTimeoutMs, or when it has answered a
      // later request (it serves in order) more than `reorderGraceMs` ago: then this one was lost
      const overtaken = now - p.servedAt > this.o.reorderGraceMs;
      for (const [hex, at] of p.requested) {
        if (now - Math.max(at, p.lastProgress) > this.o.requestTimeoutMs || (overtaken && at < p.servedAskedAt) || (now - at > this.o.stallMs && this.otherSource(hex, p))) expired.push(hex);
      }
      for (const hex of expired) {
        this.stats.timeouts++;
        p.requested.delete(hex);
        p.reassembler.drop(hex);
        const w = this.wants.get(hex);
        if (!w || w.asked !== p) continue;
        w.asked = null;
        w.tries++;
        // try the others first: move this peer to the end
        w.sources = [...w.sources.filter((s) => s !== p), p];
        this.unask(w, null, touched);
      }
      p.reassembler.expire(now - this.o.partialTimeoutMs);
      if (expired.length) this.refill(p);
    }
    this.flushGets(touched);
    if (this.deferred.size) this.retryDeferred(true);
  }

  /** Does the want `hex` have a ready source other than `p` with a free request slot? */
  private otherSource(hex: string, p: Peer): boolean {
    const w = this.wants.get(hex);
    if (!w) return false;
    const cap = this.capacity(w.chain);
    return w.sources.some((s) => s !== p && s.ready && s.requested.size < cap);
  }

  /** Stop timers. */
  stop(): void {
    this.stopped = true;
    if (this.invTimer !== null) this.ctx.clock.clearTimeout(this.invTimer);
    if (this.retryTimer !== null) this.ctx.clock.clearTimeout(this.retryTimer);
    this.invTimer = this.retryTimer = null;
  }
}

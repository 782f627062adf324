/**
 * Range-based set reconciliation of a chain's block ids (docs/NET.md §Sync), after Meyer's
 * "Range-Based Set Reconciliation" and the negentropy protocol.
 *
 * Blocks are points in the (time, id) order. A SYNC frame covers consecutive ranges of that order;
 * each range carries either SKIP (nothing to do), a FINGERPRINT (count + first 16 bytes of SHA-256
 * over the range's ids in (time, id) order) or an IDLIST (all the sender's ids in the range).
 * The receiver answers each range:
 *
 * - SKIP → SKIP;
 * - FINGERPRINT equal to its own (same count, same hash) → SKIP;
 * - FINGERPRINT different → its own IDLIST if it has ≤ LEAF ids there, else BRANCH sub-ranges
 *   with their FINGERPRINTs (split by its own ids into equal counts);
 * - IDLIST → the set difference is known: it GETs the ids it lacks and INVs the ids the sender
 *   lacks, and answers SKIP. IDLIST ends the recursion — unless this side has more than LEAF ids
 *   there: then it answers BRANCH FINGERPRINT sub-ranges instead of offering them all, so the
 *   offer comes in bounded pieces as the peer asks (one short SYNC cannot make a node announce
 *   every block it holds).
 *
 * A SYNC frame with at least one FINGERPRINT range is always answered (an empty SYNC means "all
 * equal"); a SYNC frame without one is not. So two equal sets cost one frame each way, and any
 * difference costs O(log_BRANCH(n)) round trips.
 *
 * Fingerprint choice: SHA-256 over the sorted ids, not XOR. XOR (or sum) fingerprints can be
 * updated incrementally, but a peer that can mint valid blocks cheaply (trace batches need only
 * a day key and a little proof-of-work) could find by linear algebra a set of ids whose XOR equals
 * a range's fingerprint and make two different sets look equal, hiding blocks from sync. The hash
 * costs one SHA-256 pass over 32 bytes per id per level — a few ms for a 10,000-block day.
 *
 * @example
 * const open = openSync(index, Chain.TRACING, horizonSec, c.sha256);      // first frame
 * const { frames, need, offer } = reconcile(index, frame, c.sha256);        // each answer
 * @module
 */
import { compare, equal, toHex } from '../core/bytes.ts';
import type { Ledger, Entry } from '../core/ledger/ledger.ts';
import { Kind } from '../core/codec/block.ts';
import { CASE_KINDS, isCaseBlock } from '../core/ledger/cases.ts';
import { Chain, type ChainId } from '../core/types.ts';
import {
  compareToBound, FINGERPRINT_BYTES, MAX_BOUND, MAX_FRAME, MAX_IDS, MAX_RANGES, sortIds, syncHeaderBytes, syncRangeBytes,
  type Bound, type SyncFrame, type SyncRange,
} from './frames.ts';
import type { NetContext } from './context.ts';
import type { Peer } from './peer.ts';
import { Penalty, TokenBucket } from './scores.ts';
import type { Gossip } from './gossip.ts';

/** Ranges with at most this many ids are answered with an id list. @example LEAF_IDS === 64 */
export const LEAF_IDS = 64;
/** A differing range with more ids is split into this many sub-ranges. @example BRANCH === 16 */
export const BRANCH = 16;
/** The first frame of a sync sends an id list instead of a fingerprint when the sender has at most this many ids. @example OPEN_IDLIST === 16 */
export const OPEN_IDLIST = 16;

/** One block as sync sees it. @example { time: 1772500000, id } */
export interface SyncItem {
  time: number;
  id: Uint8Array;
}

function compareItems(a: SyncItem, b: SyncItem): number {
  return a.time - b.time || compare(a.id, b.id);
}

/**
 * The ids of one chain in (time, id) order, with range queries by bound. Appends are cheap
 * (sorting waits for the next query).
 * @example const ix = new SyncIndex(); ix.add(t, id); ix.slice(lo, hi)
 */
export class SyncIndex {
  private items: SyncItem[] = [];
  private hexes = new Set<string>();
  private unsorted = false;
  /** Items read so far by `at` and `fingerprintOf` (the work answering SYNC frames did; `syncWork` bounds it). */
  reads = 0;

  get size(): number {
    return this.items.length;
  }
  has(hex: string): boolean {
    return this.hexes.has(hex);
  }
  /** Add an id (ignored if present). */
  add(time: number, id: Uint8Array): void {
    const hex = toHex(id);
    if (this.hexes.has(hex)) return;
    this.hexes.add(hex);
    const it = { time, id };
    const last = this.items[this.items.length - 1];
    if (last && compareItems(last, it) > 0) this.unsorted = true;
    this.items.push(it);
  }
  /** Replace the content with a ledger's entries. */
  reset(entries: Iterable<Entry>): void {
    this.items = [];
    this.hexes.clear();
    this.unsorted = false;
    for (const e of entries) this.add(e.time, e.id);
  }
  private sorted(): SyncItem[] {
    if (this.unsorted) {
      this.items.sort(compareItems);
      this.unsorted = false;
    }
    return this.items;
  }
  private lowerIndex(b: Bound): number {
    const a = this.sorted();
    let lo = 0;
    let hi = a.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareToBound(a[mid].time, a[mid].id, b) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  /** How many items have lo ≤ (time, id) < hi (no copy: O(log n)). */
  count(lo: Bound, hi: Bound): number {
    return Math.max(0, this.lowerIndex(hi) - this.lowerIndex(lo));
  }
  /** Items with lo ≤ (time, id) < hi. */
  slice(lo: Bound, hi: Bound): SyncItem[] {
    const [i, j] = this.span(lo, hi);
    return this.sorted().slice(i, j);
  }
  /** Positions [i, j) of the items with lo ≤ (time, id) < hi, without copying them (O(log n)). */
  span(lo: Bound, hi: Bound): [number, number] {
    const i = this.lowerIndex(lo);
    return [i, Math.max(i, this.lowerIndex(hi))];
  }
  /** The items at positions [i, j) (a copy of j − i references). */
  at(i: number, j: number): SyncItem[] {
    this.reads += j - i;
    return this.sorted().slice(i, j);
  }
  /** `fingerprint` of the items at positions [i, j), hashed in place. */
  fingerprintOf(sha256: (d: Uint8Array) => Uint8Array, i: number, j: number): Uint8Array {
    const a = this.sorted();
    this.reads += j - i;
    const buf = new Uint8Array(32 * (j - i));
    for (let k = i; k < j; k++) buf.set(a[k].id, 32 * (k - i));
    return sha256(buf).slice(0, FINGERPRINT_BYTES);
  }
}

/** First 16 bytes of SHA-256 over the ids, concatenated in the given order. @example fingerprint(c.sha256, items).length === 16 */
export function fingerprint(sha256: (d: Uint8Array) => Uint8Array, items: readonly SyncItem[]): Uint8Array {
  const buf = new Uint8Array(32 * items.length);
  for (let i = 0; i < items.length; i++) buf.set(items[i].id, 32 * i);
  return sha256(buf).slice(0, FINGERPRINT_BYTES);
}

/**
 * The shortest bound x with a < x ≤ b (a < b in (time, id) order).
 * @example boundBetween({ time: 1, id: a }, { time: 2, id: b }) // { time: 2, prefix: [] }
 */
export function boundBetween(a: SyncItem, b: SyncItem): Bound {
  if (a.time < b.time) return { time: b.time, prefix: new Uint8Array(0) };
  let k = 0;
  while (k < 31 && a.id[k] === b.id[k]) k++;
  return { time: b.time, prefix: b.id.slice(0, k + 1) };
}

/** Ranges (with their lower bounds) before packing into frames. */
interface Pending {
  lower: Bound;
  range: SyncRange;
}

/**
 * Pack ranges into canonical SYNC frames of at most MAX_FRAME bytes: adjacent SKIPs merge,
 * leading and trailing SKIPs are dropped; a frame that would be too big is split, the next one
 * starting at the lower bound of its first range. Returns [] if nothing but SKIP remains.
 * @example packSync(Chain.TRACING, ranges)
 */
export function packSync(chain: ChainId, ranges: Pending[]): SyncFrame[] {
  // merge adjacent skips
  const merged: Pending[] = [];
  for (const p of ranges) {
    const last = merged[merged.length - 1];
    if (p.range.mode === 'skip' && last && last.range.mode === 'skip') last.range = p.range;
    else merged.push({ lower: p.lower, range: p.range });
  }
  const frames: SyncFrame[] = [];
  let cur: Pending[] = [];
  let size = 0;
  const finish = () => {
    while (cur.length && cur[cur.length - 1].range.mode === 'skip') cur.pop();
    if (cur.length) frames.push({ type: 'sync', chain, start: cur[0].lower, ranges: cur.map((p) => p.range) });
    cur = [];
    size = 0;
  };
  for (const p of merged) {
    if (!cur.length) {
      if (p.range.mode === 'skip') continue;
      size = syncHeaderBytes(p.lower);
    }
    const n = syncRangeBytes(p.range);
    if (size + n > MAX_FRAME || cur.length >= MAX_RANGES) {
      finish();
      if (p.range.mode === 'skip') continue;
      size = syncHeaderBytes(p.lower);
    }
    cur.push(p);
    size += n;
  }
  finish();
  return frames;
}

/**
 * The first frame of a sync of `chain` over [fromSec, ∞): the whole window as one FINGERPRINT,
 * or as an IDLIST when this side has at most OPEN_IDLIST ids.
 * @example ctx.send(peer, openSync(index, Chain.NOTIFICATION, horizon, c.sha256))
 */
export function openSync(index: SyncIndex, chain: ChainId, fromSec: number, sha256: (d: Uint8Array) => Uint8Array): SyncFrame {
  const start: Bound = { time: Math.max(0, Math.min(0xfffffffe, Math.floor(fromSec))), prefix: new Uint8Array(0) };
  const items = index.slice(start, MAX_BOUND);
  const range: SyncRange = items.length <= OPEN_IDLIST
    ? { upper: MAX_BOUND, mode: 'idlist', ids: sortIds(items.map((i) => i.id)) }
    : { upper: MAX_BOUND, mode: 'fingerprint', count: items.length, fingerprint: fingerprint(sha256, items) };
  return { type: 'sync', chain, start, ranges: [range] };
}

/** What answering one SYNC frame gives. @example const { frames, need, offer, final } = reconcile(ix, f, sha) */
export interface Reconciled {
  /** Frames to send back (may be empty). */
  frames: SyncFrame[];
  /** Ids the peer has and this side lacks (fetch them). */
  need: Uint8Array[];
  /** Ids this side has and the peer lacks (announce them). */
  offer: Uint8Array[];
  /** The frame had a FINGERPRINT range, so it must be answered (with an empty SYNC if `frames` is empty). */
  mustAnswer: boolean;
  /** The answer has no FINGERPRINT range: the exchange ends here. */
  final: boolean;
}

/**
 * Answer one SYNC frame against this side's index (pure: no I/O, no state).
 * @example const r = reconcile(index, frame, c.sha256); for (const f of r.frames) send(f);
 */
export function reconcile(index: SyncIndex, frame: SyncFrame, sha256: (d: Uint8Array) => Uint8Array): Reconciled {
  const out: Pending[] = [];
  const need: Uint8Array[] = [];
  const offer: Uint8Array[] = [];
  let mustAnswer = false;
  let lower = frame.start;
  /** BRANCH sub-ranges of equal own count over positions [i, j), each with its FINGERPRINT (j − i > LEAF_IDS ≥ BRANCH). */
  const split = (i: number, j: number, from: Bound, to: Bound) => {
    const n = j - i;
    const mine = index.at(i, j);
    let lo = from;
    for (let k = 0; k < BRANCH; k++) {
      const a = Math.floor((k * n) / BRANCH);
      const b = Math.floor(((k + 1) * n) / BRANCH);
      const upper = k === BRANCH - 1 ? to : boundBetween(mine[b - 1], mine[b]);
      out.push({ lower: lo, range: { upper, mode: 'fingerprint', count: b - a, fingerprint: index.fingerprintOf(sha256, i + a, i + b) } });
      lo = upper;
    }
  };
  for (const r of frame.ranges) {
    if (r.mode === 'skip') {
      // nothing to do, and nothing is read: a SKIP costs the same whatever it spans (issue 17 finding 5)
      out.push({ lower, range: r });
      lower = r.upper;
      continue;
    }
    const [i, j] = index.span(lower, r.upper);
    const n = j - i;
    if (r.mode === 'fingerprint') {
      mustAnswer = true;
      // the count is known without hashing: only an equal count needs the hash
      if (n === r.count && equal(index.fingerprintOf(sha256, i, j), r.fingerprint)) {
        out.push({ lower, range: { upper: r.upper, mode: 'skip' } });
      } else if (n <= LEAF_IDS) {
        out.push({ lower, range: { upper: r.upper, mode: 'idlist', ids: sortIds(index.at(i, j).map((it) => it.id)) } });
      } else {
        split(i, j, lower, r.upper);
      }
    } else if (n > LEAF_IDS) {
      // an id list against many ids here: take what they have (each looked up, not the range's ids
      // listed), and offer ours piece by piece
      for (const id of r.ids) if (!index.has(toHex(id))) need.push(id);
      split(i, j, lower, r.upper);
    } else {
      const theirs = new Set(r.ids.map(toHex));
      const ours = new Set<string>();
      for (const it of index.at(i, j)) {
        const h = toHex(it.id);
        ours.add(h);
        if (!theirs.has(h)) offer.push(it.id);
      }
      for (const id of r.ids) if (!ours.has(toHex(id))) need.push(id);
      out.push({ lower, range: { upper: r.upper, mode: 'skip' } });
    }
    lower = r.upper;
  }
  const frames = packSync(frame.chain, out);
  const final = !frames.some((f) => f.ranges.some((r) => r.mode === 'fingerprint'));
  return { frames, need, offer, mustAnswer, final };
}

/**
 * The work answering `frame` costs this side: the ids it must hash or list (its ids in every
 * non-SKIP range), computed without touching them (O(ranges · log n)). A SKIP range costs one
 * unit whatever it spans: it is answered without reading the index. `reconcile` reads each id of
 * a non-SKIP range at most twice (hashed, then listed or split), so the items it reads are at most
 * twice this (test/unit/net-sync.test.ts, a property over random frames).
 * @example syncWork(index, frame) // 10_020 for a whole-window fingerprint of a city day
 */
export function syncWork(index: SyncIndex, frame: SyncFrame): number {
  let lower = frame.start;
  let n = frame.ranges.length;
  for (const r of frame.ranges) {
    if (r.mode !== 'skip') n += index.count(lower, r.upper);
    lower = r.upper;
  }
  return n;
}

/** Sync settings. @example new NetNode({ …, sync: { intervalMs: 10_000 } }) */
export interface SyncOptions {
  /** Anti-entropy: every node reconciles with one random peer this often (±25% jitter), ms. */
  intervalMs: number;
  /**
   * After the sync that opens a connection, reconcile again with the same peer this much later
   * (once; then again each time the chain grew meanwhile), so a frame lost in the first round
   * does not wait for anti-entropy. ms; 0 = never.
   */
  followUpMs: number;
  /** Most follow-up rounds per connection. */
  maxFollowUps: number;
  /**
   * Reconciliation work one peer may ask of this node: ids per second (see `syncWork`), saved up
   * to `workBurst`. A SYNC over budget is not answered and costs the peer a FLOOD penalty.
   */
  workPerSec: number;
  workBurst: number;
}
/** @example DEFAULT_SYNC.intervalMs === 30_000 */
export const DEFAULT_SYNC: SyncOptions = { intervalMs: 30_000, followUpMs: 5_000, maxFollowUps: 10, workPerSec: 50_000, workBurst: 2_000_000 };

/**
 * Runs reconciliation for a node: one SyncIndex per carried chain (kept current from the ledger),
 * opening syncs with peers, answering SYNC frames, handing needs to gossip and offers to the peer.
 * On a link where one side is thin, a SYNC of the tracing chain reconciles its case blocks only
 * (a second index, `cases`; docs/PROTOCOL.md §15 item 34): a thin node learns every case it missed
 * while offline, and asks for all of them, never for one.
 * @example const s = new Syncer(ctx, gossip); s.open(); s.start(peer);
 */
export class Syncer {
  private readonly indexes = new Map<ChainId, SyncIndex>();
  /** The tracing chain's case blocks (every node holds them), or null if this ledger holds none. */
  private cases: SyncIndex | null = null;
  private readonly followUps = new Map<Peer, { at: number; counts: Map<ChainId, number>; left: number; first: boolean }>();
  /** Last time a reconciliation of each chain ended (virtual ms). */
  readonly lastSyncAt = new Map<ChainId, number>();
  readonly stats = { opened: 0, framesIn: 0, framesOut: 0, offered: 0, needed: 0, overBudget: 0, idsRead: 0 };

  constructor(
    private readonly ctx: NetContext,
    private readonly gossip: Gossip,
    private readonly o: SyncOptions = DEFAULT_SYNC,
  ) {}

  /** Fill the indexes from the ledger. */
  open(): void {
    for (const chain of [Chain.NOTIFICATION, Chain.TRACING] as ChainId[]) {
      if (!this.ctx.carries(chain)) continue;
      const ix = new SyncIndex();
      ix.reset(this.ctx.ledger.entries(chain));
      this.indexes.set(chain, ix);
    }
    if (this.ctx.ledger.holds(Chain.TRACING, Kind.DIAGNOSIS)) {
      this.cases = new SyncIndex();
      this.cases.reset(this.caseEntries());
    }
  }

  private caseEntries(): Entry[] {
    return this.ctx.ledger.entries(Chain.TRACING).filter((e) => CASE_KINDS.has(e.kind));
  }

  /** A block was stored. */
  added(e: Entry): void {
    this.indexes.get(e.chain)?.add(e.time, e.id);
    if (isCaseBlock(e.chain, e.kind)) this.cases?.add(e.time, e.id);
  }

  /** The index reconciled with `peer` for `chain`: the whole chain, its case blocks, or none. */
  private indexFor(peer: Peer, chain: ChainId): SyncIndex | undefined {
    const scope = this.ctx.exchanges(peer, chain);
    if (scope === 'all') return this.index(chain);
    if (scope !== 'cases' || !this.cases) return undefined;
    if (this.ctx.ledger.count(Chain.TRACING, CASE_KINDS) < this.cases.size) this.cases.reset(this.caseEntries()); // pruned
    return this.cases;
  }

  private index(chain: ChainId): SyncIndex | undefined {
    const ix = this.indexes.get(chain);
    // the ledger prunes without telling anyone: rebuild when it holds fewer blocks than the index
    if (ix && this.ctx.ledger.count(chain) < ix.size) ix.reset(this.ctx.ledger.entries(chain));
    return ix;
  }

  private horizonSec(): number {
    const days = this.ctx.ledger.authority.policy.retentionDays;
    return Math.floor(this.ctx.clock.now() / 1000) - days * 86_400;
  }

  /**
   * Open a reconciliation with `peer` of every chain both carry (notification first: it holds the
   * authority state). With `followUp` (a new connection), rounds with the same peer follow.
   */
  start(peer: Peer, followUp = false): void {
    for (const chain of [Chain.NOTIFICATION, Chain.TRACING] as ChainId[]) this.openChain(peer, chain);
    if (followUp && this.o.followUpMs > 0 && this.o.maxFollowUps > 0) {
      this.followUps.set(peer, { at: this.ctx.clock.now() + this.o.followUpMs, counts: this.counts(), left: this.o.maxFollowUps, first: true });
    }
  }

  private openChain(peer: Peer, chain: ChainId): void {
    const ix = peer.closed ? undefined : this.indexFor(peer, chain);
    if (!ix) return;
    const f = openSync(ix, chain, this.horizonSec(), this.ctx.ledger.opts.crypto.sha256);
    this.stats.opened++;
    this.stats.framesOut++;
    this.ctx.send(peer, f);
    if (f.ranges[0].mode !== 'fingerprint') this.lastSyncAt.set(chain, this.ctx.clock.now());
  }

  private counts(): Map<ChainId, number> {
    const m = new Map([...this.indexes.keys()].map((c) => [c, this.ctx.ledger.count(c)]));
    if (this.cases && !m.has(Chain.TRACING)) m.set(Chain.TRACING, this.ctx.ledger.count(Chain.TRACING));
    return m;
  }

  /** Run due follow-up rounds: the first one always, later ones for chains that grew since the last. */
  tick(): void {
    const now = this.ctx.clock.now();
    let counts: Map<ChainId, number> | null = null;
    for (const [peer, f] of [...this.followUps]) {
      if (peer.closed) {
        this.followUps.delete(peer);
        continue;
      }
      if (now < f.at) continue;
      const current = (counts ??= this.counts());
      const chains = [...current.keys()].filter((c) => f.first || current.get(c) !== f.counts.get(c));
      if (!chains.length || --f.left < 0) {
        this.followUps.delete(peer);
        continue;
      }
      for (const c of [Chain.NOTIFICATION, Chain.TRACING] as ChainId[]) if (chains.includes(c)) this.openChain(peer, c);
      Object.assign(f, { at: now + this.o.followUpMs, counts: current, first: false });
    }
  }

  /** Answer a SYNC frame from `peer`. */
  onSync(peer: Peer, f: SyncFrame): void {
    this.stats.framesIn++;
    const ix = this.indexFor(peer, f.chain);
    if (!ix) {
      this.ctx.penalize(peer, 'protocol', Penalty.PROTOCOL, `SYNC of chain ${f.chain}, which ${this.ctx.carries(f.chain) ? 'the peer said it does not carry' : 'this node does not carry'}`);
      return;
    }
    // one budget per source, shared by its links: a new id of the same network gets no fresh burst (sources.ts)
    const rec = this.ctx.sources.get(peer.source, this.ctx.clock.now());
    const bucket = (rec.work ??= new TokenBucket(this.o.workPerSec, this.o.workBurst, this.ctx.clock.now()));
    const cost = syncWork(ix, f);
    if (!bucket.take(Math.min(cost, this.o.workBurst), this.ctx.clock.now())) {
      this.stats.overBudget++;
      this.ctx.penalize(peer, 'flood', Penalty.FLOOD, `SYNC asks for ${cost} ids of reconciliation work, over ${this.o.workPerSec}/s`);
      return;
    }
    const read0 = ix.reads;
    const r = reconcile(ix, f, this.ctx.ledger.opts.crypto.sha256);
    this.stats.idsRead += ix.reads - read0;
    this.stats.needed += r.need.length;
    this.stats.offered += r.offer.length;
    if (r.need.length) this.gossip.want(r.need, f.chain, peer);
    for (let i = 0; i < r.offer.length; i += MAX_IDS) {
      const ids = sortIds(r.offer.slice(i, i + MAX_IDS));
      for (const id of ids) peer.known.add(toHex(id));
      this.ctx.send(peer, { type: 'inv', chain: f.chain, ids }, { droppable: true });
    }
    const frames = r.frames.length || !r.mustAnswer ? r.frames : [{ type: 'sync' as const, chain: f.chain, start: f.start, ranges: [] }];
    for (const out of frames) {
      this.stats.framesOut++;
      this.ctx.send(peer, out);
    }
    if (r.final) this.lastSyncAt.set(f.chain, this.ctx.clock.now());
  }
}

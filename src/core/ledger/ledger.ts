/**
 * A node's view of one region's two chains: acceptance, storage, tips, pending blocks whose
 * parents are not here yet, retention pruning (docs/PROTOCOL.md §Ledger). Pure logic over an
 * injected BlockStore, so the same class runs in a browser thin node and a Node full node.
 *
 * - A block is accepted only if `checkBlock` passes and every parent is known or lies before the
 *   retention horizon (it may have been pruned). Otherwise it waits in a bounded pending pool,
 *   and `missingParents()` tells the network what to fetch. A case block's parents are neither
 *   checked nor awaited, on any node (docs/PROTOCOL.md §10.1).
 * - A node carries only some chains (a browser thin node: the notification chain); blocks of other
 *   chains are refused with RejectError('not_carried') — not a fault of the sender. Unless `cases` is false, a
 *   ledger that does not carry the tracing chain still holds its case blocks (cases.ts), with
 *   every rule checked.
 * - `add` resolves only after the store has made the block durable.
 *
 * @example
 * const ledger = new Ledger({ crypto: c, store, rootKey, region: 1, now: () => Date.now(), carries: [Chain.TRACING, Chain.NOTIFICATION] });
 * await ledger.open();
 * const r = await ledger.add(bytes); // { status: 'added', id }
 * @module
 */
import type { CryptoProvider } from '../crypto.ts';
import { toHex, compare } from '../bytes.ts';
import { RejectError, StoreFault } from '../errors.ts';
import { decodeBlock, Kind, powBitsOf, sortParents, type Block, type ParentRef } from '../codec/block.ts';
import { decodeCheckpoint, decodeTraceBatch } from '../codec/records.ts';
import type { BlockMeta, BlockStore } from '../store.ts';
import { Chain, type ChainId } from '../types.ts';
import { AuthorityState } from './authority.ts';
import { checkBlock, horizonSec, powBitsFor } from './rules.ts';
import { Standing, type StandingFacts } from './standing.ts';
import { isCaseBlock } from './cases.ts';

export interface LedgerOptions {
  crypto: CryptoProvider;
  store: BlockStore;
  /** The CA root public key (from the app's configuration). */
  rootKey: Uint8Array;
  region: number;
  /** Clock, ms since the Unix epoch. */
  now: () => number;
  /** Chains this node stores. */
  carries: ChainId[];
  /**
   * Also hold the case blocks (DIAGNOSIS, SELF_REPORT, WITHDRAWAL) of the tracing chain when it is
   * not carried (a thin node, docs/PROTOCOL.md §15 item 34). Default true: every node holds them;
   * false models a ledger of the notification chain alone.
   */
  cases?: boolean;
  /** Most blocks held while their parents (or a CA statement) are fetched. Default 10,000. */
  maxPending?: number;
  /** Most bytes of such blocks. Default 32 MiB. */
  maxPendingBytes?: number;
}

/** A stored block as the index holds it, with the facts its standing needs (standing.ts). */
export interface Entry extends StandingFacts {
  id: Uint8Array;
}

export type AddResult =
  | { status: 'added'; id: Uint8Array; block: Block; released: Uint8Array[] }
  | { status: 'duplicate'; id: Uint8Array }
  | { status: 'pending'; id: Uint8Array; missing: Uint8Array[] };

type Listener = (e: Entry, block: Block) => void;

export class Ledger {
  readonly authority: AuthorityState;
  private index = new Map<string, Entry>();
  private tipSet = new Map<ChainId, Set<string>>([[Chain.TRACING, new Set()], [Chain.NOTIFICATION, new Set()]]);
  private pending = new Map<string, { bytes: Uint8Array; missing: Set<string> }>();
  private heldBytes = 0;
  private waiting = new Map<string, Set<string>>();
  private listeners = new Set<Listener>();
  /** Blocks indexed but not yet durable: their store writes. */
  private writing = new Map<string, Promise<void>>();
  private readonly c: CryptoProvider;
  private failed: StoreFault | null = null;
  /** Blocks held per chain × 256 + kind. */
  private kindCounts = new Map<number, number>();
  /** Hex ids of stored checkpoint blocks. */
  private checkpointIds = new Set<string>();
  private readonly standing: Standing;

  constructor(readonly opts: LedgerOptions) {
    this.c = opts.crypto;
    this.authority = new AuthorityState(opts.rootKey);
    const self = this;
    this.standing = new Standing({
      authority: this.authority,
      checkpointFacts: () => [...self.checkpointIds].map((h) => self.index.get(h)!).filter(Boolean),
      intervalIds: (chain, from, to, kinds) => self.entries(chain, from, to).filter((e) => !kinds || kinds.has(e.kind)).map((e) => e.id),
      sha256: (d) => self.c.sha256(d),
    });
  }

  /** The index entry of a block: envelope facts plus what its standing needs. */
  private entryOf(id: Uint8Array, hex: string, b: Block): Entry {
    const e: Entry = { id, hex, chain: b.chain, time: b.time, kind: b.kind };
    if (powBitsFor({ traceBits: 1, selfReportBits: 1, withdrawalBits: 1 }, b.kind) > 0) e.bits = powBitsOf(this.c, b);
    if (b.kind === Kind.TRACE_BATCH) {
      const t = decodeTraceBatch(b.body);
      e.day = t.day;
      e.epoch = t.epoch;
    }
    if (b.signer && (b.kind === Kind.DIAGNOSIS || b.kind === Kind.NOTIFICATION || b.kind === Kind.CHECKPOINT)) e.signer = toHex(b.signer);
    if (b.kind === Kind.CHECKPOINT) e.cp = decodeCheckpoint(b.body);
    return e;
  }

  private indexEntry(e: Entry): void {
    if (!this.index.has(e.hex)) this.tally(e, 1);
    this.index.set(e.hex, e);
    if (e.kind === Kind.CHECKPOINT) this.checkpointIds.add(e.hex);
    this.standing.reset();
  }

  private unindex(hex: string): void {
    const e = this.index.get(hex);
    if (e) this.tally(e, -1);
    this.index.delete(hex);
    this.checkpointIds.delete(hex);
    this.standing.reset();
  }

  /** Keep the per-(chain, kind) counts `count` answers from (O(1), not a scan of the index). */
  private tally(e: Entry, d: number): void {
    const k = e.chain * 256 + e.kind;
    this.kindCounts.set(k, (this.kindCounts.get(k) ?? 0) + d);
  }

  /**
   * Why a stored block does not count (docs/PROTOCOL.md §9.1: proof-of-work or epoch under the
   * policy in force at its time; a revoked signer's statement not sealed by a checkpoint before the
   * revocation), or null if it counts. A pure function of the stored set: every node that holds
   * the same blocks gives the same answer, whatever order they came in. Undefined if not stored.
   * @example if (ledger.whyVoid(e.id) === null) solverInput.push(e)
   */
  whyVoid(id: Uint8Array | string): string | null | undefined {
    const e = this.index.get(typeof id === 'string' ? id : toHex(id));
    return e ? this.standing.whyVoid(e) : undefined;
  }

  /**
   * Was this stored block published before `timeSec`, as far as the chain can tell (docs/PROTOCOL.md
   * §11.7)? If a final checkpoint covers its time: only if one whose interval ends by `timeSec`
   * holds it; if none does yet, by its declared time. A pure function of the stored set.
   * @example solve({ ..., publishedBefore: (id, t) => ledger.publishedBefore(id, t) })
   */
  publishedBefore(id: Uint8Array | string, timeSec: number): boolean {
    const e = this.index.get(typeof id === 'string' ? id : toHex(id));
    if (!e || e.time >= timeSec) return false;
    const s = this.standing.sealing(e, timeSec);
    return s === 'sealed' || s === 'unchecked';
  }

  /** Is this block stored and does it count (`whyVoid` is null)? @example ledger.counts(hex) */
  counts(id: Uint8Array | string): boolean {
    return this.whyVoid(id) === null;
  }

  /** Rebuild the index and authority state from the store (blocks there were checked before being stored). */
  async open(): Promise<void> {
    for (const chain of [Chain.NOTIFICATION, Chain.TRACING] as ChainId[]) {
      if (!this.storesChain(chain)) continue;
      const metas = await this.opts.store.listBlocks(chain, 0, Number.MAX_SAFE_INTEGER);
      // (time, id) order is not parent-first when a parent and its child share a second, so a
      // block loaded after its child would come back as a tip: drop every referenced id at the end.
      const referenced = new Set<string>();
      for (const m of metas) {
        if (!this.holds(chain, m.kind)) continue; // not ours to hold (left by a relay that became thin): never read
        const hex = toHex(m.id);
        const bytes = await this.opts.store.getBlock(m.id);
        if (!bytes) {
          this.indexEntry({ id: m.id, hex, chain, time: Math.floor(m.time / 1000), kind: m.kind });
          continue;
        }
        const b = decodeBlock(bytes);
        const e = this.entryOf(m.id, hex, b);
        this.indexEntry(e);
        if (AuthorityState.isStatement(b.kind)) this.authority.apply(b, m.id);
        if (this.carries(chain)) this.updateTips(e, b.parents);
        for (const p of b.parents) referenced.add(toHex(p.id));
      }
      for (const h of referenced) this.tipSet.get(chain)!.delete(h);
    }
  }

  /** Does this ledger hold the whole chain? @example ledger.carries(Chain.TRACING) // false on a thin node */
  carries(chain: ChainId): boolean {
    return this.opts.carries.includes(chain);
  }

  /**
   * Does this ledger hold blocks of this chain and kind: its whole chain, or (with `cases`) a case
   * block of the tracing chain it does not carry?
   * @example thinLedger.holds(Chain.TRACING, Kind.DIAGNOSIS) === true; thinLedger.holds(Chain.TRACING, Kind.TRACE_BATCH) === false
   */
  holds(chain: number, kind: number): boolean {
    return this.opts.carries.includes(chain as ChainId) || (this.opts.cases !== false && isCaseBlock(chain, kind));
  }

  /** Does this ledger keep any block of the chain (all of it, or its case blocks)? */
  private storesChain(chain: ChainId): boolean {
    return this.carries(chain) || (this.opts.cases !== false && chain === Chain.TRACING);
  }

  private nowSec(): number {
    return Math.floor(this.opts.now() / 1000);
  }

  /** Subscribe to accepted blocks. Returns an unsubscribe function. */
  onBlock(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  has(id: Uint8Array | string): boolean {
    return this.index.has(typeof id === 'string' ? id : toHex(id));
  }

  /**
   * Resolves when a block this ledger has is durable in the store (at once if it already is, or
   * is not here). `has` is true from the moment a block is accepted, before its write finished:
   * anything that acknowledges a block to someone else waits for this.
   * @example if (ledger.has(hex)) { await ledger.whenDurable(hex); sendReceipt(); }
   */
  whenDurable(id: Uint8Array | string): Promise<void> {
    return this.writing.get(typeof id === 'string' ? id : toHex(id)) ?? Promise.resolve();
  }

  /**
   * Check and store a block. Throws CodecError (malformed) or RejectError (a rule failed);
   * nothing is stored then.
   */
  async add(bytes: Uint8Array): Promise<AddResult> {
    if (this.failed) throw this.failed;
    const b = decodeBlock(bytes);
    const id = this.c.sha256(bytes);
    const hex = toHex(id);
    if (this.index.has(hex)) {
      await this.whenDurable(hex); // a duplicate is acknowledged only once the first copy is on disk
      return { status: 'duplicate', id };
    }
    if (!this.holds(b.chain, b.kind)) {
      throw new RejectError('not_carried', `this node does not carry chain ${b.chain}${this.opts.cases !== false && b.chain === Chain.TRACING ? ' (it holds only its case blocks)' : ''}`);
    }
    const now = this.nowSec();
    try {
      checkBlock(this.c, b, { authority: this.authority, region: this.opts.region, nowSec: now });
    } catch (e) {
      // Blocks can arrive before the CA statement they depend on (an epoch key, a certificate):
      // hold them until the next statement is applied instead of refusing an honest relay.
      if (e instanceof RejectError && waitsForAuthority(e)) {
        this.hold(hex, bytes, [AUTHORITY]);
        return { status: 'pending', id, missing: [] };
      }
      throw e;
    }
    const horizon = horizonSec(this.authority.policy.retentionDays, now);
    // A case block is judged without its parents on every node (docs/PROTOCOL.md §10.1, §15 item 43):
    // a thin node never holds them, so a full node must not refuse or await what a thin node stores
    // (issue 17 finding 3: a withdrawal naming a real trace batch with its time off by 1 s was stored
    // by thin nodes and refused as `parent_time` by full nodes, which then banned the honest relays).
    const parents = isCaseBlock(b.chain, b.kind) ? [] : b.parents;
    for (const p of parents) {
      const known = this.index.get(toHex(p.id));
      if (known && known.chain !== b.chain) throw new RejectError('parent_chain', `a parent is a block of chain ${known.chain}, not ${b.chain}`);
      if (known && known.time !== p.time) throw new RejectError('parent_time', `a parent reference claims time ${p.time}, the parent has ${known.time}`);
    }
    const missing = parents.filter((p) => !this.index.has(toHex(p.id)) && p.time >= horizon).map((p) => toHex(p.id));
    if (missing.length) {
      this.hold(hex, bytes, missing);
      return { status: 'pending', id, missing: missing.map(fromHexId) };
    }
    await this.store(id, hex, b);
    const released = await this.release(hex);
    if (AuthorityState.isStatement(b.kind)) released.push(...(await this.release(AUTHORITY)));
    return { status: 'added', id, block: b, released };
  }

  private hold(hex: string, bytes: Uint8Array, missing: string[]): void {
    this.dropPending(hex); // held again (e.g. first for a CA statement, now for parents): one entry
    const max = this.opts.maxPending ?? 10_000;
    const maxBytes = this.opts.maxPendingBytes ?? 32 * 1024 * 1024;
    if (bytes.length > maxBytes) return; // cannot be held at all: it can be fetched again once its parents are here
    while (this.pending.size && (this.pending.size >= max || this.heldBytes + bytes.length > maxBytes)) {
      // drop the oldest pending block (insertion order) — it can be fetched again
      const oldest = this.pending.keys().next().value as string;
      this.dropPending(oldest);
    }
    this.pending.set(hex, { bytes, missing: new Set(missing) });
    this.heldBytes += bytes.length;
    for (const m of missing) {
      let s = this.waiting.get(m);
      if (!s) this.waiting.set(m, (s = new Set()));
      s.add(hex);
    }
  }

  private dropPending(hex: string): void {
    const p = this.pending.get(hex);
    if (!p) return;
    this.pending.delete(hex);
    this.heldBytes -= p.bytes.length;
    // an awaited parent no pending block waits for any more is forgotten (else evicted orphans leak)
    for (const m of p.missing) {
      const s = this.waiting.get(m);
      if (!s) continue;
      s.delete(hex);
      if (!s.size) this.waiting.delete(m);
    }
  }

  /**
   * Accept a checked block: its effects (index, tips, authority state) apply at once, so blocks
   * checked concurrently see it (an epoch key and the batches sealed to it may arrive together);
   * the promise — the acknowledgement — and the listeners (gossip) wait until the store made it
   * durable. Concurrent adds keep the store's group commit busy. A store failure is fatal for
   * the ledger (its memory would be ahead of its disk): it throws StoreFault, now and for every
   * later `add` (`fault` says why); reopen from the store once the cause is fixed.
   */
  private async store(id: Uint8Array, hex: string, b: Block): Promise<void> {
    const meta: BlockMeta = { id, chain: b.chain, time: b.time * 1000, kind: b.kind };
    const e = this.entryOf(id, hex, b);
    if (AuthorityState.isStatement(b.kind)) this.authority.apply(b, id);
    this.indexEntry(e);
    if (this.carries(b.chain)) this.updateTips(e, b.parents);
    const write = this.opts.store.putBlock(meta, b.bytes);
    this.writing.set(hex, write.then(() => undefined, () => undefined));
    try {
      await write;
    } catch (err) {
      this.unindex(hex);
      this.tipSet.get(b.chain)!.delete(hex);
      this.failed ??= new StoreFault('store_failed', `the store could not write block ${hex.slice(0, 16)}…: ${(err as Error)?.message ?? String(err)}`);
      throw this.failed;
    } finally {
      this.writing.delete(hex);
    }
    for (const fn of this.listeners) {
      try {
        fn(e, b);
      } catch {
        // a listener's failure must not undo or block acceptance
      }
    }
  }

  /** Re-try pending blocks that waited on `hex`; returns the ids that got accepted. */
  private async release(hex: string): Promise<Uint8Array[]> {
    const out: Uint8Array[] = [];
    const queue = [hex];
    while (queue.length) {
      const h = queue.shift()!;
      const kids = this.waiting.get(h);
      this.waiting.delete(h);
      if (!kids) continue;
      for (const k of kids) {
        const p = this.pending.get(k);
        if (!p) continue;
        p.missing.delete(h);
        if (p.missing.size) continue;
        this.pending.delete(k);
        this.heldBytes -= p.bytes.length;
        try {
          const r = await this.add(p.bytes);
          if (r.status === 'added') {
            out.push(r.id, ...r.released);
          }
        } catch (e) {
          if (e instanceof StoreFault) throw e;
          // became invalid while waiting (e.g. expired): dropped
        }
      }
    }
    return out;
  }

  private updateTips(e: Entry, parents: ParentRef[]): void {
    const tips = this.tipSet.get(e.chain)!;
    for (const p of parents) tips.delete(toHex(p.id));
    // a block that is already someone's parent is not a tip (possible when loading from the store)
    tips.add(e.hex);
  }

  /** Up to 4 current tips of a chain, as canonical parent references (newest first, then sorted by id). */
  tips(chain: ChainId): ParentRef[] {
    const tips = [...this.tipSet.get(chain)!].map((h) => this.index.get(h)!).filter(Boolean);
    tips.sort((a, b) => b.time - a.time || (a.hex < b.hex ? -1 : 1));
    return sortParents(tips.slice(0, 4).map((e) => ({ id: e.id, time: e.time })));
  }

  /** Ids of blocks that pending blocks wait for (for the network to fetch). */
  missingParents(): Uint8Array[] {
    return [...this.waiting.keys()].filter((h) => h !== AUTHORITY && !this.index.has(h) && !this.pending.has(h)).map(fromHexId);
  }

  /** Drop every block held for a CA statement (an operator's or a test's reset; they can be fetched again). */
  dropHeld(): number {
    const kids = [...(this.waiting.get(AUTHORITY) ?? [])];
    for (const k of kids) this.dropPending(k);
    this.waiting.delete(AUTHORITY);
    return kids.length;
  }

  /** The store failure that stopped this ledger, or null. */
  get fault(): StoreFault | null {
    return this.failed;
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  /** Bytes of the blocks held pending (at most `maxPendingBytes`). */
  get pendingBytes(): number {
    return this.heldBytes;
  }

  /** Is this block held pending (waiting for parents or a CA statement)? */
  isPending(id: Uint8Array | string): boolean {
    return this.pending.has(typeof id === 'string' ? id : toHex(id));
  }

  /**
   * Drop a block held pending (the network layer's per-peer budget); it can be fetched again.
   * Returns whether it was held.
   * @example if (ledger.forgetPending(hex)) stats.evicted++;
   */
  forgetPending(id: Uint8Array | string): boolean {
    const hex = typeof id === 'string' ? id : toHex(id);
    if (!this.pending.has(hex)) return false;
    this.dropPending(hex);
    return true;
  }

  /** Entries of a chain with fromSec ≤ time < toSec, ordered by (time, id). */
  entries(chain: ChainId, fromSec = 0, toSec = Number.MAX_SAFE_INTEGER): Entry[] {
    const out: Entry[] = [];
    for (const e of this.index.values()) if (e.chain === chain && e.time >= fromSec && e.time < toSec) out.push(e);
    out.sort((a, b) => a.time - b.time || compare(a.id, b.id));
    return out;
  }

  /** Blocks held (of a chain; of some kinds only). @example ledger.count(Chain.TRACING, CASE_KINDS) */
  count(chain?: ChainId, kinds?: ReadonlySet<number>): number {
    if (chain === undefined) return this.index.size;
    let n = 0;
    for (const [k, v] of this.kindCounts) if (Math.floor(k / 256) === chain && (!kinds || kinds.has(k % 256))) n += v;
    return n;
  }

  /**
   * The bytes of a block this ledger holds (undefined if it holds none). A block listed by
   * `entries` or `has` but still being written is read once its write finished, so a reader that
   * walks `entries` never sees a listed block without bytes.
   * @example for (const e of ledger.entries(Chain.NOTIFICATION)) decodeBlock((await ledger.get(e.id))!);
   */
  async get(id: Uint8Array): Promise<Uint8Array | undefined> {
    const writing = this.writing.get(toHex(id));
    if (writing) await writing;
    return this.opts.store.getBlock(id);
  }

  /**
   * Retention (docs/PROTOCOL.md §10.3): drop every block older than the horizon (now −
   * retentionDays of the policy in force) from the index and the store, and the blocks held
   * pending that are older than it (they would be refused as `expired`); a pending block that
   * waited only for parents now older than the horizon is re-checked (they count as pruned).
   * Writes begun before the call finish first (a block being written is never half pruned); a
   * block added while it runs is newer than its horizon. Returns how many stored blocks went.
   * @example const gone = await ledger.prune(); // on a schedule: src/net/assemble.ts
   */
  async prune(): Promise<number> {
    const horizon = horizonSec(this.authority.policy.retentionDays, this.nowSec());
    await Promise.all([...this.writing.values()]);
    let n = 0;
    for (const chain of [Chain.NOTIFICATION, Chain.TRACING] as ChainId[]) if (this.storesChain(chain)) n += await this.opts.store.deleteBlocksBefore(chain, horizon * 1000);
    for (const [h, e] of this.index) {
      if (e.time < horizon) {
        this.unindex(h);
        this.tipSet.get(e.chain)!.delete(h);
      }
    }
    const freed: string[] = [];
    for (const [h, p] of [...this.pending]) {
      const b = decodeBlock(p.bytes);
      if (b.time < horizon) {
        this.dropPending(h);
        continue;
      }
      for (const parent of b.parents) {
        const ph = toHex(parent.id);
        if (parent.time < horizon && p.missing.delete(ph)) {
          const s = this.waiting.get(ph);
          s?.delete(h);
          if (s && !s.size) this.waiting.delete(ph);
        }
      }
      if (!p.missing.size) freed.push(h);
    }
    for (const h of freed) {
      const p = this.pending.get(h)!;
      this.dropPending(h);
      await this.add(p.bytes).catch((e) => {
        if (e instanceof StoreFault) throw e; // otherwise it became invalid while waiting: dropped
      });
    }
    return n;
  }
}

/** Pseudo-parent of blocks waiting for a CA statement (not a hex id, so it never collides). */
const AUTHORITY = 'authority';

/** Rejections that a later CA statement can cure. */
function waitsForAuthority(e: RejectError): boolean {
  return e.code === 'unknown_epoch' ? /no epoch key published/.test(e.message) : e.code === 'unauthorized' && /no certificate for this key/.test(e.message);
}

function fromHexId(h: string): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
}

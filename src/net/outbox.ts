/**
 * Upload retention (docs/NET.md §Upload retention, docs/PROTOCOL.md §10.4): a node keeps each of
 * its own uploads — blocks of a chain it does not carry, a thin node's trace batches — in its
 * store until a final checkpoint proves the block is in the chain. A RECEIPT only says one peer
 * took it; the proof says the validators' agreed set has it.
 *
 * Life of an upload:
 * 1. `submit` writes it to the store (key `net/outbox/<id hex>`, listed in `net/outbox`), then
 *    hands it to the Uploader. If every try fails, it is tried again every `retryMs`; after a
 *    restart, uploads without a receipt go again.
 * 2. With a receipt it waits until the notification chain holds a final checkpoint (k of n
 *    validators, `policy.checkpointQuorum`) of its chain whose interval covers the block's time.
 * 3. It asks a ready peer that carries the chain (PROVE). A PROOF that verifies against the
 *    checkpoint's root ends it: deleted from the store, event `upload_proven`. A path that does not
 *    verify is a lie: the peer is disconnected. UNKNOWN: ask another peer; once every carrier
 *    said UNKNOWN, wait `checkMs · 2^rounds` (at most 30 minutes) and ask again.
 * 4. ABSENT — the checkpoint is final and the block is not in it (it reached the carriers after
 *    the validators closed its interval, or a carrier acknowledged and dropped it). It can never
 *    be proven in that interval, so with a `renew` hook (the app re-signs the same record at the
 *    current time) the renewed block replaces it and starts again at 1. Without one, the same bytes
 *    are uploaded again and the upload is kept, `unprovable`, until it leaves the retention window.
 * 5. Uploads older than the retention window are dropped (`upload_expired`).
 *
 * Privacy: PROVE shows the asked peer the block id with the asker's address — what the upload
 * itself showed the peer that took it. Nothing else is sent.
 *
 * @example
 * const outbox = new Outbox(ctx, uploader, DEFAULT_OUTBOX);
 * await outbox.open();
 * const receipt = await outbox.submit(bytes, id, Chain.TRACING); // kept until proven
 * outbox.list() // [{ id, chain, time, state: 'received' }]
 * @module
 */
import { equal, fromHex, toHex } from '../core/bytes.ts';
import { decodeBlock, Kind, type Block } from '../core/codec/block.ts';
import { decodeCheckpoint } from '../core/codec/records.ts';
import { verifyIncluded, checkpointKey } from '../core/ledger/checkpoints.ts';
import { horizonSec } from '../core/ledger/rules.ts';
import { Chain, type ChainId } from '../core/types.ts';
import type { NetContext } from './context.ts';
import { ProofStatus, type CheckpointRef, type ProofFrame } from './frames.ts';
import type { Peer } from './peer.ts';
import { LruSet } from './lru.ts';
import { Penalty } from './scores.ts';
import type { Uploader, UploadReceipt } from './upload.ts';

/** Outbox settings. @example new NetNode({ …, outbox: { checkMs: 1_000 } }) */
export interface OutboxOptions {
  /** How often retained uploads are checked against the checkpoints, ms. */
  checkMs: number;
  /** A PROVE without an answer for this long goes to another peer, ms. */
  proofTimeoutMs: number;
  /** An upload that no peer acknowledged after all the Uploader's tries goes again after this long, ms. */
  retryMs: number;
}
/** @example DEFAULT_OUTBOX.retryMs === 120_000 */
export const DEFAULT_OUTBOX: OutboxOptions = { checkMs: 5_000, proofTimeoutMs: 15_000, retryMs: 120_000 };

/**
 * Re-issue an own block at the current time (same record, new block time, signature and
 * proof-of-work), or null if it cannot. The app's, since only it holds the keys.
 * @example renew: (bytes) => renewBlock(c, keys, bytes, { timeSec: now(), powBits })
 */
export type RenewFn = (bytes: Uint8Array) => Uint8Array | null | Promise<Uint8Array | null>;

/** A retained upload as the app may show it. @example node.retained().filter((u) => u.state === 'received').length */
export interface RetainedUpload {
  id: string;
  chain: ChainId;
  /** Block time, seconds. */
  time: number;
  /**
   * sending: no receipt yet. received: acknowledged, waiting for a final checkpoint and its proof.
   * unprovable: a final checkpoint of its interval left it out and it could not be renewed.
   */
  state: 'sending' | 'received' | 'unprovable';
}

const STATES = ['sending', 'received', 'unprovable'] as const;
const SENDING = 0;
const RECEIVED = 1;
const UNPROVABLE = 2;
type State = typeof SENDING | typeof RECEIVED | typeof UNPROVABLE;

/** Longest wait between rounds of questions about one upload, ms. */
const MAX_ASK_BACKOFF_MS = 30 * 60_000;

/** Store key of the list of retained ids (32 bytes each). @example await store.getValue(OUTBOX_INDEX_KEY) */
export const OUTBOX_INDEX_KEY = 'net/outbox';
/** Store key of one retained upload: a state byte, then the block. @example outboxEntryKey(hex) */
export function outboxEntryKey(hex: string): string {
  return `net/outbox/${hex}`;
}

interface Item {
  hex: string;
  id: Uint8Array;
  bytes: Uint8Array;
  chain: ChainId;
  time: number;
  state: State;
  uploading: boolean;
  retryAt: number;
  asking: { peer: Peer; group: string; cp: CheckpointRef; at: number } | null;
  /** Rounds in which every carrier answered UNKNOWN; the next round waits longer each time. */
  rounds: number;
  nextAskAt: number;
  /** Checkpoints (group keys) a peer said the block is absent from. */
  absentIn: Set<string>;
  /** Links that answered UNKNOWN, per checkpoint group. */
  unknownFrom: Map<string, Set<string>>;
}

interface Group {
  cp: CheckpointRef;
  signers: Set<string>;
}

/**
 * Own uploads kept until a checkpoint proves them. See the module comment.
 * @example outbox.onProof(peer, frame)
 */
export class Outbox {
  readonly stats = { submitted: 0, proven: 0, asked: 0, absent: 0, renewed: 0, reuploaded: 0, expired: 0, badProofs: 0 };
  private readonly items = new Map<string, Item>();
  private readonly groups = new Map<string, Group>();
  /** `link:id` of every question put to a peer lately: a late answer is not unsolicited. */
  private readonly asked = new LruSet(4096);
  private io: Promise<unknown> = Promise.resolve();
  private opened: Promise<void> | null = null;
  private isOpen = false;
  private stopped = false;
  private nextCheck = 0;

  constructor(
    private readonly ctx: NetContext,
    private readonly uploader: Uploader,
    private readonly o: OutboxOptions,
    private readonly renew?: RenewFn,
  ) {}

  /** Uploads retained now. */
  get size(): number {
    return this.items.size;
  }

  /** Load the retained uploads and the checkpoints that may prove them; uploads without a receipt go again. */
  open(): Promise<void> {
    this.opened ??= this.load();
    return this.opened;
  }

  /** Retained uploads, oldest first. */
  list(): RetainedUpload[] {
    return [...this.items.values()].sort((a, b) => a.time - b.time).map((i) => ({ id: i.hex, chain: i.chain, time: i.time, state: STATES[i.state] }));
  }

  /** Keep an own block and upload it; resolves on the first receipt (rejects if no peer took it yet — it stays kept). */
  async submit(bytes: Uint8Array, id: Uint8Array, chain: ChainId): Promise<UploadReceipt> {
    await this.open();
    return this.send(await this.keep(bytes, id, chain));
  }

  /** A block was accepted on a carried chain: note checkpoints of the chains this node uploads to. */
  checkpointSeen(b: Block): void {
    if (b.kind !== Kind.CHECKPOINT || !b.signer) return;
    let cp;
    try {
      cp = decodeCheckpoint(b.body);
    } catch {
      return; // the ledger accepted it, so it decodes; never let a surprise stop the node
    }
    if (this.ctx.carries(cp.chain as ChainId)) return;
    const key = checkpointKey(cp);
    let g = this.groups.get(key);
    if (!g) this.groups.set(key, (g = { cp: { ...cp, chain: cp.chain as ChainId }, signers: new Set() }));
    g.signers.add(toHex(b.signer));
  }

  /** Housekeeping: expire, retry, and ask for proofs. Called on every node tick; works every `checkMs`. */
  tick(): void {
    const now = this.ctx.clock.now();
    if (!this.isOpen || this.stopped || now < this.nextCheck) return;
    this.nextCheck = now + this.o.checkMs;
    const policy = this.ctx.ledger.authority.policy;
    const horizon = horizonSec(policy.retentionDays, Math.floor(now / 1000));
    for (const g of [...this.groups.keys()]) if (this.groups.get(g)!.cp.toTime <= horizon) this.groups.delete(g);
    for (const item of [...this.items.values()]) {
      if (item.time < horizon) {
        this.stats.expired++;
        this.ctx.emit({ type: 'upload_expired', id: item.hex });
        this.forget(item);
        continue;
      }
      if (item.state === SENDING) {
        if (!item.uploading && now >= item.retryAt) void this.send(item).catch(() => undefined);
        continue;
      }
      if (item.asking) {
        if (now - item.asking.at < this.o.proofTimeoutMs) continue;
        this.unknown(item, item.asking.group, item.asking.peer);
        item.asking = null;
      }
      if (now >= item.nextAskAt) this.ask(item, policy.checkpointQuorum, now);
    }
  }

  /** The answer to a PROVE. */
  onProof(peer: Peer, f: ProofFrame): void {
    const item = this.items.get(toHex(f.id));
    const asked = item?.asking;
    if (!item || !asked || asked.peer !== peer || !equal(asked.cp.root, f.root)) {
      // a late answer (after a timeout, or after another peer proved it) is harmless
      if (!this.asked.has(`${peer.link.id}:${toHex(f.id)}`)) this.ctx.penalize(peer, 'unsolicited_proof', Penalty.UNSOLICITED_PROOF, 'PROOF for a question this node did not ask that peer');
      return;
    }
    item.asking = null;
    if (f.status === ProofStatus.UNKNOWN) {
      this.unknown(item, asked.group, peer);
      return;
    }
    if (f.status === ProofStatus.ABSENT) {
      this.absent(item, asked.group);
      return;
    }
    if (!verifyIncluded(this.ctx.ledger.opts.crypto, item.id, asked.cp, { index: f.index, proof: f.path })) {
      this.stats.badProofs++;
      this.ctx.penalize(peer, 'bad_proof', Penalty.BAD_PROOF, `inclusion path for ${item.hex.slice(0, 16)}… does not give the checkpoint's root`);
      return;
    }
    this.stats.proven++;
    this.ctx.emit({ type: 'upload_proven', id: item.hex, chain: item.chain, fromTime: asked.cp.fromTime, toTime: asked.cp.toTime });
    this.forget(item);
  }

  /** A peer is gone: questions put to it go elsewhere at the next check. */
  peerClosed(peer: Peer): void {
    for (const item of this.items.values()) if (item.asking?.peer === peer) item.asking = null;
  }

  /** Stop asking; what is kept stays in the store. Resolves when pending writes are done. */
  stop(): Promise<unknown> {
    this.stopped = true;
    return this.io;
  }

  // ───────────────────────── internals ─────────────────────────

  private item(id: Uint8Array, bytes: Uint8Array, chain: ChainId, time: number, state: State): Item {
    return { hex: toHex(id), id, bytes, chain, time, state, uploading: false, retryAt: 0, asking: null, rounds: 0, nextAskAt: 0, absentIn: new Set(), unknownFrom: new Map() };
  }

  /** The item for a block, written to the store first if it is new. */
  private async keep(bytes: Uint8Array, id: Uint8Array, chain: ChainId): Promise<Item> {
    const hex = toHex(id);
    let item = this.items.get(hex);
    if (!item) {
      item = this.item(id, bytes, chain, decodeBlock(bytes).time, SENDING);
      this.items.set(hex, item);
      this.stats.submitted++;
      await this.write(item);
    }
    return item;
  }

  private send(item: Item): Promise<UploadReceipt> {
    item.uploading = true;
    const p = this.uploader.upload(item.bytes, item.id, item.chain);
    p.then(
      () => {
        item.uploading = false;
        if (item.state === SENDING && this.items.get(item.hex) === item) {
          item.state = RECEIVED;
          this.ctx.track(this.write(item));
        }
      },
      () => {
        item.uploading = false;
        item.retryAt = this.ctx.clock.now() + this.o.retryMs;
      },
    );
    return p;
  }

  /** Put a PROVE for a final checkpoint that covers the item to a peer that carries its chain. */
  private ask(item: Item, quorum: number, now: number): void {
    const found = this.finalFor(item, quorum);
    if (!found) return;
    const [group, cp] = found;
    const carriers = this.ctx.readyPeers().filter((p) => p.carries(item.chain));
    if (!carriers.length) return;
    const unknown = item.unknownFrom.get(group) ?? new Set<string>();
    const fresh = carriers.filter((p) => !unknown.has(p.link.id));
    if (!fresh.length) {
      // Every carrier said UNKNOWN (their blocks of the interval differ from the checkpoint): ask
      // again later, as they sync, backing off up to MAX_ASK_BACKOFF_MS.
      unknown.clear();
      item.rounds++;
      item.nextAskAt = now + Math.min(MAX_ASK_BACKOFF_MS, this.o.checkMs * 2 ** Math.min(item.rounds, 20));
      return;
    }
    const peer = this.ctx.rng.pick(fresh);
    this.stats.asked++;
    item.asking = { peer, group, cp, at: now };
    this.asked.add(`${peer.link.id}:${item.hex}`);
    this.ctx.send(peer, { type: 'prove', id: item.id, checkpoint: cp });
  }

  private finalFor(item: Item, quorum: number): [string, CheckpointRef] | null {
    for (const [key, g] of this.groups) {
      const cp = g.cp;
      if (cp.chain === item.chain && cp.fromTime <= item.time && item.time < cp.toTime && g.signers.size >= quorum && !item.absentIn.has(key)) return [key, cp];
    }
    return null;
  }

  private unknown(item: Item, group: string, peer: Peer): void {
    let s = item.unknownFrom.get(group);
    if (!s) item.unknownFrom.set(group, (s = new Set()));
    s.add(peer.link.id);
  }

  /** A final checkpoint left the item out: renew it, or upload it again and keep it. */
  private absent(item: Item, group: string): void {
    this.stats.absent++;
    item.absentIn.add(group);
    this.ctx.track(
      (async () => {
        let renewed: Uint8Array | null = null;
        if (this.renew) {
          try {
            renewed = await this.renew(item.bytes);
          } catch (e) {
            this.ctx.emit({ type: 'error', where: 'renew', error: (e as Error)?.message ?? String(e) });
          }
        }
        if (renewed && this.items.get(item.hex) === item) {
          const b = decodeBlock(renewed);
          if (b.chain !== item.chain) throw new RangeError(`renew returned a block of chain ${b.chain} for one of chain ${item.chain}`);
          const id = this.ctx.ledger.opts.crypto.sha256(renewed);
          this.stats.renewed++;
          this.ctx.emit({ type: 'upload_absent', id: item.hex, renewedAs: toHex(id) });
          const next = await this.keep(renewed, id, item.chain); // stored before the old one goes
          this.forget(item);
          void this.send(next).catch(() => undefined); // not awaited: a tracked task never waits on the network
          return;
        }
        this.stats.reuploaded++;
        this.ctx.emit({ type: 'upload_absent', id: item.hex, renewedAs: null });
        if (item.state !== UNPROVABLE) {
          item.state = UNPROVABLE;
          await this.write(item);
        }
        void this.uploader.upload(item.bytes, item.id, item.chain).catch(() => undefined);
      })(),
    );
  }

  /** Drop an item from memory and the store. */
  private forget(item: Item): void {
    if (this.items.get(item.hex) !== item) return;
    this.items.delete(item.hex);
    this.ctx.track(this.erase(item));
  }

  // ───────────────────────── storage ─────────────────────────

  private get store() {
    return this.ctx.ledger.opts.store;
  }

  private serial(fn: () => Promise<void>): Promise<void> {
    const run = this.io.then(fn, fn);
    this.io = run.catch(() => undefined);
    return run;
  }

  private indexBytes(): Uint8Array {
    const out = new Uint8Array(32 * this.items.size);
    let i = 0;
    for (const it of this.items.values()) out.set(it.id, 32 * i++);
    return out;
  }

  /** Write an item (and the list, which now includes it). */
  private write(item: Item): Promise<void> {
    return this.serial(async () => {
      if (this.items.get(item.hex) !== item) return; // forgotten meanwhile
      const v = new Uint8Array(1 + item.bytes.length);
      v[0] = item.state;
      v.set(item.bytes, 1);
      await this.store.setValue(outboxEntryKey(item.hex), v);
      await this.store.setValue(OUTBOX_INDEX_KEY, this.indexBytes());
    });
  }

  /** Remove an item: first from the list, then its entry (a crash in between leaves an unlisted entry, never a listed hole). */
  private erase(item: Item): Promise<void> {
    return this.serial(async () => {
      await this.store.setValue(OUTBOX_INDEX_KEY, this.indexBytes());
      if (!this.items.has(item.hex)) await this.store.deleteValue(outboxEntryKey(item.hex));
    });
  }

  private async load(): Promise<void> {
    const c = this.ctx.ledger.opts.crypto;
    const index = (await this.store.getValue(OUTBOX_INDEX_KEY)) ?? new Uint8Array(0);
    if (index.length % 32) this.ctx.emit({ type: 'error', where: 'outbox', error: `the list of retained uploads has ${index.length} bytes, not a multiple of 32; reading the whole ids only` });
    for (let off = 0; off + 32 <= index.length; off += 32) {
      const hex = toHex(index.subarray(off, off + 32));
      const v = await this.store.getValue(outboxEntryKey(hex));
      try {
        if (!v || v.length < 2 || v[0] > UNPROVABLE) throw new RangeError('missing or malformed entry');
        const bytes = v.slice(1);
        if (toHex(c.sha256(bytes)) !== hex) throw new RangeError('the kept block does not hash to its id');
        const b = decodeBlock(bytes);
        if (!this.items.has(hex)) this.items.set(hex, this.item(fromHex(hex), bytes, b.chain, b.time, v[0] as State));
      } catch (e) {
        this.ctx.emit({ type: 'error', where: 'outbox', error: `retained upload ${hex.slice(0, 16)}… dropped: ${(e as Error).message}` });
      }
    }
    // Checkpoints that may cover what is kept were published after its oldest block.
    const oldest = Math.min(...[...this.items.values()].map((i) => i.time));
    if (Number.isFinite(oldest)) {
      for (const e of this.ctx.ledger.entries(Chain.NOTIFICATION, oldest)) {
        if (e.kind !== Kind.CHECKPOINT) continue;
        const bytes = await this.ctx.ledger.get(e.id);
        if (bytes) this.checkpointSeen(decodeBlock(bytes));
      }
    }
    this.isOpen = true;
    if (!this.stopped) for (const item of this.items.values()) if (item.state === SENDING) void this.send(item).catch(() => undefined);
  }
}

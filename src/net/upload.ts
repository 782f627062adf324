/**
 * The sending side of uploads (docs/NET.md §Uploads): a node that does not carry a block's chain —
 * a browser thin node with its own trace batch, withdrawal or self-report — hands the block, as
 * BLOCK chunks flagged UPLOAD, to a random ready peer that carries the chain, and waits for a
 * RECEIPT. No receipt within `uploadTimeoutMs`, or REFUSED, and it goes to another peer (with a
 * capped backoff while there is none); after `maxUploadTries` attempts the upload fails.
 *
 * Privacy: the receiving peer learns the uploader's network address together with the block (for a
 * trace batch: that day's pseudonym). Origin hiding (Dandelion++) is later work.
 *
 * @example
 * const up = new Uploader(ctx, DEFAULT_UPLOAD);
 * const receipt = await up.upload(bytes, id, Chain.TRACING); // { id, status: 'stored' }
 * @module
 */
import { toHex } from '../core/bytes.ts';
import type { ChainId } from '../core/types.ts';
import type { NetContext } from './context.ts';
import { blockFrames, ReceiptStatus, type ReceiptFrame } from './frames.ts';
import type { Peer } from './peer.ts';

/** Upload settings. @example new NetNode({ …, upload: { uploadTimeoutMs: 5_000 } }) */
export interface UploadOptions {
  /** An upload without a receipt for this long goes to another peer, ms. */
  uploadTimeoutMs: number;
  /** Attempts before `publish` of an upload rejects. */
  maxUploadTries: number;
}
/** @example DEFAULT_UPLOAD.maxUploadTries === 20 */
export const DEFAULT_UPLOAD: UploadOptions = { uploadTimeoutMs: 10_000, maxUploadTries: 20 };

/** A peer's answer to an upload. @example (await node.publish(batch)).receipt === 'stored' */
export interface UploadReceipt {
  id: Uint8Array;
  status: 'stored' | 'duplicate' | 'held';
}

interface Upload {
  hex: string;
  id: Uint8Array;
  bytes: Uint8Array;
  chain: ChainId;
  tries: number;
  peer: Peer | null;
  last: Peer | null;
  timer: unknown;
  promise: Promise<UploadReceipt>;
  resolve: (r: UploadReceipt) => void;
  reject: (e: Error) => void;
}

/**
 * Pending uploads of one node. See the module comment.
 * @example uploader.onReceipt(peer, frame)
 */
export class Uploader {
  readonly stats = { sent: 0, acknowledged: 0, refused: 0, failed: 0 };
  private readonly uploads = new Map<string, Upload>();
  private stopped = false;

  constructor(
    private readonly ctx: NetContext,
    private readonly o: UploadOptions,
  ) {}

  /** Uploads not yet acknowledged. */
  get pending(): number {
    return this.uploads.size;
  }

  /** Hand an own block of a chain this node does not carry to a peer that does; resolves on its receipt. */
  upload(bytes: Uint8Array, id: Uint8Array, chain: ChainId): Promise<UploadReceipt> {
    const hex = toHex(id);
    const existing = this.uploads.get(hex);
    if (existing) return existing.promise;
    if (this.stopped) return Promise.reject(new Error(`upload of ${hex.slice(0, 16)}…: the node is stopped`));
    let resolve!: (r: UploadReceipt) => void;
    let reject!: (e: Error) => void;
    const promise = new Promise<UploadReceipt>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const u: Upload = { hex, id, bytes, chain, tries: 0, peer: null, last: null, timer: null, promise, resolve, reject };
    this.uploads.set(hex, u);
    this.send(u);
    return promise;
  }

  private send(u: Upload): void {
    if (u.timer !== null) this.ctx.clock.clearTimeout(u.timer);
    u.timer = null;
    u.peer = null;
    if (this.stopped) return;
    if (u.tries >= this.o.maxUploadTries) {
      this.uploads.delete(u.hex);
      this.stats.failed++;
      const msg = `upload of ${u.hex.slice(0, 16)}…: no peer carrying chain ${u.chain} acknowledged it after ${u.tries} tries`;
      this.ctx.emit({ type: 'upload_failed', id: u.hex, error: msg });
      u.reject(new Error(msg));
      return;
    }
    u.tries++;
    const all = this.ctx.readyPeers().filter((p) => p.carries(u.chain));
    const others = all.filter((p) => p !== u.last);
    const peer = others.length ? this.ctx.rng.pick(others) : all.length ? all[0] : null;
    if (!peer) {
      // no peer of that chain yet (the mesh is looking for one): try again later
      u.timer = this.ctx.clock.setTimeout(() => this.send(u), Math.min(30_000, 1_000 * 2 ** Math.min(u.tries, 5)));
      return;
    }
    u.peer = peer;
    u.last = peer;
    this.stats.sent++;
    this.ctx.sendBulk(peer, blockFrames(u.id, u.bytes, true));
    u.timer = this.ctx.clock.setTimeout(() => this.send(u), this.o.uploadTimeoutMs);
  }

  /** A peer acknowledged (or refused) an upload. */
  onReceipt(_peer: Peer, f: ReceiptFrame): void {
    const u = this.uploads.get(toHex(f.id));
    if (!u) return; // late receipt of an upload already acknowledged
    if (u.timer !== null) this.ctx.clock.clearTimeout(u.timer);
    if (f.status === ReceiptStatus.REFUSED) {
      this.stats.refused++;
      u.peer = null;
      u.timer = this.ctx.clock.setTimeout(() => this.send(u), 1_000 * u.tries);
      return;
    }
    this.stats.acknowledged++;
    this.uploads.delete(u.hex);
    u.resolve({ id: u.id, status: f.status === ReceiptStatus.STORED ? 'stored' : f.status === ReceiptStatus.DUPLICATE ? 'duplicate' : 'held' });
  }

  /** A peer said HELLO: uploads waiting for a peer of its chain go now. */
  peerReady(peer: Peer): void {
    for (const u of this.uploads.values()) if (u.peer === null && peer.carries(u.chain)) this.send(u);
  }

  /** A peer is gone: uploads handed to it go to another peer now. */
  peerClosed(peer: Peer): void {
    for (const u of this.uploads.values()) if (u.peer === peer) this.send(u);
  }

  /** Stop: cancel timers; pending uploads reject. */
  stop(): void {
    this.stopped = true;
    for (const u of this.uploads.values()) {
      if (u.timer !== null) this.ctx.clock.clearTimeout(u.timer);
      u.reject(new Error(`upload of ${u.hex.slice(0, 16)}…: the node stopped before a peer acknowledged it`));
    }
    this.uploads.clear();
  }
}

/**
 * One connected peer as the node sees it: the link, what the peer said in HELLO, its score and
 * rate limits, what it is known to have, what was asked of it, its partial blocks, and two
 * outgoing queues that respect the link's back-pressure:
 *
 * - `ctrl`: small frames (HELLO, INV, GET, SYNC, NOTFOUND, RECEIPT, BYE), bounded by
 *   MAX_CTRL_BYTES; an INV that does not fit is dropped (announcements are repaired by sync),
 *   anything else that does not fit in twice that marks the peer stalled (it is then closed);
 * - `bulk`: BLOCK chunks. Never dropped: the node refills it one block at a time, only when it is
 *   empty (`onIdle`), so its size is bounded by one block.
 *
 * `send` on the link returning false stops the pump until `onDrain`.
 *
 * @example
 * const p = new Peer(link, true, 'addr', clock.now(), DEFAULT_LIMITS);
 * p.send(encodeFrame(hello));
 * @module
 */
import type { ChainId } from '../core/types.ts';
import type { Link } from './link.ts';
import { FRAME_NAME, Reassembler, type AuthFrame, type HelloFrame, type NodeRole } from './frames.ts';
import { LruSet } from './lru.ts';
import { PeerScore, TokenBucket, type Limits } from './scores.ts';

/** Most bytes of small frames queued for one peer before INVs are dropped. @example MAX_CTRL_BYTES === 1 << 20 */
export const MAX_CTRL_BYTES = 1 << 20;

/** Traffic counters of one peer. @example peer.stats.bytesIn */
export interface PeerStats {
  framesIn: number;
  framesOut: number;
  bytesIn: number;
  bytesOut: number;
  /** Frames by type name, received. */
  inByType: Record<string, number>;
  /** Frames by type name, sent. */
  outByType: Record<string, number>;
  /** Complete block bodies received (duplicates included). */
  bodiesIn: number;
  /** Times the link refused a frame (back-pressure). */
  refused: number;
  /** INV frames dropped because the control queue was full. */
  invDropped: number;
}

/**
 * A connected peer. See the module comment.
 * @example if (peer.ready && peer.carries(Chain.TRACING)) …
 */
export class Peer {
  hello: HelloFrame | null = null;
  closed = false;
  stalled = false;
  readonly score: PeerScore;
  private readonly frameBucket: TokenBucket;
  private readonly byteBucket: TokenBucket;
  /** Ids (hex) this peer has or has been told about. */
  readonly known = new LruSet(8192);
  /** Ids (hex) ever asked of this peer (recently): a BLOCK for anything else is unsolicited. */
  readonly asked = new LruSet(8192);
  /** Ids (hex) asked of this peer and not yet received → time asked. */
  readonly requested = new Map<string, number>();
  /** Time this peer last delivered a chunk or a NOTFOUND (request timeouts count from here). */
  lastProgress: number;
  /** The latest ask time among answered requests, and when that answer came (a request asked before it and still open was lost). */
  servedAskedAt = -Infinity;
  servedAt = 0;
  /** Ids (hex) of wanted blocks this peer announced, not yet asked (FIFO; stale entries are skipped). */
  waiting: string[] = [];
  /** The same for notification-chain ids, asked first (they carry the authority state). */
  waitingFirst: string[] = [];
  /** Wanted ids this peer is a source of (its share of the node's want table, bounded by `maxWantsPerPeer`). */
  wantCount = 0;
  /** Blocks this peer sent that the ledger holds pending (hex → bytes), oldest first; bounded by `maxHeldBytesPerPeer`/`maxHeldPerPeer`. */
  readonly held = new Map<string, number>();
  heldBytes = 0;
  /** Ids to put in the next GET. */
  getBatch: Uint8Array[] = [];
  /** Block ids this peer asked for, to be served. */
  readonly serveQueue: Uint8Array[] = [];
  serving = false;
  /** INV ids to send, per chain. */
  readonly invBatch = new Map<ChainId, Uint8Array[]>();
  readonly reassembler: Reassembler;
  readonly stats: PeerStats = { framesIn: 0, framesOut: 0, bytesIn: 0, bytesOut: 0, inByType: {}, outByType: {}, bodiesIn: 0, refused: 0, invDropped: 0 };
  /** Frames that arrived before HELLO (a lossy, reordering network), replayed after it; bounded. */
  early: Uint8Array[] = [];
  /** HELLOs sent, and when the last one went (HELLO is re-sent until the peer shows it has it). */
  hellosSent = 0;
  lastHelloAt = 0;
  /** A frame other than HELLO came from the peer: it has our HELLO (peers talk only to ready peers). */
  heard = false;
  /** Called when the bulk queue has emptied and the link has room. */
  onIdle?: () => void;
  /** Last time a block this peer sent was new to this node and accepted (mesh eviction protects recent providers). */
  lastNovelAt = -Infinity;
  /** Hex of the certified full-node key this peer proved on this link (AUTH, auth.ts), or null. */
  certified: string | null = null;
  /** Dialled from the certified-node directory: it must prove a certified key (AUTH) soon, or it is dropped. */
  authPending = false;
  /**
   * An AUTH whose signature verified for this link but whose key this node's authority state does
   * not certify (yet: a new node learns the certificates by syncing): checked again as statements arrive.
   */
  unprovenAuth: AuthFrame | null = null;
  /** When its HELLO arrived. */
  readyAt = 0;
  private ctrl: Uint8Array[] = [];
  private ctrlBytes = 0;
  private bulk: Uint8Array[] = [];
  private blocked = false;

  constructor(
    readonly link: Link,
    readonly outbound: boolean,
    /** Directory address, when the transport knows it (dialled peers). */
    readonly addr: string | undefined,
    readonly since: number,
    limits: Limits,
    /** The network prefix it comes from (sources.ts). */
    readonly source: string = addr ?? link.id,
    /** Its first score: its source's, never below INHERIT_FLOOR (sources.ts). */
    initialScore = 0,
  ) {
    this.score = new PeerScore(since, undefined, initialScore);
    this.frameBucket = new TokenBucket(limits.framesPerSec, limits.frameBurst, since);
    this.byteBucket = new TokenBucket(limits.bytesPerSec, limits.byteBurst, since);
    this.reassembler = new Reassembler(limits.maxPartialBytes);
    this.lastProgress = since;
  }

  /** HELLO received. */
  get ready(): boolean {
    return this.hello !== null && !this.closed;
  }
  get role(): NodeRole | null {
    return this.hello?.role ?? null;
  }
  carries(chain: ChainId): boolean {
    return this.hello !== null && this.hello.chains.includes(chain);
  }
  /** Nothing waiting in the bulk queue and the link is not refusing. */
  get bulkIdle(): boolean {
    return this.bulk.length === 0 && !this.blocked;
  }

  /** Charge a received frame to the rate limits; false if over. */
  admit(bytes: number, now: number): boolean {
    return this.frameBucket.take(1, now) && this.byteBucket.take(bytes, now);
  }

  /** Count a received frame. */
  countIn(frame: Uint8Array): void {
    this.stats.framesIn++;
    this.stats.bytesIn += frame.length;
    const name = FRAME_NAME[frame[0]] ?? 'unknown';
    this.stats.inByType[name] = (this.stats.inByType[name] ?? 0) + 1;
  }

  /**
   * Queue a frame. `bulk` frames (BLOCK chunks) are never dropped; a `droppable` control frame
   * (INV) is dropped when the control queue is full. Returns false if the frame was dropped.
   */
  send(frame: Uint8Array, opts: { bulk?: boolean; droppable?: boolean } = {}): boolean {
    if (this.closed) return false;
    if (opts.bulk) this.bulk.push(frame);
    else {
      if (this.ctrlBytes + frame.length > MAX_CTRL_BYTES) {
        if (opts.droppable) {
          this.stats.invDropped++;
          return false;
        }
        if (this.ctrlBytes + frame.length > 2 * MAX_CTRL_BYTES) {
          this.stalled = true;
          return false;
        }
      }
      this.ctrl.push(frame);
      this.ctrlBytes += frame.length;
    }
    this.pump();
    return true;
  }

  /** The link has room again. */
  drained(): void {
    this.blocked = false;
    this.pump();
  }

  private pump(): void {
    while (!this.blocked && !this.closed) {
      const q = this.ctrl.length ? this.ctrl : this.bulk.length ? this.bulk : null;
      if (!q) break;
      const f = q[0];
      if (!this.link.send(f)) {
        this.blocked = true;
        this.stats.refused++;
        break;
      }
      q.shift();
      if (q === this.ctrl) this.ctrlBytes -= f.length;
      this.stats.framesOut++;
      this.stats.bytesOut += f.length;
      const name = FRAME_NAME[f[0]] ?? 'unknown';
      this.stats.outByType[name] = (this.stats.outByType[name] ?? 0) + 1;
    }
    if (!this.blocked && !this.closed && this.bulk.length === 0) this.onIdle?.();
  }

  /** Forget queued output (the peer is gone). */
  clear(): void {
    this.ctrl = [];
    this.ctrlBytes = 0;
    this.bulk = [];
    this.serveQueue.length = 0;
    this.waiting = [];
    this.waitingFirst = [];
    this.getBatch = [];
    this.requested.clear();
    this.reassembler.clear();
    this.early = [];
  }
}

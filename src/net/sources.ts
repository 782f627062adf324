/**
 * Sources (docs/NET.md §7.2): what a node remembers of the network a peer comes from, across that
 * source's links. A *source* is the network prefix of a peer's address as the transport can tell
 * it: over WebRTC the signaling server's source tag, which it derives from the client's address
 * prefix (IPv4 /24, IPv6 /48; docs/SIGNALING.md "Peer ids"); in the in-memory network a name given
 * to each address. One host can open any number of links from fresh peer ids, but not from fresh
 * prefixes, so a node keys by source what must survive reconnection (issue 17 finding 1):
 *
 * - a **score** — the sum of its links' penalties, recovering like a peer's. A new link starts at
 *   its source's score (never below {@link INHERIT_FLOOR}), so a banned sybil's next id starts
 *   close to a ban; a source at or below {@link DISCOURAGED_SCORE} is *discouraged*: its inbound
 *   links are evicted first and its addresses dialled last (not refused: many honest people can
 *   share a prefix behind one NAT);
 * - the **sync work budget** (sync.ts), so a new link from the same source gets no fresh burst;
 * - the **parked bytes** of blocks waiting for the authority state (gossip.ts), so a source that
 *   leaves still pays for what it parked.
 *
 * The book is bounded (`capacity` sources, least recently seen forgotten first).
 *
 * @example
 * const book = new SourceBook();
 * book.penalize('198.51.100', 25, now);
 * book.score('198.51.100', now); // -25
 * @module
 */
import { PeerScore, TokenBucket } from './scores.ts';

/** A source at or below this score is discouraged (evicted first, dialled last). @example DISCOURAGED_SCORE === -100 */
export const DISCOURAGED_SCORE = -100;
/** A new link starts at its source's score, but never below this. @example INHERIT_FLOOR === -50 */
export const INHERIT_FLOOR = -50;

/**
 * The source of a signaling address `<room> <peer id>`: the peer id's first 8 hex digits, the
 * server's tag of the peer's network prefix (docs/SIGNALING.md "Peer ids"); any other address is
 * its own source.
 * @example signalingSource('beeptrace/v1/r1/notification 0a1b2c3d' + 'e'.repeat(24)) === 'tag:0a1b2c3d'
 */
export function signalingSource(addr: string): string {
  const peer = addr.slice(addr.lastIndexOf(' ') + 1);
  return /^[0-9a-f]{32}$/.test(peer) ? `tag:${peer.slice(0, 8)}` : addr;
}

/** What is kept per source. @example book.get(src, now).parked */
export interface SourceRecord {
  readonly score: PeerScore;
  /** The sync work budget of all its links together (created by sync.ts on first use). */
  work: TokenBucket | null;
  /** Bytes of blocks from this source parked until the authority state catches up. */
  parked: number;
  /** Links open now. */
  links: number;
}

/**
 * Per-source records of one node. See the module comment.
 * @example const rec = book.get(peer.source, now); rec.links++;
 */
export class SourceBook {
  private readonly m = new Map<string, SourceRecord>();

  constructor(readonly capacity = 4_096) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`SourceBook: capacity must be a positive integer, got ${capacity}`);
  }

  /** The record of `source`, made if new (and refreshed as recently seen). */
  get(source: string, now: number): SourceRecord {
    let r = this.m.get(source);
    if (r) {
      this.m.delete(source);
    } else {
      r = { score: new PeerScore(now), work: null, parked: 0, links: 0 };
      this.evict();
    }
    this.m.set(source, r);
    return r;
  }

  /** The current score of `source` (0 if it has none). */
  score(source: string, now: number): number {
    return this.m.get(source)?.score.value(now) ?? 0;
  }

  /** Take `points` off `source`'s score; returns the new score. */
  penalize(source: string, points: number, now: number): number {
    return this.get(source, now).score.penalize(points, now);
  }

  /** Is `source` discouraged now (score at or below DISCOURAGED_SCORE)? */
  discouraged(source: string, now: number): boolean {
    return this.score(source, now) <= DISCOURAGED_SCORE;
  }

  /** Sources known. */
  get size(): number {
    return this.m.size;
  }

  /** Make room for one more: forget the least recently seen source with no open link. */
  private evict(): void {
    if (this.m.size < this.capacity) return;
    for (const [k, r] of this.m) {
      if (r.links === 0) {
        this.m.delete(k);
        return;
      }
    }
    this.m.delete(this.m.keys().next().value as string);
  }
}

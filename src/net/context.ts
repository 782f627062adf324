/**
 * What the parts of a NetNode (gossip, sync, mesh) share: the ledger, the clock, the seeded
 * randomness, the peer table, and the node's send / penalize / track primitives. `NetNode`
 * implements it; the parts never see each other's internals except through it.
 *
 * @example
 * ctx.send(peer, { type: 'get', ids: sortIds(ids) });
 * ctx.penalize(peer, 'malformed', Penalty.MALFORMED, err.message);
 * @module
 */
import type { Ledger } from '../core/ledger/ledger.ts';
import type { Prng } from '../core/prng.ts';
import type { ChainId } from '../core/types.ts';
import type { Clock } from './link.ts';
import type { Frame, NodeRole } from './frames.ts';
import type { Peer } from './peer.ts';
import type { SourceBook } from './sources.ts';

/** Things worth logging; `NetNodeOptions.onEvent` receives them. @example onEvent: (e) => e.type === 'penalty' && console.warn(e) */
export type NetEvent =
  | { type: 'peer_ready'; link: string; role: NodeRole; outbound: boolean }
  /** The peer proved a certified full-node key on this link (AUTH, auth.ts). */
  | { type: 'peer_certified'; link: string }
  | { type: 'peer_closed'; link: string; reason: string }
  | { type: 'penalty'; link: string; reason: string; points: number; score: number; detail: string }
  | { type: 'banned'; link: string; addr: string | undefined; untilMs: number }
  | { type: 'dial_failed'; addr: string; error: string }
  | { type: 'upload_failed'; id: string; error: string }
  | { type: 'upload_proven'; id: string; chain: ChainId; fromTime: number; toTime: number }
  | { type: 'upload_absent'; id: string; renewedAs: string | null }
  | { type: 'upload_expired'; id: string }
  | { type: 'error'; where: string; error: string }
  /** This node's own store failed (a full disk): the node stopped; no peer was blamed. */
  | { type: 'fault'; error: string };

/** The node as its parts see it. @example ctx.readyPeers().filter((p) => p.carries(chain)) */
export interface NetContext {
  readonly ledger: Ledger;
  readonly clock: Clock;
  readonly rng: Prng;
  readonly role: NodeRole;
  /** Peers that have said HELLO and are open. */
  readyPeers(): Peer[];
  /** Encode and queue a frame (`droppable` for INV; BLOCK chunks go through `sendBulk`). */
  send(peer: Peer, f: Frame, opts?: { droppable?: boolean }): void;
  /** Queue already-encoded BLOCK chunk frames. */
  sendBulk(peer: Peer, frames: Uint8Array[]): void;
  /** Score a peer down (and disconnect it at the threshold); a peer already gone: its source pays (sources.ts). */
  penalize(peer: Peer, reason: string, points: number, detail: string): void;
  /** What the node remembers per source across links (sources.ts). */
  readonly sources: SourceBook;
  /** Register async work, so `settle()` waits for it. */
  track(p: Promise<unknown>): void;
  /** Run ledger writes one at a time, in order. */
  serial<T>(fn: () => Promise<T>): Promise<T>;
  /** A local fault (this node's store failed): stop the node visibly; never blame a peer. */
  fault(e: Error): void;
  /** Is the chain carried by this node? */
  carries(chain: ChainId): boolean;
  /**
   * What of `chain` this node and a ready `peer` exchange (INV, GET, SYNC): 'all' when both carry
   * it; 'cases' for the tracing chain when one side is thin — its case blocks only
   * (docs/PROTOCOL.md §15 item 34); null: nothing.
   */
  exchanges(peer: Peer, chain: ChainId): 'all' | 'cases' | null;
  emit(e: NetEvent): void;
}

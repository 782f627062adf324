/**
 * The answering side of upload retention (docs/NET.md §Upload retention): a node that carries a
 * chain answers PROVE — "prove that block id is in this checkpoint" — with PROOF: an RFC 6962
 * inclusion path (INCLUDED); ABSENT when its blocks of the interval give exactly the checkpoint
 * and the id is not among them, or give it exactly once the id is taken out (the block arrived
 * after the validators closed the interval); otherwise UNKNOWN.
 *
 * Cost control: the leaves of an interval (one SHA-256 per block) are computed once and cached per
 * interval, recomputed only when the node's block count in it changed; intervals longer than a day
 * are not served; each peer gets `proofsPerSec` answers a second (burst `proofBurst`), beyond that
 * UNKNOWN — an honest thin node asks a few times a day.
 *
 * @example
 * const server = new ProofServer(ctx);
 * server.onProve(peer, { type: 'prove', id, checkpoint }); // sends PROOF to peer
 * @module
 */
import { equal, toHex } from '../core/bytes.ts';
import { checkpointLeaves } from '../core/ledger/checkpoints.ts';
import { inclusionProof, merkleRoot } from '../core/merkle.ts';
import type { NetContext } from './context.ts';
import { ProofStatus, type CheckpointRef, type ProofFrame, type ProveFrame } from './frames.ts';
import type { Peer } from './peer.ts';

/** Longest checkpoint interval a node computes proofs for, seconds (validators use 10 minutes). */
export const MAX_PROOF_INTERVAL_SEC = 86_400;
/** Intervals whose leaves are kept. */
const CACHED_INTERVALS = 16;

interface Interval {
  size: number;
  root: Uint8Array;
  leaves: Uint8Array[];
  index: Map<string, number>;
}

/** A checkpoint's interval as a map key. @example intervalKey(cp) === '1:1000:1600' */
export function intervalKey(cp: Pick<CheckpointRef, 'chain' | 'fromTime' | 'toTime'>): string {
  return `${cp.chain}:${cp.fromTime}:${cp.toTime}`;
}

/**
 * Answers PROVE frames from the node's own ledger. See the module comment.
 * @example new ProofServer(ctx, { proofsPerSec: 2, proofBurst: 20 })
 */
export class ProofServer {
  readonly stats = { served: 0, included: 0, absent: 0, unknown: 0, throttled: 0 };
  private readonly cache = new Map<string, Interval>();
  private readonly buckets = new WeakMap<Peer, { tokens: number; at: number }>();

  constructor(
    private readonly ctx: NetContext,
    private readonly o: { proofsPerSec: number; proofBurst: number } = { proofsPerSec: 2, proofBurst: 20 },
  ) {}

  /** Answer one PROVE. */
  onProve(peer: Peer, f: ProveFrame): void {
    this.stats.served++;
    const cp = f.checkpoint;
    const answer = (status: ProofFrame['status'], index = 0, path: Uint8Array[] = []) => {
      if (status === ProofStatus.INCLUDED) this.stats.included++;
      else if (status === ProofStatus.ABSENT) this.stats.absent++;
      else this.stats.unknown++;
      this.ctx.send(peer, { type: 'proof', id: f.id, root: cp.root, status, index, path });
    };
    if (!this.admit(peer)) {
      this.stats.throttled++;
      answer(ProofStatus.UNKNOWN);
      return;
    }
    if (!this.ctx.carries(cp.chain) || cp.toTime - cp.fromTime > MAX_PROOF_INTERVAL_SEC) {
      answer(ProofStatus.UNKNOWN);
      return;
    }
    const t = this.interval(cp);
    const i = t.index.get(toHex(f.id));
    if (t.size === cp.size && equal(t.root, cp.root)) {
      if (i === undefined) answer(ProofStatus.ABSENT);
      else answer(ProofStatus.INCLUDED, i, inclusionProof(this.ctx.ledger.opts.crypto.sha256, t.leaves, i));
      return;
    }
    // The usual reason for a difference: this very block arrived after the validators closed the
    // interval. Then the checkpoint is exactly this node's blocks without it: the block is absent.
    if (i !== undefined && t.size === cp.size + 1 && equal(merkleRoot(this.ctx.ledger.opts.crypto.sha256, t.leaves.filter((_, k) => k !== i)), cp.root)) {
      answer(ProofStatus.ABSENT);
      return;
    }
    answer(ProofStatus.UNKNOWN); // this node's blocks of the interval are not the checkpoint's
  }

  /** The interval's leaves, from the cache while the node's block count in it is unchanged. */
  private interval(cp: CheckpointRef): Interval {
    const key = intervalKey(cp);
    const count = this.ctx.ledger.entries(cp.chain, cp.fromTime, cp.toTime).length;
    const hit = this.cache.get(key);
    if (hit && hit.size === count) return hit;
    const c = this.ctx.ledger.opts.crypto;
    const { ids, leaves } = checkpointLeaves(c, this.ctx.ledger, cp.chain, cp.fromTime, cp.toTime);
    const t: Interval = { size: leaves.length, root: merkleRoot(c.sha256, leaves), leaves, index: new Map(ids.map((id, i) => [toHex(id), i])) };
    this.cache.delete(key);
    if (this.cache.size >= CACHED_INTERVALS) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(key, t);
    return t;
  }

  private admit(peer: Peer): boolean {
    const now = this.ctx.clock.now();
    const b = this.buckets.get(peer) ?? { tokens: this.o.proofBurst, at: now };
    b.tokens = Math.min(this.o.proofBurst, b.tokens + ((now - b.at) / 1000) * this.o.proofsPerSec);
    b.at = now;
    this.buckets.set(peer, b);
    if (b.tokens < 1) return false;
    b.tokens--;
    return true;
  }
}

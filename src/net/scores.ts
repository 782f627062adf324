/**
 * Per-peer limits and scores (docs/NET.md §Limits and scores). Every peer has two token buckets —
 * frames per second and bytes per second — that every frame it sends must pass, except the BLOCK
 * chunks this node asked for that its partial budget takes (those are bounded by the node's own
 * request window). A peer's score starts at 0, drops with each penalty and recovers slowly towards
 * 0; at DISCONNECT_SCORE the peer
 * is disconnected and its address (if known) is not dialled again for `banMs`.
 *
 * @example
 * const s = new PeerScore(now);
 * if (s.penalize(Penalty.MALFORMED, now) <= DISCONNECT_SCORE) disconnect();
 * @module
 */

/**
 * A token bucket: `rate` tokens per second, at most `burst` saved up.
 * @example const b = new TokenBucket(100, 500, now); if (!b.take(1, now)) reject();
 */
export class TokenBucket {
  private tokens: number;
  private at: number;
  constructor(
    readonly rate: number,
    readonly burst: number,
    now: number,
  ) {
    if (!(rate > 0) || !(burst > 0)) throw new RangeError(`TokenBucket: rate and burst must be > 0, got ${rate}, ${burst}`);
    this.tokens = burst;
    this.at = now;
  }
  /** Take `n` tokens if there are enough; false (and nothing taken) if not. */
  take(n: number, now: number): boolean {
    if (now > this.at) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) / 1000) * this.rate);
      this.at = now;
    }
    if (this.tokens < n) return false;
    this.tokens -= n;
    return true;
  }
}

/** Points taken off a peer's score per offence. @example penalize(peer, 'malformed', Penalty.MALFORMED, err.message) */
export const Penalty = {
  /** A frame that does not decode (CodecError). */
  MALFORMED: 100,
  /** A frame over MAX_FRAME. */
  OVERSIZED: 100,
  /** A block that fails a rule no honest node can disagree on (bad signature, proof-of-work, encoding…). */
  INVALID_BLOCK: 100,
  /** A block whose bytes do not hash to the id it was sent under. */
  WRONG_ID: 100,
  /** A frame over the peer's frame or byte rate. */
  FLOOD: 5,
  /** A block chunk this node never asked for. */
  UNSOLICITED: 25,
  /** A message that breaks the protocol (frame before HELLO, a chain the sender does not carry…). */
  PROTOCOL: 25,
  /** A handler threw on the peer's input (a bug, or an input the codec let through): disconnect. */
  HANDLER_ERROR: 100,
  /** An upload of a chain this node told the peer it does not carry. */
  UPLOAD_NOT_CARRIED: 20,
  /** More GET ids queued than the serve queue holds. */
  SERVE_OVERFLOW: 20,
  /** A block that stays unacceptable for reasons honest nodes can briefly disagree on (authority state, clock). */
  SOFT_REJECT: 5,
  /** An inclusion proof that does not verify against the checkpoint it answers: a lie, not a disagreement. */
  BAD_PROOF: 100,
  /** A PROOF nobody asked this peer for. */
  UNSOLICITED_PROOF: 10,
  /** An AUTH whose signature does not verify for this connection: a forged or relayed proof of a certified key. */
  BAD_AUTH: 100,
} as const;

/** Score at or below which a peer is disconnected. @example score <= DISCONNECT_SCORE */
export const DISCONNECT_SCORE = -100;

/**
 * A peer's behaviour score: 0 is good, penalties subtract, and it recovers `recoverPerSec`
 * points per second towards 0.
 * @example const s = new PeerScore(now); s.penalize(5, now); s.value(now) // -5
 */
export class PeerScore {
  private v: number;
  private at: number;
  constructor(
    now: number,
    readonly recoverPerSec = 0.1,
    initial = 0,
  ) {
    if (!(initial <= 0)) throw new RangeError(`PeerScore: the initial score must be ≤ 0, got ${initial}`);
    this.v = initial;
    this.at = now;
  }
  /** Current score. */
  value(now: number): number {
    if (now > this.at) {
      this.v = Math.min(0, this.v + ((now - this.at) / 1000) * this.recoverPerSec);
      this.at = now;
    }
    return this.v;
  }
  /** Subtract `points`; returns the new score. */
  penalize(points: number, now: number): number {
    this.v = this.value(now) - points;
    return this.v;
  }
}

/** Rate limits and budgets per peer. @example new NetNode({ …, limits: { framesPerSec: 50 } }) */
export interface Limits {
  /** Frames per second a peer may send (solicited BLOCK chunks excepted). */
  framesPerSec: number;
  frameBurst: number;
  /** Bytes per second a peer may send (solicited BLOCK chunks excepted). */
  bytesPerSec: number;
  byteBurst: number;
  /** Most block ids a peer may have waiting in this node's serve queue. */
  maxServeQueue: number;
  /** Most bytes of partial blocks held per peer. */
  maxPartialBytes: number;
  /** How long a misbehaving peer's address is not dialled again, ms. */
  banMs: number;
}

/** Defaults: generous for honest traffic (a late joiner's whole sync fits), tight for floods. @example DEFAULT_LIMITS.framesPerSec */
export const DEFAULT_LIMITS: Limits = {
  framesPerSec: 200,
  frameBurst: 1_000,
  bytesPerSec: 1_000_000,
  byteBurst: 4_000_000,
  maxServeQueue: 2_048,
  maxPartialBytes: 2 * 1024 * 1024,
  banMs: 10 * 60_000,
};

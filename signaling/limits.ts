/**
 * The server's limits: their defaults, their validation, and the per-connection token bucket.
 * See the table in docs/SIGNALING.md.
 */

/** Every tunable limit of the signaling server. */
export interface SignalingLimits {
  /** Largest accepted frame (one message), bytes. Passed to ws `maxPayload`. */
  maxFrameBytes: number;
  /** Token-bucket refill rate: sustained messages (and pings) per second per connection. */
  messagesPerSecond: number;
  /** Token-bucket capacity: messages a connection may send at once. */
  burst: number;
  /** Rooms one connection may be in at the same time. */
  maxRoomsPerConnection: number;
  /** Members one room may hold. */
  maxRoomSize: number;
  /** Most peer ids returned in a `peers` message (a random sample of the room). */
  peerSampleSize: number;
  /** The server pings every connection this often, ms. */
  heartbeatIntervalMs: number;
  /** A connection with no pong for longer than this is closed (4006), ms. */
  heartbeatTimeoutMs: number;
  /** Open connections in total; one more is closed with 4007. */
  maxConnections: number;
  /**
   * TCP connections whose WebSocket upgrade is still in progress (or plain HTTP requests); one more
   * is destroyed at once. They also count towards the total: at most maxConnections + maxHandshakes sockets.
   */
  maxHandshakes: number;
  /** A socket that has not completed its WebSocket upgrade within this is destroyed, ms. */
  handshakeTimeoutMs: number;
  /** A recipient whose unsent buffer exceeds this many bytes gets no more signals (`peer-busy`). */
  maxBufferedBytes: number;
  /** After the server closes a connection, the socket is destroyed if the peer has not answered within this, ms. */
  closeTimeoutMs: number;
  /** Open connections from one source (source.ts); one more is closed with 4009. Default: a tenth of `maxConnections`. */
  maxConnectionsPerSource: number;
  /** Sockets from one source whose upgrade is in progress; one more is destroyed. Default: a tenth of `maxHandshakes`. */
  maxHandshakesPerSource: number;
  /** Members of one room from one source; one more join is closed with 4004. Default: a tenth of `maxRoomSize`. */
  maxRoomMembersPerSource: number;
  /** Prefix length of an IPv4 source, bits. */
  sourcePrefixV4: number;
  /** Prefix length of an IPv6 source, bits. */
  sourcePrefixV6: number;
}

/** The per-source limits, which default to a tenth of the total they divide. */
const PER_SOURCE: Partial<Record<keyof SignalingLimits, keyof SignalingLimits>> = {
  maxConnectionsPerSource: 'maxConnections',
  maxHandshakesPerSource: 'maxHandshakes',
  maxRoomMembersPerSource: 'maxRoomSize',
};

/**
 * The defaults: safe for a public server on a small machine.
 *
 * @example
 * const limits = { ...DEFAULT_LIMITS, maxRoomSize: 100 };
 */
export const DEFAULT_LIMITS: Readonly<SignalingLimits> = Object.freeze({
  maxFrameBytes: 16 * 1024,
  messagesPerSecond: 20,
  burst: 40,
  maxRoomsPerConnection: 4,
  maxRoomSize: 5000,
  peerSampleSize: 20,
  heartbeatIntervalMs: 15_000,
  heartbeatTimeoutMs: 30_000,
  maxConnections: 10_000,
  maxHandshakes: 256,
  handshakeTimeoutMs: 10_000,
  maxBufferedBytes: 1024 * 1024,
  closeTimeoutMs: 5_000,
  maxConnectionsPerSource: 1_000,
  maxHandshakesPerSource: 26,
  maxRoomMembersPerSource: 500,
  sourcePrefixV4: 24,
  sourcePrefixV6: 48,
});

/** The smallest value each limit may take (all are integers). */
const MINIMUM: Record<keyof SignalingLimits, number> = {
  maxFrameBytes: 256,
  messagesPerSecond: 1,
  burst: 1,
  maxRoomsPerConnection: 1,
  maxRoomSize: 1,
  peerSampleSize: 1,
  heartbeatIntervalMs: 10,
  heartbeatTimeoutMs: 10,
  maxConnections: 1,
  maxHandshakes: 1,
  handshakeTimeoutMs: 10,
  maxBufferedBytes: 1024,
  closeTimeoutMs: 10,
  maxConnectionsPerSource: 1,
  maxHandshakesPerSource: 1,
  maxRoomMembersPerSource: 1,
  sourcePrefixV4: 0,
  sourcePrefixV6: 0,
};
/** The largest value a limit may take, where there is one. */
const MAXIMUM: Partial<Record<keyof SignalingLimits, number>> = { sourcePrefixV4: 32, sourcePrefixV6: 128 };

/**
 * Fills in defaults and checks every limit is an integer within range.
 *
 * @throws RangeError naming the limit and the value that was wrong.
 * @example
 * resolveLimits({ heartbeatIntervalMs: 100, heartbeatTimeoutMs: 200 }).maxRoomSize; // 5000
 * resolveLimits({ maxConnections: 300 }).maxConnectionsPerSource; // 30
 * resolveLimits({ burst: 0 }); // throws RangeError: limit "burst" must be an integer >= 1, got 0
 */
export function resolveLimits(partial: Partial<SignalingLimits> = {}): SignalingLimits {
  const out = { ...DEFAULT_LIMITS } as SignalingLimits;
  for (const key of Object.keys(partial) as Array<keyof SignalingLimits>) {
    if (!(key in MINIMUM)) throw new RangeError(`unknown limit "${String(key)}"`);
    const v = partial[key];
    if (v === undefined) continue;
    const max = MAXIMUM[key] ?? Number.MAX_SAFE_INTEGER;
    if (!Number.isSafeInteger(v) || v < MINIMUM[key] || v > max) {
      throw new RangeError(`limit "${key}" must be an integer >= ${MINIMUM[key]}${max < Number.MAX_SAFE_INTEGER ? ` and <= ${max}` : ''}, got ${String(v)}`);
    }
    out[key] = v;
  }
  // a per-source limit not given is a tenth of its total (so one source never holds more than a tenth)
  for (const [key, total] of Object.entries(PER_SOURCE) as [keyof SignalingLimits, keyof SignalingLimits][]) {
    if (partial[key] === undefined) out[key] = Math.max(1, Math.ceil(out[total] / 10));
  }
  return out;
}

/**
 * A token bucket: `burst` tokens, refilled at `perSecond`. One message costs one token.
 *
 * @example
 * const b = new TokenBucket(20, 40);
 * if (!b.take()) close(4002, 'rate limit');
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  /** @param now clock in ms (injectable for tests; default `performance.now`). */
  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = burst;
    this.last = now();
  }

  /** Takes one token; false if the bucket is empty (the message is over the limit). */
  take(): boolean {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) * this.perSecond) / 1000);
    this.last = t;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

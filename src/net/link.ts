/**
 * The two things the network layer needs from its environment: a `Link` (one bidirectional
 * connection to one peer that carries whole binary frames) and a `Clock` (time and timers).
 * Everything in src/net talks to the outside only through these, so the same code runs over
 * simple-peer data channels in a browser, over @roamhq/wrtc in Node, and over the deterministic
 * in-memory network (`memory-net.ts`) in tests, in virtual time.
 *
 * @example
 * // A clock over the host's timers (browser or Node):
 * const clock: Clock = { now: () => Date.now(), setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as number) };
 * @module
 */

/**
 * One connection to one peer. Frames are delivered whole (message-oriented, like a WebRTC data
 * channel), at most `MAX_FRAME` bytes each (`frames.ts`).
 *
 * Contract for implementations:
 * - `id` is random per connection (never derived from the peer's identity or address), so it can
 *   be shown and logged without tracking anyone across connections.
 * - `send` returns `true` when the frame was accepted for transmission, and `false` when the
 *   link's buffer is full and the frame was NOT accepted: the caller keeps it and sends it again
 *   after `onDrain`. A link that reports `false` MUST later call `onDrain` once there is room
 *   (unless it closes first). Sending on a closed link drops the frame; its return value is then
 *   meaningless (`onClose` is on its way, and the caller forgets the link).
 * - `onClose` is called exactly once when the link ends for any reason, including `close()` by
 *   this side; it may be called asynchronously. No `onFrame` follows it.
 * - `send` never calls `onFrame`, `onClose` or `onDrain` synchronously.
 *
 * @example
 * link.onFrame = (f) => handle(f);
 * if (!link.send(frame)) queue.unshift(frame); // wait for link.onDrain
 */
export interface Link {
  /** Random per connection; not an identifier of the peer. */
  readonly id: string;
  /** Accept a frame for transmission; `false` = buffer full, not accepted, wait for `onDrain`. */
  send(frame: Uint8Array): boolean;
  /** Bytes accepted by `send` but not yet handed to the network. */
  readonly bufferedAmount: number;
  /** End the connection; `reason` is for logs only. */
  close(reason?: string): void;
  onFrame?: (frame: Uint8Array) => void;
  onClose?: (reason: string) => void;
  onDrain?: () => void;
  /**
   * Channel binding, when the transport has one: bytes naming this connection's two ends, which a
   * man in the middle cannot make the same on both of its links — over WebRTC the DTLS certificate
   * fingerprints of the two ends (from the SDP); in the in-memory network the two ends' link ids.
   * `local` is this side's end. A certified node's AUTH signs them (auth.ts); a link without one
   * carries no AUTH.
   */
  readonly binding?: { readonly local: Uint8Array; readonly remote: Uint8Array };
}

/**
 * Time and timers, injected so that tests and simulations run in virtual time.
 *
 * @example
 * const h = clock.setTimeout(() => tick(), 1000);
 * clock.clearTimeout(h);
 */
export interface Clock {
  /** Milliseconds since the Unix epoch (virtual in simulations). */
  now(): number;
  /** Run `fn` once after `ms` milliseconds; returns a handle for `clearTimeout`. */
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

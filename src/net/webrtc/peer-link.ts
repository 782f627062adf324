/**
 * A Link over a real WebRTC data channel (simple-peer), in browsers and in Node (with
 * @roamhq/wrtc passed as `wrtc`). One data channel message = one frame; back-pressure follows the
 * channel's bufferedAmount: above the high-water mark `send` refuses the frame (returns false, the
 * frame is not sent; the caller keeps it), and `onDrain` fires when the buffer falls back below
 * the low-water mark.
 *
 * No STUN/TURN by default (`iceServers: []`): simple-peer's default names public STUN servers, and
 * loopback or a LAN needs none. Deployments pass their own ICE servers.
 *
 * @example
 * const p = new Peer({ initiator: true, wrtc, config: { iceServers: [] } });
 * const link = peerLink(p, randomId());
 * link.onFrame = (f) => …; link.send(frame);
 * @module
 */
import type { Link } from '../link.ts';

/** The part of a simple-peer instance this adapter uses. */
export interface SimplePeerLike {
  send(data: Uint8Array): void;
  destroy(err?: Error): void;
  on(event: 'data', fn: (d: Uint8Array) => void): void;
  on(event: 'close', fn: () => void): void;
  on(event: 'error', fn: (e: Error) => void): void;
  on(event: string, fn: (...a: unknown[]) => void): void;
  readonly connected: boolean;
  // simple-peer keeps the RTCDataChannel here; bufferedAmount is read from it.
  _channel?: { bufferedAmount: number; bufferedAmountLowThreshold: number; addEventListener?(t: string, fn: () => void): void; onbufferedamountlow?: (() => void) | null };
}

/** Above this many buffered bytes, `send` reports back-pressure. */
export const HIGH_WATER = 256 * 1024;
const LOW_WATER = 64 * 1024;

/** Wrap a connected simple-peer as a Link. `id` must be random per connection. */
export function peerLink(peer: SimplePeerLike, id: string): Link {
  let closed = false;
  const link: Link = {
    id,
    get bufferedAmount() {
      return peer._channel?.bufferedAmount ?? 0;
    },
    send(frame: Uint8Array): boolean {
      if (closed || (peer._channel?.bufferedAmount ?? 0) >= HIGH_WATER) return false;
      try {
        peer.send(frame);
      } catch {
        close('send failed');
        return false;
      }
      return true;
    },
    close(reason = 'closed') {
      close(reason);
    },
  };
  const ch = peer._channel;
  if (ch) {
    ch.bufferedAmountLowThreshold = LOW_WATER;
    const drained = () => link.onDrain?.();
    if (ch.addEventListener) ch.addEventListener('bufferedamountlow', drained);
    else ch.onbufferedamountlow = drained;
  }
  function close(reason: string) {
    if (closed) return;
    closed = true;
    try {
      peer.destroy();
    } catch {
      // already gone
    }
    link.onClose?.(reason);
  }
  peer.on('data', (d: Uint8Array) => {
    if (closed) return;
    try {
      link.onFrame?.(d instanceof Uint8Array ? new Uint8Array(d.buffer, d.byteOffset, d.byteLength) : new Uint8Array(d as ArrayBuffer));
    } catch {
      close('frame handler failed');
    }
  });
  peer.on('close', () => close('peer closed'));
  peer.on('error', (e: Error) => close(`peer error: ${e.message}`));
  return link;
}

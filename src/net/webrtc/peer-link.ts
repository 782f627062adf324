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
  // …and the RTCPeerConnection here: its descriptions give the channel binding.
  _pc?: { localDescription?: { sdp?: string } | null; remoteDescription?: { sdp?: string } | null };
}

/**
 * The DTLS certificate fingerprint an SDP names (`a=fingerprint:<hash> AB:CD:…`), as bytes
 * prefixed by the hash name, or null if there is none.
 * @example sdpFingerprint('v=0\r\na=fingerprint:sha-256 0A:1B\r\n') // utf8('sha-256') ‖ 0x20 ‖ 0x0a 0x1b
 */
export function sdpFingerprint(sdp: string | undefined): Uint8Array | null {
  const m = /^a=fingerprint:(\S+) ([0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2})+)\s*$/m.exec(sdp ?? '');
  if (!m) return null;
  const name = new TextEncoder().encode(m[1].toLowerCase());
  const bytes = m[2].split(':').map((x) => parseInt(x, 16));
  if (name.length + 1 + bytes.length > 255) return null;
  return new Uint8Array([...name, 0x20, ...bytes]);
}

/**
 * The channel binding of a connected peer (src/net/link.ts): the DTLS fingerprints of the local and
 * the remote certificate. A man in the middle terminates DTLS with its own certificates, so the
 * two ends it shows each side differ from the real ones (src/net/auth.ts).
 * @example const b = channelBinding(peer); // { local, remote } or undefined
 */
export function channelBinding(peer: SimplePeerLike): { local: Uint8Array; remote: Uint8Array } | undefined {
  const local = sdpFingerprint(peer._pc?.localDescription?.sdp);
  const remote = sdpFingerprint(peer._pc?.remoteDescription?.sdp);
  return local && remote ? { local, remote } : undefined;
}

/** Above this many buffered bytes, `send` reports back-pressure. */
export const HIGH_WATER = 256 * 1024;
const LOW_WATER = 64 * 1024;

/** Wrap a connected simple-peer as a Link. `id` must be random per connection. */
export function peerLink(peer: SimplePeerLike, id: string): Link {
  let closed = false;
  const binding = channelBinding(peer);
  const link: Link = {
    id,
    binding,
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

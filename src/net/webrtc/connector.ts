/**
 * Turns signaling + simple-peer into Links: `connect(room, peer)` opens a data channel to a peer
 * the signaling server sampled for us (we are the initiator); a peer that initiates to us is
 * accepted and handed to `onIncoming`. Each connection gets a fresh random link id.
 *
 * @example
 * const conn = new WebRtcConnector(sig, Peer, { wrtc });
 * conn.onIncoming = (room, link) => node.accept(link);
 * const link = await conn.connect(room, peerId);
 * @module
 */
import type { Link } from '../link.ts';
import { peerLink, type SimplePeerLike } from './peer-link.ts';
import type { SignalingClient } from './signaling-client.ts';

export interface PeerOptions {
  initiator: boolean;
  trickle?: boolean;
  wrtc?: unknown;
  config?: { iceServers: unknown[] };
  channelConfig?: { ordered?: boolean };
}
export type SimplePeerCtor = new (o: PeerOptions) => SimplePeerLike & { signal(data: unknown): void; on(ev: 'signal', fn: (d: unknown) => void): void; on(ev: 'connect', fn: () => void): void };

export interface ConnectorOptions {
  /** @roamhq/wrtc in Node; omit in browsers. */
  wrtc?: unknown;
  /** ICE servers for real deployments; none by default. */
  iceServers?: unknown[];
  /** Give up on a connection attempt after this long. */
  timeoutMs?: number;
  /** Most connections being set up at once (a flood of offers cannot exhaust us). */
  maxPending?: number;
}

function randomId(): string {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

export class WebRtcConnector {
  onIncoming?: (room: string, link: Link, peer: string) => void;
  private pending = new Map<string, InstanceType<SimplePeerCtor>>();

  constructor(
    private readonly sig: SignalingClient,
    private readonly Peer: SimplePeerCtor,
    private readonly opts: ConnectorOptions = {},
  ) {
    const prev = sig.onSignal;
    sig.onSignal = (room, from, data) => {
      prev?.(room, from, data);
      this.handleSignal(room, from, data);
    };
  }

  private key(room: string, peer: string): string {
    return `${room} ${peer}`;
  }

  private make(room: string, peer: string, initiator: boolean): InstanceType<SimplePeerCtor> {
    const p = new this.Peer({ initiator, trickle: true, wrtc: this.opts.wrtc, config: { iceServers: this.opts.iceServers ?? [] } });
    p.on('signal', (d: unknown) => this.sig.signal(room, peer, d));
    this.pending.set(this.key(room, peer), p);
    return p;
  }

  /** Open a data channel to `peer` of `room`. Rejects on timeout or failure. */
  connect(room: string, peer: string): Promise<Link> {
    const k = this.key(room, peer);
    if (this.pending.has(k)) return Promise.reject(new Error('a connection to this peer is already being set up'));
    if (this.pending.size >= (this.opts.maxPending ?? 16)) return Promise.reject(new Error('too many connections being set up'));
    const p = this.make(room, peer, true);
    return new Promise<Link>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(k);
        p.destroy();
        reject(new Error(`no data channel to ${peer.slice(0, 8)}… within ${this.opts.timeoutMs ?? 15_000} ms`));
      }, this.opts.timeoutMs ?? 15_000);
      p.on('connect', () => {
        clearTimeout(timer);
        this.pending.delete(k);
        resolve(peerLink(p, randomId()));
      });
      p.on('error', (e: Error) => {
        clearTimeout(timer);
        this.pending.delete(k);
        reject(e);
      });
    });
  }

  private handleSignal(room: string, from: string, data: unknown): void {
    const k = this.key(room, from);
    let p = this.pending.get(k);
    if (!p) {
      // Only an offer may start an incoming connection.
      if (!data || typeof data !== 'object' || (data as { type?: string }).type !== 'offer') return;
      if (this.pending.size >= (this.opts.maxPending ?? 16)) return;
      p = this.make(room, from, false);
      const peer = p;
      const timer = setTimeout(() => {
        this.pending.delete(k);
        peer.destroy();
      }, this.opts.timeoutMs ?? 15_000);
      peer.on('connect', () => {
        clearTimeout(timer);
        this.pending.delete(k);
        this.onIncoming?.(room, peerLink(peer, randomId()), from);
      });
      peer.on('error', () => {
        clearTimeout(timer);
        this.pending.delete(k);
      });
    }
    try {
      p.signal(data);
    } catch {
      this.pending.delete(k);
      p.destroy();
    }
  }
}

/**
 * Turns signaling + simple-peer into Links: `connect(room, peer)` opens a data channel to a peer
 * the signaling server sampled for us (we are the initiator); a peer that initiates to us is
 * accepted and handed to `onIncoming`. Each connection gets a fresh random link id.
 *
 * Crossed dials (both peers dial each other at once, so an offer arrives while our own offer to
 * the same peer is pending): the side with the lower signaling id keeps its dial and ignores the
 * other's offer — and the rest of that abandoned attempt, up to the answer to its own offer; the
 * side with the higher id gives its dial up (its `connect` rejects) and answers. Without this both
 * ends would feed one peer object two sessions' signals and end up with data channels that never
 * meet.
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
  /** Dials we started (initiator), by key: only these can cross. */
  private dialling = new Set<string>();
  /** Peers whose abandoned crossed dial we ignore until their answer to ours arrives. */
  private ignoring = new Set<string>();

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

  /**
   * Abort every connection still being set up (dials and incoming offers): their peer connections
   * are destroyed now, not at their timeout, so nothing native outlives a stopped transport.
   */
  stop(): void {
    for (const p of this.pending.values()) {
      try {
        p.destroy(new Error('the transport stopped'));
      } catch {
        // already gone
      }
    }
    this.pending.clear();
    this.dialling.clear();
    this.ignoring.clear();
  }

  /** Open a data channel to `peer` of `room`. Rejects on timeout or failure. */
  connect(room: string, peer: string): Promise<Link> {
    const k = this.key(room, peer);
    if (this.pending.has(k)) return Promise.reject(new Error('a connection to this peer is already being set up'));
    if (this.pending.size >= (this.opts.maxPending ?? 16)) return Promise.reject(new Error('too many connections being set up'));
    const p = this.make(room, peer, true);
    this.dialling.add(k);
    const done = () => {
      if (this.pending.get(k) === p) {
        this.pending.delete(k);
        this.dialling.delete(k);
        this.ignoring.delete(k);
      }
    };
    return new Promise<Link>((resolve, reject) => {
      const timer = setTimeout(() => {
        done();
        p.destroy();
        reject(new Error(`no data channel to ${peer.slice(0, 8)}… within ${this.opts.timeoutMs ?? 15_000} ms`));
      }, this.opts.timeoutMs ?? 15_000);
      p.on('connect', () => {
        clearTimeout(timer);
        done();
        resolve(peerLink(p, randomId()));
      });
      p.on('error', (e: Error) => {
        clearTimeout(timer);
        done();
        reject(e);
      });
    });
  }

  private handleSignal(room: string, from: string, data: unknown): void {
    const k = this.key(room, from);
    const type = data && typeof data === 'object' ? (data as { type?: string }).type : undefined;
    if (this.ignoring.has(k)) {
      if (type !== 'answer') return; // the rest of their abandoned crossed dial
      this.ignoring.delete(k);
    }
    let p = this.pending.get(k);
    if (p && type === 'offer' && this.dialling.has(k)) {
      // crossed dials: the lower signaling id keeps its own
      if ((this.sig.id ?? '') < from) {
        this.ignoring.add(k);
        return;
      }
      this.pending.delete(k);
      this.dialling.delete(k);
      p.destroy(new Error(`crossed dials with ${from.slice(0, 8)}…: answering theirs`));
      p = undefined;
    }
    if (!p) {
      // Only an offer may start an incoming connection.
      if (!data || typeof data !== 'object' || (data as { type?: string }).type !== 'offer') return;
      if (this.pending.size >= (this.opts.maxPending ?? 16)) return;
      p = this.make(room, from, false);
      const peer = p;
      const forget = () => {
        if (this.pending.get(k) === peer) this.pending.delete(k);
      };
      const timer = setTimeout(() => {
        forget();
        peer.destroy();
      }, this.opts.timeoutMs ?? 15_000);
      peer.on('connect', () => {
        clearTimeout(timer);
        forget();
        this.onIncoming?.(room, peerLink(peer, randomId()), from);
      });
      peer.on('error', () => {
        clearTimeout(timer);
        forget();
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

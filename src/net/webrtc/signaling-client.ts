/**
 * Client of the signaling server (docs/SIGNALING.md): joins rooms, learns a random sample of
 * peers, and relays WebRTC offers, answers and candidates. Reconnects with capped exponential
 * backoff (with jitter) and re-joins its rooms. Works with the browser's WebSocket and with `ws`
 * in Node (pass its class as `WebSocketImpl`).
 *
 * @example
 * const sig = new SignalingClient({ url: 'ws://127.0.0.1:8787', rooms: ['beeptrace/v1/r1/notification'] });
 * sig.onPeers = (room, peers) => …; sig.onSignal = (room, from, data) => …;
 * sig.start();
 * @module
 */

export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}
export type WebSocketCtor = new (url: string) => WebSocketLike;

export interface SignalingOptions {
  url: string;
  rooms: string[];
  WebSocketImpl?: WebSocketCtor;
  /** Backoff bounds, ms. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  random?: () => number;
}

/** Room name for a region and chain (or the region's certified-node directory). @example roomName('r1', 'notification') === 'beeptrace/v1/r1/notification' */
export function roomName(region: string, chain: 'tracing' | 'notification' | 'certified'): string {
  return `beeptrace/v1/${region}/${chain}`;
}

export class SignalingClient {
  /** This connection's random peer id (changes on every reconnect). */
  id: string | undefined;
  onPeers?: (room: string, peers: string[]) => void;
  onSignal?: (room: string, from: string, data: unknown) => void;
  onState?: (state: 'connecting' | 'open' | 'closed', detail?: string) => void;
  /** Reconnect attempts since the last successful connection. */
  attempts = 0;
  private ws: WebSocketLike | undefined;
  private stopped = true;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(readonly opts: SignalingOptions) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.ws?.close(1000, 'bye');
    this.ws = undefined;
  }

  get connected(): boolean {
    return this.ws?.readyState === 1 && this.id !== undefined;
  }

  /** Stay in `room` from now on (joined now if connected, and after every reconnect). */
  join(room: string): void {
    if (this.opts.rooms.includes(room)) return;
    this.opts.rooms.push(room);
    if (this.connected) this.sendJson({ t: 'join', room });
  }

  /** Leave `room` for good. */
  leave(room: string): void {
    const i = this.opts.rooms.indexOf(room);
    if (i < 0) return;
    this.opts.rooms.splice(i, 1);
    if (this.connected) this.sendJson({ t: 'leave', room });
  }

  /** Send a WebRTC signal to a peer of a room. Returns false when not connected. */
  signal(room: string, to: string, data: unknown): boolean {
    return this.sendJson({ t: 'signal', room, to, data });
  }

  /**
   * Ask for a fresh sample of a room's peers: leave and join again (the server answers a second
   * join with `already-joined`). Also how a thin node samples the tracing room for carriers
   * without staying in it: `peek(room)`.
   */
  refresh(room: string): boolean {
    return this.sendJson({ t: 'leave', room }) && this.sendJson({ t: 'join', room });
  }

  /** Get one sample of a room's members without staying in the room. */
  peek(room: string): boolean {
    return this.sendJson({ t: 'join', room }) && this.sendJson({ t: 'leave', room });
  }

  private sendJson(m: unknown): boolean {
    if (!this.ws || this.ws.readyState !== 1) return false;
    try {
      this.ws.send(JSON.stringify(m));
      return true;
    } catch {
      return false;
    }
  }

  /** Capped exponential backoff with full jitter. */
  backoffMs(): number {
    const min = this.opts.minBackoffMs ?? 500;
    const max = this.opts.maxBackoffMs ?? 30_000;
    const cap = Math.min(max, min * 2 ** Math.min(this.attempts, 16));
    return Math.round(min + (cap - min) * (this.opts.random ?? Math.random)());
  }

  private connect(): void {
    const Impl = this.opts.WebSocketImpl ?? (globalThis as unknown as { WebSocket: WebSocketCtor }).WebSocket;
    this.onState?.('connecting');
    let ws: WebSocketLike;
    try {
      ws = new Impl(this.opts.url);
    } catch (e) {
      this.scheduleReconnect(`cannot open: ${(e as Error).message}`);
      return;
    }
    this.ws = ws;
    this.id = undefined;
    ws.onmessage = (ev) => {
      let m: { t?: string; id?: string; room?: string; peers?: unknown; from?: string; data?: unknown };
      try {
        m = JSON.parse(String(ev.data));
      } catch {
        return;
      }
      if (m.t === 'welcome' && typeof m.id === 'string') {
        this.id = m.id;
        this.attempts = 0;
        this.onState?.('open');
        for (const r of this.opts.rooms) this.sendJson({ t: 'join', room: r });
      } else if (m.t === 'peers' && typeof m.room === 'string' && Array.isArray(m.peers)) {
        this.onPeers?.(m.room, m.peers.filter((p): p is string => typeof p === 'string'));
      } else if (m.t === 'signal' && typeof m.room === 'string' && typeof m.from === 'string') {
        this.onSignal?.(m.room, m.from, m.data);
      }
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = undefined;
      this.id = undefined;
      this.scheduleReconnect(`closed ${ev.code} ${ev.reason}`);
    };
    ws.onerror = () => {
      // onclose follows
    };
  }

  private scheduleReconnect(detail: string): void {
    this.onState?.('closed', detail);
    if (this.stopped) return;
    const ms = this.backoffMs();
    this.attempts++;
    this.timer = setTimeout(() => {
      if (!this.stopped) this.connect();
    }, ms);
  }
}

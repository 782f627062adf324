/**
 * Links over MessagePorts, so that a NetNode can run in a Worker while the page holds the WebRTC
 * links (`RTCPeerConnection` exists only on the page). Three parts:
 *
 * - `PortLink`: a `Link` (src/net/link.ts) over one MessagePort. A MessagePort has no
 *   `bufferedAmount`, so the two ends keep a credit window: a sender may have at most `window`
 *   bytes unacknowledged; the receiver acknowledges a frame once it is consumed. On the page the
 *   frame counts as consumed only when the real link accepted it, so the worker's NetNode feels the
 *   real link's back-pressure (`send` false, then `onDrain`).
 * - `pumpLink(real, port)`: the page side, joining a real Link to a port.
 * - `PortTransport` (worker) and `serveTransport` (page): connect / discover / incoming links and
 *   the signaling state over one control port; every link crosses as a new transferred port.
 *
 * Wire messages on a link port: `{ t: 'f', b: Uint8Array }` a frame, `{ t: 'a', n }` n bytes
 * acknowledged, `{ t: 'x', reason }` closed. Anything else is a `PortProtocolError` and closes
 * that link only. Pure: only the `MessagePortLike` below, no DOM types.
 *
 * @example
 * // page                                         // worker
 * const { port1, port2 } = new MessageChannel();   const t = new PortTransport(port, { chains: ['notification'] });
 * serveTransport(port1, (chains) => new WebRtcTransport({ …, chains }));
 * worker.postMessage({ net: port2 }, [port2]);      t.attach(node); t.start(); node.start();
 * @module
 */
import { BeepTraceError } from '../core/errors.ts';
import type { ChainId } from '../core/types.ts';
import type { ChainName } from './assemble.ts';
import type { Link } from './link.ts';
import { signalingSource } from './sources.ts';

/** The part of a MessagePort (browser, worker or Node) this module uses. @example const p: MessagePortLike = new MessageChannel().port1 */
export interface MessagePortLike {
  postMessage(message: unknown, transfer?: unknown[]): void;
  onmessage: ((ev: { data: unknown; ports?: readonly unknown[] }) => void) | null;
  close(): void;
  start?(): void;
  addEventListener?(type: 'close', fn: () => void): void;
}

/** A message on a port that does not follow this protocol. @example if (e instanceof PortProtocolError) log(e.code) */
export class PortProtocolError extends BeepTraceError {}

/** Default credit window of a port link, bytes (the real link's high-water mark, src/net/webrtc/peer-link.ts). @example new PortLink(port, { window: PORT_WINDOW }) */
export const PORT_WINDOW = 256 * 1024;
/** What the page keeps for a worker that does not keep up before it drops the link, bytes. @example pumpLink(real, port, { maxQueued: PUMP_MAX_QUEUED }) */
export const PUMP_MAX_QUEUED = 4 * 1024 * 1024;

function randomId(): string {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

const later = (fn: () => void) => void Promise.resolve().then(fn);

/** The `discover` key of the certified-node directory on the control port (0: own chains; 1, 2: a chain). */
const CERTIFIED_KEY = 3;

/** A channel binding from a control message, if it is a well-formed one. */
function bindingFrom(b: unknown): { local: Uint8Array; remote: Uint8Array } | undefined {
  if (typeof b !== 'object' || b === null) return undefined;
  const { local, remote } = b as { local?: unknown; remote?: unknown };
  const ok = (x: unknown): x is Uint8Array => x instanceof Uint8Array && x.length >= 1 && x.length <= 255;
  return ok(local) && ok(remote) ? { local, remote } : undefined;
}

/** Options of a PortLink. @example new PortLink(port, { manualAck: true, onError: (e) => log(e.message) }) */
export interface PortLinkOptions {
  /** Random per connection (default: fresh random). */
  id?: string;
  /** Credit window, bytes; both ends must use the same. */
  window?: number;
  /** Acknowledge a frame only when `release(bytes)` is called (the page pump), not when `onFrame` returns. */
  manualAck?: boolean;
  /** Told why a link was closed for a protocol violation (it is also the close reason). */
  onError?: (e: PortProtocolError) => void;
  /** The real link's channel binding (src/net/link.ts), carried across from the page. */
  binding?: { local: Uint8Array; remote: Uint8Array };
}

/**
 * A Link over one end of a MessageChannel; the other end is another `PortLink` (or `pumpLink`).
 *
 * @example
 * const { port1, port2 } = new MessageChannel();
 * const a = new PortLink(port1), b = new PortLink(port2);
 * b.onFrame = (f) => …; a.send(new Uint8Array([1, 2]));
 */
export class PortLink implements Link {
  readonly id: string;
  readonly binding?: { local: Uint8Array; remote: Uint8Array };
  onFrame?: (frame: Uint8Array) => void;
  onClose?: (reason: string) => void;
  onDrain?: () => void;
  private readonly window: number;
  private inflight = 0;
  private refused = false;
  private received = 0;
  private closed = false;

  constructor(private readonly port: MessagePortLike, private readonly o: PortLinkOptions = {}) {
    this.id = o.id ?? randomId();
    if (o.binding) this.binding = o.binding;
    this.window = o.window ?? PORT_WINDOW;
    port.onmessage = (ev) => this.onMessage(ev.data);
    port.addEventListener?.('close', () => this.end('port closed', false));
    port.start?.();
  }

  /** Bytes sent and not yet acknowledged by the other end. */
  get bufferedAmount(): number {
    return this.inflight;
  }

  send(frame: Uint8Array): boolean {
    if (this.closed) return false;
    // One frame may exceed the window on its own (frames.ts caps it); otherwise stay inside it.
    if (this.inflight > 0 && this.inflight + frame.byteLength > this.window) {
      this.refused = true;
      return false;
    }
    try {
      // A view into a larger buffer would be cloned with all of that buffer: send a copy of the
      // view instead, and transfer the copy (nobody else holds it).
      if (frame.byteOffset !== 0 || frame.byteLength !== frame.buffer.byteLength) {
        const copy = frame.slice();
        this.port.postMessage({ t: 'f', b: copy }, [copy.buffer]);
      } else {
        this.port.postMessage({ t: 'f', b: frame });
      }
    } catch (e) {
      later(() => this.end(`send failed: ${(e as Error).message}`, true));
      return false;
    }
    this.inflight += frame.byteLength;
    return true;
  }

  /** With `manualAck`: the consumer is done with `bytes` of received frames; the sender may send them again. */
  release(bytes: number): void {
    if (this.closed || bytes <= 0) return;
    this.received -= bytes;
    this.post({ t: 'a', n: bytes });
  }

  close(reason = 'closed'): void {
    this.end(reason, true);
  }

  private post(m: unknown): void {
    try {
      this.port.postMessage(m);
    } catch {
      // the other end is gone; its close follows
    }
  }

  private fail(detail: string): void {
    const e = new PortProtocolError('bad_port_message', `port link ${this.id.slice(0, 8)}: ${detail}`);
    this.o.onError?.(e);
    this.end(e.message, true);
  }

  private onMessage(m: unknown): void {
    if (this.closed) return;
    if (typeof m !== 'object' || m === null) return this.fail(`not a message object (${typeof m})`);
    const msg = m as { t?: unknown; b?: unknown; n?: unknown; reason?: unknown };
    if (msg.t === 'f') {
      if (!(msg.b instanceof Uint8Array)) return this.fail('a frame must be a Uint8Array');
      const n = msg.b.byteLength;
      if (this.received > 0 && this.received + n > this.window) return this.fail('the other end overran the credit window');
      this.received += n;
      try {
        this.onFrame?.(msg.b);
      } catch {
        return this.end('frame handler failed', true);
      }
      if (!this.o.manualAck) this.release(n);
    } else if (msg.t === 'a') {
      if (typeof msg.n !== 'number' || !Number.isInteger(msg.n) || msg.n <= 0 || msg.n > this.inflight) return this.fail('a bad acknowledgement');
      this.inflight -= msg.n;
      if (this.refused) {
        this.refused = false;
        this.onDrain?.();
      }
    } else if (msg.t === 'x') {
      this.end(`remote closed: ${typeof msg.reason === 'string' ? msg.reason.slice(0, 200) : ''}`, false);
    } else {
      this.fail(`unknown message type ${JSON.stringify(String(msg.t)).slice(0, 40)}`);
    }
  }

  private end(reason: string, tell: boolean): void {
    if (this.closed) return;
    this.closed = true;
    if (tell) this.post({ t: 'x', reason });
    this.port.onmessage = null;
    try {
      this.port.close();
    } catch {
      // already closed
    }
    this.onClose?.(reason);
  }
}

/**
 * The page side: join a real Link (a WebRTC data channel) to a port whose other end is the
 * worker's `PortLink`. Frames from the worker are acknowledged only once the real link accepted
 * them; frames from the real link wait while the worker's window is full (at most
 * `maxQueued` bytes, then the link is dropped). Closing either side closes both.
 *
 * @example
 * const { port1, port2 } = new MessageChannel();
 * pumpLink(realLink, port1);
 * worker.postMessage({ link: port2 }, [port2]); // the worker: node.accept(new PortLink(port))
 */
export function pumpLink(real: Link, port: MessagePortLike, o: { window?: number; maxQueued?: number; onError?: (e: PortProtocolError) => void } = {}): PortLink {
  const end = new PortLink(port, { id: real.id, window: o.window, manualAck: true, onError: o.onError });
  const toReal: Uint8Array[] = [];
  const toWorker: Uint8Array[] = [];
  let queued = 0;
  const flushToReal = () => {
    while (toReal.length && real.send(toReal[0])) end.release(toReal.shift()!.byteLength);
  };
  const flushToWorker = () => {
    while (toWorker.length && end.send(toWorker[0])) queued -= toWorker.shift()!.byteLength;
  };
  end.onFrame = (f) => {
    toReal.push(f);
    if (toReal.length === 1) flushToReal();
  };
  real.onDrain = flushToReal;
  real.onFrame = (f) => {
    toWorker.push(f);
    queued += f.byteLength;
    if (toWorker.length === 1) flushToWorker();
    if (queued > (o.maxQueued ?? PUMP_MAX_QUEUED)) real.close('the worker does not keep up');
  };
  end.onDrain = flushToWorker;
  real.onClose = (reason) => end.close(reason);
  end.onClose = (reason) => real.close(reason);
  return end;
}

export type { ChainName };
/** Signaling state as the SignalingClient reports it. @example if (t.signaling === 'open') … */
export type SignalingState = 'connecting' | 'open' | 'closed';

/**
 * What `serveTransport` needs of the page's transport (`WebRtcTransport` fits).
 * @example const t: ServedTransport = new WebRtcTransport({ url, region, chains, Peer });
 */
export interface ServedTransport {
  connect(addr: string): Promise<Link>;
  discover(opts?: { chain?: ChainId; certified?: boolean }): string[];
  attach(node: { accept(link: Link, addr?: string): void }): void;
  start(): void;
  stop(): void;
  sig?: { onState?: (state: SignalingState, detail?: string) => void };
}

interface ChannelLike {
  port1: MessagePortLike;
  port2: MessagePortLike;
}
/** A new MessageChannel (global in browsers, workers and Node ≥ 15). */
function newChannel(): ChannelLike {
  const MC = (globalThis as unknown as { MessageChannel?: new () => ChannelLike }).MessageChannel;
  if (!MC) throw new Error('MessageChannel is not available here');
  return new MC();
}

function isPort(p: unknown): p is MessagePortLike {
  return typeof p === 'object' && p !== null && typeof (p as MessagePortLike).postMessage === 'function';
}

/**
 * Control messages. Worker → page: start {chains}, stop, connect {id, addr}, discover {chain}.
 * Page → worker: connected {id} + port, failed {id, message}, incoming {addr} + port,
 * candidates {key, addrs}, signaling {state, detail}.
 */
type Control = { t: string; [k: string]: unknown };

/**
 * The page side of the control port: on the worker's `start`, make the real transport for the
 * chains it asks (`make(chains)`), and serve it — each dialled or incoming link is pumped into a
 * new MessageChannel whose other end is transferred to the worker. Returns a stop function.
 *
 * @example
 * const stop = serveTransport(port, (chains) => new WebRtcTransport({ url, region, chains, Peer }));
 */
export function serveTransport(port: MessagePortLike, make: (chains: ChainName[]) => ServedTransport, o: { channel?: () => ChannelLike; onError?: (e: PortProtocolError) => void } = {}): () => void {
  const channel = o.channel ?? newChannel;
  let t: ServedTransport | undefined;
  let stopped = false;
  const post = (m: Control, transfer?: unknown[]) => {
    try {
      port.postMessage(m, transfer);
    } catch {
      // the worker is gone
    }
  };
  const handOver = (link: Link): MessagePortLike => {
    const ch = channel();
    pumpLink(link, ch.port1, { onError: o.onError });
    return ch.port2;
  };
  const bindingOf = (link: Link) => (link.binding ? { local: link.binding.local.slice(), remote: link.binding.remote.slice() } : undefined);
  const bad = (detail: string) => o.onError?.(new PortProtocolError('bad_control_message', `net control port: ${detail}`));
  port.onmessage = (ev) => {
    if (stopped) return;
    const m = ev.data as Control;
    if (typeof m !== 'object' || m === null || typeof m.t !== 'string') return bad('not a control message');
    if (m.t === 'start') {
      if (t) return;
      const chains = Array.isArray(m.chains) ? m.chains.filter((c): c is ChainName => c === 'tracing' || c === 'notification') : [];
      if (!chains.length) return bad('start names no chain');
      t = make(chains);
      t.attach({ accept: (link, addr) => {
        if (stopped) return link.close('stopped');
        const p = handOver(link);
        post({ t: 'incoming', addr: addr ?? '', binding: bindingOf(link), port: p }, [p]);
      } });
      if (t.sig) {
        const prev = t.sig.onState;
        t.sig.onState = (state, detail) => {
          prev?.(state, detail);
          post({ t: 'signaling', state, detail: detail ?? '' });
        };
      }
      t.start();
    } else if (m.t === 'stop') {
      t?.stop();
      t = undefined;
    } else if (m.t === 'connect' && typeof m.id === 'number' && typeof m.addr === 'string') {
      const id = m.id;
      if (!t) return post({ t: 'failed', id, message: 'the transport is not started' });
      t.connect(m.addr).then(
        (link) => {
          if (stopped) return link.close('stopped');
          const p = handOver(link);
          post({ t: 'connected', id, binding: bindingOf(link), port: p }, [p]);
        },
        (e: Error) => post({ t: 'failed', id, message: String(e?.message ?? e) }),
      );
    } else if (m.t === 'discover') {
      if (!t) return;
      // key 0: the node's own chains; 1, 2: that chain's carriers; CERTIFIED_KEY: the certified-node directory
      const chain = m.chain === 1 || m.chain === 2 ? (m.chain as ChainId) : undefined;
      const key = m.chain === CERTIFIED_KEY ? CERTIFIED_KEY : chain ?? 0;
      post({ t: 'candidates', key, addrs: t.discover(key === CERTIFIED_KEY ? { certified: true } : chain ? { chain } : undefined) });
    } else {
      bad(`unknown control message ${JSON.stringify(m.t).slice(0, 40)}`);
    }
  };
  port.start?.();
  return () => {
    stopped = true;
    t?.stop();
    port.onmessage = null;
    port.close();
  };
}

/**
 * The worker side of the control port: a transport for a NetNode (`connect`, `discover`,
 * `attach`, `start`, `stop`) whose links are `PortLink`s onto the page's real links.
 * `discover` is synchronous: it returns the latest candidates the page sent and asks for fresh ones.
 *
 * @example
 * const t = new PortTransport(port, { chains: ['notification'] });
 * const node = new NetNode({ ledger, clock, role: 'thin', connect: t.connect, discover: t.discover });
 * t.attach(node); t.start(); node.start();
 */
export class PortTransport {
  /** The page's signaling state. */
  signaling: SignalingState = 'connecting';
  /** Detail of the last signaling state (a close code), for logs. */
  signalingDetail = '';
  onSignaling?: (state: SignalingState, detail: string) => void;
  onError?: (e: PortProtocolError) => void;
  private nextId = 1;
  private pending = new Map<number, { resolve: (l: Link) => void; reject: (e: Error) => void }>();
  private candidates = new Map<number, string[]>();
  private accept?: (link: Link, addr?: string) => void;
  private early: { link: Link; addr: string }[] = [];
  private closed = false;

  constructor(private readonly port: MessagePortLike, private readonly o: { chains: ChainName[] }) {
    port.onmessage = (ev) => this.onMessage(ev.data, ev.ports);
    port.addEventListener?.('close', () => {
      this.closed = true;
      for (const p of this.pending.values()) p.reject(new Error('the net control port closed'));
      this.pending.clear();
    });
    port.start?.();
  }

  /** True while the page is connected to the signaling server. */
  get connected(): boolean {
    return this.signaling === 'open';
  }

  /** Hand incoming links to a node (`node.accept`). */
  attach(node: { accept(link: Link, addr?: string): void }): void {
    this.accept = (l, a) => node.accept(l, a);
    for (const { link, addr } of this.early.splice(0)) this.accept(link, addr);
  }

  /** Ask the page to start the real transport for this node's chains. */
  start(): void {
    this.post({ t: 'start', chains: this.o.chains });
  }

  /** Stop the page's transport; pending dials fail. */
  stop(): void {
    this.post({ t: 'stop' });
    for (const p of this.pending.values()) p.reject(new Error('the transport stopped'));
    this.pending.clear();
  }

  /** The source of an address: its peer id's source tag, as on the page (src/net/sources.ts). */
  sourceOf = signalingSource;

  connect = (addr: string): Promise<Link> => {
    if (this.closed) return Promise.reject(new Error('the net control port is closed'));
    const id = this.nextId++;
    // a dialled address leaves the candidates, so the next discover() does not offer it again
    for (const [k, addrs] of this.candidates) this.candidates.set(k, addrs.filter((a) => a !== addr));
    return new Promise<Link>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.post({ t: 'connect', id, addr });
    });
  };

  discover = (opts?: { chain?: ChainId; certified?: boolean }): string[] => {
    const key = opts?.certified ? CERTIFIED_KEY : opts?.chain ?? 0;
    this.post({ t: 'discover', chain: key });
    return this.candidates.get(key) ?? [];
  };

  private post(m: Control): void {
    if (this.closed) return;
    try {
      this.port.postMessage(m);
    } catch {
      // the page is gone
    }
  }

  private bad(detail: string): void {
    this.onError?.(new PortProtocolError('bad_control_message', `net control port: ${detail}`));
  }

  private onMessage(data: unknown, ports: readonly unknown[] | undefined): void {
    const m = data as Control;
    if (typeof m !== 'object' || m === null || typeof m.t !== 'string') return this.bad('not a control message');
    const port = (isPort(m.port) ? m.port : ports?.[0]) as MessagePortLike | undefined;
    if (m.t === 'connected' && typeof m.id === 'number' && port) {
      const p = this.pending.get(m.id);
      const link = new PortLink(port, { onError: this.onError, binding: bindingFrom(m.binding) });
      if (!p) return link.close('nobody dialled this');
      this.pending.delete(m.id);
      p.resolve(link);
    } else if (m.t === 'failed' && typeof m.id === 'number') {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      p?.reject(new Error(typeof m.message === 'string' ? m.message : 'connection failed'));
    } else if (m.t === 'incoming' && port) {
      const link = new PortLink(port, { onError: this.onError, binding: bindingFrom(m.binding) });
      const addr = typeof m.addr === 'string' ? m.addr : '';
      if (this.accept) this.accept(link, addr);
      else if (this.early.length < 16) this.early.push({ link, addr });
      else link.close('no node attached');
    } else if (m.t === 'candidates' && typeof m.key === 'number' && Array.isArray(m.addrs)) {
      this.candidates.set(m.key, m.addrs.filter((a): a is string => typeof a === 'string'));
    } else if (m.t === 'signaling' && (m.state === 'connecting' || m.state === 'open' || m.state === 'closed')) {
      this.signaling = m.state;
      this.signalingDetail = typeof m.detail === 'string' ? m.detail : '';
      this.onSignaling?.(this.signaling, this.signalingDetail);
    } else {
      this.bad(`unexpected control message ${JSON.stringify(m.t).slice(0, 40)}`);
    }
  }
}

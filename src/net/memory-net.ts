/**
 * A deterministic in-memory network with a virtual clock, for tests, simulations and benchmarks
 * (in the style of the yjs test connector): every link, frame and timer lives in one event queue,
 * and one seeded Prng decides, per frame, whether it is dropped, duplicated and how long it is
 * delayed (a random delay in [min, max] ms, which also reorders frames). Partitions, churn and
 * slow links with bounded buffers (to exercise back-pressure) are explicit calls. Nothing uses
 * real time or real randomness: the same seed gives the same run.
 *
 * Model of one direction of a link: `send` puts the frame in the sender's buffer (at most
 * `bufferBytes`; beyond that `send` returns false and `onDrain` follows when the buffer is half
 * empty); frames leave the buffer at `bandwidth` bytes/ms; on leaving, each frame is dropped with
 * probability `loss`, or delivered after a random delay, and a second copy follows with
 * probability `duplicate`.
 *
 * Async work: after each event the network awaits the `settle()` of the endpoint(s) it concerned,
 * so that work a node started for that event (ledger writes) completes at that virtual time.
 *
 * @example
 * const net = new MemoryNet({ seed: 1, startMs: Date.UTC(2026, 2, 3), loss: 0.05, delay: [5, 80] });
 * net.add('a', { accept: (link) => nodeA.accept(link) });
 * const link = await net.connect('b', 'a'); // inside a running net.run(…)
 * await net.run(net.now() + 60_000);
 * @module
 */
import { Prng } from '../core/prng.ts';
import type { ChainId } from '../core/types.ts';
import type { Clock, Link } from './link.ts';

/** Behaviour of a link (per direction). @example net.configure('a', 'b', { bandwidth: 50, bufferBytes: 4096 }) */
export interface LinkOptions {
  /** Probability that a frame is lost. */
  loss: number;
  /** Probability that a frame is delivered twice. */
  duplicate: number;
  /** Delivery delay range, ms: each frame gets a uniform random delay in it. */
  delay: [number, number];
  /** Bytes per ms that leave the send buffer (Infinity: no queueing). */
  bandwidth: number;
  /** Send buffer capacity, bytes. */
  bufferBytes: number;
}

/** Options of a MemoryNet. @example new MemoryNet({ seed: 7, loss: 0.05 }) */
export interface MemoryNetOptions extends Partial<LinkOptions> {
  seed: number;
  /** Virtual clock start, ms since the epoch. Default 0. */
  startMs?: number;
  /** Time a connection takes to open, ms range. Default [20, 60]. */
  connectDelay?: [number, number];
}

/** What the network needs from a node. @example net.add('a', { accept: (l, from) => node.accept(l, from), settle: () => node.settle() }) */
export interface Endpoint {
  /** A peer opened a link to this node (`from` is its directory address). */
  accept(link: Link, from: string): void;
  /** Resolves when work the node started has finished (called after each of its events). */
  settle?(): Promise<void>;
}

interface Ev {
  at: number;
  seq: number;
  owners: string[];
  fn: () => void;
  cancelled: boolean;
}

/** Binary min-heap of events by (at, seq). */
class EventHeap {
  private a: Ev[] = [];
  get size(): number {
    return this.a.length;
  }
  peek(): Ev | undefined {
    return this.a[0];
  }
  private less(i: number, j: number): boolean {
    const x = this.a[i];
    const y = this.a[j];
    return x.at < y.at || (x.at === y.at && x.seq < y.seq);
  }
  push(e: Ev): void {
    const a = this.a;
    a.push(e);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) break;
      [a[i], a[p]] = [a[p], a[i]];
      i = p;
    }
  }
  pop(): Ev | undefined {
    const a = this.a;
    if (!a.length) return undefined;
    const top = a[0];
    const last = a.pop()!;
    if (a.length) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(l, m)) m = l;
        if (r < a.length && this.less(r, m)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }
}

interface Conn {
  ends: [End, End];
  open: boolean;
  opts: LinkOptions;
  /** The end that closed it (its frames already on the wire still arrive); null if open or cut by the network. */
  closer: End | null;
  closedAt: number;
}

class End implements Link {
  onFrame?: (frame: Uint8Array) => void;
  onClose?: (reason: string) => void;
  onDrain?: () => void;
  buffered = 0;
  wantDrain = false;
  busyUntil = 0;
  closeFired = false;
  other!: End;
  constructor(
    readonly id: string,
    readonly local: string,
    readonly remote: string,
    readonly conn: Conn,
    private readonly net: MemoryNet,
  ) {}
  get bufferedAmount(): number {
    return this.buffered;
  }
  send(frame: Uint8Array): boolean {
    return this.net.sendOn(this, frame);
  }
  close(reason = 'closed'): void {
    this.net.closeConn(this.conn, reason, this);
  }
  /** The two ends' link ids: unique per connection, so a relay cannot make its two links agree (auth.ts). */
  get binding(): { local: Uint8Array; remote: Uint8Array } {
    return { local: new TextEncoder().encode(this.id), remote: new TextEncoder().encode(this.other.id) };
  }
}

/** Counters of a MemoryNet run. @example net.stats.dropped */
export interface NetStats {
  sent: number;
  delivered: number;
  dropped: number;
  duplicated: number;
  refused: number;
  bytesSent: number;
  connects: number;
  connectFailures: number;
}

/**
 * The network: a directory of endpoints, the links between them, and the virtual clock.
 * See the module comment for the link model.
 * @example const net = new MemoryNet({ seed: 1 }); const clock = net.clockFor('a');
 */
export class MemoryNet {
  readonly rng: Prng;
  private t: number;
  private seq = 0;
  private heap = new EventHeap();
  private nodes = new Map<string, { endpoint: Endpoint; chains?: ChainId[]; source?: string; certified?: boolean }>();
  private adj = new Map<string, Set<Conn>>();
  private ends = new Map<string, End>();
  private parts: [Set<string>, Set<string>][] = [];
  private pairOpts = new Map<string, Partial<LinkOptions>>();
  private defaults: LinkOptions;
  private connectDelay: [number, number];
  private inFlight = 0;
  private lastActivity: number;
  readonly stats: NetStats = { sent: 0, delivered: 0, dropped: 0, duplicated: 0, refused: 0, bytesSent: 0, connects: 0, connectFailures: 0 };
  /** Every connection attempt: who, to whom, when, and whether it opened. */
  readonly connectLog: { from: string; to: string; at: number; ok: boolean }[] = [];
  /** Observe every delivered frame (tests count frames by kind with this). */
  onDeliver?: (from: string, to: string, frame: Uint8Array) => void;
  /** The clock of events not owned by a node. */
  readonly clock: Clock;

  constructor(opts: MemoryNetOptions) {
    this.rng = new Prng(opts.seed);
    this.t = opts.startMs ?? 0;
    this.lastActivity = this.t;
    this.defaults = {
      loss: opts.loss ?? 0,
      duplicate: opts.duplicate ?? 0,
      delay: opts.delay ?? [5, 50],
      bandwidth: opts.bandwidth ?? Infinity,
      bufferBytes: opts.bufferBytes ?? 256 * 1024,
    };
    checkOptions(this.defaults);
    this.connectDelay = opts.connectDelay ?? [20, 60];
    this.clock = this.clockFor(null);
  }

  /** Virtual now, ms. */
  now(): number {
    return this.t;
  }

  /** A clock whose timers belong to `owner` (its `settle` runs after each of them). */
  clockFor(owner: string | null): Clock {
    return {
      now: () => this.t,
      setTimeout: (fn: () => void, ms: number) => this.schedule(Math.max(0, Number(ms) || 0), owner === null ? [] : [owner], fn),
      clearTimeout: (h: unknown) => {
        if (h && typeof h === 'object' && 'cancelled' in h) (h as Ev).cancelled = true;
      },
    };
  }

  private schedule(delay: number, owners: string[], fn: () => void): Ev {
    const e: Ev = { at: this.t + delay, seq: this.seq++, owners, fn, cancelled: false };
    this.heap.push(e);
    return e;
  }

  // ───────────────────────── directory ─────────────────────────

  /**
   * Put a node in the directory: `chains` lets `discover` filter by chain; `source` is the network
   * prefix it dials from (default: its own address; a sybil attacker's many addresses share one,
   * src/net/sources.ts); `certified` lists it in the certified-node directory.
   */
  add(addr: string, endpoint: Endpoint, info: { chains?: ChainId[]; source?: string; certified?: boolean } = {}): void {
    if (this.nodes.has(addr)) throw new Error(`MemoryNet.add: address ${addr} is already in use`);
    this.nodes.set(addr, { endpoint, chains: info.chains, source: info.source, certified: info.certified });
    this.adj.set(addr, new Set());
  }

  /** The source (network prefix) of an address: as given to `add`, else the address itself. */
  sourceOf(addr: string): string {
    return this.nodes.get(addr)?.source ?? addr;
  }

  /** Take a node off the network: its links close, connections to it fail. */
  remove(addr: string): void {
    for (const c of [...(this.adj.get(addr) ?? [])]) this.closeConn(c, 'peer left');
    this.nodes.delete(addr);
    this.adj.delete(addr);
  }

  /** Addresses in the directory. */
  addresses(): string[] {
    return [...this.nodes.keys()];
  }

  /**
   * Up to `max` random addresses other than `addr` and its current neighbours, optionally only
   * nodes that carry `chain` (the signaling server's rooms per chain do the same), or only
   * certified nodes. Sampled as the signaling server samples a room (docs/SIGNALING.md): sources
   * first, uniformly, then one address of each, so that no source with many addresses dominates.
   */
  discover(addr: string, opts: { chain?: ChainId; certified?: boolean; max?: number } = {}): string[] {
    const near = new Set(this.neighbours(addr));
    const bySource = new Map<string, string[]>();
    let shared = false;
    for (const [a, n] of this.nodes) {
      if (a === addr || near.has(a)) continue;
      if (opts.chain !== undefined && n.chains && !n.chains.includes(opts.chain)) continue;
      if (opts.certified && !n.certified) continue;
      const src = n.source ?? a;
      const g = bySource.get(src);
      if (g) {
        g.push(a);
        shared = true;
      } else bySource.set(src, [a]);
    }
    const max = opts.max ?? 8;
    if (!shared) return this.rng.shuffle([...bySource.keys()]).slice(0, max);
    const groups = this.rng.shuffle([...bySource.values()]);
    const out: string[] = [];
    // round-robin over the sources in random order, a random unused member of each
    for (let round = 0; out.length < max && groups.some((g) => g.length); round++) {
      for (const g of groups) {
        if (out.length >= max) break;
        if (!g.length) continue;
        out.push(g.splice(this.rng.int(g.length), 1)[0]);
      }
    }
    return out;
  }

  /** Addresses `addr` has an open link with. */
  neighbours(addr: string): string[] {
    const out: string[] = [];
    for (const c of this.adj.get(addr) ?? []) out.push(c.ends[0].local === addr ? c.ends[1].local : c.ends[0].local);
    return out;
  }

  /** Every open link as a pair of addresses. */
  connections(): { a: string; b: string }[] {
    const seen = new Set<Conn>();
    const out: { a: string; b: string }[] = [];
    for (const set of this.adj.values()) {
      for (const c of set) {
        if (seen.has(c)) continue;
        seen.add(c);
        out.push({ a: c.ends[0].local, b: c.ends[1].local });
      }
    }
    return out;
  }

  /** The two addresses behind a link id (either end's id). */
  linkInfo(linkId: string): { local: string; remote: string } | undefined {
    const e = this.ends.get(linkId);
    return e ? { local: e.local, remote: e.remote } : undefined;
  }

  /** Override link options between two addresses (both directions; existing links too). */
  configure(a: string, b: string, opts: Partial<LinkOptions>): void {
    const k = pairKey(a, b);
    this.pairOpts.set(k, { ...this.pairOpts.get(k), ...opts });
    for (const c of this.adj.get(a) ?? []) if (c.ends[1].local === b || c.ends[0].local === b) c.opts = this.optionsFor(a, b);
  }

  private optionsFor(a: string, b: string): LinkOptions {
    const o = { ...this.defaults, ...this.pairOpts.get(pairKey(a, b)) };
    checkOptions(o);
    return o;
  }

  // ───────────────────────── faults ─────────────────────────

  /** Split the network: links between the groups close, and new ones fail until `heal()`. */
  partition(groupA: string[], groupB: string[]): void {
    const p: [Set<string>, Set<string>] = [new Set(groupA), new Set(groupB)];
    this.parts.push(p);
    for (const a of groupA) for (const c of [...(this.adj.get(a) ?? [])]) if (this.blocked(c.ends[0].local, c.ends[1].local)) this.closeConn(c, 'partition');
  }

  /** Remove every partition. */
  heal(): void {
    this.parts = [];
  }

  /** Churn: close every link of `addr` (the node stays and may reconnect). */
  churn(addr: string): void {
    for (const c of [...(this.adj.get(addr) ?? [])]) this.closeConn(c, 'churn');
  }

  private blocked(a: string, b: string): boolean {
    for (const [x, y] of this.parts) if ((x.has(a) && y.has(b)) || (x.has(b) && y.has(a))) return true;
    return false;
  }

  // ───────────────────────── links ─────────────────────────

  /**
   * Open a link from `from` to `to`. Resolves with `from`'s end after a random connect delay;
   * `to`'s endpoint gets the other end through `accept`. Rejects when `to` is unknown, is `from`,
   * or is across a partition.
   */
  connect(from: string, to: string): Promise<Link> {
    return new Promise((resolve, reject) => {
      const [lo, hi] = this.connectDelay;
      this.schedule(this.rng.range(lo, hi), [from, to], () => {
        const why = !this.nodes.has(from) ? `${from} is not on the network` : !this.nodes.has(to) ? `${to} is not on the network` : from === to ? 'a node cannot connect to itself' : this.blocked(from, to) ? 'partitioned' : '';
        this.connectLog.push({ from, to, at: this.t, ok: !why });
        if (why) {
          this.stats.connectFailures++;
          reject(new Error(`connect ${from} → ${to}: ${why}`));
          return;
        }
        this.stats.connects++;
        const conn: Conn = { ends: undefined as unknown as [End, End], open: true, opts: this.optionsFor(from, to), closer: null, closedAt: Infinity };
        const a = new End(this.linkId(), from, to, conn, this);
        const b = new End(this.linkId(), to, from, conn, this);
        a.other = b;
        b.other = a;
        conn.ends = [a, b];
        this.ends.set(a.id, a);
        this.ends.set(b.id, b);
        this.adj.get(from)!.add(conn);
        this.adj.get(to)!.add(conn);
        this.nodes.get(to)!.endpoint.accept(b, from);
        resolve(a);
      });
    });
  }

  private linkId(): string {
    let s = '';
    for (let i = 0; i < 4; i++) s += this.rng.u32().toString(16).padStart(8, '0');
    return s;
  }

  /** @internal the send path of a link end. */
  sendOn(end: End, frame: Uint8Array): boolean {
    const c = end.conn;
    if (!c.open) return true;
    if (!(frame instanceof Uint8Array)) throw new TypeError('Link.send: frame must be a Uint8Array');
    const o = c.opts;
    if (end.buffered > 0 && end.buffered + frame.length > o.bufferBytes) {
      end.wantDrain = true;
      this.stats.refused++;
      return false;
    }
    const copy = frame.slice();
    this.stats.sent++;
    this.stats.bytesSent += copy.length;
    this.lastActivity = this.t;
    if (o.bandwidth === Infinity) {
      this.transmit(end, copy);
      return true;
    }
    end.buffered += copy.length;
    this.inFlight++;
    const departAt = Math.max(this.t, end.busyUntil) + copy.length / o.bandwidth;
    end.busyUntil = departAt;
    this.schedule(departAt - this.t, [end.local], () => {
      this.inFlight--;
      end.buffered -= copy.length;
      if (c.open) this.transmit(end, copy);
      if (end.wantDrain && end.buffered <= o.bufferBytes / 2) {
        end.wantDrain = false;
        if (c.open) end.onDrain?.();
      }
    });
    return true;
  }

  private transmit(end: End, frame: Uint8Array): void {
    const o = end.conn.opts;
    if (this.rng.chance(o.loss)) {
      this.stats.dropped++;
      return;
    }
    const copies = this.rng.chance(o.duplicate) ? 2 : 1;
    if (copies === 2) this.stats.duplicated++;
    const sentAt = this.t;
    for (let i = 0; i < copies; i++) {
      this.inFlight++;
      this.schedule(this.rng.range(o.delay[0], o.delay[1]), [end.remote], () => {
        this.inFlight--;
        const c = end.conn;
        if (!c.open && !(c.closer === end && sentAt <= c.closedAt)) return;
        this.stats.delivered++;
        this.lastActivity = this.t;
        this.onDeliver?.(end.local, end.remote, frame);
        end.other.onFrame?.(frame);
      });
    }
  }

  /**
   * @internal close a connection; both ends get onClose once, as events. When an end closes it,
   * the frames that end already put on the wire still arrive and the far end hears of the close
   * after them; a cut by the network (partition, churn, removal) drops everything in flight.
   */
  closeConn(c: Conn, reason: string, closer: End | null = null): void {
    if (!c.open) return;
    c.open = false;
    c.closer = closer;
    c.closedAt = this.t;
    for (const e of c.ends) {
      this.adj.get(e.local)?.delete(c);
      const far = closer && e !== closer ? c.opts.delay[1] : 0;
      this.schedule(far, [e.local], () => {
        if (e.closeFired) return;
        e.closeFired = true;
        e.onClose?.(reason);
      });
    }
  }

  // ───────────────────────── running ─────────────────────────

  private async step(): Promise<void> {
    const e = this.heap.pop()!;
    if (e.cancelled) return;
    this.t = e.at;
    e.fn();
    for (const o of e.owners) {
      const ep = this.nodes.get(o)?.endpoint;
      if (ep?.settle) await ep.settle();
    }
    // let promise continuations of this event (connect resolutions) run at this virtual time
    for (let i = 0; i < 4; i++) await undefined;
  }

  /** Run every event up to virtual time `untilMs`, then set the clock to it. */
  async run(untilMs: number): Promise<void> {
    while (this.heap.size && this.heap.peek()!.at <= untilMs) await this.step();
    if (this.t < untilMs) this.t = untilMs;
  }

  /**
   * Run until the network has been quiet (no frame in flight or buffered) for `quietMs` of
   * virtual time, or `maxMs` have passed. Timers keep running meanwhile. Returns true if it
   * became quiet.
   */
  async runUntilIdle(opts: { quietMs?: number; maxMs?: number } = {}): Promise<boolean> {
    const quietMs = opts.quietMs ?? 5_000;
    const end = this.t + (opts.maxMs ?? 600_000);
    for (;;) {
      const next = this.heap.peek();
      const quietAt = this.lastActivity + quietMs;
      if (this.inFlight === 0 && (!next || next.at > quietAt)) {
        this.t = Math.max(this.t, Math.min(quietAt, end));
        return true;
      }
      if (!next) return true;
      if (next.at > end) {
        this.t = end;
        return false;
      }
      await this.step();
    }
  }
}

function pairKey(a: string, b: string): string {
  return a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`;
}

function checkOptions(o: LinkOptions): void {
  if (!(o.loss >= 0 && o.loss < 1)) throw new RangeError(`MemoryNet: loss must be in [0, 1), got ${o.loss}`);
  if (!(o.duplicate >= 0 && o.duplicate <= 1)) throw new RangeError(`MemoryNet: duplicate must be in [0, 1], got ${o.duplicate}`);
  if (!(o.delay[0] >= 0 && o.delay[1] >= o.delay[0])) throw new RangeError(`MemoryNet: delay must be [min, max] with 0 ≤ min ≤ max, got [${o.delay}]`);
  if (!(o.bandwidth > 0)) throw new RangeError(`MemoryNet: bandwidth must be > 0 bytes/ms, got ${o.bandwidth}`);
  if (!(o.bufferBytes > 0)) throw new RangeError(`MemoryNet: bufferBytes must be > 0, got ${o.bufferBytes}`);
}

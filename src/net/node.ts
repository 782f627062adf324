/**
 * A BeepTrace network node (docs/NET.md): owns a Ledger and a set of Links, and runs the mesh,
 * gossip, sync, limits and scores over them. Pure: it sees the world only through `Link`s, the
 * injected `Clock`, `connect(addr)` and `discover()` — so the same class runs in a browser (over
 * simple-peer), in Node, and in the deterministic `MemoryNet`.
 *
 * Roles: a `thin` node (browser) carries the notification chain and holds the tracing chain's
 * case blocks (DIAGNOSIS, SELF_REPORT, WITHDRAWAL: docs/PROTOCOL.md §15 item 34) — it never
 * requests, syncs or is sent a trace batch — and hands its own trace batches to a peer that carries
 * the tracing chain (UPLOAD); `full` and `relay` nodes carry both chains. On a link with a thin
 * side, the tracing chain is exchanged in part: its case blocks (`exchanges`).
 *
 * Robustness: every frame handler runs inside try/catch; a peer whose input throws, does not
 * decode, is oversized, invalid or over its rate limits is scored down and, at the threshold,
 * disconnected and its address banned for a while. A node never crashes on a peer's input.
 *
 * @example
 * const node = new NetNode({ ledger, clock, role: 'full', connect: (a) => signaling.connect(a), discover: () => signaling.sample() });
 * node.start();
 * node.onBlock((entry) => console.log('new block', entry.hex));
 * await node.publish(bytes); // add locally + gossip (or UPLOAD for a thin node's trace batch)
 * @module
 */
import { decodeBlock, Kind, type Block } from '../core/codec/block.ts';
import { CodecError, StoreFault } from '../core/errors.ts';
import type { Entry, Ledger } from '../core/ledger/ledger.ts';
import { Prng } from '../core/prng.ts';
import { toHex, utf8 } from '../core/bytes.ts';
import { Chain, type ChainId } from '../core/types.ts';
import type { NetContext, NetEvent } from './context.ts';
import {
  ByeReason, decodeFrame, encodeFrame, FrameType, MAX_FRAME, PROTOCOL_VERSION, ROLE_CHAINS, type ByeReasonCode, type Frame, type NodeRole,
} from './frames.ts';
import { DEFAULT_GOSSIP, Gossip, type GossipOptions, type GossipStats } from './gossip.ts';
import { DEFAULT_UPLOAD, Uploader, type UploadOptions, type UploadReceipt } from './upload.ts';
import { DEFAULT_OUTBOX, Outbox, type OutboxOptions, type RenewFn, type RetainedUpload } from './outbox.ts';
import { ProofServer } from './proofs.ts';
import type { Clock, Link } from './link.ts';
import { DEFAULT_MESH, Mesh, type DiscoverQuery, type MeshOptions } from './mesh.ts';
import { authFrame, verifyAuth, type AuthKey } from './auth.ts';
import { INHERIT_FLOOR, SourceBook } from './sources.ts';
import { Peer, type PeerStats } from './peer.ts';
import { DEFAULT_LIMITS, DISCONNECT_SCORE, Penalty, type Limits } from './scores.ts';
import { DEFAULT_SYNC, Syncer, type SyncOptions } from './sync.ts';

/**
 * A peer dialled as a certified node that signed a proof for a key this node does not know as
 * certified yet keeps its place this long while this node syncs the certificates (else helloTimeoutMs).
 */
const AUTH_CATCH_UP_MS = 60_000;
/** Frames kept from a peer before its HELLO arrives. */
const MAX_EARLY_FRAMES = 64;
/** HELLO is sent up to this many times, this far apart, until the peer sends something else. */
const HELLO_SENDS = 4;
const HELLO_RESEND_MS = 2_000;

/** How to build a NetNode. @example new NetNode({ ledger, clock, role: 'thin', connect, discover, seed: 1 }) */
export interface NetNodeOptions {
  ledger: Ledger;
  clock: Clock;
  role: NodeRole;
  /** Open a link to a directory address (the signaling client, or `MemoryNet.connect`). */
  connect?: (addr: string) => Promise<Link>;
  /** Candidate addresses to dial; with `chain`, only nodes that carry it; with `certified`, the certified-node directory. */
  discover?: (opts?: DiscoverQuery) => string[];
  /**
   * The source (network prefix) of a directory address (sources.ts): the transport's, e.g. the
   * signaling server's source tag in a peer id. Default: the address itself.
   */
  sourceOf?: (addr: string) => string;
  /** This node's certified full-node key (a validator's or solver's), proved to each peer with AUTH (auth.ts). */
  auth?: AuthKey;
  /** Seed of the node's randomness (peer choice, jitter). Default: from the crypto provider. */
  seed?: number;
  /** Housekeeping period, ms. */
  tickMs?: number;
  mesh?: Partial<MeshOptions>;
  limits?: Partial<Limits>;
  gossip?: Partial<GossipOptions>;
  sync?: Partial<SyncOptions>;
  upload?: Partial<UploadOptions>;
  outbox?: Partial<OutboxOptions>;
  /** Re-issue an own upload at the current time when a final checkpoint left it out (src/net/outbox.ts). */
  renew?: RenewFn;
  onEvent?: (e: NetEvent) => void;
}

/** Outcome of `publish`. @example const { status } = await node.publish(bytes) */
export interface PublishResult {
  id: Uint8Array;
  /** added/duplicate/pending: stored locally (and gossiped); uploaded: a peer acknowledged the upload. */
  status: 'added' | 'duplicate' | 'pending' | 'uploaded';
  /** For uploads: what the receiving peer did. */
  receipt?: UploadReceipt['status'];
}

/** One link as the app may show it — no stable identifier of the peer. @example node.peers().map((p) => p.role) */
export interface PeerInfo {
  /** Random per connection. */
  link: string;
  outbound: boolean;
  /** The peer proved a certified full-node key on this link (AUTH). */
  certified: boolean;
  role: NodeRole | null;
  chains: ChainId[];
  score: number;
  bytesIn: number;
  bytesOut: number;
  framesIn: number;
  framesOut: number;
  connectedMs: number;
}

/** Per carried chain: blocks held and when a reconciliation last completed. @example node.syncProgress()[0].have */
export interface SyncProgress {
  chain: ChainId;
  have: number;
  lastSyncAt: number | null;
}

/** Node-wide counters. @example node.stats().traffic.inByType.block */
export interface NodeStats {
  traffic: PeerStats;
  gossip: GossipStats;
  uploads: Uploader['stats'];
  outbox: Outbox['stats'] & { retained: number };
  proofs: ProofServer['stats'];
  sync: Syncer['stats'];
  mesh: Mesh['stats'];
  penalties: number;
  disconnects: number;
  errors: number;
}

/** Called for each accepted block; `via` is the link id it came from (null: published here). @example node.onBlock((e, b, via) => …) */
export type BlockListener = (e: Entry, block: Block, via: string | null) => void;

function emptyTraffic(): PeerStats {
  return { framesIn: 0, framesOut: 0, bytesIn: 0, bytesOut: 0, inByType: {}, outByType: {}, bodiesIn: 0, refused: 0, invDropped: 0 };
}

function addTraffic(into: PeerStats, s: PeerStats): void {
  into.framesIn += s.framesIn;
  into.framesOut += s.framesOut;
  into.bytesIn += s.bytesIn;
  into.bytesOut += s.bytesOut;
  into.bodiesIn += s.bodiesIn;
  into.refused += s.refused;
  into.invDropped += s.invDropped;
  for (const [k, v] of Object.entries(s.inByType)) into.inByType[k] = (into.inByType[k] ?? 0) + v;
  for (const [k, v] of Object.entries(s.outByType)) into.outByType[k] = (into.outByType[k] ?? 0) + v;
}

function clipText(s: string): string {
  let t = s.slice(0, 120);
  while (utf8(t).length > 120) t = t.slice(0, -1);
  return t;
}

/**
 * A network node. See the module comment.
 * @example
 * const node = new NetNode({ ledger, clock: net.clockFor('a'), role: 'full', connect: (to) => net.connect('a', to), discover: (o) => net.discover('a', o) });
 */
export class NetNode implements NetContext {
  readonly ledger: Ledger;
  readonly clock: Clock;
  readonly rng: Prng;
  readonly role: NodeRole;
  private readonly limits: Limits;
  private readonly syncOpts: SyncOptions;
  private readonly tickMs: number;
  private readonly helloTimeoutMs: number;
  private readonly peersByLink = new Map<string, Peer>();
  private readonly tasks = new Set<Promise<unknown>>();
  private queue: Promise<unknown> = Promise.resolve();
  private readonly gossip: Gossip;
  private readonly uploader: Uploader;
  private readonly outbox: Outbox;
  private readonly prover: ProofServer;
  private readonly syncer: Syncer;
  private readonly mesh: Mesh;
  /** What this node remembers per source across links (sources.ts). */
  readonly sources = new SourceBook();
  private readonly listeners = new Set<BlockListener>();
  private readonly closedTraffic = emptyTraffic();
  private counters = { penalties: 0, disconnects: 0, errors: 0 };
  private faulted: Error | null = null;
  private timer: unknown = null;
  private unsubscribe: (() => void) | null = null;
  private started = false;
  private stopped = false;
  private nextSyncAt = 0;

  constructor(private readonly o: NetNodeOptions) {
    const want = ROLE_CHAINS[o.role];
    if (!want) throw new RangeError(`NetNode: role must be thin, full or relay, got ${String(o.role)}`);
    const has = ([1, 2] as ChainId[]).filter((c) => o.ledger.carries(c));
    if (has.join() !== want.join()) throw new RangeError(`NetNode: a ${o.role} node's ledger must carry chains [${want}], this one carries [${has}]`);
    this.ledger = o.ledger;
    this.clock = o.clock;
    this.role = o.role;
    const seed = o.seed ?? new DataView(o.ledger.opts.crypto.randomBytes(4).buffer).getUint32(0);
    this.rng = new Prng(seed);
    this.limits = { ...DEFAULT_LIMITS, ...o.limits };
    this.syncOpts = { ...DEFAULT_SYNC, ...o.sync };
    this.tickMs = o.tickMs ?? 1_000;
    const meshOpts = { ...DEFAULT_MESH, ...o.mesh };
    this.helloTimeoutMs = meshOpts.helloTimeoutMs;
    this.gossip = new Gossip(this, { ...DEFAULT_GOSSIP, ...o.gossip });
    this.gossip.onAccepted = (e, b, via) => {
      if (via) via.lastNovelAt = this.clock.now();
      for (const fn of this.listeners) {
        try {
          fn(e, b, via ? via.link.id : null);
        } catch {
          // an app listener's failure must not disturb the network
        }
      }
    };
    this.uploader = new Uploader(this, { ...DEFAULT_UPLOAD, ...o.upload });
    this.outbox = new Outbox(this, this.uploader, { ...DEFAULT_OUTBOX, ...o.outbox }, o.renew);
    this.prover = new ProofServer(this);
    this.syncer = new Syncer(this, this.gossip, this.syncOpts);
    this.mesh = new Mesh(this, {
      peers: () => [...this.peersByLink.values()],
      attach: (link, outbound, addr, certified) => this.attach(link, outbound, addr, certified),
      drop: (peer, reason, text) => this.drop(peer, reason, text),
      connect: o.connect,
      discover: o.discover,
      sourceOf: (addr) => this.sourceOf(addr),
      sources: this.sources,
    }, meshOpts);
  }

  // ───────────────────────── the app's API ─────────────────────────

  /** Start: index the ledger, listen to it, and begin the mesh upkeep (dialling at once). */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.syncer.open();
    this.unsubscribe = this.ledger.onBlock((e, b) => {
      this.syncer.added(e);
      this.gossip.accepted(e, b);
      if (b.kind === Kind.CHECKPOINT) this.outbox.checkpointSeen(b);
      if (b.kind === Kind.CERTIFICATE || b.kind === Kind.REVOCATION) this.recheckAuth();
    });
    this.track(this.outbox.open());
    this.nextSyncAt = this.clock.now() + this.syncOpts.intervalMs * (0.75 + 0.5 * this.rng.next());
    this.tick();
  }

  /** Stop: say BYE, close every link, cancel timers; pending uploads reject (and stay kept in the store). */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.unsubscribe?.();
    this.mesh.stop();
    this.gossip.stop();
    this.uploader.stop();
    this.track(this.outbox.stop());
    for (const p of [...this.peersByLink.values()]) this.drop(p, ByeReason.SHUTDOWN, 'node stopping');
  }

  /** Take an inbound link (from the signaling client or MemoryNet); `addr` if the transport knows it. */
  accept(link: Link, addr?: string): void {
    this.attach(link, false, addr);
  }

  /**
   * Publish an own block: for a carried chain, add it to the ledger (throws CodecError/RejectError
   * if it is not acceptable) and gossip it; for a chain this node does not carry (a thin node's
   * trace batch), keep it in the store until a checkpoint proves it (src/net/outbox.ts), upload it
   * to a peer that carries it and resolve on its receipt. If no peer acknowledged it after
   * `maxUploadTries`, this rejects, and the kept upload is tried again later.
   */
  async publish(bytes: Uint8Array): Promise<PublishResult> {
    if (!(bytes instanceof Uint8Array)) throw new TypeError('NetNode.publish: bytes must be a Uint8Array');
    const b = decodeBlock(bytes);
    if (this.ledger.carries(b.chain)) {
      const r = await this.serial(() => this.ledger.add(bytes)).catch((e: unknown) => {
        if (e instanceof StoreFault) this.fault(e);
        throw e;
      });
      if (r.status === 'pending') this.gossip.want(r.missing, b.chain, null);
      return { id: r.id, status: r.status };
    }
    if (!this.started || this.stopped) throw new Error('NetNode.publish: the node must be running to upload a block of a chain it does not carry');
    const id = this.ledger.opts.crypto.sha256(bytes);
    try {
      const receipt = await this.outbox.submit(bytes, id, b.chain);
      return { id, status: 'uploaded', receipt: receipt.status };
    } finally {
      // an own case block (a self-report, a withdrawal, a clinic's diagnosis) is held here too, after
      // its upload was answered or failed (so the upload does not race an INV of it): best effort
      if (this.ledger.holds(b.chain, b.kind)) await this.serial(() => this.ledger.add(bytes)).catch((e: unknown) => e instanceof StoreFault && this.fault(e));
    }
  }

  /** Own uploads kept until a checkpoint proves them, oldest first. */
  retained(): RetainedUpload[] {
    return this.outbox.list();
  }

  /** Subscribe to accepted blocks (own and received). Returns an unsubscribe function. */
  onBlock(cb: BlockListener): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  /** Per carried chain: blocks held and the last completed reconciliation. */
  syncProgress(): SyncProgress[] {
    return ROLE_CHAINS[this.role].map((chain) => ({ chain, have: this.ledger.count(chain), lastSyncAt: this.syncer.lastSyncAt.get(chain) ?? null }));
  }

  /** Current links: role, chains, score, traffic. */
  peers(): PeerInfo[] {
    const now = this.clock.now();
    return [...this.peersByLink.values()].map((p) => ({
      link: p.link.id, outbound: p.outbound, certified: p.certified !== null, role: p.role, chains: p.hello ? [...p.hello.chains] : [], score: p.score.value(now),
      bytesIn: p.stats.bytesIn, bytesOut: p.stats.bytesOut, framesIn: p.stats.framesIn, framesOut: p.stats.framesOut, connectedMs: now - p.since,
    }));
  }

  /** Counters since start (closed links included). */
  stats(): NodeStats {
    const traffic = emptyTraffic();
    addTraffic(traffic, this.closedTraffic);
    for (const p of this.peersByLink.values()) addTraffic(traffic, p.stats);
    return { traffic, gossip: { ...this.gossip.stats }, uploads: { ...this.uploader.stats }, outbox: { ...this.outbox.stats, retained: this.outbox.size }, proofs: { ...this.prover.stats }, sync: { ...this.syncer.stats }, mesh: { ...this.mesh.stats }, ...this.counters };
  }

  /** Resolves when the async work started so far (ledger writes, serving) has finished. */
  async settle(): Promise<void> {
    while (this.tasks.size) await Promise.allSettled([...this.tasks]);
  }

  // ───────────────────────── NetContext ─────────────────────────

  readyPeers(): Peer[] {
    const out: Peer[] = [];
    for (const p of this.peersByLink.values()) if (p.ready) out.push(p);
    return out;
  }

  carries(chain: ChainId): boolean {
    return this.ledger.carries(chain);
  }

  exchanges(peer: Peer, chain: ChainId): 'all' | 'cases' | null {
    if (!peer.hello) return null;
    if (this.ledger.carries(chain) && peer.carries(chain)) return 'all';
    // every node holds the tracing chain's case blocks (a thin node without the rest of the chain)
    if (chain === Chain.TRACING && this.ledger.holds(chain, Kind.DIAGNOSIS)) return 'cases';
    return null;
  }

  send(peer: Peer, f: Frame, opts: { droppable?: boolean } = {}): void {
    if (peer.closed) return;
    peer.send(encodeFrame(f), opts);
    if (peer.stalled) this.drop(peer, ByeReason.NORMAL, 'peer does not read its frames (send queue full)');
  }

  sendBulk(peer: Peer, frames: Uint8Array[]): void {
    for (const f of frames) peer.send(f, { bulk: true });
  }

  penalize(peer: Peer, reason: string, points: number, detail: string): void {
    if (peer.closed) {
      // it left before its offence came to light (a parked block's last try, a queued block): its source pays
      this.sources.penalize(peer.source, points, this.clock.now());
      this.emit({ type: 'penalty', link: peer.link.id, reason, points, score: this.sources.score(peer.source, this.clock.now()), detail: `(after it left; charged to its source) ${detail}` });
      return;
    }
    this.counters.penalties++;
    this.sources.penalize(peer.source, points, this.clock.now());
    const score = peer.score.penalize(points, this.clock.now());
    this.emit({ type: 'penalty', link: peer.link.id, reason, points, score, detail });
    if (score > DISCONNECT_SCORE) return;
    this.counters.disconnects++;
    const until = peer.addr ? this.mesh.ban(peer.addr, this.limits.banMs) : this.clock.now();
    this.emit({ type: 'banned', link: peer.link.id, addr: peer.addr, untilMs: until });
    this.drop(peer, ByeReason.MISBEHAVIOUR, `${reason}: ${detail}`);
  }

  fault(e: Error): void {
    if (this.faulted) return;
    this.faulted = e;
    this.counters.errors++;
    this.emit({ type: 'fault', error: e.message });
    this.stop();
  }

  /** The local fault (a store failure) that stopped this node, or null. */
  get localFault(): Error | null {
    return this.faulted;
  }

  track(p: Promise<unknown>): void {
    const t = p.then(
      () => undefined,
      (e: unknown) => {
        this.counters.errors++;
        this.emit({ type: 'error', where: 'async task', error: `${(e as Error)?.message ?? String(e)}` });
      },
    );
    this.tasks.add(t);
    void t.then(() => this.tasks.delete(t));
  }

  serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  emit(e: NetEvent): void {
    try {
      this.o.onEvent?.(e);
    } catch {
      // a logger's failure must not disturb the network
    }
  }

  // ───────────────────────── links ─────────────────────────

  /** The source of a directory address (the transport's `sourceOf`, else the address). */
  private sourceOf(addr: string): string {
    try {
      return this.o.sourceOf?.(addr) ?? addr;
    } catch {
      return addr;
    }
  }

  private attach(link: Link, outbound: boolean, addr: string | undefined, certified = false): void {
    if (!this.started || this.stopped) {
      link.close('node not running');
      return;
    }
    if (addr !== undefined && this.mesh.banned(addr)) {
      link.close('banned');
      return;
    }
    const now = this.clock.now();
    const source = addr !== undefined ? this.sourceOf(addr) : `link:${link.id}`;
    // a new link starts where its source stands (a banned sybil's next id starts close to a ban)
    const rec = this.sources.get(source, now);
    rec.links++;
    const peer = new Peer(link, outbound, addr, now, this.limits, source, Math.max(INHERIT_FLOOR, Math.min(0, rec.score.value(now))));
    peer.authPending = certified;
    this.peersByLink.set(link.id, peer);
    link.onFrame = (f) => this.onFrame(peer, f);
    link.onClose = (reason) => this.removePeer(peer, `link closed: ${reason}`);
    link.onDrain = () => {
      try {
        peer.drained();
      } catch (e) {
        this.counters.errors++;
        this.drop(peer, ByeReason.NORMAL, `send failed: ${(e as Error).message}`);
      }
    };
    peer.onIdle = () => this.gossip.serveNext(peer);
    this.sendHello(peer);
  }

  /** Say BYE (best effort), close the link and forget the peer. */
  private drop(peer: Peer, reason: ByeReasonCode, text: string): void {
    if (peer.closed) return;
    try {
      peer.send(encodeFrame({ type: 'bye', reason, text: clipText(text) }));
    } catch {
      // the link may already be broken
    }
    this.removePeer(peer, text);
    try {
      peer.link.close(text);
    } catch {
      // closing a broken link may throw in some transports
    }
  }

  private removePeer(peer: Peer, reason: string): void {
    if (this.peersByLink.get(peer.link.id) !== peer) return;
    this.peersByLink.delete(peer.link.id);
    peer.closed = true;
    this.sources.get(peer.source, this.clock.now()).links--;
    addTraffic(this.closedTraffic, peer.stats);
    this.gossip.peerClosed(peer);
    this.uploader.peerClosed(peer);
    this.outbox.peerClosed(peer);
    peer.clear();
    this.emit({ type: 'peer_closed', link: peer.link.id, reason });
  }

  private onFrame(peer: Peer, bytes: Uint8Array): void {
    if (peer.closed || this.stopped) return;
    try {
      if (bytes instanceof Uint8Array) peer.countIn(bytes);
      this.handle(peer, bytes);
    } catch (e) {
      this.counters.errors++;
      this.penalize(peer, 'handler_error', Penalty.HANDLER_ERROR, `${(e as Error)?.name ?? 'Error'}: ${(e as Error)?.message ?? String(e)}`);
    }
  }

  private handle(peer: Peer, bytes: Uint8Array): void {
    if (!(bytes instanceof Uint8Array)) {
      this.penalize(peer, 'malformed', Penalty.MALFORMED, `frame is a ${typeof bytes}, not bytes`);
      return;
    }
    if (bytes.length > MAX_FRAME) {
      this.penalize(peer, 'oversized', Penalty.OVERSIZED, `frame of ${bytes.length} bytes over MAX_FRAME ${MAX_FRAME}`);
      return;
    }
    if (!peer.hello && bytes[0] === FrameType.HELLO && bytes.length > 1 && bytes[1] !== PROTOCOL_VERSION) {
      this.drop(peer, ByeReason.INCOMPATIBLE, `protocol version ${bytes[1]} is not ${PROTOCOL_VERSION}`);
      return;
    }
    let f: Frame;
    try {
      f = decodeFrame(bytes);
    } catch (e) {
      if (!(e instanceof CodecError)) throw e;
      this.penalize(peer, 'malformed', Penalty.MALFORMED, e.message);
      return;
    }
    const now = this.clock.now();
    if (f.type !== 'hello') peer.heard = true;
    if (!peer.hello) {
      if (f.type === 'hello') {
        this.onHello(peer, f);
        return;
      }
      // a reordering or lossy network may deliver frames before HELLO: keep a few, replay them after it
      if (peer.early.length >= MAX_EARLY_FRAMES) {
        this.penalize(peer, 'protocol', Penalty.PROTOCOL, `more than ${MAX_EARLY_FRAMES} frames before HELLO`);
        return;
      }
      peer.early.push(bytes);
      return;
    }
    // new chunks of blocks asked of this peer are bounded by the request window, not the rate limits — a repeated
    // chunk, or one the partial budget cannot take, is not (issue 17 finding 4)
    const solicited = f.type === 'block' && !f.upload && peer.requested.has(toHex(f.id)) && peer.reassembler.accepts(f);
    if (!solicited && !peer.admit(bytes.length, now)) {
      this.penalize(peer, 'flood', Penalty.FLOOD, `over ${this.limits.framesPerSec} frames/s or ${this.limits.bytesPerSec} bytes/s`);
      return;
    }
    switch (f.type) {
      case 'hello': {
        const h = peer.hello;
        const same = f.region === h.region && f.role === h.role && f.chains.join() === h.chains.join();
        if (!same) this.penalize(peer, 'protocol', Penalty.PROTOCOL, 'a second HELLO that differs from the first');
        return; // a repeated HELLO (re-sent, or duplicated by the network) is harmless
      }
      case 'bye':
        this.removePeer(peer, `peer said BYE (${f.reason}): ${f.text}`);
        peer.link.close('bye');
        return;
      case 'inv':
        this.gossip.onInv(peer, f);
        return;
      case 'get':
        this.gossip.onGet(peer, f, this.limits.maxServeQueue);
        return;
      case 'block':
        this.gossip.onChunk(peer, f);
        return;
      case 'notfound':
        this.gossip.onNotFound(peer, f);
        return;
      case 'sync':
        this.syncer.onSync(peer, f);
        return;
      case 'receipt':
        this.uploader.onReceipt(peer, f);
        return;
      case 'prove':
        this.prover.onProve(peer, f);
        return;
      case 'proof':
        this.outbox.onProof(peer, f);
        return;
      case 'auth':
        this.onAuth(peer, f);
        return;
    }
  }

  /**
   * A peer proves a certified full-node key (auth.ts): keep it (mesh.ts), or penalise a forged
   * proof. A proof whose signature holds but whose key this node does not (yet) know as certified
   * is kept and checked again as authority statements arrive (`recheckAuth`): a new browser syncs
   * the certificates from the very peers that prove them.
   */
  private onAuth(peer: Peer, f: Extract<Frame, { type: 'auth' }>): void {
    const hex = toHex(f.key);
    if (peer.certified === hex) return;
    const v = verifyAuth(this.ledger.opts.crypto, this.ledger.authority, f, this.ledger.opts.region, peer.link.binding, Math.floor(this.clock.now() / 1000));
    if (v === 'proven') return this.certify(peer, hex);
    if (v.lie) this.penalize(peer, 'bad_auth', Penalty.BAD_AUTH, v.why);
    else if (peer.link.binding) peer.unprovenAuth = f;
  }

  private certify(peer: Peer, hex: string): void {
    peer.certified = hex;
    peer.authPending = false;
    peer.unprovenAuth = null;
    this.emit({ type: 'peer_certified', link: peer.link.id });
  }

  /** An authority statement was accepted: proofs of keys not certified before may hold now. */
  private recheckAuth(): void {
    const nowSec = Math.floor(this.clock.now() / 1000);
    for (const p of this.peersByLink.values()) {
      if (!p.unprovenAuth || p.certified !== null) continue;
      const v = verifyAuth(this.ledger.opts.crypto, this.ledger.authority, p.unprovenAuth, this.ledger.opts.region, p.link.binding, nowSec);
      if (v === 'proven') this.certify(p, toHex(p.unprovenAuth.key));
    }
  }

  private onHello(peer: Peer, f: Extract<Frame, { type: 'hello' }>): void {
    if (f.region !== this.ledger.opts.region) {
      if (peer.addr) this.mesh.ban(peer.addr, this.limits.banMs);
      this.drop(peer, ByeReason.INCOMPATIBLE, `region ${f.region}, this node serves region ${this.ledger.opts.region}`);
      return;
    }
    peer.hello = f;
    peer.readyAt = this.clock.now();
    this.emit({ type: 'peer_ready', link: peer.link.id, role: f.role, outbound: peer.outbound });
    if (this.o.auth && peer.link.binding) this.send(peer, authFrame(this.ledger.opts.crypto, this.o.auth, this.ledger.opts.region, peer.link.binding));
    if (peer.outbound) this.syncer.start(peer, true);
    this.uploader.peerReady(peer);
    const early = peer.early;
    peer.early = [];
    for (const bytes of early) if (!peer.closed) this.handle(peer, bytes);
  }

  private sendHello(peer: Peer): void {
    peer.hellosSent++;
    peer.lastHelloAt = this.clock.now();
    this.send(peer, { type: 'hello', version: PROTOCOL_VERSION, region: this.ledger.opts.region, chains: ROLE_CHAINS[this.role], role: this.role });
  }

  // ───────────────────────── housekeeping ─────────────────────────

  private tick(): void {
    this.timer = null;
    if (this.stopped) return;
    const now = this.clock.now();
    try {
      for (const p of [...this.peersByLink.values()]) {
        if (!p.hello && now - p.since > this.helloTimeoutMs) this.drop(p, ByeReason.NORMAL, `no HELLO within ${this.helloTimeoutMs} ms`);
        else if (p.authPending && p.hello && now - p.readyAt > (p.unprovenAuth ? AUTH_CATCH_UP_MS : this.helloTimeoutMs)) {
          const why = `dialled as a certified node, no certified key proved within ${this.helloTimeoutMs} ms`;
          if (p.addr) this.mesh.failedAfterDial(p.addr, why);
          this.drop(p, ByeReason.NORMAL, why);
        }
        else if (!p.heard && p.hellosSent < HELLO_SENDS && now - p.lastHelloAt >= HELLO_RESEND_MS) this.sendHello(p);
      }
      this.gossip.tick(this.readyPeers());
      this.syncer.tick();
      this.mesh.tick();
      this.outbox.tick();
      if (now >= this.nextSyncAt) {
        this.nextSyncAt = now + this.syncOpts.intervalMs * (0.75 + 0.5 * this.rng.next());
        const ready = this.readyPeers();
        if (ready.length) this.syncer.start(this.rng.pick(ready));
      }
    } catch (e) {
      this.counters.errors++;
      this.emit({ type: 'error', where: 'housekeeping', error: `${(e as Error)?.message ?? String(e)}` });
    }
    this.timer = this.clock.setTimeout(() => this.tick(), this.tickMs);
  }
}

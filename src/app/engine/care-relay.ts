/**
 * The care relay: moves pairing handshakes and care-room messages (docs/PROTOCOL.md §13.1, §13.3)
 * through the signaling server, so the views only say "show a code", "these digits match" and
 * "cancel". It runs in the engine's worker (workers have WebSocket) with a connection factory the
 * worker gives it; tests give it an in-memory hub or the real server.
 *
 * Pairing, the side that shows the code (`startOffer`): a short-lived connection joins the region's
 * pair room; its peer id is the offer's rendezvous; the first hello shows the short code; a second
 * hello stops the pairing and tells both devices that answered (`{"bt":"pair","abort":…}`), so
 * every screen involved says the code was spoiled. The side that scans (`startScan`): joins the same
 * room, relays its hello to the rendezvous and shows the code. Then the keeper (watch mode: the
 * one that showed the code; custody: the one that scanned it) relays its confirmation once its
 * person said "they match", and the holder relays the sealed grant once its own person said so and
 * the confirmation came. Care rooms: one connection holds up to four of today's rooms; when the
 * other device of a pairing is there, the dependent's side sends its messages — at once after an
 * upload (`statusChanged`), after "End access" (`sendNow`), and every `heartbeatMs`.
 *
 * @example
 * const relay = new CareRelay(care, { region: 1, connect: (rooms) => new SignalingClient({ url, rooms }), changed });
 * relay.startOffer('watch'); relay.progress // { role: 'keeper', mode: 'watch', stage: 'show-code', offerText, … }
 * @module
 */
import type { PairingMode } from '../../core/codec/pairing.ts';
import type { PairingProgress } from '../protocol.ts';
import { CareError, keeps, type Care, type CareRoom } from './care.ts';

/** What the relay needs of a signaling connection (src/net/webrtc/signaling-client.ts has it). */
export interface SignalConnection {
  readonly id: string | undefined;
  onPeers?: (room: string, peers: string[]) => void;
  onSignal?: (room: string, from: string, data: unknown) => void;
  start(): void;
  stop(): void;
  join(room: string): void;
  leave(room: string): void;
  signal(room: string, to: string, data: unknown): boolean;
}

export interface CareRelayOptions {
  region: number;
  /** A new signaling connection that will join `rooms`; null when this device has no signaling. */
  connect: ((rooms: string[]) => SignalConnection) | null;
  /** Something the views show changed. */
  changed: () => void;
  /** The one clock (ms). */
  now: () => number;
  /** How often the dependent's side repeats its status to a guardian in the room, ms. Default 10 min. */
  heartbeatMs?: number;
}

/** Rooms a connection may hold (the signaling server's default `maxRoomsPerConnection`). */
export const ROOMS_PER_CONNECTION = 4;

/** The region's pairing room. @example pairRoom(1) === 'beeptrace/v1/r1/pair' */
export function pairRoom(region: number): string {
  return `beeptrace/v1/r${region}/pair`;
}

type Msg = { bt?: unknown; m?: unknown; poke?: unknown; abort?: unknown };
const isMsg = (d: unknown, bt: string): d is Msg => typeof d === 'object' && d !== null && (d as Msg).bt === bt;

interface Active {
  /** This device showed the code (offerer) or scanned it. */
  shows: boolean;
  /** This device keeps the other's key (else it hands its own over). */
  keeper: boolean;
  mode: PairingMode;
  conn: SignalConnection;
  pairing?: string;
  /** The other device's signaling id (the scanner's, once its hello came; the rendezvous). */
  peer?: string;
  room: string;
  sas?: string;
  label?: string;
  userConfirmed: boolean;
  /** The keeper's confirmation, when this device is the holder. */
  peerConfirm?: string;
  /** The scanned code (scanner). */
  offerText?: string;
  timer?: ReturnType<typeof setTimeout>;
}

/** Omit over each member of a union. */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** See the module comment. @example relay.progress?.stage === 'compare' */
export class CareRelay {
  progress: PairingProgress | null = null;
  private active: Active | null = null;
  private careConns: { conn: SignalConnection; rooms: CareRoom[]; partners: Map<string, string> }[] = [];
  private beat: ReturnType<typeof setInterval> | undefined;
  private statusTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly care: Care,
    private readonly o: CareRelayOptions,
  ) {}

  private set(p: PairingProgress | null): void {
    this.progress = p;
    this.o.changed();
  }

  /** The progress of the pairing under way (its role and mode), at `stage`. */
  private stage(a: Active, p: DistributiveOmit<PairingProgress, 'role' | 'mode'>): void {
    this.set({ role: a.keeper ? 'keeper' : 'holder', mode: a.mode, ...p } as PairingProgress);
  }

  private fail(code: string, message: string): void {
    const a = this.active;
    this.close();
    if (a) this.stage(a, { stage: 'failed', code, message });
  }

  private close(): void {
    const a = this.active;
    if (!a) return;
    if (a.timer) clearTimeout(a.timer);
    // Let the last relayed message leave before the socket closes.
    setTimeout(() => a.conn.stop(), 500);
    this.active = null;
  }

  private connection(rooms: string[]): SignalConnection {
    if (!this.o.connect) throw new CareError('offline', 'pairing needs the signaling server, which this app has not reached');
    return this.o.connect(rooms);
  }

  /**
   * Show a code: watch — this device will look after the one that scans it (it keeps a watch
   * key); custody — the device that scans it will keep this device's keys (a watch pairs so).
   */
  startOffer(mode: PairingMode): void {
    this.cancel();
    const room = pairRoom(this.o.region);
    const conn = this.connection([room]);
    const a: Active = { shows: true, keeper: keeps('offerer', mode), mode, conn, room, userConfirmed: false };
    this.active = a;
    this.stage(a, { stage: 'connecting' });
    conn.onPeers = (r) => {
      if (r !== room || a.pairing || this.active !== a || !conn.id) return;
      const o = this.care.offer(mode, conn.id);
      a.pairing = o.pairing;
      a.timer = setTimeout(() => this.active === a && this.fail('expired', 'the code expired before another device answered; start again'), Math.max(0, o.expires * 1000 - this.o.now()));
      this.stage(a, { stage: 'show-code', offerText: o.offerText, expires: o.expires * 1000 });
    };
    conn.onSignal = (r, from, data) => {
      if (this.active !== a || r !== room || !isMsg(data, 'pair') || typeof data.m !== 'string' || !a.pairing) return;
      void this.offererGot(a, from, data.m);
    };
    conn.start();
  }

  private async offererGot(a: Active, from: string, m: string): Promise<void> {
    try {
      if (!a.peer) {
        a.peer = from;
        a.sas = this.care.hello(a.pairing!, m).sas;
        this.stage(a, { stage: 'compare', sas: a.sas });
      } else if (from !== a.peer) {
        // A second device answered the code: stop, and tell both that answered, so that every
        // screen involved says the code was spoiled (not only this one).
        for (const to of [a.peer, from]) a.conn.signal(a.room, to, { bt: 'pair', abort: 'second_sender' });
        this.fail('second_sender', 'a second device answered this code; start again with a new code');
      } else {
        await this.fromPeer(a, m);
      }
    } catch (e) {
      this.fail((e as { code?: string }).code ?? 'error', (e as Error).message);
    }
  }

  /** A message from the paired device after its hello: the grant (this device keeps) or the keeper's confirmation (it holds). */
  private async fromPeer(a: Active, m: string): Promise<void> {
    if (a.keeper) {
      if (!a.userConfirmed) return; // a grant before this person confirmed is not taken
      await this.care.grant(a.pairing!, m, a.label);
      this.close();
      this.stage(a, { stage: 'done', label: a.label! });
      this.syncRooms();
    } else {
      a.peerConfirm = m;
      if (a.userConfirmed) await this.holderSend(a);
    }
  }

  /** Scan a code. Throws (a bad, foreign, expired code, or one of another kind than `expect`) before anything is sent. */
  startScan(offerText: string, expect?: PairingMode): void {
    // The same code read twice (a camera sees it in several frames): the pairing under way goes on.
    if (this.active && !this.active.shows && this.active.offerText === offerText) return;
    this.cancel();
    const s = this.care.scan(offerText, expect);
    const room = pairRoom(s.region);
    const conn = this.connection([room]);
    const a: Active = { shows: false, keeper: keeps('scanner', s.mode), mode: s.mode, conn, room, pairing: s.pairing, peer: s.rendezvous, sas: s.sas, userConfirmed: false, offerText };
    this.active = a;
    this.stage(a, { stage: 'connecting' });
    let helloSent = false;
    conn.onPeers = (r) => {
      if (r !== room || helloSent || this.active !== a) return;
      helloSent = conn.signal(room, s.rendezvous, { bt: 'pair', m: s.hello });
      if (helloSent) this.stage(a, { stage: 'compare', sas: s.sas });
    };
    conn.onSignal = (r, from, data) => {
      if (this.active !== a || r !== room || from !== s.rendezvous || !isMsg(data, 'pair')) return;
      if (data.abort !== undefined) return this.fail('second_sender', 'another device answered the same code, so the device showing it stopped; start again with a new code');
      if (typeof data.m !== 'string') return;
      void this.fromPeer(a, data.m).catch((e: unknown) => this.fail((e as { code?: string }).code ?? 'error', (e as Error).message));
    };
    conn.start();
  }

  private async holderSend(a: Active): Promise<void> {
    try {
      const { sealed } = await this.care.send(a.pairing!, a.peerConfirm!, a.label);
      a.conn.signal(a.room, a.peer!, { bt: 'pair', m: sealed });
      this.close();
      this.stage(a, { stage: 'done', label: a.label! });
      this.syncRooms();
    } catch (e) {
      this.fail((e as { code?: string }).code ?? 'error', (e as Error).message);
    }
  }

  /** The person said both screens show the same digits; `label` names the other person on this device. */
  async confirm(label: string): Promise<void> {
    const a = this.active;
    if (!a || !a.sas || !a.peer) throw new CareError('no_pairing', 'there is no code to confirm yet');
    if (typeof label !== 'string' || !label.trim()) throw new CareError('bad_intent', 'a name for the other person is required');
    a.label = label.trim();
    a.userConfirmed = true;
    this.stage(a, { stage: 'waiting', sas: a.sas });
    if (a.keeper) {
      a.conn.signal(a.room, a.peer, { bt: 'pair', m: this.care.confirm(a.pairing!).confirm });
    } else if (a.peerConfirm) {
      await this.holderSend(a);
    }
  }

  /** Stop a pairing (the person said the digits differ, or left the screen). */
  cancel(): void {
    this.close();
    if (this.progress) this.set(null);
  }

  /** Join today's care rooms (call on start, after a pairing, and now and then, e.g. each minute). */
  syncRooms(): void {
    if (!this.o.connect) return;
    const want = this.care.rooms();
    const wantNames = new Set(want.map((r) => r.room));
    for (const c of this.careConns) {
      for (const r of c.rooms.filter((x) => !wantNames.has(x.room))) c.conn.leave(r.room);
      c.rooms = c.rooms.filter((x) => wantNames.has(x.room));
    }
    const have = new Set(this.careConns.flatMap((c) => c.rooms.map((r) => r.room)));
    for (const r of want.filter((x) => !have.has(x.room))) {
      let c = this.careConns.find((x) => x.rooms.length < ROOMS_PER_CONNECTION);
      if (!c) {
        const conn = this.o.connect([]);
        const entry = { conn, rooms: [] as CareRoom[], partners: new Map<string, string>() };
        conn.onPeers = (room, peers) => {
          const cr = entry.rooms.find((x) => x.room === room);
          if (!cr || peers.length === 0) return;
          entry.partners.set(room, peers[0]);
          if (cr.side === 'dependent') void this.sendOutgoing(entry.conn, cr, peers[0]);
          else conn.signal(room, peers[0], { bt: 'care', poke: 1 });
        };
        conn.onSignal = (room, from, data) => {
          const cr = entry.rooms.find((x) => x.room === room);
          if (!cr || !isMsg(data, 'care')) return;
          entry.partners.set(room, from);
          if (cr.side === 'dependent' && data.poke !== undefined) void this.sendOutgoing(entry.conn, cr, from);
          else if (cr.side === 'guardian' && typeof data.m === 'string') {
            void this.care.message(cr.id, data.m).then((r) => r.kind === 'ended' && this.syncRooms(), () => undefined);
          }
        };
        conn.start();
        this.careConns.push(entry);
        c = entry;
      }
      c.rooms.push(r);
      c.conn.join(r.room);
    }
    for (const c of this.careConns.filter((x) => x.rooms.length === 0)) c.conn.stop();
    this.careConns = this.careConns.filter((x) => x.rooms.length > 0);
    if (!this.beat && this.careConns.length) {
      this.beat = setInterval(() => this.heartbeat(), this.o.heartbeatMs ?? 600_000);
    }
  }

  /** Send a guardian's messages now if it is in its care room (after "End access"). */
  sendNow(id: string): void {
    for (const c of this.careConns) {
      for (const r of c.rooms) {
        const partner = c.partners.get(r.room);
        if (r.id === id && r.side === 'dependent' && partner) void this.sendOutgoing(c.conn, r, partner);
      }
    }
  }

  /**
   * This device's status changed (an upload left, a sync finished): tell every guardian present
   * now, not at the next heartbeat (a guardian would read "has not reported an upload yet" for up to
   * ten minutes). Coalesced: one round per second at most.
   */
  statusChanged(): void {
    if (this.statusTimer) return;
    this.statusTimer = setTimeout(() => {
      this.statusTimer = undefined;
      this.heartbeat();
    }, 1_000);
  }

  private heartbeat(): void {
    for (const c of this.careConns) {
      for (const r of c.rooms) {
        const partner = c.partners.get(r.room);
        if (r.side === 'dependent' && partner) void this.sendOutgoing(c.conn, r, partner);
      }
    }
  }

  private async sendOutgoing(conn: SignalConnection, r: CareRoom, to: string): Promise<void> {
    try {
      for (const m of await this.care.outgoing(r.id)) conn.signal(r.room, to, { bt: 'care', m });
    } catch {
      // a guardian removed meanwhile: nothing to send
    }
  }

  /** Close every connection. */
  stop(): void {
    this.cancel();
    if (this.beat) clearInterval(this.beat);
    this.beat = undefined;
    if (this.statusTimer) clearTimeout(this.statusTimer);
    this.statusTimer = undefined;
    for (const c of this.careConns) c.conn.stop();
    this.careConns = [];
  }
}

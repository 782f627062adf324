/**
 * The care relay: moves pairing handshakes and care-room messages (docs/PROTOCOL.md §13.1, §13.3)
 * through the signaling server, so the views only say "show a code", "these digits match" and
 * "cancel". It runs in the engine's worker (workers have WebSocket) with a connection factory the
 * worker gives it; tests give it an in-memory hub or the real server.
 *
 * Pairing, receiving side: a short-lived connection joins the region's pair room; its peer id is
 * the offer's rendezvous; the first hello shows the short code; "they match" relays the
 * confirmation; the sealed grant ends it. Sending side: joins the same room, relays its hello to
 * the rendezvous, shows the code, and relays the sealed grant once its person said "they match"
 * and the receiver's confirmation came. Care rooms: one connection holds up to four of today's
 * rooms; when the other device of a pairing is there, the dependent's side sends its messages.
 *
 * @example
 * const relay = new CareRelay(care, { region: 1, connect: (rooms) => new SignalingClient({ url, rooms }), changed });
 * await relay.startReceiving('watch'); relay.progress // { role: 'receiver', stage: 'show-code', offerText, … }
 * @module
 */
import type { PairingMode } from '../../core/codec/pairing.ts';
import type { PairingProgress } from '../protocol.ts';
import { CareError, type Care, type CareRoom } from './care.ts';

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

type Msg = { bt?: unknown; m?: unknown; poke?: unknown };
const isMsg = (d: unknown, bt: string): d is Msg => typeof d === 'object' && d !== null && (d as Msg).bt === bt;

interface Active {
  role: 'receiver' | 'sender';
  conn: SignalConnection;
  pairing?: string;
  peer?: string;
  room: string;
  sas?: string;
  label?: string;
  userConfirmed: boolean;
  peerConfirm?: string;
  /** The scanned code (sender). */
  offerText?: string;
  timer?: ReturnType<typeof setTimeout>;
}

/** See the module comment. @example relay.progress?.stage === 'compare' */
export class CareRelay {
  progress: PairingProgress | null = null;
  private active: Active | null = null;
  private careConns: { conn: SignalConnection; rooms: CareRoom[]; partners: Map<string, string> }[] = [];
  private beat: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly care: Care,
    private readonly o: CareRelayOptions,
  ) {}

  private set(p: PairingProgress | null): void {
    this.progress = p;
    this.o.changed();
  }

  private fail(code: string, message: string): void {
    const role = this.active?.role ?? 'receiver';
    this.close();
    this.set({ role, stage: 'failed', code, message });
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

  /** Receiving side: open a pairing and show its code. */
  startReceiving(mode: PairingMode): void {
    this.cancel();
    const room = pairRoom(this.o.region);
    const conn = this.connection([room]);
    const a: Active = { role: 'receiver', conn, room, userConfirmed: false };
    this.active = a;
    this.set({ role: 'receiver', stage: 'connecting' });
    conn.onPeers = (r) => {
      if (r !== room || a.pairing || this.active !== a || !conn.id) return;
      const o = this.care.offer(mode, conn.id);
      a.pairing = o.pairing;
      a.timer = setTimeout(() => this.active === a && this.fail('expired', 'the code expired before another device answered; start again'), Math.max(0, o.expires * 1000 - this.o.now()));
      this.set({ role: 'receiver', stage: 'show-code', offerText: o.offerText, expires: o.expires * 1000 });
    };
    conn.onSignal = (r, from, data) => {
      if (this.active !== a || r !== room || !isMsg(data, 'pair') || typeof data.m !== 'string' || !a.pairing) return;
      void this.receiverGot(a, from, data.m);
    };
    conn.start();
  }

  private async receiverGot(a: Active, from: string, m: string): Promise<void> {
    try {
      if (!a.peer) {
        a.peer = from;
        a.sas = this.care.hello(a.pairing!, m).sas;
        this.set({ role: 'receiver', stage: 'compare', sas: a.sas });
      } else if (from !== a.peer) {
        this.fail('second_sender', 'a second device answered this code; start again with a new code');
      } else if (a.userConfirmed) {
        await this.care.grant(a.pairing!, m, a.label);
        this.close();
        this.set({ role: 'receiver', stage: 'done', label: a.label! });
        this.syncRooms();
      }
    } catch (e) {
      this.fail((e as { code?: string }).code ?? 'error', (e as Error).message);
    }
  }

  /** Sending side: a scanned code. Throws (a bad, foreign or expired code) before anything is sent. */
  startSending(offerText: string): void {
    // The same code read twice (a camera sees it in several frames): the pairing under way goes on.
    if (this.active?.role === 'sender' && this.active.offerText === offerText) return;
    this.cancel();
    const s = this.care.scan(offerText);
    const room = pairRoom(s.region);
    const conn = this.connection([room]);
    const a: Active = { role: 'sender', conn, room, pairing: s.pairing, peer: s.rendezvous, sas: s.sas, userConfirmed: false, offerText };
    this.active = a;
    this.set({ role: 'sender', stage: 'connecting' });
    let helloSent = false;
    conn.onPeers = (r) => {
      if (r !== room || helloSent || this.active !== a) return;
      helloSent = conn.signal(room, s.rendezvous, { bt: 'pair', m: s.hello });
      if (helloSent) this.set({ role: 'sender', stage: 'compare', sas: s.sas });
    };
    conn.onSignal = (r, from, data) => {
      if (this.active !== a || r !== room || from !== s.rendezvous || !isMsg(data, 'pair') || typeof data.m !== 'string') return;
      a.peerConfirm = data.m;
      if (a.userConfirmed) void this.senderSend(a);
    };
    conn.start();
  }

  private async senderSend(a: Active): Promise<void> {
    try {
      const { sealed } = await this.care.send(a.pairing!, a.peerConfirm!, a.label);
      a.conn.signal(a.room, a.peer!, { bt: 'pair', m: sealed });
      this.close();
      this.set({ role: 'sender', stage: 'done', label: a.label! });
      this.syncRooms();
    } catch (e) {
      this.fail((e as { code?: string }).code ?? 'error', (e as Error).message);
    }
  }

  /** The person said both screens show the same digits; `label` names the other person on this device. */
  async confirm(label: string): Promise<void> {
    const a = this.active;
    if (!a || !a.sas) throw new CareError('no_pairing', 'there is no code to confirm yet');
    if (typeof label !== 'string' || !label.trim()) throw new CareError('bad_intent', 'a name for the other person is required');
    a.label = label.trim();
    a.userConfirmed = true;
    this.set({ role: a.role, stage: 'waiting', sas: a.sas });
    if (a.role === 'receiver') {
      a.conn.signal(a.room, a.peer!, { bt: 'pair', m: this.care.confirm(a.pairing!).confirm });
    } else if (a.peerConfirm) {
      await this.senderSend(a);
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
    for (const c of this.careConns) c.conn.stop();
    this.careConns = [];
  }
}

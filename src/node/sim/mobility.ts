/**
 * A synthetic city for `beeptrace sim`: homes on a 50 m lattice (households of 1–4 people a few
 * metres apart), workplaces with desk clusters (rooms of up to 6, rooms ≥ 40 m apart), and shared
 * venues (cafés, shops; half of them take QR check-ins instead of GPS). A visitor sits within 4 m
 * of the venue's middle, so two visitors are 0–8 m apart; with `seats` (`beeptrace sim --seats
 * 4,6,8,10`) venues take those radii in turn, visitors are 0–20 m apart, and the town holds people
 * 10–20 m apart for half an hour as well as people side by side (docs/PROTOCOL.md §15 item 37:
 * what a matching rule does to both). Each user has a daily
 * routine with random variation — commute, work, lunch and evening venue visits — so contacts of
 * every kind happen: long close ones (home, desk), short ones (venues), and none (different places).
 * One GPS fix a minute with ~3 m noise, as a phone's watchPosition would give.
 *
 * @example
 * const city = new City({ users: 2000, days: 3, seed: 1, firstDay });
 * city.events(0) // [{ kind: 'fix', t, lat, lon, acc }, …]
 * @module
 */
import { Prng } from '../../core/prng.ts';
import type { Population, SimEvent } from './population.ts';

/** Where the city lies unless told otherwise (`centre`). @example new City({ users, days, seed, firstDay, centre: DEFAULT_CENTRE }) */
export const DEFAULT_CENTRE = { lat: 55.8642, lon: -4.2518 }; // Glasgow
const M_LAT = 1 / 111_195;

/** The city's origin and degrees of longitude per metre at its latitude. */
interface Frame {
  lat: number;
  lon: number;
  mLon: number;
}

interface Spot {
  lat: number;
  lon: number;
}
interface Venue extends Spot {
  id: string;
  qr: boolean;
  /** Visitors sit within this many metres of the venue's middle. */
  seatRadius: number;
}

/** Seat radius of every venue unless `seats` says otherwise, metres. */
export const DEFAULT_SEATS: readonly number[] = [4];

interface Person {
  home: Spot;
  desk?: Spot;
  worker: boolean;
}

function at(f: Frame, xMetres: number, yMetres: number): Spot {
  return { lat: f.lat + yMetres * M_LAT, lon: f.lon + xMetres * f.mLon };
}
function near(f: Frame, s: Spot, r: Prng, metres: number): Spot {
  const a = r.next() * 2 * Math.PI;
  const d = Math.sqrt(r.next()) * metres;
  return { lat: s.lat + Math.sin(a) * d * M_LAT, lon: s.lon + Math.cos(a) * d * f.mLon };
}

export class City implements Population {
  readonly names: string[];
  readonly firstDay: number;
  readonly lastDay: number;
  readonly venues: Venue[];
  private people: Person[];

  private readonly f: Frame;

  /**
   * `centre`: where the city lies (default DEFAULT_CENTRE, Glasgow); homes lie north-east of it,
   * venues west. `seats`: the venues' seat radii in metres, in turn (venues 2j, QR check-in, and
   * 2j + 1, GPS, take seats[j mod length]); default DEFAULT_SEATS. Neither changes the PRNG's draws.
   */
  constructor(readonly o: { users: number; days: number; seed: number; firstDay: number; centre?: { lat: number; lon: number }; seats?: readonly number[] }) {
    const c = o.centre ?? DEFAULT_CENTRE;
    const seats = o.seats?.length ? o.seats : DEFAULT_SEATS;
    if (!seats.every((m) => Number.isFinite(m) && m > 0 && m <= 1000)) throw new RangeError(`seat radii must be metres in (0, 1000], got ${seats.join(',')}`);
    const f: Frame = (this.f = { lat: c.lat, lon: c.lon, mLon: 1 / (111_195 * Math.cos((c.lat * Math.PI) / 180)) });
    const r = new Prng(o.seed);
    this.firstDay = o.firstDay;
    this.lastDay = o.firstDay + o.days - 1;
    this.names = Array.from({ length: o.users }, (_, i) => `u${i + 1}`);
    // Homes: distinct lots of a 50 m lattice over a square big enough for the households.
    const lotsSide = Math.ceil(Math.sqrt(o.users)) + 2;
    const lots = r.shuffle(Array.from({ length: lotsSide * lotsSide }, (_, i) => i));
    // Workplaces: 300 m apart, east of the homes; rooms on a 40 m lattice inside.
    const nWork = Math.max(1, Math.round(o.users / 40));
    const offset = lotsSide * 50 + 500;
    const rooms: Spot[][] = Array.from({ length: nWork }, (_, w) => {
      const base = at(f, offset + (w % 10) * 300, Math.floor(w / 10) * 300);
      return Array.from({ length: 12 }, (_, k) => ({ lat: base.lat + Math.floor(k / 4) * 40 * M_LAT, lon: base.lon + (k % 4) * 40 * f.mLon }));
    });
    const roomFill = new Map<string, number>();
    this.venues = Array.from({ length: Math.max(2, Math.round(o.users / 30)) }, (_, v) => ({
      ...at(f, -500 - (v % 12) * 150, Math.floor(v / 12) * 150),
      id: hex16(r),
      qr: v % 2 === 0,
      seatRadius: seats[Math.floor(v / 2) % seats.length],
    }));
    this.people = [];
    let lot = 0;
    while (this.people.length < o.users) {
      const n = Math.min(o.users - this.people.length, 1 + r.int(4));
      const l = lots[lot++];
      const home = at(f, (l % lotsSide) * 50, Math.floor(l / lotsSide) * 50);
      for (let k = 0; k < n; k++) {
        const worker = r.chance(0.75);
        let desk: Spot | undefined;
        if (worker) {
          const w = r.int(nWork);
          let room = r.int(12);
          for (let tries = 0; tries < 12 && (roomFill.get(`${w}:${room}`) ?? 0) >= 6; tries++) room = (room + 1) % 12;
          roomFill.set(`${w}:${room}`, (roomFill.get(`${w}:${room}`) ?? 0) + 1);
          desk = near(f, rooms[w][room], r, 3);
        }
        this.people.push({ home: near(f, home, r, 3), desk, worker });
      }
    }
  }

  events(user: number): SimEvent[] {
    const p = this.people[user];
    const out: SimEvent[] = [];
    for (let day = this.firstDay; day <= this.lastDay; day++) {
      const r = new Prng((this.o.seed * 1_000_003 + user * 7919 + day) >>> 0);
      const plan = this.plan(p, r);
      const t0 = day * 86_400_000;
      let venueUntil = -1;
      for (let m = 0; m < 1440; m++) {
        const step = plan(m);
        const t = t0 + m * 60_000 + r.int(20_000);
        if (step.venue && step.venue.qr) {
          if (m >= venueUntil) {
            out.push({ kind: 'venue', t, venue: step.venue.id });
            venueUntil = step.until;
          }
          continue;
        }
        const acc = 4 + r.int(8);
        out.push({ kind: 'fix', t, lat: step.spot.lat + r.normal() * 3 * M_LAT, lon: step.spot.lon + r.normal() * 3 * this.f.mLon, acc });
      }
    }
    return out;
  }

  /** A day's routine: minute of day → where the person is. */
  private plan(p: Person, r: Prng): (m: number) => { spot: Spot; venue?: Venue; until: number } {
    type Seg = { from: number; to: number; spot: (m: number) => Spot; venue?: Venue };
    const segs: Seg[] = [];
    const home = () => p.home;
    const visit = (from: number, len: number, hub: Spot) => {
      const v = this.pickVenue(hub, r);
      const seat = near(this.f, v, r, v.seatRadius);
      segs.push({ from, to: from + len, spot: () => seat, venue: v.qr ? v : undefined });
    };
    if (p.worker && p.desk && r.chance(0.9)) {
      const leave = 450 + r.int(90);
      const commute = 20 + r.int(20);
      const back = 990 + r.int(90);
      const desk = p.desk;
      segs.push({ from: leave, to: leave + commute, spot: (m) => lerp(p.home, desk, (m - leave) / commute) });
      segs.push({ from: leave + commute, to: back, spot: () => desk });
      if (r.chance(0.4)) visit(720 + r.int(30), 30 + r.int(30), desk);
      segs.push({ from: back, to: back + commute, spot: (m) => lerp(desk, p.home, (m - back) / commute) });
      if (r.chance(0.25)) visit(back + commute + 60 + r.int(60), 60 + r.int(60), p.home);
    } else if (r.chance(0.5)) visit(600 + r.int(360), 30 + r.int(60), p.home);
    return (m) => {
      for (let i = segs.length - 1; i >= 0; i--) {
        const s = segs[i];
        if (m >= s.from && m < s.to) return { spot: s.spot(m), venue: s.venue, until: s.to };
      }
      return { spot: home(), until: 1440 };
    };
  }

  private pickVenue(hub: Spot, r: Prng): Venue {
    // prefer one of the three venues nearest the hub, sometimes any
    if (r.chance(0.3)) return r.pick(this.venues);
    const d = (v: Venue) => (v.lat - hub.lat) ** 2 + ((v.lon - hub.lon) * 0.56) ** 2;
    const sorted = [...this.venues].sort((a, b) => d(a) - d(b));
    return sorted[r.int(Math.min(3, sorted.length))];
  }
}

function lerp(a: Spot, b: Spot, f: number): Spot {
  return { lat: a.lat + (b.lat - a.lat) * f, lon: a.lon + (b.lon - a.lon) * f };
}
function hex16(r: Prng): string {
  return Array.from(r.bytes(8), (b) => b.toString(16).padStart(2, '0')).join('');
}

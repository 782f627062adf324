/**
 * `beeptrace sim`: the real protocol, end to end, in one process (issue 2 §3). Every user has a
 * seed and a StayRecorder and publishes real trace batches into a real ledger with every
 * acceptance rule on; the CA certifies a diagnostician and a solver; each infected user goes
 * through the possession-proof diagnosis; the solver publishes notifications; every user
 * self-matches from the notification chain. Alongside, `truth` is computed exactly on the raw
 * positions with the same policy, to measure the protocol's precision and recall.
 *
 * @example
 * const r = await simulate(new City({ users: 200, days: 2, seed: 1, firstDay }), { infected: ['u1'], crypto: nodeCrypto, seed: 1 });
 * r.stats.high.precision
 * @module
 */
import type { CryptoProvider } from '../../core/crypto.ts';
import { UserKeys } from '../../core/keys.ts';
import { StayRecorder } from '../../core/recorder.ts';
import { levelFor, type Policy, DEFAULT_POLICY } from '../../core/policy.ts';
import { toE7 } from '../../core/geo.ts';
import { KIND_NAME } from '../../core/codec/block.ts';
import type { BuildingIndex } from '../../core/buildings.ts';
import { Prng } from '../../core/prng.ts';
import { Chain, isoDay, Precision, type PrecisionLevel, type RiskLevel, type Stay } from '../../core/types.ts';
import { InputError } from '../../core/errors.ts';
import { World } from './world.ts';
import type { Population, SimEvent } from './population.ts';

export interface SimOptions {
  infected: string[];
  crypto: CryptoProvider;
  seed: number;
  policy?: Policy;
  buildings?: BuildingIndex;
  /** Location precision of every user; or a list, each user choosing one of them (seeded). Default 10 m. */
  precision?: PrecisionLevel | PrecisionLevel[];
  /**
   * Sparse fixes: the phone's page sees one fix every this many minutes (each user at its own
   * phase; check-ins are all kept). The exact computation still uses every raw fix. Default 1.
   */
  sparseMinutes?: number;
  /** Progress lines (stderr in the CLI). */
  log?: (msg: string) => void;
}

export interface UserResult {
  level: RiskLevel;
  exposures: { day: string; level: Exclude<RiskLevel, 'none'>; minutes: number }[];
}

export interface Score {
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  precision: number;
  recall: number;
}

export interface SimResult {
  users: Record<string, UserResult>;
  truth: Record<string, UserResult>;
  stats: {
    users: number;
    days: number;
    infected: number;
    high: Score;
    /** "Any exposure": a user-day at low or high risk (notified at all), scored as one level. */
    any: Score;
    /** The same scores over the users of each location precision (`exact`, `10m`, `100m`), with their count. */
    byPrecision: Record<string, { users: number; high: Score; any: Score }>;
    uploadBytesPerUserDay: number;
    notificationChainBytes: number;
    downloadBytesPerUserDay: number;
    records: Record<string, number>;
    stays: number;
    solver: { ms: number; userDays: number; stays: number; recordsPerSecond: number; patientStays: number; tags: number };
    seconds: number;
  };
}

const MINUTE = 60_000;
/** Names of the location precisions, as the CLI spells them. */
export const PRECISION_NAME: Record<PrecisionLevel, string> = { [Precision.EXACT]: 'exact', [Precision.M10]: '10m', [Precision.M100]: '100m' };
const GAP_MINUTES = 10;
const MAX_VENUE_MINUTES = 240;

/** Run the protocol and the exact computation on a population. */
export async function simulate(pop: Population, o: SimOptions): Promise<SimResult> {
  const t0 = performance.now();
  const log = o.log ?? (() => {});
  const policy = o.policy ?? DEFAULT_POLICY;
  const index = new Map(pop.names.map((n, i) => [n, i]));
  for (const name of o.infected) if (!index.has(name)) throw new InputError('unknown_user', `--infected names "${name}", who is not in the population`);
  const infected = new Set(o.infected.map((n) => index.get(n)!));
  const c = o.crypto;
  const w = await World.create({ crypto: c, startMs: pop.firstDay * 86_400_000, policy, buildings: o.buildings });
  const prng = new Prng(o.seed ^ 0x5eed);
  const keys = pop.names.map(() => new UserKeys(c, prng.bytes(32)));
  const choices = Array.isArray(o.precision) ? o.precision : [o.precision ?? Precision.M10];
  if (!choices.length) throw new InputError('usage', 'no location precision to choose from');
  const pick = new Prng(o.seed ^ 0x9e3);
  const precisionOf = pop.names.map(() => choices[pick.int(choices.length)]);

  // 1. Each device records its stays from its raw events.
  log(`recording stays for ${pop.names.length} users over ${pop.lastDay - pop.firstDay + 1} days`);
  const stays: Stay[][][] = []; // user → day offset → stays
  const samples = new Map<number, Sample[]>(); // infected user → per-minute raw positions (for truth)
  let totalStays = 0;
  pop.names.forEach((_, u) => {
    const events = pop.events(u);
    const rec = new StayRecorder({ precision: precisionOf[u] });
    const byDay: Stay[][] = Array.from({ length: pop.lastDay - pop.firstDay + 1 }, () => []);
    const emit = (ss: Stay[]) => {
      for (const s of ss) {
        byDay[Math.floor(s.start / 1440) - pop.firstDay]?.push(s);
        totalStays++;
      }
    };
    const every = o.sparseMinutes ?? 1;
    const phase = (u * 7919) % every;
    const seen = every <= 1 ? events : events.filter((e) => e.kind === 'venue' || Math.floor(e.t / MINUTE) % every === phase);
    for (const e of seen) emit(e.kind === 'fix' ? rec.addFix({ t: e.t, lat: e.lat, lon: e.lon, acc: e.acc }) : rec.checkIn(e.venue, e.t));
    emit(rec.flush((pop.lastDay + 1) * 86_400_000 - 1));
    stays.push(byDay);
    if (infected.has(u)) samples.set(u, toSamples(events));
  });

  // 2. Uploads: each day's stays shortly after midnight (a few seconds apart per device).
  let uploadBytes = 0;
  let userDays = 0;
  for (let day = pop.firstDay; day <= pop.lastDay; day++) {
    for (let u = 0; u < keys.length; u++) {
      const s = stays[u][day - pop.firstDay];
      if (!s.length) continue;
      w.advanceTo((day + 1) * 86_400_000 + 30 * MINUTE + u * 50);
      uploadBytes += await w.upload(keys[u], day, s);
      userDays++;
    }
    log(`day ${isoDay(day)}: uploaded`);
  }

  // 3. Diagnoses at the end of the trace: possession proofs for every day, onset = first day.
  w.advanceTo((pop.lastDay + 1) * 86_400_000 + 9 * 3_600_000);
  for (const u of infected) await w.diagnose(keys[u], pop.firstDay, Math.min(policy.lookbackDays, pop.lastDay - pop.firstDay + 1));
  w.advanceTo(w.nowMs + 3_600_000);

  // 4. The solver publishes; 5. every device self-matches.
  const run = await w.runSolver();
  log(`solver: ${run.stats.userDays} user-days, ${run.stats.stays} stays in ${run.ms.toFixed(0)} ms; ${run.notifications.length} tag sets`);
  const minutesOf = new Map(run.exposures.map((e) => [`${e.dayPub}:${e.day}`, e.minutes]));
  const users: Record<string, UserResult> = {};
  const notifications = await w.notifications();
  const { ExposureChecker } = await import('../../core/selfmatch.ts');
  for (let u = 0; u < keys.length; u++) {
    const checker = new ExposureChecker(c, keys[u].watch);
    for (const n of notifications) checker.add(n);
    const ex = checker.exposures().map((e) => ({
      day: isoDay(e.day),
      level: e.level,
      // minutes come from the solver's view (the device learns only day and level)
      minutes: minutesOf.get(`${hexOf(keys[u].daySigning(e.day).publicKey)}:${e.day}`) ?? 0,
    }));
    users[pop.names[u]] = { level: checker.level(), exposures: ex };
  }

  // Truth: exact, per minute, on the raw positions, same policy.
  const truth = computeTruth(pop, infected, samples, policy, o.buildings);
  const high = score(users, truth, (l) => l === 'high');
  const any = score(users, truth, (l) => l !== 'none');
  const byPrecision: SimResult['stats']['byPrecision'] = {};
  for (const p of [...new Set(choices)].sort()) {
    const names = new Set(pop.names.filter((_, u) => precisionOf[u] === p));
    const only = (r: Record<string, UserResult>) => Object.fromEntries(Object.entries(r).filter(([n]) => names.has(n)));
    byPrecision[PRECISION_NAME[p]] = {
      users: names.size,
      high: score(only(users), only(truth), (l) => l === 'high'),
      any: score(only(users), only(truth), (l) => l !== 'none'),
    };
  }
  const records: Record<string, number> = {};
  for (const chain of [Chain.TRACING, Chain.NOTIFICATION]) {
    for (const e of w.ledger.entries(chain)) records[KIND_NAME[e.kind]] = (records[KIND_NAME[e.kind]] ?? 0) + 1;
  }
  const days = pop.lastDay - pop.firstDay + 1;
  const notifBytes = w.bytesByChain.get(Chain.NOTIFICATION) ?? 0;
  return {
    users,
    truth,
    stats: {
      users: pop.names.length,
      days,
      infected: infected.size,
      high,
      any,
      byPrecision,
      uploadBytesPerUserDay: userDays ? Math.round(uploadBytes / userDays) : 0,
      notificationChainBytes: notifBytes,
      downloadBytesPerUserDay: Math.round(notifBytes / days),
      records,
      stays: totalStays,
      solver: {
        ms: Math.round(run.ms),
        userDays: run.stats.userDays,
        stays: run.stats.stays,
        recordsPerSecond: run.ms > 0 ? Math.round(run.stats.stays / (run.ms / 1000)) : 0,
        patientStays: run.stats.patientStays,
        tags: run.stats.tags,
      },
      seconds: Math.round((performance.now() - t0) / 100) / 10,
    },
  };
}

function hexOf(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** A user's raw whereabouts at one minute: a position, or a venue check-in. */
interface Sample {
  minute: number;
  latE7: number;
  lonE7: number;
  venue?: string;
}

/** Per-minute samples from raw events (the first fix of each minute): a fix holds until the next event (at most GAP_MINUTES); a check-in until the next event (at most MAX_VENUE_MINUTES). */
export function toSamples(events: SimEvent[]): Sample[] {
  const out: Sample[] = [];
  let lastMinute = -Infinity;
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    // a minute's sample is its first fix (GPX replays have a point every few seconds)
    if (e.kind === 'fix' && Math.floor(e.t / MINUTE) <= lastMinute) continue;
    const from = Math.max(Math.floor(e.t / MINUTE), lastMinute + 1);
    const nextT = i + 1 < events.length ? events[i + 1].t : e.t + MINUTE;
    const cap = e.kind === 'venue' ? MAX_VENUE_MINUTES : GAP_MINUTES;
    const to = Math.min(Math.floor(nextT / MINUTE), Math.floor(e.t / MINUTE) + cap);
    for (let m = from; m < Math.max(to, from + (e.kind === 'fix' ? 1 : 0)); m++) {
      out.push(e.kind === 'fix' ? { minute: m, latE7: toE7(e.lat, 'lat'), lonE7: toE7(e.lon) } : { minute: m, latE7: 0, lonE7: 0, venue: e.venue });
      lastMinute = m;
    }
  }
  return out;
}

/**
 * The exact computation the protocol is scored against, with the same policy. Per minute, each
 * person moves in a straight line from their sample at that minute to their sample at the next
 * (the path between two fixes a minute apart; a held fix does not move), so the time two people
 * are within t metres is the exact fraction of each minute (a quadratic in time), summed over the
 * day; a rule's minutes are the whole minutes of that time (docs/PROTOCOL.md §15 item 35).
 * A walker passing within 10 m of someone at 1.5 m/s is within it for at most 13 s: not a minute,
 * although both may have a fix within 10 m at that minute. Venues and buildings count whole
 * minutes, as before.
 * @example computeTruth(pop, new Set([3]), samples, DEFAULT_POLICY)['u7'].level
 */
export function computeTruth(pop: Population, infected: Set<number>, samples: Map<number, Sample[]>, policy: Policy, buildings?: BuildingIndex): Record<string, UserResult> {
  const thresholds = [...new Set(policy.rules.filter((r) => r.withinMetres !== undefined).map((r) => r.withinMetres!))];
  // minute → infected samples at that minute, with the same person's sample of the next minute
  const byMinute = new Map<number, { who: number; s: Sample; next?: Sample; buildings: number[] }[]>();
  for (const [who, list] of samples) {
    list.forEach((s, i) => {
      let l = byMinute.get(s.minute);
      if (!l) byMinute.set(s.minute, (l = []));
      const n = list[i + 1];
      l.push({ who, s, next: n && n.minute === s.minute + 1 ? n : undefined, buildings: buildings && !s.venue ? buildings.containing(s.latE7, s.lonE7) : [] });
    });
  }
  const out: Record<string, UserResult> = {};
  pop.names.forEach((name, u) => {
    const own = samples.get(u) ?? toSamples(pop.events(u));
    const perDay = new Map<number, { near: Map<number, number>; venue: number }>();
    own.forEach((s, i) => {
      const others = byMinute.get(s.minute);
      if (!others) return;
      const sn = own[i + 1]?.minute === s.minute + 1 ? own[i + 1] : undefined;
      const best = new Map<number, number>(); // threshold → largest fraction of this minute within it
      let sameVenue = false;
      let ownBuildings: number[] | undefined;
      for (const o of others) {
        if (o.who === u) continue;
        if (s.venue !== undefined || o.s.venue !== undefined) {
          if (s.venue !== undefined && s.venue === o.s.venue) sameVenue = true;
          continue;
        }
        const [x0, y0] = offsetMetres(o.s, s);
        const [x1, y1] = sn && !sn.venue && o.next && !o.next.venue ? offsetMetres(o.next, sn) : sn && !sn.venue ? offsetMetres(o.s, sn) : o.next && !o.next.venue ? offsetMetres(o.next, s) : [x0, y0];
        for (const t of thresholds) {
          const f = fractionWithin(x0, y0, x1, y1, t);
          if (f > (best.get(t) ?? 0)) best.set(t, f);
        }
        if (buildings && o.buildings.length) {
          ownBuildings ??= buildings.containing(s.latE7, s.lonE7);
          if (o.buildings.some((b) => ownBuildings!.includes(b))) sameVenue = true;
        }
      }
      if (!best.size && !sameVenue) return;
      const day = Math.floor(s.minute / 1440);
      let d = perDay.get(day);
      if (!d) perDay.set(day, (d = { near: new Map(), venue: 0 }));
      for (const [t, f] of best) d.near.set(t, (d.near.get(t) ?? 0) + f);
      if (sameVenue) d.venue++;
    });
    const exposures: UserResult['exposures'] = [];
    let level: RiskLevel = 'none';
    for (const [day, m] of [...perDay].sort((a, b) => a[0] - b[0])) {
      // whole minutes of contact: "within 10 m for at least 1 minute" is 60 s in all (1e-9: float sums)
      const near = new Map<number, number>();
      for (const [t, f] of m.near) near.set(t, Math.floor(f + 1e-9));
      const mm = { near, venue: m.venue };
      const l = levelFor(policy, mm);
      if (l === 'none') continue;
      exposures.push({ day: isoDay(day), level: l, minutes: Math.max(m.venue, ...near.values()) });
      if (l === 'high' || level === 'none') level = l;
    }
    out[name] = { level, exposures };
  });
  return out;
}

const M_PER_E7 = (6_371_008.8 * Math.PI) / 180 / 1e7;
/** Metres east and north of `b` from `a` (local plane). */
function offsetMetres(a: { latE7: number; lonE7: number }, b: { latE7: number; lonE7: number }): [number, number] {
  return [(b.lonE7 - a.lonE7) * M_PER_E7 * Math.cos((a.latE7 * Math.PI) / 180 / 1e7), (b.latE7 - a.latE7) * M_PER_E7];
}

/**
 * The fraction of τ ∈ [0, 1] at which (x0, y0) + τ·((x1, y1) − (x0, y0)) is within t of the origin.
 * @example fractionWithin(-20, 0, 20, 0, 10) === 0.5
 */
export function fractionWithin(x0: number, y0: number, x1: number, y1: number, t: number): number {
  const dx = x1 - x0, dy = y1 - y0;
  const a = dx * dx + dy * dy;
  const c = x0 * x0 + y0 * y0 - t * t;
  if (a < 1e-12) return c <= 0 ? 1 : 0;
  const b = 2 * (x0 * dx + y0 * dy);
  const disc = b * b - 4 * a * c;
  if (disc < 0) return 0;
  const r = Math.sqrt(disc);
  const lo = Math.max(0, (-b - r) / (2 * a));
  const hi = Math.min(1, (-b + r) / (2 * a));
  return hi > lo ? hi - lo : 0;
}

function score(users: Record<string, UserResult>, truth: Record<string, UserResult>, pick: (l: RiskLevel) => boolean): Score {
  const set = (r: Record<string, UserResult>) => {
    const s = new Set<string>();
    for (const [name, u] of Object.entries(r)) for (const e of u.exposures) if (pick(e.level)) s.add(`${name}@${e.day}`);
    return s;
  };
  const got = set(users);
  const want = set(truth);
  let tp = 0;
  for (const k of got) if (want.has(k)) tp++;
  const fp = got.size - tp;
  const fn = want.size - tp;
  return {
    truePositives: tp,
    falsePositives: fp,
    falseNegatives: fn,
    precision: got.size ? round4(tp / got.size) : 1,
    recall: want.size ? round4(tp / want.size) : 1,
  };
}
function round4(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}

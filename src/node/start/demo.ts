/**
 * `beeptrace start --demo`: a small simulated town beside the local stack, so a newcomer watches
 * cases, notifications and the transparency dashboard move within a minute or two. Nothing is
 * faked: the town is the simulator's synthetic city (src/node/sim/mobility.ts) around a chosen
 * place; each resident is a device with its own keys whose stays are recorded from its GPS fixes
 * and check-ins by the real StayRecorder and sealed into real trace batches; cases are real
 * possession-proof diagnoses endorsed by the local clinic's certified key; a few residents
 * self-report or withdraw a day. Every block goes through the stack's `publish` (the authority's
 * node: its ledger checks it, then the mesh gossips it). The stack's own solver matches the cases
 * and publishes the notifications, as it would for people's phones.
 *
 * Paced, and small (default 100 residents), so it never hogs a core: one step every `paceMs`
 * (a few residents' uploads, or later one case), the town's past days first, then a case every
 * `caseEvery` steps up to `maxCases`. `stop()` ends it between steps.
 *
 * @example
 * const town = startDemo({ authority: stack.authority, publish: stack.publish, region: 1, crypto: nodeCrypto, place: { lat: 52.52, lon: 13.405 } });
 * await town.stop();
 * @module
 */
import type { CryptoProvider } from '../../core/crypto.ts';
import { InputError } from '../../core/errors.ts';
import { UserKeys } from '../../core/keys.ts';
import { Prng } from '../../core/prng.ts';
import { StayRecorder } from '../../core/recorder.ts';
import { diagnosisBlock } from '../../core/blocks.ts';
import { possessionProofs, sealingParams, selfReport, traceBatches, withdrawal } from '../../core/device.ts';
import { epochOf } from '../../core/policy.ts';
import { Chain, Precision, type Day, type Stay } from '../../core/types.ts';
import { City, DEFAULT_CENTRE } from '../sim/mobility.ts';
import type { LocalAuthority } from './authority.ts';

/** Where the demo town lies unless `--place` says otherwise: the simulator's city (Glasgow). @example startDemo({ …, place: DEMO_PLACE }) */
export const DEMO_PLACE = DEFAULT_CENTRE;

export interface DemoOptions {
  /** The stack's authority: its clinic endorses the cases; its ledger gives tips, epoch keys and the policy. */
  authority: Pick<LocalAuthority, 'keys' | 'ledger'>;
  /** Publish a block into the local mesh (the stack's `publish`). */
  publish: (bytes: Uint8Array) => Promise<unknown>;
  region: number;
  crypto: CryptoProvider;
  /** Centre of the town (default DEMO_PLACE). */
  place?: { lat: number; lon: number };
  /** Residents (default 100; 10..500). */
  residents?: number;
  /** Seed of the town (default 1). */
  seed?: number;
  /** Milliseconds between steps (default 2000). */
  paceMs?: number;
  /** Residents uploaded per step (default 10). */
  uploadsPerStep?: number;
  /** Steps between cases once the town has uploaded (default 8: a case every 16 s). */
  caseEvery?: number;
  /** Cases before the town goes quiet (default 12). */
  maxCases?: number;
  /** Progress lines. */
  log?: (line: string) => void;
  /** The clock, ms (default Date.now). */
  now?: () => number;
}

/** What the town has published so far. @example town.stats.cases */
export interface DemoStats {
  residents: number;
  batches: number;
  cases: number;
  selfReports: number;
  withdrawals: number;
}

/** A running demo town. @example await town.stop() */
export interface DemoTown {
  readonly stats: DemoStats;
  /** Run one step now (the timer runs them on its own; tests may call it). */
  step(): Promise<void>;
  /** Stop after the step in progress. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Parse `--place "lat,lon"` (decimal degrees).
 * @example parsePlace('52.52,13.405') // { lat: 52.52, lon: 13.405 }
 */
export function parsePlace(v: string): { lat: number; lon: number } {
  const m = /^\s*(-?\d{1,2}(?:\.\d+)?)\s*,\s*(-?\d{1,3}(?:\.\d+)?)\s*$/.exec(v);
  const lat = m ? Number(m[1]) : NaN;
  const lon = m ? Number(m[2]) : NaN;
  if (!m || Math.abs(lat) > 85 || Math.abs(lon) > 180) throw new InputError('usage', `--place must be "lat,lon" in decimal degrees (latitude -85..85, longitude -180..180), got "${v}"`);
  return { lat, lon };
}

/**
 * Start the town (its first step runs after `paceMs`).
 * @example const town = startDemo({ authority, publish, region: 1, crypto: nodeCrypto });
 */
export function startDemo(o: DemoOptions): DemoTown {
  const c = o.crypto;
  const log = o.log ?? (() => {});
  const now = o.now ?? Date.now;
  const n = o.residents ?? 100;
  if (!Number.isInteger(n) || n < 10 || n > 500) throw new InputError('usage', `a demo town has 10..500 residents, got ${n}`);
  const place = o.place ?? DEMO_PLACE;
  const seed = o.seed ?? 1;
  const perStep = o.uploadsPerStep ?? 10;
  const caseEvery = o.caseEvery ?? 8;
  const maxCases = o.maxCases ?? 12;
  const ledger = o.authority.ledger;
  const clinic = o.authority.keys.diagnostician;
  const today = Math.floor(now() / 86_400_000);
  // The town's past: the two days before today whose epoch key the CA has published (a day of an
  // epoch without a key cannot be sealed), else today so far.
  const withKey = [today - 2, today - 1].filter((d) => !!ledger.authority.epochKey(epochOf(ledger.authority.policy, d)));
  const days: Day[] = withKey.length ? withKey : [today];
  const city = new City({ users: n, days: days.length, seed, firstDay: days[0], centre: place });
  const prng = new Prng(seed ^ 0xd3e0);
  const keys = city.names.map(() => new UserKeys(c, prng.bytes(32)));
  const order = prng.shuffle(city.names.map((_, i) => i)); // who falls ill, in turn
  const stats: DemoStats = { residents: n, batches: 0, cases: 0, selfReports: 0, withdrawals: 0 };
  let uploaded = 0;
  let sinceCase = caseEvery; // the first case comes right after the uploads
  let next = 0;
  let lastUploadSec = 0;
  log(`demo: a town of ${n} residents around ${place.lat.toFixed(4)}, ${place.lon.toFixed(4)} (days ${days.map(isoDay).join(', ')}); uploads first, then a case every ${Math.round((caseEvery * (o.paceMs ?? 2000)) / 1000)} s`);

  const common = () => ({ region: o.region, timeSec: Math.floor(now() / 1000), parents: ledger.tips(Chain.TRACING) });

  /** A resident's stays per town day, recorded from its fixes and check-ins. */
  const record = (u: number): Map<Day, Stay[]> => {
    const rec = new StayRecorder({ precision: Precision.M10 });
    const out = new Map<Day, Stay[]>();
    const end = Math.min((days.at(-1)! + 1) * 86_400_000 - 1, now() - 60_000);
    const add = (ss: Stay[]) => {
      for (const s of ss) {
        const d = Math.floor(s.start / 1440);
        if ((s.start + s.minutes) * 60_000 > end) continue; // still open "now": not sealed yet
        out.set(d, [...(out.get(d) ?? []), s]);
      }
    };
    for (const e of city.events(u)) {
      if (e.t > end) break;
      add(e.kind === 'fix' ? rec.addFix({ t: e.t, lat: e.lat, lon: e.lon, acc: e.acc }) : rec.checkIn(e.venue, e.t));
    }
    add(rec.flush(end));
    return out;
  };

  const upload = async (u: number) => {
    for (const [day, stays] of record(u)) {
      const s = sealingParams(ledger.authority, day);
      const { blocks } = traceBatches(c, keys[u], { ...common(), day, stays, firstPart: 0, epoch: s.epoch, epochPub: s.epochPub, powBits: s.pow.traceBits });
      for (const b of blocks) {
        await o.publish(b);
        stats.batches++;
        lastUploadSec = Math.floor(now() / 1000);
      }
    }
  };

  const diagnose = async (u: number) => {
    const challenge = c.randomBytes(32);
    const endorsedDays = [...days, ...(days.includes(today) ? [] : [today])];
    const s = sealingParams(ledger.authority, today);
    await o.publish(diagnosisBlock(c, clinic, {
      ...common(), epoch: s.epoch, epochPub: s.epochPub, onset: days[0], lookback: 0, challenge,
      endorsed: possessionProofs(keys[u], endorsedDays, clinic.publicKey, challenge),
    }));
    stats.cases++;
  };

  const step = async () => {
    if (uploaded < n) {
      const to = Math.min(n, uploaded + perStep);
      for (; uploaded < to; uploaded++) await upload(uploaded);
      log(`demo: ${uploaded} of ${n} residents uploaded their days (${stats.batches} trace batches)`);
      return;
    }
    // a case endorses only batches published before it (PROTOCOL §11.7), in whole seconds
    if (Math.floor(now() / 1000) <= lastUploadSec) return;
    if (stats.cases >= maxCases || ++sinceCase < caseEvery) return;
    sinceCase = 0;
    const patient = order[next++ % n];
    await diagnose(patient);
    let extra = '';
    if (stats.cases % 3 === 0) {
      const u = order[(next++) % n];
      const s = sealingParams(ledger.authority, today);
      await o.publish(selfReport(c, keys[u], { ...common(), onset: today, days: [today], epoch: s.epoch, epochPub: s.epochPub, powBits: s.pow.selfReportBits }));
      stats.selfReports++;
      extra += ', a self-report';
    }
    if (stats.cases % 4 === 0) {
      const u = order[(next++) % n];
      await o.publish(withdrawal(c, keys[u], { ...common(), day: days[0], powBits: ledger.authority.policy.pow.withdrawalBits }));
      stats.withdrawals++;
      extra += ', a withdrawal';
    }
    log(`demo: case ${stats.cases} of ${maxCases} endorsed by the local clinic (${city.names[patient]})${extra}; the solver publishes the notifications`);
    if (stats.cases >= maxCases) log('demo: the town is quiet now (restart to see it again)');
  };

  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const timer = setInterval(() => {
    running = running.then(() => (stopped ? undefined : step())).catch((e: Error) => log(`demo: step failed: ${e.message}`));
  }, o.paceMs ?? 2000);
  return {
    stats,
    step: () => (running = running.then(step)),
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running.catch(() => undefined);
    },
  };
}

function isoDay(d: Day): string {
  return new Date(d * 86_400_000).toISOString().slice(0, 10);
}

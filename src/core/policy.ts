/**
 * The health authority's policy (docs/PROTOCOL.md §Policy): risk rules, retention, epochs,
 * proof-of-work, and how unverified self-reports count. Published on the notification chain by
 * the CA root as JSON; `parsePolicy` is the one strict reader (unknown keys are errors, so a
 * typo cannot silently fall back to a default).
 *
 * Default (DESIGN §7, after ECDC guidance): within 10 m for ≥ 15 min in a day → high; within
 * 10 m for less → low; same venue or same building polygon for ≥ 15 min → low.
 *
 * @example
 * const p = parsePolicy('{"rules":[{"level":"high","withinMetres":5,"minMinutes":10}]}');
 * @module
 */
import { InputError } from './errors.ts';
import type { RiskLevel } from './types.ts';

export interface RiskRule {
  level: Exclude<RiskLevel, 'none'>;
  /** Proximity rule: stay centres within this many metres (plus snapping slack). */
  withinMetres?: number;
  /** Venue rule: same venue id, or same building polygon. */
  sameVenue?: boolean;
  /** Minimum overlap minutes in the exposure day (union over all patients). */
  minMinutes: number;
}

export interface Policy {
  version: 1;
  rules: RiskRule[];
  retentionDays: number;
  epochDays: number;
  /** Lookback a diagnostician may endorse, days before onset. */
  lookbackDays: number;
  pow: { traceBits: number; selfReportBits: number; withdrawalBits: number };
  /** Clock skew tolerated for block times, seconds. */
  maxSkewSeconds: number;
  /** Highest level an unverified self-report may cause ('none' ignores them). */
  selfReportMaxLevel: RiskLevel;
  /** Validators that must sign the same checkpoint before it counts (k of n). */
  checkpointQuorum: number;
  /** Target false-alarm probability per user-day of the notification tag sets, and how many sets per exposure day it budgets for. */
  notification: { falseAlarmPerUserDay: number; setsPerExposureDay: number };
}

export const DEFAULT_POLICY: Policy = {
  version: 1,
  rules: [
    { level: 'high', withinMetres: 10, minMinutes: 15 },
    { level: 'low', withinMetres: 10, minMinutes: 1 },
    { level: 'low', sameVenue: true, minMinutes: 15 },
  ],
  retentionDays: 14,
  epochDays: 7,
  lookbackDays: 14,
  pow: { traceBits: 8, selfReportBits: 16, withdrawalBits: 8 },
  maxSkewSeconds: 600,
  selfReportMaxLevel: 'low',
  checkpointQuorum: 2,
  notification: { falseAlarmPerUserDay: 1e-6, setsPerExposureDay: 128 },
};

function fail(where: string, msg: string): never {
  throw new InputError('bad_policy', `${where}: ${msg}`);
}
function num(v: unknown, where: string, lo: number, hi: number, int = true): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi || (int && !Number.isInteger(v))) {
    fail(where, `must be ${int ? 'an integer' : 'a number'} in ${lo}..${hi}, got ${JSON.stringify(v)}`);
  }
  return v;
}
function keys(o: unknown, allowed: string[], where: string): Record<string, unknown> {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) fail(where, 'must be an object');
  for (const k of Object.keys(o)) if (!allowed.includes(k)) fail(where, `unknown key "${k}" (allowed: ${allowed.join(', ')})`);
  return o as Record<string, unknown>;
}
const LEVELS: RiskLevel[] = ['none', 'low', 'high'];

/**
 * Parse and validate a policy JSON document; missing fields take the defaults.
 * Throws InputError('bad_policy') naming the field on any problem.
 * @example parsePolicy('{}').retentionDays === 14
 */
export function parsePolicy(json: string, where = 'policy'): Policy {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (e) {
    fail(where, `not JSON (${(e as Error).message})`);
  }
  const o = keys(raw, ['version', 'rules', 'retentionDays', 'epochDays', 'lookbackDays', 'pow', 'maxSkewSeconds', 'selfReportMaxLevel', 'checkpointQuorum', 'notification'], where);
  const p: Policy = JSON.parse(JSON.stringify(DEFAULT_POLICY)) as Policy;
  if (o.version !== undefined && o.version !== 1) fail(`${where}.version`, `unsupported version ${JSON.stringify(o.version)}`);
  if (o.rules !== undefined) {
    if (!Array.isArray(o.rules) || o.rules.length === 0 || o.rules.length > 16) fail(`${where}.rules`, 'must be a list of 1..16 rules');
    p.rules = o.rules.map((r, i) => {
      const w = `${where}.rules[${i}]`;
      const ro = keys(r, ['level', 'withinMetres', 'sameVenue', 'minMinutes'], w);
      if (ro.level !== 'low' && ro.level !== 'high') fail(`${w}.level`, 'must be "low" or "high"');
      const rule: RiskRule = { level: ro.level, minMinutes: num(ro.minMinutes, `${w}.minMinutes`, 1, 1440) };
      if (ro.withinMetres !== undefined) rule.withinMetres = num(ro.withinMetres, `${w}.withinMetres`, 0.5, 1000, false);
      if (ro.sameVenue !== undefined) {
        if (ro.sameVenue !== true) fail(`${w}.sameVenue`, 'must be true when present');
        rule.sameVenue = true;
      }
      if ((rule.withinMetres === undefined) === (rule.sameVenue === undefined)) fail(w, 'needs exactly one of withinMetres or sameVenue');
      return rule;
    });
  }
  if (o.retentionDays !== undefined) p.retentionDays = num(o.retentionDays, `${where}.retentionDays`, 1, 60);
  if (o.epochDays !== undefined) p.epochDays = num(o.epochDays, `${where}.epochDays`, 1, 30);
  if (o.lookbackDays !== undefined) p.lookbackDays = num(o.lookbackDays, `${where}.lookbackDays`, 1, 29);
  if (o.maxSkewSeconds !== undefined) p.maxSkewSeconds = num(o.maxSkewSeconds, `${where}.maxSkewSeconds`, 0, 86_400);
  if (o.pow !== undefined) {
    const po = keys(o.pow, ['traceBits', 'selfReportBits', 'withdrawalBits'], `${where}.pow`);
    for (const k of ['traceBits', 'selfReportBits', 'withdrawalBits'] as const) {
      if (po[k] !== undefined) p.pow[k] = num(po[k], `${where}.pow.${k}`, 0, 32);
    }
  }
  if (o.checkpointQuorum !== undefined) p.checkpointQuorum = num(o.checkpointQuorum, `${where}.checkpointQuorum`, 1, 100);
  if (o.selfReportMaxLevel !== undefined) {
    if (!LEVELS.includes(o.selfReportMaxLevel as RiskLevel)) fail(`${where}.selfReportMaxLevel`, 'must be "none", "low" or "high"');
    p.selfReportMaxLevel = o.selfReportMaxLevel as RiskLevel;
  }
  if (o.notification !== undefined) {
    const no = keys(o.notification, ['falseAlarmPerUserDay', 'setsPerExposureDay'], `${where}.notification`);
    if (no.falseAlarmPerUserDay !== undefined) p.notification.falseAlarmPerUserDay = num(no.falseAlarmPerUserDay, `${where}.notification.falseAlarmPerUserDay`, 1e-12, 0.01, false);
    if (no.setsPerExposureDay !== undefined) p.notification.setsPerExposureDay = num(no.setsPerExposureDay, `${where}.notification.setsPerExposureDay`, 1, 100_000);
  }
  if (p.lookbackDays >= p.retentionDays + 1) fail(`${where}.lookbackDays`, 'must not exceed retentionDays');
  return p;
}

/** Epoch number of a UTC day. @example epochOf(policy, 20500) */
export function epochOf(p: Policy, day: number): number {
  return Math.floor(day / p.epochDays);
}

/** Level from overlap minutes: the highest rule satisfied. @example levelFor(p, { near: { 10: 20 }, venue: 0 }) */
export function levelFor(p: Policy, minutes: { near: Map<number, number>; venue: number }): RiskLevel {
  let best: RiskLevel = 'none';
  for (const r of p.rules) {
    const m = r.sameVenue ? minutes.venue : (minutes.near.get(r.withinMetres!) ?? 0);
    if (m >= r.minMinutes && LEVELS.indexOf(r.level) > LEVELS.indexOf(best)) best = r.level;
  }
  return best;
}

/** min of two levels. @example capLevel('high', 'low') === 'low' */
export function capLevel(a: RiskLevel, cap: RiskLevel): RiskLevel {
  return LEVELS.indexOf(a) <= LEVELS.indexOf(cap) ? a : cap;
}
/** max of two levels. @example maxLevel('low', 'high') === 'high' */
export function maxLevel(a: RiskLevel, b: RiskLevel): RiskLevel {
  return LEVELS.indexOf(a) >= LEVELS.indexOf(b) ? a : b;
}

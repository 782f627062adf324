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
  /** Proximity rule: contact within this many metres, estimated from both stays' radius and snapping error (docs/PROTOCOL.md §11.2). */
  withinMetres?: number;
  /** Venue rule: same venue id, or same building polygon. */
  sameVenue?: boolean;
  /** Minimum overlap minutes in the exposure day (union over all patients). */
  minMinutes: number;
}

/** The authority's advice for one level: what to do, in each language, and for how many days after the exposure day. @example { days: 10, text: { en: 'Get a test.' } } */
export interface Advice {
  /** The advice applies from the exposure day through exposure day + `days` (UTC, inclusive). */
  days: number;
  /** Language tag (BCP 47, like "en", "de", "ar", "pt-BR") → plain text shown to the user. */
  text: { [lang: string]: string };
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
  /** What the app tells a user found at each level, and until when (optional in the JSON: defaults below). */
  advice?: { low: Advice; high: Advice };
}

/** Default advice texts (en, de, ar): plain, calm and concrete. @example DEFAULT_ADVICE.high.days === 10 */
export const DEFAULT_ADVICE: { low: Advice; high: Advice } = {
  high: {
    days: 10,
    text: {
      en: 'You spent time close to someone who later tested positive. Watch for symptoms such as fever, cough or loss of smell, get a test, and limit close contact with others until the date shown.',
      de: 'Sie waren längere Zeit in der Nähe einer Person, die später positiv getestet wurde. Achten Sie auf Symptome wie Fieber, Husten oder Geruchsverlust, lassen Sie sich testen und schränken Sie enge Kontakte bis zum angezeigten Datum ein.',
      ar: 'كنت قريبًا لبعض الوقت من شخص ثبتت إصابته لاحقًا. راقب ظهور أعراض مثل الحمى أو السعال أو فقدان حاسة الشم، وأجرِ اختبارًا، وقلّل المخالطة القريبة للآخرين حتى التاريخ المعروض.',
    },
  },
  low: {
    days: 10,
    text: {
      en: 'You were briefly near someone who later tested positive. The risk is low. Watch for symptoms such as fever, cough or loss of smell until the date shown, and get a test if you feel unwell.',
      de: 'Sie waren kurz in der Nähe einer Person, die später positiv getestet wurde. Das Risiko ist gering. Achten Sie bis zum angezeigten Datum auf Symptome wie Fieber, Husten oder Geruchsverlust und lassen Sie sich testen, wenn Sie sich krank fühlen.',
      ar: 'كنت قريبًا لفترة قصيرة من شخص ثبتت إصابته لاحقًا. الخطر منخفض. راقب ظهور أعراض مثل الحمى أو السعال أو فقدان حاسة الشم حتى التاريخ المعروض، وأجرِ اختبارًا إذا شعرت بتوعك.',
    },
  },
};

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
  advice: DEFAULT_ADVICE,
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
/** Most characters of one advice text, and most languages per level. */
const MAX_ADVICE_CHARS = 600;
const MAX_ADVICE_LANGS = 16;
const LANG_TAG = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;

function parseAdvice(v: unknown, where: string): Advice {
  const o = keys(v, ['days', 'text'], where);
  const days = num(o.days, `${where}.days`, 0, 60);
  const t = keys(o.text, Object.keys((o.text ?? {}) as object), `${where}.text`);
  const langs = Object.keys(t);
  if (langs.length === 0 || langs.length > MAX_ADVICE_LANGS) fail(`${where}.text`, `must have 1..${MAX_ADVICE_LANGS} languages, got ${langs.length}`);
  const text: Record<string, string> = {};
  for (const lang of langs) {
    if (!LANG_TAG.test(lang)) fail(`${where}.text`, `"${lang}" is not a language tag like "en", "de" or "pt-BR"`);
    const s = t[lang];
    if (typeof s !== 'string' || s.trim() === '' || s.length > MAX_ADVICE_CHARS) fail(`${where}.text.${lang}`, `must be a non-empty string of at most ${MAX_ADVICE_CHARS} characters`);
    text[lang] = s;
  }
  return { days, text };
}

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
  const o = keys(raw, ['version', 'rules', 'retentionDays', 'epochDays', 'lookbackDays', 'pow', 'maxSkewSeconds', 'selfReportMaxLevel', 'checkpointQuorum', 'notification', 'advice'], where);
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
  if (o.advice !== undefined) {
    const ao = keys(o.advice, ['low', 'high'], `${where}.advice`);
    if (ao.low === undefined || ao.high === undefined) fail(`${where}.advice`, 'needs both "low" and "high"');
    p.advice = { low: parseAdvice(ao.low, `${where}.advice.low`), high: parseAdvice(ao.high, `${where}.advice.high`) };
  }
  if (p.lookbackDays >= p.retentionDays + 1) fail(`${where}.lookbackDays`, 'must not exceed retentionDays');
  return p;
}

/**
 * The advice for `level` in `lang` (falling back to the language's base, then English, then any
 * text the authority gave), and the last day (inclusive) it applies to an exposure on `day`.
 * @example adviceFor(policy, 'high', 20500, 'de') // { text: 'Sie waren …', until: 20510 }
 */
export function adviceFor(p: Policy, level: Exclude<RiskLevel, 'none'>, day: number, lang: string): { text: string; until: number } {
  const a = (p.advice ?? DEFAULT_ADVICE)[level];
  const t = a.text;
  const text = t[lang] ?? t[lang.split('-')[0]] ?? t.en ?? Object.values(t)[0] ?? '';
  return { text, until: day + a.days };
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

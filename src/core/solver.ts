/**
 * The solver (docs/PROTOCOL.md §Solver, DESIGN §7): read the tracing chain window, open the
 * cases it can, collect the patients' stays, match everybody's stays against them, apply the
 * policy, and produce notification tag sets. Sees places, times and pseudonyms — never identities.
 *
 * Pipeline: withdrawals → cases (open, verify possession proofs) → patients' batches published
 * before their case → matcher index → every other user-day decrypted once (one X25519 per
 * user-day, cached by ephemeral key) and scanned → level per user-day → dedupe (highest level per
 * user-day, skip what was already notified) → one tag set per (exposure day, level).
 *
 * @example
 * const out = solve({ crypto, policy, epochKeys, blocks, region, timeSec });
 * out.notifications // NotificationBody[] to sign and publish
 * @module
 */
import type { CryptoProvider } from './crypto.ts';
import { toHex } from './bytes.ts';
import { CodecError } from './errors.ts';
import { Kind, type Block } from './codec/block.ts';
import { decodeCase, decodeTraceBatch, decodeWithdrawal, MAX_TAGSET_BYTES, type NotificationBody, type TraceBatchBody } from './codec/records.ts';
import { badProofs, openCase, openTraceBatch, TraceKeyCache } from './sealing.ts';
import { ExposureMatcher, type OwnedStay } from './match.ts';
import { capLevel, levelFor, maxLevel, type Policy } from './policy.ts';
import { notificationTag } from './keys.ts';
import { buildTagSet, MAX_TAGSET_N, riceParameterFor } from './tagset.ts';
import type { BuildingIndex } from './buildings.ts';
import { RISK_CODE, type RiskLevel, type Stay } from './types.ts';

export interface EpochKeyPair {
  secretKey: Uint8Array;
  publicKey: Uint8Array;
}

export interface SolverInput {
  crypto: CryptoProvider;
  policy: Policy;
  /** Epoch private keys this solver holds (destroyed ones are simply absent). */
  epochKeys: Map<number, EpochKeyPair>;
  /** Tracing chain blocks of the retention window, each with its id; any order. */
  blocks: { id: Uint8Array; block: Block }[];
  buildings?: BuildingIndex;
  /** What earlier runs notified: key `${ndHex}:${day}` → level code. Updated in place. */
  notified?: Map<string, number>;
  /**
   * Is this user-day's tag already on the chain at this level or higher (in a set another solver
   * published)? Such a user-day is counted as notified and not published again. A tag set
   * answers yes for a non-member with its false-positive rate, so a user-day is skipped wrongly
   * with that (small) probability.
   */
  alreadyPublished?: (exposureDay: number, levelCode: number, tag: Uint8Array) => boolean;
  /** Override of the per-set false-positive target (else from the policy). */
  falsePositive?: number;
  /**
   * Was a trace batch published before a case's block time (docs/PROTOCOL.md §11.7)? A full node
   * passes `Ledger.publishedBefore` (the checkpoint form); without it, the declared block time decides.
   */
  publishedBefore?: (batchId: Uint8Array, caseTimeSec: number) => boolean;
  /** Fresh randomness for tag set salts. */
  random?: (n: number) => Uint8Array;
}

export interface Exposure {
  /** Hex of the day public key (pseudonym-day), for operators' statistics only. */
  dayPub: string;
  day: number;
  level: Exclude<RiskLevel, 'none'>;
  minutes: number;
  nd: Uint8Array;
}

export interface SolverStats {
  batches: number;
  userDays: number;
  stays: number;
  undecryptable: number;
  malformed: number;
  cases: number;
  selfReports: number;
  rejectedProofs: number;
  patientDays: number;
  patientStays: number;
  withdrawn: number;
  exposures: { high: number; low: number };
  tags: number;
  /** User-days skipped because another solver already published their tag. */
  alreadyPublished: number;
}

export interface SolverOutput {
  notifications: NotificationBody[];
  exposures: Exposure[];
  stats: SolverStats;
}

interface Patient {
  verified: boolean;
  /** Case block time, seconds: only batches published before it count. */
  caseTime: number;
  /** The one day this day key was endorsed for: a batch signed by it must be of this day. */
  day: number;
}

/** Run the solver once over a window. Pure: same input (and random) → same output. */
export function solve(inp: SolverInput): SolverOutput {
  const c = inp.crypto;
  const p = inp.policy;
  const stats: SolverStats = {
    batches: 0, userDays: 0, stays: 0, undecryptable: 0, malformed: 0, cases: 0, selfReports: 0, rejectedProofs: 0,
    patientDays: 0, patientStays: 0, withdrawn: 0, exposures: { high: 0, low: 0 }, tags: 0, alreadyPublished: 0,
  };
  const cache = new TraceKeyCache();

  // 1. Group trace batches by pseudonym-day; collect withdrawals and cases.
  const groups = new Map<string, { id: Uint8Array; body: TraceBatchBody; time: number }[]>();
  const withdrawn = new Set<string>();
  const cases: Block[] = [];
  for (const { id, block } of inp.blocks) {
    if (block.kind === Kind.TRACE_BATCH) {
      const body = decodeTraceBatch(block.body);
      const k = toHex(body.dayPub);
      let g = groups.get(k);
      if (!g) groups.set(k, (g = []));
      g.push({ id, body, time: block.time });
      stats.batches++;
    } else if (block.kind === Kind.WITHDRAWAL) {
      const w = decodeWithdrawal(block.body);
      withdrawn.add(toHex(w.dayPub));
    } else if (block.kind === Kind.DIAGNOSIS || block.kind === Kind.SELF_REPORT) {
      // Every case of the window is matched on every run (a contact's upload may arrive after the
      // first run); `notified` keeps runs from notifying the same user-day twice.
      cases.push(block);
    }
  }
  stats.withdrawn = withdrawn.size;

  // 2. Open cases, check possession proofs → patient day keys.
  const patients = new Map<string, Patient>();
  for (const b of cases) {
    const verified = b.kind === Kind.DIAGNOSIS;
    const body = decodeCase(b.body);
    const kp = inp.epochKeys.get(body.epoch);
    const opened = kp ? openCase(c, kp.secretKey, kp.publicKey, body) : null;
    if (!opened) {
      stats.undecryptable++;
      continue;
    }
    const binding = verified ? b.signer! : body.ephPub;
    const bad = new Set(badProofs(c, opened.endorsed, binding, opened.challenge));
    stats.rejectedProofs += bad.size;
    if (verified) stats.cases++;
    else stats.selfReports++;
    const caseDay = Math.floor(b.time / 86_400);
    const fromDay = Math.max(opened.onset - Math.min(opened.lookback, p.lookbackDays), caseDay - p.retentionDays);
    for (const e of opened.endorsed) {
      if (bad.has(e.day) || e.day < fromDay || e.day > caseDay) continue;
      const k = toHex(e.dayPub);
      const prev = patients.get(k);
      if (!prev || (verified && !prev.verified)) patients.set(k, { verified, caseTime: b.time, day: e.day });
    }
  }

  // 3. Patients' stays, from batches published before their case.
  const open = (body: TraceBatchBody): { nd: Uint8Array; stays: Stay[] } | null => {
    const kp = inp.epochKeys.get(body.epoch);
    if (!kp) return null;
    try {
      return openTraceBatch(c, kp.secretKey, kp.publicKey, body, cache);
    } catch (e) {
      if (e instanceof CodecError) return null;
      throw e;
    }
  };
  const verifiedStays: OwnedStay[] = [];
  const unverifiedStays: OwnedStay[] = [];
  for (const [k, pat] of patients) {
    if (withdrawn.has(k)) continue;
    const parts = groups.get(k);
    if (!parts) continue;
    stats.patientDays++;
    for (const part of parts) {
      if (part.time >= pat.caseTime || part.body.day !== pat.day) continue;
      if (inp.publishedBefore && !inp.publishedBefore(part.id, pat.caseTime)) continue;
      const o = open(part.body);
      if (!o) continue;
      for (const s of o.stays) (pat.verified ? verifiedStays : unverifiedStays).push({ ...s, owner: k });
    }
  }
  stats.patientStays = verifiedStays.length + unverifiedStays.length;
  const mv = new ExposureMatcher(verifiedStays, p, inp.buildings);
  const mu = new ExposureMatcher(unverifiedStays, p, inp.buildings);
  const exposures: Exposure[] = [];
  if (mv.empty && (mu.empty || p.selfReportMaxLevel === 'none')) return finish(exposures, stats, inp);

  // 4. Every user-day, decrypted once, scanned.
  for (const [k, parts] of groups) {
    if (withdrawn.has(k)) continue;
    stats.userDays++;
    const stays: Stay[] = [];
    let nd: Uint8Array | undefined;
    for (const part of parts) {
      const o = open(part.body);
      if (!o) {
        if (inp.epochKeys.has(part.body.epoch)) stats.malformed++;
        else stats.undecryptable++;
        continue;
      }
      nd = o.nd;
      for (const s of o.stays) stays.push(s);
    }
    stats.stays += stays.length;
    if (!nd || !stays.length) continue;
    let level: RiskLevel = 'none';
    let minutes = 0;
    const a = mv.empty ? null : mv.scan(stays, k);
    if (a) {
      level = levelFor(p, a);
      minutes = Math.max(a.venue, ...a.near.values());
    }
    if (!mu.empty && p.selfReportMaxLevel !== 'none') {
      const u = mu.scan(stays, k);
      if (u) {
        const lu = capLevel(levelFor(p, u), p.selfReportMaxLevel);
        if (RISK_CODE[lu] > RISK_CODE[level]) minutes = Math.max(u.venue, ...u.near.values());
        level = maxLevel(level, lu);
      }
    }
    if (level === 'none') continue;
    exposures.push({ dayPub: k, day: parts[0].body.day, level, minutes, nd });
  }
  return finish(exposures, stats, inp);
}

function finish(exposures: Exposure[], stats: SolverStats, inp: SolverInput): SolverOutput {
  const c = inp.crypto;
  const notified = inp.notified ?? new Map<string, number>();
  // Dedupe: one tag per user-day at its highest level, only if higher than already notified.
  const best = new Map<string, Exposure>();
  for (const e of exposures) {
    const k = `${toHex(e.nd)}:${e.day}`;
    const b = best.get(k);
    if (!b || RISK_CODE[e.level] > RISK_CODE[b.level]) best.set(k, e);
  }
  const sets = new Map<string, Uint8Array[]>();
  for (const [k, e] of best) {
    const code = RISK_CODE[e.level];
    if ((notified.get(k) ?? 0) >= code) continue;
    notified.set(k, code);
    const tag = notificationTag(c, e.nd);
    if (inp.alreadyPublished?.(e.day, code, tag)) {
      stats.alreadyPublished++;
      continue;
    }
    stats.exposures[e.level]++;
    const sk = `${e.day}:${code}`;
    let l = sets.get(sk);
    if (!l) sets.set(sk, (l = []));
    l.push(tag);
  }
  const fp = inp.falsePositive ?? inp.policy.notification.falseAlarmPerUserDay / inp.policy.notification.setsPerExposureDay;
  const P = riceParameterFor(fp);
  const rnd = inp.random ?? c.randomBytes;
  const notifications: NotificationBody[] = [];
  // Sort by the key only: the default comparator stringifies each entry, every tag of it included
  // (1.5 s for 28 sets of 20,000 tags); comparing the keys as strings keeps the §11.1 order.
  for (const [sk, tags] of [...sets].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0))) {
    const [day, level] = sk.split(':').map(Number);
    // keep each set within the notification body limit (≈ P + 1.6 bits a tag; 3 bits of margin)
    const chunk = Math.min(MAX_TAGSET_N, Math.floor((MAX_TAGSET_BYTES * 8) / (P + 3)));
    for (let i = 0; i < tags.length; i += chunk) {
      const set = buildTagSet(c, tags.slice(i, i + chunk), rnd(16), P);
      notifications.push({ exposureDay: day, level, P: set.P, n: set.n, salt: set.salt, data: set.data });
      stats.tags += set.n;
    }
  }
  return { notifications, exposures: exposures.filter((e) => best.get(`${toHex(e.nd)}:${e.day}`) === e), stats };
}

/**
 * The patient's side of a diagnosis, and the self-report (docs/APP.md §Diagnosis):
 *
 * - `checkClinic`: a scanned clinic code is checked before anything is shared — its signature,
 *   the region, the challenge's age, and a diagnostician certificate (not expired, not revoked)
 *   on this device's own synced chain;
 * - `make`: possession proofs of the chosen days, bound to that diagnostician and its challenge,
 *   sealed to the exchange with the clinic code's key into the consent code (`makeConsent`: a
 *   photograph of the screen shows no day key and no proof); the consent is kept
 *   (`consent/latest`: the diagnostician, the days, and the public key the diagnosis' case will
 *   carry) — not the proofs, not the exchange secret;
 * - `accepted`: every DIAGNOSIS block the node accepts is compared with that key: only this device
 *   and the clinic can derive it (from their exchange), so a match says "your positive test was
 *   recorded" and nobody else learns which block answers which consent. A thin
 *   node holds every case block of the tracing chain (docs/PROTOCOL.md §15 item 34), so it sees the
 *   diagnosis without relaying — and it asks for all cases, never for its own;
 * - `selfReport`: an anonymous, unverified self-report of the days held since onset − lookback.
 *
 * A guardian who keeps a dependent's keys in custody (issue 12; docs/APP.md §Family and care) does
 * the same for them: each call takes `forId`, the dependent's id, and the proofs are made with the
 * dependent's day keys. Such a device holds none of the dependent's records, so every day of the
 * window is offered (a day the dependent's device did not upload simply matches nothing). Each
 * subject keeps its own consent (`consent/for/<id>`).
 *
 * @example
 * const info = consent.checkClinic(text);                 // throws ConsentError / CodecError
 * const { text: qr } = await consent.make(text, info.days);
 * @module
 */
import { toHex } from '../../core/bytes.ts';
import { decodeBlock, Kind, type Block } from '../../core/codec/block.ts';
import { decodeCase } from '../../core/codec/records.ts';
import { challengeIssuedAt, MAX_CONSENT_DAYS } from '../../core/codec/consent.ts';
import { CHALLENGE_TTL_SEC, checkClinicCode, makeConsent } from '../../core/consent.ts';
import { diagnosisDays, sealingParams, selfReport } from '../../core/device.ts';
import { dayOfMs, type Day } from '../../core/types.ts';
import type { UserKeys } from '../../core/keys.ts';
import type { ClinicCheck, ConsentState } from '../protocol.ts';
import type { EngineCtx } from './context.ts';
import { ClinicError } from './clinic.ts';
import { listDays, readJson, writeJson } from './state.ts';

const LATEST = 'consent/latest';
/** The store key of a subject's kept consent: this device's own ('') or a dependent's in custody. */
const keptKey = (forId: string): string => (forId ? `consent/for/${forId}` : LATEST);

/** A dependent's keys in this device's custody, by the dependent's id (throws CareError otherwise). */
export type CustodyKeys = (id: string) => UserKeys;

interface Kept extends ConsentState {
  /** The case's public ephemeral key the diagnosis will carry (hex). */
  caseKey: string;
}

/** See the module comment. */
export class Consent {
  /** Kept consents by subject: '' for this device's own, else a dependent's id. */
  private kept = new Map<string, Kept>();

  constructor(
    private readonly ctx: EngineCtx,
    private readonly custody: CustodyKeys = () => {
      throw new ClinicError('not_custody', 'this device keeps no one else’s keys');
    },
  ) {}

  /** Read the kept consents: this device's own and those of `dependents` (ids). */
  async load(dependents: string[] = []): Promise<void> {
    this.kept.clear();
    for (const id of ['', ...dependents]) {
      const k = await readJson<Kept | null>(this.ctx.store, keptKey(id), null);
      if (k) this.kept.set(id, k);
    }
  }

  /** What the page may see of this device's own consent, or of a dependent's (`forId`). */
  state(forId = ''): ConsentState | null {
    const k = this.kept.get(forId);
    if (!k) return null;
    const { caseKey: _k, ...rest } = k;
    return rest;
  }

  /** Whose keys: this device's, or the dependent's in custody. */
  private keysOf(forId: string): UserKeys {
    if (typeof forId !== 'string' || forId.length > 64) throw new TypeError('consent: for must be a dependent id (string)');
    return forId ? this.custody(forId) : this.ctx.keys;
  }

  private nowSec(): number {
    return Math.floor(this.ctx.now() / 1000);
  }

  /**
   * Days that could be shared, newest first, within retention and lookback: the days this device
   * holds records for; for a dependent in custody, every day of that window.
   */
  private async candidateDays(forId: string): Promise<Day[]> {
    const p = this.ctx.net.ledger.authority.policy;
    const today = dayOfMs(this.ctx.now());
    const window = diagnosisDays(today, today, Math.min(p.lookbackDays, MAX_CONSENT_DAYS - 1), p.retentionDays);
    if (forId) return [...window].sort((a, b) => b - a);
    const held = new Set(window);
    return (await listDays(this.ctx.store)).filter((d) => held.has(d)).sort((a, b) => b - a);
  }

  /** Check a scanned clinic code (for this device's own days, or a dependent's in custody); nothing is shared. */
  async checkClinic(text: string, forId = ''): Promise<ClinicCheck> {
    if (typeof text !== 'string') throw new TypeError('consent-clinic: text must be a string');
    this.keysOf(forId);
    const code = checkClinicCode(this.ctx.c, text, { authority: this.ctx.net.ledger.authority, region: this.ctx.region, nowSec: this.nowSec() });
    return { diagnostician: toHex(code.diagnostician), name: code.name, expiresAt: (challengeIssuedAt(code.challenge) + CHALLENGE_TTL_SEC) * 1000, days: await this.candidateDays(forId) };
  }

  /** The consent code for `days` (checked against the clinic code again), and keep the consent. */
  async make(clinicText: string, days: Day[], forId = ''): Promise<{ text: string }> {
    if (typeof clinicText !== 'string') throw new TypeError('consent-make: clinic must be a string');
    const keys = this.keysOf(forId);
    const code = checkClinicCode(this.ctx.c, clinicText, { authority: this.ctx.net.ledger.authority, region: this.ctx.region, nowSec: this.nowSec() });
    if (!Array.isArray(days) || days.length < 1 || days.length > MAX_CONSENT_DAYS) throw new ClinicError('bad_input', `choose 1..${MAX_CONSENT_DAYS} days`);
    const allowed = new Set(await this.candidateDays(forId));
    const chosen = [...new Set(days)].sort((a, b) => a - b);
    for (const d of chosen) if (!allowed.has(d)) throw new ClinicError('bad_input', `day ${d} is not a day this device can share`);
    const made = makeConsent(this.ctx.c, keys, code, chosen);
    const text = made.text;
    const caseKey = toHex(made.caseKey);
    const kept: Kept = { diagnostician: toHex(code.diagnostician), name: code.name, days: chosen, shownAt: this.ctx.now(), status: 'waiting', recordedAt: null, caseKey };
    this.kept.set(forId, kept);
    await writeJson(this.ctx.store, keptKey(forId), kept);
    this.ctx.changed();
    return { text };
  }

  /** Forget a kept consent (the patient declined, or is done; or the dependent was removed). */
  async forget(forId = ''): Promise<void> {
    if (typeof forId !== 'string' || forId.length > 64) throw new TypeError('consent: for must be a dependent id (string)');
    this.kept.delete(forId);
    await writeJson(this.ctx.store, keptKey(forId), null);
    this.ctx.changed();
  }

  /** A block the ledger accepted: is it the diagnosis answering a kept consent? */
  accepted(b: Block): void {
    if (b.kind !== Kind.DIAGNOSIS || !b.signer) return;
    const signer = toHex(b.signer);
    let ephPub: string;
    try {
      ephPub = toHex(decodeCase(b.body, 'diagnosis').ephPub);
    } catch {
      return;
    }
    for (const [forId, k] of this.kept) {
      if (k.status !== 'waiting' || signer !== k.diagnostician || ephPub !== k.caseKey) continue;
      const done: Kept = { ...k, status: 'recorded', recordedAt: this.ctx.now() };
      this.kept.set(forId, done);
      void writeJson(this.ctx.store, keptKey(forId), done).catch(() => undefined);
      this.ctx.changed();
    }
  }

  /** Check the blocks already held (a diagnosis that arrived while the app was closed). */
  async scanHeld(): Promise<void> {
    const ledger = this.ctx.net.ledger;
    const waiting = [...this.kept.values()].filter((k) => k.status === 'waiting');
    if (!waiting.length || !ledger.holds(1, Kind.DIAGNOSIS)) return;
    const since = Math.min(...waiting.map((k) => k.shownAt)) - 60_000;
    for (const e of ledger.entries(1).filter((x) => x.kind === Kind.DIAGNOSIS && x.time * 1000 >= since)) {
      const bytes = await ledger.get(e.id);
      if (bytes) this.accepted(decodeBlock(bytes));
    }
  }

  /** An anonymous self-report of the days held from `onset − lookback` on. Returns the days. */
  async selfReport(onset: Day): Promise<Day[]> {
    const today = dayOfMs(this.ctx.now());
    if (!Number.isInteger(onset) || onset < 0 || onset > today) throw new ClinicError('bad_input', 'onset must be a UTC day number, not in the future');
    const authority = this.ctx.net.ledger.authority;
    const window = new Set(diagnosisDays(today, onset, authority.policy.lookbackDays, authority.policy.retentionDays));
    const days = (await listDays(this.ctx.store)).filter((d) => window.has(d)).sort((a, b) => a - b);
    if (!days.length) throw new ClinicError('no_days', 'this device holds no recorded day to report');
    const { epoch, epochPub, pow } = sealingParams(authority, today);
    const block = selfReport(this.ctx.c, this.ctx.keys, { region: this.ctx.region, timeSec: this.nowSec(), onset, days, epoch, epochPub, powBits: pow.selfReportBits });
    await this.ctx.net.node.publish(block);
    return days;
  }
}


/**
 * The patient's side of a diagnosis, and the self-report (docs/APP.md §Diagnosis):
 *
 * - `checkClinic`: a scanned clinic code is checked before anything is shared — its signature,
 *   the region, the challenge's age, and a diagnostician certificate (not expired, not revoked)
 *   on this device's own synced chain;
 * - `make`: possession proofs of the chosen days, bound to that diagnostician and its challenge,
 *   encoded as the consent code; the consent is kept (`consent/latest`: the diagnostician, the
 *   days, and the public key the diagnosis' case will carry) — not the proofs;
 * - `accepted`: every DIAGNOSIS block the node accepts is compared with that key
 *   (`consentCaseSecret`): only this device and the clinic can derive it, so a match says "your
 *   positive test was recorded" and nobody else learns which block answers which consent. A thin
 *   node holds every case block of the tracing chain (docs/PROTOCOL.md §15 item 34), so it sees the
 *   diagnosis without relaying — and it asks for all cases, never for its own;
 * - `selfReport`: an anonymous, unverified self-report of the days held since onset − lookback.
 *
 * @example
 * const info = consent.checkClinic(text);                 // throws ConsentError / CodecError
 * const { text: qr } = await consent.make(text, info.days);
 * @module
 */
import { toHex } from '../../core/bytes.ts';
import { decodeBlock, Kind, type Block } from '../../core/codec/block.ts';
import { decodeCase } from '../../core/codec/records.ts';
import { challengeIssuedAt, encodeConsentCode, MAX_CONSENT_DAYS } from '../../core/codec/consent.ts';
import { CHALLENGE_TTL_SEC, checkClinicCode, consentCaseSecret } from '../../core/consent.ts';
import { diagnosisDays, possessionProofs, sealingParams, selfReport } from '../../core/device.ts';
import { dayOfMs, type Day } from '../../core/types.ts';
import type { ClinicCheck, ConsentState } from '../protocol.ts';
import type { EngineCtx } from './context.ts';
import { ClinicError } from './clinic.ts';
import { listDays, readJson, writeJson } from './state.ts';

const LATEST = 'consent/latest';

interface Kept extends ConsentState {
  /** The case's public ephemeral key the diagnosis will carry (hex). */
  caseKey: string;
}

/** See the module comment. */
export class Consent {
  private kept: Kept | null = null;

  constructor(private readonly ctx: EngineCtx) {}

  /** Read the kept consent. */
  async load(): Promise<void> {
    this.kept = await readJson<Kept | null>(this.ctx.store, LATEST, null);
  }

  /** What the page may see. */
  state(): ConsentState | null {
    if (!this.kept) return null;
    const { caseKey: _k, ...rest } = this.kept;
    return rest;
  }

  private nowSec(): number {
    return Math.floor(this.ctx.now() / 1000);
  }

  /** Days this device could share: days it holds records for, within retention and lookback, newest first. */
  private async candidateDays(): Promise<Day[]> {
    const p = this.ctx.net.ledger.authority.policy;
    const today = dayOfMs(this.ctx.now());
    const window = new Set(diagnosisDays(today, today, Math.min(p.lookbackDays, MAX_CONSENT_DAYS - 1), p.retentionDays));
    return (await listDays(this.ctx.store)).filter((d) => window.has(d)).sort((a, b) => b - a);
  }

  /** Check a scanned clinic code; nothing is shared. */
  async checkClinic(text: string): Promise<ClinicCheck> {
    if (typeof text !== 'string') throw new TypeError('consent-clinic: text must be a string');
    const code = checkClinicCode(this.ctx.c, text, { authority: this.ctx.net.ledger.authority, region: this.ctx.region, nowSec: this.nowSec() });
    return { diagnostician: toHex(code.diagnostician), name: code.name, expiresAt: (challengeIssuedAt(code.challenge) + CHALLENGE_TTL_SEC) * 1000, days: await this.candidateDays() };
  }

  /** The consent code for `days` (checked against the clinic code again), and keep the consent. */
  async make(clinicText: string, days: Day[]): Promise<{ text: string }> {
    if (typeof clinicText !== 'string') throw new TypeError('consent-make: clinic must be a string');
    const code = checkClinicCode(this.ctx.c, clinicText, { authority: this.ctx.net.ledger.authority, region: this.ctx.region, nowSec: this.nowSec() });
    if (!Array.isArray(days) || days.length < 1 || days.length > MAX_CONSENT_DAYS) throw new ClinicError('bad_input', `choose 1..${MAX_CONSENT_DAYS} days`);
    const allowed = new Set(await this.candidateDays());
    const chosen = [...new Set(days)].sort((a, b) => a - b);
    for (const d of chosen) if (!allowed.has(d)) throw new ClinicError('bad_input', `day ${d} is not a day this device can share`);
    const proofs = possessionProofs(this.ctx.keys, chosen, code.diagnostician, code.challenge);
    const text = encodeConsentCode({ region: this.ctx.region, diagnostician: code.diagnostician, challenge: code.challenge, days: proofs });
    const caseKey = toHex(this.ctx.c.x25519PublicKey(consentCaseSecret(this.ctx.c, code.challenge, proofs)));
    this.kept = { diagnostician: toHex(code.diagnostician), name: code.name, days: chosen, shownAt: this.ctx.now(), status: 'waiting', recordedAt: null, caseKey };
    await writeJson(this.ctx.store, LATEST, this.kept);
    this.ctx.changed();
    return { text };
  }

  /** Forget the kept consent (the patient declined, or is done). */
  async forget(): Promise<void> {
    this.kept = null;
    await writeJson(this.ctx.store, LATEST, null);
    this.ctx.changed();
  }

  /** A block the ledger accepted: is it the diagnosis answering the kept consent? */
  accepted(b: Block): void {
    const k = this.kept;
    if (!k || k.status !== 'waiting' || b.kind !== Kind.DIAGNOSIS || !b.signer || toHex(b.signer) !== k.diagnostician) return;
    try {
      if (toHex(decodeCase(b.body, 'diagnosis').ephPub) !== k.caseKey) return;
    } catch {
      return;
    }
    this.kept = { ...k, status: 'recorded', recordedAt: this.ctx.now() };
    void writeJson(this.ctx.store, LATEST, this.kept).catch(() => undefined);
    this.ctx.changed();
  }

  /** Check the blocks already held (a diagnosis that arrived while the app was closed). */
  async scanHeld(): Promise<void> {
    const ledger = this.ctx.net.ledger;
    if (!this.kept || this.kept.status !== 'waiting' || !ledger.holds(1, Kind.DIAGNOSIS)) return;
    for (const e of ledger.entries(1).filter((x) => x.kind === Kind.DIAGNOSIS && x.time * 1000 >= this.kept!.shownAt - 60_000)) {
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


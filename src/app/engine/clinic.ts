/**
 * Diagnostician mode of the engine (docs/APP.md §Diagnosis): the diagnostician's key, opened
 * from its key file in the worker and held only in this object's memory (never posted to the
 * page, never written to storage); the challenges it issued (`clinic/challenges` in the store:
 * issue time and whether used), so a consent code answering an unknown, expired or used
 * challenge is refused even after a reload; and the endorsement, which publishes a diagnosis
 * block through the node.
 *
 * @example
 * const clinic = new Clinic(ctx);
 * await clinic.unlock(keyFileText, passphrase);   // refused unless certified on the chain
 * const { text } = await clinic.code();            // the clinic code for the QR
 * await clinic.endorse(consentText, onset, 14);    // → diagnosis block published
 * @module
 */
import { openKeyFile } from '../../core/keyfile.ts';
import { toHex } from '../../core/bytes.ts';
import { diagnosisBlock } from '../../core/blocks.ts';
import { blockId } from '../../core/codec/block.ts';
import { Role } from '../../core/codec/records.ts';
import { challengeIssuedAt, makeChallenge } from '../../core/codec/consent.ts';
import { CHALLENGE_SKEW_SEC, CHALLENGE_TTL_SEC, checkConsent, newExchangeKey, signClinicCode, type ChallengeState } from '../../core/consent.ts';
import { epochOf } from '../../core/policy.ts';
import { dayOfMs, type Day } from '../../core/types.ts';
import type { ClinicState, ConsentCheck } from '../protocol.ts';
import type { EngineCtx } from './context.ts';
import { readJson, writeJson } from './state.ts';

const CHALLENGES = 'clinic/challenges';

/** A refusal of diagnostician mode (code: `wrong_role`, `not_certified`, `locked`, `bad_input`). @example new ClinicError('locked', 'unlock first') */
export class ClinicError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ClinicError';
  }
}

type Issued = Record<string, { at: number; used: boolean }>;

/** See the module comment. */
export class Clinic {
  private key: { secretKey: Uint8Array; publicKey: Uint8Array; name: string } | null = null;
  private endorsed = 0;
  /**
   * Each open clinic code's exchange secret, by challenge (hex), with its issue time (s) and the
   * key that signed it. Memory only: kept across "Leave" (its challenge stays open for the same
   * diagnostician), gone when used, expired, or the app restarts.
   */
  private exchange = new Map<string, { secretKey: Uint8Array; at: number; diagnostician: string }>();

  constructor(private readonly ctx: EngineCtx) {}

  /** What the page may see. */
  state(): ClinicState | null {
    return this.key ? { name: this.key.name, publicKey: toHex(this.key.publicKey), region: this.ctx.region, endorsed: this.endorsed } : null;
  }

  private nowSec(): number {
    return Math.floor(this.ctx.now() / 1000);
  }

  /** Why this key may not endorse now (certificate missing, expired or revoked on the chain), or null. */
  private whyNot(pub: Uint8Array): string | null {
    return this.ctx.net.ledger.authority.whyNotAuthorized(pub, Role.DIAGNOSTICIAN, this.ctx.region, this.nowSec());
  }

  /** Open a key file; refused unless it holds a diagnostician key certified for this region now. */
  async unlock(keyFile: string, passphrase: string): Promise<ClinicState> {
    if (typeof keyFile !== 'string' || typeof passphrase !== 'string') throw new TypeError('clinic-unlock: keyFile and passphrase must be strings');
    const k = await openKeyFile(this.ctx.c, keyFile, passphrase);
    if (k.role !== 'diagnostician') throw new ClinicError('wrong_role', `this key file holds a ${k.role} key, not a diagnostician's`);
    const why = this.whyNot(k.publicKey);
    if (why) throw new ClinicError('not_certified', `this key is not a certified diagnostician on this device's chain: ${why}`);
    this.key = { secretKey: k.secretKey, publicKey: k.publicKey, name: k.name };
    this.endorsed = 0;
    this.ctx.changed();
    return this.state()!;
  }

  /** Forget an exchange secret (and the crypto provider's copy). */
  private forget(hex: string): void {
    const x = this.exchange.get(hex);
    if (!x) return;
    this.ctx.c.forgetSecret?.(x.secretKey);
    x.secretKey.fill(0);
    this.exchange.delete(hex);
  }

  /** Forget exchange secrets past their challenge's life. */
  private pruneExchange(nowSec: number): void {
    for (const [hex, x] of this.exchange) if (nowSec - x.at > CHALLENGE_TTL_SEC + CHALLENGE_SKEW_SEC) this.forget(hex);
  }

  /** The exchange secret of this key's clinic code for a challenge, if still held. */
  private secretFor(hex: string, diagnostician: Uint8Array): Uint8Array | undefined {
    const x = this.exchange.get(hex);
    return x && x.diagnostician === toHex(diagnostician) ? x.secretKey : undefined;
  }

  /** Forget the key (the challenges stay, so their codes cannot be replayed later). */
  leave(): void {
    this.key?.secretKey.fill(0);
    this.key = null;
    this.ctx.changed();
  }

  private need(): NonNullable<Clinic['key']> {
    if (!this.key) throw new ClinicError('locked', 'diagnostician mode is not unlocked on this device');
    const why = this.whyNot(this.key.publicKey);
    if (why) throw new ClinicError('not_certified', `this diagnostician may not endorse now: ${why}`);
    return this.key;
  }

  /** A fresh clinic code; the challenge is remembered as open. */
  async code(): Promise<{ text: string; expiresAt: number }> {
    const key = this.need();
    const now = this.nowSec();
    const challenge = makeChallenge(now, this.ctx.c.randomBytes(28));
    const ex = newExchangeKey(this.ctx.c);
    await this.ctx.locked(async () => {
      const issued = prune(await readJson<Issued>(this.ctx.store, CHALLENGES, {}), now);
      issued[toHex(challenge)] = { at: now, used: false };
      await writeJson(this.ctx.store, CHALLENGES, issued);
    });
    this.pruneExchange(now);
    this.exchange.set(toHex(challenge), { secretKey: ex.secretKey, at: now, diagnostician: toHex(key.publicKey) });
    return { text: signClinicCode(this.ctx.c, key, { region: this.ctx.region, challenge, exchangeKey: ex.publicKey }), expiresAt: (now + CHALLENGE_TTL_SEC) * 1000 };
  }

  private async lookup(): Promise<(hex: string) => ChallengeState> {
    const issued = await readJson<Issued>(this.ctx.store, CHALLENGES, {});
    return (hex) => (issued[hex] ? (issued[hex].used ? 'used' : 'open') : undefined);
  }

  /** Check a consent code (nothing is marked or published). */
  async check(text: string): Promise<ConsentCheck> {
    const key = this.need();
    if (typeof text !== 'string') throw new TypeError('clinic-check: text must be a string');
    const code = checkConsent(this.ctx.c, text, {
      diagnostician: key.publicKey, region: this.ctx.region, nowSec: this.nowSec(), challengeState: await this.lookup(), exchangeSecret: (hex) => this.secretFor(hex, key.publicKey),
    });
    this.ctx.c.forgetSecret?.(code.caseSecret);
    code.caseSecret.fill(0);
    return { days: code.days.map((d) => d.day), expiresAt: (challengeIssuedAt(code.challenge) + CHALLENGE_TTL_SEC) * 1000, lookback: this.ctx.net.ledger.authority.policy.lookbackDays };
  }

  /**
   * Endorse: check again, mark the challenge used (before publishing, so a code is never endorsed
   * twice), and publish a diagnosis of the consented days from `onset − lookback` on.
   */
  async endorse(text: string, onset: Day, lookback: number): Promise<{ days: Day[]; id: string }> {
    const key = this.need();
    const policy = this.ctx.net.ledger.authority.policy;
    if (!Number.isInteger(onset) || onset < 0) throw new ClinicError('bad_input', 'onset must be a UTC day number');
    if (!Number.isInteger(lookback) || lookback < 0 || lookback > policy.lookbackDays) throw new ClinicError('bad_input', `lookback must be 0..${policy.lookbackDays} days`);
    const today = dayOfMs(this.ctx.now());
    if (onset > today) throw new ClinicError('bad_input', 'the onset cannot be in the future');
    const bytes = await this.ctx.locked(async () => {
      const issued = await readJson<Issued>(this.ctx.store, CHALLENGES, {});
      const code = checkConsent(this.ctx.c, text, {
        diagnostician: key.publicKey, region: this.ctx.region, nowSec: this.nowSec(),
        challengeState: (hex) => (issued[hex] ? (issued[hex].used ? 'used' : 'open') : undefined),
        exchangeSecret: (hex) => this.secretFor(hex, key.publicKey),
      });
      const endorsed = code.days.filter((d) => d.day >= onset - lookback);
      if (!endorsed.length) throw new ClinicError('bad_input', `none of the shared days lies on or after ${onset - lookback} (onset − lookback)`);
      const epoch = epochOf(policy, today);
      const epochPub = this.ctx.net.ledger.authority.epochKey(epoch);
      if (!epochPub) throw new ClinicError('no_epoch_key', `no epoch key published for epoch ${epoch} yet`);
      issued[toHex(code.challenge)] = { at: challengeIssuedAt(code.challenge), used: true };
      await writeJson(this.ctx.store, CHALLENGES, issued);
      this.forget(toHex(code.challenge)); // one consent, one diagnosis: its exchange is done
      const block = diagnosisBlock(this.ctx.c, key, {
        region: this.ctx.region, timeSec: this.nowSec(), parents: this.ctx.net.ledger.tips(1), epoch, epochPub, onset, lookback,
        challenge: code.challenge, endorsed, ephSecret: code.caseSecret,
      });
      this.ctx.c.forgetSecret?.(code.caseSecret);
      code.caseSecret.fill(0);
      return { days: endorsed.map((d) => d.day), block };
    });
    await this.ctx.net.node.publish(bytes.block);
    this.endorsed++;
    this.ctx.changed();
    return { days: bytes.days, id: toHex(blockId(this.ctx.c, bytes.block)) };
  }
}

/** Drop challenges past their life (a code answering one is then "unknown": still refused). */
function prune(issued: Issued, nowSec: number): Issued {
  const out: Issued = {};
  for (const [k, v] of Object.entries(issued)) if (nowSec - v.at <= CHALLENGE_TTL_SEC + CHALLENGE_SKEW_SEC) out[k] = v;
  return out;
}


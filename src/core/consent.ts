/**
 * The patient's consent to a diagnostician, both sides (docs/PROTOCOL.md §7.10; the codes'
 * bytes are in src/core/codec/consent.ts):
 *
 * - the diagnostician signs a clinic code for a fresh challenge (`signClinicCode`);
 * - the patient's app checks it before sharing anything (`checkClinicCode`): the signature, the
 *   region, the challenge's age, and that the key holds a diagnostician certificate, not expired
 *   and not revoked, on the patient's own synced notification chain;
 * - the diagnostician's app checks the consent code (`checkConsent`): its own key, a challenge it
 *   issued, not expired, not used, every possession proof;
 * - both derive the diagnosis' case key from the consent (`consentCaseSecret`), so the patient's
 *   app recognises the diagnosis block by its public ephemeral key and nobody else can.
 *
 * Every refusal is a `ConsentError` with a stable code. Pure: no DOM, no I/O.
 *
 * @example
 * const text = signClinicCode(c, key, { region: 1, challenge: makeChallenge(nowSec, c.randomBytes(28)) });
 * const clinic = checkClinicCode(c, text, { authority, region: 1, nowSec }); // patient
 * const consent = checkConsent(c, consentText, { diagnostician: key.publicKey, region: 1, nowSec, challengeState }); // clinic
 * @module
 */
import { hkdf, type CryptoProvider } from './crypto.ts';
import { concat, equal, toHex, u32be, utf8 } from './bytes.ts';
import { BeepTraceError } from './errors.ts';
import { badProofs } from './sealing.ts';
import { Role } from './codec/records.ts';
import {
  challengeIssuedAt, clinicBody, decodeClinicCode, decodeConsentCode, encodeClinicCode,
  type ClinicCode, type ConsentCode, type ConsentDay,
} from './codec/consent.ts';
import type { AuthorityState } from './ledger/authority.ts';

/** How long a challenge stays good, seconds (10 minutes). @example CHALLENGE_TTL_SEC === 600 */
export const CHALLENGE_TTL_SEC = 600;
/** How far in the future a challenge's issue time may lie (clock skew), seconds. */
export const CHALLENGE_SKEW_SEC = 120;

const CLINIC_LABEL = utf8('BeepTrace/clinic-code/v1');
const CASE_LABEL = utf8('BeepTrace/consent-case/v1');

/** Why a clinic or consent code was refused. @example if (e instanceof ConsentError && e.code === 'stale_challenge') … */
export type ConsentErrorCode =
  | 'bad_signature' | 'foreign_region' | 'stale_challenge' | 'not_certified'
  | 'wrong_diagnostician' | 'unknown_challenge' | 'used_challenge' | 'bad_proofs';

/** A code that decodes but must not be acted on. @example new ConsentError('used_challenge', '…') */
export class ConsentError extends BeepTraceError {
  declare readonly code: ConsentErrorCode;
  constructor(code: ConsentErrorCode, message: string) {
    super(code, message);
  }
}

/** Sign a clinic code for `challenge` (from `makeChallenge`). @example signClinicCode(c, key, { region: 1, challenge }) */
export function signClinicCode(c: CryptoProvider, key: { secretKey: Uint8Array; publicKey: Uint8Array }, a: { region: number; challenge: Uint8Array }): string {
  const body = clinicBody({ region: a.region, diagnostician: key.publicKey, challenge: a.challenge });
  return encodeClinicCode({ region: a.region, diagnostician: key.publicKey, challenge: a.challenge, signature: c.ed25519Sign(key.secretKey, concat(CLINIC_LABEL, body)) });
}

function fresh(challenge: Uint8Array, nowSec: number, ttlSec: number): void {
  const at = challengeIssuedAt(challenge);
  if (at > nowSec + CHALLENGE_SKEW_SEC) throw new ConsentError('stale_challenge', `the challenge was issued ${at - nowSec} s in the future: check the clocks`);
  if (nowSec - at > ttlSec) throw new ConsentError('stale_challenge', `the challenge was issued ${Math.round((nowSec - at) / 60)} min ago; challenges last ${ttlSec / 60} min: ask for a new code`);
}

/**
 * The patient's check of a clinic code, before anything is shared. Throws CodecError (form) or
 * ConsentError: `bad_signature`, `foreign_region`, `stale_challenge`, `not_certified` (no
 * diagnostician certificate for this region, expired, or revoked, on `authority`).
 * @example const code = checkClinicCode(c, text, { authority: ledger.authority, region: 1, nowSec })
 */
export function checkClinicCode(
  c: CryptoProvider,
  text: string,
  a: { authority: AuthorityState; region: number; nowSec: number; ttlSec?: number },
): ClinicCode & { name: string } {
  const code = decodeClinicCode(text);
  if (!c.ed25519Verify(code.diagnostician, concat(CLINIC_LABEL, clinicBody(code)), code.signature)) {
    throw new ConsentError('bad_signature', 'the clinic code\'s signature does not verify: it was altered or forged');
  }
  if (code.region !== a.region) throw new ConsentError('foreign_region', `the clinic code is for region ${code.region}, this app serves region ${a.region}`);
  fresh(code.challenge, a.nowSec, a.ttlSec ?? CHALLENGE_TTL_SEC);
  const why = a.authority.whyNotAuthorized(code.diagnostician, Role.DIAGNOSTICIAN, a.region, a.nowSec);
  if (why) throw new ConsentError('not_certified', `this clinic's key is not a certified diagnostician: ${why}`);
  const name = a.authority.subjects(Role.DIAGNOSTICIAN).find((s) => equal(s.subject, code.diagnostician))?.name ?? '';
  return { ...code, name };
}

/** What the diagnostician's app knows of a challenge it issued: open (issued, unused), used, or unknown (undefined). */
export type ChallengeState = 'open' | 'used' | undefined;

/**
 * The diagnostician's check of a consent code. Throws CodecError (form) or ConsentError:
 * `foreign_region`, `wrong_diagnostician` (made for another clinic), `unknown_challenge` (not issued
 * by this app), `used_challenge` (replayed), `stale_challenge`, `bad_proofs`.
 * @example checkConsent(c, text, { diagnostician: key.publicKey, region: 1, nowSec, challengeState: (hex) => issued.get(hex) })
 */
export function checkConsent(
  c: CryptoProvider,
  text: string,
  a: { diagnostician: Uint8Array; region: number; nowSec: number; challengeState: (challengeHex: string) => ChallengeState; ttlSec?: number },
): ConsentCode {
  const code = decodeConsentCode(text);
  if (code.region !== a.region) throw new ConsentError('foreign_region', `the consent code is for region ${code.region}, this clinic serves region ${a.region}`);
  if (!equal(code.diagnostician, a.diagnostician)) throw new ConsentError('wrong_diagnostician', 'this consent was given to another diagnostician: it cannot be used here');
  const st = a.challengeState(toHex(code.challenge));
  if (st === undefined) throw new ConsentError('unknown_challenge', 'this consent answers a clinic code this app did not issue');
  if (st === 'used') throw new ConsentError('used_challenge', 'this consent was already used for a diagnosis: it cannot be used twice');
  fresh(code.challenge, a.nowSec, a.ttlSec ?? CHALLENGE_TTL_SEC);
  const bad = badProofs(c, code.days, code.diagnostician, code.challenge);
  if (bad.length) throw new ConsentError('bad_proofs', `${bad.length} of ${code.days.length} possession proofs do not verify (altered code?)`);
  return code;
}

/**
 * The X25519 secret of the diagnosis' case (the `ephSecret` of sealCase), derived from the
 * consent: HKDF-SHA256(ikm = every consented day's u32 day ‖ day public key ‖ proof, salt =
 * challenge, info = "BeepTrace/consent-case/v1"). Only the patient and the diagnostician know
 * the proofs, so only they can tell which diagnosis block answers this consent (its public
 * ephemeral key). One challenge makes one diagnosis (the clinic's app refuses a used one), so the
 * case key is never used for two plaintexts.
 * @example const ephSecret = consentCaseSecret(c, challenge, consent.days)
 */
export function consentCaseSecret(c: CryptoProvider, challenge: Uint8Array, days: ConsentDay[]): Uint8Array {
  const ikm = concat(...days.flatMap((d) => [u32be(d.day), d.dayPub, d.proof]));
  return hkdf(c, ikm, challenge, CASE_LABEL, 32);
}

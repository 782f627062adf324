/**
 * The patient's consent to a diagnostician, both sides (docs/PROTOCOL.md §7.10, version 2; the
 * codes' bytes are in src/core/codec/consent.ts):
 *
 * - the diagnostician signs a clinic code for a fresh challenge and a fresh X25519 exchange key
 *   (`signClinicCode`; the exchange secret stays in its app);
 * - the patient's app checks it before sharing anything (`checkClinicCode`): the signature, the
 *   region, the challenge's age, and that the key holds a diagnostician certificate, not expired
 *   and not revoked, on the patient's own synced notification chain;
 * - the patient's app makes the consent (`makeConsent`): possession proofs of the chosen days,
 *   sealed under a key only it and that clinic's app can derive — X25519 of its own fresh exchange
 *   key and the clinic's — so whoever photographs either screen sees no day key, no proof, and
 *   cannot derive the case key;
 * - the diagnostician's app checks the consent code (`checkConsent`): its own key, a challenge it
 *   issued, not expired, not used, then opens the days with its exchange secret and checks every
 *   possession proof;
 * - both derive the diagnosis' case key from the same exchange (`caseSecret`), so the patient's app
 *   recognises the diagnosis block by its public ephemeral key and nobody else can.
 *
 * Every refusal is a `ConsentError` with a stable code. Pure: no DOM, no I/O.
 *
 * @example
 * const ex = newExchangeKey(c);                                     // clinic: keep ex.secretKey
 * const text = signClinicCode(c, key, { region: 1, challenge: makeChallenge(nowSec, c.randomBytes(28)), exchangeKey: ex.publicKey });
 * const clinic = checkClinicCode(c, text, { authority, region: 1, nowSec }); // patient
 * const { text: consentText, caseKey } = makeConsent(c, keys, clinic, days);   // patient
 * const consent = checkConsent(c, consentText, { diagnostician: key.publicKey, region: 1, nowSec, challengeState, exchangeSecret }); // clinic
 * @module
 */
import { concat, equal, toHex, utf8 } from './bytes.ts';
import { hkdf, type CryptoProvider } from './crypto.ts';
import { BeepTraceError } from './errors.ts';
import { badProofs, proveDays } from './sealing.ts';
import { Role } from './codec/records.ts';
import {
  challengeIssuedAt, clinicBody, consentHead, decodeClinicCode, decodeConsentCode, decodeConsentDays, encodeClinicCode, encodeConsentCode, encodeConsentDays,
  type ClinicCode, type ConsentDay,
} from './codec/consent.ts';
import type { AuthorityState } from './ledger/authority.ts';
import type { UserKeys } from './keys.ts';
import type { Day } from './types.ts';

/** How long a challenge stays good, seconds (10 minutes). @example CHALLENGE_TTL_SEC === 600 */
export const CHALLENGE_TTL_SEC = 600;
/** How far in the future a challenge's issue time may lie (clock skew), seconds. */
export const CHALLENGE_SKEW_SEC = 120;

const CLINIC_LABEL = utf8('BeepTrace/clinic-code/v2');
const SEAL_LABEL = utf8('BeepTrace/consent-seal/v2');
const CASE_LABEL = utf8('BeepTrace/consent-case/v2');
const ZERO_NONCE = new Uint8Array(12);

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

/** A fresh X25519 key pair for one clinic code or one consent (the exchange). @example const ex = newExchangeKey(c) */
export function newExchangeKey(c: CryptoProvider, secret: Uint8Array = c.randomBytes(32)): { secretKey: Uint8Array; publicKey: Uint8Array } {
  if (!(secret instanceof Uint8Array) || secret.length !== 32) throw new RangeError('an exchange secret is 32 bytes');
  return { secretKey: secret, publicKey: c.x25519PublicKey(secret) };
}

/**
 * Sign a clinic code for `challenge` (from `makeChallenge`) and `exchangeKey` (the public half of
 * `newExchangeKey`, one per challenge). @example signClinicCode(c, key, { region: 1, challenge, exchangeKey })
 */
export function signClinicCode(c: CryptoProvider, key: { secretKey: Uint8Array; publicKey: Uint8Array }, a: { region: number; challenge: Uint8Array; exchangeKey: Uint8Array }): string {
  const code = { region: a.region, diagnostician: key.publicKey, challenge: a.challenge, exchangeKey: a.exchangeKey };
  return encodeClinicCode({ ...code, signature: c.ed25519Sign(key.secretKey, concat(CLINIC_LABEL, clinicBody(code))) });
}

/**
 * The keys of one consent, from the exchange both sides can compute and nobody else can:
 * shared = X25519(patient secret, clinic exchange key) = X25519(clinic secret, patient key);
 * salt = challenge ‖ clinic exchange key ‖ patient key; `seal` seals the days (once: a fresh
 * patient key per consent), `caseSecret` is the diagnosis' case X25519 secret.
 */
function consentKeys(c: CryptoProvider, shared: Uint8Array, challenge: Uint8Array, clinicKey: Uint8Array, patientKey: Uint8Array): { seal: Uint8Array; caseSecret: Uint8Array } {
  const salt = concat(challenge, clinicKey, patientKey);
  return { seal: hkdf(c, shared, salt, SEAL_LABEL, 32), caseSecret: hkdf(c, shared, salt, CASE_LABEL, 32) };
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

/**
 * The patient's consent code for `days` (proofs made with `keys`, bound to the clinic's key and
 * challenge), sealed to the exchange with the clinic code's key. `secret` is this consent's fresh
 * exchange secret (random unless given, as tests do). Returns the QR text and `caseKey`: the public
 * ephemeral key the diagnosis answering it will carry (keep it; nothing else of the exchange).
 * RangeError for 0 or more than 16 days, or days more than 255 apart.
 * @example const { text, caseKey } = makeConsent(c, keys, checkClinicCode(c, clinicText, a), [20500, 20501])
 */
export function makeConsent(c: CryptoProvider, keys: UserKeys, clinic: Pick<ClinicCode, 'region' | 'diagnostician' | 'challenge' | 'exchangeKey'>, days: Day[], secret?: Uint8Array): { text: string; caseKey: Uint8Array } {
  const proofs = proveDays(keys, days, clinic.diagnostician, clinic.challenge);
  const plain = encodeConsentDays(proofs);
  const mine = newExchangeKey(c, secret?.slice() ?? c.randomBytes(32));
  let shared: Uint8Array;
  try {
    shared = c.x25519(mine.secretKey, clinic.exchangeKey);
  } catch {
    throw new ConsentError('bad_signature', 'the clinic code\'s exchange key is not usable: it was forged');
  }
  const k = consentKeys(c, shared, clinic.challenge, clinic.exchangeKey, mine.publicKey);
  const head = { region: clinic.region, diagnostician: clinic.diagnostician, challenge: clinic.challenge, patientKey: mine.publicKey };
  const text = encodeConsentCode({ ...head, sealed: c.aeadSeal(k.seal, ZERO_NONCE, plain, consentHead(head)) });
  const caseKey = c.x25519PublicKey(k.caseSecret);
  for (const x of [shared, k.seal, k.caseSecret]) x.fill(0);
  c.forgetSecret?.(mine.secretKey);
  c.forgetSecret?.(k.caseSecret);
  mine.secretKey.fill(0);
  return { text, caseKey };
}

/** What the diagnostician's app knows of a challenge it issued: open (issued, unused), used, or unknown (undefined). */
export type ChallengeState = 'open' | 'used' | undefined;

/** A consent the diagnostician's app checked: the days it opened and the case secret of the diagnosis to publish. */
export interface CheckedConsent {
  region: number;
  diagnostician: Uint8Array;
  challenge: Uint8Array;
  days: ConsentDay[];
  /** The X25519 secret of the diagnosis' case (`sealCase`'s ephSecret): the patient derives its public key too. */
  caseSecret: Uint8Array;
}

/**
 * The diagnostician's check of a consent code. Throws CodecError (form) or ConsentError:
 * `foreign_region`, `wrong_diagnostician` (made for another clinic), `unknown_challenge` (not issued
 * by this app, or its exchange secret is gone: shown before the app restarted), `used_challenge`
 * (replayed), `stale_challenge`, `bad_proofs` (the sealed days do not open — altered, or sealed to
 * another clinic code — or a possession proof does not verify).
 * @example checkConsent(c, text, { diagnostician: key.publicKey, region: 1, nowSec, challengeState: (hex) => issued.get(hex), exchangeSecret: (hex) => secrets.get(hex) })
 */
export function checkConsent(
  c: CryptoProvider,
  text: string,
  a: {
    diagnostician: Uint8Array; region: number; nowSec: number; ttlSec?: number;
    challengeState: (challengeHex: string) => ChallengeState;
    /** The exchange secret of the clinic code that carried this challenge, if this app still holds it. */
    exchangeSecret: (challengeHex: string) => Uint8Array | undefined;
  },
): CheckedConsent {
  const code = decodeConsentCode(text);
  if (code.region !== a.region) throw new ConsentError('foreign_region', `the consent code is for region ${code.region}, this clinic serves region ${a.region}`);
  if (!equal(code.diagnostician, a.diagnostician)) throw new ConsentError('wrong_diagnostician', 'this consent was given to another diagnostician: it cannot be used here');
  const hex = toHex(code.challenge);
  const st = a.challengeState(hex);
  if (st === undefined) throw new ConsentError('unknown_challenge', 'this consent answers a clinic code this app did not issue');
  if (st === 'used') throw new ConsentError('used_challenge', 'this consent was already used for a diagnosis: it cannot be used twice');
  fresh(code.challenge, a.nowSec, a.ttlSec ?? CHALLENGE_TTL_SEC);
  const secret = a.exchangeSecret(hex);
  if (!secret) throw new ConsentError('unknown_challenge', 'this consent answers a clinic code shown before this app restarted: its key is gone; show a new clinic code');
  let shared: Uint8Array;
  try {
    shared = c.x25519(secret, code.patientKey);
  } catch {
    throw new ConsentError('bad_proofs', 'the consent code\'s exchange key is not usable (altered code?)');
  }
  const clinicKey = c.x25519PublicKey(secret);
  const k = consentKeys(c, shared, code.challenge, clinicKey, code.patientKey);
  const plain = c.aeadOpen(k.seal, ZERO_NONCE, code.sealed, consentHead(code));
  shared.fill(0);
  k.seal.fill(0);
  if (!plain) throw new ConsentError('bad_proofs', 'the consent code does not open with this clinic code\'s key: it was altered, or made for another code');
  const days = decodeConsentDays(plain);
  const bad = badProofs(c, days, code.diagnostician, code.challenge);
  if (bad.length) throw new ConsentError('bad_proofs', `${bad.length} of ${days.length} possession proofs do not verify (altered code?)`);
  return { region: code.region, diagnostician: code.diagnostician, challenge: code.challenge, days, caseSecret: k.caseSecret };
}

/**
 * The clinic code and the consent code (src/core/codec/consent.ts, src/core/consent.ts): round
 * trips, sizes, every refusal (tampered, truncated, wrong type, foreign region, wrong
 * diagnostician, stale, replayed, uncertified, revoked) and the case key both sides derive.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import encodeQR from 'qr';
import { nobleCrypto as c } from '../../src/core/crypto.ts';
import { fromBase64url, toBase64url, toHex } from '../../src/core/bytes.ts';
import { CodecError } from '../../src/core/errors.ts';
import { UserKeys } from '../../src/core/keys.ts';
import { certificateBlock, diagnosisBlock, newRoleKey, revocationBlock } from '../../src/core/blocks.ts';
import { decodeBlock } from '../../src/core/codec/block.ts';
import { decodeCase, Role } from '../../src/core/codec/records.ts';
import { openCase } from '../../src/core/sealing.ts';
import { AuthorityState } from '../../src/core/ledger/authority.ts';
import { possessionProofs } from '../../src/core/device.ts';
import {
  CLINIC_PREFIX, CONSENT_PREFIX, challengeIssuedAt, codeKind, decodeClinicCode, decodeConsentCode, encodeConsentCode, makeChallenge, MAX_CONSENT_DAYS,
} from '../../src/core/codec/consent.ts';
import { checkClinicCode, checkConsent, consentCaseSecret, ConsentError, signClinicCode, CHALLENGE_TTL_SEC } from '../../src/core/consent.ts';

const NOW = 1_790_000_000;
const DAY = Math.floor(NOW / 86_400);
const root = newRoleKey(c);
const clinic = newRoleKey(c);
const other = newRoleKey(c);

function authority(opts: { revokeAt?: number; notAfter?: number } = {}): AuthorityState {
  const a = new AuthorityState(root.publicKey);
  for (const [k, name] of [[clinic, 'Clinic 4'], [other, 'Clinic 9']] as const) {
    const b = certificateBlock(c, root, { serial: c.randomBytes(16), role: Role.DIAGNOSTICIAN, region: 1, subject: k.publicKey, notBefore: NOW - 86_400, notAfter: opts.notAfter ?? NOW + 86_400, name }, { region: 1, timeSec: NOW - 86_400 });
    a.apply(decodeBlock(b), c.sha256(b));
  }
  if (opts.revokeAt !== undefined) {
    const r = revocationBlock(c, root, { subject: clinic.publicKey, revokedAt: opts.revokeAt, reason: 1 }, { region: 1, timeSec: opts.revokeAt });
    a.apply(decodeBlock(r), c.sha256(r));
  }
  return a;
}

function refused(fn: () => unknown, code: string): void {
  assert.throws(fn, (e: unknown) => (e instanceof ConsentError || e instanceof CodecError) && e.code === code, `expected ${code}`);
}

const patient = new UserKeys(c, c.randomBytes(32));
const days = Array.from({ length: 14 }, (_, i) => DAY - 13 + i);

function session(issuedAt = NOW) {
  const challenge = makeChallenge(issuedAt, c.randomBytes(28));
  const clinicText = signClinicCode(c, clinic, { region: 1, challenge });
  const proofs = possessionProofs(patient, days, clinic.publicKey, challenge);
  const consentText = encodeConsentCode({ region: 1, diagnostician: clinic.publicKey, challenge, days: proofs });
  return { challenge, clinicText, proofs, consentText };
}

test('clinic code: round trip, signed, certified, fresh; 181 characters', () => {
  const s = session();
  assert.ok(s.clinicText.startsWith(CLINIC_PREFIX));
  assert.equal(s.clinicText.length, 181);
  assert.equal(codeKind(s.clinicText), 'clinic');
  const got = checkClinicCode(c, s.clinicText, { authority: authority(), region: 1, nowSec: NOW + 60 });
  assert.deepEqual(got.challenge, s.challenge);
  assert.deepEqual(got.diagnostician, clinic.publicKey);
  assert.equal(got.name, 'Clinic 4');
  assert.equal(challengeIssuedAt(got.challenge), NOW);
});

test('consent code: round trip of 14 days, 1 913 characters, fits a QR code at error correction L', () => {
  const s = session();
  assert.ok(s.consentText.startsWith(CONSENT_PREFIX));
  assert.equal(s.consentText.length, 5 + Math.ceil(((73 + 14 * 97) * 4) / 3));
  const d = decodeConsentCode(s.consentText);
  assert.deepEqual(d.days.map((x) => x.day), days);
  assert.deepEqual(d.days[3].proof, s.proofs[3].proof);
  const modules = encodeQR(s.consentText, 'raw', { ecc: 'low' }).length;
  assert.ok(modules <= 153, `a version ≤ 34 QR code (${modules} modules)`);
  const ok = checkConsent(c, s.consentText, { diagnostician: clinic.publicKey, region: 1, nowSec: NOW + 60, challengeState: (h) => (h === toHex(s.challenge) ? 'open' : undefined) });
  assert.equal(ok.days.length, 14);
  assert.throws(() => encodeConsentCode({ region: 1, diagnostician: clinic.publicKey, challenge: s.challenge, days: [...s.proofs, ...s.proofs].slice(0, MAX_CONSENT_DAYS + 1) }), RangeError);
});

test('wrong type, wrong prefix, truncated, trailing, bad base64, unknown version: typed CodecErrors', () => {
  const s = session();
  refused(() => decodeClinicCode(s.consentText), 'wrong_type');
  refused(() => decodeConsentCode(s.clinicText), 'wrong_type');
  refused(() => decodeClinicCode('https://example.org/'), 'bad_prefix');
  refused(() => decodeConsentCode(s.consentText.slice(0, 300)), 'truncated');
  refused(() => decodeClinicCode(s.clinicText + 'AAAA'), 'trailing');
  refused(() => decodeClinicCode(CLINIC_PREFIX + '***'), 'bad_base64');
  const raw = fromBase64url(s.clinicText.slice(5));
  raw[0] = 9;
  refused(() => decodeClinicCode(CLINIC_PREFIX + toBase64url(raw)), 'version');
  const cons = fromBase64url(s.consentText.slice(5));
  cons[1] = 1; // a consent body labelled as a clinic code
  refused(() => decodeConsentCode(CONSENT_PREFIX + toBase64url(cons)), 'wrong_type');
});

test('the patient refuses a tampered, foreign, stale, uncertified, expired or revoked clinic code', () => {
  const s = session();
  const a = authority();
  const raw = fromBase64url(s.clinicText.slice(5));
  raw[40] ^= 1; // one bit of the challenge
  refused(() => checkClinicCode(c, CLINIC_PREFIX + toBase64url(raw), { authority: a, region: 1, nowSec: NOW }), 'bad_signature');
  const foreign = signClinicCode(c, clinic, { region: 2, challenge: s.challenge });
  refused(() => checkClinicCode(c, foreign, { authority: a, region: 1, nowSec: NOW }), 'foreign_region');
  refused(() => checkClinicCode(c, s.clinicText, { authority: a, region: 1, nowSec: NOW + CHALLENGE_TTL_SEC + 1 }), 'stale_challenge');
  refused(() => checkClinicCode(c, s.clinicText, { authority: a, region: 1, nowSec: NOW - 3600 }), 'stale_challenge');
  const stranger = newRoleKey(c);
  refused(() => checkClinicCode(c, signClinicCode(c, stranger, { region: 1, challenge: s.challenge }), { authority: a, region: 1, nowSec: NOW }), 'not_certified');
  refused(() => checkClinicCode(c, s.clinicText, { authority: authority({ notAfter: NOW - 10 }), region: 1, nowSec: NOW }), 'not_certified');
  refused(() => checkClinicCode(c, s.clinicText, { authority: authority({ revokeAt: NOW - 5 }), region: 1, nowSec: NOW }), 'not_certified');
});

test('the diagnostician refuses a tampered consent, another clinic\'s, an unknown, stale or used challenge', () => {
  const s = session();
  const open = (h: string) => (h === toHex(s.challenge) ? 'open' as const : undefined);
  const base = { diagnostician: clinic.publicKey, region: 1, nowSec: NOW + 60, challengeState: open };
  const raw = fromBase64url(s.consentText.slice(5));
  raw[raw.length - 1] ^= 1; // last proof
  refused(() => checkConsent(c, CONSENT_PREFIX + toBase64url(raw), base), 'bad_proofs');
  const day = fromBase64url(s.consentText.slice(5));
  day[73 + 13 * 97] = 14; // the last day's offset 13 → 14: its proof no longer matches
  refused(() => checkConsent(c, CONSENT_PREFIX + toBase64url(day), base), 'bad_proofs');
  // Replayed to a second diagnostician (who issued the same challenge bytes, even): refused.
  refused(() => checkConsent(c, s.consentText, { ...base, diagnostician: other.publicKey }), 'wrong_diagnostician');
  // A consent re-labelled for the second diagnostician: the proofs are bound to the first.
  const relabel = encodeConsentCode({ ...decodeConsentCode(s.consentText), diagnostician: other.publicKey });
  refused(() => checkConsent(c, relabel, { ...base, diagnostician: other.publicKey }), 'bad_proofs');
  refused(() => checkConsent(c, s.consentText, { ...base, challengeState: () => undefined }), 'unknown_challenge');
  refused(() => checkConsent(c, s.consentText, { ...base, challengeState: () => 'used' }), 'used_challenge');
  refused(() => checkConsent(c, s.consentText, { ...base, nowSec: NOW + CHALLENGE_TTL_SEC + 1 }), 'stale_challenge');
  refused(() => checkConsent(c, s.consentText, { ...base, region: 3 }), 'foreign_region');
});

test('the case key: the patient recognises the diagnosis by its ephemeral key; the case opens with the epoch key', () => {
  const s = session();
  const epoch = c.randomBytes(32);
  const epochPub = c.x25519PublicKey(epoch);
  const consent = decodeConsentCode(s.consentText);
  const ephSecret = consentCaseSecret(c, consent.challenge, consent.days);
  const block = diagnosisBlock(c, clinic, { region: 1, timeSec: NOW, epoch: 3, epochPub, onset: DAY - 2, lookback: 5, challenge: s.challenge, endorsed: consent.days.slice(-8), ephSecret });
  const body = decodeCase(decodeBlock(block).body, 'diagnosis');
  // The patient's side: from its own proofs and the challenge it scanned.
  const mine = c.x25519PublicKey(consentCaseSecret(c, s.challenge, s.proofs));
  assert.deepEqual(body.ephPub, mine);
  const someoneElse = c.x25519PublicKey(consentCaseSecret(c, makeChallenge(NOW, c.randomBytes(28)), s.proofs));
  assert.notDeepEqual(body.ephPub, someoneElse);
  const opened = openCase(c, epoch, epochPub, body);
  assert.equal(opened?.endorsed.length, 8);
  assert.equal(opened?.onset, DAY - 2);
});

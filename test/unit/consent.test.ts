/**
 * The clinic code and the consent code, version 2 (src/core/codec/consent.ts, src/core/consent.ts):
 * round trips, sizes, every refusal (tampered, truncated, wrong type, foreign region, wrong
 * diagnostician, stale, replayed, uncertified, revoked, sealed to another code, an old version)
 * and the case key both sides derive; and, as a property over patients, days, photographs and
 * retries, that a third party given either QR code (any number of times) finds none of the
 * patient's pseudonyms and derives no key that opens the consent or the diagnosis (issue 18
 * finding 3: in version 1 the consent code was a bearer secret).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import encodeQR from 'qr';
import { decodeQR } from 'qr/decode.js';
import { nobleCrypto as c, hkdf } from '../../src/core/crypto.ts';
import { nodeCrypto } from '../../src/node/node-crypto.ts';
import { concat, equal, fromBase64url, toBase64url, toHex, utf8 } from '../../src/core/bytes.ts';
import { CodecError } from '../../src/core/errors.ts';
import { pseudonym, UserKeys } from '../../src/core/keys.ts';
import { certificateBlock, diagnosisBlock, newRoleKey, revocationBlock } from '../../src/core/blocks.ts';
import { decodeBlock } from '../../src/core/codec/block.ts';
import { decodeCase, Role } from '../../src/core/codec/records.ts';
import { openCase } from '../../src/core/sealing.ts';
import { AuthorityState } from '../../src/core/ledger/authority.ts';
import {
  CLINIC_PREFIX, CONSENT_PREFIX, challengeIssuedAt, codeKind, decodeClinicCode, decodeConsentCode, encodeConsentCode, makeChallenge, MAX_CONSENT_DAYS,
} from '../../src/core/codec/consent.ts';
import { checkClinicCode, checkConsent, ConsentError, makeConsent, newExchangeKey, signClinicCode, CHALLENGE_TTL_SEC } from '../../src/core/consent.ts';

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

/** A clinic code shown, checked by the patient, answered with a consent code. */
function session(o: { issuedAt?: number; key?: typeof clinic; who?: UserKeys; days?: number[]; secret?: Uint8Array } = {}) {
  const key = o.key ?? clinic;
  const challenge = makeChallenge(o.issuedAt ?? NOW, c.randomBytes(28));
  const ex = newExchangeKey(c);
  const clinicText = signClinicCode(c, key, { region: 1, challenge, exchangeKey: ex.publicKey });
  const code = decodeClinicCode(clinicText);
  const { text: consentText, caseKey } = makeConsent(c, o.who ?? patient, code, o.days ?? days, o.secret);
  const held = new Map([[toHex(challenge), ex.secretKey]]);
  const check = { diagnostician: key.publicKey, region: 1, nowSec: (o.issuedAt ?? NOW) + 60, challengeState: (h: string) => (held.has(h) ? 'open' as const : undefined), exchangeSecret: (h: string) => held.get(h) };
  return { challenge, ex, clinicText, code, consentText, caseKey, check };
}

test('clinic code: round trip, signed, certified, fresh; 224 characters', () => {
  const s = session();
  assert.ok(s.clinicText.startsWith(CLINIC_PREFIX));
  assert.equal(s.clinicText.length, 224);
  assert.equal(codeKind(s.clinicText), 'clinic');
  const got = checkClinicCode(c, s.clinicText, { authority: authority(), region: 1, nowSec: NOW + 60 });
  assert.deepEqual(got.challenge, s.challenge);
  assert.deepEqual(got.diagnostician, clinic.publicKey);
  assert.deepEqual(got.exchangeKey, s.ex.publicKey);
  assert.equal(got.name, 'Clinic 4');
  assert.equal(challengeIssuedAt(got.challenge), NOW);
});

test('consent code: 14 days sealed, 1 977 characters, fits a QR code at error correction L; the clinic opens every proof', () => {
  const s = session();
  assert.ok(s.consentText.startsWith(CONSENT_PREFIX));
  assert.equal(s.consentText.length, 5 + Math.ceil(((121 + 14 * 97) * 4) / 3));
  const d = decodeConsentCode(s.consentText);
  assert.equal(d.sealed.length, 21 + 14 * 97);
  const grid = encodeQR(s.consentText, 'raw', { ecc: 'low', border: 4 });
  assert.ok(grid.length <= 153 + 8, `a version ≤ 34 QR code (${grid.length - 8} modules)`);
  // The app's decoder reads it back from a picture at 3 pixels a module (a phone screen seen by a camera is more).
  const px = 3;
  const size = grid.length * px;
  const data = new Uint8ClampedArray(size * size * 4).fill(255);
  grid.forEach((row, y) => row.forEach((dark, x) => {
    if (!dark) return;
    for (let dy = 0; dy < px; dy++) for (let dx = 0; dx < px; dx++) data.fill(0, ((y * px + dy) * size + x * px + dx) * 4, ((y * px + dy) * size + x * px + dx) * 4 + 3);
  }));
  assert.equal(decodeQR({ width: size, height: size, data }), s.consentText);
  const ok = checkConsent(c, s.consentText, s.check);
  assert.deepEqual(ok.days.map((x) => x.day), days);
  assert.deepEqual(ok.days[3].dayPub, patient.daySigning(days[3]).publicKey);
  // 16 days at most; the biggest code is still a version ≤ 36 QR code
  const big = session({ days: Array.from({ length: MAX_CONSENT_DAYS }, (_, i) => DAY - i).reverse() });
  assert.equal(checkConsent(c, big.consentText, big.check).days.length, MAX_CONSENT_DAYS);
  assert.ok(encodeQR(big.consentText, 'raw', { ecc: 'low', border: 4 }).length <= 161 + 8);
  assert.throws(() => makeConsent(c, patient, s.code, Array.from({ length: MAX_CONSENT_DAYS + 1 }, (_, i) => DAY - i).reverse()), RangeError);
  assert.throws(() => encodeConsentCode({ ...d, sealed: d.sealed.subarray(1) }), RangeError);
});

test('wrong type, wrong prefix, truncated, trailing, bad base64, unknown version (version 1, the bearer code): typed CodecErrors', () => {
  const s = session();
  refused(() => decodeClinicCode(s.consentText), 'wrong_type');
  refused(() => decodeConsentCode(s.clinicText), 'wrong_type');
  refused(() => decodeClinicCode('https://example.org/'), 'bad_prefix');
  refused(() => decodeConsentCode(s.consentText.slice(0, 300)), 'truncated');
  refused(() => decodeConsentCode(s.consentText.slice(0, 100)), 'truncated');
  refused(() => decodeClinicCode(s.clinicText + 'AAAA'), 'trailing');
  refused(() => decodeClinicCode(CLINIC_PREFIX + '***'), 'bad_base64');
  const raw = fromBase64url(s.clinicText.slice(5));
  raw[0] = 1; // a version-1 clinic code
  refused(() => decodeClinicCode(CLINIC_PREFIX + toBase64url(raw)), 'version');
  const cons = fromBase64url(s.consentText.slice(5));
  cons[1] = 1; // a consent body labelled as a clinic code
  refused(() => decodeConsentCode(CONSENT_PREFIX + toBase64url(cons)), 'wrong_type');
  const v1 = fromBase64url(s.consentText.slice(5));
  v1[0] = 1;
  refused(() => decodeConsentCode(CONSENT_PREFIX + toBase64url(v1)), 'version');
  const long = concat(fromBase64url(s.consentText.slice(5)), new Uint8Array(97 * 3));
  refused(() => decodeConsentCode(CONSENT_PREFIX + toBase64url(long)), 'range');
});

test('the patient refuses a tampered, foreign, stale, uncertified, expired or revoked clinic code', () => {
  const s = session();
  const a = authority();
  for (const at of [40, 70]) { // one bit of the challenge; of the exchange key
    const raw = fromBase64url(s.clinicText.slice(5));
    raw[at] ^= 1;
    refused(() => checkClinicCode(c, CLINIC_PREFIX + toBase64url(raw), { authority: a, region: 1, nowSec: NOW }), 'bad_signature');
  }
  const foreign = signClinicCode(c, clinic, { region: 2, challenge: s.challenge, exchangeKey: s.ex.publicKey });
  refused(() => checkClinicCode(c, foreign, { authority: a, region: 1, nowSec: NOW }), 'foreign_region');
  refused(() => checkClinicCode(c, s.clinicText, { authority: a, region: 1, nowSec: NOW + CHALLENGE_TTL_SEC + 1 }), 'stale_challenge');
  refused(() => checkClinicCode(c, s.clinicText, { authority: a, region: 1, nowSec: NOW - 3600 }), 'stale_challenge');
  const stranger = newRoleKey(c);
  refused(() => checkClinicCode(c, signClinicCode(c, stranger, { region: 1, challenge: s.challenge, exchangeKey: s.ex.publicKey }), { authority: a, region: 1, nowSec: NOW }), 'not_certified');
  refused(() => checkClinicCode(c, s.clinicText, { authority: authority({ notAfter: NOW - 10 }), region: 1, nowSec: NOW }), 'not_certified');
  refused(() => checkClinicCode(c, s.clinicText, { authority: authority({ revokeAt: NOW - 5 }), region: 1, nowSec: NOW }), 'not_certified');
});

test('the diagnostician refuses a tampered consent, one sealed to another code, another clinic\'s, an unknown, stale or used challenge', () => {
  const s = session();
  for (const at of [-1, 150, 99]) { // the tag; a sealed day; the patient key (the AAD)
    const raw = fromBase64url(s.consentText.slice(5));
    raw[(at + raw.length) % raw.length] ^= 1;
    refused(() => checkConsent(c, CONSENT_PREFIX + toBase64url(raw), s.check), 'bad_proofs');
  }
  // Sealed to another clinic code with the same challenge (a relayed, substituted exchange key).
  const mitm = newExchangeKey(c);
  const swapped = makeConsent(c, patient, { ...s.code, exchangeKey: mitm.publicKey }, days).text;
  refused(() => checkConsent(c, swapped, s.check), 'bad_proofs');
  // Replayed to a second diagnostician: refused before anything is opened.
  refused(() => checkConsent(c, s.consentText, { ...s.check, diagnostician: other.publicKey }), 'wrong_diagnostician');
  // Re-labelled for the second diagnostician: the label is authenticated (and the proofs bound to the first).
  const relabel = encodeConsentCode({ ...decodeConsentCode(s.consentText), diagnostician: other.publicKey });
  refused(() => checkConsent(c, relabel, { ...s.check, diagnostician: other.publicKey }), 'bad_proofs');
  refused(() => checkConsent(c, s.consentText, { ...s.check, challengeState: () => undefined }), 'unknown_challenge');
  refused(() => checkConsent(c, s.consentText, { ...s.check, exchangeSecret: () => undefined }), 'unknown_challenge');
  refused(() => checkConsent(c, s.consentText, { ...s.check, challengeState: () => 'used' }), 'used_challenge');
  refused(() => checkConsent(c, s.consentText, { ...s.check, nowSec: NOW + CHALLENGE_TTL_SEC + 1 }), 'stale_challenge');
  refused(() => checkConsent(c, s.consentText, { ...s.check, region: 3 }), 'foreign_region');
});

test('the case key: the patient recognises the diagnosis by its ephemeral key; the case opens with the epoch key', () => {
  const s = session();
  const epoch = c.randomBytes(32);
  const epochPub = c.x25519PublicKey(epoch);
  const consent = checkConsent(c, s.consentText, s.check);
  const block = diagnosisBlock(c, clinic, { region: 1, timeSec: NOW, epoch: 3, epochPub, onset: DAY - 2, lookback: 5, challenge: s.challenge, endorsed: consent.days.slice(-8), ephSecret: consent.caseSecret });
  const body = decodeCase(decodeBlock(block).body, 'diagnosis');
  assert.deepEqual(body.ephPub, s.caseKey, 'the patient kept the public key the diagnosis carries');
  assert.notDeepEqual(session().caseKey, s.caseKey, 'another consent, another case key');
  const opened = openCase(c, epoch, epochPub, body);
  assert.equal(opened?.endorsed.length, 8);
  assert.equal(opened?.onset, DAY - 2);
});

// ───────────── issue 18 finding 3: a photograph of either code links nothing and opens nothing ─────────────

const L_SEAL = utf8('BeepTrace/consent-seal/v2');
const L_CASE = utf8('BeepTrace/consent-case/v2');
const L_CASE_V1 = utf8('BeepTrace/consent-case/v1');

/** Every 32-byte window of `b`. */
function windows(b: Uint8Array, n = 32): Uint8Array[] {
  return Array.from({ length: Math.max(0, b.length - n + 1) }, (_, i) => b.subarray(i, i + n));
}
function contains(hay: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

/** Version 1's case secret, as a third party would compute it from a consent code read as version 1. */
function v1CaseSecret(b: Uint8Array): Uint8Array {
  const k = b[68] ?? 0;
  const first = b.length >= 73 ? new DataView(b.buffer, b.byteOffset + 69, 4).getUint32(0) : 0;
  const parts: Uint8Array[] = [];
  for (let i = 0; i < k && 73 + 97 * (i + 1) <= b.length; i++) {
    const o = 73 + 97 * i;
    const day = new Uint8Array(4);
    new DataView(day.buffer).setUint32(0, first + b[o]);
    parts.push(day, b.subarray(o + 1, o + 97));
  }
  return hkdf(nodeCrypto, concat(...parts), b.subarray(36, 68), L_CASE_V1, 32);
}

/**
 * A third party holding `texts` (the QR codes it photographed) and the public chain: the diagnosis
 * body and every day public key there is (`candidates`: the patient's among others'). It tries what
 * it can: find a day key or pseudonym in the codes; use every 32 bytes of the codes as a secret
 * against every public key in them (the protocol's derivations, and version 1's); use them as the
 * keys themselves. Returns the candidates it found and whether anything opened.
 */
function thirdParty(texts: string[], diagnosis: { ephPub: Uint8Array }, candidates: Uint8Array[]) {
  const found = new Set<string>();
  let opened = false;
  for (const text of new Set(texts)) {
    const bytes = fromBase64url(text.slice(5));
    for (const k of candidates) if (contains(bytes, k) || contains(bytes, pseudonym(nodeCrypto, k))) found.add(toHex(k));
    const kind = codeKind(text);
    const consent = kind === 'consent' ? decodeConsentCode(text) : null;
    const pubs = kind === 'clinic' ? [decodeClinicCode(text).exchangeKey] : [consent!.patientKey];
    const clinicKeys = texts.filter((t) => codeKind(t) === 'clinic').map((t) => decodeClinicCode(t));
    // Version 1's derivation: the days in the clear after the challenge, the case secret from them.
    if (equal(nodeCrypto.x25519PublicKey(v1CaseSecret(bytes)), diagnosis.ephPub)) opened = true;
    for (const w of windows(bytes)) {
      // a window as the case secret itself, or as the key that seals the days
      if (equal(nodeCrypto.x25519PublicKey(w), diagnosis.ephPub)) opened = true;
      if (consent && nodeCrypto.aeadOpen(w, new Uint8Array(12), consent.sealed, bytes.subarray(0, 100))) opened = true;
      for (const pub of [...pubs, ...clinicKeys.map((k) => k.exchangeKey)]) {
        let shared: Uint8Array;
        try {
          shared = nodeCrypto.x25519(w, pub);
        } catch {
          continue;
        }
        for (const ck of clinicKeys) {
          const salt = concat(ck.challenge, ck.exchangeKey, consent?.patientKey ?? pub);
          if (equal(nodeCrypto.x25519PublicKey(hkdf(nodeCrypto, shared, salt, L_CASE, 32)), diagnosis.ephPub)) opened = true;
          if (consent && nodeCrypto.aeadOpen(hkdf(nodeCrypto, shared, salt, L_SEAL, 32), new Uint8Array(12), consent.sealed, bytes.subarray(0, 100))) opened = true;
        }
      }
      nodeCrypto.forgetSecret?.(w.slice());
    }
  }
  return { found: [...found], opened };
}

test('issue 18 finding 3 (property): whatever a third party is given — either QR code, any number of times, several consents — it finds none of the patient\'s pseudonyms and opens neither the consent nor the case', () => {
  fc.assert(fc.property(
    fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }),
    fc.uniqueArray(fc.integer({ min: 0, max: 20 }), { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 }),
    (seedA, seedB, exchangeRandom, offsets, photos, retries) => {
      fc.pre(!equal(seedA, seedB));
      const a = new UserKeys(nodeCrypto, seedA);
      const b = new UserKeys(nodeCrypto, seedB);
      const chosen = offsets.map((o) => DAY - 20 + o).sort((x, y) => x - y);
      const challenge = makeChallenge(NOW, exchangeRandom.subarray(0, 28));
      const ex = newExchangeKey(nodeCrypto);
      const clinicText = signClinicCode(nodeCrypto, clinic, { region: 1, challenge, exchangeKey: ex.publicKey });
      const code = decodeClinicCode(clinicText);
      // The patient shows its consent; after a retry or two (a fresh exchange key each), the clinic endorses the last.
      const consents = Array.from({ length: retries }, () => makeConsent(nodeCrypto, a, code, chosen));
      const last = consents.at(-1)!;
      const held = new Map([[toHex(challenge), ex.secretKey]]);
      const checked = checkConsent(nodeCrypto, last.text, { diagnostician: clinic.publicKey, region: 1, nowSec: NOW, challengeState: () => 'open', exchangeSecret: (h) => held.get(h) });
      assert.deepEqual(checked.days.map((d) => d.dayPub), chosen.map((d) => a.daySigning(d).publicKey), 'the clinic learns exactly the consented day keys');
      const epoch = nodeCrypto.randomBytes(32);
      const block = diagnosisBlock(nodeCrypto, clinic, { region: 1, timeSec: NOW, epoch: 3, epochPub: nodeCrypto.x25519PublicKey(epoch), onset: chosen.at(-1)!, lookback: 20, challenge, endorsed: checked.days, ephSecret: checked.caseSecret });
      const diagnosis = decodeCase(decodeBlock(block).body, 'diagnosis');
      assert.deepEqual(diagnosis.ephPub, last.caseKey, 'the patient recognises its diagnosis');

      // The bystander's photographs: the clinic code and each consent, `photos` times each.
      const shots = [clinicText, ...consents.map((x) => x.text)].flatMap((t) => Array.from({ length: photos }, () => t));
      const candidates = chosen.flatMap((d) => [a.daySigning(d).publicKey, b.daySigning(d).publicKey]);
      const got = thirdParty(shots, diagnosis, candidates);
      assert.deepEqual(got.found, [], 'no day key or pseudonym of anyone in the codes');
      assert.equal(got.opened, false, 'nothing derived from the codes opens the consent or the case');

      // Indistinguishable: with the same clinic code and the same exchange randomness, patient A's
      // and patient B's consent codes agree on every byte outside the sealed days, and in length.
      const ca = fromBase64url(makeConsent(nodeCrypto, a, code, chosen, exchangeRandom).text.slice(5));
      const cb = fromBase64url(makeConsent(nodeCrypto, b, code, chosen, exchangeRandom).text.slice(5));
      assert.equal(ca.length, cb.length);
      assert.deepEqual(ca.subarray(0, 100), cb.subarray(0, 100), 'the clear part does not depend on the patient');
      assert.notDeepEqual(ca.subarray(100), cb.subarray(100));
    },
  ), { numRuns: 12, seed: 18, endOnFailure: true });
});

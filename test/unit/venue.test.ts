/**
 * The venue poster (src/core/codec/venue.ts, src/core/venue.ts): round trip, size, the venue id
 * derived from the key, and every refusal — forged or altered, foreign region, uncertified
 * (no certificate, another role, expired), revoked, malformed (prefix, type, base64, version,
 * truncated, trailing, name, duration) — and the solver's venue rule gives a venue stay the
 * shared building's level.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import encodeQR from 'qr';
import { decodeQR } from 'qr/decode.js';
import { nobleCrypto as c } from '../../src/core/crypto.ts';
import { fromBase64url, toBase64url } from '../../src/core/bytes.ts';
import { CodecError } from '../../src/core/errors.ts';
import { certificateBlock, newRoleKey, revocationBlock } from '../../src/core/blocks.ts';
import { decodeBlock } from '../../src/core/codec/block.ts';
import { Role } from '../../src/core/codec/records.ts';
import { AuthorityState } from '../../src/core/ledger/authority.ts';
import { decodePoster, encodePoster, MAX_POSTER_CHARS, MAX_VENUE_NAME_BYTES, POSTER_PREFIX } from '../../src/core/codec/venue.ts';
import { checkPoster, signPoster, venueIdOf, VenueError } from '../../src/core/venue.ts';
import { ExposureMatcher } from '../../src/core/match.ts';
import { DEFAULT_POLICY, levelFor } from '../../src/core/policy.ts';
import { parseBuildings } from '../../src/core/buildings.ts';
import { Precision, Source, type Stay } from '../../src/core/types.ts';

const NOW = 1_790_000_000;
const root = newRoleKey(c);
const venue = newRoleKey(c);
const clinic = newRoleKey(c);

function authority(opts: { revokeAt?: number; notAfter?: number; region?: number } = {}): AuthorityState {
  const a = new AuthorityState(root.publicKey);
  const add = (b: Uint8Array) => a.apply(decodeBlock(b), c.sha256(b));
  add(certificateBlock(c, root, { serial: c.randomBytes(16), role: Role.VENUE, region: opts.region ?? 1, subject: venue.publicKey, notBefore: NOW - 86_400, notAfter: opts.notAfter ?? NOW + 86_400, name: 'Café Nord' }, { region: 1, timeSec: NOW - 86_400 }));
  add(certificateBlock(c, root, { serial: c.randomBytes(16), role: Role.DIAGNOSTICIAN, region: 1, subject: clinic.publicKey, notBefore: NOW - 86_400, notAfter: NOW + 86_400, name: 'Clinic' }, { region: 1, timeSec: NOW - 86_400 }));
  if (opts.revokeAt !== undefined) add(revocationBlock(c, root, { subject: venue.publicKey, revokedAt: opts.revokeAt, reason: 1 }, { region: 1, timeSec: opts.revokeAt }));
  return a;
}

function refused(fn: () => unknown, code: string): void {
  assert.throws(fn, (e: unknown) => (e instanceof VenueError || e instanceof CodecError) && e.code === code, `expected ${code}`);
}

const poster = () => signPoster(c, venue, { region: 1, name: 'Café Nord', minutes: 60 });
const raw = (text: string) => fromBase64url(text.slice(POSTER_PREFIX.length));
const text = (bytes: Uint8Array) => POSTER_PREFIX + toBase64url(bytes);

test('poster: round trip, signed, certified; the venue id is derived from the key; fits a small QR and reads back', () => {
  const t = poster();
  assert.match(t, /^BTV1:[A-Za-z0-9_-]+$/);
  assert.equal(raw(t).length, 103 + 10); // "Café Nord" is 10 bytes of UTF-8
  const p = checkPoster(c, t, { authority: authority(), region: 1, nowSec: NOW });
  assert.equal(p.name, 'Café Nord');
  assert.equal(p.minutes, 60);
  assert.equal(p.region, 1);
  assert.deepEqual(p.venueKey, venue.publicKey);
  assert.match(p.venueId, /^[0-9a-f]{16}$/);
  assert.equal(p.venueId, venueIdOf(c, venue.publicKey));
  assert.notEqual(venueIdOf(c, clinic.publicKey), p.venueId);
  const longest = signPoster(c, venue, { region: 1, name: 'x'.repeat(MAX_VENUE_NAME_BYTES), minutes: 240 });
  assert.equal(longest.length, MAX_POSTER_CHARS);
  const qr = encodeQR(longest, 'raw', { ecc: 'medium', border: 1 });
  assert.ok(qr.length - 2 <= 61, `version 11 or less, got ${qr.length - 2} modules`);
  const gif = encodeQR(t, 'raw', { ecc: 'medium', border: 4 });
  const w = gif.length;
  const scale = 4;
  const data = new Uint8ClampedArray(w * w * scale * scale * 4);
  for (let y = 0; y < w * scale; y++) for (let x = 0; x < w * scale; x++) {
    const v = gif[Math.floor(y / scale)][Math.floor(x / scale)] ? 0 : 255;
    data.set([v, v, v, 255], (y * w * scale + x) * 4);
  }
  assert.equal(decodeQR({ width: w * scale, height: w * scale, data }), t);
});

test('poster: a forged or altered poster is refused (bad_signature)', () => {
  const b = raw(poster());
  // the name changed after signing
  const renamed = b.slice();
  renamed[39] ^= 0x01;
  refused(() => checkPoster(c, text(renamed), { authority: authority(), region: 1, nowSec: NOW }), 'bad_signature');
  // the default duration changed
  const longer = b.slice();
  longer[37] ^= 0x10;
  refused(() => checkPoster(c, text(longer), { authority: authority(), region: 1, nowSec: NOW }), 'bad_signature');
  // a certified venue's key on a poster signed by another key (a forger without the secret key)
  const forger = newRoleKey(c);
  const forged = decodePoster(signPoster(c, forger, { region: 1, name: 'Café Nord', minutes: 60 }));
  refused(() => checkPoster(c, encodePoster({ ...forged, venueKey: venue.publicKey }), { authority: authority(), region: 1, nowSec: NOW }), 'bad_signature');
});

test('issue 18 finding 7: a poster\'s name must be the name its certificate gives the venue (a certified café cannot call itself "City Hospital")', () => {
  const misnamed = signPoster(c, venue, { region: 1, name: 'City Hospital', minutes: 60 });
  refused(() => checkPoster(c, misnamed, { authority: authority(), region: 1, nowSec: NOW }), 'wrong_name');
  assert.throws(() => checkPoster(c, misnamed, { authority: authority(), region: 1, nowSec: NOW }), /"City Hospital", but the health authority certified its key as "Café Nord"/);
  assert.equal(checkPoster(c, poster(), { authority: authority(), region: 1, nowSec: NOW }).name, 'Café Nord');
});

test('poster: foreign region, uncertified key, another role, expired, revoked', () => {
  refused(() => checkPoster(c, poster(), { authority: authority(), region: 2, nowSec: NOW }), 'foreign_region');
  const r2 = signPoster(c, venue, { region: 2, name: 'Café Nord', minutes: 60 });
  refused(() => checkPoster(c, r2, { authority: authority(), region: 1, nowSec: NOW }), 'foreign_region');
  // certified, but for region 2 only
  refused(() => checkPoster(c, r2, { authority: authority(), region: 2, nowSec: NOW }), 'not_certified');
  assert.equal(checkPoster(c, r2, { authority: authority({ region: 2 }), region: 2, nowSec: NOW }).region, 2);
  const stranger = newRoleKey(c);
  refused(() => checkPoster(c, signPoster(c, stranger, { region: 1, name: 'Pop-up', minutes: 30 }), { authority: authority(), region: 1, nowSec: NOW }), 'not_certified');
  // a diagnostician's key is not a venue
  refused(() => checkPoster(c, signPoster(c, clinic, { region: 1, name: 'Clinic', minutes: 30 }), { authority: authority(), region: 1, nowSec: NOW }), 'not_certified');
  refused(() => checkPoster(c, poster(), { authority: authority({ notAfter: NOW - 1 }), region: 1, nowSec: NOW }), 'not_certified');
  refused(() => checkPoster(c, poster(), { authority: authority({ revokeAt: NOW - 60 }), region: 1, nowSec: NOW }), 'not_certified');
  assert.throws(() => checkPoster(c, poster(), { authority: authority({ revokeAt: NOW - 60 }), region: 1, nowSec: NOW }), /revoked/);
  // revoked later than the scan: still good at scan time
  assert.ok(checkPoster(c, poster(), { authority: authority({ revokeAt: NOW + 60 }), region: 1, nowSec: NOW }));
});

test('poster: malformed input is a CodecError with a stable code', () => {
  const t = poster();
  const b = raw(t);
  refused(() => decodePoster('hello'), 'bad_prefix');
  refused(() => decodePoster(42 as unknown as string), 'bad_prefix');
  refused(() => decodePoster('BTC1:AAAA'), 'wrong_type');
  refused(() => decodePoster('BTV1:***'), 'bad_base64');
  refused(() => decodePoster(text(b.subarray(0, b.length - 1))), 'truncated');
  refused(() => decodePoster(text(new Uint8Array([...b, 0]))), 'trailing');
  const v2 = b.slice();
  v2[0] = 2;
  refused(() => decodePoster(text(v2)), 'version');
  const ty = b.slice();
  ty[1] = 1;
  refused(() => decodePoster(text(ty)), 'wrong_type');
  const zeroMin = b.slice();
  zeroMin[36] = 0;
  zeroMin[37] = 0;
  refused(() => decodePoster(text(zeroMin)), 'range');
  const longName = b.slice();
  longName[38] = MAX_VENUE_NAME_BYTES + 1;
  refused(() => decodePoster(text(longName)), 'range');
  const badUtf8 = b.slice();
  badUtf8[39] = 0xff;
  refused(() => decodePoster(text(badUtf8)), 'not_canonical');
  const ctrl = b.slice();
  ctrl[39] = 0x0a;
  refused(() => decodePoster(text(ctrl)), 'not_canonical');
  refused(() => decodePoster(t + 'A'.repeat(MAX_POSTER_CHARS)), 'range');
  assert.equal(decodePoster(`  ${t}\n`).name, 'Café Nord', 'surrounding white space from a scanner is ignored');
  assert.throws(() => signPoster(c, venue, { region: 1, name: '', minutes: 60 }), RangeError);
  assert.throws(() => signPoster(c, venue, { region: 1, name: 'é'.repeat(33), minutes: 60 }), RangeError);
  assert.throws(() => signPoster(c, venue, { region: 1, name: 'Bar', minutes: 241 }), RangeError);
  assert.throws(() => signPoster(c, venue, { region: 1, name: 'Bar', minutes: 1.5 }), RangeError);
});

test('solver: 30 overlapping minutes at one venue give the level of 30 minutes in one building (default policy: low)', () => {
  const day = 20_000;
  const vid = venueIdOf(c, venue.publicKey);
  const at = (start: number, minutes: number, extra: Partial<Stay>): Stay => ({ start: day * 1440 + start, minutes, latE7: 0, lonE7: 0, radius: 0, source: Source.VENUE_QR, precision: Precision.EXACT, ...extra });
  const patient = [{ ...at(600, 30, { venue: vid }), owner: 'p' }];
  const m = new ExposureMatcher(patient, DEFAULT_POLICY).scan([at(600, 30, { venue: vid })], 'u')!;
  assert.equal(m.venue, 30);
  assert.equal(levelFor(DEFAULT_POLICY, m), 'low');
  assert.equal(new ExposureMatcher(patient, DEFAULT_POLICY).scan([at(600, 30, { venue: venueIdOf(c, clinic.publicKey) })], 'u'), null, 'another venue id does not match');
  assert.equal(levelFor(DEFAULT_POLICY, new ExposureMatcher(patient, DEFAULT_POLICY).scan([at(620, 10, { venue: vid })], 'u')!), 'none', '10 minutes: under the rule');
  // The same 30 minutes inside one building polygon, 60 m apart (beyond every proximity rule).
  const box = { type: 'FeatureCollection', features: [{ type: 'Feature', properties: { name: 'Hall' }, geometry: { type: 'Polygon', coordinates: [[[-4.29, 55.87], [-4.28, 55.87], [-4.28, 55.875], [-4.29, 55.875], [-4.29, 55.87]]] } }] };
  const buildings = parseBuildings(JSON.stringify(box));
  const pos = (lat: number): Partial<Stay> => ({ latE7: Math.round(lat * 1e7), lonE7: Math.round(-4.285 * 1e7), radius: 5, source: Source.GNSS });
  const inBuilding = new ExposureMatcher([{ ...at(600, 30, pos(55.8721)), owner: 'p' }], DEFAULT_POLICY, buildings).scan([at(600, 30, pos(55.8727))], 'u')!;
  assert.equal(inBuilding.venue, 30);
  assert.equal(levelFor(DEFAULT_POLICY, inBuilding), levelFor(DEFAULT_POLICY, m));
});

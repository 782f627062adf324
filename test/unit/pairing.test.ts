/**
 * Guardian pairing (src/core/pairing.ts, src/core/codec/pairing.ts): both sides agree on the
 * short code and keys; a bystander with the QR learns no key; tampering, a second sender and an
 * expired offer are refused; a watch grant names exactly its days; rotation ends an old grant.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { nobleCrypto as c } from '../../src/core/crypto.ts';
import { CodecError, InputError } from '../../src/core/errors.ts';
import { UserKeys, newSeed } from '../../src/core/keys.ts';
import { decodeGrant, decodeOfferText, encodeGrant, OFFER_PREFIX } from '../../src/core/codec/pairing.ts';
import {
  confirmMessage, isConfirmation, newPairingOffer, openGrant, openLinkMessage, pairingScanner, rotateWatch, sealGrant, sealLinkMessage, WatchGrant,
} from '../../src/core/pairing.ts';

const NOW = 1_790_000_000;
const offerArgs = () => ({ mode: 'watch' as const, region: 1, rendezvous: c.randomBytes(16), expires: NOW + 300 });

test('both sides derive the same short code and keys; the grant crosses sealed', () => {
  const r = newPairingOffer(c, offerArgs());
  assert.ok(r.offerText.startsWith(OFFER_PREFIX));
  const offer = decodeOfferText(r.offerText);
  assert.deepEqual(offer, r.offer);
  const s = pairingScanner(c, offer, NOW);
  const rk = r.accept(s.hello, NOW + 1);
  assert.match(rk.sas, /^\d{6}$/);
  assert.equal(rk.sas, s.keys.sas);
  assert.deepEqual(rk.link, s.keys.link);
  assert.ok(isConfirmation(c, s.keys, confirmMessage(c, rk)));
  const keys = new UserKeys(c, newSeed(c));
  const sealed = sealGrant(c, s.keys, { kind: 'watch', generation: 0, fromDay: 20_000, watchKey: keys.watchKey(0) });
  const g = openGrant(c, rk, sealed);
  assert.equal(g.kind, 'watch');
  assert.deepEqual(g.kind === 'watch' && g.watchKey, keys.watchKey(0));
});

test('a bystander who photographed the offer and answers it learns nothing, and the real pair notice', () => {
  const r = newPairingOffer(c, offerArgs());
  const photo = decodeOfferText(r.offerText);
  const bystander = pairingScanner(c, photo, NOW);
  const real = pairingScanner(c, photo, NOW);
  // The receiver takes the first hello (the bystander's) and refuses the real one: start again.
  const rk = r.accept(bystander.hello, NOW);
  assert.throws(() => r.accept(real.hello, NOW), (e: unknown) => e instanceof InputError && e.code === 'second_sender');
  // The real sender's code differs from the receiver's, so the people see a mismatch …
  assert.notEqual(real.keys.sas, rk.sas);
  // … and the real sender never seals to the bystander: a grant sealed by the real sender does not open with the bystander's keys.
  const sealed = sealGrant(c, real.keys, { kind: 'ended', generation: 0, fromDay: 1 });
  assert.throws(() => openGrant(c, bystander.keys, sealed), (e: unknown) => e instanceof InputError && e.code === 'bad_grant');
  // The receiver's confirmation is not a confirmation for the real sender.
  assert.equal(isConfirmation(c, real.keys, confirmMessage(c, rk)), false);
});

test('an altered grant, an expired offer, another QR and a damaged QR are refused with typed errors', () => {
  const r = newPairingOffer(c, offerArgs());
  const s = pairingScanner(c, r.offer, NOW);
  const rk = r.accept(s.hello, NOW);
  const sealed = sealGrant(c, s.keys, { kind: 'ended', generation: 0, fromDay: 5 });
  sealed[3] ^= 1;
  assert.throws(() => openGrant(c, rk, sealed), (e: unknown) => e instanceof InputError && e.code === 'bad_grant');
  assert.throws(() => pairingScanner(c, r.offer, NOW + 301), (e: unknown) => e instanceof InputError && e.code === 'expired');
  const r2 = newPairingOffer(c, offerArgs());
  assert.throws(() => r2.accept(pairingScanner(c, r2.offer, NOW).hello, NOW + 301), (e: unknown) => e instanceof InputError && e.code === 'expired');
  assert.throws(() => decodeOfferText('https://example.org'), (e: unknown) => e instanceof CodecError && e.code === 'not_pairing');
  assert.throws(() => decodeOfferText(r.offerText.slice(0, -4)), (e: unknown) => e instanceof CodecError && e.code === 'truncated');
  assert.throws(() => decodeOfferText(r.offerText + 'AAAA'), (e: unknown) => e instanceof CodecError);
});

test('custody offers: the device whose keys are kept shows the code (mode 3); the retired mode 2 is refused', async () => {
  const { encodeOffer } = await import('../../src/core/codec/pairing.ts');
  const o = newPairingOffer(c, { ...offerArgs(), mode: 'custody' });
  assert.equal(encodeOffer(o.offer)[1], 3);
  assert.equal(decodeOfferText(o.offerText).mode, 'custody');
  const old = encodeOffer(o.offer);
  old[1] = 2;
  const { toBase64url } = await import('../../src/core/bytes.ts');
  assert.throws(() => decodeOfferText(OFFER_PREFIX + toBase64url(old)), (e: unknown) => e instanceof CodecError && /no longer used/.test(e.message));
  // The roles do not change the keys: the scanner keeps nothing here; the grant crosses offerer → scanner.
  const s = pairingScanner(c, o.offer, NOW);
  const ok = o.accept(s.hello, NOW);
  const seed = newSeed(c);
  const g = openGrant(c, s.keys, sealGrant(c, ok, { kind: 'custody', seed, schedule: [{ fromDay: 0, generation: 0 }] }));
  assert.deepEqual(g.kind === 'custody' && g.seed, seed);
  assert.ok(isConfirmation(c, ok, confirmMessage(c, s.keys)), 'the keeper (here the scanner) confirms to the holder');
});

test('grant codec: every kind round-trips; property over random grants', () => {
  const seed = c.randomBytes(32);
  for (const g of [
    { kind: 'watch' as const, generation: 3, fromDay: 20_100, watchKey: c.randomBytes(32) },
    { kind: 'custody' as const, seed, schedule: [{ fromDay: 0, generation: 0 }, { fromDay: 20_000, generation: 1 }] },
    { kind: 'ended' as const, generation: 1, fromDay: 20_200 },
    { kind: 'status' as const, at: 1_790_000_000, lastSyncAt: 1_789_999_000, lastUploadAt: 0 },
  ]) assert.deepEqual(decodeGrant(encodeGrant(g)), g);
  fc.assert(fc.property(fc.uint8Array({ minLength: 0, maxLength: 80 }), (b) => {
    try {
      const g = decodeGrant(b);
      assert.deepEqual(encodeGrant(g), b, 'a grant that decodes re-encodes to the same bytes');
    } catch (e) {
      assert.ok(e instanceof CodecError, `only CodecError, got ${(e as Error).name}`);
    }
  }), { numRuns: 300 });
});

test('a watch grant names exactly its days, the same tags as the dependent; rotation ends it for future days', () => {
  const D = 20_500;
  const seed = newSeed(c);
  let schedule = [{ fromDay: 0, generation: 0 }];
  const dependent = () => new UserKeys(c, seed, schedule);
  const grant = new WatchGrant(c, { grants: [{ generation: 0, fromDay: D - 3, watchKey: dependent().watchKey(0) }] });
  assert.equal(grant.tag(D - 4), null, 'a day before the grant is not covered');
  for (const d of [D - 3, D, D + 10]) assert.deepEqual(grant.tag(d), dependent().watch.tag(d));
  // The dependent ends another guardian's access from day D + 1.
  schedule = rotateWatch(schedule, D + 1);
  assert.deepEqual(schedule, [{ fromDay: 0, generation: 0 }, { fromDay: D + 1, generation: 1 }]);
  const after = dependent();
  assert.deepEqual(grant.tag(D), after.watch.tag(D), 'days before the rotation stay watched');
  assert.notDeepEqual(grant.tag(D + 1), after.watch.tag(D + 1), 'the old key names no day from the rotation on');
  assert.deepEqual(after.notificationSecret(D + 1), after.watch.at(D + 1)!.notificationSecret(D + 1));
  // A guardian who keeps access is handed generation 1 from D + 1: it names every day again (issue 18 finding 1).
  const kept = new WatchGrant(c, { grants: [...grant.grant.grants, { generation: 1, fromDay: D + 1, watchKey: after.watchKey(1) }] });
  for (const d of [D - 3, D, D + 1, D + 10]) assert.deepEqual(kept.tag(d), after.watch.tag(d), `day ${d - D}`);
  assert.throws(() => new WatchGrant(c, { grants: [{ generation: 1, fromDay: D - 3, watchKey: after.watchKey(1) }, { generation: 0, fromDay: D + 1, watchKey: after.watchKey(0) }] }), RangeError);
  // A second rotation on the same day replaces that day's generation.
  assert.deepEqual(rotateWatch(schedule, D + 1), [{ fromDay: 0, generation: 0 }, { fromDay: D + 1, generation: 2 }]);
  assert.throws(() => rotateWatch(schedule, D), RangeError);
  // The guardian, told by an "ended" link message, stops at the rotation day.
  const ended = new WatchGrant(c, { ...grant.grant, untilDay: D + 1 });
  assert.ok(ended.ended);
  assert.equal(ended.tag(D + 1), null);
});

test('link messages open only under the pairing\'s link key', () => {
  const link = c.randomBytes(32);
  const msg = sealLinkMessage(c, link, { kind: 'ended', generation: 0, fromDay: 20_001 });
  assert.deepEqual(openLinkMessage(c, link, msg), { kind: 'ended', generation: 0, fromDay: 20_001 });
  assert.throws(() => openLinkMessage(c, c.randomBytes(32), msg), (e: unknown) => e instanceof InputError && e.code === 'bad_grant');
  assert.throws(() => openLinkMessage(c, link, msg.subarray(0, 10)), InputError);
});

test('a user who never rotated keeps the key schedule of earlier versions (generation 0 = "watch")', () => {
  const seed = newSeed(c);
  const a = new UserKeys(c, seed);
  const b = new UserKeys(c, seed, [{ fromDay: 0, generation: 0 }]);
  assert.deepEqual(a.notificationSecret(20_000), b.notificationSecret(20_000));
  assert.notDeepEqual(a.watchKey(0), a.watchKey(1));
});

/**
 * The engine's venue check-in (src/app/engine/venue.ts over recording.ts) on a real ledger: a
 * certified venue's poster checks in, fixes wait while checked in, checking out by hand or by
 * itself at the poster's default duration records one venue stay of exactly that length, the
 * check-in survives a reload; forged, foreign, uncertified, revoked and malformed posters are
 * refused with their codes and record nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nodeCrypto as c } from '../../src/node/node-crypto.ts';
import { fromBase64url, toBase64url } from '../../src/core/bytes.ts';
import { certificateBlock, newRoleKey, revocationBlock, type RoleKey } from '../../src/core/blocks.ts';
import { UserKeys } from '../../src/core/keys.ts';
import { Ledger } from '../../src/core/ledger/ledger.ts';
import { Role } from '../../src/core/codec/records.ts';
import { Chain, dayOfMs } from '../../src/core/types.ts';
import { signPoster, venueIdOf } from '../../src/core/venue.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { serialQueue, type EngineCtx } from '../../src/app/engine/context.ts';
import { Recording } from '../../src/app/engine/recording.ts';
import { Venue } from '../../src/app/engine/venue.ts';
import { readDay } from '../../src/app/engine/state.ts';
import type { NetNode } from '../../src/net/node.ts';

const REGION = 1;
const MIN = 60_000;

async function world() {
  let nowMs = Date.UTC(2026, 10, 30, 12, 0, 0);
  const now = () => nowMs;
  const root = newRoleKey(c);
  const ledger = new Ledger({ crypto: c, store: new MemoryStore(), rootKey: root.publicKey, region: REGION, now, carries: [Chain.NOTIFICATION] });
  await ledger.open();
  const common = () => ({ region: REGION, timeSec: Math.floor(nowMs / 1000), parents: ledger.tips(Chain.NOTIFICATION) });
  const add = async (b: Uint8Array) => assert.equal((await ledger.add(b)).status, 'added');
  // certified under the name its posters print (a poster's name must be its certificate's)
  const certify = (k: RoleKey, role: number = Role.VENUE, name = 'Café Nord') => add(certificateBlock(c, root, {
    serial: c.randomBytes(16), role: role as 1, region: REGION, subject: k.publicKey, notBefore: Math.floor(nowMs / 1000) - 3600, notAfter: Math.floor(nowMs / 1000) + 86_400, name,
  }, common()));
  const store = new MemoryStore();
  const ctx: EngineCtx = { store, c, now, region: REGION, keys: new UserKeys(c, c.randomBytes(32)), net: { ledger, node: {} as NetNode }, locked: serialQueue(), changed: () => undefined };
  const open = async () => {
    const rec = new Recording(ctx);
    await rec.load('10m');
    const venue = new Venue(ctx, rec);
    await venue.load();
    return { rec, venue };
  };
  return { root, ledger, common, add, certify, ctx, open, advance: (ms: number) => { nowMs += ms; }, now };
}

async function rejects(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => (e as { code?: string }).code === code, `expected ${code}`);
}

test('check in with a certified poster, fixes wait, check out by hand: one venue stay; the check-in survives a reload', async () => {
  const w = await world();
  const cafe = newRoleKey(c);
  await w.certify(cafe);
  const { rec, venue } = await w.open();
  await rec.setOn(true);
  const t0 = w.now();
  const st = await venue.checkIn(signPoster(c, cafe, { region: REGION, name: 'Café Nord', minutes: 60 }));
  assert.deepEqual(st, { venueId: venueIdOf(c, cafe.publicKey), name: 'Café Nord', since: t0, until: t0 + 60 * MIN });
  w.advance(10 * MIN);
  assert.equal(await rec.fix({ t: w.now(), lat: 55.87, lon: -4.28, acc: 5 }), false, 'a fix while checked in is not recorded');
  // a reload: the check-in and its open venue stay come back
  const again = await w.open();
  assert.equal(again.venue.state()?.name, 'Café Nord');
  w.advance(20 * MIN);
  await again.venue.checkOut();
  assert.equal(again.venue.state(), null);
  const day = await readDay(w.ctx.store, dayOfMs(t0));
  assert.deepEqual(day.stays.map((s) => [s.venue, s.minutes]), [[st.venueId, 30]]);
  assert.equal(await again.rec.fix({ t: w.now() + MIN, lat: 55.87, lon: -4.28, acc: 5 }), true, 'after check-out, fixes are recorded again');
});

test('the app checks out by itself at the poster\'s default duration; re-scanning restarts it; pausing ends the check-in', async () => {
  const w = await world();
  const bar = newRoleKey(c);
  await w.certify(bar, Role.VENUE, 'Bar');
  const { rec, venue } = await w.open();
  const t0 = w.now();
  const poster = signPoster(c, bar, { region: REGION, name: 'Bar', minutes: 20 });
  await venue.checkIn(poster);
  w.advance(15 * MIN);
  await venue.expire();
  assert.equal(venue.state()?.name, 'Bar', 'still checked in before the duration');
  await venue.checkIn(poster); // scanned again: 20 more minutes from now, the same stay
  assert.equal(venue.state()?.since, t0);
  w.advance(45 * MIN);
  await venue.expire();
  assert.equal(venue.state(), null);
  const stays = (await readDay(w.ctx.store, dayOfMs(t0))).stays;
  // 35 minutes (cut at 30, as every stay is): ended at the last scan + 20 min, not when the app next looked
  assert.deepEqual(stays.map((s) => [s.venue, s.minutes]), [[venueIdOf(c, bar.publicKey), 30], [venueIdOf(c, bar.publicKey), 5]]);
  await venue.checkIn(poster);
  await rec.setOn(true);
  await rec.setOn(false);
  assert.equal(venue.state(), null, 'pausing closed the venue stay');
});

test('forged, foreign, uncertified, misnamed, revoked and malformed posters are refused and record nothing', async () => {
  const w = await world();
  const cafe = newRoleKey(c);
  const clinic = newRoleKey(c);
  await w.certify(cafe);
  await w.certify(clinic, Role.DIAGNOSTICIAN);
  const { venue } = await w.open();
  const good = signPoster(c, cafe, { region: REGION, name: 'Café Nord', minutes: 60 });
  const raw = fromBase64url(good.slice(5));
  raw[40] ^= 1; // one letter of the name
  await rejects(venue.checkIn(`BTV1:${toBase64url(raw)}`), 'bad_signature');
  await rejects(venue.checkIn(signPoster(c, cafe, { region: 2, name: 'Café Nord', minutes: 60 })), 'foreign_region');
  await rejects(venue.checkIn(signPoster(c, newRoleKey(c), { region: REGION, name: 'Nobody', minutes: 60 })), 'not_certified');
  await rejects(venue.checkIn(signPoster(c, clinic, { region: REGION, name: 'Clinic', minutes: 60 })), 'not_certified');
  // issue 18 finding 7: a certified café signs a poster calling itself "City Hospital"
  await rejects(venue.checkIn(signPoster(c, cafe, { region: REGION, name: 'City Hospital', minutes: 60 })), 'wrong_name');
  await rejects(venue.checkIn('https://example.org/'), 'bad_prefix');
  await rejects(venue.checkIn('BTV1:AQM'), 'truncated');
  await w.add(revocationBlock(c, w.root, { subject: cafe.publicKey, revokedAt: Math.floor(w.now() / 1000) - 1, reason: 1 }, w.common()));
  await rejects(venue.checkIn(good), 'not_certified');
  assert.equal(venue.state(), null);
  assert.deepEqual((await readDay(w.ctx.store, dayOfMs(w.now()))).stays, []);
});

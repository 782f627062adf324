/**
 * Family and care in the app engine (src/app/engine/care.ts) over fake-indexeddb and the in-memory
 * network: a dependent's engine and a guardian's engine pair through the engine protocol (the page
 * would relay the base64url messages through signaling); the guardian sees the dependent's
 * exposure and is told by name; after "End access" the dependent's new exposures reach only the
 * dependent, and the guardian, given the notice, shows access ended. Refusals: a confirmation
 * from another pairing, a tampered grant, an expired code, a code of another region.
 */
import 'fake-indexeddb/auto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nodeCrypto as c } from '../../src/node/node-crypto.ts';
import { fromBase64url, toBase64url, toHex } from '../../src/core/bytes.ts';
import { encodeOfferText, decodeOfferText } from '../../src/core/codec/pairing.ts';
import { UserKeys } from '../../src/core/keys.ts';
import { Chain, dayOfMs } from '../../src/core/types.ts';
import { loadDevice } from '../../src/app/device.ts';
import { openIdbStore } from '../../src/store/idb-store.ts';
import { f, loadAppFixture, newSim, nextDb, notification, openApp, runUntil, type App } from './app-fixture.ts';

test.before(loadAppFixture);

type Offer = { pairing: string; offerText: string; expires: number };
type Scan = { pairing: string; hello: string; sas: string; rendezvous: string; region: number; mode: string };

/** Pair `guardian` (receiver) with `dependent` (sender) the way the two screens would. */
async function pair(guardian: App, dependent: App, mode: 'watch' | 'custody', labels = { ofDependent: 'Grandpa', ofGuardian: 'Anna' }) {
  const rendezvous = toHex(c.randomBytes(16));
  const offer = await guardian.send<Offer>({ type: 'pair-offer', mode, rendezvous });
  const scan = await dependent.send<Scan>({ type: 'pair-scan', offerText: offer.offerText });
  assert.equal(scan.rendezvous, rendezvous, 'the sender learns where to relay its hello');
  const { sas } = await guardian.send<{ sas: string }>({ type: 'pair-hello', pairing: offer.pairing, hello: scan.hello });
  assert.equal(sas, scan.sas, 'both screens show the same six digits');
  const { confirm } = await guardian.send<{ confirm: string }>({ type: 'pair-confirm', pairing: offer.pairing });
  const { sealed } = await dependent.send<{ sealed: string }>({ type: 'pair-send', pairing: scan.pairing, confirm, label: labels.ofGuardian });
  const { dependent: id } = await guardian.send<{ dependent: string }>({ type: 'pair-grant', pairing: offer.pairing, sealed, label: labels.ofDependent });
  return { id, offer, scan, sealed };
}

test('watch: the guardian sees the dependent\'s exposure by name; after "End access" nothing new, and it is told', async () => {
  const sim = newSim(11);
  const full = await sim.addNode('f1', 'full', { preload: f.ca });
  const depDb = nextDb('care-dep');
  const dep = await openApp(sim, depDb, 'td');
  const guard = await openApp(sim, nextDb('care-guard'), 'tg');
  await runUntil(sim, () => dep.node().node.peers().length > 0 && guard.node().node.peers().length > 0);
  const { id } = await pair(guard, dep, 'watch');

  let g = await guard.engine.refresh();
  assert.equal(g.care.dependents.length, 1);
  assert.equal(g.care.dependents[0].lastSyncAt, null);
  assert.equal(g.care.dependents[0].label, 'Grandpa');
  assert.equal(g.care.dependents[0].status, 'none');
  let d = await dep.engine.refresh();
  assert.deepEqual(d.care.guardians.map((x) => [x.label, x.mode, x.endedFrom]), [['Anna', 'watch', null]]);

  // Both devices derive today's care room; the dependent's heartbeat tells the guardian its last sync.
  type Room = { room: string; id: string; side: string };
  const depRooms = await dep.send<Room[]>({ type: 'care-rooms' });
  const guardRooms = await guard.send<Room[]>({ type: 'care-rooms' });
  assert.equal(depRooms.length, 1);
  assert.match(depRooms[0].room, /^beeptrace\/v1\/care\/[0-9a-f]{32}$/);
  assert.deepEqual(guardRooms.map((r) => [r.room, r.id, r.side]), [[depRooms[0].room, id, 'guardian']]);
  assert.equal(depRooms[0].side, 'dependent');
  await runUntil(sim, () => dep.node().node.syncProgress().some((x) => x.lastSyncAt !== null));
  const [beat] = await dep.send<string[]>({ type: 'care-outgoing', id: depRooms[0].id });
  assert.deepEqual(await guard.send({ type: 'care-message', id, message: beat }), { kind: 'status' });
  g = await guard.engine.refresh();
  assert.ok(g.care.dependents[0].lastSyncAt !== null && g.care.dependents[0].lastSyncAt <= sim.net.now(), 'last sync reported');
  assert.equal(g.care.dependents[0].lastUploadAt, null, 'nothing uploaded yet');

  // The dependent is named in a notification: both see it; the guardian is told by its own label.
  const day = dayOfMs(sim.net.now()) - 1;
  const depKeys = (await loadDevice(dep.store, c)).keys;
  await full.node.publish(notification(sim, day, 2, [depKeys.watch.tag(day)!], full));
  assert.ok(await runUntil(sim, () => guard.events.some((e) => e.type === 'dependent-at-risk')));
  const told = guard.events.find((e) => e.type === 'dependent-at-risk');
  assert.deepEqual(told, { type: 'dependent-at-risk', id, label: 'Grandpa', level: 'high', day });
  g = await guard.engine.refresh();
  assert.equal(g.care.dependents[0].status, 'high');
  assert.deepEqual(g.care.dependents[0].alerts, [{ day, level: 'high' }]);
  assert.equal((await dep.engine.refresh()).exposure.status, 'high', 'the dependent sees it too');
  assert.equal(g.exposure.status, 'none', 'the guardian\'s own status is its own');

  // The dependent ends the guardian's access; nothing of today left the device, so from today.
  const guardianId = d.care.guardians[0].id;
  const today = dayOfMs(sim.net.now());
  const ended = await dep.send<{ fromDay: number; notice: string }>({ type: 'end-guardian', id: guardianId });
  assert.equal(ended.fromDay, today);
  d = await dep.engine.refresh();
  assert.equal(d.care.guardians[0].endedFrom, today);
  const rotated = (await loadDevice(dep.store, c)).keys;
  assert.notDeepEqual(rotated.watch.tag(today), depKeys.watch.tag(today), 'a new watch-key generation from today');
  assert.deepEqual(rotated.watch.tag(day), depKeys.watch.tag(day), 'earlier days unchanged');

  // An exposure of the dependent today (as a solver now computes it): the dependent sees it, the guardian does not.
  const before = guard.node().ledger.count(Chain.NOTIFICATION);
  await full.node.publish(notification(sim, today, 1, [rotated.watch.tag(today)!], full));
  assert.ok(await runUntil(sim, () => guard.node().ledger.count(Chain.NOTIFICATION) > before && dep.node().ledger.count(Chain.NOTIFICATION) > before));
  assert.ok(await runUntil(sim, () => dep.events.filter((e) => e.type === 'new-exposure').length === 2));
  await runUntil(sim, () => false, 2_000);
  g = await guard.engine.refresh();
  assert.deepEqual(g.care.dependents[0].alerts, [{ day, level: 'high' }], 'the guardian sees nothing new');
  assert.equal(guard.events.filter((e) => e.type === 'dependent-at-risk').length, 1);

  // The notice reaches the guardian in the care room: it shows that access ended, and from which day,
  // and stops joining that room.
  const [notice] = await dep.send<string[]>({ type: 'care-outgoing', id: guardianId });
  assert.deepEqual(await guard.send({ type: 'care-message', id, message: notice }), { kind: 'ended' });
  assert.deepEqual(await guard.send({ type: 'care-message', id, message: ended.notice }), { kind: 'ended' }, 'the same notice twice changes nothing');
  g = await guard.engine.refresh();
  assert.equal(g.care.dependents[0].endedFrom, today);
  assert.deepEqual(await guard.send({ type: 'care-rooms' }), []);
  // A notice of another pairing is refused and changes nothing.
  await assert.rejects(guard.send({ type: 'care-message', id, message: toBase64url(c.randomBytes(40)) }), (e: { code?: string }) => e.code === 'bad_grant');

  // A reload keeps the rotation: the dependent's own keys still use the new generation today.
  await dep.engine.close();
  const reopened = await openIdbStore(depDb);
  const again = (await loadDevice(reopened, c)).keys;
  assert.deepEqual(again.watch.tag(today), rotated.watch.tag(today));
  await reopened.close();
  await guard.engine.close();
});

test('custody: the receiving device holds the whole key and matches every day like the dependent', async () => {
  const sim = newSim(12);
  const full = await sim.addNode('f1', 'full', { preload: f.ca });
  const dep = await openApp(sim, nextDb('care-cdep'), 'td');
  const guard = await openApp(sim, nextDb('care-cguard'), 'tg');
  await runUntil(sim, () => dep.node().node.peers().length > 0 && guard.node().node.peers().length > 0);
  await pair(guard, dep, 'custody', { ofDependent: 'Watch of Grandpa', ofGuardian: 'Anna' });
  const keys: UserKeys = (await loadDevice(dep.store, c)).keys;
  const day = dayOfMs(sim.net.now()) - 20; // older than a watch grant covers; custody holds the seed
  await full.node.publish(notification(sim, day, 1, [keys.watch.tag(day)!], full));
  assert.ok(await runUntil(sim, () => guard.events.some((e) => e.type === 'dependent-at-risk')));
  const g = await guard.engine.refresh();
  assert.equal(g.care.dependents[0].mode, 'custody');
  assert.deepEqual(g.care.dependents[0].alerts, [{ day, level: 'low' }]);
  await dep.engine.close();
  await guard.engine.close();
});

test('refusals: another pairing\'s confirmation, a tampered grant, an expired code, another region\'s code', async () => {
  const sim = newSim(13);
  await sim.addNode('f1', 'full', { preload: f.ca });
  const dep = await openApp(sim, nextDb('care-rdep'), 'td');
  const guard = await openApp(sim, nextDb('care-rguard'), 'tg');
  const code = (e: unknown) => (e as { code?: string }).code;

  // Two pairings at once: the confirmation of one does not unlock the other.
  const o1 = await guard.send<Offer>({ type: 'pair-offer', mode: 'watch', rendezvous: toHex(c.randomBytes(16)) });
  const o2 = await guard.send<Offer>({ type: 'pair-offer', mode: 'watch', rendezvous: toHex(c.randomBytes(16)) });
  const s1 = await dep.send<Scan>({ type: 'pair-scan', offerText: o1.offerText });
  const s2 = await dep.send<Scan>({ type: 'pair-scan', offerText: o2.offerText });
  await guard.send({ type: 'pair-hello', pairing: o1.pairing, hello: s1.hello });
  await guard.send({ type: 'pair-hello', pairing: o2.pairing, hello: s2.hello });
  const { confirm: c1 } = await guard.send<{ confirm: string }>({ type: 'pair-confirm', pairing: o1.pairing });
  await assert.rejects(dep.send({ type: 'pair-send', pairing: s2.pairing, confirm: c1, label: 'X' }), (e) => code(e) === 'not_confirmed');
  // A tampered grant does not open; nothing is kept.
  const { sealed } = await dep.send<{ sealed: string }>({ type: 'pair-send', pairing: s1.pairing, confirm: c1, label: 'X' });
  const bad = fromBase64url(sealed);
  bad[5] ^= 1;
  await assert.rejects(guard.send({ type: 'pair-grant', pairing: o1.pairing, sealed: toBase64url(bad), label: 'Y' }), (e) => code(e) === 'bad_grant');
  assert.equal((await guard.engine.refresh()).care.dependents.length, 0);

  // A second hello for the same code ends that pairing (someone else answered it): start again.
  await assert.rejects(guard.send({ type: 'pair-hello', pairing: o2.pairing, hello: s1.hello }), (e) => code(e) === 'second_sender');
  await assert.rejects(guard.send({ type: 'pair-confirm', pairing: o2.pairing }), (e) => code(e) === 'no_pairing');

  // Expired: the code is refused by the scanner after five minutes.
  const o3 = await guard.send<Offer>({ type: 'pair-offer', mode: 'watch', rendezvous: toHex(c.randomBytes(16)) });
  await sim.net.run(sim.net.now() + 301_000);
  await assert.rejects(dep.send({ type: 'pair-scan', offerText: o3.offerText }), (e) => code(e) === 'expired');
  // Another region's code and a QR that is not a pairing code.
  const foreign = encodeOfferText({ ...decodeOfferText(o3.offerText), region: f.w.region + 1, expires: Math.floor(sim.net.now() / 1000) + 300 });
  await assert.rejects(dep.send({ type: 'pair-scan', offerText: foreign }), (e) => code(e) === 'bad_code');
  await assert.rejects(dep.send({ type: 'pair-scan', offerText: 'https://example.org/' }), (e) => code(e) === 'bad_code');
  await dep.engine.close();
  await guard.engine.close();
});

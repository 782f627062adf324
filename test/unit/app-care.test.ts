/**
 * Family and care in the app engine (src/app/engine/care.ts, care-relay.ts): dependents' and
 * guardians' engines pair through the real signaling server (WebSocket, in-process) while their
 * nodes run on the in-memory network. Covered: both screens show the same six digits; the guardian
 * sees the dependent's exposure and is told by its own label; care-room heartbeats carry the last
 * sync, and an upload reaches the guardian at once; after "End access" the guardians who keep
 * access get the new watch key and still see the dependent's exposures, the ended one is told,
 * forgets the key and sees nothing new (not even a later-found exposure of an earlier day); custody
 * is paired by the dependent's device showing the code, and cannot be ended by a rotation
 * (refused, with the way out said); "End access" says its day before it is asked; refusals (digits
 * that do not match, an expired, foreign or other kind of code, a second device answering — said
 * on every screen involved, no signaling).
 */
import 'fake-indexeddb/auto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { nodeCrypto as c } from '../../src/node/node-crypto.ts';
import { encodeOfferText, decodeOfferText } from '../../src/core/codec/pairing.ts';
import { Chain, dayOfMs } from '../../src/core/types.ts';
import { SignalingClient, type WebSocketCtor } from '../../src/net/webrtc/signaling-client.ts';
import { startSignalingServer, type SignalingServer } from '../../signaling/server.ts';
import { loadDevice } from '../../src/app/device.ts';
import { openIdbStore } from '../../src/store/idb-store.ts';
import type { AppState, PairingProgress } from '../../src/app/protocol.ts';
import { pairRoom } from '../../src/app/engine/care-relay.ts';
import { f, loadAppFixture, newSim, nextDb, notification, openApp, runUntil, waitFor, walk, type App } from './app-fixture.ts';

let server: SignalingServer;
test.before(async () => {
  await loadAppFixture();
  server = await startSignalingServer({ port: 0, limits: {} });
});
test.after(() => server.close());

const signal = () => (rooms: string[]) => new SignalingClient({ url: server.url, rooms: [...rooms], WebSocketImpl: WebSocket as unknown as WebSocketCtor, minBackoffMs: 50, maxBackoffMs: 200 });
const code = (e: unknown) => (e as { code?: string }).code;

/** Poll the engine's state (real time: signaling is real) until `cond` holds. */
async function until(app: App, cond: (s: AppState) => boolean, what: string, ms = 5_000): Promise<AppState> {
  const end = Date.now() + ms;
  for (;;) {
    const s = await app.engine.refresh();
    if (cond(s)) return s;
    if (Date.now() > end) assert.fail(`${what}: still ${JSON.stringify(s.care.pairing)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
const stage = (s: AppState) => s.care.pairing?.stage;

/**
 * Pair `guardian` with `dependent` as the two screens would. Watch: the guardian shows a code ("Look
 * after someone") and the dependent scans it ("Let someone look after me"). Custody: the
 * dependent's device shows it ("Let someone keep my keys", or a watch's page) and the guardian
 * scans it ("Keep someone's keys").
 */
async function pair(guardian: App, dependent: App, mode: 'watch' | 'custody', labels = { ofDependent: 'Grandpa', ofGuardian: 'Anna' }) {
  const [shows, scans] = mode === 'watch' ? [guardian, dependent] : [dependent, guardian];
  await shows.send({ type: 'pair-start', mode });
  const shown = await until(shows, (s) => stage(s) === 'show-code', 'a code is shown');
  const offerText = (shown.care.pairing as Extract<PairingProgress, { stage: 'show-code' }>).offerText;
  await scans.send({ type: 'pair-scan', offerText, mode });
  const dSas = await until(dependent, (s) => stage(s) === 'compare', 'the dependent shows digits');
  const gSas = await until(guardian, (s) => stage(s) === 'compare', 'the guardian shows digits');
  const digits = (s: AppState) => (s.care.pairing as { sas: string }).sas;
  assert.match(digits(gSas), /^\d{6}$/);
  assert.equal(digits(gSas), digits(dSas), 'both screens show the same six digits');
  assert.deepEqual([gSas.care.pairing!.role, dSas.care.pairing!.role], ['keeper', 'holder']);
  await dependent.send({ type: 'pair-confirm', label: labels.ofGuardian });
  await guardian.send({ type: 'pair-confirm', label: labels.ofDependent });
  await until(guardian, (s) => stage(s) === 'done', 'the guardian is done');
  await until(dependent, (s) => stage(s) === 'done', 'the dependent is done');
  await guardian.send({ type: 'pair-cancel' });
  await dependent.send({ type: 'pair-cancel' });
  return offerText;
}

async function twoApps(seed: number, prefix: string, guardians = 1) {
  const sim = newSim(seed);
  const full = await sim.addNode('f1', 'full', { preload: f.ca });
  const depDb = nextDb(`${prefix}-dep`);
  const dep = await openApp(sim, depDb, 'td', undefined, undefined, { signal: signal() });
  const all: App[] = [];
  for (let i = 0; i < guardians; i++) all.push(await openApp(sim, nextDb(`${prefix}-guard${i}`), `tg${i}`, undefined, undefined, { signal: signal() }));
  await runUntil(sim, () => dep.node().node.peers().length > 0 && all.every((g) => g.node().node.peers().length > 0));
  return { sim, full, dep, guard: all[0], guards: all, depDb };
}

test('watch: the guardian sees the dependent\'s exposure by name, hears its last sync; after "End access" nothing new, and it is told', async () => {
  const { sim, full, dep, guard, depDb } = await twoApps(11, 'care');
  await pair(guard, dep, 'watch');
  let g = await guard.engine.refresh();
  assert.deepEqual(g.care.dependents.map((x) => [x.label, x.mode, x.status, x.endedFrom]), [['Grandpa', 'watch', 'none', null]]);
  const id = g.care.dependents[0].id;
  let d = await dep.engine.refresh();
  assert.deepEqual(d.care.guardians.map((x) => [x.label, x.mode, x.endedFrom]), [['Anna', 'watch', null]]);

  // The two meet in today's care room: the dependent's heartbeat tells the guardian its last sync.
  g = await until(guard, (s) => s.care.dependents[0].lastSyncAt !== null, 'a heartbeat with the last sync');
  assert.ok(g.care.dependents[0].lastSyncAt! <= sim.net.now());
  assert.equal(g.care.dependents[0].lastUploadAt, null, 'nothing uploaded yet');

  // The dependent is named in a notification: both see it; the guardian is told by its own label.
  const day = dayOfMs(sim.net.now()) - 1;
  const depKeys = (await loadDevice(dep.store, c)).keys;
  await full.node.publish(notification(sim, day, 2, [depKeys.watch.tag(day)!], full));
  assert.ok(await runUntil(sim, () => guard.events.some((e) => e.type === 'dependent-at-risk')));
  assert.deepEqual(guard.events.find((e) => e.type === 'dependent-at-risk'), { type: 'dependent-at-risk', id, label: 'Grandpa', level: 'high', day });
  g = await guard.engine.refresh();
  assert.equal(g.care.dependents[0].status, 'high');
  assert.deepEqual(g.care.dependents[0].alerts, [{ day, level: 'high' }]);
  assert.equal((await dep.engine.refresh()).exposure.status, 'high', 'the dependent sees it too');
  assert.equal(g.exposure.status, 'none', 'the guardian\'s own status is its own');

  // The dependent ends the guardian's access; nothing of today left the device, so from today.
  const today = dayOfMs(sim.net.now());
  assert.deepEqual(await dep.send({ type: 'end-guardian', id: d.care.guardians[0].id }), { fromDay: today });
  d = await dep.engine.refresh();
  assert.equal(d.care.guardians[0].endedFrom, today);
  const rotated = (await loadDevice(dep.store, c)).keys;
  assert.notDeepEqual(rotated.watch.tag(today), depKeys.watch.tag(today), 'a new watch-key generation from today');
  assert.deepEqual(rotated.watch.tag(day), depKeys.watch.tag(day), 'earlier days unchanged');

  // The guardian is told in the care room at once (it is there), or when they next meet.
  g = await until(guard, (s) => s.care.dependents[0].endedFrom === today, 'the guardian learns that access ended', 10_000);

  // An exposure of the dependent today (as a solver now computes it): the dependent sees it, the guardian does not.
  const before = guard.node().ledger.count(Chain.NOTIFICATION);
  await full.node.publish(notification(sim, today, 1, [rotated.watch.tag(today)!], full));
  assert.ok(await runUntil(sim, () => guard.node().ledger.count(Chain.NOTIFICATION) > before && dep.events.filter((e) => e.type === 'new-exposure').length === 2));
  await runUntil(sim, () => false, 2_000);
  g = await guard.engine.refresh();
  assert.deepEqual(g.care.dependents[0].alerts, [{ day, level: 'high' }], 'the guardian sees nothing new');
  assert.equal(guard.events.filter((e) => e.type === 'dependent-at-risk').length, 1);

  // A reload keeps the rotation.
  await dep.engine.close();
  const reopened = await openIdbStore(depDb);
  assert.deepEqual((await loadDevice(reopened, c)).keys.watch.tag(today), rotated.watch.tag(today));
  await reopened.close();
  await guard.engine.close();
});

test('issue 18 finding 8 (custody): the device whose keys are kept shows the code and the guardian scans it; the guardian then matches every day like the dependent; a code of the other kind is refused', async () => {
  const { sim, full, dep, guard } = await twoApps(12, 'custody');
  // "Keep someone's keys" scanning a guardian's "Look after someone" code would hand this phone's own key over: refused.
  const other = await openApp(sim, nextDb('custody-other'), 'to', undefined, undefined, { signal: signal() });
  await other.send({ type: 'pair-start', mode: 'watch' });
  const watchCode = ((await until(other, (s) => stage(s) === 'show-code', 'a watch code')).care.pairing as { offerText: string }).offerText;
  await assert.rejects(guard.send({ type: 'pair-scan', offerText: watchCode, mode: 'custody' }), (e) => code(e) === 'wrong_mode');
  await other.send({ type: 'pair-cancel' });
  await pair(guard, dep, 'custody', { ofDependent: 'Grandpa\'s watch', ofGuardian: 'Anna' });
  const keys = (await loadDevice(dep.store, c)).keys;
  const day = dayOfMs(sim.net.now()) - 20; // older than a watch grant covers; custody holds the seed
  await full.node.publish(notification(sim, day, 1, [keys.watch.tag(day)!], full));
  assert.ok(await runUntil(sim, () => guard.events.some((e) => e.type === 'dependent-at-risk')));
  const g = await guard.engine.refresh();
  assert.deepEqual(g.care.dependents.map((x) => [x.label, x.mode]), [['Grandpa\'s watch', 'custody']]);
  assert.deepEqual(g.care.dependents[0].alerts, [{ day, level: 'low' }]);
  assert.deepEqual((await dep.engine.refresh()).care.guardians.map((x) => [x.label, x.mode]), [['Anna', 'custody']]);
  // "Let someone look after me" scanning a custody code (a device handing its keys over): refused too.
  await dep.send({ type: 'pair-start', mode: 'custody' });
  const custodyCode = ((await until(dep, (s) => stage(s) === 'show-code', 'a custody code')).care.pairing as { offerText: string }).offerText;
  await assert.rejects(other.send({ type: 'pair-scan', offerText: custodyCode, mode: 'watch' }), (e) => code(e) === 'wrong_mode');
  await dep.send({ type: 'pair-cancel' });
  await other.engine.close();
  await dep.engine.close();
  await guard.engine.close();
});

test('issue 18 finding 2: "End access" for a guardian who keeps the whole key is refused (custody_end), saying what to do; nothing is rotated or sent', async () => {
  const { dep, guard } = await twoApps(15, 'custody-end');
  await pair(guard, dep, 'custody');
  const before = (await loadDevice(dep.store, c)).keys.watch.entries.length;
  const g = (await dep.engine.refresh()).care.guardians[0];
  await assert.rejects(dep.send({ type: 'end-guardian', id: g.id }), (e) => code(e) === 'custody_end' && /erase everything on this device/.test((e as Error).message));
  assert.equal((await loadDevice(dep.store, c)).keys.watch.entries.length, before, 'the watch key did not rotate');
  assert.equal((await dep.engine.refresh()).care.guardians[0].endedFrom, null, 'the guardian is not shown as ended');
  await dep.engine.close();
  await guard.engine.close();
});

test('issue 18 finding 1: after "End access" for one of three guardians, the two who keep access get the new key and see the dependent\'s exposure from that day; the ended one is told, forgets the key and sees nothing new — not even an earlier day\'s exposure found later', async () => {
  const { sim, full, dep, guards } = await twoApps(16, 'three', 3);
  const names = ['Anna', 'Ben', 'Cleo'];
  for (const [i, g] of guards.entries()) await pair(g, dep, 'watch', { ofDependent: 'Grandpa', ofGuardian: names[i] });
  const d = await dep.engine.refresh();
  const cleo = d.care.guardians.find((x) => x.label === 'Cleo')!;
  const today = dayOfMs(sim.net.now());
  assert.equal(d.care.endFrom, today, 'nothing of today has left: the end takes effect today');
  assert.deepEqual(await dep.send({ type: 'end-guardian', id: cleo.id }), { fromDay: today });
  const rotated = (await loadDevice(dep.store, c)).keys;
  // Cleo is told (and forgets the key); Anna and Ben are handed generation 1 in their care rooms.
  await until(guards[2], (s) => s.care.dependents[0]?.endedFrom === today, 'Cleo learns that access ended', 15_000);
  // The dependent is exposed today (as a solver computes it: under the new key) …
  const before = guards.map((g) => g.node().ledger.count(Chain.NOTIFICATION));
  await full.node.publish(notification(sim, today, 2, [rotated.watch.tag(today)!], full));
  assert.ok(await runUntil(sim, () => guards.every((g, i) => g.node().ledger.count(Chain.NOTIFICATION) > before[i])), 'every guardian holds the notification');
  // … Anna and Ben see it with the day (the new key may reach them after the notification: they match again then).
  for (const g of guards.slice(0, 2)) {
    const s = await until(g, (x) => x.care.dependents[0]?.alerts.some((a) => a.day === today && a.level === 'high'), 'a guardian who keeps access sees today\'s exposure', 15_000);
    assert.equal(s.care.dependents[0].status, 'high');
    assert.ok(g.events.some((e) => e.type === 'dependent-at-risk' && e.day === today && e.label === 'Grandpa'));
  }
  // … and an exposure of yesterday, found later (the old key's day): Anna and Ben see it, Cleo does not.
  const before2 = guards.map((g) => g.node().ledger.count(Chain.NOTIFICATION));
  await full.node.publish(notification(sim, today - 1, 1, [rotated.watch.tag(today - 1)!], full));
  assert.ok(await runUntil(sim, () => guards.every((g, i) => g.node().ledger.count(Chain.NOTIFICATION) > before2[i])), 'every guardian holds it');
  for (const g of guards.slice(0, 2)) await until(g, (x) => x.care.dependents[0]?.alerts.some((a) => a.day === today - 1), 'yesterday\'s exposure for a guardian who keeps access', 15_000);
  await runUntil(sim, () => false, 2_000);
  const c3 = await guards[2].engine.refresh();
  assert.deepEqual(c3.care.dependents[0].alerts, [], 'the ended guardian sees nothing after the end');
  assert.equal(guards[2].events.filter((e) => e.type === 'dependent-at-risk').length, 0);
  assert.equal((await dep.engine.refresh()).exposure.status, 'high', 'the dependent sees it too');
  for (const g of [dep, ...guards]) await g.engine.close();
});

test('issue 18 finding 8: "End access" says the day it takes effect before it is asked: tomorrow once today\'s records left', async () => {
  const { sim, dep, guard } = await twoApps(17, 'end-day');
  await pair(guard, dep, 'watch');
  const today = dayOfMs(sim.net.now());
  assert.equal((await dep.engine.refresh()).care.endFrom, today);
  await dep.send({ type: 'finish-first-run', precision: '10m', uploadPolicy: 'asap', lang: 'en' });
  await dep.send({ type: 'set-recording', on: true });
  await walk(dep, today);
  assert.ok((await dep.send<{ sealed: number }>({ type: 'upload-now' })).sealed >= 1, 'today\'s closed stays left the device');
  assert.equal((await dep.engine.refresh()).care.endFrom, today + 1, 'the screen can say "from tomorrow" before asking');
  const g = (await dep.engine.refresh()).care.guardians[0];
  assert.deepEqual(await dep.send({ type: 'end-guardian', id: g.id }), { fromDay: today + 1 });
  await dep.engine.close();
  await guard.engine.close();
});

test('issue 18 finding 8: an upload reaches the guardian\'s card at once, not at the next ten-minute heartbeat', async () => {
  const { sim, full, dep, guard } = await twoApps(18, 'upload-push');
  await pair(guard, dep, 'watch');
  await until(guard, (s) => s.care.dependents[0]?.lastSyncAt !== null, 'the first heartbeat', 10_000);
  assert.equal((await guard.engine.refresh()).care.dependents[0].lastUploadAt, null);
  const yesterday = dayOfMs(sim.net.now()) - 1;
  await dep.send({ type: 'finish-first-run', precision: '10m', uploadPolicy: 'asap', lang: 'en' });
  await dep.send({ type: 'set-recording', on: true });
  await walk(dep, yesterday);
  await dep.send({ type: 'set-recording', on: false });
  assert.ok((await dep.send<{ sealed: number }>({ type: 'upload-now' })).sealed >= 1);
  assert.ok(await runUntil(sim, () => full.ledger.count(Chain.TRACING) >= 1), 'the batch reached the full node');
  const s = await until(guard, (x) => x.care.dependents[0]?.lastUploadAt !== null, 'the guardian hears of the upload (the heartbeat is every 10 minutes)', 10_000);
  assert.ok(s.care.dependents[0].lastUploadAt! <= sim.net.now());
  await dep.engine.close();
  await guard.engine.close();
});

test('refusals: digits that differ, an expired or foreign code, a second device answering (said on both screens); nothing is kept', async () => {
  const { sim, dep, guard } = await twoApps(13, 'refuse');
  // The person sees different digits and cancels: nothing is kept on either side.
  await guard.send({ type: 'pair-start', mode: 'watch' });
  let s = await until(guard, (x) => stage(x) === 'show-code', 'a code');
  const offerText = (s.care.pairing as { offerText: string }).offerText;
  await dep.send({ type: 'pair-scan', offerText });
  await until(dep, (x) => stage(x) === 'compare', 'digits');
  await dep.send({ type: 'pair-cancel' });
  await guard.send({ type: 'pair-cancel' });
  assert.equal((await dep.engine.refresh()).care.pairing, null);
  assert.equal((await dep.engine.refresh()).care.guardians.length, 0);
  assert.equal((await guard.engine.refresh()).care.dependents.length, 0);

  // A second device answers the same code: the device showing it stops, and so does the one that
  // answered first — both screens say the code was spoiled (issue 18 finding 8).
  await guard.send({ type: 'pair-start', mode: 'watch' });
  s = await until(guard, (x) => stage(x) === 'show-code', 'a new code');
  const text2 = (s.care.pairing as { offerText: string }).offerText;
  const offer = decodeOfferText(text2);
  await dep.send({ type: 'pair-scan', offerText: text2 });
  await until(guard, (x) => stage(x) === 'compare', 'digits');
  const intruder = signal()([pairRoom(offer.region)]);
  const told: unknown[] = [];
  intruder.onSignal = (_r, _from, data) => told.push(data);
  intruder.onPeers = () => intruder.signal(pairRoom(offer.region), Buffer.from(offer.rendezvous).toString('hex'), { bt: 'pair', m: 'AAAA' });
  intruder.start();
  s = await until(guard, (x) => stage(x) === 'failed', 'the device showing the code stops');
  assert.equal((s.care.pairing as { code: string }).code, 'second_sender');
  const ds = await until(dep, (x) => stage(x) === 'failed', 'the device that answered first stops too, instead of showing digits');
  assert.equal((ds.care.pairing as { code: string }).code, 'second_sender');
  await waitFor(() => told.length > 0);
  assert.deepEqual(told, [{ bt: 'pair', abort: 'second_sender' }], 'the second device is told as well');
  intruder.stop();
  await dep.send({ type: 'pair-cancel' });
  await guard.send({ type: 'pair-cancel' });
  assert.deepEqual([(await dep.engine.refresh()).care.guardians.length, (await guard.engine.refresh()).care.dependents.length], [0, 0], 'nothing kept');

  // Expired and foreign codes are refused by the scanner before anything is sent.
  await sim.net.run(sim.net.now() + 301_000);
  await assert.rejects(dep.send({ type: 'pair-scan', offerText }), (e) => code(e) === 'expired');
  const foreign = encodeOfferText({ ...decodeOfferText(offerText), region: f.w.region + 1, expires: Math.floor(sim.net.now() / 1000) + 300 });
  await assert.rejects(dep.send({ type: 'pair-scan', offerText: foreign }), (e) => code(e) === 'bad_code');
  await assert.rejects(dep.send({ type: 'pair-scan', offerText: 'https://example.org/' }), (e) => code(e) === 'bad_code');
  assert.equal((await guard.engine.refresh()).care.dependents.length, 0);
  await dep.engine.close();
  await guard.engine.close();
});

test('without a signaling server, pairing says so instead of waiting forever', async () => {
  const sim = newSim(14);
  await sim.addNode('f1', 'full', { preload: f.ca });
  const app = await openApp(sim, nextDb('care-offline'), 'to');
  await assert.rejects(app.send({ type: 'pair-start', mode: 'watch' }), (e) => code(e) === 'offline');
  await app.engine.close();
});

test('a guardian keeps the generations it is handed in any order of arrival; a same-day rotation replaces that day\'s; duplicates and misfits add nothing', async () => {
  const { mergeGrant } = await import('../../src/app/engine/care.ts');
  const k = (generation: number, fromDay: number) => ({ generation, fromDay, watchKey: String(generation).repeat(64).slice(0, 64) });
  const start = [k(0, 100)];
  const later = mergeGrant(start, k(2, 120))!;
  assert.deepEqual(later.map((x) => [x.generation, x.fromDay]), [[0, 100], [2, 120]]);
  assert.deepEqual(mergeGrant(later, k(1, 110))!.map((x) => [x.generation, x.fromDay]), [[0, 100], [1, 110], [2, 120]], 'generation 1 arriving after 2 still fits');
  assert.equal(mergeGrant(later, k(2, 120)), null, 'already held');
  assert.deepEqual(mergeGrant(later, k(3, 120))!.map((x) => [x.generation, x.fromDay]), [[0, 100], [3, 120]], 'a second rotation on day 120 replaces generation 2');
  assert.equal(mergeGrant(later, k(1, 130)), null, 'an older generation for a later day does not fit');
});

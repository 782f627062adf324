/**
 * Family and care in the app engine (src/app/engine/care.ts, care-relay.ts): a dependent's engine
 * and a guardian's engine pair through the real signaling server (WebSocket, in-process) while
 * their nodes run on the in-memory network. Covered: both screens show the same six digits; the
 * guardian sees the dependent's exposure and is told by its own label; care-room heartbeats carry
 * the last sync; after "End access" the dependent's new exposures reach only the dependent and
 * the guardian learns that access ended; custody holds the whole key; refusals (digits that do
 * not match, an expired or foreign code, a second device answering, no signaling).
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
import { f, loadAppFixture, newSim, nextDb, notification, openApp, runUntil, type App } from './app-fixture.ts';

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

/** Pair `guardian` (receives) with `dependent` (sends), as the two screens would. */
async function pair(guardian: App, dependent: App, mode: 'watch' | 'custody', labels = { ofDependent: 'Grandpa', ofGuardian: 'Anna' }) {
  await guardian.send({ type: 'pair-start', mode });
  const shown = await until(guardian, (s) => stage(s) === 'show-code', 'the guardian shows a code');
  const offerText = (shown.care.pairing as Extract<PairingProgress, { stage: 'show-code' }>).offerText;
  await dependent.send({ type: 'pair-scan', offerText });
  const dSas = await until(dependent, (s) => stage(s) === 'compare', 'the dependent shows digits');
  const gSas = await until(guardian, (s) => stage(s) === 'compare', 'the guardian shows digits');
  const digits = (s: AppState) => (s.care.pairing as { sas: string }).sas;
  assert.match(digits(gSas), /^\d{6}$/);
  assert.equal(digits(gSas), digits(dSas), 'both screens show the same six digits');
  await dependent.send({ type: 'pair-confirm', label: labels.ofGuardian });
  await guardian.send({ type: 'pair-confirm', label: labels.ofDependent });
  await until(guardian, (s) => stage(s) === 'done', 'the guardian is done');
  await until(dependent, (s) => stage(s) === 'done', 'the dependent is done');
  return offerText;
}

async function twoApps(seed: number, prefix: string) {
  const sim = newSim(seed);
  const full = await sim.addNode('f1', 'full', { preload: f.ca });
  const depDb = nextDb(`${prefix}-dep`);
  const dep = await openApp(sim, depDb, 'td', undefined, undefined, { signal: signal() });
  const guard = await openApp(sim, nextDb(`${prefix}-guard`), 'tg', undefined, undefined, { signal: signal() });
  await runUntil(sim, () => dep.node().node.peers().length > 0 && guard.node().node.peers().length > 0);
  return { sim, full, dep, guard, depDb };
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

test('custody: the receiving device holds the whole key and matches every day like the dependent', async () => {
  const { sim, full, dep, guard } = await twoApps(12, 'custody');
  await pair(guard, dep, 'custody', { ofDependent: 'Grandpa\'s watch', ofGuardian: 'Anna' });
  const keys = (await loadDevice(dep.store, c)).keys;
  const day = dayOfMs(sim.net.now()) - 20; // older than a watch grant covers; custody holds the seed
  await full.node.publish(notification(sim, day, 1, [keys.watch.tag(day)!], full));
  assert.ok(await runUntil(sim, () => guard.events.some((e) => e.type === 'dependent-at-risk')));
  const g = await guard.engine.refresh();
  assert.equal(g.care.dependents[0].mode, 'custody');
  assert.deepEqual(g.care.dependents[0].alerts, [{ day, level: 'low' }]);
  await dep.engine.close();
  await guard.engine.close();
});

test('refusals: digits that differ, an expired or foreign code, a second device answering; nothing is kept', async () => {
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

  // A second device answers the same code: the receiver stops and says so.
  await guard.send({ type: 'pair-start', mode: 'watch' });
  s = await until(guard, (x) => stage(x) === 'show-code', 'a new code');
  const text2 = (s.care.pairing as { offerText: string }).offerText;
  const offer = decodeOfferText(text2);
  await dep.send({ type: 'pair-scan', offerText: text2 });
  await until(guard, (x) => stage(x) === 'compare', 'digits');
  const intruder = signal()([pairRoom(offer.region)]);
  intruder.onPeers = () => intruder.signal(pairRoom(offer.region), Buffer.from(offer.rendezvous).toString('hex'), { bt: 'pair', m: 'AAAA' });
  intruder.start();
  s = await until(guard, (x) => stage(x) === 'failed', 'the receiver stops');
  assert.equal((s.care.pairing as { code: string }).code, 'second_sender');
  intruder.stop();
  await dep.send({ type: 'pair-cancel' });

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

/**
 * The app's engine (src/app/engine) over fake-indexeddb and the in-memory network: a full node
 * with the CA statements of a World, and the engine's thin node, in virtual time. Everything goes
 * through the page↔engine protocol (ToEngine / FromEngine).
 *
 * - first run → fixes along a route → stays of the day → upload-now → the trace batch reaches the
 *   full node, signed by the device's day key; a notification naming the user → status high with
 *   the right day, the policy's advice and a new-exposure event; a second exposure while already
 *   high is told too; final checkpoints → the day is proven and checkedUpTo set;
 * - reload (a new engine on the same database) keeps the open stay, the settings and the queue,
 *   and uploads nothing twice;
 * - a crash between persisting the part number and queueing the sealed batch: part numbers never
 *   repeat, nothing is lost;
 * - withdraw publishes withdrawal records; erase leaves no database;
 * - backup round trip restores the same pseudonyms and skips used part numbers; a wrong
 *   passphrase and a damaged file are told apart and overwrite nothing;
 * - local retention deletes day records older than the window;
 * - the charging-and-Wi-Fi policy, with known, unknown and offline conditions;
 * - two tabs loading a fresh database at once get the same seed.
 */
import 'fake-indexeddb/auto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nodeCrypto as c } from '../../src/node/node-crypto.ts';
import { toHex } from '../../src/core/bytes.ts';
import { decodeBlock, Kind } from '../../src/core/codec/block.ts';
import { decodeWithdrawal } from '../../src/core/codec/records.ts';
import { DEFAULT_ADVICE } from '../../src/core/policy.ts';
import { Chain, dayOfMs } from '../../src/core/types.ts';
import type { BlockStore } from '../../src/core/store.ts';
import { ValidatorRole } from '../../src/node/roles/validator-role.ts';
import { openIdbStore } from '../../src/store/idb-store.ts';
import { SEED_KEY, loadDevice } from '../../src/app/device.ts';
import { ENGINE_RELAY_KEY } from '../../src/app/engine/engine.ts';
import { RELAY_KEY, isRelay } from '../../src/app/thin-node.ts';
import { readDay } from '../../src/app/engine/state.ts';
import type { AppState, FromEngine, Intent } from '../../src/app/protocol.ts';
import { f, loadAppFixture, MIN, newSim, runUntil, openApp, keysOf, notification, traceParts, walk, waitFor } from './app-fixture.ts';

test.before(loadAppFixture);
let dbSeq = 0;


test('first run → route → stays → upload now → full node; exposures told; proven by checkpoints', async () => {
  const sim = newSim(1);
  const full = await sim.addNode('f1', 'full', { preload: f.ca });
  const app = await openApp(sim, `engine-main-${++dbSeq}`, 't1');
  const day = dayOfMs(sim.net.now());
  let s: AppState = await app.engine.refresh();
  assert.equal(s.ready, true);
  assert.equal(s.onboarded, false);
  assert.ok(s.keysCreated !== null, 'keys exist from the first open');

  await app.send({ type: 'finish-first-run', precision: '10m', uploadPolicy: 'asap', lang: 'en' });
  assert.equal(await app.send({ type: 'fix', fix: { t: day * 86_400_000, lat: 55.86, lon: -4.25, acc: 8 } }), false, 'no fix is taken while paused');
  await app.send({ type: 'set-recording', on: true });
  await walk(app, day);
  s = await app.engine.refresh();
  assert.equal(s.onboarded, true);
  assert.equal(s.recording.on, true);
  assert.ok(s.recording.openStay, 'the café stay is open');
  assert.equal(s.days.length, 1);
  assert.equal(s.days[0].day, day);
  assert.equal(s.days[0].stays, 3, 'home, work, and the open café stay');
  assert.equal(s.days[0].coveredMinutes, 20 + 20 + 4);
  assert.equal(s.days[0].upload, 'recording');
  const trail = await app.send<{ start: number; minutes: number }[]>({ type: 'trail', day });
  assert.deepEqual(trail.map((x) => x.minutes), [20, 20, 4]);

  await runUntil(sim, () => app.node().node.peers().length > 0, 10_000);
  const r = await app.send<{ sealed: number }>({ type: 'upload-now' });
  assert.equal(r.sealed, 1, 'the two closed stays go in one part; the open stay waits');
  const keys = await keysOf(app.store);
  assert.ok(await runUntil(sim, () => full.ledger.count(Chain.TRACING) === 1), 'the batch reaches the full node');
  assert.deepEqual(await traceParts(full, keys, day), [0], 'signed by the device key of that day, part 0');
  assert.equal(app.node().ledger.carries(Chain.TRACING), false, 'the thin node never holds the tracing chain');
  await runUntil(sim, () => app.node().node.retained().some((u) => u.state === 'received'));
  s = await app.engine.refresh();
  assert.equal(s.days[0].parts, 1);
  assert.equal(s.days[0].upload, 'received');
  assert.equal(s.network.retained.length, 1);

  // A notification naming the user (exposure on `day`, high).
  const before = app.node().ledger.count(Chain.NOTIFICATION);
  await full.node.publish(notification(sim, day, 2, [keys.watch.tag(day)!], full));
  assert.ok(await runUntil(sim, () => app.node().ledger.count(Chain.NOTIFICATION) > before));
  await app.engine.refresh();
  await waitFor(() => app.events.some((e) => e.type === 'new-exposure'));
  s = await app.engine.refresh();
  assert.equal(s.exposure.status, 'high');
  assert.equal(s.exposure.alerts.length, 1);
  assert.equal(s.exposure.alerts[0].day, day);
  assert.equal(s.exposure.alerts[0].advice, DEFAULT_ADVICE.high.text.en);
  assert.equal(s.exposure.alerts[0].adviceUntil, day + DEFAULT_ADVICE.high.days);
  assert.ok(s.exposure.lastCheckedAt !== null);
  const told = app.events.filter((e) => e.type === 'new-exposure');
  assert.equal(told.length, 1);

  // A notification of someone else changes nothing; a second exposure while already high is told.
  await full.node.publish(notification(sim, day, 2, [], full));
  await full.node.publish(notification(sim, day - 1, 2, [keys.watch.tag(day - 1)!], full));
  await runUntil(sim, () => app.node().ledger.count(Chain.NOTIFICATION) >= before + 3);
  await waitFor(() => app.events.filter((e) => e.type === 'new-exposure').length === 2);
  s = await app.engine.refresh();
  assert.equal(s.exposure.alerts.length, 2, 'past alerts stay listed');
  assert.deepEqual(s.exposure.alerts.map((a) => a.day).sort(), [day - 1, day]);
  await app.send({ type: 'set-settings', settings: { lang: 'de' } });
  s = await app.engine.refresh();
  assert.equal(s.exposure.alerts[0].advice, DEFAULT_ADVICE.high.text.de, 'advice in the user\'s language');

  // Validators checkpoint both chains (2 of 3): the upload is proven and leaves the outbox.
  const from = Math.floor(f.startMs / 1000) - 3600;
  await runUntil(sim, () => false, 2_000);
  const to = Math.floor(sim.net.now() / 1000);
  for (const v of [0, 1]) {
    await new ValidatorRole(c, full.ledger, f.w.validators[v]).checkpoint(Chain.TRACING, from, to, to);
    await new ValidatorRole(c, full.ledger, f.w.validators[v]).checkpoint(Chain.NOTIFICATION, from, to, to);
  }
  assert.ok(await runUntil(sim, () => app.node().node.retained().length === 0, 60_000), 'proven and dropped from the outbox');
  s = await app.engine.refresh();
  assert.equal(s.days[0].upload, 'proven', 'every sealed stay of the day is proven (the open one is not sealed)');
  await app.send({ type: 'set-recording', on: false });
  s = await app.engine.refresh();
  assert.equal(s.days[0].upload, 'recording', 'today has a closed stay not sealed yet');
  assert.equal(s.exposure.checkedUpTo, to);
  assert.deepEqual(s.network.lastCheckpoint, { chain: 'tracing', toSec: to });
  await app.engine.close();

  // A reload tells nothing again; a device that had not kept the alerts finds them on opening and
  // tells them to the first listener (the page attaches after open).
  const db = `engine-main-${dbSeq}`;
  let again = await openApp(sim, db, 't1');
  assert.equal((await again.engine.refresh()).exposure.alerts.length, 2);
  assert.equal(again.events.length, 0, 'known alerts are not told twice');
  await again.store.deleteValue('app/alerts');
  await again.engine.close();
  again = await openApp(sim, db, 't1');
  assert.deepEqual(again.events.map((e) => e.type === 'new-exposure' && e.alert.day).sort(), [day - 1, day]);
  await again.engine.close();
});


test('a reload keeps the open stay, the settings and the queue, and uploads nothing twice', async () => {
  const sim = newSim(2);
  const full = await sim.addNode('f1', 'full', { preload: f.ca });
  const db = `engine-reload-${++dbSeq}`;
  let app = await openApp(sim, db, 't1');
  const day = dayOfMs(sim.net.now());
  await app.send({ type: 'finish-first-run', precision: '100m', uploadPolicy: 'charging-wifi', lang: 'ar' });
  await app.send({ type: 'set-recording', on: true });
  await walk(app, day);
  await runUntil(sim, () => app.node().node.peers().length > 0, 10_000);
  // Sealed while no carrier is reachable: the batch waits in the queue (or the outbox).
  sim.net.partition(['t1'], ['f1']);
  await app.send({ type: 'upload-now' });
  await runUntil(sim, () => false, 3_000);
  const st1 = await app.engine.refresh();
  const open1 = st1.recording.openStay;
  assert.ok(open1, JSON.stringify(st1));
  await app.engine.close();
  sim.net.heal();

  app = await openApp(sim, db, 't1');
  const s = await app.engine.refresh();
  assert.deepEqual(s.recording.openStay, open1, 'the open stay survived');
  assert.equal(s.recording.on, true);
  assert.deepEqual(s.settings, { precision: '100m', uploadPolicy: 'charging-wifi', lang: 'ar' });
  assert.equal(s.onboarded, true);
  assert.ok(await runUntil(sim, () => full.ledger.count(Chain.TRACING) === 1, 120_000), 'the queued batch went out after the reload');
  assert.equal((await app.send<{ sealed: number }>({ type: 'upload-now' })).sealed, 0, 'nothing left to seal');
  await app.engine.tick();
  await runUntil(sim, () => false, 5_000);
  assert.deepEqual(await traceParts(full, await keysOf(app.store), day), [0], 'one batch, once');
  await app.engine.close();
  // and once more, with the open stay continuing: the next fix closes it at the café
  app = await openApp(sim, db, 't1');
  await app.send({ type: 'fix', fix: { t: day * 86_400_000 + 60 * MIN, lat: 55.87, lon: -4.25, acc: 8 } });
  const trail = await app.send<{ minutes: number }[]>({ type: 'trail', day });
  assert.deepEqual(trail.map((x) => x.minutes), [20, 20, 10, 1], 'the café stay (open since minute 50) closed by the first fix after the reload, at minute 60');
  await app.engine.close();
});

test('a crash between spending part numbers and queueing the batch: no part number twice, no stay lost', async () => {
  const sim = newSim(3);
  const full = await sim.addNode('f1', 'full', { preload: f.ca });
  const db = `engine-crash-${++dbSeq}`;
  let app = await openApp(sim, db, 't1');
  const day = dayOfMs(sim.net.now());
  await app.send({ type: 'set-recording', on: true });
  await walk(app, day);
  await runUntil(sim, () => app.node().node.peers().length > 0, 10_000);
  await app.send({ type: 'upload-now' });
  assert.ok(await runUntil(sim, () => full.ledger.count(Chain.TRACING) === 1));
  await app.engine.close();

  // The next session crashes right after writing the advanced part counter: the day's 3rd write
  // (1: the café stay closed, 2: the part counter, 3: sealed and queued) fails.
  let dayWrites = 0;
  let armed = true;
  const crashing = (s: BlockStore): BlockStore => new Proxy(s, {
    get(t, p) {
      if (p === 'setValue') {
        return async (key: string, v: Uint8Array) => {
          if (armed && key === `app/day/${day}` && ++dayWrites === 3) throw new Error('power cut');
          return t.setValue(key, v);
        };
      }
      const v = Reflect.get(t, p, t);
      return typeof v === 'function' ? v.bind(t) : v;
    },
  });
  app = await openApp(sim, db, 't1', crashing);
  await app.send({ type: 'set-recording', on: false }); // closes the café stay: 1 write
  await assert.rejects(app.send({ type: 'upload-now' }), /power cut/);
  armed = false;
  await app.engine.close();

  app = await openApp(sim, db, 't1');
  assert.equal((await app.send<{ sealed: number }>({ type: 'upload-now' })).sealed, 1, 'the café stay is still to seal');
  assert.ok(await runUntil(sim, () => full.ledger.count(Chain.TRACING) === 2));
  assert.deepEqual(await traceParts(full, await keysOf(app.store), day), [0, 2], 'part 1 was spent by the crashed session and never used');
  await app.engine.close();
});

test('withdraw publishes withdrawal records; delete-day keeps the counters; erase leaves no database', async () => {
  const sim = newSim(4);
  const full = await sim.addNode('f1', 'full', { preload: f.ca });
  const db = `engine-erase-${++dbSeq}`;
  const app = await openApp(sim, db, 't1');
  const day = dayOfMs(sim.net.now());
  await app.send({ type: 'set-recording', on: true });
  await walk(app, day);
  await runUntil(sim, () => app.node().node.peers().length > 0, 10_000);
  const keys = await keysOf(app.store);
  const code = (e: { code?: string }) => e.code;
  await assert.rejects(app.send(null as unknown as Intent), (e: { code?: string }) => code(e) === 'bad_intent');
  await assert.rejects(app.send({ type: 'fix', fix: { t: 1, lat: 200, lon: 0, acc: 5 } }), (e: { code?: string }) => code(e) === 'bad_input');
  await assert.rejects(app.send({ type: 'trail', day: -1 }), (e: { code?: string }) => code(e) === 'bad_intent');
  await assert.rejects(app.send({ type: 'set-settings', settings: { lang: 'fr' as never } }), (e: { code?: string }) => code(e) === 'bad_intent');
  await assert.rejects(app.send({ type: 'launch' } as unknown as Intent), (e: { code?: string }) => code(e) === 'unknown_intent');

  assert.equal(ENGINE_RELAY_KEY, RELAY_KEY, 'the engine keeps the opt-in where the node factory reads it');
  await app.send({ type: 'set-relay', on: true });
  assert.equal(await isRelay(app.store), true);
  let st = await app.engine.refresh();
  assert.equal(st.network.relayOptIn, true);
  assert.equal(st.network.role, 'thin', 'the opt-in takes effect the next time the node is opened');
  await app.send({ type: 'set-relay', on: false });
  st = await app.engine.refresh();
  assert.equal(st.network.relayOptIn, false);

  await app.send({ type: 'delete-day', day });
  let s = await app.engine.refresh();
  assert.equal(s.days[0].stays, 0, 'the local stays and the open stay are gone');
  assert.equal(s.recording.openStay, null);
  assert.deepEqual(await app.send({ type: 'trail', day }), []);

  assert.deepEqual(await app.send({ type: 'withdraw', days: [day, day - 1] }), [day, day - 1]);
  const withdrawn = () => full.ledger.entries(Chain.TRACING).filter((e) => e.kind === Kind.WITHDRAWAL);
  assert.ok(await runUntil(sim, () => withdrawn().length === 2), 'both withdrawal records reach the full node');
  const pubs = await Promise.all(withdrawn().map(async (e) => toHex(decodeWithdrawal(decodeBlock((await full.ledger.get(e.id))!).body).dayPub)));
  assert.deepEqual(pubs.sort(), [toHex(keys.daySigning(day).publicKey), toHex(keys.daySigning(day - 1).publicKey)].sort());
  s = await app.engine.refresh();
  assert.ok(s.days.every((d) => d.upload === 'withdrawn'));

  const otherTab = await openIdbStore(db); // a second connection must not block the deletion
  await app.send({ type: 'erase' });
  await assert.rejects(otherTab.getValue(SEED_KEY), /store is closed/, 'the other tab let go of the database');
  assert.ok(app.events.some((e) => e.type === 'erased'));
  assert.equal(app.engine.state.ready, false);
  await assert.rejects(app.send({ type: 'upload-now' }), (e: { code?: string }) => e.code === 'closed');
  const names = (await indexedDB.databases()).map((d) => d.name);
  assert.ok(!names.includes(db), 'the database is deleted');
});

test('backup round trip restores the same pseudonyms and skips used part numbers; bad passphrase or file overwrite nothing', async () => {
  const sim = newSim(5);
  const full = await sim.addNode('f1', 'full', { preload: f.ca });
  const a = await openApp(sim, `engine-backup-a-${++dbSeq}`, 'ta');
  const day = dayOfMs(sim.net.now());
  await a.send({ type: 'finish-first-run', precision: 'exact', uploadPolicy: 'asap', lang: 'de' });
  await a.send({ type: 'set-recording', on: true });
  await walk(a, day);
  await runUntil(sim, () => a.node().node.peers().length > 0, 10_000);
  await a.send({ type: 'upload-now' });
  assert.ok(await runUntil(sim, () => full.ledger.count(Chain.TRACING) === 1));
  const backup = await a.send<Uint8Array>({ type: 'export-backup', passphrase: 'correct horse battery' });
  assert.ok(backup instanceof Uint8Array && toHex(backup.subarray(0, 4)) === toHex(new TextEncoder().encode('BTBK')));
  await assert.rejects(a.send({ type: 'export-backup', passphrase: 'short' }), (e: { code?: string }) => e.code === 'weak_passphrase');
  const keysA = await keysOf(a.store);
  const aState = await a.engine.refresh();

  const b = await openApp(sim, `engine-backup-b-${++dbSeq}`, 'tb');
  const seedB = await b.store.getValue(SEED_KEY);
  assert.notDeepEqual(seedB, keysA.seed);
  await assert.rejects(b.send({ type: 'import-backup', bytes: backup, passphrase: 'wrong horse battery' }), (e: { code?: string }) => e.code === 'bad_passphrase');
  const damaged = backup.slice();
  damaged[60] ^= 1;
  await assert.rejects(b.send({ type: 'import-backup', bytes: damaged, passphrase: 'correct horse battery' }), (e: { code?: string }) => e.code === 'bad_backup');
  await assert.rejects(b.send({ type: 'import-backup', bytes: new Uint8Array(10), passphrase: 'x' }), (e: { code?: string }) => e.code === 'bad_backup');
  assert.deepEqual(await b.store.getValue(SEED_KEY), seedB, 'nothing overwritten');
  assert.equal((await b.engine.refresh()).days.length, 0);

  await b.send({ type: 'import-backup', bytes: backup, passphrase: 'correct horse battery' });
  assert.deepEqual(await b.store.getValue(SEED_KEY), keysA.seed, 'the same seed, so the same pseudonyms');
  const keysB = await keysOf(b.store);
  assert.equal(toHex(keysB.daySigning(day).publicKey), toHex(keysA.daySigning(day).publicKey));
  const sb = await b.engine.refresh();
  assert.deepEqual(sb.settings, { precision: 'exact', uploadPolicy: 'asap', lang: 'de' });
  assert.deepEqual(sb.days.map((d) => [d.day, d.stays - (d.day === day && sb.recording.openStay ? 1 : 0), d.parts]), aState.days.map((d) => [d.day, 2, d.parts]));
  // New stays on the restored device go out under the same pseudonym with fresh part numbers.
  await b.send({ type: 'set-recording', on: true });
  await walk(b, day, 100);
  await b.send({ type: 'set-recording', on: false });
  await runUntil(sim, () => b.node().node.peers().length > 0, 10_000);
  assert.equal((await b.send<{ sealed: number }>({ type: 'upload-now' })).sealed, 1);
  assert.ok(await runUntil(sim, () => full.ledger.count(Chain.TRACING) === 2));
  assert.deepEqual(await traceParts(full, keysA, day), [0, 1 + 16], 'part numbers after the exported counter and its margin');
  await a.engine.close();
  await b.engine.close();
});

test('local retention: day records older than the retention window are deleted', async () => {
  const sim = newSim(6);
  await sim.addNode('f1', 'full', { preload: f.ca });
  let shift = 0;
  const app = await openApp(sim, `engine-retention-${++dbSeq}`, 't1', undefined, () => shift);
  const day = dayOfMs(sim.net.now());
  await app.send({ type: 'set-recording', on: true });
  await walk(app, day);
  await app.send({ type: 'set-recording', on: false });
  await app.engine.tick();
  assert.equal((await app.engine.refresh()).days.length, 1);
  shift = 14 * 86_400_000;
  await app.engine.tick();
  assert.equal((await app.engine.refresh()).days.length, 1, 'still inside the 14-day window');
  shift = 15 * 86_400_000;
  await app.engine.tick();
  assert.deepEqual((await app.engine.refresh()).days, [], 'gone after it');
  assert.deepEqual(await app.send({ type: 'trail', day }), []);
  await app.engine.close();
});

test("'charging-wifi': today's stays only while charging and on Wi-Fi; unknown conditions let completed days go; never offline", async () => {
  const sim = newSim(7);
  let shift = 0;
  const app = await openApp(sim, `engine-policy-${++dbSeq}`, 't1', undefined, () => shift);
  const day = dayOfMs(sim.net.now());
  await app.send({ type: 'finish-first-run', precision: '10m', uploadPolicy: 'charging-wifi', lang: 'en' });
  await app.send({ type: 'set-recording', on: true });
  await walk(app, day);
  await app.send({ type: 'set-recording', on: false });
  const sealed = async () => (await readDay(app.store, day)).uploaded;
  const conditions = async (charging: boolean | null, wifi: boolean | null, online = true) => {
    await app.send({ type: 'conditions', charging, wifi, online });
    await app.engine.tick();
    return sealed();
  };
  assert.equal(await conditions(false, true), 0, 'not charging');
  assert.equal(await conditions(true, false), 0, 'not on Wi-Fi');
  assert.equal(await conditions(null, null), 0, 'unknown: today waits');
  assert.equal(await conditions(true, true, false), 0, 'offline');
  assert.equal(await conditions(true, true), 3, 'charging and on Wi-Fi: today goes');
  await app.send({ type: 'set-recording', on: true });
  await walk(app, day, 200);
  await app.send({ type: 'set-recording', on: false });
  assert.equal(await conditions(null, true), 3);
  shift = 86_400_000; // the day is complete
  assert.equal(await conditions(false, true), 3, 'a reported false still blocks');
  assert.equal(await conditions(null, true), 6, 'unknown charging: the completed day goes');
  await app.engine.close();
});

test('two tabs loading a fresh database at once get the same seed', async () => {
  const name = `engine-tabs-${++dbSeq}`;
  const [s1, s2] = await Promise.all([openIdbStore(name), openIdbStore(name)]);
  const [d1, d2] = await Promise.all([loadDevice(s1, c, 1), loadDevice(s2, c, 2)]);
  assert.equal(toHex(d1.keys.seed), toHex(d2.keys.seed));
  assert.equal(d1.created, d2.created);
  assert.deepEqual(await s1.getValue(SEED_KEY), d1.keys.seed);
  await s1.close();
  await s2.close();
});

/**
 * End-to-end protocol scenarios (issue 2 "Must hold"): real keys, real sealed batches, a real
 * ledger with every acceptance rule, the real solver and on-device self-match.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { World } from '../../src/node/sim/world.ts';
import { nodeCrypto } from '../../src/node/node-crypto.ts';
import { UserKeys } from '../../src/core/keys.ts';
import { parseBuildings } from '../../src/core/buildings.ts';
import { revocationBlock } from '../../src/core/blocks.ts';
import { Kind } from '../../src/core/codec/block.ts';
import { Chain, Precision, Source, type Stay } from '../../src/core/types.ts';
import { StayRecorder } from '../../src/core/recorder.ts';
import { traceBatches } from '../../src/core/device.ts';

const c = nodeCrypto;
const D = Math.floor(Date.UTC(2026, 2, 2) / 86_400_000); // 2026-03-02
const LAT = 558_721_000; // 55.8721° N (Glasgow)
const LON = -42_882_000;
const M = 1e7 / 111_195; // E7 units per metre of latitude

function user(): UserKeys {
  return new UserKeys(c, c.randomBytes(32));
}
function stay(day: number, hh: number, mm: number, minutes: number, northMetres = 0, extra: Partial<Stay> = {}): Stay {
  return { start: day * 1440 + hh * 60 + mm, minutes, latE7: Math.round(LAT + northMetres * M), lonE7: LON, radius: 5, source: Source.GNSS, precision: Precision.EXACT, ...extra };
}
/** Split a long presence into ≤ 30-minute stays, as the recorder does. */
function present(day: number, hh: number, mm: number, minutes: number, northMetres = 0, extra: Partial<Stay> = {}): Stay[] {
  const out: Stay[] = [];
  for (let o = 0; o < minutes; o += 30) out.push(stay(day, hh, mm + o, Math.min(30, minutes - o), northMetres, extra));
  return out;
}

async function world(opts: { buildings?: string } = {}): Promise<World> {
  return World.create({ crypto: c, startMs: D * 86_400_000 + 8 * 3_600_000, buildings: opts.buildings ? parseBuildings(opts.buildings) : undefined });
}

/** Patient and contact upload their day, patient is diagnosed next morning, solver runs; returns the contact's exposures. */
async function scenario(patientStays: Stay[], contactStays: Stay[], opts: { buildings?: string; day?: number } = {}) {
  const w = await world(opts);
  const patient = user();
  const contact = user();
  const days = new Set([...patientStays, ...contactStays].map((s) => Math.floor(s.start / 1440)));
  const last = Math.max(...days);
  w.advanceTo((last + 1) * 86_400_000 + 30 * 60_000);
  for (const d of days) {
    await w.upload(patient, d, patientStays.filter((s) => Math.floor(s.start / 1440) === d));
    await w.upload(contact, d, contactStays.filter((s) => Math.floor(s.start / 1440) === d));
  }
  w.advanceTo((last + 1) * 86_400_000 + 9 * 3_600_000);
  await w.diagnose(patient, Math.min(...days));
  const run = await w.runSolver();
  return { w, patient, contact, run, exposures: await w.selfMatch(contact.watch), patientExposures: await w.selfMatch(patient.watch) };
}

test('5 m apart for 30 minutes → high', async () => {
  const r = await scenario(present(D, 10, 0, 30), present(D, 10, 0, 30, 5));
  assert.deepEqual(r.exposures, [{ day: D, level: 'high' }]);
  assert.deepEqual(r.patientExposures, [], 'the patient is not notified of their own stays');
  assert.equal(r.run.stats.cases, 1);
});

test('5 m apart for 5 minutes → low', async () => {
  const r = await scenario(present(D, 10, 0, 30), [stay(D, 10, 10, 5, 5)]);
  assert.deepEqual(r.exposures, [{ day: D, level: 'low' }]);
});

test('200 m apart → none', async () => {
  const r = await scenario(present(D, 10, 0, 60), present(D, 10, 0, 60, 200));
  assert.deepEqual(r.exposures, []);
  assert.equal(r.run.notifications.length, 0);
});

test('same place 3 hours apart → none', async () => {
  const r = await scenario(present(D, 9, 0, 60), present(D, 13, 0, 60));
  assert.deepEqual(r.exposures, []);
});

test('same building polygon, 40 m apart for 1 hour → low', async () => {
  const lat = LAT / 1e7, lon = LON / 1e7, d = 0.0006; // ~67 m × 37 m box around the point
  const geo = JSON.stringify({ type: 'FeatureCollection', features: [{ type: 'Feature', properties: { name: 'Hall' }, geometry: { type: 'Polygon', coordinates: [[[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d], [lon - d, lat + d], [lon - d, lat - d]]] } }] });
  const r = await scenario(present(D, 14, 0, 60), present(D, 14, 0, 60, 40), { buildings: geo });
  assert.deepEqual(r.exposures, [{ day: D, level: 'low' }]);
  const outside = await scenario(present(D, 14, 0, 60), present(D, 14, 0, 60, 40));
  assert.deepEqual(outside.exposures, [], 'without the polygon, 40 m is not a contact');
});

test('same venue check-in ≥ 15 minutes → low', async () => {
  const venue = '00112233aabbccdd';
  const v = { venue, latE7: 0, lonE7: 0, source: Source.VENUE_QR };
  const r = await scenario(present(D, 19, 0, 60, 0, v), present(D, 19, 30, 30, 0, v));
  assert.deepEqual(r.exposures, [{ day: D, level: 'low' }]);
});

test('a contact across midnight UTC counts on both days', async () => {
  const p = [...present(D, 23, 30, 30), ...present(D + 1, 0, 0, 30)];
  const q = [...present(D, 23, 30, 30, 3), ...present(D + 1, 0, 0, 30, 3)];
  const r = await scenario(p, q);
  assert.deepEqual(r.exposures, [{ day: D, level: 'high' }, { day: D + 1, level: 'high' }]);
});

test('a withdrawal removes that user-day from matching', async () => {
  const w = await world();
  const patient = user();
  const a = user();
  const b = user();
  w.advanceTo((D + 1) * 86_400_000 + 3_600_000);
  await w.upload(patient, D, present(D, 10, 0, 30));
  await w.upload(a, D, present(D, 10, 0, 30, 4));
  await w.upload(b, D, present(D, 10, 0, 30, 4));
  await w.withdraw(b, D);
  w.advanceTo((D + 1) * 86_400_000 + 2 * 3_600_000);
  await w.diagnose(patient, D);
  const run = await w.runSolver();
  assert.equal(run.stats.withdrawn, 1);
  assert.deepEqual(await w.selfMatch(a.watch), [{ day: D, level: 'high' }]);
  assert.deepEqual(await w.selfMatch(b.watch), []);
});

test('a patient who withdrew a day is not matched on it', async () => {
  const w = await world();
  const patient = user();
  const a = user();
  w.advanceTo((D + 1) * 86_400_000 + 3_600_000);
  await w.upload(patient, D, present(D, 10, 0, 30));
  await w.upload(a, D, present(D, 10, 0, 30, 4));
  await w.withdraw(patient, D);
  w.advanceTo((D + 1) * 86_400_000 + 2 * 3_600_000);
  await w.diagnose(patient, D);
  await w.runSolver();
  assert.deepEqual(await w.selfMatch(a.watch), []);
});

test('a destroyed epoch key leaves its records unreadable', async () => {
  const control = await scenario(present(D, 10, 0, 30), present(D, 10, 0, 30, 4));
  assert.deepEqual(control.exposures, [{ day: D, level: 'high' }], 'control: with the key the contact is found');
  const w = await world();
  const patient = user();
  const a = user();
  w.advanceTo((D + 1) * 86_400_000 + 3_600_000);
  await w.upload(patient, D, present(D, 10, 0, 30));
  await w.upload(a, D, present(D, 10, 0, 30, 4));
  w.advanceTo((D + 1) * 86_400_000 + 2 * 3_600_000);
  await w.diagnose(patient, D);
  for (const epoch of [...w.epochKeys.keys()]) w.destroyEpoch(epoch);
  const run = await w.runSolver();
  assert.equal(run.notifications.length, 0);
  assert.ok(run.stats.undecryptable >= 1, 'the diagnosis could not be opened');
  assert.deepEqual(await w.selfMatch(a.watch), []);
});

test('records uploaded after the diagnosis are not endorsed', async () => {
  const w = await world();
  const patient = user();
  const a = user();
  w.advanceTo((D + 1) * 86_400_000 + 3_600_000);
  await w.upload(a, D, present(D, 10, 0, 30, 4));
  await w.diagnose(patient, D);
  w.advanceTo((D + 1) * 86_400_000 + 4 * 3_600_000);
  await w.upload(patient, D, present(D, 10, 0, 30)); // invented after the fact
  await w.runSolver();
  assert.deepEqual(await w.selfMatch(a.watch), []);
});

test('a self-report is capped at the policy level for unverified reports', async () => {
  const w = await world();
  const reporter = user();
  const a = user();
  w.advanceTo((D + 1) * 86_400_000 + 3_600_000);
  await w.upload(reporter, D, present(D, 10, 0, 60));
  await w.upload(a, D, present(D, 10, 0, 60, 3));
  w.advanceTo((D + 1) * 86_400_000 + 2 * 3_600_000);
  await w.selfReport(reporter, D, [D]);
  const run = await w.runSolver();
  assert.equal(run.stats.selfReports, 1);
  assert.deepEqual(await w.selfMatch(a.watch), [{ day: D, level: 'low' }], 'high contact capped to low');
});

test('a guardian with only the watch key sees the same exposures as the user', async () => {
  const r = await scenario(present(D, 10, 0, 30), present(D, 10, 0, 30, 5));
  const { WatchKeys } = await import('../../src/core/keys.ts');
  const guardian = new WatchKeys(c, r.contact.watchKey(0).slice());
  assert.deepEqual(await r.w.selfMatch(guardian), r.exposures);
  assert.equal(r.exposures.length, 1);
});

test("a revoked diagnostician's diagnosis is stored but does not count (PROTOCOL §9.1)", async () => {
  const w = await world();
  const patient = user();
  w.advanceTo((D + 1) * 86_400_000 + 3_600_000);
  await w.upload(patient, D, present(D, 10, 0, 30));
  await w.publish(revocationBlock(c, w.root, { subject: w.diagnostician.publicKey, revokedAt: w.timeSec() - 60, reason: 1 }, { region: w.region, timeSec: w.timeSec(), parents: w.ledger.tips(Chain.NOTIFICATION) }));
  const before = w.ledger.count();
  await w.diagnose(patient, D);
  const diag = w.ledger.entries(Chain.TRACING).filter((e) => e.kind === Kind.DIAGNOSIS);
  assert.equal(w.ledger.count(), before + 1);
  assert.equal(diag.length, 1);
  assert.match(w.ledger.whyVoid(diag[0].id)!, /revoked/);
});

test('stays recorded from raw fixes at ~10 m precision still match', async () => {
  const rec = (northMetres: number) => {
    const r = new StayRecorder({ precision: Precision.M10 });
    const out: Stay[] = [];
    const t0 = Date.UTC(2026, 2, 2, 12, 0);
    for (let m = 0; m <= 40; m++) out.push(...r.addFix({ t: t0 + m * 60_000, lat: LAT / 1e7 + northMetres / 111_195, lon: LON / 1e7, acc: 8 }));
    out.push(...r.flush(t0 + 40 * 60_000));
    return out;
  };
  const r = await scenario(rec(0), rec(6));
  assert.deepEqual(r.exposures, [{ day: D, level: 'high' }]);
});

test('standing CA statements survive retention pruning when the CA refreshes them', async () => {
  const { Ledger } = await import('../../src/core/ledger/ledger.ts');
  const { Role } = await import('../../src/core/codec/records.ts');
  const restartedAfter20Days = async (refresh: boolean) => {
    const w = await world();
    w.advanceTo(w.nowMs + 10 * 86_400_000);
    await w.ensureEpoch(w.day());
    if (refresh) await w.refreshAuthority();
    w.advanceTo(w.nowMs + 10 * 86_400_000);
    await w.ensureEpoch(w.day());
    const pruned = await w.ledger.prune();
    assert.ok(pruned > 0, 'old statements were pruned');
    const restarted = new Ledger({ ...w.ledger.opts });
    await restarted.open();
    return { w, a: restarted.authority };
  };
  const kept = await restartedAfter20Days(true);
  assert.equal(kept.a.whyNotAuthorized(kept.w.solver.publicKey, Role.SOLVER, kept.w.region, kept.w.timeSec()), null);
  assert.equal(kept.a.whyNotAuthorized(kept.w.diagnostician.publicKey, Role.DIAGNOSTICIAN, kept.w.region, kept.w.timeSec()), null);
  const lost = await restartedAfter20Days(false);
  assert.match(lost.a.whyNotAuthorized(lost.w.solver.publicKey, Role.SOLVER, lost.w.region, lost.w.timeSec()) ?? '', /no certificate/);
});

test('published before the case (Appendix A item 2): a batch backdated into a checkpointed interval after the diagnosis is not matched; without a checkpoint only the declared time decides', async () => {
  for (const checkpointed of [true, false]) {
    const w = await world();
    const patient = user();
    const contact = user();
    const T = (D + 1) * 86_400 + 3_600; // a multiple of 600
    w.advanceTo(T * 1000);
    await w.upload(patient, D, present(D, 10, 0, 30));
    await w.upload(contact, D, present(D, 14, 0, 30, 5)); // the patient was never there
    w.advanceTo((T + 1800) * 1000);
    if (checkpointed) await w.checkpoint(Chain.TRACING, T, T + 600);
    w.advanceTo((T + 2000) * 1000);
    await w.diagnose(patient, D);
    // After the diagnosis, the patient fabricates a second part for day D, at the contact's place, dated into [T, T + 600).
    w.advanceTo((T + 2100) * 1000);
    const { epoch, publicKey } = await w.ensureEpoch(D);
    const [forged] = traceBatches(c, patient, { region: w.region, timeSec: T + 10, day: D, stays: present(D, 14, 0, 30), firstPart: 1, epoch, epochPub: publicKey, powBits: 8 }).blocks;
    await w.publish(forged);
    await w.runSolver();
    if (checkpointed) {
      assert.equal(w.ledger.publishedBefore(c.sha256(forged), T + 2000), false);
      assert.deepEqual(await w.selfMatch(contact.watch), [], 'the checkpoint of its interval shows the batch came later');
    } else {
      assert.equal(w.ledger.publishedBefore(c.sha256(forged), T + 2000), true, 'no checkpoint yet: the declared time decides (the residual)');
      assert.deepEqual(await w.selfMatch(contact.watch), [{ day: D, level: 'high' }]);
    }
  }
});

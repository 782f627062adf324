/**
 * Family and care (issues 12 and 18), end to end on the stack `npm start` runs, in real Chromium
 * with the real signaling server, WebRTC mesh and IndexedDB:
 *
 * 1. Image files, watch mode, three guardians: a bystander who scans a guardian's code gets no key,
 *    and every screen involved says the code was spoiled; the dependent pairs with Anna, Ben and
 *    Cleo; a yesterday's exposure shows next to the dependent on each; the dependent ends Cleo's
 *    access (the question names the day); Cleo is told, still shows what she saw, and forgets the
 *    key. The dependent then records a stay, a contact who was there is diagnosed by the clinic, the
 *    stack's solver publishes: Anna and Ben see the dependent's new "High risk" with its day (under
 *    the new watch key, handed to them in their care rooms, when the stay is on the end day: every
 *    run but those in the first half hour of a UTC day, when the stay falls on the day before);
 *    Cleo sees nothing after the end. axe on the Family and care views.
 * 2. Fake camera, custody mode: a watch pairs by showing — the dependent's wearable page shows a
 *    code, the guardian's camera reads it (a y4m made from a screenshot); both show six digits; the
 *    guardian then holds the dependent's keys. The wearable's own recording is uploaded; a contact
 *    is diagnosed; the guardian sees "High risk" next to the dependent. "End access" on the
 *    dependent's phone says why a custodian cannot be shut out and what to do instead.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import { nodeCrypto } from '../../src/node/node-crypto.ts';
import { UserKeys, type WatchEpoch } from '../../src/core/keys.ts';
import { diagnosisBlock, notificationBlock } from '../../src/core/blocks.ts';
import { possessionProofs, sealingParams, traceBatches } from '../../src/core/device.ts';
import { Kind } from '../../src/core/codec/block.ts';
import { toE7 } from '../../src/core/geo.ts';
import { buildTagSet } from '../../src/core/tagset.ts';
import { Chain, dayOfMs, Precision, Source } from '../../src/core/types.ts';
import { CHROMIUM, CHROMIUM_ARGS, until } from './harness.ts';
import { appState, firstRun, isoOfDay, offset, openDevice, pastWindow, startTestStack, stayAt, type Device } from './app-harness.ts';

const HOME = { latitude: 55.8721, longitude: -4.2882 };
type Stack = Awaited<ReturnType<typeof startTestStack>>;

/** The QR code a view shows: a screenshot (PNG). */
async function shownQr(page: Page): Promise<Buffer> {
  const qr = page.locator('bt-qr-show .qr');
  await qr.waitFor({ timeout: 20_000 });
  return qr.screenshot();
}

async function openCare(page: Page): Promise<void> {
  await page.getByRole('navigation').getByRole('link', { name: 'Family and care' }).click();
  await page.getByRole('heading', { name: 'Family and care', level: 1 }).waitFor();
}

/**
 * The device's keys as its engine keeps them (seed and watch schedule from IndexedDB). The
 * function given to `evaluate` names no inner function: tsx would wrap it in a helper the page lacks.
 */
async function deviceKeys(page: Page): Promise<UserKeys> {
  const [seed, schedule] = await page.evaluate(() => new Promise<[number[], number[] | null]>((resolve, reject) => {
    const r = indexedDB.open('beeptrace');
    r.onerror = () => reject(r.error);
    r.onsuccess = () => {
      const store = r.result.transaction('values').objectStore('values');
      const a = store.get('device/seed');
      const b = store.get('device/watch-schedule');
      b.onsuccess = () => {
        resolve([Array.from(new Uint8Array(a.result as ArrayBuffer)), b.result ? Array.from(new Uint8Array(b.result as ArrayBuffer)) : null]);
        r.result.close();
      };
      b.onerror = () => reject(b.error);
    };
  }));
  return new UserKeys(nodeCrypto, Uint8Array.from(seed), schedule ? (JSON.parse(new TextDecoder().decode(Uint8Array.from(schedule))) as WatchEpoch[]) : undefined);
}

/** Publish, through the stack, the solver's notification naming `tag` on `day`. */
async function notify(stack: Stack, day: number, level: 1 | 2, tag: Uint8Array): Promise<void> {
  const set = buildTagSet(nodeCrypto, [tag, ...Array.from({ length: 5 }, () => nodeCrypto.randomBytes(32))], nodeCrypto.randomBytes(16), 27);
  await stack.publish(notificationBlock(nodeCrypto, stack.authority.keys.solver, { exposureDay: day, level, ...set }, {
    region: stack.config.region, timeSec: Math.floor(Date.now() / 1000), parents: stack.authority.ledger.tips(Chain.NOTIFICATION),
  }));
}

async function digits(page: Page): Promise<string> {
  const el = page.locator('bt-care-view .digits [aria-hidden="true"]');
  await el.waitFor({ timeout: 20_000 });
  return (await el.textContent())!.replace(/\s/g, '');
}

async function confirmAs(page: Page, name: string): Promise<void> {
  await page.getByLabel('Their name on this phone').fill(name, { timeout: 20_000 });
  await page.getByRole('button', { name: 'They match' }).click({ timeout: 20_000 });
}

async function axeClean(page: Page, what: string): Promise<void> {
  const r = await new AxeBuilder({ page }).analyze();
  assert.deepEqual(r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), [], `axe on ${what}`);
}

/** Pair: `shows` shows a code with `button`; `scans` reads it from a picture with `scanButton`; both confirm. */
async function pairByPicture(shows: Device, button: string, scans: Device, scanButton: string, names: { onShows: string; onScans: string }): Promise<void> {
  await shows.page.getByRole('button', { name: button }).click();
  const code = await shownQr(shows.page);
  await scans.page.getByRole('button', { name: scanButton }).click();
  await scans.page.getByLabel('Choose a QR image').setInputFiles({ name: 'code.png', mimeType: 'image/png', buffer: code });
  const [a, b] = [await digits(scans.page), await digits(shows.page)];
  assert.match(a, /^\d{6}$/);
  assert.equal(a, b, 'both screens show the same six digits');
  await confirmAs(scans.page, names.onScans);
  await confirmAs(shows.page, names.onShows);
  for (const d of [shows, scans]) {
    await d.page.getByRole('button', { name: 'OK', exact: true }).click({ timeout: 30_000 });
  }
}

/** The dependent records `minutes` at `at` in the past window starting `t0`, walks away, and uploads (its clock back at now). */
async function recordAndUpload(stack: Stack, d: Device, at: { latitude: number; longitude: number }, t0: number, minutes: number): Promise<number> {
  await d.page.getByRole('navigation').getByRole('link', { name: 'Status' }).click();
  await d.page.clock.setSystemTime(t0);
  await d.page.getByRole('button', { name: 'Start recording' }).click();
  await until(async () => (await appState(d.page)).recording.on, 'recording on');
  await stayAt(d, at, minutes);
  await stayAt(d, offset(at.latitude, at.longitude, 2000, 0), 2);
  const day = dayOfMs(t0);
  await until(async () => (await appState(d.page)).days.some((x) => x.day === day && x.stays > 0), 'the dependent\'s closed stay');
  await d.page.clock.setSystemTime(Date.now());
  const batches = () => stack.authority.ledger.entries(Chain.TRACING).filter((e) => e.kind === Kind.TRACE_BATCH).length;
  const before = batches();
  await d.page.getByRole('button', { name: 'Upload now' }).click();
  await until(() => batches() > before, 'the dependent\'s trace batch at the full node', 90_000, 250);
  return day;
}

/** A patient (a node-side device) who was at `at` for the same 20 minutes from `t0`, diagnosed by the local clinic. */
async function patientDiagnosed(stack: Stack, at: { latitude: number; longitude: number }, t0: number): Promise<void> {
  const ledger = stack.authority.ledger;
  const day = dayOfMs(t0);
  const patient = new UserKeys(nodeCrypto, nodeCrypto.randomBytes(32));
  const stay = { start: Math.floor(t0 / 60_000), minutes: 20, latE7: toE7(at.latitude), lonE7: toE7(at.longitude), radius: 5, source: Source.GNSS, precision: Precision.EXACT };
  const seal = sealingParams(ledger.authority, day);
  const common = () => ({ region: stack.config.region, timeSec: Math.floor(Date.now() / 1000), parents: ledger.tips(Chain.TRACING) });
  for (const b of traceBatches(nodeCrypto, patient, { ...common(), day, stays: [stay], firstPart: 0, epoch: seal.epoch, epochPub: seal.epochPub, powBits: seal.pow.traceBits }).blocks) await stack.publish(b);
  // a case endorses only batches published before it, in whole seconds (PROTOCOL §11.7)
  const last = Math.max(...ledger.entries(Chain.TRACING).filter((e) => e.kind === Kind.TRACE_BATCH).map((e) => e.time));
  await until(() => Math.floor(Date.now() / 1000) > last, 'the second after the last upload', 5_000);
  const clinic = stack.authority.keys.diagnostician;
  const challenge = nodeCrypto.randomBytes(32);
  const today = sealingParams(ledger.authority, dayOfMs(Date.now()));
  await stack.publish(diagnosisBlock(nodeCrypto, clinic, {
    ...common(), epoch: today.epoch, epochPub: today.epochPub, onset: day, lookback: 0, challenge,
    endorsed: possessionProofs(patient, [day], clinic.publicKey, challenge),
  }));
}

test('three guardians by image files: a spoiled code said on every screen; after "End access" for Cleo, Anna and Ben see the dependent\'s new "High risk" with its day through the real mesh, and Cleo sees nothing after the end', { timeout: 480_000 }, async () => {
  const stack = await startTestStack();
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    const open = async () => {
      const d = await openDevice(browser, stack.appUrl, HOME, Date.now());
      await firstRun(d.page);
      await openCare(d.page);
      return d;
    };
    const [dependent, anna, ben, cleo]: Device[] = [await open(), await open(), await open(), await open()];
    const guardians = { Anna: anna, Ben: ben, Cleo: cleo };

    // Anna shows a code; Ben, as a bystander, photographs and scans it before the dependent does:
    // Anna's phone stops, and both phones that answered say so (issue 18 finding 8).
    await anna.page.getByRole('button', { name: 'Look after someone' }).click();
    const photo = await shownQr(anna.page);
    for (const d of [ben, dependent]) {
      await d.page.getByRole('button', { name: 'Let someone look after me' }).click();
      await d.page.getByLabel('Choose a QR image').setInputFiles({ name: 'code.png', mimeType: 'image/png', buffer: photo });
      if (d === ben) await digits(ben.page);
    }
    for (const d of [anna, ben, dependent]) {
      await d.page.getByRole('alert').filter({ hasText: 'Two phones answered this code' }).waitFor({ timeout: 30_000 });
    }
    const b = await appState(ben.page);
    assert.deepEqual([b.care.dependents.length, b.care.guardians.length], [0, 0], 'the bystander holds no key of anyone');
    for (const d of [anna, ben, dependent]) await d.page.getByRole('button', { name: 'OK', exact: true }).click();

    // The dependent pairs with each of the three (each guardian shows a code, the dependent scans it).
    for (const [name, g] of Object.entries(guardians)) {
      await pairByPicture(g, 'Look after someone', dependent, 'Let someone look after me', { onShows: 'Grandpa', onScans: name });
    }
    await axeClean(anna.page, 'Family and care with a dependent');
    for (const g of [anna, ben, cleo]) await until(async () => (await appState(g.page)).care.dependents[0]?.lastSyncAt != null, 'the dependent\'s heartbeat', 60_000, 250);

    // A yesterday's exposure (under the first watch key): all three see "High risk" next to "Grandpa".
    const today = dayOfMs(Date.now());
    const keys = await deviceKeys(dependent.page);
    await notify(stack, today - 1, 2, keys.watch.tag(today - 1)!);
    for (const g of [anna, ben, cleo]) {
      await until(async () => (await appState(g.page)).care.dependents[0]?.status === 'high', 'each guardian sees yesterday\'s exposure', 60_000, 250);
    }

    // The dependent ends Cleo's access: the question names the day it takes effect (nothing of today has left).
    const endFrom = (await appState(dependent.page)).care.endFrom;
    await dependent.page.getByRole('button', { name: 'End access for Cleo' }).click();
    const question = dependent.page.getByRole('group', { name: /Your key changes from/ });
    await question.waitFor();
    const dayText = new Intl.DateTimeFormat('en-GB', { weekday: 'long', day: 'numeric', month: 'long', timeZone: 'UTC' }).format(endFrom * 86_400_000);
    assert.ok((await question.textContent())!.includes(`Your key changes from ${dayText}`), `the question names ${dayText}`);
    await axeClean(dependent.page, 'the "End access" question');
    await dependent.page.getByRole('button', { name: 'Yes, end access' }).click();
    await dependent.page.getByText('Cleo sees nothing from').waitFor();
    const from = (await appState(dependent.page)).care.guardians.find((x) => x.label === 'Cleo')!.endedFrom!;
    assert.equal(from, endFrom, 'the day the question named');
    // Cleo is told: her phone says so, forgets the key, and still shows what it found (yesterday's "High risk").
    await until(async () => (await appState(cleo.page)).care.dependents[0]?.endedFrom === from, 'Cleo learns that access ended', 60_000, 250);
    const cleoItem = cleo.page.locator('bt-care-view li', { hasText: 'Grandpa' });
    await cleoItem.getByText('Grandpa ended your access from').waitFor();
    await cleoItem.getByText('High risk').waitFor();
    assert.equal(await cleoItem.locator(`time[datetime="${isoOfDay(today - 1)}"]`).count() >= 1, true, 'the exposure day still shown');

    // The dependent records 20 minutes at home (a past window, on the end day except in the first
    // half hour of a UTC day) and uploads; a contact who was there is diagnosed; the solver publishes.
    const t0 = pastWindow(24);
    const day = await recordAndUpload(stack, dependent, HOME, t0, 20);
    await patientDiagnosed(stack, HOME, t0);
    await until(async () => (await appState(dependent.page)).exposure.alerts.some((a) => a.day === day && a.level === 'high'), 'the dependent sees its new exposure', 180_000, 500);
    const rotated = await deviceKeys(dependent.page);
    if (day >= from) assert.notDeepEqual(rotated.watch.tag(day), keys.watch.tag(day), 'the exposure is under the new watch key');
    // Anna and Ben see it, with its day, in the app.
    for (const g of [anna, ben]) {
      await until(async () => (await appState(g.page)).care.dependents[0]?.alerts.some((a) => a.day === day && a.level === 'high'), 'a guardian who keeps access sees the new exposure', 120_000, 500);
      const item = g.page.locator('bt-care-view li', { hasText: 'Grandpa' });
      await item.getByText('High risk').waitFor();
      await item.locator(`time[datetime="${isoOfDay(day)}"]`).first().waitFor();
    }
    // Cleo has synced the same chain and sees nothing after the end.
    const n = stack.authority.ledger.count(Chain.NOTIFICATION);
    await until(async () => (await appState(cleo.page)).network.chains.some((c) => c.chain === 'notification' && c.have >= n), 'Cleo synced it', 60_000, 250);
    const c3 = await appState(cleo.page);
    assert.deepEqual(c3.care.dependents[0].alerts, [{ day: today - 1, level: 'high' }], 'Cleo sees nothing new');
    assert.equal(c3.exposure.status, 'none', 'Cleo\'s own status is her own');
    await axeClean(cleo.page, 'Family and care after access ended');
  } finally {
    await browser.close();
    await stack.cleanup();
  }
});

test('custody by camera: the watch shows the code on its own page, the guardian\'s camera reads it; the guardian holds the keys and sees the watch\'s exposure; "End access" on the watch\'s side says what ends it instead', { timeout: 420_000 }, async () => {
  const stack = await startTestStack();
  const dir = mkdtempSync(join(tmpdir(), 'bt-care-'));
  const plain = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const y4m = join(dir, 'pair.y4m');
  const withCamera = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${y4m}`] });
  try {
    // The watch: set up once (first run), in a past window so its recording is one to upload; it
    // records by itself on its own page: 20 minutes at home, then away.
    const t0 = pastWindow(24);
    const watch = await openDevice(plain, stack.appUrl, HOME, t0);
    await firstRun(watch.page);
    await watch.page.goto(`${stack.appUrl}#/wearable`);
    await watch.page.getByRole('status').filter({ hasText: /^Recording$/ }).waitFor({ timeout: 30_000 });
    await stayAt(watch, HOME, 20);
    await stayAt(watch, offset(HOME.latitude, HOME.longitude, 2000, 0), 2);
    const day = dayOfMs(t0);
    await until(async () => (await appState(watch.page)).days.some((x) => x.day === day && x.stays > 0), 'the watch\'s closed stay');
    await watch.page.clock.setSystemTime(Date.now());
    await watch.page.clock.resume();

    // Pairing by showing: the watch's page shows a code; the guardian's camera reads it.
    await watch.page.getByRole('button', { name: 'Pair with a carer’s phone' }).click();
    const png = await shownQr(watch.page);
    writeFileSync(join(dir, 'pair.png'), png);
    execFileSync('ffmpeg', ['-loglevel', 'error', '-y', '-i', join(dir, 'pair.png'), '-vf', 'scale=-2:640,pad=1280:720:(ow-iw)/2:(oh-ih)/2:color=white', '-frames:v', '1', '-pix_fmt', 'yuv420p', y4m]);
    const ctx = await withCamera.newContext({ viewport: { width: 360, height: 640 }, permissions: ['geolocation', 'notifications', 'camera'], geolocation: { ...HOME, accuracy: 5 } });
    const page = await ctx.newPage();
    await page.clock.install({ time: Date.now() });
    await page.clock.resume();
    await page.goto(stack.appUrl);
    await firstRun(page);
    await openCare(page);
    await page.getByRole('button', { name: 'Keep someone’s keys' }).click();
    await page.getByRole('button', { name: 'Scan with the camera' }).click();
    const onWatch = (await watch.page.locator('bt-wearable-view .digits [aria-hidden="true"]').textContent({ timeout: 30_000 }))!.replace(/\s/g, '');
    assert.equal(await digits(page), onWatch, 'the same digits on both screens');
    await axeClean(watch.page, 'the watch comparing digits');
    await watch.page.getByRole('button', { name: 'They match' }).click();
    await confirmAs(page, 'Grandpa\'s watch');
    await page.getByText('Done. This phone now keeps Grandpa\'s watch’s keys.').waitFor({ timeout: 30_000 });
    await watch.page.getByText('Done. The carer’s phone now keeps this device’s keys.').waitFor({ timeout: 30_000 });
    const g = await appState(page);
    assert.deepEqual(g.care.dependents.map((d) => [d.label, d.mode]), [['Grandpa\'s watch', 'custody']]);

    // The watch's recording is uploaded; a contact who was there is diagnosed; the guardian, who holds the keys, sees it.
    await watch.page.getByRole('button', { name: 'OK', exact: true }).click();
    await watch.page.goto(`${stack.appUrl}#/status`);
    const batches = () => stack.authority.ledger.entries(Chain.TRACING).filter((e) => e.kind === Kind.TRACE_BATCH).length;
    const before = batches();
    await watch.page.getByRole('button', { name: 'Upload now' }).click();
    await until(() => batches() > before, 'the watch\'s trace batch at the full node', 90_000, 250);
    await patientDiagnosed(stack, HOME, t0);
    await until(async () => (await appState(page)).care.dependents[0]?.alerts.some((a) => a.day === day && a.level === 'high'), 'the guardian sees the watch\'s exposure', 180_000, 500);
    await page.locator('bt-care-view li', { hasText: 'Grandpa\'s watch' }).getByText('High risk').waitFor();
    assert.equal((await appState(page)).exposure.status, 'none', 'the guardian\'s own status is its own');

    // On the watch's side (its app's Family and care), "End access" for the custodian says why it
    // cannot be done by a new key and what to do instead; nothing rotates.
    await openCare(watch.page);
    await watch.page.getByRole('button', { name: 'End access for Carer' }).click();
    const why = watch.page.getByRole('group', { name: /keeps this device’s whole key/ });
    await why.waitFor();
    await why.getByRole('link', { name: 'Go to My data' }).waitFor();
    assert.equal(await watch.page.getByRole('button', { name: 'Yes, end access' }).count(), 0, 'nothing to confirm: it cannot be done here');
    await axeClean(watch.page, 'the custody "End access" answer');
  } finally {
    await withCamera.close();
    await plain.close();
    await stack.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * Family and care (issue 12), end to end on the stack `npm start` runs, in real Chromium with the
 * real signaling server and IndexedDB:
 *
 * 1. Image files, watch mode: a bystander who scans the guardian's code gets no key (and the
 *    guardian stops that pairing: "a second phone answered"); the dependent pairs through a new
 *    code; both screens show the same six digits; the guardian sees the dependent's exposure with
 *    its own label; the dependent ends the access; the guardian is told, and a later exposure of
 *    the dependent reaches the dependent only. axe on both Family and care views.
 * 2. Fake camera, custody mode: the dependent's camera reads the guardian's code (a y4m made from
 *    a screenshot of it); the guardian then holds the dependent's keys. The dependent records and
 *    uploads a stay; a contact who was there is diagnosed by the clinic; the stack's solver
 *    publishes; the guardian sees "High risk" next to the dependent.
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
import { appState, firstRun, offset, openDevice, pastWindow, startTestStack, stayAt, type Device } from './app-harness.ts';

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

test('watch pairing by image files: a bystander gets no key; the guardian sees the exposure by name; after "End access" it is told and sees nothing new', { timeout: 300_000 }, async () => {
  const stack = await startTestStack();
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    const open = async () => {
      const d = await openDevice(browser, stack.appUrl, HOME, Date.now());
      await firstRun(d.page);
      await openCare(d.page);
      return d;
    };
    const [guardian, dependent, bystander]: Device[] = [await open(), await open(), await open()];

    // The guardian shows a code; a bystander photographs and scans it before the dependent does.
    await guardian.page.getByRole('button', { name: 'Look after someone' }).click();
    const photo = await shownQr(guardian.page);
    await bystander.page.getByRole('button', { name: 'Let someone look after me' }).click();
    await bystander.page.getByLabel('Choose a QR image').setInputFiles({ name: 'code.png', mimeType: 'image/png', buffer: photo });
    await digits(bystander.page);
    await dependent.page.getByRole('button', { name: 'Let someone look after me' }).click();
    await dependent.page.getByLabel('Choose a QR image').setInputFiles({ name: 'code.png', mimeType: 'image/png', buffer: photo });
    await guardian.page.getByText('A second phone answered this code').waitFor({ timeout: 20_000 });
    const b = await appState(bystander.page);
    assert.deepEqual([b.care.dependents.length, b.care.guardians.length], [0, 0], 'the bystander holds no key of anyone');
    await bystander.page.getByRole('button', { name: 'They differ' }).click();
    await dependent.page.getByRole('button', { name: 'They differ' }).click();
    await guardian.page.getByRole('button', { name: 'OK', exact: true }).click();

    // A new code; the dependent scans it; both screens show the same digits; both confirm.
    await guardian.page.getByRole('button', { name: 'Look after someone' }).click();
    const code = await shownQr(guardian.page);
    await dependent.page.getByRole('button', { name: 'Let someone look after me' }).click();
    await dependent.page.getByLabel('Choose a QR image').setInputFiles({ name: 'code.png', mimeType: 'image/png', buffer: code });
    const [dg, gd] = [await digits(dependent.page), await digits(guardian.page)];
    await axeClean(guardian.page, 'the pairing panel with the six digits');
    assert.match(dg, /^\d{6}$/);
    assert.equal(dg, gd, 'both screens show the same six digits');
    await confirmAs(dependent.page, 'Anna');
    await confirmAs(guardian.page, 'Grandpa');
    await guardian.page.getByText('Done. You now look after Grandpa.').waitFor({ timeout: 20_000 });
    await dependent.page.getByText('Done. Anna can now see your risk status.').waitFor({ timeout: 20_000 });
    await guardian.page.getByRole('button', { name: 'OK', exact: true }).click();
    await dependent.page.getByRole('button', { name: 'OK', exact: true }).click();
    await until(async () => (await appState(guardian.page)).care.dependents[0]?.lastSyncAt != null, 'the dependent\'s heartbeat', 30_000, 250);

    // The dependent is named in a notification for yesterday: the guardian's list says "High risk" next to "Grandpa".
    const today = dayOfMs(Date.now());
    const keys = await deviceKeys(dependent.page);
    await notify(stack, today - 1, 2, keys.watch.tag(today - 1)!);
    await until(async () => (await appState(guardian.page)).care.dependents[0]?.status === 'high', 'the guardian sees the exposure', 60_000, 250);
    const item = guardian.page.locator('bt-care-view li', { hasText: 'Grandpa' });
    await item.getByText('High risk').waitFor();
    assert.equal((await appState(guardian.page)).exposure.status, 'none', 'the guardian\'s own status is its own');
    await axeClean(guardian.page, 'Family and care with a dependent');
    await axeClean(dependent.page, 'Family and care with a guardian');

    // The dependent ends Anna's access: the guardian is told; a later exposure reaches the dependent only.
    await dependent.page.getByRole('button', { name: 'End access for Anna' }).click();
    await dependent.page.getByRole('button', { name: 'Yes, end access' }).click();
    await dependent.page.getByText('Anna no longer sees anything from').waitFor();
    // The day access ended from, as the dependent recorded it: `today` unless midnight UTC passed
    // during the waits above.
    const from = (await appState(dependent.page)).care.guardians[0]!.endedFrom!;
    assert.ok(from === today || from === today + 1, `access ended from today, got day ${from}`);
    await until(async () => (await appState(guardian.page)).care.dependents[0]?.endedFrom === from, 'the guardian learns that access ended', 60_000, 250);
    await guardian.page.getByText('Access ended on').waitFor();
    const rotated = await deviceKeys(dependent.page);
    assert.notDeepEqual(rotated.watch.tag(from), keys.watch.tag(from), 'a new watch key from that day');
    await notify(stack, from, 1, rotated.watch.tag(from)!);
    await until(async () => (await appState(dependent.page)).exposure.alerts.length === 2, 'the dependent sees its new exposure', 60_000, 250);
    await until(async () => (await appState(guardian.page)).network.chains.some((c) => c.chain === 'notification' && c.have >= stack.authority.ledger.count(Chain.NOTIFICATION)), 'the guardian synced it', 60_000, 250);
    assert.deepEqual((await appState(guardian.page)).care.dependents[0].alerts, [{ day: today - 1, level: 'high' }], 'the guardian sees nothing new');
  } finally {
    await browser.close();
    await stack.cleanup();
  }
});

test('custody pairing by camera: the dependent\'s camera reads the guardian\'s code; the guardian holds the keys and sees the dependent\'s exposure once a contact is diagnosed', { timeout: 420_000 }, async () => {
  const stack = await startTestStack();
  const dir = mkdtempSync(join(tmpdir(), 'bt-care-'));
  const plain = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const y4m = join(dir, 'pair.y4m');
  const withCamera = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${y4m}`] });
  try {
    const guardian = await openDevice(plain, stack.appUrl, HOME, Date.now());
    await firstRun(guardian.page);
    await openCare(guardian.page);
    await guardian.page.getByRole('button', { name: 'Keep someone’s keys' }).click();
    const png = await shownQr(guardian.page);
    writeFileSync(join(dir, 'pair.png'), png);
    execFileSync('ffmpeg', ['-loglevel', 'error', '-y', '-i', join(dir, 'pair.png'), '-vf', 'scale=-2:640,pad=1280:720:(ow-iw)/2:(oh-ih)/2:color=white', '-frames:v', '1', '-pix_fmt', 'yuv420p', y4m]);

    const ctx = await withCamera.newContext({ viewport: { width: 360, height: 640 }, permissions: ['geolocation', 'notifications', 'camera'], geolocation: { ...HOME, accuracy: 5 } });
    const page = await ctx.newPage();
    await page.clock.install({ time: Date.now() });
    await page.clock.resume();
    await page.goto(stack.appUrl);
    await firstRun(page);
    await openCare(page);
    await page.getByRole('button', { name: 'Let someone look after me' }).click();
    await page.getByRole('button', { name: 'Scan with the camera' }).click();
    assert.equal(await digits(page), await digits(guardian.page), 'the same digits on both screens');
    await confirmAs(page, 'Anna');
    await confirmAs(guardian.page, 'Grandpa\'s watch');
    await guardian.page.getByText('Done. You now look after Grandpa\'s watch.').waitFor({ timeout: 20_000 });
    const g = await appState(guardian.page);
    assert.deepEqual(g.care.dependents.map((d) => [d.label, d.mode]), [['Grandpa\'s watch', 'custody']]);
    // The dependent's contact is diagnosed, and the solver finds the dependent: the guardian, who
    // holds the dependent's keys, sees it. The dependent's device records 20 minutes at home (in a
    // past window) and uploads; a patient who was there too (a node-side device with its own keys)
    // uploads the same 20 minutes and is diagnosed by the local clinic.
    const t0 = pastWindow(24);
    const day = dayOfMs(t0);
    const dependentDevice: Device = { ctx, page };
    await page.getByRole('navigation').getByRole('link', { name: 'Status' }).click();
    await page.clock.setSystemTime(t0);
    await page.getByRole('button', { name: 'Start recording' }).click();
    await until(async () => (await appState(page)).recording.on, 'recording on');
    await stayAt(dependentDevice, HOME, 20);
    await stayAt(dependentDevice, offset(HOME.latitude, HOME.longitude, 2000, 0), 2);
    await until(async () => (await appState(page)).days.some((x) => x.day === day && x.stays > 0), 'the dependent\'s closed stay');
    await page.clock.setSystemTime(Date.now());
    const batches = () => stack.authority.ledger.entries(Chain.TRACING).filter((e) => e.kind === Kind.TRACE_BATCH);
    const before = batches().length;
    await page.getByRole('button', { name: 'Upload now' }).click();
    await until(() => batches().length > before, 'the dependent\'s trace batch at the full node', 90_000, 250);
    const ledger = stack.authority.ledger;
    const patient = new UserKeys(nodeCrypto, nodeCrypto.randomBytes(32));
    const stay = { start: Math.floor(t0 / 60_000), minutes: 20, latE7: toE7(HOME.latitude), lonE7: toE7(HOME.longitude), radius: 5, source: Source.GNSS, precision: Precision.EXACT };
    const seal = sealingParams(ledger.authority, day);
    const common = () => ({ region: stack.config.region, timeSec: Math.floor(Date.now() / 1000), parents: ledger.tips(Chain.TRACING) });
    for (const b of traceBatches(nodeCrypto, patient, { ...common(), day, stays: [stay], firstPart: 0, epoch: seal.epoch, epochPub: seal.epochPub, powBits: seal.pow.traceBits }).blocks) await stack.publish(b);
    // a case endorses only batches published before it, in whole seconds (PROTOCOL §11.7)
    const last = Math.max(...batches().map((e) => e.time));
    await until(() => Math.floor(Date.now() / 1000) > last, 'the second after the last upload', 5_000);
    const clinic = stack.authority.keys.diagnostician;
    const challenge = nodeCrypto.randomBytes(32);
    const today = sealingParams(ledger.authority, dayOfMs(Date.now()));
    await stack.publish(diagnosisBlock(nodeCrypto, clinic, {
      ...common(), epoch: today.epoch, epochPub: today.epochPub, onset: day, lookback: 0, challenge,
      endorsed: possessionProofs(patient, [day], clinic.publicKey, challenge),
    }));
    await until(async () => (await appState(guardian.page)).care.dependents[0]?.alerts.some((a) => a.day === day && a.level === 'high'), 'the guardian sees the dependent\'s exposure', 120_000, 500);
    await guardian.page.locator('bt-care-view li', { hasText: 'Grandpa\'s watch' }).getByText('High risk').waitFor();
    assert.equal((await appState(guardian.page)).exposure.status, 'none', 'the guardian\'s own status is its own');
  } finally {
    await withCamera.close();
    await plain.close();
    await stack.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
});

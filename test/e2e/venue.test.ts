/**
 * Venue check-in (issue 12) end to end on the stack `npm start` runs, in real Chromium: a venue
 * certified by the CA prints a poster; a forged copy (its name altered) chosen as an image file
 * is refused with a clear message and records nothing, as are a poster of an uncertified key and
 * one of another region; A checks in from an image file of the
 * real poster and is checked out by the app at the poster's default 30 minutes; B checks in by
 * Chromium's fake camera (a y4m of the poster) and checks out by hand 30 minutes later. Both
 * upload; A is diagnosed; the solver matches the venue stays by the venue rule and B is told
 * "Low risk" (default policy: same venue ≥ 15 minutes) on the right day.
 *
 * Time: the devices first sync the chain at the real time (so they hold the venue's certificate),
 * then each page's clock is set back to a past window for the check-in and moved on by Playwright
 * (page.clock.runFor), and set to now again before uploading.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import encodeQR from 'qr';
import { nodeCrypto } from '../../src/node/node-crypto.ts';
import { certificateBlock, diagnosisBlock, newRoleKey } from '../../src/core/blocks.ts';
import { fromBase64url, fromHex, toBase64url, toHex } from '../../src/core/bytes.ts';
import { Kind } from '../../src/core/codec/block.ts';
import { Role } from '../../src/core/codec/records.ts';
import { epochOf } from '../../src/core/policy.ts';
import { Chain, dayOfMs } from '../../src/core/types.ts';
import { signPoster, venueIdOf } from '../../src/core/venue.ts';
import type { ConsentProof } from '../../src/app/protocol.ts';
import { CHROMIUM, CHROMIUM_ARGS, until } from './harness.ts';
import { appState, firstRun, isoOfDay, offset, pastWindow, sendIntent, startTestStack, type Device } from './app-harness.ts';

const HOME = { lat: 55.8721, lon: -4.2882 };
type Stack = Awaited<ReturnType<typeof startTestStack>>;

function traceBatches(stack: Stack): number {
  return stack.authority.ledger.entries(Chain.TRACING).filter((e) => e.kind === Kind.TRACE_BATCH).length;
}

/** A phone with the camera allowed, its clock at the real time. */
async function openPhone(browser: Browser, url: string, at: { latitude: number; longitude: number }): Promise<Device> {
  const ctx = await browser.newContext({ viewport: { width: 360, height: 640 }, permissions: ['geolocation', 'notifications', 'camera'], geolocation: { ...at, accuracy: 5 } });
  const page = await ctx.newPage();
  page.on('pageerror', (e) => process.stderr.write(`page error: ${e.message}\n`));
  await page.clock.install({ time: Date.now() });
  await page.clock.resume();
  await page.goto(url);
  return { ctx, page };
}

async function chooseImage(page: Page, buffer: Buffer): Promise<void> {
  await page.getByLabel('Choose a QR image').setInputFiles({ name: 'poster.gif', mimeType: 'image/gif', buffer });
}

async function axeClean(page: Page, what: string): Promise<void> {
  const r = await new AxeBuilder({ page }).analyze();
  assert.deepEqual(r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), [], `axe on ${what}`);
}

/** The device's notification chain holds every block the authority's node holds now (the venue certificate among them). */
async function synced(stack: Stack, d: Device): Promise<void> {
  const want = stack.authority.ledger.entries(Chain.NOTIFICATION).length;
  await until(async () => ((await appState(d.page)).network.chains.find((c) => c.chain === 'notification')?.have ?? 0) >= want, 'the device\'s chain has the venue certificate', 60_000, 250);
}

test('venue check-in: a forged poster is refused; A (image file, checked out by the app) and B (camera, checked out by hand) share 30 minutes at the venue; A is diagnosed; B is told "Low risk" on that day', { timeout: 300_000 }, async () => {
  const stack = await startTestStack();
  const dir = mkdtempSync(join(tmpdir(), 'bt-venue-'));
  const y4m = join(dir, 'poster.y4m');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${y4m}`] });
  try {
    // The venue: a key certified by the CA, and its poster (default stay 30 minutes).
    const venue = newRoleKey(nodeCrypto);
    const region = stack.config.region;
    const nowSec = Math.floor(Date.now() / 1000);
    await stack.publish(certificateBlock(nodeCrypto, stack.authority.keys.root, {
      serial: nodeCrypto.randomBytes(16), role: Role.VENUE, region, subject: venue.publicKey, notBefore: nowSec - 3 * 3600, notAfter: nowSec + 86_400, name: 'Café Nord',
    }, { region, timeSec: nowSec, parents: stack.authority.ledger.tips(Chain.NOTIFICATION) }));
    const poster = signPoster(nodeCrypto, venue, { region, name: 'Café Nord', minutes: 30 });
    const posterGif = Buffer.from(encodeQR(poster, 'gif', { scale: 6 }));
    writeFileSync(join(dir, 'poster.gif'), posterGif);
    execFileSync('ffmpeg', ['-loglevel', 'error', '-y', '-i', join(dir, 'poster.gif'), '-vf', 'scale=-2:640,pad=1280:720:(ow-iw)/2:(oh-ih)/2:color=white', '-frames:v', '1', '-pix_fmt', 'yuv420p', y4m]);
    const raw = fromBase64url(poster.slice(5));
    raw[40] ^= 0x20; // one letter of the signed name changes case ("Café Nord" → "CAfé Nord")
    const forgedGif = Buffer.from(encodeQR(`BTV1:${toBase64url(raw)}`, 'gif', { scale: 6 }));

    const a = await openPhone(browser, stack.appUrl, offset(HOME.lat, HOME.lon, 0, 0));
    const b = await openPhone(browser, stack.appUrl, offset(HOME.lat, HOME.lon, 2000, 0));
    await firstRun(a.page);
    await firstRun(b.page);
    await synced(stack, a);
    await synced(stack, b);

    // The check-in window: 30 minutes in the past (one UTC day).
    const t0 = pastWindow(36);
    const day = dayOfMs(t0);

    // A: the forged poster as an image file is refused, nothing recorded; then the real one.
    await a.page.clock.setSystemTime(t0);
    await a.page.getByRole('button', { name: 'Check in at a venue' }).click();
    await a.page.getByRole('heading', { name: 'Check in at a venue' }).waitFor();
    await axeClean(a.page, 'check in');
    await chooseImage(a.page, forgedGif);
    await a.page.getByText('This poster is forged or was altered. You were not checked in.').waitFor({ timeout: 20_000 });
    assert.equal((await appState(a.page)).checkin ?? null, null);
    // A poster signed by a key the authority never certified, and one of another region: refused too.
    await chooseImage(a.page, Buffer.from(encodeQR(signPoster(nodeCrypto, newRoleKey(nodeCrypto), { region, name: 'Café Nord', minutes: 30 }), 'gif', { scale: 6 })));
    await a.page.getByText('This venue is not (or no longer) certified by the health authority. You were not checked in.').waitFor({ timeout: 20_000 });
    await chooseImage(a.page, Buffer.from(encodeQR(signPoster(nodeCrypto, venue, { region: region + 1, name: 'Café Nord', minutes: 30 }), 'gif', { scale: 6 })));
    await a.page.getByText('This poster belongs to another region. You were not checked in.').waitFor({ timeout: 20_000 });
    assert.equal((await appState(a.page)).checkin ?? null, null);
    await chooseImage(a.page, posterGif);
    await a.page.getByRole('status').filter({ hasText: 'Checked in at Café Nord' }).waitFor({ timeout: 20_000 });
    await axeClean(a.page, 'checked in');
    const aIn = (await appState(a.page)).checkin!;
    assert.equal(aIn.venueId, venueIdOf(nodeCrypto, venue.publicKey));
    assert.equal(aIn.until - aIn.since, 30 * 60_000);

    // B: the camera reads the poster.
    await b.page.clock.setSystemTime(t0);
    await b.page.goto(`${stack.appUrl}#/checkin`);
    await b.page.getByRole('button', { name: 'Scan with the camera' }).click();
    await b.page.getByRole('status').filter({ hasText: 'Checked in at Café Nord' }).waitFor({ timeout: 30_000 });

    // A reloads while checked in: still checked in. Then 35 minutes pass: the app checks A out at 30.
    await a.page.reload();
    await a.page.getByRole('status').filter({ hasText: 'Checked in at Café Nord' }).waitFor({ timeout: 60_000 });
    await a.page.clock.runFor(35 * 60_000);
    await until(async () => (await appState(a.page)).checkin === null && (await appState(a.page)).days.some((x) => x.day === day && x.coveredMinutes === 30), 'A checked out by the app after 30 minutes', 30_000, 250);
    // B checks out by hand after 30 minutes.
    await b.page.clock.runFor(30 * 60_000);
    await b.page.getByRole('button', { name: 'Check out' }).click();
    await b.page.getByText('Checked out of Café Nord.').waitFor();
    await until(async () => (await appState(b.page)).days.some((x) => x.day === day && x.coveredMinutes === 30), 'B\'s 30 venue minutes');

    // Both upload at the real time.
    const before = traceBatches(stack);
    for (const d of [a, b]) {
      await d.page.clock.setSystemTime(Date.now());
      await d.page.getByRole('navigation').getByRole('link', { name: 'Status' }).click();
      await d.page.getByRole('button', { name: 'Upload now' }).click();
    }
    await until(() => traceBatches(stack) >= before + 2, 'both trace batches at the full node', 90_000);

    // A is diagnosed (the local clinic endorses A's day after A's device proved possession). A case
    // endorses only batches published before it, in whole seconds: wait for the next second.
    const lastBatch = Math.max(...stack.authority.ledger.entries(Chain.TRACING).filter((e) => e.kind === Kind.TRACE_BATCH).map((e) => e.time));
    await until(() => Math.floor(Date.now() / 1000) > lastBatch, 'the second after the last upload', 5000);
    const clinic = stack.authority.keys.diagnostician;
    const challenge = nodeCrypto.randomBytes(32);
    const proofs = await sendIntent<ConsentProof[]>(a.page, { type: 'prove-days', diagnostician: toHex(clinic.publicKey), challenge: toHex(challenge), days: [day] });
    const ledger = stack.authority.ledger;
    const epoch = epochOf(ledger.authority.policy, dayOfMs(Date.now()));
    await stack.publish(diagnosisBlock(nodeCrypto, clinic, {
      region, timeSec: Math.floor(Date.now() / 1000), parents: ledger.tips(Chain.TRACING), epoch, epochPub: ledger.authority.epochKey(epoch)!,
      onset: day, lookback: ledger.authority.policy.lookbackDays, challenge,
      endorsed: proofs.map((p) => ({ day: p.day, dayPub: fromHex(p.dayPub), proof: fromHex(p.proof) })),
    }));

    // The solver matches the venue stays: B is at low risk on that day; A is not told of its own stays.
    const status = b.page.getByRole('status').filter({ hasText: /risk|exposure/ }).first();
    await until(async () => /Low risk/.test((await status.textContent()) ?? ''), 'B\'s status "Low risk"', 120_000, 500);
    assert.ok(await b.page.locator(`time[datetime="${isoOfDay(day)}"]`).count() >= 1, 'B\'s status names the day of the visit');
    assert.deepEqual((await appState(b.page)).exposure.alerts.map((x) => [x.day, x.level]), [[day, 'low']]);
    assert.equal((await appState(a.page)).exposure.status, 'none');
  } finally {
    await browser.close();
    await stack.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
});

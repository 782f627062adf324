/**
 * A diagnosis through the two QR codes (issue 11), end to end on the stack `npm start` runs, in
 * real Chromium: the diagnostician's mode unlocked with a key file; the clinic code shown on its
 * screen and read by the patient's camera; the consent code shown on the patient's screen and
 * read by the diagnostician's camera (Chromium's fake camera playing a y4m made from a screenshot
 * of the code) or from image files ("Choose a QR image"). Then the refusals: a tampered code, a
 * consent replayed to a second diagnostician or used twice, an expired challenge, a revoked
 * diagnostician, a patient who declines — each with a clear message and no DIAGNOSIS block.
 * The patient's browser is a thin node (relay off): it sees its diagnosis recorded and counts the
 * case in its own transparency view (docs/PROTOCOL.md §15 item 34).
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
import { sealKeyFile } from '../../src/core/keyfile.ts';
import { certificateBlock, newRoleKey, revocationBlock, type RoleKey } from '../../src/core/blocks.ts';
import { fromBase64url, toBase64url, toHex } from '../../src/core/bytes.ts';
import { fingerprint } from '../../src/core/ledger/transparency.ts';
import type { TransparencySummary } from '../../src/app/protocol.ts';
import { Kind } from '../../src/core/codec/block.ts';
import { Role } from '../../src/core/codec/records.ts';
import { Chain, dayOfMs } from '../../src/core/types.ts';
import { CHROMIUM, CHROMIUM_ARGS, until } from './harness.ts';
import { appState, firstRun, isoOfDay, offset, pastWindow, sendIntent, startTestStack, stayAt, type Device } from './app-harness.ts';

const HOME = { lat: 55.8721, lon: -4.2882 };
type Stack = Awaited<ReturnType<typeof startTestStack>>;
const PASS = 'clinic passphrase';

function diagnoses(stack: Stack): number {
  return stack.authority.ledger.entries(Chain.TRACING).filter((e) => e.kind === Kind.DIAGNOSIS).length;
}
function traceBatches(stack: Stack): number {
  return stack.authority.ledger.entries(Chain.TRACING).filter((e) => e.kind === Kind.TRACE_BATCH).length;
}

/** Chromium whose fake camera plays `y4m` (written later: Chromium opens it when the camera starts). */
function launchWithCamera(y4m: string): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${y4m}`] });
}

/** A phone-like device (3 device pixels per CSS pixel, as phones have) with the camera allowed. */
async function openPhone(browser: Browser, url: string, at: { latitude: number; longitude: number }, startMs: number): Promise<Device> {
  const ctx = await browser.newContext({ viewport: { width: 360, height: 640 }, deviceScaleFactor: 3, permissions: ['geolocation', 'notifications', 'camera'], geolocation: { ...at, accuracy: 5 } });
  const page = await ctx.newPage();
  page.on('pageerror', (e) => process.stderr.write(`page error: ${e.message}\n`));
  await page.clock.install({ time: startMs });
  await page.goto(url);
  return { ctx, page };
}

/** A screenshot of the QR code a view shows (PNG), and its text. */
async function shownQr(page: Page): Promise<{ png: Buffer; text: string }> {
  const qr = page.locator('bt-qr-show .qr');
  await qr.waitFor({ timeout: 15_000 });
  return { png: await qr.screenshot(), text: (await qr.getAttribute('data-qr-text'))! };
}

/** A camera video file (y4m, 1280×720, the code in the middle on white) from a PNG. */
function y4mOf(png: Buffer, dir: string, out: string): void {
  const src = join(dir, `${out}.png`);
  writeFileSync(src, png);
  execFileSync('ffmpeg', ['-loglevel', 'error', '-y', '-i', src, '-vf', 'scale=-2:640,pad=1280:720:(ow-iw)/2:(oh-ih)/2:color=white', '-frames:v', '1', '-pix_fmt', 'yuv420p', join(dir, out)]);
}

/** Choose an image file on the view's "Choose a QR image". */
async function chooseImage(page: Page, buffer: Buffer, mimeType = 'image/png'): Promise<void> {
  await page.getByLabel('Choose a QR image').setInputFiles({ name: 'code.png', mimeType, buffer });
}

async function recordDay(d: Device, spot: { latitude: number; longitude: number }, minutes: number, upload: boolean): Promise<void> {
  await d.page.getByRole('button', { name: 'Start recording' }).click();
  await until(async () => (await appState(d.page)).recording.on, 'recording on');
  await stayAt(d, spot, minutes);
  await stayAt(d, offset(spot.latitude, spot.longitude, 2000, 0), 2);
  await until(async () => (await appState(d.page)).days.some((x) => x.stays > 0), 'closed stays in the day summary');
  await d.page.clock.setSystemTime(Date.now());
  await d.page.clock.resume();
  if (upload) await d.page.getByRole('button', { name: 'Upload now' }).click();
}

async function keyFile(dir: string, name: string, key: RoleKey, region: number): Promise<string> {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, await sealKeyFile(nodeCrypto, { role: 'diagnostician', name, region, secretKey: key.secretKey }, PASS, { N: 2 ** 10, r: 8, p: 1 }));
  return file;
}

/** Open diagnostician mode from Settings with a key file; waits for the device's chain first. */
async function unlockClinic(d: Device, file: string): Promise<void> {
  await until(async () => (await appState(d.page)).network.chains.some((c) => c.chain === 'notification' && c.have > 5), 'the diagnostician\'s chain synced', 60_000, 250);
  await d.page.getByRole('navigation').getByRole('link', { name: 'Settings' }).click();
  await d.page.getByRole('link', { name: 'Diagnostician mode' }).click();
  await d.page.getByLabel('Key file').setInputFiles(file);
  await d.page.getByLabel('Passphrase').fill(PASS);
  await d.page.getByRole('button', { name: 'Open key file' }).click();
}

async function axeClean(page: Page, what: string): Promise<void> {
  const r = await new AxeBuilder({ page }).analyze();
  assert.deepEqual(r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), [], `axe on ${what}`);
}

async function certify(stack: Stack, key: RoleKey, name: string): Promise<void> {
  const t = Math.floor(Date.now() / 1000);
  await stack.publish(certificateBlock(nodeCrypto, stack.authority.keys.root, {
    serial: nodeCrypto.randomBytes(16), role: Role.DIAGNOSTICIAN, region: stack.config.region, subject: key.publicKey, notBefore: t - 3600, notAfter: t + 86_400, name,
  }, { region: stack.config.region, timeSec: t, parents: stack.authority.ledger.tips(Chain.NOTIFICATION) }));
}

test('A is diagnosed through the two QR codes by cameras: B is told "High risk", C "No exposure found", A\'s app (relay off) says its test was recorded and its dashboard shows one case for the clinic', { timeout: 400_000 }, async () => {
  const stack = await startTestStack();
  const dir = mkdtempSync(join(tmpdir(), 'bt-consent-'));
  const people = await launchWithCamera(join(dir, 'clinic.y4m'));
  const clinicBrowser = await launchWithCamera(join(dir, 'consent.y4m'));
  try {
    const t0 = pastWindow(30);
    const day = dayOfMs(t0 + 60_000);
    const spotA = offset(HOME.lat, HOME.lon, 0, 0);
    const spotB = offset(HOME.lat, HOME.lon, 3, 3);
    const spotC = offset(HOME.lat, HOME.lon, 300, 0);
    const a = await openPhone(people, stack.appUrl, spotA, t0);
    const b = await openPhone(people, stack.appUrl, spotB, t0);
    const c = await openPhone(people, stack.appUrl, spotC, t0);
    await firstRun(a.page, 'Exact');
    await firstRun(b.page, 'Exact');
    await firstRun(c.page);
    const before = traceBatches(stack);
    await recordDay(a, spotA, 21, true);
    await recordDay(b, spotB, 21, true);
    await recordDay(c, spotC, 21, true);
    await until(() => traceBatches(stack) >= before + 3, 'every trace batch at the full node', 90_000);

    // A does not relay: a thin node holds the tracing chain's case blocks (PROTOCOL §15 item 34), so it sees the diagnosis.
    assert.equal((await appState(a.page)).network.role, 'thin', 'A is a thin node (relay off)');

    // The diagnostician opens diagnostician mode with the key file and shows a clinic code.
    const d = await openPhone(clinicBrowser, stack.appUrl, offset(HOME.lat, HOME.lon, 5000, 0), Date.now());
    await d.page.clock.resume();
    await firstRun(d.page);
    await unlockClinic(d, await keyFile(dir, 'Local Clinic', stack.authority.keys.diagnostician, stack.config.region));
    await d.page.getByText('Signed in as Local Clinic.').waitFor({ timeout: 30_000 });
    await d.page.getByRole('button', { name: 'Show a new clinic code' }).click();
    const clinicQr = await shownQr(d.page);
    assert.match(clinicQr.text, /^BTC1:/);
    await axeClean(d.page, 'diagnostician mode with a clinic code');
    y4mOf(clinicQr.png, dir, 'clinic.y4m');

    // A: "I tested positive" → what is shared → the camera reads the clinic code → the day → the consent code.
    await a.page.getByRole('link', { name: 'I tested positive' }).click();
    await a.page.getByRole('heading', { name: 'What will be shared' }).waitFor();
    await axeClean(a.page, 'I tested positive');
    await a.page.getByRole('button', { name: 'Scan the clinic code' }).click();
    await a.page.getByRole('button', { name: 'Scan with the camera' }).click();
    await a.page.getByText('Clinic: Local Clinic. Certified by the health authority.').waitFor({ timeout: 30_000 });
    assert.equal(await a.page.getByRole('checkbox').count(), 1, 'A\'s one recorded day is offered');
    assert.ok(await a.page.getByRole('checkbox').isChecked());
    await a.page.getByRole('button', { name: 'Share these days' }).click();
    const consentQr = await shownQr(a.page);
    assert.match(consentQr.text, /^BTP1:/);
    await axeClean(a.page, 'the consent code');
    y4mOf(consentQr.png, dir, 'consent.y4m');

    // The diagnostician's camera reads the consent code; onset and lookback; endorse.
    const published = diagnoses(stack);
    await d.page.getByRole('button', { name: 'Scan with the camera' }).click();
    await d.page.getByText('Days the patient proved: 1.').waitFor({ timeout: 30_000 });
    await d.page.getByLabel('Symptom onset or test day').selectOption(String(day));
    await axeClean(d.page, 'the consent to endorse');
    await d.page.getByRole('button', { name: 'Endorse the diagnosis' }).click();
    await d.page.getByText('Diagnosis published. Days: 1.').waitFor({ timeout: 60_000 });
    await until(() => diagnoses(stack) === published + 1, 'the diagnosis at the full node', 60_000);

    // A's app — a thin node, relay off — recognises the diagnosis answering its consent.
    await a.page.getByText('Your positive test was recorded.').first().waitFor({ timeout: 90_000 });
    assert.equal((await appState(a.page)).consent?.status, 'recorded');
    assert.equal((await appState(a.page)).network.role, 'thin');
    // …and its transparency view, from the blocks its own ledger verified, shows one case for that diagnostician.
    const clinicHex = toHex(stack.authority.keys.diagnostician.publicKey);
    await a.page.getByRole('navigation').getByRole('link', { name: 'Transparency' }).click();
    await a.page.getByRole('heading', { level: 1, name: 'Transparency' }).waitFor();
    const caseCells = a.page.getByRole('table', { name: 'Cases per diagnostician and day' }).getByRole('row').filter({ hasText: fingerprint(clinicHex) }).first().getByRole('cell');
    await until(async () => (await caseCells.count()) > 0, 'the case in A\'s transparency view', 60_000, 250);
    assert.equal((await caseCells.allTextContents())[0]?.trim(), '1', 'one case for Local Clinic');
    assert.ok((await caseCells.allTextContents()).some((t) => t.includes('Local Clinic')), `the row names the clinic: ${await caseCells.allTextContents()}`);
    const summary = await sendIntent<TransparencySummary>(a.page, { type: 'transparency' });
    assert.deepEqual(summary.cases.map((r) => [r.signer, r.cases]), [[clinicHex, 1]]);

    // The solver: B high risk on the day; C nothing.
    const status = b.page.getByRole('status').filter({ hasText: /risk|exposure/ }).first();
    await until(async () => /High risk/.test((await status.textContent()) ?? ''), 'B\'s status "High risk"', 120_000, 500);
    assert.ok(await b.page.locator(`time[datetime="${isoOfDay(day)}"]`).count() >= 1, 'B\'s status names the day');
    const bHas = (await appState(b.page)).network.chains.find((y) => y.chain === 'notification')?.have ?? 0;
    await until(async () => (await appState(c.page)).network.chains.some((x) => x.chain === 'notification' && x.have >= bHas), 'C has the notification chain B has', 60_000, 250);
    assert.match((await c.page.getByRole('status').filter({ hasText: /risk|exposure/ }).first().textContent()) ?? '', /No exposure found/);
    assert.equal((await appState(a.page)).exposure.status, 'none');
  } finally {
    await people.close();
    await clinicBrowser.close();
    await stack.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('through image files; refusals with a clear message and nothing published: tampered, not a BeepTrace code, second diagnostician, used twice, expired, revoked, declined; self-report', { timeout: 300_000 }, async () => {
  const stack = await startTestStack();
  const dir = mkdtempSync(join(tmpdir(), 'bt-consent-'));
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    const t0 = pastWindow(12);
    const p = await openPhone(browser, stack.appUrl, offset(HOME.lat, HOME.lon, 0, 0), t0);
    await firstRun(p.page);
    await recordDay(p, offset(HOME.lat, HOME.lon, 0, 0), 6, false);
    const d = await openPhone(browser, stack.appUrl, offset(HOME.lat, HOME.lon, 5000, 0), Date.now());
    await d.page.clock.resume();
    await firstRun(d.page);
    const second = newRoleKey(nodeCrypto);
    await certify(stack, second, 'Second Clinic');
    const file1 = await keyFile(dir, 'Local Clinic', stack.authority.keys.diagnostician, stack.config.region);
    const file2 = await keyFile(dir, 'Second Clinic', second, stack.config.region);
    await unlockClinic(d, file1);
    await d.page.getByText('Signed in as Local Clinic.').waitFor({ timeout: 30_000 });
    const none = diagnoses(stack);

    // The patient declines after reading the clinic: nothing shared, nothing published.
    await d.page.getByRole('button', { name: 'Show a new clinic code' }).click();
    let clinic = await shownQr(d.page);
    await p.page.getByRole('link', { name: 'I tested positive' }).click();
    await p.page.getByRole('button', { name: 'Scan the clinic code' }).click();
    // This browser has no camera: it says so, and the file route still works.
    await p.page.getByRole('button', { name: 'Scan with the camera' }).click();
    await p.page.getByText(/No camera could be opened|not allowed/).waitFor({ timeout: 20_000 });
    await chooseImage(p.page, clinic.png);
    await p.page.getByText('Clinic: Local Clinic. Certified by the health authority.').waitFor({ timeout: 20_000 });
    await p.page.getByRole('button', { name: 'Not now' }).click();
    await p.page.getByText('Nothing was shared.').waitFor();
    assert.equal((await appState(p.page)).consent ?? null, null);

    // Through image files: the clinic code, then the consent code. A web link's QR code first: refused.
    await p.page.getByRole('navigation').getByRole('link', { name: 'Status' }).click();
    await p.page.getByRole('link', { name: 'I tested positive' }).click();
    await p.page.getByRole('button', { name: 'Scan the clinic code' }).click();
    await chooseImage(p.page, Buffer.from(encodeQR('https://example.org/', 'gif', { scale: 6 })), 'image/gif');
    await p.page.getByText('This is not a BeepTrace code. Nothing was shared.').waitFor({ timeout: 20_000 });
    await chooseImage(p.page, clinic.png);
    await p.page.getByRole('button', { name: 'Share these days' }).click();
    const consent = await shownQr(p.page);

    // A tampered consent code (one proof byte changed), as a picture: refused.
    const raw = fromBase64url(consent.text.slice(5));
    raw[raw.length - 1] ^= 1;
    const tampered = Buffer.from(encodeQR(`BTP1:${toBase64url(raw)}`, 'gif', { scale: 6 }));
    await chooseImage(d.page, tampered, 'image/gif');
    await d.page.getByText('The proofs in this consent do not check out. Nothing was published.').waitFor({ timeout: 20_000 });
    // Not a picture of a code at all.
    await chooseImage(d.page, Buffer.from('not an image'), 'image/png');
    await d.page.getByText('This file is not a picture.').waitFor();
    // Another QR code (a web link): refused, saying what did not happen (issue 18 finding 8).
    const link = Buffer.from(encodeQR('https://example.org/', 'gif', { scale: 6 }));
    await chooseImage(d.page, link, 'image/gif');
    await d.page.getByText('This is not a BeepTrace code. Nothing was published.').waitFor({ timeout: 20_000 });

    // The same consent to a second diagnostician: refused.
    await d.page.getByRole('button', { name: 'Leave diagnostician mode' }).click();
    await d.page.getByRole('button', { name: 'Open key file' }).waitFor();
    await unlockClinic(d, file2);
    await d.page.getByText('Signed in as Second Clinic.').waitFor({ timeout: 30_000 });
    await chooseImage(d.page, consent.png);
    await d.page.getByText('This consent was given to another clinic. It cannot be used here. Nothing was published.').waitFor({ timeout: 20_000 });
    const secondCode = (await sendIntent<{ text: string }>(d.page, { type: 'clinic-code' })).text;
    await d.page.getByRole('button', { name: 'Leave diagnostician mode' }).click();

    // The right diagnostician endorses it once; a second time it is refused.
    await unlockClinic(d, file1);
    await d.page.getByText('Signed in as Local Clinic.').waitFor({ timeout: 30_000 });
    await chooseImage(d.page, consent.png);
    await d.page.getByText('Days the patient proved: 1.').waitFor({ timeout: 20_000 });
    await axeClean(d.page, 'the consent to endorse');
    await d.page.getByRole('button', { name: 'Endorse the diagnosis' }).click();
    await d.page.getByText('Diagnosis published. Days: 1.').waitFor({ timeout: 60_000 });
    await until(() => diagnoses(stack) === none + 1, 'the diagnosis at the full node', 60_000);
    await chooseImage(d.page, consent.png);
    await d.page.getByText('This consent was already used. It cannot be used twice. Nothing was published.').waitFor({ timeout: 20_000 });

    // An expired challenge: a new consent, scanned 11 minutes later.
    await d.page.getByRole('button', { name: 'Show a new clinic code' }).click();
    await until(async () => (await shownQr(d.page)).text !== clinic.text, 'a new clinic code');
    clinic = await shownQr(d.page);
    await p.page.getByRole('navigation').getByRole('link', { name: 'Status' }).click();
    await p.page.getByRole('link', { name: 'I tested positive' }).click();
    await p.page.getByRole('button', { name: 'Scan the clinic code' }).click();
    await chooseImage(p.page, clinic.png);
    await p.page.getByRole('button', { name: 'Share these days' }).click();
    const late = await shownQr(p.page);
    await d.page.clock.fastForward(11 * 60_000);
    await d.page.waitForTimeout(1500);
    await chooseImage(d.page, late.png);
    await d.page.getByText('This code has expired. Ask for a new one. Nothing was shared.').waitFor({ timeout: 20_000 });
    await d.page.clock.setSystemTime(Date.now());

    // The second diagnostician is revoked: its old clinic code is refused by the patient, and it cannot unlock again.
    const t = Math.floor(Date.now() / 1000);
    await stack.publish(revocationBlock(nodeCrypto, stack.authority.keys.root, { subject: second.publicKey, revokedAt: t - 1, reason: 1 }, { region: stack.config.region, timeSec: t, parents: stack.authority.ledger.tips(Chain.NOTIFICATION) }));
    await until(async () => {
      try {
        await sendIntent(p.page, { type: 'consent-clinic', text: secondCode });
        return false;
      } catch (e) {
        return /not a certified diagnostician/.test(String(e));
      }
    }, 'the patient\'s chain has the revocation', 60_000, 500);
    await p.page.getByRole('navigation').getByRole('link', { name: 'Status' }).click();
    await p.page.getByRole('link', { name: 'I tested positive' }).click();
    await p.page.getByRole('button', { name: 'Scan the clinic code' }).click();
    await chooseImage(p.page, Buffer.from(encodeQR(secondCode, 'gif', { scale: 6 })), 'image/gif');
    await p.page.getByText('This clinic is not (or no longer) certified by the health authority. Nothing was shared.').waitFor({ timeout: 20_000 });
    await d.page.getByRole('button', { name: 'Leave diagnostician mode' }).click();
    const refusedText = 'This key is not certified as a diagnostician on the health authority\'s chain (missing, expired or revoked). Diagnostician mode stays locked.';
    await until(async () => {
      // Until the diagnostician's device has the revocation, the key still opens: leave and try again.
      await unlockClinic(d, file2);
      const signedIn = d.page.getByText('Signed in as Second Clinic.');
      const refused = d.page.getByText(refusedText);
      await signedIn.or(refused).first().waitFor({ timeout: 30_000 });
      if (await refused.isVisible()) return true;
      await d.page.getByRole('button', { name: 'Leave diagnostician mode' }).click();
      return false;
    }, 'the diagnostician\'s device refuses the revoked key', 60_000, 1000);
    await axeClean(d.page, 'diagnostician mode, locked, with a refusal');
    assert.equal(diagnoses(stack), none + 1, 'only the one endorsed diagnosis was published');

    // Self-report: anonymous, with a confirmation of what it does.
    const reports = () => stack.authority.ledger.entries(Chain.TRACING).filter((e) => e.kind === Kind.SELF_REPORT).length;
    const r0 = reports();
    await p.page.goto(`${stack.appUrl}#/status`);
    await p.page.getByRole('link', { name: 'Report symptoms' }).click();
    await p.page.getByText('Your report is anonymous and not checked by a clinic', { exact: false }).waitFor();
    await axeClean(p.page, 'report symptoms');
    await p.page.getByRole('button', { name: 'Send the report' }).click();
    await p.page.getByText('Your report was sent. Days shared: 1. Thank you.').waitFor({ timeout: 60_000 });
    await until(() => reports() === r0 + 1, 'the self-report at the full node', 60_000);
  } finally {
    await browser.close();
    await stack.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
});

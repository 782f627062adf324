/**
 * The app end to end, as people use it: the built app served by the same stack `npm start` runs
 * (signaling, the local authority, a solver and two validators as child processes), real Chromium,
 * real WebRTC, real IndexedDB, the real service worker. Time on the pages moves with Playwright's
 * page.clock (the engine in the worker follows the page's clock).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import { nodeCrypto } from '../../src/node/node-crypto.ts';
import { diagnosisBlock } from '../../src/core/blocks.ts';
import { fromHex, toHex } from '../../src/core/bytes.ts';
import { Kind } from '../../src/core/codec/block.ts';
import { epochOf } from '../../src/core/policy.ts';
import { Chain, dayOfMs } from '../../src/core/types.ts';
import type { ConsentProof } from '../../src/app/protocol.ts';
import { messages } from '../../src/app/i18n/all.ts';
import { launchChromium, until } from './harness.ts';
import { appState, firstRun, idbBlocks, isoOfDay, offset, openDevice, pastWindow, sendIntent, startTestStack, stayAt, type Device } from './app-harness.ts';

const HOME = { lat: 55.8721, lon: -4.2882 };

/** Trace batches the authority's full node holds. */
function traceBatches(stack: Awaited<ReturnType<typeof startTestStack>>): number {
  return stack.authority.ledger.entries(Chain.TRACING).filter((e) => e.kind === Kind.TRACE_BATCH).length;
}

/** Record a stay, close it by walking away, bring the page's clock back to now, and upload. */
async function recordAndUpload(d: Device, spot: { latitude: number; longitude: number }, minutes: number): Promise<void> {
  await d.page.getByRole('button', { name: 'Start recording' }).click();
  await until(async () => (await appState(d.page)).recording.on, 'recording on');
  await stayAt(d, spot, minutes);
  // Walk 2 km away: the stay closes (the new one stays open and is not sealed).
  await stayAt(d, offset(spot.latitude, spot.longitude, 2000, 0), 2);
  await until(async () => (await appState(d.page)).days.some((x) => x.stays > 0), 'closed stays in the day summary');
  await d.page.clock.setSystemTime(Date.now());
  await d.page.clock.resume();
  await d.page.getByRole('button', { name: 'Upload now' }).click();
}

test('three people: record, trail, upload to the full node only, diagnosis, solver: B is told "High risk", C "No exposure found"; the upload is proven', { timeout: 300_000 }, async () => {
  const stack = await startTestStack();
  const browser = await launchChromium();
  try {
    const t0 = pastWindow(30);
    const day = dayOfMs(t0 + 60_000);
    const spotA = offset(HOME.lat, HOME.lon, 0, 0);
    const spotB = offset(HOME.lat, HOME.lon, 3, 3); // ≈ 4.2 m from A
    const spotC = offset(HOME.lat, HOME.lon, 300, 0);
    const a = await openDevice(browser, stack.appUrl, spotA, t0);
    const b = await openDevice(browser, stack.appUrl, spotB, t0);
    const c = await openDevice(browser, stack.appUrl, spotC, t0);
    await firstRun(a.page, 'Exact');
    await firstRun(b.page, 'Exact');
    await firstRun(c.page);

    // A: 20 minutes at the spot, then the trail shows the stays.
    const before = traceBatches(stack);
    await recordAndUpload(a, spotA, 21);
    await until(() => traceBatches(stack) > before, 'A\'s trace batch at the full node', 60_000);
    await a.page.getByRole('link', { name: 'Trail' }).click();
    const rows = await until(async () => {
      const n = await a.page.getByRole('table').getByRole('row').count();
      return n > 1 ? n : 0;
    }, 'stays listed on the trail');
    assert.ok(rows >= 2, 'a header row and at least one stay');
    await a.page.getByRole('link', { name: 'Status' }).click();

    await recordAndUpload(b, spotB, 21);
    await recordAndUpload(c, spotC, 21);
    await until(() => traceBatches(stack) >= before + 3, 'every trace batch at the full node', 60_000);
    // Thin pages never hold a tracing block.
    for (const d of [a, b, c]) assert.equal(await idbBlocks(d.page, Chain.TRACING), 0, 'no tracing block in a page\'s IndexedDB');

    // A tests positive: the local clinic endorses A's day after A's device proved possession.
    const clinic = stack.authority.keys.diagnostician;
    const challenge = nodeCrypto.randomBytes(32);
    const proofs = await sendIntent<ConsentProof[]>(a.page, { type: 'prove-days', diagnostician: toHex(clinic.publicKey), challenge: toHex(challenge), days: [day] });
    assert.equal(proofs.length, 1);
    const ledger = stack.authority.ledger;
    const nowSec = Math.floor(Date.now() / 1000);
    const epoch = epochOf(ledger.authority.policy, dayOfMs(Date.now()));
    const diag = diagnosisBlock(nodeCrypto, clinic, {
      region: stack.config.region, timeSec: nowSec, parents: ledger.tips(Chain.TRACING), epoch, epochPub: ledger.authority.epochKey(epoch)!,
      onset: day, lookback: ledger.authority.policy.lookbackDays, challenge,
      endorsed: proofs.map((p) => ({ day: p.day, dayPub: fromHex(p.dayPub), proof: fromHex(p.proof) })),
    });
    await stack.publish(diag);

    // The solver matches and publishes; B's device finds its tag on the notification chain.
    const status = b.page.getByRole('status').filter({ hasText: /risk|exposure/ }).first();
    await until(async () => /High risk/.test((await status.textContent()) ?? ''), 'B\'s status "High risk"', 90_000, 500);
    const when = await b.page.locator(`time[datetime="${isoOfDay(day)}"]`).count();
    assert.ok(when >= 1, `B's status names the exposure day ${isoOfDay(day)}`);
    const notes = await b.page.evaluate(async () => (await (await navigator.serviceWorker.ready).getNotifications()).map((n) => n.body + ' ' + n.title));
    assert.equal(notes.length, 1, 'B got one system notification');
    assert.doesNotMatch(notes[0], /risk/i, 'the notification text does not show the risk');
    // C checked the same chain after the notification and found nothing.
    const notifiedAt = Date.now();
    await until(async () => ((await appState(c.page)).exposure.lastCheckedAt ?? 0) >= notifiedAt - 60_000 && (await appState(c.page)).network.chains.some((x) => x.chain === 'notification'), 'C checked');
    await until(async () => (await appState(c.page)).exposure.lastCheckedAt! > 0 && (await idbBlocks(c.page, Chain.NOTIFICATION)) >= (await idbBlocks(b.page, Chain.NOTIFICATION)), 'C has the notification chain B has', 30_000);
    const cStatus = await c.page.getByRole('status').filter({ hasText: /risk|exposure/ }).first().textContent();
    assert.match(cStatus ?? '', /No exposure found/);
    assert.equal((await appState(c.page)).exposure.status, 'none');
    assert.equal((await appState(a.page)).exposure.status, 'none', 'the patient is not notified of their own stays');

    // Later, a final checkpoint proves A's upload: the day shows it, and nothing waits for a proof.
    await until(async () => (await appState(a.page)).days.find((x) => x.day === day)?.upload === 'proven', 'A\'s day proven by a checkpoint', 120_000, 500);
    await a.page.getByRole('link', { name: 'Network' }).click();
    assert.equal((await appState(a.page)).network.retained.length, 0);
  } finally {
    await browser.close();
    await stack.cleanup();
  }
});

test('offline after one visit, installable, one node for two tabs, a reload mid-upload loses and duplicates nothing, erase leaves no user data', { timeout: 240_000 }, async () => {
  const stack = await startTestStack();
  const browser = await launchChromium();
  try {
    // 30 minutes: the walk-away stay, ended by the pause at its last fix + 10 minutes, is in it too.
    const t0 = pastWindow(30);
    const spot = offset(HOME.lat, HOME.lon, 0, 0);
    const d = await openDevice(browser, stack.appUrl, spot, t0);
    await firstRun(d.page);
    await d.page.getByRole('button', { name: 'Start recording' }).click();
    await until(async () => (await appState(d.page)).recording.on, 'recording on');
    await stayAt(d, spot, 12);
    await stayAt(d, offset(spot.latitude, spot.longitude, 1500, 0), 2);
    await d.page.clock.setSystemTime(Date.now());
    await d.page.clock.resume();
    // Paused before the upload: with recording on, the reload's first fix would continue the open
    // stay across the gap, and just after midnight UTC cut it at midnight, leaving a second batch
    // for the day before to be sealed (§11.5; the same as the Firefox test's offline reload).
    await d.page.getByRole('button', { name: 'Pause recording' }).click();
    await until(async () => !(await appState(d.page)).recording.on, 'recording paused');
    await until(async () => (await appState(d.page)).days.some((x) => x.stays > 0), 'closed stays');

    // Reload in the middle of an upload: the batch arrives once.
    const before = traceBatches(stack);
    await d.page.getByRole('button', { name: 'Upload now' }).click();
    await d.page.reload();
    await until(async () => (await appState(d.page)).ready, 'the engine after the reload');
    await until(() => traceBatches(stack) > before, 'the batch at the full node after the reload', 60_000);
    await until(async () => (await appState(d.page)).days.every((x) => x.upload !== 'waiting'), 'nothing waiting', 30_000);
    // The pending batch was published again after the reload: the same bytes, one block.
    await new Promise((r) => setTimeout(r, 5000));
    assert.equal(traceBatches(stack), before + 1, 'one batch: nothing lost, nothing sent twice');

    // Installable: the manifest and its icons, and the service worker controls the page.
    const manifest = await (await fetch(new URL('/manifest.webmanifest', stack.appUrl))).json();
    for (const k of ['name', 'short_name', 'start_url', 'scope', 'id', 'display', 'theme_color', 'background_color', 'icons']) assert.ok(manifest[k], `manifest ${k}`);
    assert.equal(manifest.display, 'standalone');
    const sizes = manifest.icons.map((i: { sizes: string; purpose?: string }) => `${i.sizes}${i.purpose === 'maskable' ? 'm' : ''}`);
    for (const s of ['192x192', '512x512']) assert.ok(sizes.includes(s), `icon ${s}`);
    assert.ok(sizes.some((s: string) => s.endsWith('m')), 'a maskable icon');
    for (const i of manifest.icons) assert.equal((await fetch(new URL(i.src, stack.appUrl))).status, 200, `icon ${i.src}`);
    await until(() => d.page.evaluate(() => !!navigator.serviceWorker.controller), 'the service worker controls the page');

    // A second tab mirrors the first: one leader, the same state.
    const second = await d.ctx.newPage();
    await second.goto(stack.appUrl);
    await until(async () => (await appState(second)).ready && (await appState(second)).days.length === (await appState(d.page)).days.length, 'the second tab mirrors the first');
    const leaders = await Promise.all([d.page, second].map((p) => p.evaluate(() => (globalThis as unknown as { beeptrace: { tabs: { leader: boolean } } }).beeptrace.tabs.leader)));
    assert.deepEqual(leaders.sort(), [false, true], 'exactly one tab runs the node');
    await second.close();

    // Offline after the first visit: the app and its data come from this device.
    await d.ctx.setOffline(true);
    await d.page.reload();
    await d.page.getByRole('link', { name: 'Status' }).waitFor({ timeout: 20_000 });
    await until(async () => (await appState(d.page)).days.length > 0, 'the data offline');
    await d.ctx.setOffline(false);

    // Erase everything: no user data in IndexedDB or caches.
    await d.page.getByRole('link', { name: 'My data' }).click();
    await d.page.getByRole('button', { name: 'Erase everything on this device' }).click();
    await d.page.getByRole('button', { name: 'Yes, erase' }).click();
    await until(async () => {
      const left = await d.page.evaluate(async () => {
        const dbs = (await indexedDB.databases()).map((x) => x.name);
        const cached: string[] = [];
        for (const k of await caches.keys()) for (const r of await (await caches.open(k)).keys()) cached.push(new URL(r.url).pathname);
        return { dbs, cached };
      });
      // No cached response under a user-data path (the app shell's files, such as the view chunk
      // /assets/data-view-*.js, are not user data: whole path segments only).
      return !left.dbs.includes('beeptrace') && left.cached.every((p) => !/\/(api|data|backup)\//.test(p)) ? left : null;
    }, 'the database erased', 20_000);
  } finally {
    await browser.close();
    await stack.cleanup();
  }
});

/** Every view by its link, after the first run. */
const VIEWS = ['nav.status', 'nav.trail', 'nav.data', 'nav.network', 'nav.settings'] as const;

async function axeClean(page: Page, what: string): Promise<void> {
  const r = await new AxeBuilder({ page }).analyze();
  assert.deepEqual(r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), [], `axe on ${what}`);
}

test('axe reports no violation on any view at 360×640 and 1280×800, in English and in Arabic (right to left)', { timeout: 240_000 }, async () => {
  const stack = await startTestStack();
  const browser = await launchChromium();
  try {
    for (const lang of ['en', 'ar'] as const) {
      const m = messages[lang];
      const d = await openDevice(browser, stack.appUrl, offset(HOME.lat, HOME.lon, 0, 0), Date.now());
      await d.page.clock.resume();
      await d.page.getByRole('heading', { level: 1 }).first().waitFor({ timeout: 30_000 });
      if (lang === 'ar') await d.page.getByRole('radio', { name: 'العربية' }).check();
      await until(() => d.page.evaluate((l) => document.documentElement.lang === l, lang), `lang=${lang}`);
      assert.equal(await d.page.evaluate(() => document.documentElement.dir), lang === 'ar' ? 'rtl' : 'ltr');
      for (const size of [{ width: 360, height: 640 }, { width: 1280, height: 800 }]) {
        await d.page.setViewportSize(size);
        await axeClean(d.page, `first run ${lang} ${size.width}`);
      }
      await d.page.getByRole('button', { name: m['first.finish'] }).click();
      for (const size of [{ width: 360, height: 640 }, { width: 1280, height: 800 }]) {
        await d.page.setViewportSize(size);
        for (const v of VIEWS) {
          await d.page.getByRole('navigation').getByRole('link', { name: m[v] }).click();
          await d.page.waitForTimeout(300);
          await axeClean(d.page, `${v} ${lang} ${size.width}×${size.height}`);
        }
      }
      await d.ctx.close();
    }
  } finally {
    await browser.close();
    await stack.cleanup();
  }
});

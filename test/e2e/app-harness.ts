/**
 * Harness of the app's end-to-end tests: the stack `npm start` runs (src/node/start/stack.ts: the
 * built app, signaling, the local authority and its full nodes) on ephemeral ports, Chromium
 * contexts as people's devices (each its own IndexedDB, geolocation and clock), and the steps a
 * person takes, found by role and accessible name.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startStack, type Stack } from '../../src/node/start/stack.ts';
import { LocalAuthority } from '../../src/node/start/authority.ts';
import { nodeCrypto } from '../../src/node/node-crypto.ts';
import { DEFAULT_POLICY, type Policy } from '../../src/core/policy.ts';
import type { AppState, Intent } from '../../src/app/protocol.ts';
import { until } from './harness.ts';

/** A policy for tests: checkpoints close 10 s after their end instead of 10 minutes. */
export const TEST_POLICY: Policy = { ...DEFAULT_POLICY, maxSkewSeconds: 10 };

/**
 * Makes the local authority in `dataDir` as a stack first started a day ago would have: with the
 * epoch keys of yesterday's epoch and the next. A stack made now holds keys from today's epoch on,
 * so on a Thursday (epochs start on Thursdays, day 0 was one) just after midnight UTC, stays a test
 * recorded minutes ago, on Wednesday, could not be sealed ("no epoch key"). `startStack` then
 * reopens it and adds today's epoch and the next, as a restart does.
 * @example await authorityMadeYesterday(dataDir, TEST_POLICY); await startStack({ dataDir, ... });
 */
export async function authorityMadeYesterday(dataDir: string, policy?: Policy): Promise<void> {
  const made = await LocalAuthority.open({ dir: join(dataDir, 'authority'), region: 1, crypto: nodeCrypto, policy, now: () => Date.now() - 86_400_000 });
  await made.close();
}

/**
 * Start the whole local stack with short duties, in a fresh data folder (its authority made
 * yesterday). Its server sends `npm start`'s security headers; `cleanup()` fails the test when a
 * browser reported a Content-Security-Policy violation while it ran (issue 18: every app test,
 * the A/B/C story included, runs under the policy with none).
 */
export async function startTestStack(): Promise<Stack & { cleanup(): Promise<void> }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'bt-app-'));
  await authorityMadeYesterday(dataDir, TEST_POLICY);
  const lines: string[] = [];
  const stack = await startStack({
    dataDir, port: 0, strictPort: true, policy: TEST_POLICY, ticks: { solver: 2, validator: 2 }, checkpointSeconds: 10,
    log: (l) => {
      lines.push(l);
      if (process.env.BT_DEBUG) process.stderr.write(`${l}\n`);
    },
  });
  return Object.assign(stack, {
    async cleanup() {
      await stack.stop();
      await rm(dataDir, { recursive: true, force: true });
      assert.deepEqual(stack.cspReports, [], 'no Content-Security-Policy violation while the test ran');
    },
  });
}

/** A point `north` and `east` metres from (lat, lon). */
export function offset(lat: number, lon: number, north: number, east: number): { latitude: number; longitude: number } {
  return { latitude: lat + north / 111_320, longitude: lon + east / (111_320 * Math.cos((lat * Math.PI) / 180)) };
}

/** A person's device: a browser context with its own storage, location and clock. */
export interface Device {
  ctx: BrowserContext;
  page: Page;
}

/**
 * Open the app in a new context at `at`, with the page's clock starting at `startMs`; `beforeLoad`
 * sees the page before it navigates (to listen to its requests from the start).
 */
export async function openDevice(browser: Browser, url: string, at: { latitude: number; longitude: number }, startMs: number, viewport = { width: 360, height: 640 }, beforeLoad?: (page: Page) => void): Promise<Device> {
  const ctx = await browser.newContext({ viewport, permissions: ['geolocation', 'notifications'], geolocation: { ...at, accuracy: 5 } });
  const page = await ctx.newPage();
  page.on('pageerror', (e) => process.stderr.write(`page error: ${e.message}\n`));
  beforeLoad?.(page);
  await page.clock.install({ time: startMs });
  await page.goto(url);
  return { ctx, page };
}

/** The engine's state as the page's client sees it. */
export async function appState(page: Page): Promise<AppState> {
  await page.waitForFunction(() => !!(globalThis as unknown as { beeptrace?: { tabs?: unknown } }).beeptrace?.tabs, undefined, { timeout: 30_000 });
  return page.evaluate(() => (globalThis as unknown as { beeptrace: { tabs: { client: { state: AppState } } } }).beeptrace.tabs.client.state);
}

/** Send an intent through the page's client (what a view does). */
export async function sendIntent<T = unknown>(page: Page, intent: Intent): Promise<T> {
  await page.waitForFunction(() => !!(globalThis as unknown as { beeptrace?: { tabs?: unknown } }).beeptrace?.tabs, undefined, { timeout: 30_000 });
  return page.evaluate((i) => (globalThis as unknown as { beeptrace: { tabs: { client: { send(i: unknown): Promise<unknown> } } } }).beeptrace.tabs.client.send(i), intent) as Promise<T>;
}

/** The first run, as a person does it: read, choose the precision, allow location, start. */
export async function firstRun(page: Page, precision: 'Exact' | 'About 10 m' | 'About 100 m' = 'About 10 m'): Promise<void> {
  await page.getByRole('heading', { name: 'Welcome to BeepTrace' }).waitFor({ timeout: 30_000 });
  await page.getByRole('radio', { name: precision }).check();
  await page.getByRole('button', { name: 'Allow location' }).click();
  await page.getByRole('button', { name: 'Start using BeepTrace' }).click();
  await until(async () => (await appState(page)).onboarded, 'the first run to finish', 15_000);
}

/**
 * Stay near `at` for `minutes` minutes of the page's clock: one fix a minute, jittered by a
 * metre so that every fix is a new position (Chromium fires watchPosition only on a change).
 */
export async function stayAt(d: Device, at: { latitude: number; longitude: number }, minutes: number): Promise<void> {
  for (let m = 0; m < minutes; m++) {
    const j = offset(at.latitude, at.longitude, m % 2 ? 1 : 0, m % 3 ? 0.5 : 0);
    await d.ctx.setGeolocation({ ...j, accuracy: 5 });
    await d.page.clock.runFor(60_000);
  }
}

/** Count the blocks of a chain in this page's IndexedDB (1 = tracing, 2 = notification). */
export function idbBlocks(page: Page, chain: number): Promise<number> {
  return page.evaluate((ch) => new Promise<number>((resolve, reject) => {
    const r = indexedDB.open('beeptrace');
    r.onerror = () => reject(r.error);
    r.onsuccess = () => {
      const db = r.result;
      if (!db.objectStoreNames.contains('blocks')) return resolve(0);
      const all = db.transaction('blocks').objectStore('blocks').getAll();
      all.onsuccess = () => {
        resolve((all.result as { chain: number }[]).filter((b) => b.chain === ch).length);
        db.close();
      };
      all.onerror = () => reject(all.error);
    };
  }), chain);
}

/** A UTC day number as YYYY-MM-DD. */
export function isoOfDay(day: number): string {
  return new Date(day * 86_400_000).toISOString().slice(0, 10);
}

/** Start of a window of `minutes` that ends at least 5 minutes ago and does not cross a UTC midnight. */
export function pastWindow(minutes: number): number {
  let t = Math.floor((Date.now() - (minutes + 5) * 60_000) / 60_000) * 60_000;
  if (Math.floor(t / 86_400_000) !== Math.floor((t + minutes * 60_000) / 86_400_000)) t -= (minutes + 5) * 60_000;
  return t;
}

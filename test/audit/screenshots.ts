/**
 * `npm run screenshots`: every view of the app at 360×640 (and, with --sizes, others) in Debian's
 * Chromium, written to docs/screenshots/<view>.png (other sizes: <view>-<W>x<H>.png; with --tag T:
 * <view>-T.png).
 *
 * By default the real app on the stack `npm start` runs (src/node/start/stack.ts, in a temporary
 * data folder, on a free port: the built app, signaling, the local authority and its full nodes);
 * with --url, an app already running there. A new profile first: `first-run.png` is what it shows
 * on first load. Then the buttons named by --first-run are clicked in order (when shown), and —
 * so that the views show something — a short walk is recorded with the page's clock moved
 * (Playwright's page.clock; --record 0 skips it): "Start recording", stays at two places, back to
 * the present time, "Upload now". Then, for each view, the link of that name in the navigation is
 * clicked ("Status", "Trail", "My data", "Network", "Settings"); a view whose link is not on the
 * page is reached by its hash route (#/status …) and said so on stderr.
 *
 *   npm run screenshots                                           # the real app, stack started here
 *   npm run screenshots -- --url http://127.0.0.1:8080/           # the app the npm start stack serves
 *   npm run screenshots -- --views status --locale ar --tag ar    # docs/screenshots/status-ar.png
 *   npm run screenshots -- --views status --scheme dark --tag dark
 *   npm run screenshots -- --views first-run,status,settings --elder --tag elder   # elder mode ("Easy mode")
 */
import { parseArgs } from 'node:util';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../e2e/harness.ts';
import { startStack, type Stack } from '../../src/node/start/stack.ts';
import type { AppState } from '../../src/app/protocol.ts';
import { DEFAULT_POLICY } from '../../src/core/policy.ts';

/** The views: file name, navigation link name, hash route. */
export const VIEWS = [
  { file: 'status', link: 'Status', hash: '#/status' },
  { file: 'trail', link: 'Trail', hash: '#/trail' },
  { file: 'my-data', link: 'My data', hash: '#/data' },
  { file: 'network', link: 'Network', hash: '#/network' },
  { file: 'settings', link: 'Settings', hash: '#/settings' },
  { file: 'transparency', link: 'Transparency', hash: '#/transparency' },
  { file: 'care', link: 'Family and care', hash: '#/care' },
  { file: 'positive', link: 'I tested positive', hash: '#/positive' },
  { file: 'report', link: 'Report symptoms', hash: '#/report' },
  { file: 'clinic', link: 'Clinic', hash: '#/clinic' },
  { file: 'checkin', link: 'Check in', hash: '#/checkin' },
  // last: a dedicated device's page starts recording by itself
  { file: 'wearable', link: 'Wearable', hash: '#/wearable' },
] as const;

const HELP = `npm run screenshots -- [options]
  --url URL           the running app (default: the npm start stack, started here on a free port)
  --out DIR           where the PNGs go (default docs/screenshots)
  --sizes LIST        comma-separated WxH (default 360x640; e.g. 360x640,1280x800)
  --first-run NAMES   comma-separated button names to click, in order, to finish the first run
                      (default "Allow location,Start using BeepTrace")
  --record MIN        minutes of recording before the views, page clock moved (default 12; 0: none)
  --views LIST        comma-separated views to shoot (default all: first-run,status,trail,my-data,network,settings,transparency,
                      care,positive,report,clinic,checkin,wearable)
  --scheme S          light (default) or dark
  --locale L          the browser's language (default en-GB; e.g. ar, de-DE)
  --tag T             add -T to every file name (e.g. ar, dark)
  --demo              run the stack with a fast --demo town (not with --url), and make the device a relay
                      before the transparency view, so that it counts the town's cases
  --elder             switch elder mode ("Easy mode") on in the first run, before its other buttons
  --help`;

const { values: a } = parseArgs({
  options: {
    url: { type: 'string' }, out: { type: 'string', default: 'docs/screenshots' }, sizes: { type: 'string', default: '360x640' },
    'first-run': { type: 'string', default: 'Allow location,Start using BeepTrace' }, scheme: { type: 'string', default: 'light' },
    record: { type: 'string', default: '12' }, views: { type: 'string' }, locale: { type: 'string', default: 'en-GB' }, tag: { type: 'string' },
    help: { type: 'boolean' }, demo: { type: 'boolean' }, elder: { type: 'boolean' },
  },
});
if (a.help) { console.log(HELP); process.exit(0); }
const sizes = a.sizes!.split(',').map((s) => {
  const m = /^(\d+)x(\d+)$/.exec(s.trim());
  if (!m) { console.error(`--sizes: "${s}" is not WxH`); process.exit(2); }
  return { width: Number(m[1]), height: Number(m[2]) };
});
if (a.scheme !== 'light' && a.scheme !== 'dark') { console.error(`--scheme must be light or dark, got "${a.scheme}"`); process.exit(2); }
const firstRun = a['first-run']!.split(',').map((s) => s.trim()).filter(Boolean);
const recordMinutes = Number(a.record);
if (!Number.isInteger(recordMinutes) || recordMinutes < 0) { console.error(`--record must be a whole number of minutes, got "${a.record}"`); process.exit(2); }
const ALL = ['first-run', ...VIEWS.map((v) => v.file)];
const wanted = new Set(a.views ? a.views.split(',').map((s) => s.trim()) : ALL);
for (const v of wanted) if (!ALL.includes(v)) { console.error(`--views: unknown view "${v}" (${ALL.join(', ')})`); process.exit(2); }
const HOME = { latitude: 55.8721, longitude: -4.2882 };

/** Two animation frames: what was just rendered is on screen. */
const painted = (page: Page) => page.evaluate(() => new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))));

/** The engine's state as the page's client sees it, or null before the app is up. */
const appState = (page: Page) => page.evaluate(() => (globalThis as unknown as { beeptrace?: { tabs?: { client: { state: AppState } } } }).beeptrace?.tabs?.client.state ?? null);

/** Wait (polling, up to `ms`) for `f` to be truthy; false on time-out. */
async function waitFor(f: () => Promise<unknown>, ms: number): Promise<boolean> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (await f().catch(() => false)) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

/** A point `north` and `east` metres from `p`. */
const offset = (p: { latitude: number; longitude: number }, north: number, east: number) =>
  ({ latitude: p.latitude + north / 111_320, longitude: p.longitude + east / (111_320 * Math.cos((p.latitude * Math.PI) / 180)) });

/** Stay near `at` for `minutes` of the page's clock, one fix a minute, jittered by a metre (a new position each time). */
async function stay(ctx: BrowserContext, page: Page, at: { latitude: number; longitude: number }, minutes: number): Promise<void> {
  for (let m = 0; m < minutes; m++) {
    await ctx.setGeolocation({ ...offset(at, m % 2, m % 3 ? 0.5 : 0), accuracy: 6 });
    await page.clock.runFor(60_000);
  }
}

/** Minutes at the second place, and of the whole walk (the third place gets 2). */
const secondStay = (minutes: number) => Math.max(2, Math.round(minutes / 2));
const walkMinutes = (minutes: number) => minutes + secondStay(minutes) + 2;

/** Record a short walk (two stays, the second still open), bring the clock back to now, upload. */
async function recordWalk(ctx: BrowserContext, page: Page, minutes: number): Promise<void> {
  const start = page.getByRole('button', { name: 'Start recording', exact: true }).first();
  if (!(await start.isVisible().catch(() => false))) { console.error('record: no button "Start recording" (another language?); nothing recorded'); return; }
  await start.click();
  await stay(ctx, page, HOME, minutes);
  await stay(ctx, page, offset(HOME, 180, 240), secondStay(minutes));
  await stay(ctx, page, offset(HOME, 60, 420), 2);
  await page.clock.setSystemTime(Date.now());
  await page.clock.resume();
  // A fix at the present time, so that the recording card does not say "no position since …".
  await ctx.setGeolocation({ ...offset(HOME, 61, 421), accuracy: 6 });
  if (!(await waitFor(async () => (await appState(page))?.days.some((d) => d.stays > 0), 20_000))) console.error('record: no closed stay after the walk');
  const upload = page.getByRole('button', { name: 'Upload now', exact: true }).first();
  if (await upload.isVisible().catch(() => false)) {
    await upload.click();
    if (!(await waitFor(async () => (await appState(page))?.days.every((d) => d.upload !== 'waiting' && d.upload !== 'recording' || d.stays === 0), 30_000))) console.error('record: the upload did not finish in 30 s');
  }
  // The status says when the notification chain was last checked, and the last check was at the
  // walk's time: a reload checks every notification again (src/app/engine/exposure.ts, load).
  const since = Date.now() - 5_000;
  await page.reload({ waitUntil: 'networkidle' });
  if (!(await waitFor(async () => ((await appState(page))?.exposure.lastCheckedAt ?? 0) >= since, 30_000))) console.error('record: no check of the notification chain since the walk');
  // …and the network view shows the peers and a finished sync again.
  if (!(await waitFor(async () => { const n = (await appState(page))?.network; return n && n.peers.length > 0 && n.syncProgress >= 1; }, 30_000))) console.error('record: no peer or no finished sync 30 s after the reload');
}

/** Make the device a relay (it then keeps the tracing chain, where cases are) and wait for the demo town's cases. */
async function relayForCases(page: Page): Promise<void> {
  const send = (i: unknown) => page.evaluate((x) => (globalThis as unknown as { beeptrace: { tabs: { client: { send(i: unknown): Promise<unknown> } } } }).beeptrace.tabs.client.send(x), i);
  await send({ type: 'set-relay', on: true });
  await page.reload({ waitUntil: 'networkidle' });
  await waitFor(async () => (await appState(page))?.network.role === 'relay', 30_000);
  if (!(await waitFor(async () => ((await send({ type: 'transparency' })) as { cases: { cases: number }[] }).cases.reduce((n, r) => n + r.cases, 0) >= 3, 90_000))) console.error('demo: fewer than 3 cases counted after 90 s');
}

let data: string | undefined;
let stack: Stack | undefined;
if (!a.url) {
  data = mkdtempSync(join(tmpdir(), 'bt-shots-'));
  // Checkpoints every 20 s (not 10 minutes), so the status soon shows a check at the present time.
  stack = await startStack({ dataDir: data, port: 0, checkpointSeconds: 20, ticks: { solver: 5, validator: 5 }, policy: { ...DEFAULT_POLICY, maxSkewSeconds: 10 },
    demo: a.demo ? { residents: 60, paceMs: 500, caseEvery: 2, maxCases: 6 } : undefined, log: (l) => { if (process.env.BT_DEBUG) console.error(l); } });
}
const url = a.url ?? stack!.appUrl;
const tag = a.tag ? `-${a.tag}` : '';
const browser = await launchChromium();
try {
  mkdirSync(a.out!, { recursive: true });
  for (const size of sizes) {
    const suffix = (size.width === 360 && size.height === 640 ? '' : `-${size.width}x${size.height}`) + tag;
    const shot = async (page: Page, name: string) => {
      if (!wanted.has(name)) return;
      await painted(page);
      const path = join(a.out!, `${name}${suffix}.png`);
      await page.screenshot({ path, animations: 'disabled' });
      console.log(path);
    };
    // A new profile for every size: the first run is what a newcomer sees.
    const ctx = await browser.newContext({
      viewport: size, colorScheme: a.scheme as 'light' | 'dark', locale: a.locale,
      permissions: ['geolocation', 'notifications'], geolocation: { ...HOME, accuracy: 8 },
    });
    const page = await ctx.newPage();
    page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
    // The walk happens in the past and ends about 3 minutes ago (less than the recorder's 10-minute
    // gap, so the last stay goes on at the present time), so the clock starts earlier.
    if (recordMinutes > 0) await page.clock.install({ time: Date.now() - (walkMinutes(recordMinutes) + 3) * 60_000 });
    await page.goto(url, { waitUntil: 'networkidle' });
    await waitFor(async () => (await appState(page))?.ready, 30_000);
    if (a.elder) {
      // The switch by its id: its name is in the page's language ("Easy mode", "الوضع السهل").
      const sw = page.locator('#elder').first();
      if (await sw.isVisible().catch(() => false)) { await sw.check(); await waitFor(async () => (await appState(page))?.settings.elder, 10_000); }
      else console.error('elder: no elder-mode switch on the first run');
    }
    await shot(page, 'first-run');
    for (const name of firstRun) {
      const b = page.getByRole('button', { name, exact: true }).first();
      if (await b.isVisible().catch(() => false)) { await b.click(); await page.waitForLoadState('networkidle'); }
      else console.error(`first run: no button "${name}" on the page`);
    }
    if (firstRun.length && !(await waitFor(async () => (await appState(page))?.onboarded, 15_000))) console.error('first run: not finished after the clicks');
    if (recordMinutes > 0) await recordWalk(ctx, page, recordMinutes);
    for (const v of VIEWS) {
      if (!wanted.has(v.file)) continue;
      if (v.file === 'transparency' && a.demo) await relayForCases(page);
      const link = page.getByRole('navigation').getByRole('link', { name: v.link, exact: true }).first();
      if (await link.isVisible().catch(() => false)) await link.click();
      else {
        console.error(`${v.file}: no link "${v.link}" in a navigation landmark; reached by ${v.hash}`);
        await page.evaluate((h) => { location.hash = h; }, v.hash);
      }
      await page.waitForFunction((h) => location.hash === h, v.hash, { timeout: 5_000 }).catch(() => console.error(`${v.file}: the address is ${page.url()}, not ${v.hash}`));
      await page.evaluate(() => scrollTo(0, 0));
      await shot(page, v.file);
    }
    await ctx.close();
  }
} finally {
  await browser.close();
  await stack?.stop();
  if (data) rmSync(data, { recursive: true, force: true });
}

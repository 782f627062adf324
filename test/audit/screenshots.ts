/**
 * `npm run screenshots`: every view of the app at 360×640 (and, with --sizes, others) in Debian's
 * Chromium, written to docs/screenshots/<view>.png (other sizes: <view>-<W>x<H>.png).
 *
 * A new profile first: `first-run.png` is what it shows on first load. Then, for each view, the
 * link of that name in the navigation is clicked ("Status", "Trail", "My data", "Network",
 * "Settings"); a view whose link is not on the page is reached by its hash route (#/status …) and
 * said so on stderr. With --first-run, the buttons named there are clicked in order (when shown)
 * after the first-run shot, to get past the first run.
 *
 *   npm run screenshots                                   # a fresh build, served here with a local full node
 *   npm run screenshots -- --url http://127.0.0.1:8080/   # the app the npm start stack serves
 */
import { parseArgs } from 'node:util';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium } from '../e2e/harness.ts';
import { buildApp } from './bundle.ts';
import { serveStatic } from './static-server.ts';
import { startSyncSource } from './sync-source.ts';

/** The views: file name, navigation link name, hash route. */
export const VIEWS = [
  { file: 'status', link: 'Status', hash: '#/status' },
  { file: 'trail', link: 'Trail', hash: '#/trail' },
  { file: 'my-data', link: 'My data', hash: '#/my-data' },
  { file: 'network', link: 'Network', hash: '#/network' },
  { file: 'settings', link: 'Settings', hash: '#/settings' },
] as const;

const HELP = `npm run screenshots -- [options]
  --url URL           the running app (default: build it and serve it here, with a local full node)
  --out DIR           where the PNGs go (default docs/screenshots)
  --sizes LIST        comma-separated WxH (default 360x640; e.g. 360x640,1280x800)
  --first-run NAMES   comma-separated button names to click, in order, to finish the first run
  --scheme S          light (default) or dark
  --help`;

const { values: a } = parseArgs({
  options: {
    url: { type: 'string' }, out: { type: 'string', default: 'docs/screenshots' }, sizes: { type: 'string', default: '360x640' },
    'first-run': { type: 'string' }, scheme: { type: 'string', default: 'light' }, help: { type: 'boolean' },
  },
});
if (a.help) { console.log(HELP); process.exit(0); }
const sizes = a.sizes!.split(',').map((s) => {
  const m = /^(\d+)x(\d+)$/.exec(s.trim());
  if (!m) { console.error(`--sizes: "${s}" is not WxH`); process.exit(2); }
  return { width: Number(m[1]), height: Number(m[2]) };
});
if (a.scheme !== 'light' && a.scheme !== 'dark') { console.error(`--scheme must be light or dark, got "${a.scheme}"`); process.exit(2); }
const firstRun = (a['first-run'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);

/** Two animation frames: what was just rendered is on screen. */
const painted = (page: Page) => page.evaluate(() => new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))));

let dir: string | undefined;
const source = a.url ? undefined : await startSyncSource(0);
const server = source ? await serveStatic((dir = await buildApp()), source.config) : undefined;
const url = a.url ?? `${server!.url}/`;
const browser = await launchChromium();
try {
  mkdirSync(a.out!, { recursive: true });
  for (const size of sizes) {
    const suffix = size.width === 360 && size.height === 640 ? '' : `-${size.width}x${size.height}`;
    const shot = async (page: Page, name: string) => {
      await painted(page);
      const path = join(a.out!, `${name}${suffix}.png`);
      await page.screenshot({ path, animations: 'disabled' });
      console.log(path);
    };
    // A new profile for every size: the first run is what a newcomer sees.
    const ctx = await browser.newContext({ viewport: size, colorScheme: a.scheme as 'light' | 'dark', permissions: ['geolocation'], geolocation: { latitude: 55.8721, longitude: -4.2882, accuracy: 8 } });
    const page = await ctx.newPage();
    page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
    await page.goto(url, { waitUntil: 'networkidle' });
    await shot(page, 'first-run');
    for (const name of firstRun) {
      const b = page.getByRole('button', { name, exact: true }).first();
      if (await b.isVisible().catch(() => false)) { await b.click(); await page.waitForLoadState('networkidle'); }
      else console.error(`first run: no button "${name}" on the page`);
    }
    for (const v of VIEWS) {
      const link = page.getByRole('navigation').getByRole('link', { name: v.link, exact: true }).first();
      if (await link.isVisible().catch(() => false)) await link.click();
      else {
        console.error(`${v.file}: no link "${v.link}" in a navigation landmark; reached by ${v.hash}`);
        await page.evaluate((h) => { location.hash = h; }, v.hash);
      }
      await page.waitForFunction((h) => location.hash === h, v.hash, { timeout: 5_000 }).catch(() => console.error(`${v.file}: the address is ${page.url()}, not ${v.hash}`));
      await shot(page, v.file);
    }
    await ctx.close();
  }
} finally {
  await browser.close();
  await server?.close();
  await source?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
}

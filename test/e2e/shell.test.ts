/**
 * The installable PWA shell and the page runtime, in Debian's Chromium against the built app
 * (Vite's JS API into a temporary folder, served by a tiny static server: test/e2e/app-build.ts).
 * The engine Worker is the scripted stand-in test/e2e/pages/scripted-engine.ts (the real engine is
 * not merged yet); everything else is the real build: manifest, icons, service worker and its
 * precache list, workbox-window, Web Locks, BroadcastChannel, Geolocation, notifications.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS, launchChromium, until } from './harness.ts';
import { buildApp, serveApp, type AppServer } from './app-build.ts';
import type { AppState, Intent } from '../../src/app/protocol.ts';
import type { Fix } from '../../src/core/types.ts';

const CONFIG = { region: 1, signalUrl: 'ws://127.0.0.1:9', rootKey: 'ab'.repeat(32) };

let dir: string;
let app: AppServer;
let browser: Browser;

before(async () => {
  dir = await buildApp({ scriptedEngine: true });
  app = await serveApp(dir, CONFIG);
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await app?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Reads from the page's boot object (window.beeptrace, src/app/main.ts). */
type Boot = { tabs: { leader: boolean; client: { state: AppState; send(i: Intent): Promise<unknown> } }; services: { geo: { state: string; start(): Promise<string> }; update: { waiting: boolean; reload(): void } }; update: { check(): Promise<void> } };
const bt = () => (globalThis as unknown as { beeptrace: Boot }).beeptrace;
void bt;

async function engineReady(page: Page): Promise<AppState> {
  return until(() => page.evaluate(() => {
    const b = (globalThis as unknown as { beeptrace?: Boot }).beeptrace;
    return b && b.tabs.client.state.ready ? b.tabs.client.state : null;
  }), 'the engine state');
}

async function controlled(page: Page): Promise<string> {
  return until(() => page.evaluate(() => navigator.serviceWorker.controller?.scriptURL ?? null), 'a controlling service worker');
}

function pngSize(bytes: Buffer): [number, number] {
  assert.equal(bytes.subarray(1, 4).toString('ascii'), 'PNG');
  return [bytes.readUInt32BE(16), bytes.readUInt32BE(20)];
}

test('manifest: the fields an install needs, and every icon is a PNG of its declared size', async () => {
  const res = await fetch(`${app.url}/manifest.webmanifest`);
  assert.equal(res.status, 200);
  const m = await res.json() as Record<string, unknown> & { icons: { src: string; sizes: string; type: string; purpose: string }[] };
  for (const k of ['name', 'short_name', 'description', 'id', 'start_url', 'scope', 'theme_color', 'background_color']) {
    assert.equal(typeof m[k], 'string', `manifest.${k}`);
  }
  assert.equal(m.display, 'standalone');
  const png = m.icons.filter((i) => i.type === 'image/png');
  assert.ok(png.some((i) => i.sizes === '192x192' && i.purpose === 'any'));
  assert.ok(png.some((i) => i.sizes === '512x512' && i.purpose === 'any'));
  assert.ok(png.some((i) => i.sizes === '512x512' && i.purpose === 'maskable'), 'a maskable icon in its own file');
  for (const icon of png) {
    const r = await fetch(new URL(icon.src, app.url));
    assert.equal(r.status, 200, icon.src);
    const [w, h] = pngSize(Buffer.from(await r.arrayBuffer()));
    assert.equal(`${w}x${h}`, icon.sizes, icon.src);
  }
  const html = await (await fetch(app.url)).text();
  assert.match(html, /<html lang="en" dir="ltr">/);
  assert.match(html, /<meta name="theme-color"/);
  assert.match(html, /<noscript>/);
  const touch = html.match(/<link rel="apple-touch-icon" href="([^"]+)"/);
  assert.ok(touch);
  assert.deepEqual(pngSize(Buffer.from(await (await fetch(new URL(touch[1], app.url))).arrayBuffer())), [180, 180]);
});

test('first load: the JS index.html loads before first paint stays within 100 KB gzipped (the issue\'s budget)', async () => {
  const html = readFileSync(join(dir, 'index.html'), 'utf8');
  const urls = [...html.matchAll(/<(?:script[^>]*\ssrc|link[^>]*rel="modulepreload"[^>]*\shref)="([^"]+\.js)"/g)].map((m) => m[1]);
  assert.ok(urls.length >= 1, 'the entry script');
  const gz = urls.reduce((n, u) => n + gzipSync(readFileSync(join(dir, u))).length, 0);
  assert.ok(gz <= 100 * 1024, `${gz} bytes gzipped`);
});

test('the service worker controls the page after one visit, and a reload offline serves the app and its config', async () => {
  const ctx = await browser.newContext();
  try {
    const page = await ctx.newPage();
    await page.goto(app.url);
    assert.match(await controlled(page), /\/sw\.js$/);
    const online = await engineReady(page);
    // The page tells the engine its conditions (Chromium on Linux: charging known, no connection type).
    const probe = () => page.evaluate(() => (globalThis as unknown as { beeptrace: Boot }).beeptrace.tabs.client.send({ type: 'export-backup', passphrase: '' })) as Promise<{ charging: boolean | null; wifi: boolean | null; online: boolean }[]>;
    const first = await until(async () => (await probe())[0], 'the first conditions');
    assert.equal(first.online, true);
    assert.equal(first.wifi, null);
    await ctx.setOffline(true);
    assert.equal((await until(async () => (await probe()).find((c) => !c.online), 'the offline conditions')).online, false);
    await page.reload();
    assert.match(await controlled(page), /\/sw\.js$/);
    const offline = await engineReady(page);
    assert.notEqual(offline.keysCreated, online.keysCreated, 'a new engine started from the cached worker');
    assert.equal(await page.evaluate(() => (globalThis as unknown as { beeptrace: { config: { rootKey: string } } }).beeptrace.config.rootKey), CONFIG.rootKey);
    assert.equal(await page.locator('beeptrace-app').count(), 1);
  } finally {
    await ctx.close();
  }
});

test('a bad /config.json stops the boot with an error screen naming the field', async () => {
  const bad = await serveApp(dir, { ...CONFIG, rootKey: 'not-a-key' });
  const ctx = await browser.newContext();
  try {
    const page = await ctx.newPage();
    await page.goto(bad.url);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /BeepTrace cannot start[\s\S]*rootKey/);
    assert.equal(await page.locator('beeptrace-app').count(), 0);
    bad.config = null;
    await page.reload();
    await page.getByRole('alert').waitFor();
    assert.match(await page.getByRole('alert').innerText(), /404/);
  } finally {
    await ctx.close();
    await bad.close();
  }
});

test('a new version waits for the user: the prompt appears, and reload() activates it', async () => {
  const upDir = await buildApp({ scriptedEngine: true, marker: 'one' });
  const up = await serveApp(upDir, CONFIG);
  const ctx = await browser.newContext();
  try {
    const page = await ctx.newPage();
    await page.goto(up.url);
    const first = await controlled(page);
    await engineReady(page);
    await buildApp({ scriptedEngine: true, marker: 'two', outDir: upDir });
    await page.evaluate(() => (globalThis as unknown as { beeptrace: Boot }).beeptrace.update.check());
    await until(() => page.evaluate(() => (globalThis as unknown as { beeptrace: Boot }).beeptrace.services.update.waiting), 'the update prompt (waiting)');
    // Still the old version until the user says so.
    assert.equal(await page.locator('meta[name="beeptrace-build"]').getAttribute('content'), 'one');
    const navigated = page.waitForEvent('framenavigated');
    await page.evaluate(() => (globalThis as unknown as { beeptrace: Boot }).beeptrace.services.update.reload());
    await navigated;
    await page.waitForLoadState('load');
    assert.equal(await page.locator('meta[name="beeptrace-build"]').getAttribute('content'), 'two');
    assert.equal(await controlled(page), first, 'same script URL, new version');
    assert.equal(await page.evaluate(async () => !!(await navigator.serviceWorker.getRegistration())?.waiting), false);
  } finally {
    await ctx.close();
    await up.close();
    rmSync(upDir, { recursive: true, force: true });
  }
});

test('installable: Page.getInstallabilityErrors is empty in a persistent context', async () => {
  const profile = mkdtempSync(join(tmpdir(), 'beeptrace-profile-'));
  const ctx: BrowserContext = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    const page = ctx.pages()[0] ?? await ctx.newPage();
    await page.goto(app.url);
    await controlled(page);
    const cdp = await ctx.newCDPSession(page);
    const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors') as { installabilityErrors: unknown[] };
    assert.deepEqual(installabilityErrors, []);
  } finally {
    await ctx.close();
    rmSync(profile, { recursive: true, force: true });
  }
});

test('two tabs: exactly one runs the node, the other mirrors it and is answered through it, then takes over', async () => {
  const ctx = await browser.newContext();
  try {
    const a = await ctx.newPage();
    await a.goto(app.url);
    const stateA = await engineReady(a);
    const b = await ctx.newPage();
    await b.goto(app.url);
    const stateB = await engineReady(b);
    const leader = (p: Page) => p.evaluate(() => (globalThis as unknown as { beeptrace: Boot }).beeptrace.tabs.leader);
    assert.equal(await leader(a), true);
    assert.equal(await leader(b), false);
    assert.equal(stateB.keysCreated, stateA.keysCreated, 'B shows the state of A\'s engine');
    assert.equal(a.workers().length, 1);
    assert.equal(b.workers().length, 0, 'B runs no engine');
    const reply = await b.evaluate(() => (globalThis as unknown as { beeptrace: Boot }).beeptrace.tabs.client.send({ type: 'set-relay', on: true }));
    assert.deepEqual(reply, { engine: stateA.keysCreated, type: 'set-relay' });
    // State changes made through B reach both tabs.
    await b.evaluate(() => (globalThis as unknown as { beeptrace: Boot }).beeptrace.tabs.client.send({ type: 'set-recording', on: true }));
    for (const p of [a, b]) {
      await until(() => p.evaluate(() => (globalThis as unknown as { beeptrace: Boot }).beeptrace.tabs.client.state.recording.on), 'recording on in both tabs');
    }
    await a.close();
    await until(() => leader(b), 'B takes over');
    const taken = await until(() => b.evaluate(() => {
      const s = (globalThis as unknown as { beeptrace: Boot }).beeptrace.tabs.client.state;
      return s.ready ? s.keysCreated : null;
    }).then((k) => (k !== stateA.keysCreated ? k : null)), 'B\'s own engine state');
    assert.ok(taken);
    assert.equal(b.workers().length, 1);
  } finally {
    await ctx.close();
  }
});

test('geolocation: fixes keep coming and the state stays "watching" through Chromium\'s code-2 error on each move', async () => {
  const ctx = await browser.newContext({ permissions: ['geolocation'], geolocation: { latitude: 47.37, longitude: 8.54, accuracy: 5 } });
  try {
    const page = await ctx.newPage();
    // Count the error callbacks the page's watch receives (the quirk this test is about).
    await page.addInitScript(() => {
      const g = navigator.geolocation;
      const watch = g.watchPosition.bind(g);
      (globalThis as unknown as { geoErrors: number[] }).geoErrors = [];
      g.watchPosition = (ok, err, opts) => watch(ok, (e) => { (globalThis as unknown as { geoErrors: number[] }).geoErrors.push(e.code); err?.(e); }, opts);
    });
    await page.goto(app.url);
    await engineReady(page);
    const send = (intent: Intent) => page.evaluate((i) => (globalThis as unknown as { beeptrace: Boot }).beeptrace.tabs.client.send(i), intent);
    // As the views do on "Start recording": ask for location in context, then switch recording on.
    assert.equal(await page.evaluate(() => (globalThis as unknown as { beeptrace: Boot }).beeptrace.services.geo.start()), 'watching');
    await send({ type: 'set-recording', on: true });
    const trail = () => page.evaluate(() => (globalThis as unknown as { beeptrace: Boot }).beeptrace.tabs.client.send({ type: 'trail', day: 0 })) as Promise<Fix[]>;
    await until(async () => (await trail()).length >= 1, 'the first fix');
    const lats = [47.371, 47.372, 47.373];
    for (const latitude of lats) {
      await ctx.setGeolocation({ latitude, longitude: 8.54, accuracy: 5 });
      await until(async () => (await trail()).some((f) => f.lat === latitude), `the fix at ${latitude}`);
      assert.equal(await page.evaluate(() => (globalThis as unknown as { beeptrace: Boot }).beeptrace.services.geo.state), 'watching');
    }
    const errors = await page.evaluate(() => (globalThis as unknown as { geoErrors: number[] }).geoErrors);
    assert.ok(errors.includes(2), `Chromium fired code-2 errors (${JSON.stringify(errors)})`);
    const fixes = await trail();
    assert.ok(fixes.every((f) => f.acc === 5 && Number.isFinite(f.t)));
    // A reload while recording: the tab resumes the watch without asking (permission is granted).
    await page.reload();
    await engineReady(page);
    await until(async () => (await trail()).length >= 1, 'a fix after the reload, with no start() call');
    assert.equal(await page.evaluate(() => (globalThis as unknown as { beeptrace: Boot }).beeptrace.services.geo.state), 'watching');
    // Pausing (here, or in another tab) stops the watch.
    await send({ type: 'set-recording', on: false });
    await until(() => page.evaluate(() => (globalThis as unknown as { beeptrace: Boot }).beeptrace.services.geo.state === 'idle'), 'the watch stopped');
  } finally {
    await ctx.close();
  }
});

test('a new exposure shows one system notification through the service worker, with a text that does not say the risk', async () => {
  const ctx = await browser.newContext({ permissions: ['notifications'] });
  try {
    const page = await ctx.newPage();
    await page.goto(app.url);
    await controlled(page);
    await engineReady(page);
    // The scripted engine answers 'upload-now' with a 'new-exposure' event (level high).
    await page.evaluate(() => (globalThis as unknown as { beeptrace: Boot }).beeptrace.tabs.client.send({ type: 'upload-now' }));
    await page.evaluate(() => (globalThis as unknown as { beeptrace: Boot }).beeptrace.tabs.client.send({ type: 'upload-now' }));
    const shown = await until(() => page.evaluate(async () => {
      const reg = await navigator.serviceWorker.ready;
      const list = await reg.getNotifications();
      return list.length ? list.map((n) => ({ title: n.title, body: n.body, tag: n.tag, data: n.data as unknown })) : null;
    }), 'a notification');
    assert.equal(shown.length, 1, 'the second replaces the first (same tag)');
    assert.equal(shown[0].tag, 'beeptrace-exposure');
    assert.match(shown[0].body, /open the app/);
    assert.doesNotMatch(`${shown[0].title} ${shown[0].body}`, /risk|high|low|exposure|stay home/i);
    assert.deepEqual(shown[0].data, { url: '/#/status' });
  } finally {
    await ctx.close();
  }
});

/**
 * The common page interface (engines.ts) does the same things in Chromium and in Firefox: find and
 * click a button by role and name inside a shadow root, follow setGeolocation in a running
 * watchPosition, shift and advance the page's clock across a reload, go offline and back.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startVite, until } from './harness.ts';
import { openPage, type BrowserKind } from './engines.ts';

const START = Date.UTC(2026, 2, 2, 9, 0, 0);
/** Real time the test itself may take on a loaded machine; far below the 20 minutes it advances. */
const SLACK = 5 * 60_000;

for (const kind of ['chromium', 'firefox'] as BrowserKind[]) {
  test(`${kind}: role+name click in a shadow root, geolocation, clock, offline`, async () => {
    const vite = await startVite();
    const page = await openPage(kind, { geolocation: { latitude: 55.8721, longitude: -4.2882, accuracy: 8 }, clockStartMs: START, viewport: { width: 360, height: 640 } }).catch(async (e) => { await vite.server.close(); throw e; });
    try {
      await page.goto(`${vite.url}/test/e2e/pages/engines.html`);
      // clock: the page starts at START, whatever the real time is
      const t0: number = await page.evaluate(() => Date.now());
      assert.ok(t0 >= START && t0 < START + SLACK, `page clock at ${new Date(t0).toISOString()}`);
      // role + name inside an open shadow root
      await page.clickByRole('button', 'Start recording');
      assert.equal(await page.evaluate(() => (window as any).clicks), 1);
      // geolocation: the first fix, then a move reaches the running watch
      await until(() => page.evaluate(() => (window as any).fixes.length >= 1), 'the first fix');
      assert.match(await page.textByRole('status'), /^at 55\.8721, -4\.2882$/);
      await page.setGeolocation({ latitude: 55.8731, longitude: -4.2882, accuracy: 8 });
      await until(async () => /^at 55\.8731/.test(await page.textByRole('status')), 'the moved fix in the watch');
      // the clock moves forward on demand and keeps its shift across a reload
      await page.advanceClock(20 * 60_000);
      await page.reload();
      const t1: number = await page.evaluate(() => Date.now());
      assert.ok(t1 >= START + 20 * 60_000 && t1 < START + 20 * 60_000 + SLACK, `after advance and reload: ${new Date(t1).toISOString()}`);
      assert.equal(await page.evaluate(() => new Date().getTime() - Date.now() < 1_000), true, 'new Date() follows the same clock');
      // offline and back
      await page.setOffline(true);
      const offline: string = await page.evaluate(() => fetch('/test/e2e/pages/engines.html?x=1').then(() => 'fetched', () => 'failed'));
      assert.equal(offline, 'failed');
      await page.setOffline(false);
      const online: string = await page.evaluate(() => fetch('/test/e2e/pages/engines.html?x=2').then((r) => String(r.status), () => 'failed'));
      assert.equal(online, '200');
      assert.deepEqual(page.errors, []);
    } finally {
      await page.close(); // and the engine
      await vite.server.close();
    }
  });
}

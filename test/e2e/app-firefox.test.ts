/**
 * The app in the second engine: Debian's firefox-esr (puppeteer-core over WebDriver BiDi) against
 * the stack `npm start` runs — the first run, "Start recording" while the position and the page's
 * clock move, the stays on the trail, "Upload now" until the trace batch is at the authority's full
 * node, then an offline reload served by the service worker with the data. Where Firefox lacks an
 * API (Battery Status, Network Information), the app says so instead of failing.
 *
 * The page's clock is shifted by engines.ts' init script (Date only, on the page); the engine in
 * the worker follows it through the `{kind:'clock'}` messages src/app/page/engine.ts posts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kind } from '../../src/core/codec/block.ts';
import { Chain } from '../../src/core/types.ts';
import type { AppState } from '../../src/app/protocol.ts';
import { until } from './harness.ts';
import { offset, pastWindow, startTestStack } from './app-harness.ts';
import { openBrowser, findByRoleScript, type TestPage } from './engines.ts';

const HOME = { lat: 55.8721, lon: -4.2882 };

/** The engine's state as the page's client sees it (null until the tabs are up). */
function state(page: TestPage): Promise<AppState | null> {
  return page.evaluate(() => (globalThis as unknown as { beeptrace?: { tabs?: { client: { state: AppState } } } }).beeptrace?.tabs?.client.state ?? null);
}

/** Wait for the element with this role and name (the page-side finder sees into shadow roots). */
async function waitForRole(page: TestPage, role: string, name: string, timeoutMs = 30_000): Promise<void> {
  await until(() => page.evaluate((src) => (0, eval)(src) !== null, findByRoleScript(role, name)), `${role} "${name}"`, timeoutMs, 200);
}

/** The texts of every element matching `selector` in the document and every open shadow root. */
function textsOf(page: TestPage, selector: string): Promise<string[]> {
  // A string, not a function: tsx would add helpers (__name) the page lacks.
  const src = `(() => {
    const out = [];
    const walk = (root) => {
      for (const el of root.querySelectorAll(${JSON.stringify(selector)})) out.push((el.textContent || '').replace(/\\s+/g, ' ').trim());
      for (const el of root.querySelectorAll('*')) if (el.shadowRoot) walk(el.shadowRoot);
    };
    walk(document);
    return out;
  })()`;
  return page.evaluate((s) => (0, eval)(s) as string[], src);
}

test('Firefox: first run, recording → trail, upload to the full node, offline reload with the data; missing APIs are said', { timeout: 300_000 }, async () => {
  const stack = await startTestStack();
  const browser = await openBrowser('firefox');
  let shown: TestPage | undefined;
  try {
    const t0 = pastWindow(20);
    const spot = offset(HOME.lat, HOME.lon, 0, 0);
    const page = shown = await browser.newPage({ geolocation: { ...spot, accuracy: 5 }, clockStartMs: t0, viewport: { width: 360, height: 640 } });
    await page.goto(stack.appUrl);

    // First run: read, choose, allow location, start.
    await waitForRole(page, 'heading', 'Welcome to BeepTrace', 60_000);
    await page.clickByRole('radio', 'About 10 m');
    await page.clickByRole('radio', 'Only when charging and on Wi-Fi');
    await page.clickByRole('button', 'Allow location');
    await page.clickByRole('button', 'Start using BeepTrace');
    await until(async () => (await state(page))?.onboarded, 'the first run to finish', 30_000);
    const s0 = (await state(page))!;
    assert.equal(s0.settings.precision, '10m');
    assert.equal(s0.settings.uploadPolicy, 'charging-wifi');

    // Firefox has neither Battery Status nor Network Information: the status view says so.
    const apis = await page.evaluate(() => ({ battery: 'getBattery' in navigator, connection: 'connection' in navigator }));
    if (!apis.battery || !apis.connection) {
      await waitForRole(page, 'link', 'Status');
      const texts = await until(async () => {
        const t = (await textsOf(page, 'p')).filter((x) => x.includes('does not tell whether the device is charging or on Wi-Fi'));
        return t.length ? t : undefined;
      }, 'the note that the browser does not tell charging / Wi-Fi', 20_000);
      assert.match(texts[0], /sends as soon as possible/);
    }

    // The page's clock is the engine's: the worker follows the shifted Date of the page.
    await until(async () => {
      const s = await state(page);
      return s?.ready;
    }, 'the engine ready');

    // Record: one fix per page-minute, 12 minutes here, then 2 km away so that the stay closes.
    await page.clickByRole('button', 'Start recording');
    await until(async () => (await state(page))?.recording.on, 'recording on');
    const walk = async (at: { latitude: number; longitude: number }, minutes: number) => {
      for (let m = 0; m < minutes; m++) {
        const before = (await state(page))?.recording.lastFixAt ?? 0;
        await page.advanceClock(60_000);
        const j = offset(at.latitude, at.longitude, m % 2 ? 1 : 0, m % 3 ? 0.5 : 0);
        await page.setGeolocation({ ...j, accuracy: 5 });
        await until(async () => ((await state(page))?.recording.lastFixAt ?? 0) > before, `fix ${m} accepted`, 20_000, 100);
      }
    };
    await walk(spot, 12);
    const fix = (await state(page))!.recording.lastFixAt!;
    assert.ok(fix >= t0 + 11 * 60_000 && fix < Date.now() - 60_000, `the engine's clock (lastFixAt is its now) follows the page's, not the worker's own Date (${new Date(fix).toISOString()})`);
    await walk(offset(spot.latitude, spot.longitude, 2000, 0), 2);
    await until(async () => (await state(page))?.days.some((x) => x.stays > 0), 'closed stays in the day summary');

    // The trail lists the stays.
    await page.clickByRole('link', 'Trail');
    const rows = await until(async () => {
      const n = (await textsOf(page, 'table tr')).length;
      return n > 1 ? n : undefined;
    }, 'stays listed on the trail');
    assert.ok(rows >= 2, 'a header row and at least one stay');

    // Bring the page's clock back to now, then "Upload now" (the policy waits for charging and Wi-Fi).
    const pageNow = await page.evaluate(() => Date.now());
    await page.advanceClock(Math.max(0, Date.now() - pageNow));
    const batches = () => stack.authority.ledger.entries(Chain.TRACING).filter((e) => e.kind === Kind.TRACE_BATCH).length;
    const before = batches();
    await page.clickByRole('link', 'Status');
    await page.clickByRole('button', 'Upload now');
    await until(() => batches() > before, 'the trace batch at the full node', 90_000, 500);
    await until(async () => (await state(page))?.days.every((x) => x.upload !== 'waiting'), 'nothing waiting', 30_000);

    // Offline after the visit: the service worker serves the app, IndexedDB the data.
    await until(() => page.evaluate(() => !!navigator.serviceWorker?.controller), 'the service worker controls the page', 30_000);
    // Every day recorded so far, with at least its stays (recording goes on: the open stay may be
    // bridged across the reload's gap, §11.5, and past midnight into a new day, so more may come).
    const recorded = (await state(page))!.days.map((d) => ({ day: d.day, stays: d.stays }));
    await page.setOffline(true);
    await page.reload();
    await waitForRole(page, 'link', 'Status', 30_000);
    await until(async () => {
      const days = (await state(page))?.days;
      return days && recorded.every((r) => days.some((d) => d.day === r.day && d.stays >= r.stays));
    }, 'the data offline', 30_000);
    assert.equal(await page.evaluate(() => navigator.onLine), false, 'the page is offline');
    await page.setOffline(false);
    // Firefox reports the signaling socket refused while offline as a page error; nothing else may be.
    assert.deepEqual(page.errors.filter((m) => !/establish a connection to the server at ws:/.test(m)), [], 'no uncaught page error');
  } catch (e) {
    if (process.env.BT_SHOT && shown) await shown.screenshot(process.env.BT_SHOT).catch(() => {});
    if (shown) process.stderr.write(`page errors: ${JSON.stringify(shown.errors)}\n`);
    throw e;
  } finally {
    await browser.close();
    await stack.cleanup();
  }
});

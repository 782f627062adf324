/**
 * The wearable page (#/wearable, issue 12 item 4) in real Chromium on the views test page (scripted
 * engine and services): it starts recording by itself (location first, then `set-recording`),
 * shows only "Recording" and the battery state (the Battery Status API, replaced before load by a
 * battery at 42 % that then starts charging), has no navigation and nothing to press, and axe finds
 * 0 violations in English and Arabic.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import { launchChromium, startVite, until } from './harness.ts';
import { messages } from '../../src/app/i18n/all.ts';
import type { Lang } from '../../src/app/protocol.ts';

let vite: Awaited<ReturnType<typeof startVite>>;
let browser: Browser;
before(async () => { vite = await startVite(); browser = await launchChromium(); });
after(async () => { await browser?.close(); await vite?.server.close(); });

for (const lang of ['en', 'ar'] as Lang[]) {
  test(`${lang}: the wearable page records by itself and shows only recording and battery`, async () => {
    const ctx = await browser.newContext({ viewport: { width: 360, height: 640 }, locale: lang === 'ar' ? 'ar' : 'en-GB' });
    const page = await ctx.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.addInitScript(() => {
      const b = Object.assign(new EventTarget(), { level: 0.42, charging: false });
      (window as any).battery = b;
      (navigator as any).getBattery = async () => b;
    });
    try {
      await page.goto(`${vite.url}/test/e2e/pages/views.html?lang=${lang}#/wearable`);
      await page.waitForFunction(() => (window as any).bt);
      const m = messages[lang];
      await until(async () => (await page.getByRole('status').innerText().catch(() => '')).trim() === m['wear.recording'], 'the status "Recording"');
      const calls: { kind: string; value?: any }[] = await page.evaluate(() => (window as any).bt.calls);
      assert.deepEqual(calls.map((c) => c.kind === 'intent' ? c.value.type : c.kind), ['geo.start', 'set-recording'], 'location first, then recording, nothing else');
      assert.deepEqual(calls[1].value, { type: 'set-recording', on: true });
      const pct = `${new Intl.NumberFormat(lang === 'ar' ? 'ar' : 'en-GB').format(42)} %`;
      await page.getByText(m['wear.battery'].replace('{level}', pct), { exact: true }).waitFor();
      await page.evaluate(() => { const b = (window as any).battery; b.charging = true; b.dispatchEvent(new Event('chargingchange')); });
      await page.getByText(m['wear.charging'].replace('{level}', pct), { exact: true }).waitFor();
      assert.equal(await page.getByRole('navigation').count(), 0, 'no navigation');
      assert.equal(await page.getByRole('button').count() + await page.getByRole('link').count() + await page.getByRole('checkbox').count(), 0, 'nothing to press');
      const text = (await page.locator('bt-wearable-view').evaluate((el) => el.shadowRoot!.textContent ?? '')).replace(/\s+/g, ' ').trim();
      assert.equal(text, `${m['app.name']} ${m['wear.recording']} ${m['wear.charging'].replace('{level}', pct)}`, 'only recording and battery');
      const r = await new AxeBuilder({ page }).include('beeptrace-app').analyze();
      assert.deepEqual(r.violations.map((v) => v.id), [], `${lang}: axe`);
      assert.deepEqual(errors, []);
    } finally { await ctx.close(); }
  });
}

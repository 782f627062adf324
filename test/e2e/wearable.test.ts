/**
 * The wearable page (#/wearable, issue 12 item 4) in real Chromium on the views test page (scripted
 * engine and services): it starts recording by itself (location first, then `set-recording`),
 * shows only "Recording", the battery state (the Battery Status API, replaced before load by a
 * battery at 42 % that then starts charging) and one button, "Pair with a carer’s phone", which
 * pairs by showing a code (issue 18: a watch must not have to scan): the code, then the six digits
 * with "They match" / "They differ"; no navigation; axe finds 0 violations in English and Arabic.
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
  test(`${lang}: the wearable page records by itself, shows only recording, battery and a pairing button, and pairs by showing a code`, async () => {
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
      assert.equal(await page.getByRole('link').count() + await page.getByRole('checkbox').count(), 0, 'no link, no switch');
      assert.deepEqual(await page.getByRole('button').allInnerTexts(), [m['wear.pair']], 'one button: pairing');
      const text = (await page.locator('bt-wearable-view').evaluate((el) => el.shadowRoot!.textContent ?? '')).replace(/\s+/g, ' ').trim();
      assert.equal(text, `${m['app.name']} ${m['wear.recording']} ${m['wear.charging'].replace('{level}', pct)} ${m['wear.pair']}`, 'only recording, battery and pairing');
      const r = await new AxeBuilder({ page }).include('beeptrace-app').analyze();
      assert.deepEqual(r.violations.map((v) => v.id), [], `${lang}: axe`);

      // Pairing by showing a code: the button asks the engine for a custody code (this device's keys are kept) …
      await page.getByRole('button', { name: m['wear.pair'] }).click();
      await until(async () => ((await page.evaluate(() => (window as any).bt.calls)) as { value?: { type?: string } }[]).some((c) => c.value?.type === 'pair-start'), 'pair-start sent');
      const sent = (await page.evaluate(() => (window as any).bt.calls) as { kind: string; value: any }[]).find((c) => c.value?.type === 'pair-start')!.value;
      assert.deepEqual(sent, { type: 'pair-start', mode: 'custody' });
      // … the engine's progress shows the code, then the digits to compare; "They match" confirms with the carer's name.
      const expires = Date.now() + 300_000;
      await page.evaluate((e) => (window as any).bt.setState({ care: { dependents: [], guardians: [], endFrom: 0, pairing: { role: 'holder', mode: 'custody', stage: 'show-code', offerText: 'BTPAIR1:AQMAAQ', expires: e } } }), expires);
      await page.getByRole('img', { name: m['care.qrLabel'] }).waitFor();
      await page.getByText(m['care.showCodeCustody']).waitFor();
      await page.evaluate(() => (window as any).bt.setState({ care: { dependents: [], guardians: [], endFrom: 0, pairing: { role: 'holder', mode: 'custody', stage: 'compare', sas: '042917' } } }));
      await page.getByText('042 917').waitFor();
      const r2 = await new AxeBuilder({ page }).include('beeptrace-app').analyze();
      assert.deepEqual(r2.violations.map((v) => v.id), [], `${lang}: axe while comparing`);
      await page.getByRole('button', { name: m['care.match'] }).click();
      await until(async () => ((await page.evaluate(() => (window as any).bt.calls)) as { value?: { type?: string } }[]).some((c) => c.value?.type === 'pair-confirm'), 'pair-confirm sent');
      const confirm = (await page.evaluate(() => (window as any).bt.calls) as { value: any }[]).find((c) => c.value?.type === 'pair-confirm')!.value;
      assert.deepEqual(confirm, { type: 'pair-confirm', label: m['wear.carer'] });
      assert.equal(await page.getByRole('button', { name: m['care.differ'] }).count(), 1);
      assert.deepEqual(errors, []);
    } finally { await ctx.close(); }
  });
}

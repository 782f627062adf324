/**
 * The venue check-in view and the Status view's check-in card in real Chromium, on the scripted
 * engine page of the views test (test/e2e/pages/views-page.ts): the names ("Check in at a venue",
 * "Scan with the camera", "Choose a QR image", "Check out"), the intents they send, the card while
 * checked in (also in Easy mode, as its one other action), no sideways scroll at 320 px, and 0 axe
 * violations in English and Arabic (right to left), not checked in and checked in.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import { launchChromium, startVite, until } from './harness.ts';
import { messages } from '../../src/app/i18n/all.ts';
import type { CheckinState, Intent, Lang } from '../../src/app/protocol.ts';

let vite: Awaited<ReturnType<typeof startVite>>;
let browser: Browser;
before(async () => { vite = await startVite(); browser = await launchChromium(); });
after(async () => { await browser?.close(); await vite?.server.close(); });

async function open(lang: Lang, size = { width: 360, height: 640 }): Promise<{ page: Page; errors: string[] }> {
  const ctx = await browser.newContext({ viewport: size, locale: lang === 'ar' ? 'ar' : 'en-GB' });
  const page = await ctx.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${vite.url}/test/e2e/pages/views.html?lang=${lang}#/status`);
  await page.waitForFunction(() => (window as any).bt);
  await page.evaluate((l) => (window as any).bt.setState({ onboarded: true, settings: { precision: '10m', uploadPolicy: 'asap', lang: l } }), lang);
  return { page, errors };
}
const intents = (page: Page): Promise<Intent[]> =>
  page.evaluate(() => (window as any).bt.calls.filter((c: any) => c.kind === 'intent').map((c: any) => c.value));

async function axeClean(page: Page, what: string): Promise<void> {
  const r = await new AxeBuilder({ page }).analyze();
  assert.deepEqual(r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), [], `axe on ${what}`);
}

const CHECKED_IN: CheckinState = { venueId: '0011223344556677', name: 'Café Nord', since: Date.UTC(2026, 10, 30, 12, 0), until: Date.UTC(2026, 10, 30, 12, 30) };

test('Check in at a venue: the button opens the scanner view; checked in, the view and the Status card say where and check out', async () => {
  const { page, errors } = await open('en');
  try {
    await page.getByRole('button', { name: 'Check in at a venue' }).click();
    await page.getByRole('heading', { name: 'Check in at a venue', level: 1 }).waitFor();
    assert.equal(await page.evaluate(() => location.hash), '#/checkin');
    assert.equal(await page.getByRole('button', { name: 'Scan with the camera' }).count(), 1);
    assert.equal(await page.getByLabel('Choose a QR image').count(), 1);
    // The navigation marks Status as the current place.
    assert.equal(await page.getByRole('navigation').getByRole('link', { name: 'Status' }).getAttribute('aria-current'), 'page');

    await page.evaluate((c) => (window as any).bt.setState({ checkin: c }), CHECKED_IN);
    await page.getByRole('status').filter({ hasText: 'Checked in at Café Nord' }).waitFor();
    assert.equal(await page.locator(`bt-checkin-view time[datetime="${new Date(CHECKED_IN.until).toISOString()}"]`).count(), 1, 'when the app checks out by itself');
    await page.getByRole('button', { name: 'Check out' }).click();
    await until(async () => (await intents(page)).some((i) => i.type === 'checkout'), 'the checkout intent');

    // The Status view: the card with "Check out" instead of the button; also in Easy mode.
    await page.getByRole('navigation').getByRole('link', { name: 'Status' }).click();
    await page.getByRole('heading', { name: 'Checked in at Café Nord' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Check in at a venue' }).count(), 0);
    await page.evaluate(() => (window as any).bt.setState({ settings: { precision: '10m', uploadPolicy: 'asap', lang: 'en', elder: true } }));
    await page.locator('bt-status-view').getByRole('button', { name: 'Check out' }).waitFor();
    const n = (await intents(page)).filter((i) => i.type === 'checkout').length;
    await page.locator('bt-status-view').getByRole('button', { name: 'Check out' }).click();
    await until(async () => (await intents(page)).filter((i) => i.type === 'checkout').length === n + 1, 'a second checkout intent');
    await page.evaluate(() => (window as any).bt.setState({ checkin: null }));
    await page.getByRole('heading', { name: 'Checked in at Café Nord' }).waitFor({ state: 'detached' });
    assert.equal(await page.locator('bt-status-view').getByRole('button').count(), 1, 'Easy mode: one action when not checked in');
    assert.deepEqual(errors, []);
  } finally { await page.context().close(); }
});

test('the check-in view reflows at 320 px and has 0 axe violations in English and Arabic, checked in or not', async () => {
  for (const lang of ['en', 'ar'] as Lang[]) {
    const { page, errors } = await open(lang, { width: 320, height: 640 });
    try {
      await page.evaluate(() => { location.hash = '#/checkin'; });
      await page.getByRole('heading', { name: messages[lang]['checkin.title'], level: 1 }).waitFor();
      assert.equal(await page.evaluate(() => document.documentElement.dir), lang === 'ar' ? 'rtl' : 'ltr');
      for (const checkin of [null, CHECKED_IN]) {
        await page.evaluate((c) => (window as any).bt.setState({ checkin: c }), checkin);
        if (checkin) await page.getByRole('button', { name: messages[lang]['checkin.out'] }).waitFor();
        const over = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        assert.ok(over <= 0, `${lang}: scrolls sideways by ${over} px at 320 px`);
        await axeClean(page, `check-in ${lang} ${checkin ? 'checked in' : 'scanner'}`);
      }
      assert.deepEqual(errors, []);
    } finally { await page.context().close(); }
  }
});

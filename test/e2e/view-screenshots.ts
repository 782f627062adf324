/**
 * Screenshots of every view at 360×640 (and any other size), light or dark, in any language,
 * from the views test page (test/e2e/pages/views.html: the real components, a scripted engine
 * with a representative state). Not a test; for looking at the views and for the docs.
 *
 * @example
 * node --import tsx test/e2e/view-screenshots.ts docs/screenshots            # en, light, 360×640
 * node --import tsx test/e2e/view-screenshots.ts /tmp/shots --lang ar --dark --size 1280x800 --full
 * @module
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { launchChromium, startVite } from './harness.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { lang: { type: 'string', default: 'en' }, dark: { type: 'boolean', default: false }, size: { type: 'string', default: '360x640' }, full: { type: 'boolean', default: false } },
});
const out = positionals[0] ?? 'docs/screenshots';
const [width, height] = values.size!.split('x').map(Number);
if (!(width > 0 && height > 0)) throw new Error(`--size must look like 360x640, not ${values.size}`);
mkdirSync(out, { recursive: true });

const vite = await startVite();
const browser = await launchChromium();
try {
  const locale = values.lang === 'ar' ? 'ar' : values.lang === 'de' ? 'de-DE' : 'en-GB';
  const ctx = await browser.newContext({ viewport: { width, height }, colorScheme: values.dark ? 'dark' : 'light', locale });
  const page = await ctx.newPage();
  for (const [name, query] of [['first-run', 'onboarded=0'], ['status', ''], ['trail', ''], ['my-data', ''], ['network', ''], ['settings', ''], ['transparency', '']]) {
    const hash = name === 'my-data' ? 'data' : name;
    await page.goto(`${vite.url}/test/e2e/pages/views.html?lang=${values.lang}&${query}#/${hash}`);
    await page.locator('h1').first().waitFor();
    await page.waitForTimeout(200);
    const file = join(out, `${name}-${values.lang}${values.dark ? '-dark' : ''}-${width}x${height}.png`);
    await page.screenshot({ path: file, fullPage: values.full });
    console.log(file);
  }
} finally {
  await browser.close();
  await vite.server.close();
}

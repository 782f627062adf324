/**
 * The app's views in real Chromium: <beeptrace-app> on a test page with a scripted EngineClient
 * and PageServices that record every intent (test/e2e/pages/views-page.ts; the real engine's
 * end-to-end test is separate). Checks the role/name contract of issue 8 in English and Arabic
 * (names looked up in the exported dictionary), that clicks send the right intents, that Arabic
 * sets dir="rtl", that no view scrolls sideways at 320 px, and that axe finds 0 violations on every
 * view in English and Arabic at 360×640 and 1280×800.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import { launchChromium, startVite, until } from './harness.ts';
import { messages } from '../../src/app/i18n/all.ts';
import { isoDay } from '../../src/core/types.ts';
import type { Intent, Lang } from '../../src/app/protocol.ts';

let vite: Awaited<ReturnType<typeof startVite>>;
let browser: Browser;
before(async () => { vite = await startVite(); browser = await launchChromium(); });
after(async () => { await browser?.close(); await vite?.server.close(); });

const VIEWS = ['status', 'trail', 'data', 'network', 'settings', 'transparency'] as const;
const SIZES = [{ width: 360, height: 640 }, { width: 1280, height: 800 }];

async function open(query: string, hash = 'status', size = SIZES[0], locale = 'en-GB'): Promise<{ page: Page; errors: string[] }> {
  const ctx = await browser.newContext({ viewport: size, acceptDownloads: true, locale });
  const page = await ctx.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${vite.url}/test/e2e/pages/views.html?${query}#/${hash}`);
  await page.waitForFunction(() => (window as any).bt);
  return { page, errors };
}
const intents = (page: Page): Promise<Intent[]> =>
  page.evaluate(() => (window as any).bt.calls.filter((c: any) => c.kind === 'intent').map((c: any) => c.value));
const calls = (page: Page): Promise<string[]> => page.evaluate(() => (window as any).bt.calls.map((c: any) => c.kind));
async function lastIntent(page: Page, type: Intent['type']): Promise<Intent> {
  return until(async () => (await intents(page)).filter((i) => i.type === type).at(-1), `intent ${type}`);
}
const goto = async (page: Page, view: string) => {
  await page.evaluate((v) => { location.hash = `#/${v}`; }, view);
  await page.locator('h1').first().waitFor();
};

test('first run explains before it asks, then sends the choices', async () => {
  const { page, errors } = await open('onboarded=0');
  try {
    await page.getByRole('heading', { name: 'Welcome to BeepTrace' }).waitFor();
    // The explanation comes before the first control.
    const text: string = await page.locator('bt-first-run').evaluate((el) => el.shadowRoot!.textContent ?? '');
    assert.ok(text.indexOf('Who can read what') < text.indexOf('How precise'), 'explanation precedes the choices');
    assert.match(text, /only approved health services/i);
    assert.equal(await page.getByRole('navigation').count(), 0, 'no navigation before onboarding');
    for (const name of ['Exact', 'About 10 m', 'About 100 m']) assert.equal(await page.getByRole('radio', { name, exact: true }).count(), 1, name);
    await page.getByRole('radio', { name: 'About 100 m', exact: true }).check();
    await page.getByRole('radio', { name: 'Only when charging and on Wi-Fi' }).check();
    assert.deepEqual(await calls(page), [], 'nothing asked before the user acts');
    await page.getByRole('button', { name: 'Allow location' }).click();
    await until(async () => (await calls(page)).includes('geo.start'), 'geo.start');
    await page.getByText('Location is allowed.').waitFor();
    await page.getByRole('button', { name: 'Start using BeepTrace' }).click();
    assert.deepEqual(await lastIntent(page, 'finish-first-run'), { type: 'finish-first-run', precision: '100m', uploadPolicy: 'charging-wifi', lang: 'en' });
    await page.getByRole('navigation').getByRole('link', { name: 'Status' }).waitFor();
    assert.deepEqual(errors, []);
  } finally { await page.context().close(); }
});

test('a setting the engine does not keep is not shown as chosen: Easy mode and the radios turn back and say why', async () => {
  const first = await open('onboarded=0&refuse=set-settings');
  const settings = await open('refuse=set-settings', 'settings');
  try {
    const { page } = first;
    const easy = page.getByRole('switch', { name: 'Easy mode' });
    await easy.click();
    await page.getByRole('alert').filter({ hasText: 'the store is full' }).waitFor();
    assert.equal(await easy.isChecked(), false, 'the first run\'s switch turned back');
    assert.equal(await page.locator('beeptrace-app').evaluate((el) => el.hasAttribute('elder')), false);

    const p2 = settings.page;
    await p2.getByRole('heading', { name: 'Settings', level: 1 }).waitFor();
    await p2.getByRole('switch', { name: 'Easy mode' }).click();
    await p2.getByText('the store is full').waitFor();
    assert.equal(await p2.getByRole('switch', { name: 'Easy mode' }).isChecked(), false, 'Settings\' switch turned back');
    await p2.getByRole('radio', { name: 'Exact', exact: true }).click();
    await until(async () => await p2.getByRole('radio', { name: 'About 10 m', exact: true }).isChecked(), 'the precision radios to turn back');
    assert.equal(await p2.getByRole('radio', { name: 'Exact', exact: true }).isChecked(), false);
    assert.equal((await intents(p2)).filter((i) => i.type === 'set-settings').length, 2, 'both changes were sent');
    assert.deepEqual([...first.errors, ...settings.errors], []);
  } finally {
    await first.page.context().close();
    await settings.page.context().close();
  }
});

test('status, trail, my data, network and settings keep the names and send the right intents', async () => {
  const { page, errors } = await open('');
  try {
    const today: number = await page.evaluate(() => (window as any).bt.today);
    const nav = page.getByRole('navigation');
    for (const name of ['Status', 'Trail', 'My data', 'Network', 'Settings']) assert.equal(await nav.getByRole('link', { name, exact: true }).count(), 1, name);
    // Status: the words, the day, what to do until when.
    assert.equal((await page.getByRole('status').innerText()).trim(), 'High risk');
    const day = page.locator('bt-exposure-card time[datetime]').first();
    assert.equal(await day.getAttribute('datetime'), isoDay(today - 2));
    const spelled = new Intl.DateTimeFormat('en-GB', { weekday: 'long', day: 'numeric', month: 'long', timeZone: 'UTC' }).format((today + 8) * 86_400_000);
    await page.getByText(`Until ${spelled}`).waitFor();
    await page.getByText('This risk was worked out on this device. Nobody else can see it.').waitFor();
    await page.getByText(/^Last checked .*, up to the verified checkpoint of /).waitFor();
    assert.equal(await page.locator('bt-exposure-card li').count(), 2, 'past alerts listed');
    await page.getByText('Recorded on 4 of the past 14 days.').waitFor();
    // Recording: asks for location in context, then turns recording on; then offers pause and the wake lock.
    await page.getByRole('button', { name: 'Start recording' }).click();
    assert.deepEqual(await lastIntent(page, 'set-recording'), { type: 'set-recording', on: true });
    assert.ok(await page.evaluate(() => {
      const c: any[] = (window as any).bt.calls;
      const geo = c.findIndex((x) => x.kind === 'geo.start');
      return geo >= 0 && geo < c.findIndex((x) => x.kind === 'intent' && x.value.type === 'set-recording');
    }), 'location asked (in context) before recording is turned on');
    await page.getByRole('checkbox', { name: 'Keep the screen on while recording' }).check();
    await until(async () => (await calls(page)).includes('wake'), 'wake lock');
    await page.getByRole('button', { name: 'Pause recording' }).click();
    assert.deepEqual(await lastIntent(page, 'set-recording'), { type: 'set-recording', on: false });
    assert.ok((await calls(page)).includes('geo.stop'));
    await page.getByRole('button', { name: 'Upload now' }).click();
    await lastIntent(page, 'upload-now');
    await page.getByText('Proven by a checkpoint').waitFor();
    await page.getByRole('button', { name: 'Turn on alerts' }).click();
    await page.getByText('Alerts are on.').waitFor();
    assert.ok((await calls(page)).includes('notify.request'));

    // Trail: a drawing with a text alternative, the table, and delete behind a confirmation.
    await nav.getByRole('link', { name: 'Trail' }).click();
    assert.deepEqual(await lastIntent(page, 'trail'), { type: 'trail', day: today });
    await page.getByRole('img', { name: /Drawing of your 3 stays/ }).waitFor();
    assert.equal(await page.locator('bt-trail-view svg circle').count(), 3);
    assert.equal(await page.locator('bt-trail-view tbody tr').count(), 3);
    assert.match(await page.locator('bt-trail-view svg').innerHTML(), /\d+\s*m</, 'a scale bar in metres');
    await page.getByRole('button', { name: 'Delete this day' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
    assert.equal((await intents(page)).filter((i) => i.type === 'delete-day').length, 0, 'cancel deletes nothing');
    await page.getByRole('button', { name: 'Delete this day' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete', exact: true }).click();
    assert.deepEqual(await lastIntent(page, 'delete-day'), { type: 'delete-day', day: today });
    await page.getByLabel('Day', { exact: true }).selectOption(String(today - 1));
    assert.deepEqual(await lastIntent(page, 'trail'), { type: 'trail', day: today - 1 });
    await page.getByText('No stays recorded on this day.').waitFor();

    // My data: withdraw chosen days, export (passphrase twice), erase behind a confirmation.
    await nav.getByRole('link', { name: 'My data' }).click();
    await page.locator('bt-data-view input[type=checkbox]').nth(1).check();
    await page.getByRole('button', { name: 'Withdraw chosen days' }).click();
    assert.deepEqual(await lastIntent(page, 'withdraw'), { type: 'withdraw', days: [today - 2] });
    await page.getByLabel('Passphrase', { exact: true }).fill('correct horse');
    await page.getByLabel('Passphrase again').fill('correct horsf');
    await page.getByRole('button', { name: 'Download backup' }).click();
    await page.getByText('The two passphrases are not the same.').waitFor();
    await page.getByLabel('Passphrase again').fill('correct horse');
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download backup' }).click();
    assert.match((await download).suggestedFilename(), /^beeptrace-backup-\d{4}-\d\d-\d\d\.bin$/);
    assert.deepEqual(await lastIntent(page, 'export-backup'), { type: 'export-backup', passphrase: 'correct horse' });
    await page.getByLabel('Backup file').setInputFiles({ name: 'b.bin', mimeType: 'application/octet-stream', buffer: Buffer.from([9, 8, 7]) });
    await page.getByLabel('Passphrase of the backup').fill('wrong one');
    await page.getByRole('button', { name: 'Restore backup' }).click();
    await page.getByText('That did not work: wrong passphrase').waitFor();
    const imp = await lastIntent(page, 'import-backup') as Extract<Intent, { type: 'import-backup' }>;
    assert.deepEqual([...Object.values(imp.bytes)], [9, 8, 7]);
    await page.getByText('14 days').first().waitFor();
    await page.getByRole('button', { name: 'Erase everything on this device' }).click();
    const dialog = page.getByRole('dialog');
    assert.match(await dialog.innerText(), /keys/);
    await dialog.getByRole('button', { name: 'Yes, erase' }).click();
    await lastIntent(page, 'erase');

    // Network: progress with a label, checkpoint, relay opt-in.
    await nav.getByRole('link', { name: 'Network' }).click();
    assert.equal(await page.getByRole('progressbar', { name: /Sync of the notification chain/ }).getAttribute('value'), '62');
    await page.getByText('Uploads waiting for proof: 1').waitFor();
    await page.getByRole('switch', { name: 'Relay for other devices' }).check();
    assert.deepEqual(await lastIntent(page, 'set-relay'), { type: 'set-relay', on: true });
    // Kept, not yet in effect: the switch stays on after leaving the view, and says when it applies.
    await page.getByText('This takes effect the next time BeepTrace is opened.').waitFor();
    await nav.getByRole('link', { name: 'Status' }).click();
    await nav.getByRole('link', { name: 'Network' }).click();
    assert.equal(await page.getByRole('switch', { name: 'Relay for other devices' }).isChecked(), true, 'the kept choice, not the current role');

    // Settings: precision, policy, language; Arabic turns the page right to left.
    await nav.getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('radio', { name: 'About 10 m', exact: true }).check();
    await page.getByRole('radio', { name: 'Exact', exact: true }).check();
    assert.deepEqual(await lastIntent(page, 'set-settings'), { type: 'set-settings', settings: { precision: 'exact' } });
    await page.getByRole('radio', { name: 'العربية' }).check();
    assert.deepEqual(await lastIntent(page, 'set-settings'), { type: 'set-settings', settings: { lang: 'ar' } });
    await until(() => page.evaluate(() => document.documentElement.dir === 'rtl' && document.documentElement.lang === 'ar'), 'dir=rtl');
    await nav.getByRole('link', { name: messages.ar['nav.status'] }).click();
    assert.equal((await page.getByRole('status').innerText()).trim(), messages.ar['status.high']);
    await page.getByRole('button', { name: messages.ar['rec.start'] }).waitFor();
    assert.deepEqual(errors, []);
  } finally { await page.context().close(); }
});

test('banners: new version (reload on click), another tab leads, offline; and no exposure', async () => {
  const { page } = await open('update=1&leader=0&online=0&exposure=none');
  try {
    await page.getByText('BeepTrace is also open in another tab.', { exact: false }).waitFor();
    await page.getByText('You are offline.', { exact: false }).waitFor();
    // Paused for a day: a reminder to start again.
    await page.evaluate(() => (window as any).bt.setState({ recording: { on: false, lastFixAt: Date.now() - 86_400_000, openStay: null } }));
    await page.getByText('Recording has been paused since', { exact: false }).waitFor();
    assert.equal((await page.getByRole('status').innerText()).trim(), 'No exposure found');
    assert.equal(await page.locator('bt-exposure-card time').count(), 2, 'no exposure day, only the check times');
    // A new exposure found while open is told, with its day, even on another view.
    await goto(page, 'network');
    const today: number = await page.evaluate(() => (window as any).bt.today);
    await page.evaluate((d) => (window as any).bt.event({ type: 'new-exposure', alert: { day: d, level: 'high', foundAt: Date.now(), adviceUntil: d + 10, advice: 'x' } }), today - 1);
    await page.getByText('New: BeepTrace found an exposure on', { exact: false }).waitFor();
    // Screen readers are told at once: the banner is an alert; the offline and other-tab banners are in a polite live region.
    assert.match(await page.getByRole('alert').innerText(), /New: BeepTrace found an exposure on/);
    const live = page.locator('beeptrace-app [aria-live="polite"]').filter({ hasText: 'You are offline.' });
    assert.equal(await live.count(), 1, 'the offline banner is inside a live region');
    assert.equal(await page.locator(`beeptrace-app .banner time[datetime="${isoDay(today - 1)}"]`).count(), 1);
    await page.getByRole('link', { name: 'See what to do' }).click();
    await page.getByRole('button', { name: 'Dismiss' }).click();
    assert.equal(await page.getByText('New: BeepTrace found', { exact: false }).count(), 0);
    await page.getByRole('button', { name: 'New version — reload' }).click();
    assert.ok((await calls(page)).includes('update.reload'));
  } finally { await page.context().close(); }
});

test('Family and care: a dependent in custody gets "Report a positive test for …", which asks for the clinic code on their behalf; a watch-only one does not', async () => {
  const { page, errors } = await open('', 'care');
  try {
    const dep = (id: string, label: string, mode: 'watch' | 'custody', consent: unknown = null) => ({
      id, label, mode, pairedAt: Date.now() - 86_400_000, lastHeardAt: Date.now(), status: 'none', alerts: [], endedFrom: null, lastSyncAt: null, lastUploadAt: null, consent,
    });
    await page.evaluate((deps) => (window as any).bt.setState({ care: { dependents: deps, guardians: [], pairing: null } }), [dep('d1', 'Gran', 'custody'), dep('d2', 'Neighbour', 'watch')]);
    await page.getByRole('heading', { name: 'Family and care', level: 1 }).waitFor();
    const report = page.getByRole('link', { name: 'Report a positive test for Gran' });
    assert.equal(await page.getByRole('link', { name: /Report a positive test for Neighbour/ }).count(), 0, 'a watch grant cannot sign for them');
    await report.click();
    await page.getByRole('heading', { name: 'A positive test for Gran', level: 1 }).waitFor();
    assert.equal(await page.evaluate(() => location.hash), '#/positive?for=d1');
    await page.getByText('You keep Gran’s keys on this phone.', { exact: false }).waitFor();
    await page.getByRole('button', { name: 'Scan the clinic code' }).click();
    await page.getByLabel('Choose a QR image').waitFor();
    // Recorded: said in the words for Gran, on both views.
    await page.evaluate((deps) => (window as any).bt.setState({ care: { dependents: deps, guardians: [], pairing: null } }),
      [dep('d1', 'Gran', 'custody', { diagnostician: 'ab'.repeat(32), name: 'Clinic', days: [1], shownAt: Date.now(), status: 'recorded', recordedAt: Date.now() })]);
    await page.evaluate(() => { location.hash = '#/positive?for=d1&again=1'; });
    await page.getByText('Gran’s positive test was recorded.').waitFor();
    await goto(page, 'care');
    await page.getByText('Gran’s positive test was recorded.').waitFor();
    // An id that is not a dependent in custody: told, nothing asked.
    await goto(page, 'positive?for=d2');
    await page.getByText('This person is not in Family and care on this phone', { exact: false }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Scan the clinic code' }).count(), 0);
    assert.equal(await page.getByRole('heading', { name: 'I tested positive', level: 1 }).count(), 1);

    // "Stop looking after" asks first and says what is lost: the keys held for Gran, for good.
    await goto(page, 'care');
    await page.evaluate((deps) => (window as any).bt.setState({ care: { dependents: deps, guardians: [], pairing: null } }), [dep('d1', 'Gran', 'custody'), dep('d2', 'Neighbour', 'watch')]);
    const removes = async () => (await intents(page)).filter((i) => i.type === 'remove-dependent');
    await page.getByRole('button', { name: 'Stop looking after Gran' }).click();
    await page.getByText('This deletes Gran’s keys from this phone.', { exact: false }).waitFor();
    await page.getByText('A backup does not hold these keys.', { exact: false }).waitFor();
    // The keyboard's focus is in the question, on the safe answer; the question names its group.
    const focused = () => page.evaluate(function f() { let e = document.activeElement; while (e?.shadowRoot?.activeElement) e = e.shadowRoot.activeElement; return e?.textContent?.trim() ?? ''; });
    assert.equal(await focused(), 'Keep looking after');
    assert.equal(await page.getByRole('group', { name: /This deletes Gran’s keys/ }).count(), 1);
    await page.keyboard.press('Enter');
    assert.deepEqual(await removes(), [], 'kept: nothing sent');
    assert.equal(await focused(), 'Stop looking after', 'focus back on the button that asked');
    assert.equal(await page.getByText('This deletes Gran’s keys', { exact: false }).count(), 0);
    await page.getByRole('button', { name: 'Stop looking after Neighbour' }).click();
    await page.getByText('You will no longer see Neighbour’s status.', { exact: false }).waitFor();
    await page.getByRole('button', { name: 'Yes, stop' }).click();
    assert.deepEqual(await lastIntent(page, 'remove-dependent'), { type: 'remove-dependent', id: 'd2' });
    assert.equal((await removes()).length, 1);
    // My data lists what is kept for them.
    await goto(page, 'data');
    await page.getByText('People you look after or who look after you, and the keys you keep for them').waitFor();
    assert.deepEqual(errors, []);
  } finally { await page.context().close(); }
});

test('issue 18: Family and care says what the protocol does — an ended dependent keeps its status and day; "End access" names its day (tomorrow once today left), or, for a custodian, why not and what instead; the clinic\'s Key file chooser takes diagnostician.key', async () => {
  const { page, errors } = await open('', 'care');
  try {
    const today = Math.floor(Date.now() / 86_400_000);
    const dayLong = (d: number) => new Intl.DateTimeFormat('en-GB', { weekday: 'long', day: 'numeric', month: 'long', timeZone: 'UTC' }).format(d * 86_400_000);
    const ended = { id: 'd1', label: 'Gran', mode: 'watch', pairedAt: Date.now() - 86_400_000 * 3, lastHeardAt: Date.now(), status: 'high', alerts: [{ day: today - 1, level: 'high' }], endedFrom: today, lastSyncAt: null, lastUploadAt: null, consent: null };
    const guardian = (id: string, label: string, mode: string, endedFrom: number | null) => ({ id, label, mode, pairedAt: Date.now() - 86_400_000, endedFrom });
    const set = (care: unknown) => page.evaluate((c) => (window as any).bt.setState({ care: c }), care);
    await set({ dependents: [ended], guardians: [guardian('g1', 'Anna', 'watch', null), guardian('g2', 'Carer', 'custody', null), guardian('g3', 'Ben', 'watch', today + 1)], pairing: null, endFrom: today + 1 });
    await page.getByRole('heading', { name: 'Family and care', level: 1 }).waitFor();
    // A dependent who ended this phone's access: what was found stays shown (finding 8), and the end is said.
    const item = page.locator('bt-care-view li', { hasText: 'Gran' });
    await item.getByText('High risk').waitFor();
    assert.equal(await item.locator(`time[datetime="${isoDay(today - 1)}"]`).count(), 1, 'the exposure day');
    await item.getByText('Gran ended your access from', { exact: false }).waitFor();
    // A guardian whose access ends tomorrow: future tense, and why.
    await page.locator('bt-care-view li', { hasText: 'Ben' }).getByText(`Access ends on ${dayLong(today + 1)}`, { exact: false }).waitFor();
    // "End access" for Anna names the day it takes effect: tomorrow here (today's records left).
    await page.getByRole('button', { name: 'End access for Anna' }).click();
    const q = page.getByRole('group', { name: new RegExp(`Your key changes from ${dayLong(today + 1)}`) });
    await q.waitFor();
    await q.getByText('cannot be taken back', { exact: false }).waitFor();
    await q.getByRole('button', { name: 'Yes, end access' }).click();
    assert.deepEqual(await lastIntent(page, 'end-guardian'), { type: 'end-guardian', id: 'g1' });
    // For the custodian: why it cannot be done with a new key, and what to do instead; nothing to confirm.
    await page.getByRole('button', { name: 'End access for Carer' }).click();
    const why = page.getByRole('group', { name: /Carer keeps this device’s whole key/ });
    await why.waitFor();
    await why.getByRole('link', { name: 'Go to My data' }).waitFor();
    assert.equal(await why.getByRole('button', { name: 'Yes, end access' }).count(), 0);
    const r = await new AxeBuilder({ page }).include('beeptrace-app').analyze();
    assert.deepEqual(r.violations.map((v) => v.id), [], 'axe');
    await why.getByRole('button', { name: 'Keep access' }).click();
    assert.equal((await intents(page)).filter((i) => i.type === 'end-guardian').length, 1, 'nothing sent for the custodian');
    // "Keep someone’s keys" scans (the other device shows the code) and says so; the scan names its kind.
    await page.getByRole('button', { name: 'Keep someone’s keys' }).click();
    await page.getByText('On their watch or phone, BeepTrace shows a code', { exact: false }).waitFor();
    await page.getByRole('button', { name: 'Cancel' }).click();
    // Diagnostician mode's Key file chooser accepts the key file `npm start` makes (diagnostician.key).
    await goto(page, 'clinic');
    const accept = await page.getByLabel('Key file').getAttribute('accept');
    assert.ok(accept!.split(',').includes('.key'), `accept="${accept}" lets a file dialog show diagnostician.key`);
    assert.deepEqual(errors, []);
  } finally { await page.context().close(); }
});

test('a blocked location says how to allow it and leaves recording off', async () => {
  const { page } = await open('geo=denied');
  try {
    await page.getByRole('button', { name: 'Start recording' }).click();
    await page.getByText('Location is blocked.', { exact: false }).waitFor();
    assert.equal((await intents(page)).filter((i) => i.type === 'set-recording').length, 0);
  } finally { await page.context().close(); }
});

const axeMs: number[] = [];
after(() => { if (axeMs.length) console.log(`# axe: ${axeMs.length} runs, median ${axeMs.sort((a, b) => a - b)[axeMs.length >> 1]} ms`); });

test('every view reflows at 320 px (also with text at 200 %) and has 0 axe violations in English and Arabic at 360×640 and 1280×800', async () => {
  for (const lang of ['en', 'ar'] as Lang[]) {
    for (const size of SIZES) {
      const { page, errors } = await open(`lang=${lang}&onboarded=0`, 'status', size, lang === 'ar' ? 'ar' : 'en-GB');
      try {
        await page.getByRole('heading', { name: messages[lang]['first.title'] }).waitFor();
        assert.equal(await page.evaluate(() => document.documentElement.dir), lang === 'ar' ? 'rtl' : 'ltr');
        const targets: [string, () => Promise<void>][] = [
          ['first-run', async () => {}],
          ...VIEWS.map((v) => [v, async () => {
            await page.evaluate((l) => (window as any).bt.setState({ onboarded: true, settings: { precision: '10m', uploadPolicy: 'asap', lang: l } }), lang);
            await goto(page, v);
          }] as [string, () => Promise<void>]),
        ];
        for (const [name, show] of targets) {
          await show();
          await page.waitForTimeout(50); // let lit finish the microtask render
          const t0 = Date.now();
          const r = await new AxeBuilder({ page }).include('beeptrace-app').analyze();
          axeMs.push(Date.now() - t0);
          assert.deepEqual(r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), [], `${lang} ${size.width}×${size.height} ${name}`);
          if (size.width === 360) {
            await page.setViewportSize({ width: 320, height: 640 });
            const over = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
            assert.ok(over <= 0, `${lang} ${name} scrolls sideways by ${over} px at 320 px`);
            // Text at 200 % (every size is in rem): still no sideways scrolling of the page.
            const overZoom = await page.evaluate(async () => {
              document.documentElement.style.fontSize = '200%';
              await new Promise((r) => requestAnimationFrame(() => r(null)));
              const o = document.documentElement.scrollWidth - document.documentElement.clientWidth;
              document.documentElement.style.fontSize = '';
              return o;
            });
            assert.ok(overZoom <= 0, `${lang} ${name} scrolls sideways by ${overZoom} px at 320 px with text at 200 %`);
            await page.setViewportSize(size);
          }
        }
        assert.equal(await page.getByRole('navigation').getByRole('link', { name: messages[lang]['nav.trail'], exact: true }).count(), 1);
        assert.deepEqual(errors, []);
      } finally { await page.context().close(); }
    }
  }
});

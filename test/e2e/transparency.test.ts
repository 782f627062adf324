/**
 * The transparency dashboard end to end: the stack `npm start` runs, real Chromium, real WebRTC,
 * IndexedDB and service worker. The local clinic endorses a case through the stack; the page's own
 * ledger — a thin node, no relay: it holds the tracing chain's case blocks (PROTOCOL §15 item 34) —
 * verifies the block and the dashboard counts one case for that diagnostician, also after going
 * offline and reloading. axe finds nothing on the view in English and Arabic at 360×640. Before
 * its first run is done, the page is not on the mesh (no WebRTC bridge, no signaling socket).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import { nodeCrypto as c } from '../../src/node/node-crypto.ts';
import { diagnosisBlock } from '../../src/core/blocks.ts';
import { possessionProofs } from '../../src/core/device.ts';
import { toHex } from '../../src/core/bytes.ts';
import { UserKeys } from '../../src/core/keys.ts';
import { epochOf } from '../../src/core/policy.ts';
import { fingerprint } from '../../src/core/ledger/transparency.ts';
import { Chain, dayOfMs } from '../../src/core/types.ts';
import { messages } from '../../src/app/i18n/all.ts';
import type { TransparencySummary } from '../../src/app/protocol.ts';
import { launchChromium, until } from './harness.ts';
import { appState, firstRun, offset, openDevice, sendIntent, startTestStack } from './app-harness.ts';

const HOME = { lat: 55.8721, lon: -4.2882 };

async function axeClean(page: Page, what: string): Promise<void> {
  const r = await new AxeBuilder({ page }).analyze();
  assert.deepEqual(r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), [], `axe on ${what}`);
}

/** The row of the cases table that names this diagnostician, or null. */
async function caseRow(page: Page, clinicHex: string): Promise<string | null> {
  const table = page.getByRole('table', { name: 'Cases per diagnostician and day' });
  if (!(await table.count())) return null;
  const row = table.getByRole('row').filter({ hasText: fingerprint(clinicHex) });
  return (await row.count()) ? (await row.first().textContent()) : null;
}

test('a case endorsed through the stack shows as one case for that diagnostician, offline after a reload too; axe clean in en and ar', { timeout: 300_000 }, async () => {
  const stack = await startTestStack();
  const browser = await launchChromium();
  try {
    const sockets: string[] = [];
    const requested: string[] = [];
    const d = await openDevice(browser, stack.appUrl, offset(HOME.lat, HOME.lon, 0, 0), Date.now(), undefined, (page) => {
      page.on('websocket', (ws) => sockets.push(ws.url()));
      page.on('request', (r) => requested.push(r.url()));
    });
    await d.page.clock.resume();
    // Before the first run is done the device is not on the mesh (its IP address would show to
    // peers and the signaling server): the service worker registers 3 s after the first view (or
    // once the network starts), and even then no WebRTC bridge is loaded and no signaling socket opened.
    await d.page.getByRole('heading', { name: 'Welcome to BeepTrace' }).waitFor();
    assert.equal(await d.page.evaluate(() => navigator.serviceWorker.ready.then(() => true)), true);
    const bridgeLoaded = () => requested.some((u) => /\/net-bridge-[^/]*\.js$/.test(u));
    assert.ok(requested.some((u) => /\/first-run-[^/]*\.js$/.test(u)), 'the page\'s own chunk loads are seen');
    assert.equal(bridgeLoaded(), false, 'no WebRTC bridge before the first run is done');
    assert.equal(sockets.length, 0, `no signaling socket before the first run is done: ${sockets.join(' ')}`);
    await firstRun(d.page);
    await until(() => sockets.some((u) => u.includes('/signal')), 'the signaling socket once the first run is done', 20_000);
    assert.equal(bridgeLoaded(), true, 'the WebRTC bridge loads once the first run is done');
    await d.page.getByRole('navigation').getByRole('link', { name: 'Transparency' }).click();
    await d.page.getByRole('heading', { level: 1, name: 'Transparency' }).waitFor();
    // A thin node (no relay) holds the tracing chain's case blocks: the cases section is shown, no "relay to count" note.
    await d.page.getByRole('heading', { name: 'Cases endorsed' }).first().waitFor({ timeout: 20_000 });
    // Certificates come from the notification chain the page synced: the local clinic is listed.
    const clinic = stack.authority.keys.diagnostician;
    const clinicHex = toHex(clinic.publicKey);
    const certs = d.page.getByRole('table', { name: 'Certificates the authority published' });
    await until(async () => (await certs.getByRole('row').filter({ hasText: fingerprint(clinicHex) }).count()) === 1, 'the clinic\'s certificate listed', 60_000, 250);

    assert.equal(await d.page.getByText('This device keeps only the notification chain').count(), 0, 'no "turn on relay" note on a thin node');
    assert.equal((await appState(d.page)).network.role, 'thin', 'the page is a thin node: relay is off');

    // The clinic endorses a patient's two days (possession proofs bound to its key and challenge).
    const patient = new UserKeys(c, c.randomBytes(32));
    const today = dayOfMs(Date.now());
    const challenge = c.randomBytes(32);
    const ledger = stack.authority.ledger;
    const epoch = epochOf(ledger.authority.policy, today);
    const diag = diagnosisBlock(c, clinic, {
      region: stack.config.region, timeSec: Math.floor(Date.now() / 1000), parents: ledger.tips(Chain.TRACING), epoch, epochPub: ledger.authority.epochKey(epoch)!,
      onset: today - 1, lookback: 1, challenge, endorsed: possessionProofs(patient, [today - 1, today], clinic.publicKey, challenge),
    });
    await stack.publish(diag);

    const row = await until(() => caseRow(d.page, clinicHex), 'the case in the dashboard', 90_000, 250);
    const cells = await d.page.getByRole('table', { name: 'Cases per diagnostician and day' }).getByRole('row').filter({ hasText: fingerprint(clinicHex) }).first().getByRole('cell').allTextContents();
    assert.equal(cells[0]?.trim(), '1', `one case: ${row}`);
    assert.equal(cells[1]?.trim(), '2', 'covering the two endorsed days');
    const s = await sendIntent<TransparencySummary>(d.page, { type: 'transparency' });
    assert.deepEqual(s.cases.map((r) => [r.signer, r.cases, r.caseDays]), [[clinicHex, 1, 2]]);
    // The chart's accessible name summarises it.
    const chart = d.page.getByRole('img', { name: /^Cases per day, last 14 days: 1 in all/ });
    assert.equal(await chart.count(), 1);

    await axeClean(d.page, 'transparency en 360×640');
    await sendIntent(d.page, { type: 'set-settings', settings: { lang: 'ar' } });
    await d.page.getByRole('heading', { level: 1, name: messages.ar['tr.title'] }).waitFor();
    assert.equal(await d.page.evaluate(() => document.documentElement.dir), 'rtl');
    await axeClean(d.page, 'transparency ar 360×640');
    await sendIntent(d.page, { type: 'set-settings', settings: { lang: 'en' } });

    // Offline: the app and the count come from this device's own verified chain.
    await d.ctx.setOffline(true);
    await d.page.reload();
    await d.page.getByRole('heading', { level: 1, name: 'Transparency' }).waitFor({ timeout: 30_000 });
    const offline = await until(() => caseRow(d.page, clinicHex), 'the case offline after the reload', 30_000, 250);
    assert.match(offline, new RegExp(fingerprint(clinicHex)));
    assert.equal((await appState(d.page)).network.role, 'thin');
    await d.ctx.setOffline(false);
  } finally {
    await browser.close();
    await stack.cleanup();
  }
});

/**
 * The security headers of `npm start` (issue 18 finding 6; src/node/start/security-headers.ts,
 * docs/DEPLOY.md §Security headers): on every kind of response over HTTP and HTTPS; and in real
 * Chromium, every view of the app (the first run, the QR codes of the clinic, care and consent,
 * Easy mode, Arabic) runs under the policy with no violation, while an inline script, an eval and
 * a frame of the app are refused and reported to /csp-report. The A/B/C story itself runs under
 * the same check: test/e2e/app-harness.ts fails a test whose stack received a CSP report.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { lanCertificate } from '../../src/node/start/lan-cert.ts';
import { staticHandler } from '../../src/node/start/static-server.ts';
import { REPO_ROOT } from '../../src/node/start/stack.ts';
import { launchChromium, until } from './harness.ts';
import { appState, firstRun, openDevice, startTestStack } from './app-harness.ts';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';

const HOME = { latitude: 55.8721, longitude: -4.2882 };
const EXPECTED = {
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'permissions-policy': 'geolocation=(self), camera=(self), microphone=(), payment=(), usb=(), display-capture=()',
  'cross-origin-opener-policy': 'same-origin',
};

/** The headers a response must carry (over HTTP: no HSTS). */
function checkHeaders(h: Headers | Record<string, string | string[] | undefined>, what: string, host: string, https: boolean): void {
  const get = (k: string) => (h instanceof Headers ? h.get(k) : (h[k] as string | undefined) ?? null);
  for (const [k, v] of Object.entries(EXPECTED)) assert.equal(get(k), v, `${what}: ${k}`);
  const csp = get('content-security-policy') ?? '';
  for (const d of ["default-src 'self'", "script-src 'self'", "style-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", `connect-src 'self' ws://${host} wss://${host}`, 'report-uri /csp-report']) {
    assert.ok(csp.split('; ').includes(d), `${what}: CSP has ${d} (got ${csp})`);
  }
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, `${what}: no inline script or style, no eval`);
  assert.equal(get('strict-transport-security'), https ? 'max-age=31536000' : null, `${what}: HSTS on HTTPS only`);
}

test('every response of npm start carries the security headers: app, assets, config, service worker, manifest, fallback, 404, 405, signaling health, CSP report; HSTS on HTTPS but not for localhost', { timeout: 120_000 }, async () => {
  const stack = await startTestStack();
  try {
    const base = stack.appUrl.slice(0, -1);
    const host = new URL(stack.appUrl).host;
    const asset = readdirSync(join(REPO_ROOT, 'dist', 'assets')).find((n) => n.endsWith('.js'))!;
    const paths: [string, number, RequestInit?][] = [
      ['/', 200], ['/index.html', 200], [`/assets/${asset}`, 200], ['/config.json', 200], ['/sw.js', 200], ['/manifest.webmanifest', 200],
      ['/care', 200], ['/missing.png', 404], ['/', 405, { method: 'DELETE' }], ['/signal/health', 200],
    ];
    for (const [p, status, init] of paths) {
      const r = await fetch(base + p, init);
      assert.equal(r.status, status, p);
      checkHeaders(r.headers, `${init?.method ?? 'GET'} ${p}`, host, false);
    }
    const report = await fetch(`${base}/csp-report`, { method: 'POST', headers: { 'content-type': 'application/csp-report' }, body: JSON.stringify({ 'csp-report': { 'document-uri': stack.appUrl, 'effective-directive': 'script-src-elem', 'blocked-uri': 'inline' } }) });
    assert.equal(report.status, 204);
    checkHeaders(report.headers, 'POST /csp-report', host, false);
    assert.deepEqual(stack.cspReports.map((r) => [r.directive, r.blocked]), [['script-src-elem', 'inline']], 'the report reached the stack');
    stack.cspReports.length = 0; // this test's own report, not a violation by the app
    assert.equal((await fetch(`${base}/csp-report`, { method: 'POST', body: 'not json' })).status, 400);
    assert.equal((await fetch(`${base}/csp-report`, { method: 'POST', body: 'x'.repeat(70_000) }).catch(() => ({ status: 413 }))).status, 413);
  } finally {
    await stack.cleanup();
  }

  // HTTPS (as --lan serves): HSTS, except for a localhost name.
  const dir = await mkdtemp(join(tmpdir(), 'bt-tls-'));
  const cert = await lanCertificate(dir, ['127.0.0.1']);
  const server = createServer({ cert: cert.cert, key: cert.key }, staticHandler({ dir: join(REPO_ROOT, 'dist'), config: () => ({ region: 1, signalUrl: 'wss://x/signal', rootKey: '00'.repeat(32), iceServers: [] }) }));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const get = (hostHeader: string) => new Promise<Record<string, string | string[] | undefined>>((ok, fail) => {
    request({ host: '127.0.0.1', port, path: '/', headers: { host: hostHeader }, ca: cert.cert, servername: 'localhost' }, (res) => {
      res.resume();
      ok(res.headers);
    }).on('error', fail).end();
  });
  try {
    checkHeaders(await get(`127.0.0.1:${port}`), 'HTTPS by address', `127.0.0.1:${port}`, true);
    checkHeaders(await get(`beeptrace.example.org`), 'HTTPS by name', 'beeptrace.example.org', true);
    checkHeaders(await get(`localhost:${port}`), 'HTTPS on localhost (no HSTS: it would pin plain npm start for a year)', `localhost:${port}`, false);
  } finally {
    server.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('in Chromium every view runs under the policy with no violation; an inline script, an eval and a frame of the app are refused and reported', { timeout: 240_000 }, async () => {
  const stack = await startTestStack();
  const browser = await launchChromium();
  try {
    const d = await openDevice(browser, stack.appUrl, HOME, Date.now());
    const console: string[] = [];
    d.page.on('console', (m) => { if (/Content.Security.Policy/i.test(m.text())) console.push(m.text()); });
    await firstRun(d.page);
    const go = async (route: string, heading: string) => {
      await d.page.goto(`${stack.appUrl}#/${route}`);
      await d.page.getByRole('heading', { name: heading, level: 1 }).waitFor({ timeout: 30_000 });
    };
    await d.page.getByRole('heading', { name: 'Status', level: 1 }).waitFor({ timeout: 30_000 });
    for (const [route, heading] of [['trail', 'Your trail'], ['data', 'My data'], ['network', 'Network'], ['transparency', 'Transparency'], ['settings', 'Settings'], ['welcome', 'Welcome to BeepTrace'], ['report', 'Report symptoms'], ['checkin', 'Check in at a venue'], ['positive', 'I tested positive']]) {
      await go(route, heading);
    }
    // The QR codes drawn by the views: a pairing code (care) and, in diagnostician mode, the clinic screens.
    await go('care', 'Family and care');
    await d.page.getByRole('button', { name: 'Look after someone' }).click();
    await d.page.locator('bt-qr-show .qr svg').waitFor({ timeout: 30_000 });
    await d.page.getByRole('button', { name: 'Cancel' }).click();
    await go('clinic', 'Diagnostician mode');
    // Easy mode and Arabic (right to left, another dictionary chunk).
    await go('settings', 'Settings');
    await d.page.getByRole('switch', { name: 'Easy mode' }).check();
    await until(async () => (await appState(d.page)).settings.elder === true, 'Easy mode on');
    await d.page.getByRole('radio', { name: 'العربية' }).check();
    await until(async () => (await d.page.evaluate(() => document.documentElement.dir)) === 'rtl', 'Arabic');
    await d.page.reload();
    await until(async () => (await appState(d.page)).ready, 'the app after a reload (service worker)');
    await new Promise((r) => setTimeout(r, 1_000)); // a report is posted asynchronously
    assert.deepEqual(stack.cspReports, [], 'no CSP violation while the views ran');
    assert.deepEqual(console, [], 'no CSP message in the console');

    // What the policy is for: an injected inline script, an inline event handler and a string
    // evaluated by the page (a timer's string: eval) do not run, and are reported.
    await d.page.evaluate(() => {
      const s = document.createElement('script');
      s.textContent = 'globalThis.injected = 1';
      document.head.append(s);
      const b = document.createElement('button');
      b.setAttribute('onclick', 'globalThis.handler = 1');
      document.body.append(b);
      b.click();
      b.remove();
      (setTimeout as unknown as (code: string, ms: number) => void)('globalThis.timer = 1', 0);
    });
    await new Promise((r) => setTimeout(r, 500));
    const ran = await d.page.evaluate(() => {
      const w = globalThis as unknown as Record<string, unknown>;
      return { inline: w.injected === 1, handler: w.handler === 1, timer: w.timer === 1 };
    });
    assert.deepEqual(ran, { inline: false, handler: false, timer: false });
    await until(() => stack.cspReports.some((r) => /script-src/.test(r.directive) && r.blocked === 'inline') && stack.cspReports.some((r) => r.blocked === 'eval'), `the violations reported (got ${JSON.stringify(stack.cspReports)})`, 15_000);
    // Another page cannot frame the app.
    const framer = await d.ctx.newPage();
    await framer.setContent(`<iframe src="${stack.appUrl}" title="app"></iframe>`);
    await until(async () => {
      const f = framer.frames().find((x) => x !== framer.mainFrame());
      return f && (await f.evaluate(() => !document.querySelector('beeptrace-app')).catch(() => true));
    }, 'the framed app is refused', 15_000);
    stack.cspReports.length = 0; // provoked on purpose above
  } finally {
    await browser.close();
    await stack.cleanup();
  }
});

/**
 * Firefox, the second engine: Debian's firefox-esr driven by puppeteer-core over WebDriver BiDi
 * (no browser download; TOOLCHAIN.md "Firefox").
 *
 * Prefs, and why:
 * - `media.peerconnection.ice.obfuscate_host_addresses: false` — by default Firefox hides its host
 *   candidates behind mDNS names (`<uuid>.local`) and resolves the other tab's names by mDNS
 *   multicast on the network interface. Checked on this machine (2026-11-30): with the default, two
 *   Firefox tabs and the Node peer (@roamhq/wrtc, which cannot resolve `.local` names) still connect —
 *   Node learns Firefox's address as a peer-reflexive candidate from its connectivity checks. The pref
 *   is set anyway, as Chromium's `--disable-features=WebRtcHideLocalIpsWithMdns` is (harness.ts): a
 *   test sends no multicast out of the machine's interface, and every peer sees plain host candidates.
 * - WebRTC in Firefox needs an interface with a default route (loopback only → no ICE candidates,
 *   and no pref fixes that). The CI machine has one (`ip route`: `default via … dev eth0`); the
 *   candidates are then that interface's address, and the peers still meet through the signaling
 *   server on 127.0.0.1.
 * - Background traffic off (updates, telemetry, captive portal, safe browsing), like Chromium's flags.
 */
import puppeteer, { type Browser } from 'puppeteer-core';
import { existsSync } from 'node:fs';

export const FIREFOX = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';

export const FIREFOX_PREFS: Record<string, unknown> = {
  'media.peerconnection.ice.obfuscate_host_addresses': false,
  'app.update.enabled': false,
  'app.normandy.enabled': false,
  'browser.safebrowsing.malware.enabled': false,
  'browser.safebrowsing.phishing.enabled': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
  'toolkit.telemetry.enabled': false,
};

/**
 * Launch headless firefox-esr over WebDriver BiDi with the test prefs above.
 * Geolocation needs `context.overridePermissions(origin, ['geolocation'])` before the page asks
 * (without it `getCurrentPosition` hangs for ever in headless mode): `openBrowser('firefox')` in
 * engines.ts does that for you.
 *
 * @example
 * const browser = await launchFirefox();
 * const page = await browser.newPage();
 * await page.goto('http://127.0.0.1:5173/');
 * await browser.close();
 */
export async function launchFirefox(opts: { prefs?: Record<string, unknown> } = {}): Promise<Browser> {
  if (!existsSync(FIREFOX)) throw new Error(`Firefox not found at ${FIREFOX}: apt-get install firefox-esr (.ci/run does), or set FIREFOX_PATH`);
  return puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX,
    headless: true,
    // Launch takes 2–4 s on a quiet machine, but over 30 s (puppeteer's default limit) on a loaded one.
    timeout: 120_000,
    extraPrefsFirefox: { ...FIREFOX_PREFS, ...opts.prefs },
  });
}

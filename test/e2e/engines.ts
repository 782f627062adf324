/**
 * One small interface over the two engines, so a test runs the same steps in Chromium
 * (playwright-core, harness.ts) and Firefox (puppeteer-core over WebDriver BiDi, firefox.ts).
 *
 * Each `newPage` gets its own browser context (own storage, permissions, geolocation), so two
 * pages are two devices. Where the engines differ:
 * - offline: Playwright switches a whole context, puppeteer one page; here a context has one page,
 *   so `setOffline` means the same in both.
 * - clock: both get the same init script (`clockScript`), which shifts `Date` on the page (not in
 *   workers) to `startMs` and lets `advanceClock` move it forward; the shift survives reloads
 *   (sessionStorage). Playwright's richer `page.clock` stays available through `raw` in Chromium.
 * - find by role: Playwright's `getByRole` (sees into open shadow roots). In Firefox, puppeteer's
 *   ARIA selector `::-p-aria(...)` does not see into shadow roots over BiDi (checked with
 *   firefox-esr 153), so `findByRoleScript` walks the DOM and open shadow roots itself, with the
 *   common roles and a simplified accessible name (aria-label, aria-labelledby, label, text).
 */
import type { Browser as PwBrowser, BrowserContext as PwContext, Page as PwPage } from 'playwright-core';
import type { Browser as PpBrowser, BrowserContext as PpContext, ElementHandle, Page as PpPage } from 'puppeteer-core';
import { launchChromium } from './harness.ts';
import { launchFirefox } from './firefox.ts';

export type BrowserKind = 'chromium' | 'firefox';

export interface PageOptions {
  /** Grant geolocation and start at this position. */
  geolocation?: { latitude: number; longitude: number; accuracy?: number };
  /** Shift the page's `Date` so that it starts at this epoch-ms time. */
  clockStartMs?: number;
  /** Viewport in CSS pixels. */
  viewport?: { width: number; height: number };
}

/** What a cross-engine test can do with a page. */
export interface TestPage {
  readonly kind: BrowserKind;
  /** Uncaught page errors, as messages, in order. */
  readonly errors: string[];
  goto(url: string): Promise<void>;
  /** Run `fn(arg)` in the page; the result must be serialisable. */
  evaluate<R, A = undefined>(fn: (arg: A) => R | Promise<R>, arg?: A): Promise<R>;
  /** Click the element with this ARIA role and accessible name (exact). */
  clickByRole(role: string, name: string): Promise<void>;
  /** The text of the first element with this role (and name, if given). */
  textByRole(role: string, name?: string): Promise<string>;
  setGeolocation(p: { latitude: number; longitude: number; accuracy?: number }): Promise<void>;
  setOffline(offline: boolean): Promise<void>;
  /** Move the shifted clock forward (needs `clockStartMs`). */
  advanceClock(ms: number): Promise<void>;
  reload(): Promise<void>;
  screenshot(path: string): Promise<void>;
  close(): Promise<void>;
  /** The engine's own page, for what this interface does not cover. */
  readonly raw: PwPage | PpPage;
}

/** A launched engine that opens pages, each in its own context. */
export interface TestBrowser {
  readonly kind: BrowserKind;
  newPage(opts?: PageOptions): Promise<TestPage>;
  close(): Promise<void>;
}

/**
 * Launch an engine behind the common interface.
 *
 * @example
 * const browser = await openBrowser('firefox');
 * const page = await browser.newPage({ geolocation: { latitude: 55.87, longitude: -4.29 } });
 * await page.goto(appUrl);
 * await page.clickByRole('link', 'Trail');
 * await browser.close();
 */
export async function openBrowser(kind: BrowserKind): Promise<TestBrowser> {
  if (kind === 'chromium') {
    const b = await launchChromium();
    return { kind, newPage: (o) => chromiumPage(b, o), close: () => b.close() };
  }
  const b = await launchFirefox();
  return { kind, newPage: (o) => firefoxPage(b, o), close: () => b.close() };
}

/**
 * One page in a freshly launched engine; closing the page closes the engine.
 *
 * @example
 * const page = await openPage('firefox', { viewport: { width: 360, height: 640 } });
 * await page.goto(appUrl);
 * await page.close();
 */
export async function openPage(kind: BrowserKind, opts?: PageOptions): Promise<TestPage> {
  const browser = await openBrowser(kind);
  try {
    const page = await browser.newPage(opts);
    return { ...page, close: async () => { await page.close().catch(() => {}); await browser.close(); } };
  } catch (e) {
    await browser.close();
    throw e;
  }
}

/**
 * The init script behind `clockStartMs`: `Date.now()` and `new Date()` read the real time plus a
 * shift, which `__btClockAdvance(ms)` grows; kept in sessionStorage so a reload keeps the time.
 * Plain JavaScript source (a TypeScript function would pick up tsx's `__name` helper, which the
 * page does not have).
 *
 * @example
 * await page.addInitScript({ content: clockScript(Date.UTC(2026, 2, 2, 8), Date.now()) });
 */
export function clockScript(startMs: number, realMs: number): string {
  return `(() => {
  const RealDate = Date, realNow = Date.now.bind(Date), key = '__btClockAdvance';
  const advanced = () => Number(sessionStorage.getItem(key) || 0);
  const now = () => realNow() + (${startMs} - ${realMs}) + advanced();
  class ShiftedDate extends RealDate {
    constructor(...args) { if (args.length === 0) super(now()); else super(...args); }
    static now() { return now(); }
  }
  globalThis.Date = ShiftedDate;
  globalThis.__btClockAdvance = (ms) => sessionStorage.setItem(key, String(advanced() + ms));
})();`;
}

async function chromiumPage(b: PwBrowser, o: PageOptions = {}): Promise<TestPage> {
  const ctx: PwContext = await b.newContext({
    viewport: o.viewport ?? null,
    ...(o.geolocation ? { permissions: ['geolocation'], geolocation: o.geolocation } : {}),
  });
  if (o.clockStartMs !== undefined) await ctx.addInitScript({ content: clockScript(o.clockStartMs, Date.now()) });
  const page = await ctx.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  type Role = Parameters<PwPage['getByRole']>[0];
  return {
    kind: 'chromium', errors, raw: page,
    goto: async (url) => { await page.goto(url); },
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    evaluate: (fn, arg) => page.evaluate(fn as any, arg),
    clickByRole: (role, name) => page.getByRole(role as Role, { name, exact: true }).first().click(),
    textByRole: async (role, name) => (await page.getByRole(role as Role, name ? { name, exact: true } : {}).first().textContent()) ?? '',
    setGeolocation: (p) => ctx.setGeolocation(p),
    setOffline: (off) => ctx.setOffline(off),
    advanceClock: async (ms) => { await page.evaluate((m) => (globalThis as any).__btClockAdvance(m), ms); },
    reload: async () => { await page.reload(); },
    screenshot: async (path) => { await page.screenshot({ path }); },
    close: () => ctx.close(),
  };
}

/**
 * Page-side source of a finder: the first visible element with this role and (exact, whitespace-
 * collapsed) accessible name, searching the document and every open shadow root; null if none.
 * A string, not a function, so tsx adds no helpers the page lacks.
 * (Inside this template literal a regex escape needs two backslashes: `\\s`, or it turns into `s`.)
 *
 * @example
 * const handle = await page.evaluateHandle(findByRoleScript('button', 'Start recording'));
 */
export function findByRoleScript(role: string, name?: string): string {
  return `(() => {
  const role = ${JSON.stringify(role)}, name = ${JSON.stringify(name ?? null)};
  const implicit = {
    button: 'button, input[type=button], input[type=submit], input[type=reset], summary',
    link: 'a[href], area[href]', radio: 'input[type=radio]', checkbox: 'input[type=checkbox]',
    textbox: 'input:not([type]), input[type=text], input[type=email], input[type=search], input[type=password], textarea',
    status: 'output', navigation: 'nav', main: 'main', heading: 'h1, h2, h3, h4, h5, h6', list: 'ul, ol', listitem: 'li',
    progressbar: 'progress', img: 'img[alt]:not([alt=""]), svg[role=img]', dialog: 'dialog', combobox: 'select',
  };
  const sel = '[role="' + role + '"]' + (implicit[role] ? ', ' + implicit[role] : '');
  const squash = (t) => (t || '').replace(/\\s+/g, ' ').trim();
  const rootOf = (el) => el.getRootNode();
  const accName = (el) => {
    if (el.getAttribute('aria-label')) return squash(el.getAttribute('aria-label'));
    const by = el.getAttribute('aria-labelledby');
    if (by) return squash(by.split(/\\s+/).map((id) => rootOf(el).getElementById?.(id)?.textContent ?? '').join(' '));
    if (el.labels && el.labels.length) return squash([...el.labels].map((l) => l.textContent).join(' '));
    if (el.tagName === 'INPUT' && ['button', 'submit', 'reset'].includes(el.type)) return squash(el.value);
    if (el.tagName === 'IMG') return squash(el.alt);
    return squash(el.textContent);
  };
  const visible = (el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden'; };
  const hits = [];
  const walk = (root) => {
    for (const el of root.querySelectorAll(sel)) {
      const explicit = el.getAttribute('role');
      if (explicit && explicit.split(/\\s+/)[0] !== role) continue;
      hits.push(el);
    }
    for (const el of root.querySelectorAll('*')) if (el.shadowRoot) walk(el.shadowRoot);
  };
  walk(document);
  return hits.find((el) => (name === null || accName(el) === name) && visible(el)) ?? null;
})()`;
}

async function firefoxPage(b: PpBrowser, o: PageOptions = {}): Promise<TestPage> {
  const ctx: PpContext = await b.createBrowserContext();
  const page = await ctx.newPage();
  if (o.viewport) await page.setViewport(o.viewport);
  if (o.clockStartMs !== undefined) await page.evaluateOnNewDocument(clockScript(o.clockStartMs, Date.now()));
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e instanceof Error ? e.message : String(e)));
  const aria = (role: string, name?: string) => `::-p-aria(${name ? `[name=${JSON.stringify(name)}]` : ''}[role="${role}"])`;
  /** Wait (up to 10 s) for the element: the ARIA selector first, then the shadow-root walk. */
  const find = async (role: string, name?: string): Promise<ElementHandle<Element>> => {
    const t0 = Date.now();
    for (;;) {
      const viaAria = await page.$(aria(role, name));
      if (viaAria) return viaAria;
      const h = await page.evaluateHandle(findByRoleScript(role, name));
      const el = h.asElement();
      if (el) return el as ElementHandle<Element>;
      await h.dispose();
      if (Date.now() - t0 > 10_000) throw new Error(`no element with role "${role}"${name ? ` and name "${name}"` : ''} on the page`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  return {
    kind: 'firefox', errors, raw: page,
    goto: async (url) => {
      // Geolocation must be granted before the page asks, or getCurrentPosition never returns.
      if (o.geolocation) {
        await ctx.overridePermissions(new URL(url).origin, ['geolocation']);
        await page.setGeolocation(o.geolocation);
      }
      await page.goto(url);
    },
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    evaluate: (fn, arg) => page.evaluate(fn as any, arg) as never,
    clickByRole: async (role, name) => { await (await find(role, name)).click(); },
    textByRole: async (role, name) => (await find(role, name)).evaluate((e) => e.textContent ?? ''),
    setGeolocation: (p) => page.setGeolocation(p),
    setOffline: (off) => page.setOfflineMode(off),
    advanceClock: async (ms) => { await page.evaluate((m) => (globalThis as any).__btClockAdvance(m), ms); },
    reload: async () => { await page.reload(); },
    screenshot: async (path) => { await page.screenshot({ path: path as `${string}.png` }); },
    close: () => ctx.close(),
  };
}

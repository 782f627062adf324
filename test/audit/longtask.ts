/**
 * The page's longest main-thread task while it syncs the notification chain from a full node over
 * real signaling and WebRTC, in Debian's Chromium. A PerformanceObserver('longtask'), installed
 * before the page's own scripts, records every task over 50 ms; the figure is the longest that
 * ended after the full node sent its first block (the sync), up to the end of the sync; 0 means
 * none went over 50 ms. The longest since the page began loading (boot included) comes alongside.
 *
 * The page under test:
 * - `thin`: test/e2e/pages/thin.html on a Vite dev server — the thin node on the main thread (the
 *   page before the app moved the node into a Worker); done when it holds every block.
 * - any URL (the built app): opened as a new profile; it must join the sync source, so its
 *   /config.json must be `source.config` (run.ts serves the build that way). Done when the full
 *   node has sent every block and no long task came for `quietMs` — or, with `doneJs`, when that
 *   expression (with `total` in scope) is true in the page.
 */
import { launchChromium, startVite, until } from '../e2e/harness.ts';
import type { SyncSource } from './sync-source.ts';

export interface LongTaskOptions {
  /** 'thin' or the app's URL. */
  page: string;
  source: SyncSource;
  /** For an app URL: an expression true in the page when the sync is done (`total` in scope). */
  doneJs?: string;
  /** Buttons (accessible names) to click, in order, if present, before the sync is awaited (a first run). */
  clickFirst?: string[];
  quietMs?: number;
  timeoutMs?: number;
}

/** Installed before the page's scripts: collects long-task durations in `window.__btLongTasks`. */
function observeLongTasks(): void {
  const w = window as unknown as { __btLongTasks: [number, number][] };
  w.__btLongTasks = [];
  try {
    new PerformanceObserver((list) => { for (const e of list.getEntries()) w.__btLongTasks.push([e.startTime, e.duration]); }).observe({ type: 'longtask', buffered: true });
  } catch { /* no longtask support: the audit reports it below */ }
}

/**
 * Longest main-thread task (ms) during a full sync, with the count of long tasks and the sync time.
 *
 * @example
 * const src = await startSyncSource(3000);
 * const r = await longestTaskDuringSync({ page: 'thin', source: src }); // { longestMs: 38, count: 3, syncMs: 9000, longestFromLoadMs: 120 }
 */
export async function longestTaskDuringSync(o: LongTaskOptions): Promise<{ longestMs: number; count: number; syncMs: number; longestFromLoadMs: number }> {
  const vite = o.page === 'thin' ? await startVite() : undefined;
  const browser = await launchChromium();
  try {
    const ctx = await browser.newContext();
    await ctx.addInitScript(observeLongTasks);
    const page = await ctx.newPage();
    const { region, rootKey, signalUrl } = o.source.config;
    const url = vite
      ? `${vite.url}/test/e2e/pages/thin.html?name=audit-${Date.now()}&region=${region}&root=${rootKey}&signal=${encodeURIComponent(signalUrl)}`
      : o.page;
    const t0 = Date.now();
    await page.goto(url);
    if (!(await page.evaluate(() => PerformanceObserver.supportedEntryTypes.includes('longtask')))) throw new Error('this Chromium reports no long tasks');
    for (const name of o.clickFirst ?? []) {
      const b = page.getByRole('button', { name, exact: true }).first();
      // shown once the view has loaded; click() waits until it is enabled (the engine is ready)
      if (await b.waitFor({ state: 'visible', timeout: 30_000 }).then(() => true, () => false)) await b.click();
    }
    const timeout = o.timeoutMs ?? 180_000;
    const total = o.source.total;
    // The sync starts when the full node sends its first block: note the page's clock then.
    let syncStart = Infinity;
    const watchStart = (async () => {
      while (o.source.blocksSent() === 0 && !page.isClosed()) await new Promise((r) => setTimeout(r, 20));
      syncStart = await page.evaluate(() => performance.now()).catch(() => Infinity);
    })();
    if (vite) {
      await until(() => page.evaluate((t) => (window as any).bt?.count(2) === t, total), `the thin page to hold all ${total} blocks`, timeout, 250);
    } else if (o.doneJs) {
      const expr = o.doneJs;
      await until(() => page.evaluate(([e, t]) => new Function('total', `return (${e})`)(t), [expr, total] as const), `the page's done expression (${expr})`, timeout, 250);
    } else {
      await until(() => o.source.blocksSent() >= total, `the full node to send all ${total} blocks`, timeout, 250);
      const quiet = o.quietMs ?? 3_000;
      let n = -1;
      let since = Date.now();
      await until(async () => {
        const m: number = await page.evaluate(() => (window as any).__btLongTasks.length);
        if (m !== n) { n = m; since = Date.now(); }
        return Date.now() - since >= quiet;
      }, 'the page to go quiet after the sync', timeout, 250);
    }
    const syncMs = Date.now() - t0;
    await watchStart;
    const tasks: [number, number][] = await page.evaluate(() => (window as any).__btLongTasks);
    const during = tasks.filter(([start, d]) => start + d >= syncStart);
    const longest = (l: [number, number][]) => Math.round(l.reduce((m, [, d]) => Math.max(m, d), 0));
    return { longestMs: longest(during), count: during.length, syncMs, longestFromLoadMs: longest(tasks) };
  } finally {
    await browser.close();
    await vite?.server.close();
  }
}

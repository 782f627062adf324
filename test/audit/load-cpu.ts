/**
 * The page's own main-thread CPU during a first visit, from a Chromium trace: each task's thread
 * time (`tdur`), which a loaded machine inflates far less than wall time (Lighthouse's simulated
 * TBT multiplies observed wall time by 4, so on a busy 2-core machine it measures the machine).
 * Only the renderer that loaded the app counts (a trace also holds other renderers' tasks).
 *
 * Figures: the sum of task CPU in the first `windowMs` after navigation, the longest task's CPU,
 * and a TBT-like figure — Σ max(0, 4 × CPU − 50 ms) over the tasks, Lighthouse's 4× slowdown
 * applied to CPU instead of wall time (a lower bound of what Lighthouse reports on a quiet machine).
 */
import { launchChromium } from '../e2e/harness.ts';

export interface LoadCpu {
  totalMs: number;
  longestMs: number;
  tbt4xMs: number;
  /** Tasks of at least 8 ms of CPU: start (ms after the first task) and CPU. */
  tasks: { atMs: number; cpuMs: number }[];
}

interface TraceEvent { name: string; ph: string; pid: number; tid: number; ts: number; dur?: number; tdur?: number; args?: { name?: string; data?: { url?: string } } }

/**
 * Open `url` in a new profile (a first visit) and measure its main thread for `windowMs`.
 *
 * @example
 * const r = await loadCpu('http://127.0.0.1:4173/'); // { totalMs: 170, longestMs: 21, tbt4xMs: 60, tasks: [...] }
 */
export async function loadCpu(url: string, windowMs = 6_000): Promise<LoadCpu> {
  const browser = await launchChromium();
  try {
    const ctx = await browser.newContext({ viewport: { width: 412, height: 823 } });
    const page = await ctx.newPage();
    await browser.startTracing(page, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8.execute', 'loading'] });
    await page.goto(url);
    await new Promise((r) => setTimeout(r, windowMs));
    const trace = JSON.parse((await browser.stopTracing()).toString()) as { traceEvents: TraceEvent[] };
    const ev = trace.traceEvents;
    const host = new URL(url).host;
    const pagePids = new Set(ev.filter((e) => e.name !== 'ResourceSendRequest' && String(e.args?.data?.url ?? '').includes(host)).map((e) => e.pid));
    const mains = new Set(ev.filter((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain' && pagePids.has(e.pid)).map((e) => `${e.pid}:${e.tid}`));
    if (!mains.size) throw new Error(`the trace has no renderer main thread that loaded ${url}`);
    const tasks = ev.filter((e) => e.name === 'RunTask' && e.ph === 'X' && e.dur && mains.has(`${e.pid}:${e.tid}`));
    const t0 = Math.min(...tasks.map((t) => t.ts));
    const inWindow = tasks.filter((t) => t.ts - t0 <= windowMs * 1000);
    const cpu = (t: TraceEvent) => (t.tdur ?? t.dur!) / 1000;
    return {
      totalMs: Math.round(inWindow.reduce((s, t) => s + cpu(t), 0)),
      longestMs: Math.round(Math.max(0, ...inWindow.map(cpu)) * 10) / 10,
      tbt4xMs: Math.round(inWindow.reduce((s, t) => s + Math.max(0, 4 * cpu(t) - 50), 0)),
      tasks: inWindow.filter((t) => cpu(t) >= 8).map((t) => ({ atMs: Math.round((t.ts - t0) / 1000), cpuMs: Math.round(cpu(t) * 10) / 10 })),
    };
  } finally {
    await browser.close();
  }
}

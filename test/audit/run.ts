/**
 * `npm run audit`: the app's first-load size, Lighthouse scores and main-thread long tasks, one JSON
 * object per line (`name`, `value`, `unit`, `target`, `ok`, `note`), like `npm run bench -- --json`.
 * Not a test: it measures, it does not fail on a missed target (exit 0 unless something broke).
 *
 *   npm run audit                                  # everything, on a fresh build served here
 *   npm run audit -- --only bundle,lighthouse      # some sections
 *   npm run audit -- --only lighthouse --runs 5    # the median of 5 Lighthouse runs (the machine's load varies)
 *   npm run audit -- --url http://127.0.0.1:8080/  # Lighthouse against a running app (the npm start stack)
 *   npm run audit -- --sync-page thin              # long tasks in the thin test page instead of the built app
 *   npm run audit -- --only cpu --runs 5           # a first visit's main-thread CPU (thread time: robust to a loaded machine)
 */
import { parseArgs } from 'node:util';
import { rmSync } from 'node:fs';
import { buildApp, firstLoadGzip } from './bundle.ts';
import { lighthouseScores } from './lighthouse.ts';
import { longestTaskDuringSync } from './longtask.ts';
import { loadCpu } from './load-cpu.ts';
import { serveStatic } from './static-server.ts';
import { startSyncSource } from './sync-source.ts';

const HELP = `npm run audit -- [options]
  --only S            comma-separated sections: bundle, lighthouse, cpu, longtask (default: all)
  --url URL           Lighthouse against this running app instead of a fresh build served here
  --runs N            Lighthouse and cpu runs (default 1); each figure is the median of the N, every run in the note
  --sync-page P       the page that syncs during the long-task audit: app (the fresh build, its
                      /config.json pointing at the audit's full node; default), thin (test/e2e/pages/thin.html,
                      the node on the main thread)
  --sync-done-js E    with --sync-page app: expression true in the page when the sync is done (total in scope);
                      default: the full node has sent every block and the page had no long task for 3 s
  --sync-click NAMES  with --sync-page app: comma-separated button names to click first if shown
                      (default: "Start using BeepTrace" — the app joins the mesh once its first run is done)
  --blocks N          notification blocks to sync (default 3000)
  --sync-timeout S    give up on the sync after S seconds (default 180)
  --help`;

const { values: a } = parseArgs({
  options: {
    only: { type: 'string' }, url: { type: 'string' }, runs: { type: 'string', default: '1' }, 'sync-page': { type: 'string', default: 'app' },
    'sync-done-js': { type: 'string' }, 'sync-click': { type: 'string' }, blocks: { type: 'string', default: '3000' }, 'sync-timeout': { type: 'string', default: '180' },
    help: { type: 'boolean' },
  },
});
if (a.help) { console.log(HELP); process.exit(0); }
const sections = new Set((a.only ?? 'bundle,lighthouse,cpu,longtask').split(',').map((s) => s.trim()));
for (const s of sections) if (!['bundle', 'lighthouse', 'cpu', 'longtask'].includes(s)) { console.error(`--only: unknown section "${s}" (bundle, lighthouse, cpu, longtask)`); process.exit(2); }
const blocks = Number(a.blocks);
if (!Number.isInteger(blocks) || blocks < 1) { console.error(`--blocks must be a positive integer, got "${a.blocks}"`); process.exit(2); }
const syncTimeout = Number(a['sync-timeout']);
if (!(syncTimeout > 0)) { console.error(`--sync-timeout must be a positive number of seconds, got "${a['sync-timeout']}"`); process.exit(2); }
const runs = Number(a.runs);
if (!Number.isInteger(runs) || runs < 1) { console.error(`--runs must be a positive integer, got "${a.runs}"`); process.exit(2); }
if (!['thin', 'app'].includes(a['sync-page']!)) { console.error(`--sync-page must be thin or app, got "${a['sync-page']}"`); process.exit(2); }

function emit(name: string, value: number, unit: string, target: string, ok: boolean, note?: string): void {
  process.stdout.write(JSON.stringify({ name, value, unit, target, ok, ...(note ? { note } : {}) }) + '\n');
}

/** The median of some figures. @example medianOf([3, 1, 2]) === 2 */
function medianOf(values: number[]): number {
  const v = [...values].sort((x, y) => x - y);
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
}

let dir: string | undefined;
/**
 * Run `f` against `--url`, or against the fresh build served here with a full node holding just the
 * authority statements (the app needs a network to join); both are closed after.
 */
async function withApp(f: (url: string) => Promise<void>): Promise<void> {
  const source = a.url ? undefined : await startSyncSource(0);
  const server = source ? await serveStatic(dir!, source.config) : undefined;
  try {
    await f(a.url ?? `${server!.url}/`);
  } finally {
    await server?.close();
    await source?.close();
  }
}
const needBuild = sections.has('bundle') || ((sections.has('lighthouse') || sections.has('cpu')) && !a.url) || (sections.has('longtask') && a['sync-page'] === 'app');
try {
  if (needBuild) dir = await buildApp();
  if (sections.has('bundle')) {
    const { total, files } = firstLoadGzip(dir!);
    emit('app.first_load_js_gz_bytes', total, 'bytes', '≤ 102400', total <= 102_400,
      `entry of index.html + its static imports, gzip -9: ${files.map((f) => `${f.file} ${f.gz}`).join(', ')}`);
  }
  if (sections.has('lighthouse')) {
    await withApp(async (url) => {
      const all: Awaited<ReturnType<typeof lighthouseScores>>[] = [];
      for (let i = 0; i < runs; i++) all.push(await lighthouseScores(url));
      const median = (k: 'performance' | 'accessibility' | 'best-practices') => medianOf(all.map((r) => r[k]));
      const note = `Lighthouse 12.8.2, mobile profile, ${url}${runs > 1 ? `, median of ${runs} runs` : ''}`;
      const perf = median('performance');
      const each = all.map((r) => (runs > 1 ? `${r.performance} (${r.detail})` : r.detail)).join(' | ');
      emit('app.lighthouse_performance', perf, 'score', '≥ 0.95', perf >= 0.95, `${note}: ${each}`);
      emit('app.lighthouse_accessibility', median('accessibility'), 'score', '1.0', median('accessibility') >= 1, note);
      emit('app.lighthouse_best_practices', median('best-practices'), 'score', '≥ 0.95', median('best-practices') >= 0.95, note);
    });
  }
  if (sections.has('cpu')) {
    await withApp(async (url) => {
      const all: Awaited<ReturnType<typeof loadCpu>>[] = [];
      for (let i = 0; i < runs; i++) all.push(await loadCpu(url));
      const median = (k: 'totalMs' | 'longestMs' | 'tbt4xMs') => medianOf(all.map((r) => r[k]));
      const each = all.map((r) => `total ${r.totalMs} ms, longest ${r.longestMs} ms, tasks ≥ 8 ms: ${r.tasks.map((t) => `${t.cpuMs}@${t.atMs}`).join(' ') || 'none'}`).join(' | ');
      const note = `a first visit to ${url} in Chromium, the page's main thread for 6 s, thread time (CPU)${runs > 1 ? `, median of ${runs} runs` : ''}: ${each}`;
      emit('app.first_visit_main_thread_cpu_ms', median('totalMs'), 'ms', 'informative', true, note);
      emit('app.first_visit_longest_task_cpu_ms', median('longestMs'), 'ms', '≤ 50', median('longestMs') <= 50, 'the longest main-thread task of a first visit, CPU');
      emit('app.first_visit_tbt_cpu4x_ms', median('tbt4xMs'), 'ms', '≤ 200', median('tbt4xMs') <= 200,
        'Σ max(0, 4 × task CPU − 50 ms): Lighthouse\'s 4× CPU slowdown on thread time instead of wall time; "good" TBT is ≤ 200 ms');
    });
  }
  if (sections.has('longtask')) {
    const source = await startSyncSource(blocks);
    const server = a['sync-page'] === 'app' ? await serveStatic(dir!, source.config) : undefined;
    try {
      const r = await longestTaskDuringSync({
        page: server ? `${server.url}/` : 'thin', source,
        doneJs: a['sync-done-js'], timeoutMs: syncTimeout * 1000, clickFirst: (a['sync-click'] ?? (server ? 'Start using BeepTrace' : '')).split(',').map((s) => s.trim()).filter(Boolean),
      });
      emit('app.main_thread_longest_task_ms', r.longestMs, 'ms', '≤ 50', r.longestMs <= 50,
        `${server ? 'the built app' : 'thin.html (node on the main thread)'} syncing ${source.total} notification blocks over WebRTC from a full node in ${(r.syncMs / 1000).toFixed(1)} s (from page load); ${r.count} long tasks (> 50 ms) during the sync; longest since page load ${r.longestFromLoadMs} ms; Chromium, ${process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'}`);
    } finally {
      await server?.close();
      await source.close();
    }
  }
} catch (e) {
  console.error(`audit: ${(e as Error).message}`);
  process.exitCode = 1;
} finally {
  if (dir) rmSync(dir, { recursive: true, force: true });
}

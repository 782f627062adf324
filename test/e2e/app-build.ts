/**
 * For browser tests of the built app: build it with Vite's JS API into a temporary folder (with
 * the project's vite.config.ts, so the service worker and its precache list are the real ones),
 * and serve that folder with a tiny static server that also answers /config.json.
 *
 * `scriptedEngine` builds test/e2e/pages/scripted-engine.ts in place of src/app/worker.ts (for
 * tests of the shell that need an engine before the real one is merged).
 *
 * @example
 * const dir = await buildApp({ scriptedEngine: true });
 * const app = await serveApp(dir, { region: 1, signalUrl: 'ws://127.0.0.1:9', rootKey: '00'.repeat(32) });
 * await page.goto(app.url);
 */
import { build, type Plugin } from 'vite';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface BuildOptions {
  scriptedEngine?: boolean;
  /** Added to index.html as <meta name="beeptrace-build">, to make a second, different build. */
  marker?: string;
  /** Build into this folder (default: a new temporary one). */
  outDir?: string;
}

/** Builds the app; returns the output folder. */
export async function buildApp(opts: BuildOptions = {}): Promise<string> {
  const outDir = opts.outDir ?? mkdtempSync(join(tmpdir(), 'beeptrace-app-'));
  const workerPlugins: Plugin[] = opts.scriptedEngine
    ? [{
        name: 'test-scripted-engine',
        enforce: 'pre',
        load(id) {
          if (id.split('?')[0].endsWith('/src/app/worker.ts')) return "import '/test/e2e/pages/scripted-engine.ts';";
          return null;
        },
      }]
    : [];
  const marker: Plugin = {
    name: 'test-build-marker',
    transformIndexHtml: (html) => html.replace('</head>', `<meta name="beeptrace-build" content="${opts.marker ?? '1'}" /></head>`),
  };
  await build({
    root: ROOT,
    configFile: join(ROOT, 'vite.config.ts'),
    logLevel: 'silent',
    plugins: [marker],
    worker: { plugins: () => workerPlugins },
    build: { outDir, emptyOutDir: true, sourcemap: false },
  });
  return outDir;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json',
  '.webmanifest': 'application/manifest+json', '.png': 'image/png', '.svg': 'image/svg+xml', '.wasm': 'application/wasm',
};

export interface AppServer {
  url: string;
  /** What /config.json answers: an object (as JSON), a raw string, or null for 404. */
  config: unknown;
  close(): Promise<void>;
}

/** Serves `dir` on an ephemeral loopback port; unknown paths without an extension get index.html. */
export async function serveApp(dir: string, config: unknown): Promise<AppServer> {
  const app = { config } as AppServer;
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (path === '/config.json') {
      if (app.config === null) { res.writeHead(404).end('not found'); return; }
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache' });
      res.end(typeof app.config === 'string' ? app.config : JSON.stringify(app.config));
      return;
    }
    let file = normalize(join(dir, path));
    if (!file.startsWith(dir)) { res.writeHead(403).end(); return; }
    if (!existsSync(file) || statSync(file).isDirectory()) {
      if (extname(path)) { res.writeHead(404).end('not found'); return; }
      file = join(dir, 'index.html');
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' });
    res.end(readFileSync(file));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  if (!addr || typeof addr === 'string') throw new Error('static server did not bind a TCP port');
  app.url = `http://127.0.0.1:${addr.port}`;
  app.close = () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); });
  return app;
}

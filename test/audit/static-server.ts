/**
 * A small static server for the built app on 127.0.0.1 (ephemeral port), with the app's
 * configuration at `/config.json` on the same origin (docs/APP.md), so the app boots without the
 * `npm start` stack. Unknown paths without an extension fall back to index.html. Text is sent
 * gzipped when the client accepts it, as any real static host does (Lighthouse checks it).
 */
import { createServer, type Server } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { AppConfig } from '../../src/app/protocol.ts';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.webmanifest': 'application/manifest+json',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8', '.map': 'application/json', '.woff2': 'font/woff2',
};

export interface StaticServer { url: string; close(): Promise<void> }

/**
 * Serve `dir` and `config` at /config.json.
 *
 * @example
 * const s = await serveStatic('/tmp/beeptrace-build', { region: 1, signalUrl: 'ws://127.0.0.1:8787', rootKey: '00'.repeat(32) });
 * console.log(s.url); // http://127.0.0.1:PORT
 * await s.close();
 */
export async function serveStatic(dir: string, config: AppConfig): Promise<StaticServer> {
  const root = resolve(dir);
  const server: Server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (path === '/config.json') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache' });
      res.end(JSON.stringify(config));
      return;
    }
    let file = normalize(join(root, path));
    if (!file.startsWith(root)) { res.writeHead(403).end(); return; }
    try {
      if ((await stat(file)).isDirectory()) file = join(file, 'index.html');
    } catch {
      if (extname(file)) { res.writeHead(404, { 'content-type': 'text/plain' }).end('not found'); return; }
      file = join(root, 'index.html');
    }
    try {
      let body = await readFile(file);
      const type = TYPES[extname(file)] ?? 'application/octet-stream';
      const immutable = file.startsWith(join(root, 'assets'));
      const headers: Record<string, string> = { 'content-type': type, 'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache', vary: 'accept-encoding' };
      if (/text|json|javascript|svg|wasm/.test(type) && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
        body = gzipSync(body);
        headers['content-encoding'] = 'gzip';
      }
      res.writeHead(200, headers);
      res.end(body);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    }
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const addr = server.address();
  if (!addr || typeof addr === 'string') throw new Error('static server did not bind a TCP port');
  return {
    url: `http://127.0.0.1:${addr.port}`,
    close: () => new Promise((ok) => { server.closeAllConnections(); server.close(() => ok()); }),
  };
}

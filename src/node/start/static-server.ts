/**
 * The static side of `beeptrace start`: serves the built app (dist/) and its configuration as
 * `/config.json` from one origin. Unknown paths without a file extension fall back to
 * index.html (the app routes itself); the service worker, index.html, the manifest and
 * config.json are sent with `Cache-Control: no-cache`, hashed assets as immutable. Every response
 * carries the security headers of src/node/start/security-headers.ts (a strict CSP, no framing,
 * no referrer, nosniff, HSTS on HTTPS, geolocation and camera for the app only), and the browser's
 * CSP violation reports posted to `/csp-report` go to `onCspReport`.
 *
 * @example
 * const handler = staticHandler({ dir: 'dist', config: (req) => ({ region: 1, signalUrl, rootKey, iceServers: [] }) });
 * createServer(handler).listen(8080);
 * @module
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import type { AppConfig } from '../../app/protocol.ts';
import { collectCspReport, isCspReport, securityHeaders, type CspReport } from './security-headers.ts';

/** Content types by file extension. @example MIME['.webmanifest'] // 'application/manifest+json; charset=utf-8' */
export const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

/** Files a browser must revalidate on every load (the service worker finds new versions through them). */
const NO_CACHE = /^\/(index\.html|sw\.js|service-worker\.js|workbox-[^/]*\.js|registerSW\.js|manifest\.webmanifest)$/;

export interface StaticOptions {
  /** The built app. */
  dir: string;
  /** The app's configuration for this request (its signaling URL follows the Host the browser used). */
  config: (req: IncomingMessage) => AppConfig;
  /** Tried first; return true if it answered (the signaling endpoint's health, for one). */
  before?: (req: IncomingMessage, res: ServerResponse) => boolean;
  /** A CSP violation a browser reported (POST /csp-report). */
  onCspReport?: (r: CspReport) => void;
}

/** An HTTP request handler for the app. @example createServer(staticHandler({ dir, config })) */
export function staticHandler(o: StaticOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const root = normalize(o.dir);
  return (req, res) => {
    for (const [k, v] of Object.entries(securityHeaders(req))) res.setHeader(k, v);
    if (isCspReport(req)) return collectCspReport(req, res, o.onCspReport ?? (() => undefined));
    if (o.before?.(req, res)) return;
    serve(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, 'internal error');
      else res.destroy();
    });
  };

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'use GET', { allow: 'GET, HEAD' });
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      return send(res, 400, 'bad path');
    }
    if (path.includes('\0')) return send(res, 400, 'bad path');
    if (path === '/config.json') {
      const body = `${JSON.stringify(o.config(req))}\n`;
      res.writeHead(200, { 'content-type': MIME['.json'], 'content-length': Buffer.byteLength(body), 'cache-control': 'no-cache' });
      return void res.end(req.method === 'HEAD' ? undefined : body);
    }
    if (path.endsWith('/')) path += 'index.html';
    const file = normalize(join(root, path));
    if (file !== root && !file.startsWith(root.endsWith(sep) ? root : root + sep)) return send(res, 403, 'forbidden');
    const found = await fileAt(file);
    if (found) return sendFile(req, res, file, found, path);
    // SPA fallback: a path without an extension is a route of the app.
    if (!extname(path)) {
      const index = join(root, 'index.html');
      const st = await fileAt(index);
      if (st) return sendFile(req, res, index, st, '/index.html');
    }
    send(res, 404, 'not found');
  }
}

async function fileAt(file: string): Promise<{ size: number; mtimeMs: number } | null> {
  try {
    const st = await stat(file);
    return st.isFile() ? st : null;
  } catch {
    return null;
  }
}

function sendFile(req: IncomingMessage, res: ServerResponse, file: string, st: { size: number; mtimeMs: number }, path: string): void {
  const type = MIME[extname(file).toLowerCase()] ?? 'application/octet-stream';
  const cache = NO_CACHE.test(path) ? 'no-cache' : path.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
  const etag = `"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`;
  const headers: Record<string, string | number> = { 'content-type': type, 'cache-control': cache, etag };
  if (path === '/sw.js' || path === '/service-worker.js') headers['service-worker-allowed'] = '/';
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, headers);
    return void res.end();
  }
  res.writeHead(200, { ...headers, 'content-length': st.size });
  if (req.method === 'HEAD') return void res.end();
  const stream = createReadStream(file);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}

function send(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', ...headers });
  res.end(text);
}

/**
 * `beeptrace serve`: the built app and its configuration on one port, for a machine that runs
 * the app's origin itself (behind a TLS reverse proxy) or for a local trial. `/config.json` is
 * the authority's file (`beeptrace ca init` / `ca config` write it), read again whenever it
 * changes, so it is never copied into dist/ (a build empties dist/). The same static handler as
 * `beeptrace start` (src/node/start/static-server.ts): no-cache for the shell, immutable hashed
 * assets, the SPA fallback.
 *
 *   beeptrace serve --config FILE [--dist DIR] [--host 127.0.0.1] [--port 8080]
 *
 * @example
 * // $ beeptrace serve --config ~/.local/share/beeptrace/ca/config.json --port 8080
 * @module
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { InputError } from '../core/errors.ts';
import { parseConfig } from '../app/page/config.ts';
import type { AppConfig } from '../app/protocol.ts';
import { REPO_ROOT } from './repo.ts';
import { staticHandler } from './start/static-server.ts';

export const SERVE_HELP = `beeptrace serve --config FILE [--dist DIR] [--host ADDR] [--port N]

Serve the built app (npm run build) and FILE as its /config.json, on one port. FILE is the
authority's config.json (beeptrace ca init, ca config); it is read again when it changes. A
reverse proxy in front of it terminates TLS for phones (docs/DEPLOY.md §2).

  --config  the app configuration (region, signaling URL, CA root key, ICE servers)
  --dist    the built app (default: dist/ of this checkout)
  --host    bind address (default 127.0.0.1)
  --port    port (default 8080; 0 = any free port); a port in use exits 2

Every line it writes starts with its UTC time. SIGINT/SIGTERM stop it (exit 0).
`;

/** A config file, checked, re-read when its modification time changes. */
function configFile(file: string, log: (m: string) => void): () => AppConfig {
  const read = (): AppConfig => {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new InputError('bad_config', `${file}: ${(e as Error).message}`);
    }
    try {
      return parseConfig(raw);
    } catch (e) {
      throw new InputError('bad_config', `${file}: ${(e as Error).message}`);
    }
  };
  let cfg = read();
  let mtime = statSync(file).mtimeMs;
  return () => {
    try {
      const m = statSync(file).mtimeMs;
      if (m !== mtime) {
        cfg = read();
        mtime = m;
        log(`serve: ${file} changed: signaling ${cfg.signalUrl}, ${cfg.iceServers?.length ?? 0} ICE server(s)`);
      }
    } catch (e) {
      log(`serve: ${(e as Error).message}; still serving the last good configuration`);
      mtime = NaN;
    }
    return cfg;
  };
}

/** Run `beeptrace serve ARGV` until a signal; returns the exit status. @example await serveMain(['--config', 'ca/config.json']) */
export async function serveMain(argv: string[], log: (m: string) => void = (m) => process.stderr.write(`${new Date().toISOString()} ${m}\n`)): Promise<number> {
  const { values } = parseArgs({ args: argv, strict: true, allowPositionals: false, options: { config: { type: 'string' }, dist: { type: 'string' }, host: { type: 'string' }, port: { type: 'string' }, help: { type: 'boolean' } } });
  if (values.help) {
    process.stdout.write(SERVE_HELP);
    return 0;
  }
  if (!values.config) throw new InputError('usage', '--config FILE names the app configuration (the authority\'s config.json)');
  const dist = resolve(values.dist ?? join(REPO_ROOT, 'dist'));
  if (!existsSync(join(dist, 'index.html'))) throw new InputError('usage', `${dist} holds no built app (index.html): npm run build`);
  const port = values.port === undefined ? 8080 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InputError('usage', `--port must be 0..65535, got "${values.port}"`);
  const host = values.host ?? '127.0.0.1';
  const config = configFile(resolve(values.config), log);
  const server = createServer(staticHandler({ dir: dist, config }));
  server.on('clientError', (_e, socket) => socket.destroy());
  await new Promise<void>((ok, fail) => {
    server.once('error', (e) => fail(new InputError('listen', `cannot listen on ${host}:${port}: ${e.message}`)));
    server.listen(port, host, () => ok());
  });
  const a = server.address() as AddressInfo;
  log(`serve: the app on http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}/ from ${dist}, /config.json from ${resolve(values.config)}`);
  await new Promise<void>((r) => {
    process.once('SIGINT', r);
    process.once('SIGTERM', r);
  });
  log('serve: stopping');
  await new Promise<void>((r) => {
    server.close(() => r());
    server.closeAllConnections();
  });
  return 0;
}

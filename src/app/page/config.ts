/**
 * The app's configuration, read from /config.json on its own origin (docs/APP.md): region,
 * signaling URL and CA root public key. A build made with BEEPTRACE_ROOT_KEY has the root key
 * compiled in and refuses a config.json that names another (docs/DEPLOY.md §3). Checked before
 * anything starts; a missing or bad file
 * stops the boot with a `ConfigError` the page shows as a plain error screen. Offline, the
 * service worker answers /config.json from its cache (network first).
 *
 * @example
 * const config = await loadConfig();           // fetch('/config.json')
 * parseConfig({ region: 1, signalUrl: 'ws://127.0.0.1:8787', rootKey: 'ab'.repeat(32) });
 * @module
 */
import type { AppConfig } from '../protocol.ts';

/** Replaced at build time by vite.config.ts with BEEPTRACE_ROOT_KEY ('' when it was not set). */
declare const __BEEPTRACE_ROOT_KEY__: string | undefined;

/**
 * The CA root key compiled into this build (`BEEPTRACE_ROOT_KEY=<64 hex> npm run build`), or ''
 * for a build without one (then config.json's key is taken as it is). docs/DEPLOY.md §3.
 * @example if (pinnedRootKey()) …
 */
export function pinnedRootKey(): string {
  return typeof __BEEPTRACE_ROOT_KEY__ === 'string' ? __BEEPTRACE_ROOT_KEY__.toLowerCase() : '';
}

/** Why the configuration could not be used: 'unreachable' (no answer), 'missing' (HTTP error), 'invalid' (bad content). */
export class ConfigError extends Error {
  constructor(readonly code: 'unreachable' | 'missing' | 'invalid', message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/**
 * Validates a parsed /config.json; throws `ConfigError('invalid')` naming the bad field — or, in a
 * build with a root key compiled in (`pinned`), a `rootKey` that is not that key.
 * @example parseConfig(JSON.parse(text))
 */
export function parseConfig(raw: unknown, pinned = pinnedRootKey()): AppConfig {
  const bad = (msg: string): never => { throw new ConfigError('invalid', `config.json: ${msg}`); };
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) bad('expected a JSON object');
  const o = raw as Record<string, unknown>;
  if (typeof o.region !== 'number' || !Number.isInteger(o.region) || o.region < 0 || o.region > 0xffffffff) {
    bad('"region" must be a non-negative integer');
  }
  let url: URL | null = null;
  try { url = typeof o.signalUrl === 'string' ? new URL(o.signalUrl) : null; } catch { url = null; }
  if (!url || (url.protocol !== 'ws:' && url.protocol !== 'wss:')) bad('"signalUrl" must be a ws:// or wss:// URL');
  if (typeof o.rootKey !== 'string' || !/^[0-9a-fA-F]{64}$/.test(o.rootKey)) bad('"rootKey" must be 64 hexadecimal characters (the CA root Ed25519 public key)');
  if (o.iceServers !== undefined && !Array.isArray(o.iceServers)) bad('"iceServers" must be a list when present');
  const config: AppConfig = { region: o.region as number, signalUrl: o.signalUrl as string, rootKey: (o.rootKey as string).toLowerCase() };
  if (pinned && config.rootKey !== pinned) bad(`"rootKey" ${config.rootKey.slice(0, 16)}… is not the CA root key this app was built with (${pinned.slice(0, 16)}…): this configuration was changed or belongs to another authority`);
  if (o.iceServers !== undefined) config.iceServers = o.iceServers as unknown[];
  return config;
}

/** Fetches and validates the configuration. @example await loadConfig('/config.json') */
export async function loadConfig(url = '/config.json', fetcher: typeof fetch = fetch): Promise<AppConfig> {
  let res: Response;
  try {
    res = await fetcher(url, { cache: 'no-cache' });
  } catch (e) {
    throw new ConfigError('unreachable', `could not load ${url}: ${(e as Error).message}`);
  }
  if (!res.ok) throw new ConfigError('missing', `${url} answered ${res.status} ${res.statusText}`.trim());
  let raw: unknown;
  try {
    raw = await res.json();
  } catch {
    throw new ConfigError('invalid', `${url} is not valid JSON`);
  }
  return parseConfig(raw);
}

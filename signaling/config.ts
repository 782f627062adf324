/**
 * Command-line and environment configuration of the signaling server, parsed strictly with
 * node:util parseArgs. Flags win over the environment; anything malformed is a {@link UsageError}.
 */
import { parseArgs } from 'node:util';
import { isIP } from 'node:net';
import { DEFAULT_HOST, DEFAULT_PORT, type SignalingServerOptions } from './server.ts';
import { resolveLimits, type SignalingLimits } from './limits.ts';

/** A bad flag, flag value or environment variable. The CLI prints it and exits with status 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Integer flags that set a limit. */
const LIMIT_FLAGS: Record<string, keyof SignalingLimits> = {
  'max-frame-bytes': 'maxFrameBytes',
  'messages-per-second': 'messagesPerSecond',
  burst: 'burst',
  'max-rooms': 'maxRoomsPerConnection',
  'max-room-size': 'maxRoomSize',
  'peer-sample': 'peerSampleSize',
  'ping-interval-ms': 'heartbeatIntervalMs',
  'pong-timeout-ms': 'heartbeatTimeoutMs',
  'max-connections': 'maxConnections',
  'max-handshakes': 'maxHandshakes',
  'handshake-timeout-ms': 'handshakeTimeoutMs',
  'max-connections-per-source': 'maxConnectionsPerSource',
  'max-handshakes-per-source': 'maxHandshakesPerSource',
  'max-room-members-per-source': 'maxRoomMembersPerSource',
  'source-prefix-v4': 'sourcePrefixV4',
  'source-prefix-v6': 'sourcePrefixV6',
};

/** `--help` text. */
export const USAGE = `usage: npm run signaling -- [options]
  --port N                 port (env BEEPTRACE_SIGNAL_PORT, default ${DEFAULT_PORT}; 0 = ephemeral)
  --host ADDR              bind address (env BEEPTRACE_SIGNAL_HOST, default ${DEFAULT_HOST})
  --log                    log events to stderr as JSON lines (never addresses)
  --max-frame-bytes N      largest message (default 16384)
  --messages-per-second N  sustained message rate per connection (default 20)
  --burst N                burst per connection (default 40)
  --max-rooms N            rooms per connection (default 4)
  --max-room-size N        members per room (default 5000)
  --peer-sample N          peer ids returned on join (default 20)
  --ping-interval-ms N     heartbeat ping interval (default 15000)
  --pong-timeout-ms N      close after no pong this long (default 30000)
  --max-connections N      total connections (default 10000)
  --max-handshakes N       sockets whose WebSocket upgrade is in progress (default 256)
  --handshake-timeout-ms N drop a socket not upgraded within this (default 10000)
  A source is a client's network prefix; each has its share (docs/SIGNALING.md "Sources"):
  --max-connections-per-source N    connections from one source (default: a tenth of --max-connections)
  --max-handshakes-per-source N     upgrades in progress from one source (default: a tenth of --max-handshakes)
  --max-room-members-per-source N   members of one room from one source (default: a tenth of --max-room-size)
  --source-prefix-v4 N     IPv4 prefix of a source, bits (default 24)
  --source-prefix-v6 N     IPv6 prefix of a source, bits (default 48)
  --source-header NAME     behind a reverse proxy: the header with the client's address
                           (x-forwarded-for: its last entry), believed from trusted proxies only
  --trusted-proxies LIST   comma-separated proxy addresses whose header is believed (default 127.0.0.1,::1)
  -h, --help               this text`;

/** What the CLI should do. */
export type CliConfig = { help: true } | { help: false; options: SignalingServerOptions; log: boolean };

/**
 * Parses argv (without `node` and the script) and the environment.
 *
 * @throws UsageError saying which flag or variable was wrong and why.
 * @example
 * parseSignalingArgs(['--port', '0'], {});      // { help: false, options: { host: '127.0.0.1', port: 0, limits: {} }, log: false }
 * parseSignalingArgs(['--port', 'abc'], {});    // throws UsageError: --port must be an integer 0–65535, got "abc"
 * parseSignalingArgs([], { BEEPTRACE_SIGNAL_PORT: '9000' }).options.port; // 9000
 */
export function parseSignalingArgs(argv: string[], env: Record<string, string | undefined>): CliConfig {
  const limitOptions = Object.fromEntries(Object.keys(LIMIT_FLAGS).map((k) => [k, { type: 'string' as const }]));
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        log: { type: 'boolean' },
        'source-header': { type: 'string' },
        'trusted-proxies': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        ...limitOptions,
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return { help: true };

  const portText = (values.port as string | undefined) ?? env.BEEPTRACE_SIGNAL_PORT;
  const portSource = values.port !== undefined ? '--port' : 'BEEPTRACE_SIGNAL_PORT';
  const port = portText === undefined ? DEFAULT_PORT : integer(portText, portSource, 0, 65535);

  const host = (values.host as string | undefined) ?? env.BEEPTRACE_SIGNAL_HOST ?? DEFAULT_HOST;
  const hostSource = values.host !== undefined ? '--host' : 'BEEPTRACE_SIGNAL_HOST';
  if (!/^[A-Za-z0-9.:_%-]{1,253}$/.test(host)) throw new UsageError(`${hostSource} must be a host name or IP address, got ${JSON.stringify(host)}`);

  const limits: Partial<SignalingLimits> = {};
  for (const [flag, key] of Object.entries(LIMIT_FLAGS)) {
    const v = values[flag];
    if (typeof v === 'string') limits[key] = integer(v, `--${flag}`, 0, Number.MAX_SAFE_INTEGER);
  }
  try {
    resolveLimits(limits);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const sourceHeader = values['source-header'] as string | undefined;
  if (sourceHeader !== undefined && !/^[A-Za-z0-9-]{1,64}$/.test(sourceHeader)) throw new UsageError(`--source-header must be a header name, got ${JSON.stringify(sourceHeader)}`);
  const proxiesText = values['trusted-proxies'] as string | undefined;
  const trustedProxies = proxiesText === undefined ? undefined : proxiesText.split(',').map((x) => x.trim()).filter(Boolean);
  if (trustedProxies && (!trustedProxies.length || trustedProxies.some((a) => !isIP(a)))) throw new UsageError(`--trusted-proxies must be IP addresses separated by commas, got ${JSON.stringify(proxiesText)}`);
  if (trustedProxies && sourceHeader === undefined) throw new UsageError('--trusted-proxies needs --source-header');
  const options: SignalingServerOptions = { host, port, limits };
  if (sourceHeader !== undefined) options.sourceHeader = sourceHeader;
  if (trustedProxies) options.trustedProxies = [...trustedProxies, ...trustedProxies.filter((a) => isIP(a) === 4).map((a) => `::ffff:${a}`)];
  return { help: false, options, log: values.log === true };
}

/** A decimal integer in [min, max], or a UsageError naming `source`. */
function integer(text: string, source: string, min: number, max: number): number {
  const n = /^\d{1,16}$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`${source} must be an integer ${min}–${max === Number.MAX_SAFE_INTEGER ? '…' : max}, got ${JSON.stringify(text)}`);
  }
  return n;
}

/**
 * Command-line and environment configuration of the signaling server, parsed strictly with
 * node:util parseArgs. Flags win over the environment; anything malformed is a {@link UsageError}.
 */
import { parseArgs } from 'node:util';
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
  return { help: false, options: { host, port, limits }, log: values.log === true };
}

/** A decimal integer in [min, max], or a UsageError naming `source`. */
function integer(text: string, source: string, min: number, max: number): number {
  const n = /^\d{1,16}$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`${source} must be an integer ${min}–${max === Number.MAX_SAFE_INTEGER ? '…' : max}, got ${JSON.stringify(text)}`);
  }
  return n;
}

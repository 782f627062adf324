/**
 * `beeptrace start` (what `npm start` runs): the app and the whole local network on embedded
 * defaults — see src/node/start/stack.ts for the parts and README.md for the guide it prints.
 * Runs until SIGINT / SIGTERM, then stops every part (the full nodes are awaited) and exits 0.
 *
 * @example
 * // $ npm start -- --port 9000 --data /tmp/bt
 * await startCommand(['--port', '9000', '--data', '/tmp/bt']);
 * @module
 */
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { InputError } from '../../core/errors.ts';
import { parsePolicy } from '../../core/policy.ts';
import { DEFAULT_APP_PORT, DEFAULT_TICKS, SIGNAL_PATH, startStack, type Stack } from './stack.ts';
import { terminalQr } from './terminal-qr.ts';
import { DEMO_PLACE, parsePlace } from './demo.ts';

/** `beeptrace start --help`. @example process.stdout.write(START_HELP) */
export const START_HELP = `beeptrace start [options]   (npm start -- [options])

Builds the app if needed and runs it with a whole local BeepTrace network: the app and its
configuration, the signaling server (under ${SIGNAL_PATH} on the same port), a local health authority
(a CA made on first start in the data folder) and full nodes (a solver and two validators).

  --port N            port of the app and signaling (default ${DEFAULT_APP_PORT}; if it is busy the next free
                      one is taken; with --port a busy port is an error; 0 = any free port)
  --data DIR          data folder (default .beeptrace): the authority's keys, the nodes' chains,
                      the --lan certificate. A second start reuses it; delete it to start over.
  --policy FILE       the authority's policy JSON (docs/PROTOCOL.md §Policy; default: the built-in one)
  --region R          region number (default 1)
  --lan               serve over HTTPS on every interface of this machine, for phones on the same
                      network (self-signed certificate made on first start; prints a QR code)
  --host ADDR         bind address (default 127.0.0.1, or 0.0.0.0 with --lan)
  --solver-tick S     seconds between the solver's matching runs (default ${DEFAULT_TICKS.solver})
  --validator-tick S  seconds between the validators' checkpoint duties (default ${DEFAULT_TICKS.validator})
  --demo              also run a simulated town of 100 residents (real keys, real trace batches, cases
                      endorsed by the local clinic, notifications from the solver) so the app's Status
                      and Transparency views move within a minute or two; light on the CPU
  --place "LAT,LON"   where the --demo town lies (default ${DEMO_PLACE.lat},${DEMO_PLACE.lon}, Glasgow)
  --no-build          serve dist/ as it is, even if it is missing or older than the sources
  --dist DIR          serve this built app instead of the checkout's dist/ (never built)
  -h, --help          this text
`;

function seconds(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d{1,5}$/.test(v) || +v < 1 || +v > 86_400) throw new InputError('usage', `--${name} must be whole seconds 1..86400, got "${v}"`);
  return +v;
}

/** Parse the flags of `beeptrace start` (exported for tests). @example parseStartArgs(['--lan']).lan === true */
export function parseStartArgs(argv: string[]) {
  const { values } = parseArgs({
    args: argv, strict: true, allowPositionals: false,
    options: {
      port: { type: 'string' }, data: { type: 'string' }, policy: { type: 'string' }, region: { type: 'string' }, lan: { type: 'boolean' },
      host: { type: 'string' }, 'solver-tick': { type: 'string' }, 'validator-tick': { type: 'string' }, 'no-build': { type: 'boolean' }, dist: { type: 'string' },
      demo: { type: 'boolean' }, place: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.port !== undefined && (!/^\d{1,5}$/.test(values.port) || +values.port > 65535)) throw new InputError('usage', `--port must be an integer 0..65535, got "${values.port}"`);
  if (values.region !== undefined && (!/^\d{1,5}$/.test(values.region) || +values.region > 0xfffe)) throw new InputError('usage', `--region must be an integer 0..65534, got "${values.region}"`);
  if (values.host !== undefined && !/^[A-Za-z0-9.:_%-]{1,253}$/.test(values.host)) throw new InputError('usage', `--host must be a host name or IP address, got "${values.host}"`);
  let policy;
  if (values.policy !== undefined) {
    let text: string;
    try {
      text = readFileSync(values.policy, 'utf8');
    } catch (e) {
      throw new InputError('file', `cannot read policy ${values.policy}: ${(e as Error).message}`);
    }
    policy = parsePolicy(text, values.policy);
  }
  return {
    help: values.help === true,
    port: values.port === undefined ? undefined : +values.port,
    dataDir: values.data,
    policy,
    region: values.region === undefined ? undefined : +values.region,
    lan: values.lan === true,
    host: values.host,
    build: values['no-build'] !== true,
    distDir: values.dist,
    ticks: { solver: seconds(values['solver-tick'], 'solver-tick'), validator: seconds(values['validator-tick'], 'validator-tick') },
    demo: demoOptions(values.demo === true, values.place),
  };
}

function demoOptions(demo: boolean, place: string | undefined): { place?: { lat: number; lon: number } } | undefined {
  if (place !== undefined && !demo) throw new InputError('usage', '--place is where the --demo town lies: give --demo too');
  return demo ? { place: place === undefined ? undefined : parsePlace(place) } : undefined;
}

/** Run `beeptrace start` until a signal; returns the exit code. @example process.exitCode = await startCommand(['--port', '0']) */
export async function startCommand(argv: string[]): Promise<number> {
  const a = parseStartArgs(argv);
  if (a.help) {
    process.stdout.write(START_HELP);
    return 0;
  }
  const ticks = Object.fromEntries(Object.entries(a.ticks).filter(([, v]) => v !== undefined));
  const stack = await startStack({ port: a.port, dataDir: a.dataDir, policy: a.policy, region: a.region, lan: a.lan, host: a.host, build: a.build, distDir: a.distDir, ticks, demo: a.demo });
  process.stdout.write(guide(stack, { ...DEFAULT_TICKS, ...ticks }));
  await new Promise<void>((resolve) => {
    let first = 0;
    const onSignal = (sig: string) => {
      if (!first) {
        first = Date.now();
        process.stderr.write(`\n${sig}: stopping the full nodes, the authority, signaling and the app server …\n`);
        resolve();
      } else if (Date.now() - first > 1_000) {
        process.stderr.write(`${sig} again: giving up waiting\n`);
        process.exit(1);
      } // a signal within a second of the first is the same Ctrl-C (npm passes it on too)
    };
    process.on('SIGINT', () => onSignal('SIGINT'));
    process.on('SIGTERM', () => onSignal('SIGTERM'));
  });
  await stack.stop();
  process.stderr.write('stopped.\n');
  // Every part is stopped; the native WebRTC module may still hold closed connections for up to
  // ~30 s before it lets the process end, so end it now.
  setTimeout(() => process.exit(0), 200).unref();
  return 0;
}

/** What `beeptrace start` prints once everything runs. @example process.stdout.write(guide(stack, DEFAULT_TICKS)) */
export function guide(s: Stack, ticks: { solver: number; validator: number }): string {
  const rel = relative(process.cwd(), s.dataDir) || '.';
  const data = rel.startsWith('..') ? s.dataDir : rel;
  const lines = [
    '',
    `BeepTrace is running: open ${s.appUrl} in two browser windows (or two browsers).`,
    'Each window is one person\'s device, with its own keys; together with the nodes below they form one local network.',
    ...(s.portNote ? ['', `  (${s.portNote})`] : []),
    '',
    `  app           ${s.appUrl}   (its configuration: ${s.appUrl}config.json)`,
    `  signaling     ${s.signalUrl}   introduces browsers and nodes to each other (health: ${s.healthUrl})`,
    `  authority     ${data}/authority   the local health authority: CA root key ${s.config.rootKey.slice(0, 16)}…, a clinic (diagnostician), epoch keys`,
    `  clinic        to try the app's Diagnostician mode (Settings): key file ${data}/authority/keys/diagnostician.key, its passphrase in ${data}/authority/passphrase`,
    `  full nodes    solver (matches every ${ticks.solver} s), validator-1 and validator-2 (checkpoint each closed 10 minutes; duty every ${ticks.validator} s)`,
    `  data          ${data}/   reused by the next start; delete it to start over with a new authority`,
  ];
  if (s.demo) lines.push(`  demo town     ${s.demo.stats.residents} simulated residents publish real blocks; watch Status, Network and Transparency (it counts the cases, relay on or off)`);
  if (s.certificate) {
    if (s.lanUrls.length) lines.push('', 'On a phone on the same network, open (or scan):', ...s.lanUrls.map((u) => `  ${u}`), '', terminalQr(s.lanUrls[0]));
    else lines.push('', 'No LAN address is served (the bind address is loopback): --host 0.0.0.0 serves every interface.');
    lines.push(
      'The browser will warn that the connection is not private. That is expected here: the certificate was made',
      `by this computer on first start (kept in ${data}/tls/) instead of by a certificate authority the phone knows.`,
      'The connection is still encrypted; the warning only says the phone cannot check who made the certificate.',
      `Check it if you like: its SHA-256 fingerprint is ${s.certificate?.fingerprint}. Accept it once ("Advanced" → "Proceed").`,
      'A real deployment uses a certificate from a public authority (docs/DEPLOY.md).',
    );
  } else {
    lines.push('', 'Phones on your network: npm start -- --lan');
  }
  lines.push('', 'Press Ctrl-C to stop everything.', '');
  return `${lines.join('\n')}\n`;
}

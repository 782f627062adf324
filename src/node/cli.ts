/**
 * The `beeptrace` command line (see README.md and `beeptrace --help`).
 * Each sub-command parses its flags strictly: an unknown flag or a bad value exits 2 with a
 * message that names it.
 * @module
 */
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './repo.ts';
import { InputError } from '../core/errors.ts';
import { parsePolicy, DEFAULT_POLICY } from '../core/policy.ts';
import { buildingsCommand, readVenues } from './buildings-command.ts';
import { Precision, isoDay, type PrecisionLevel } from '../core/types.ts';
import { nodeCrypto } from './node-crypto.ts';
import { io } from './io.ts';
import { City } from './sim/mobility.ts';
import { parseTrace } from './sim/trace.ts';
import { gpxPopulation } from './sim/gpx.ts';
import { simulate, type SimResult } from './sim/run.ts';
import { Prng } from '../core/prng.ts';

const HELP = `beeptrace — privacy-preserving contact tracing on a two-chain ledger (the BeepTrace protocol)

Usage:
  beeptrace start [options]      the app and a whole local network: signaling, a local authority, full nodes
                                 (what npm start runs; beeptrace start --help)
  beeptrace sim [options]        run the whole protocol in one process and score it against an exact computation
  beeptrace node --role archive|validator|solver --signal ws://HOST:PORT --data DIR [--region R]
                                 a full node on the WebRTC mesh (beeptrace node --help)
  beeptrace buildings FILE [--venue-radius M] [--strict] [--json]
                                 check a GeoJSON export of buildings and venues (beeptrace buildings --help)
  beeptrace ca COMMAND [options]  a health authority's CA: keys, certificates, epochs, policy
                                 (init, keygen, certify, revoke, epoch, shred, policy, publish, status; beeptrace ca --help)
  beeptrace signaling [--port N] [--host ADDR]
                                 the signaling server (what npm run signaling runs; beeptrace signaling --help)
  beeptrace serve --config FILE [--dist DIR] [--port N]
                                 the built app with an authority's config.json (beeptrace serve --help)
  beeptrace venue poster --key FILE --name NAME --out FILE [--duration MIN] [--format svg|pdf]
                                 a venue's printable check-in poster (SVG or PDF; beeptrace venue --help)
  beeptrace --help | --version

sim, synthetic city:
  --users N        users (default 300)
  --days D         days (default 2)
  --infected K     infected users, diagnosed at the end (default 5)
  --seed S         PRNG seed (default 1)
  --seats A,B,…    venues' seat radii in metres, in turn (default 4: visitors 0–8 m apart;
                   4,6,8,10 puts visitors of the larger venues 10–20 m apart, docs/PROTOCOL.md §15 item 37)
sim, replay:
  --trace FILE     JSONL, one fix per line: {"user":"A","t":"2026-03-02T09:00:00Z","lat":55.8721,"lon":-4.2882,"acc":8}
                   ("t" may be epoch ms; a line with "venue":"ID" instead of lat/lon is a check-in, ended by the user's next line)
  --gpx A.gpx,B.gpx  GPX recordings instead, one person each, named after the file (alice.gpx → alice);
                   a point's accuracy is 5 m × its <hdop> (10 m without); points need a <time>
  --infected A,B   names of infected users (diagnosed at the end of the trace)
both:
  --venues FILE    GeoJSON buildings and venues (OpenStreetMap exports as they are: Polygon, MultiPolygon,
                   Point venues as circles); each skipped feature is named with its reason on stderr
  --venue-radius M radius of a Point venue, metres (1..1000; default 25)
  --strict         refuse a --venues file (exit 2) if any of its features is skipped
  --policy FILE    policy JSON (see docs/PROTOCOL.md §Policy)
  --precision P    exact | 10m | 100m, or a list (exact,10m): each user picks one of them (default 10m)
  --sparse M       the phone's page sees one fix every M minutes (1..120; default 1: every minute)
  --json           print one JSON object {users, truth, stats} instead of a summary
`;

/** Run the CLI; returns the exit code. @example await main(['sim', '--users', '100']) */
export async function main(argv: string[]): Promise<number> {
  try {
    if (!argv.length) {
      process.stderr.write(HELP);
      return 2;
    }
    if (argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
      io.out(HELP);
      return 0;
    }
    if (argv[0] === '--version') {
      const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
      process.stdout.write(`${pkg.version}\n`);
      return 0;
    }
    if (argv[0] === 'sim') return await sim(negativeValues(argv.slice(1)));
    if (argv[0] === 'start') {
      const { startCommand } = await import('./start/command.ts');
      return await startCommand(negativeValues(argv.slice(1)));
    }
    if (argv[0] === 'buildings') return await buildingsCommand(argv.slice(1));
    if (argv[0] === 'ca') {
      const { caMain } = await import('./ca/cli.ts');
      return await caMain(argv.slice(1));
    }
    if (argv[0] === 'venue') {
      const { venueMain } = await import('./venue-command.ts');
      return await venueMain(argv.slice(1));
    }
    if (argv[0] === 'signaling') {
      const { signalingMain } = await import('../../signaling/cli.ts');
      return await signalingMain(argv.slice(1));
    }
    if (argv[0] === 'serve') {
      const { serveMain } = await import('./serve-command.ts');
      return await serveMain(argv.slice(1));
    }
    if (argv[0] === 'node') {
      const { runNode } = await import('./run-node.ts');
      return await runNode(argv.slice(1));
    }
    throw new InputError('usage', `unknown command "${argv[0]}" (try beeptrace --help)`);
  } catch (e) {
    if (e instanceof InputError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`beeptrace: ${(e as Error).message}\n`);
      return 2;
    }
    throw e;
  }
}

/**
 * `--users -5` → `--users=-5`: node:util parseArgs takes a value that starts with a dash for an
 * ambiguous flag and says so in its own words; joined, the value reaches our checks, whose
 * message names the flag and its range.
 * @example negativeValues(['--users', '-5']) // ['--users=-5']
 */
export function negativeValues(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const next = argv[i + 1];
    if (/^--[a-z][a-z-]*$/.test(argv[i]) && next !== undefined && /^-[\d.]/.test(next)) {
      out.push(`${argv[i]}=${next}`);
      i++;
    } else out.push(argv[i]);
  }
  return out;
}

function int(v: string | undefined, name: string, lo: number, hi: number, dflt: number): number {
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v) || +v < lo || +v > hi) throw new InputError('usage', `--${name} must be an integer in ${lo}..${hi}, got "${v}"`);
  return +v;
}
function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError('file', `cannot read ${what} ${file}: ${(e as Error).message}`);
  }
}

async function sim(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      users: { type: 'string' }, days: { type: 'string' }, infected: { type: 'string' }, seed: { type: 'string' },
      trace: { type: 'string' }, gpx: { type: 'string' }, venues: { type: 'string' }, 'venue-radius': { type: 'string' }, strict: { type: 'boolean' }, policy: { type: 'string' }, precision: { type: 'string' }, sparse: { type: 'string' }, seats: { type: 'string' },
      json: { type: 'boolean' }, help: { type: 'boolean' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const seed = int(values.seed, 'seed', 0, 2 ** 31, 1);
  const policy = values.policy ? parsePolicy(readText(values.policy, 'policy'), values.policy) : DEFAULT_POLICY;
  if (!values.venues && (values['venue-radius'] !== undefined || values.strict)) throw new InputError('usage', '--venue-radius and --strict are for a --venues file');
  const buildings = values.venues ? readVenues(values.venues, { radius: values['venue-radius'], strict: values.strict }, (l) => process.stderr.write(l)).index : undefined;
  const precisions: Record<string, PrecisionLevel> = { exact: Precision.EXACT, '10m': Precision.M10, '100m': Precision.M100 };
  const precision = (values.precision ?? '10m').split(',').map((p) => {
    const level = precisions[p.trim()];
    if (level === undefined) throw new InputError('usage', `--precision must be exact, 10m or 100m, or a comma list of them, got "${values.precision}"`);
    return level;
  });
  let pop;
  let infected: string[];
  if (values.trace || values.gpx) {
    if (values.trace && values.gpx) throw new InputError('usage', '--trace and --gpx are two kinds of replay: give one');
    if (values.users || values.days || values.seats) throw new InputError('usage', '--users, --days and --seats are for the synthetic city, not with --trace or --gpx');
    pop = values.trace
      ? parseTrace(readText(values.trace, 'trace'), values.trace)
      : gpxPopulation(values.gpx!.split(',').map((f) => f.trim()).filter(Boolean).map((file) => ({ file, text: readText(file, 'gpx') })));
    infected = (values.infected ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    if (!infected.length) throw new InputError('usage', '--infected A,B names the infected users of the trace');
  } else {
    const users = int(values.users, 'users', 2, 1_000_000, 300);
    const days = int(values.days, 'days', 1, 14, 2);
    const k = int(values.infected, 'infected', 0, users, 5);
    const firstDay = Math.floor(Date.UTC(2026, 2, 2) / 86_400_000);
    const seats = values.seats?.split(',').map((m) => {
      const n = Number(m.trim());
      if (!Number.isInteger(n) || n < 1 || n > 1000) throw new InputError('usage', `--seats must be a comma list of whole metres 1..1000, got "${values.seats}"`);
      return n;
    });
    pop = new City({ users, days, seed, firstDay, seats });
    infected = new Prng(seed ^ 0x1f).shuffle([...pop.names]).slice(0, k);
  }
  const log = values.json ? undefined : (m: string) => process.stderr.write(`· ${m}\n`);
  const sparseMinutes = int(values.sparse, 'sparse', 1, 120, 1);
  const r = await simulate(pop, { infected, crypto: nodeCrypto, seed, policy, buildings, precision, sparseMinutes, log });
  if (values.json) process.stdout.write(`${JSON.stringify(r)}\n`);
  else process.stdout.write(summary(r, infected, pop.firstDay, pop.lastDay));
  return 0;
}

function summary(r: SimResult, infected: string[], first: number, last: number): string {
  const s = r.stats;
  const count = (lvl: string, src: typeof r.users) => Object.values(src).filter((u) => u.level === lvl).length;
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const lines = [
    ``,
    `BeepTrace simulation — ${s.users} users, ${isoDay(first)} … ${isoDay(last)} (${s.days} ${s.days === 1 ? 'day' : 'days'}), ${s.infected} diagnosed`,
    ``,
    `  recorded stays           ${s.stays}`,
    `  ledger records           ${Object.entries(s.records).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    `  upload per user-day      ${s.uploadBytesPerUserDay} bytes (padded, signed, with proof-of-work)`,
    `  notification chain       ${s.notificationChainBytes} bytes (${s.downloadBytesPerUserDay} bytes per user-day to download)`,
    `  solver                   ${s.solver.stays} stays of ${s.solver.userDays} user-days in ${s.solver.ms} ms (${s.solver.recordsPerSecond} stays/s); ${s.solver.tags} tags`,
    ``,
    `  notified (protocol)      high ${count('high', r.users)}, low ${count('low', r.users)}, none ${count('none', r.users)}`,
    `  exact computation        high ${count('high', r.truth)}, low ${count('low', r.truth)}, none ${count('none', r.truth)}`,
    `  high-risk user-days      precision ${pct(s.high.precision)}, recall ${pct(s.high.recall)} (tp ${s.high.truePositives}, fp ${s.high.falsePositives}, fn ${s.high.falseNegatives})`,
    `  any exposure user-days   precision ${pct(s.any.precision)}, recall ${pct(s.any.recall)} (tp ${s.any.truePositives}, fp ${s.any.falsePositives}, fn ${s.any.falseNegatives})`,
    ...Object.entries(s.byPrecision).map(([p, b]) => `    users at ${p.padEnd(5)} ${String(b.users).padStart(5)}   high ${pct(b.high.precision)} / ${pct(b.high.recall)}, any ${pct(b.any.precision)} / ${pct(b.any.recall)} (precision / recall)`),
    ``,
    `  A user-day is scored against the exact computation on the raw positions (the time two paths,`,
    `  straight between fixes, are within 10 m; a walk-by of seconds is not a minute), with the`,
    `  same policy. "High-risk" counts only high-risk user-days; "any exposure" counts every user-day`,
    `  notified at all, low or high, as one level (the low rule: within 10 m for at least a minute, or`,
    `  15 minutes at the same venue). Precision: the share of notified user-days that really were`,
    `  exposed; recall: the share of really exposed user-days that were notified.`,
    ``,
    `  infected: ${infected.slice(0, 10).join(', ')}${infected.length > 10 ? ', …' : ''}`,
    `  finished in ${s.seconds} s`,
    ``,
  ];
  return lines.join('\n');
}

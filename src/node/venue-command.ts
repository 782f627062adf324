/**
 * `beeptrace venue poster`: a venue's printable check-in poster from its key file (made by
 * `beeptrace ca keygen --role venue` and certified by `beeptrace ca certify --role venue`).
 * Exit status: 0 written, 2 bad input (a flag, the key file, its passphrase, a name the format
 * cannot carry); src/node/cli.ts maps InputError to 2.
 *
 * @example
 * await venueMain(['poster', '--key', 'cafe.key', '--name', 'Café Nord', '--out', 'poster.pdf']); // 0
 * @module
 */
import { parseArgs } from 'node:util';
import { writeFile } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { InputError } from '../core/errors.ts';
import { ANY_REGION } from '../core/codec/records.ts';
import { MAX_VENUE_MINUTES, MAX_VENUE_NAME_BYTES } from '../core/codec/venue.ts';
import { signPoster, venueIdOf } from '../core/venue.ts';
import { toHex } from '../core/bytes.ts';
import { nodeCrypto } from './node-crypto.ts';
import { io } from './io.ts';
import { passphrase, readRoleKey } from './ca/secrets.ts';
import { posterPdf, posterSvg } from './venue-poster.ts';

/** Help of `beeptrace venue`. @example io.out(VENUE_HELP) */
export const VENUE_HELP = `beeptrace venue poster — a venue's printable check-in poster

Usage:
  beeptrace venue poster --key FILE --name NAME --out FILE [--duration MIN] [--format svg|pdf] [--region R] [--json]

  --key FILE      the venue's key file (beeptrace ca keygen --role venue; certify it with
                  beeptrace ca certify --role venue, or the app refuses the poster)
  --name NAME     the venue's name, printed large and shown in the app at check-in
                  (1..${MAX_VENUE_NAME_BYTES} bytes of UTF-8)
  --duration MIN  default stay, minutes (1..${MAX_VENUE_MINUTES}; default 60): the app checks a visitor out by
                  itself this long after the scan unless they check out earlier
  --format F      svg or pdf (default: from --out's extension, else svg). The PDF prints the name in a
                  built-in font (Latin-1 only); use svg for other scripts
  --region R      the region (default: the key file's region)
  --out FILE      where to write the poster
  --json          print one JSON object {out, format, venueId, region, name, minutes, text}

The passphrase of the key file comes from BEEPTRACE_PASSPHRASE, or is asked on a terminal.
The QR code carries the venue's public key, name, region, default stay and the venue key's
signature (docs/PROTOCOL.md §7.11). Exit 0 written, 2 bad input.
`;

/** Run `beeptrace venue ARGV`; returns the exit code. @example await venueMain(['poster', '--help']) */
export async function venueMain(argv: string[]): Promise<number> {
  const cmd = argv[0];
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    (cmd ? io.out : io.err)(VENUE_HELP);
    return cmd ? 0 : 2;
  }
  if (cmd !== 'poster') throw new InputError('usage', `unknown venue command "${cmd}" (one of poster; beeptrace venue --help)`);
  const { values: v } = parseArgs({
    args: argv.slice(1), strict: true, allowPositionals: false,
    options: {
      key: { type: 'string' }, name: { type: 'string' }, duration: { type: 'string' }, format: { type: 'string' },
      region: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean' },
    },
  });
  if (v.help) {
    io.out(VENUE_HELP);
    return 0;
  }
  const need = (x: string | undefined, flag: string, what: string): string => {
    if (x === undefined || x === '') throw new InputError('usage', `--${flag} ${what} is required (beeptrace venue --help)`);
    return x;
  };
  const keyFile = need(v.key, 'key', 'FILE');
  const name = need(v.name, 'name', 'NAME').trim();
  const out = resolve(need(v.out, 'out', 'FILE'));
  const duration = v.duration ?? '60';
  if (!/^\d+$/.test(duration) || +duration < 1 || +duration > MAX_VENUE_MINUTES) throw new InputError('usage', `--duration must be an integer 1..${MAX_VENUE_MINUTES} (minutes), got "${duration}"`);
  const format = v.format ?? (extname(out).toLowerCase() === '.pdf' ? 'pdf' : 'svg');
  if (format !== 'svg' && format !== 'pdf') throw new InputError('usage', `--format must be svg or pdf, got "${format}"`);
  if (v.region !== undefined && (!/^\d+$/.test(v.region) || +v.region >= ANY_REGION)) throw new InputError('usage', `--region must be an integer 0..${ANY_REGION - 1}, got "${v.region}"`);
  const pass = await passphrase(`the venue key ${keyFile}`);
  const key = await readRoleKey(nodeCrypto, keyFile, pass, 'venue');
  const keyRegion = key.region === ANY_REGION ? undefined : key.region;
  const region = v.region !== undefined ? +v.region : keyRegion;
  if (region === undefined) throw new InputError('usage', `${keyFile} names no single region: give --region R`);
  if (keyRegion !== undefined && region !== keyRegion) throw new InputError('usage', `--region ${region} differs from the key file's region ${key.region}`);
  let text: string;
  try {
    text = signPoster(nodeCrypto, key, { region, name, minutes: +duration });
  } catch (e) {
    if (e instanceof RangeError) throw new InputError('usage', `--name or --duration: ${e.message}`);
    throw e;
  }
  const page = { text, name, minutes: +duration, region };
  const bytes = format === 'pdf' ? posterPdf(page) : posterSvg(page);
  try {
    await writeFile(out, bytes);
  } catch (e) {
    throw new InputError('file', `cannot write ${out}: ${(e as Error).message}`);
  }
  const venueId = venueIdOf(nodeCrypto, key.publicKey);
  if (v.json) io.out(`${JSON.stringify({ out, format, venueId, region, name, minutes: +duration, venueKey: toHex(key.publicKey), text })}\n`);
  else io.out(`poster for "${name}" written to ${out} (${format})\n  venue id     ${venueId}\n  region       ${region}\n  default stay ${duration} min\n`);
  return 0;
}

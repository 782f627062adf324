/**
 * `beeptrace venue poster` (src/node/venue-command.ts, src/node/venue-poster.ts) through the CLI's
 * main: a venue key from `ca keygen --role venue`, the poster as SVG and as PDF — each file's QR
 * code read back from its drawing and checked as a poster of a certified venue — and bad input
 * (missing flags, duration, format, passphrase, the wrong role, a name the PDF font cannot print)
 * exiting 2 with a message naming the problem.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeQR } from 'qr/decode.js';
import { runCli } from './cli-fixture.ts';
import { nodeCrypto as c } from '../../src/node/node-crypto.ts';
import { fromHex } from '../../src/core/bytes.ts';
import { certificateBlock, newRoleKey } from '../../src/core/blocks.ts';
import { decodeBlock } from '../../src/core/codec/block.ts';
import { Role } from '../../src/core/codec/records.ts';
import { AuthorityState } from '../../src/core/ledger/authority.ts';
import { checkPoster, venueIdOf } from '../../src/core/venue.ts';

let tmp: string;
const env = process.env;
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'venue-cli-'));
  env.BEEPTRACE_SCRYPT_LOGN = '10';
  env.BEEPTRACE_PASSPHRASE = 'venue pass'; // opens the key file for `venue poster`
  env.BEEPTRACE_NEW_PASSPHRASE = 'venue pass'; // seals it in `ca keygen` (on the venue's machine: its own)
});
after(() => rm(tmp, { recursive: true, force: true }));

const run = runCli;

/** Decode a QR drawn as unit squares at `squares` (module x, y) of an n × n grid. */
function decodeSquares(squares: [number, number][], n: number): string {
  const scale = 4;
  const w = n * scale;
  const data = new Uint8ClampedArray(w * w * 4).fill(255);
  for (const [mx, my] of squares) for (let y = 0; y < scale; y++) for (let x = 0; x < scale; x++) data.fill(0, ((my * scale + y) * w + mx * scale + x) * 4, ((my * scale + y) * w + mx * scale + x) * 4 + 3);
  return decodeQR({ width: w, height: w, data });
}

function authorityFor(publicKey: Uint8Array, name = 'Café Nord'): AuthorityState {
  const root = newRoleKey(c);
  const a = new AuthorityState(root.publicKey);
  const now = Math.floor(Date.now() / 1000);
  const b = certificateBlock(c, root, { serial: c.randomBytes(16), role: Role.VENUE, region: 1, subject: publicKey, notBefore: now - 60, notAfter: now + 3600, name }, { region: 1, timeSec: now - 60 });
  a.apply(decodeBlock(b), c.sha256(b));
  return a;
}

test('venue poster: SVG and PDF from a venue key file; both QR codes read back as a certified venue\'s poster', async () => {
  const key = join(tmp, 'cafe.key');
  const kg = await run('ca', 'keygen', '--role', 'venue', '--name', 'Café Nord', '--region', '1', '--out', key, '--json');
  assert.equal(kg.code, 0, kg.err);
  assert.equal((await run('venue', '--help')).code, 0);
  const help = await run('venue', 'poster', '--help');
  assert.equal(help.code, 0);
  assert.match(help.out, /--duration MIN/);

  const svgFile = join(tmp, 'poster.svg');
  const r = await run('venue', 'poster', '--key', key, '--name', 'Café Nord', '--duration', '45', '--out', svgFile, '--json');
  assert.equal(r.code, 0, r.err);
  const info = JSON.parse(r.out) as { text: string; venueId: string; format: string; minutes: number; venueKey: string; region: number };
  assert.equal(info.format, 'svg');
  assert.equal(info.minutes, 45);
  assert.equal(info.region, 1);
  assert.equal(info.venueId, venueIdOf(c, fromHex(info.venueKey)));
  const svg = await readFile(svgFile, 'utf8');
  assert.match(svg, /^<\?xml/);
  assert.match(svg, />Café Nord<\/text>/);
  assert.match(svg, /@page \{ size: A4/);
  const n = Math.round(150 / Number(/scale\(([\d.]+)\)/.exec(svg)![1]));
  const squares = [...svg.matchAll(/M(\d+) (\d+)h1v1h-1z/g)].map((m) => [Number(m[1]), Number(m[2])] as [number, number]);
  const fromSvg = decodeSquares(squares, n);
  assert.equal(fromSvg, info.text);
  const checked = checkPoster(c, fromSvg, { authority: authorityFor(fromHex(info.venueKey)), region: 1, nowSec: Math.floor(Date.now() / 1000) });
  assert.equal(checked.name, 'Café Nord');
  assert.equal(checked.minutes, 45);

  const pdfFile = join(tmp, 'poster.pdf');
  const p = await run('venue', 'poster', '--key', key, '--name', 'Café (Nord)', '--out', pdfFile);
  assert.equal(p.code, 0, p.err);
  assert.match(p.out, /written to .*poster\.pdf \(pdf\)/);
  const pdf = Buffer.from(await readFile(pdfFile)).toString('latin1');
  assert.ok(pdf.startsWith('%PDF-1.4\n'));
  assert.ok(pdf.endsWith('%%EOF\n'));
  // the cross-reference table points at each object, and startxref at the table
  const startxref = Number(/startxref\n(\d+)\n%%EOF\n$/.exec(pdf)![1]);
  assert.ok(pdf.startsWith('xref\n', startxref));
  const offsets = [...pdf.slice(startxref).matchAll(/^(\d{10}) 00000 n $/gm)].map((m) => Number(m[1]));
  assert.equal(offsets.length, 6);
  offsets.forEach((o, i) => assert.ok(pdf.startsWith(`${i + 1} 0 obj\n`, o), `object ${i + 1} at ${o}`));
  const stream = /<< \/Length (\d+) >>\nstream\n/.exec(pdf)!;
  const body = pdf.slice(stream.index + stream[0].length);
  assert.ok(body.startsWith('endstream', Number(stream[1]) + 1), 'the stream length is exact');
  assert.match(pdf, /\(Caf\\351 \\\(Nord\\\)\) Tj/);
  // the squares back to modules: unit = 425 / n, origin (85, 642) top-left
  const rects = [...pdf.matchAll(/^([\d.]+) ([\d.]+) ([\d.]+) [\d.]+ re$/gm)].map((m) => [Number(m[1]), Number(m[2]), Number(m[3])]);
  const unit = rects[0][2];
  const np = Math.round(425 / unit);
  const fromPdf = decodeSquares(rects.map(([x, y]) => [Math.round((x - 85) / unit), Math.round((642 - y) / unit) - 1]), np);
  const fromPdfChecked = checkPoster(c, fromPdf, { authority: authorityFor(fromHex(info.venueKey), 'Café (Nord)'), region: 1, nowSec: Math.floor(Date.now() / 1000) });
  assert.equal(fromPdfChecked.name, 'Café (Nord)');
  assert.equal(fromPdfChecked.minutes, 60, 'the default stay');
});

test('venue poster: bad input exits 2 with a message naming it, and writes nothing', async () => {
  const key = join(tmp, 'bar.key');
  assert.equal((await run('ca', 'keygen', '--role', 'venue', '--name', 'Bar', '--region', '1', '--out', key)).code, 0);
  const clinicKey = join(tmp, 'clinic.key');
  assert.equal((await run('ca', 'keygen', '--role', 'diagnostician', '--name', 'Clinic', '--region', '1', '--out', clinicKey)).code, 0);
  const out = join(tmp, 'bad.svg');
  const cases: [string[], RegExp][] = [
    [['venue'], /beeptrace venue poster/],
    [['venue', 'flyer'], /unknown venue command "flyer"/],
    [['venue', 'poster', '--name', 'Bar', '--out', out], /--key FILE is required/],
    [['venue', 'poster', '--key', key, '--out', out], /--name NAME is required/],
    [['venue', 'poster', '--key', key, '--name', 'Bar'], /--out FILE is required/],
    [['venue', 'poster', '--key', key, '--name', 'Bar', '--out', out, '--duration', '0'], /--duration must be an integer 1\.\.240/],
    [['venue', 'poster', '--key', key, '--name', 'Bar', '--out', out, '--duration', '300'], /--duration must be an integer 1\.\.240/],
    [['venue', 'poster', '--key', key, '--name', 'Bar', '--out', out, '--format', 'png'], /--format must be svg or pdf/],
    [['venue', 'poster', '--key', key, '--name', 'Bar', '--out', out, '--region', '2'], /differs from the key file's region 1/],
    [['venue', 'poster', '--key', key, '--name', 'x'.repeat(65), '--out', out], /at most 64 bytes/],
    [['venue', 'poster', '--key', key, '--name', 'Bar', '--out', out, '--colour', 'red'], /colour/],
    [['venue', 'poster', '--key', clinicKey, '--name', 'Bar', '--out', out], /not a venue key/],
    [['venue', 'poster', '--key', join(tmp, 'missing.key'), '--name', 'Bar', '--out', out], /cannot read key file/],
    [['venue', 'poster', '--key', key, '--name', '東京カフェ', '--out', join(tmp, 'bad.pdf')], /use --format svg/],
  ];
  for (const [argv, msg] of cases) {
    const r = await run(...argv);
    assert.equal(r.code, 2, `${argv.join(' ')} → exit 2`);
    assert.match(r.err, msg, argv.join(' '));
  }
  env.BEEPTRACE_PASSPHRASE = 'wrong';
  try {
    const r = await run('venue', 'poster', '--key', key, '--name', 'Bar', '--out', out);
    assert.equal(r.code, 2);
    assert.match(r.err, /passphrase/);
  } finally {
    env.BEEPTRACE_PASSPHRASE = 'venue pass';
  }
  assert.ok(!existsSync(out) && !existsSync(join(tmp, 'bad.pdf')), 'nothing written');
  // the name in another script is fine as SVG
  assert.equal((await run('venue', 'poster', '--key', key, '--name', '東京カフェ', '--out', join(tmp, 'tokyo.svg'))).code, 0);
});

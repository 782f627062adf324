/**
 * The parts of `beeptrace start` on their own: the CLI fixes, the local authority's data folder,
 * the static server, the staleness check of the build, the terminal QR code, and the signaling
 * server attached under a path of an existing HTTP server.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtemp, mkdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import encodeQR from 'qr';
import { spawn } from 'node:child_process';
import { negativeValues } from '../../src/node/cli.ts';
import { parseStartArgs } from '../../src/node/start/command.ts';
import { LocalAuthority, readKeyFile } from '../../src/node/start/authority.ts';
import { staticHandler } from '../../src/node/start/static-server.ts';
import { staleReason } from '../../src/node/start/build.ts';
import { terminalQr } from '../../src/node/start/terminal-qr.ts';
import { readNodeConfig } from '../../src/node/full-node.ts';
import { nodeCrypto as c } from '../../src/node/node-crypto.ts';
import { startSignalingServer } from '../../signaling/server.ts';
import { Role } from '../../src/core/codec/records.ts';
import { InputError } from '../../src/core/errors.ts';
import { DEFAULT_POLICY } from '../../src/core/policy.ts';
import { toHex } from '../../src/core/bytes.ts';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'bt-unit-'));
  dirs.push(d);
  return d;
}

const BIN = new URL('../../bin/beeptrace.js', import.meta.url).pathname;

/** Run the `beeptrace` command as a person does (a process: its stdout is not the test runner's). */
async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const child = spawn(process.execPath, [BIN, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (b) => (out += b));
  child.stderr.on('data', (b) => (err += b));
  const code = await new Promise<number | null>((r) => child.once('close', r));
  return { code: code ?? -1, out, err };
}

test('CLI: a negative number is checked by our own rules, not called "ambiguous"', async () => {
  assert.deepEqual(negativeValues(['--users', '-5', '--json']), ['--users=-5', '--json']);
  const r = await cli(['sim', '--users', '-5']);
  assert.equal(r.code, 2);
  assert.match(r.err, /--users must be an integer in 2\.\.1000000, got "-5"/);
  assert.doesNotMatch(r.err, /ambiguous/);
});

test('CLI: a bare `beeptrace` prints the help to stderr and exits 2; --help exits 0', async () => {
  const [bare, help] = await Promise.all([cli([]), cli(['--help'])]);
  assert.equal(bare.code, 2);
  assert.equal(bare.out, '');
  assert.match(bare.err, /beeptrace start \[options\]/);
  assert.equal(help.code, 0);
  assert.match(help.out, /beeptrace sim/);
});

test('CLI: one simulated day is "1 day"', async () => {
  const r = await cli(['sim', '--users', '2', '--days', '1', '--infected', '1']);
  assert.equal(r.code, 0);
  assert.match(r.out, /\(1 day\)/);
  assert.doesNotMatch(r.out, /1 days/);
});

test('beeptrace start --help lists its flags; bad flags name themselves', async () => {
  const [r, neg] = await Promise.all([cli(['start', '--help']), cli(['start', '--port', '-1'])]);
  assert.equal(r.code, 0);
  for (const flag of ['--port', '--data', '--policy FILE', '--lan', '--region', '--host', '--solver-tick', '--no-build']) assert.ok(r.out.includes(flag), flag);
  assert.throws(() => parseStartArgs(['--port', 'x']), /--port must be an integer/);
  assert.equal(neg.code, 2);
  assert.match(neg.err, /--port must be an integer 0\.\.65535, got "-1"/);
  assert.throws(() => parseStartArgs(['--policy', '/nonexistent/p.json']), /cannot read policy/);
  assert.deepEqual(parseStartArgs(['--solver-tick', '5']).ticks, { solver: 5, validator: undefined });
});

test('the local authority: made once in its folder (encrypted key files 0600, the beeptrace ca code), reused after, and its node.json files are valid', async () => {
  const dir = join(await tempDir(), 'authority');
  const ca = await LocalAuthority.open({ dir, region: 3, crypto: c });
  assert.equal(ca.created, true);
  const t = ca.timeSec();
  const a = ca.ledger.authority;
  assert.equal(a.whyNotAuthorized(ca.keys.diagnostician.publicKey, Role.DIAGNOSTICIAN, 3, t), null);
  assert.equal(a.whyNotAuthorized(ca.keys.solver.publicKey, Role.SOLVER, 3, t), null);
  for (const v of ca.keys.validators) assert.equal(a.whyNotAuthorized(v.publicKey, Role.VALIDATOR, 3, t), null);
  assert.equal(ca.epochs.size, 2, "today's epoch and the next");
  for (const e of ca.epochs.keys()) assert.ok(a.epochKey(e));
  assert.deepEqual(await ca.ensureEpochs(), [], 'nothing new on a second call');
  const blocks = ca.ledger.count();
  const node = join(dir, '..', 'solver');
  await mkdir(node);
  await writeFile(join(node, 'node.json'), JSON.stringify(ca.nodeConfig('solver')));
  await assert.rejects(readNodeConfig(node, c, 'solver', async () => 'not the passphrase'), /passphrase does not open/);
  const cfg = await readNodeConfig(node, c, 'solver', async () => ca.passphrase);
  assert.equal(cfg.epochKeys.size, 2, 'the epoch keys from the sealed hand-over file');
  for (const [e, kp] of cfg.epochKeys) assert.deepEqual(kp.publicKey, a.epochKey(e));
  assert.deepEqual(cfg.roleKey!.publicKey, ca.keys.solver.publicKey);
  await ca.close();
  for (const f of ['passphrase', 'ca/root.key', 'ca/ca.json', 'keys/diagnostician.key', 'keys/solver.key', 'keys/validator-1.key', 'keys/validator-2.key']) {
    assert.equal((await stat(join(dir, f))).mode & 0o777, 0o600, f);
  }
  for (const f of ['keys/diagnostician.key', 'ca/root.key']) {
    const text = await readFile(join(dir, f), 'utf8');
    assert.equal(JSON.parse(text).format, 'beeptrace-key/2', f);
    assert.ok(!text.includes(toHex(f.startsWith('ca') ? ca.keys.root.secretKey : ca.keys.diagnostician.secretKey)), `${f}: no secret in the clear`);
  }
  assert.deepEqual((await readKeyFile(join(dir, 'keys', 'diagnostician.key'), c)).publicKey, ca.keys.diagnostician.publicKey);

  const again = await LocalAuthority.open({ dir, region: 3, crypto: c });
  assert.equal(again.created, false);
  assert.deepEqual(again.keys.root.publicKey, ca.keys.root.publicKey);
  assert.equal(again.ledger.count(), blocks, 'nothing re-published on a quick restart');
  assert.equal(await again.refresh(), 1 + 4 + 2, 'refresh: policy, four certificates, two epoch keys');
  await again.close();
  const stricter = await LocalAuthority.open({ dir, region: 3, crypto: c, policy: { ...DEFAULT_POLICY, retentionDays: 21 } });
  assert.equal(stricter.ledger.authority.policy.retentionDays, 21, 'a changed --policy is published on the next start');
  assert.deepEqual(stricter.keys.root.publicKey, ca.keys.root.publicKey);
  await stricter.close();
  await assert.rejects(LocalAuthority.open({ dir, region: 4, crypto: c }), (e: Error) => e instanceof InputError && /region 3/.test(e.message));
});

test('the static server: files with their types, config.json per Host, SPA fallback, no escape from the folder', async () => {
  const dir = await tempDir();
  await writeFile(join(dir, 'index.html'), '<title>app</title>');
  await writeFile(join(dir, 'manifest.webmanifest'), '{}');
  await writeFile(join(dir, 'sw.js'), '//');
  const server: Server = createServer(staticHandler({ dir, config: (req) => ({ region: 1, signalUrl: `ws://${req.headers.host}/signal`, rootKey: 'ab'.repeat(32), iceServers: [] }) }));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const cfg = await (await fetch(`${base}/config.json`)).json();
    assert.equal(cfg.signalUrl, `ws://${base.slice(7)}/signal`);
    assert.equal((await fetch(`${base}/manifest.webmanifest`)).headers.get('content-type'), 'application/manifest+json; charset=utf-8');
    const sw = await fetch(`${base}/sw.js`);
    assert.equal(sw.headers.get('cache-control'), 'no-cache');
    assert.equal(sw.headers.get('service-worker-allowed'), '/');
    assert.equal(await (await fetch(`${base}/status`)).text(), '<title>app</title>');
    assert.equal((await fetch(`${base}/nope.js`)).status, 404);
    assert.equal((await fetch(`${base}/..%2f..%2fetc%2fpasswd`)).status, 403);
    assert.equal((await fetch(`${base}/`, { method: 'POST' })).status, 405);
    const etag = (await fetch(`${base}/index.html`)).headers.get('etag')!;
    assert.equal((await fetch(`${base}/index.html`, { headers: { 'if-none-match': etag } })).status, 304);
  } finally {
    server.close();
  }
});

test('the build is stale when an app source is newer than dist/index.html, not when src/node changes', async () => {
  const root = await tempDir();
  assert.equal(await staleReason(root), 'no build yet');
  await mkdir(join(root, 'src', 'app'), { recursive: true });
  await mkdir(join(root, 'src', 'node'), { recursive: true });
  await mkdir(join(root, 'dist'));
  await writeFile(join(root, 'src', 'app', 'main.ts'), '');
  await writeFile(join(root, 'dist', 'index.html'), '');
  const old = new Date(Date.now() - 60_000);
  await utimes(join(root, 'src', 'app', 'main.ts'), old, old);
  await utimes(join(root, 'src', 'app'), old, old);
  await utimes(join(root, 'src'), old, old);
  assert.equal(await staleReason(root), null);
  await writeFile(join(root, 'src', 'node', 'cli.ts'), '');
  await utimes(join(root, 'src'), old, old);
  assert.equal(await staleReason(root), null, 'src/node is not in the app');
  await writeFile(join(root, 'index.html'), '');
  assert.equal(await staleReason(root), 'index.html changed since the last build');
});

test('the terminal QR code draws exactly the modules of the QR matrix', () => {
  const url = 'https://192.168.1.20:8080/';
  const m = encodeQR(url, 'raw', { ecc: 'medium', border: 2 });
  const lines = terminalQr(url).trimEnd().split('\n');
  assert.equal(lines.length, Math.ceil(m.length / 2));
  for (let y = 0; y < m.length; y++) {
    for (let x = 0; x < m.length; x++) {
      const ch = [...lines[y >> 1]][x];
      const top = y % 2 === 0;
      const darkDrawn = top ? ch === ' ' || ch === '▄' : ch === ' ' || ch === '▀';
      assert.equal(darkDrawn, m[y][x], `module ${x},${y}`);
    }
  }
});

test('signaling attached under /signal of an existing server: WebSocket, health, other paths refused, the server stays up', async () => {
  const server = createServer((_req, res) => res.end('app'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const sig = await startSignalingServer({ attach: { server, path: '/signal' } });
  server.removeAllListeners('request');
  server.on('request', (req, res) => {
    if (!sig.handleHttp(req, res)) res.end('app');
  });
  try {
    assert.equal(sig.url, `ws://127.0.0.1:${port}/signal`);
    const ws = new WebSocket(sig.url);
    const welcome = await new Promise<{ t: string }>((resolve, reject) => {
      ws.once('message', (d) => resolve(JSON.parse(String(d))));
      ws.once('error', reject);
    });
    assert.equal(welcome.t, 'welcome');
    const health = await (await fetch(`http://127.0.0.1:${port}/signal/health`)).json();
    assert.equal(health.connections, 1);
    assert.equal(await (await fetch(`http://127.0.0.1:${port}/anything`)).text(), 'app');
    const other = new WebSocket(`ws://127.0.0.1:${port}/elsewhere`);
    await new Promise<void>((resolve) => other.once('error', () => resolve()));
    ws.close();
  } finally {
    await sig.close();
  }
  assert.equal(await (await fetch(`http://127.0.0.1:${port}/`)).text(), 'app', 'the HTTP server still serves');
  server.close();
});

test('issue 18 finding 8: the start guide says where the clinic\'s key file and its passphrase are, and no longer that the relay is needed to count cases', async () => {
  const { guide } = await import('../../src/node/start/command.ts');
  const dataDir = join(process.cwd(), '.beeptrace-guide-test');
  const stack = { appUrl: 'http://127.0.0.1:8080/', signalUrl: 'ws://127.0.0.1:8080/signal', healthUrl: 'http://127.0.0.1:8080/signal/health', dataDir, config: { rootKey: 'ab'.repeat(32) }, lanUrls: [], demo: { stats: { residents: 100 } } };
  const text = guide(stack as unknown as Parameters<typeof guide>[0], { solver: 10, validator: 30 });
  assert.match(text, /Diagnostician mode \(Settings\): key file \.beeptrace-guide-test\/authority\/keys\/diagnostician\.key, its passphrase in \.beeptrace-guide-test\/authority\/passphrase/);
  assert.doesNotMatch(text, /turn on "Relay for other devices"/);
});

/**
 * `beeptrace start` (npm start): the CLI as a person runs it (spawned, port 0, a tiny prepared
 * dist/ so no build runs), and the same stack through its programmatic API, where a test joins
 * the mesh's work: uploads two devices' trace batches, has the local diagnostician (its key from
 * the data folder) endorse one of them, and waits for the solver child's notification.
 * Everything here contacts 127.0.0.1 only.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { get as httpsGet } from 'node:https';
import { startStack } from '../../src/node/start/stack.ts';
import { authorityMadeYesterday } from './app-harness.ts';
import { readKeyFile } from '../../src/node/start/authority.ts';
import { FullNode } from '../../src/node/full-node.ts';
import { nodeCrypto as c } from '../../src/node/node-crypto.ts';
import { Kind, decodeBlock } from '../../src/core/codec/block.ts';
import { Role } from '../../src/core/codec/records.ts';
import { diagnosisBlock, traceBatchBlock } from '../../src/core/blocks.ts';
import { proveDays } from '../../src/core/sealing.ts';
import { UserKeys } from '../../src/core/keys.ts';
import { epochOf } from '../../src/core/policy.ts';
import { equal, toHex } from '../../src/core/bytes.ts';
import { Chain, Precision, Source, type Day } from '../../src/core/types.ts';

const BIN = new URL('../../bin/beeptrace.js', import.meta.url).pathname;
const tmp: string[] = [];
after(async () => {
  for (const d of tmp) await rm(d, { recursive: true, force: true });
});

async function tempDir(name: string): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), `bt-${name}-`));
  tmp.push(d);
  return d;
}

/** A stand-in for `vite build`'s output: what is tested here is the serving, not the build. */
async function tinyDist(): Promise<string> {
  const d = await tempDir('dist');
  await mkdir(join(d, 'assets'));
  await writeFile(join(d, 'index.html'), '<!doctype html><title>BeepTrace</title><script type="module" src="/assets/app-1234.js"></script>');
  await writeFile(join(d, 'assets', 'app-1234.js'), 'console.log("app")');
  await writeFile(join(d, 'manifest.webmanifest'), '{"name":"BeepTrace"}');
  await writeFile(join(d, 'sw.js'), 'self.addEventListener("fetch", () => {})');
  return d;
}

interface Running {
  child: ChildProcess;
  url: string;
  out: () => string;
  err: () => string;
  exit: Promise<number | null>;
}

/** Every `beeptrace start` this file spawned: a failed test must not leave one (and its full nodes) running. */
const spawned = new Set<ChildProcess>();
after(async () => {
  for (const c of spawned) {
    if (c.exitCode !== null || c.signalCode !== null) continue;
    c.kill('SIGTERM'); // it stops its full nodes, then exits
    await Promise.race([new Promise((r) => c.once('exit', r)), new Promise((r) => setTimeout(r, 15_000))]);
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
});

/** Spawn `beeptrace start ARGS`; resolves once it printed the app's URL (or rejects with its output if it exits first). */
function startCli(args: string[]): Promise<Running> {
  const child = spawn(process.execPath, [BIN, 'start', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  spawned.add(child);
  let out = '';
  let err = '';
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (b) => {
      out += b;
      const m = /BeepTrace is running: open (\S+) /.exec(out);
      if (m) resolve({ child, url: m[1], out: () => out, err: () => err, exit });
    });
    child.stderr!.on('data', (b) => (err += b));
    exit.then((code) => reject(new Error(`beeptrace start exited ${code} before printing its URL:\n${out}\n${err}`)));
  });
}

/** Full-node children (`beeptrace node --role …`) of `pid`. */
function childPids(pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(pid)], { encoding: 'utf8' }).split('\n')
      .filter((l) => / node --role /.test(l)).map((l) => Number(l.trim().split(/\s+/)[0])).filter(Boolean);
  } catch {
    return []; // ps exits 1 when there are none
  }
}
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** GET JSON over https without checking the certificate (only ever 127.0.0.1). */
function insecureJson(url: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    httpsGet(url, { rejectUnauthorized: false }, (res) => {
      let body = '';
      res.on('data', (b) => (body += b));
      res.on('end', () => resolve(JSON.parse(body)));
    }).on('error', reject);
  });
}

/** Wait until `cond` holds, checking every 200 ms; fail with `what` after `ms` (a liveness bound, not a speed assertion). */
async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 90_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`gave up waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('beeptrace start serves the app, its config and signaling, runs three full nodes, and stops cleanly on SIGINT', async () => {
  const data = await tempDir('data');
  const dist = await tinyDist();
  const run = await startCli(['--data', data, '--port', '0', '--dist', dist]);
  assert.match(run.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  assert.match(run.out(), /Ctrl-C/);

  const index = await fetch(run.url);
  assert.equal(index.status, 200);
  assert.match(index.headers.get('content-type')!, /^text\/html/);
  assert.match(await index.text(), /<title>BeepTrace<\/title>/);

  const cfg = await (await fetch(`${run.url}config.json`)).json();
  const root = JSON.parse(await readFile(join(data, 'authority', 'ca', 'root.key'), 'utf8'));
  assert.equal(cfg.rootKey, root.publicKey, 'the app learns the root key of the data folder');
  assert.equal(cfg.region, 1);
  assert.deepEqual(cfg.iceServers, []);
  assert.equal(cfg.signalUrl, `${run.url.replace('http', 'ws')}signal`);

  const manifest = await fetch(`${run.url}manifest.webmanifest`);
  assert.match(manifest.headers.get('content-type')!, /^application\/manifest\+json/);
  const sw = await fetch(`${run.url}sw.js`);
  assert.equal(sw.headers.get('cache-control'), 'no-cache');
  assert.match(sw.headers.get('content-type')!, /^text\/javascript/);
  const asset = await fetch(`${run.url}assets/app-1234.js`);
  assert.match(asset.headers.get('cache-control')!, /immutable/);
  const route = await fetch(`${run.url}trail/2026-03-02`);
  assert.match(await route.text(), /<title>BeepTrace/, 'an app route falls back to index.html');
  assert.equal((await fetch(`${run.url}missing.png`)).status, 404);
  assert.equal((await fetch(`${run.url}..%2f..%2fetc%2fpasswd`)).status, 403, "no path out of dist/");

  const health = await (await fetch(`${run.url}signal/health`)).json();
  assert.equal(health.ok, true);

  // Three full nodes as children; each joins signaling (the authority's own node is the fourth connection).
  const kids = childPids(run.child.pid!);
  assert.equal(kids.length, 3, `three full nodes: ${run.err()}`);
  await until(async () => (await (await fetch(`${run.url}signal/health`)).json()).connections >= 4, 'the nodes connect to signaling');

  // Key files only their owner may read.
  for (const f of ['authority/passphrase', 'authority/ca/root.key', 'authority/keys/diagnostician.key', 'authority/ca/ca.json', 'nodes/solver/node.json']) {
    assert.equal((await stat(join(data, f))).mode & 0o777, 0o600, f);
  }

  run.child.kill('SIGINT');
  assert.equal(await run.exit, 0, run.err());
  assert.match(run.err(), /stopped\./);
  for (const pid of kids) assert.equal(alive(pid), false, `full node ${pid} is gone`);

  // The authority's statements reached every node's ledger: policy, the certificates.
  const validatorPub = (await readKeyFile(join(data, 'authority', 'keys', 'validator-1.key'), c)).publicKey;
  for (const [name, role] of [['solver', 'solver'], ['validator-1', 'validator'], ['validator-2', 'validator']] as const) {
    const passphrase = async () => (await readFile(join(data, 'authority', 'passphrase'), 'utf8')).trim();
    const node = await FullNode.open({ dir: join(data, 'nodes', name), role, crypto: c, passphrase });
    try {
      assert.equal(node.ledger.authority.policy.checkpointQuorum, 2, `${name} has the policy`);
      assert.equal(node.ledger.authority.whyNotAuthorized(validatorPub, Role.VALIDATOR, 1, Math.floor(Date.now() / 1000)), null, `${name} knows the certificates`);
    } finally {
      await node.close();
    }
  }

  // A second start reuses the data: same root key.
  const again = await startCli(['--data', data, '--port', '0', '--dist', dist]);
  const cfg2 = await (await fetch(`${again.url}config.json`)).json();
  assert.equal(cfg2.rootKey, cfg.rootKey);
  again.child.kill('SIGTERM');
  assert.equal(await again.exit, 0);
});

test('a busy --port is a clear error; without --port the next free one is taken and said', async () => {
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  const port = (blocker.address() as { port: number }).port;
  try {
    const data = await tempDir('busy');
    const dist = await tinyDist();
    const child = spawn(process.execPath, [BIN, 'start', '--data', data, '--port', String(port), '--dist', dist], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (b) => (err += b));
    const code = await new Promise((r) => child.once('exit', r));
    assert.equal(code, 2);
    assert.match(err, new RegExp(`port ${port} is already in use.*--port`));

    const stack = await startStack({ dataDir: data, port, strictPort: false, distDir: dist, nodes: false, log: () => {} });
    try {
      assert.notEqual(stack.port, port);
      assert.match(stack.portNote!, new RegExp(`port ${port} is in use; using ${stack.port}`));
    } finally {
      await stack.stop();
    }
  } finally {
    blocker.close();
  }
});

test('--lan serves the app and signaling over HTTPS with a certificate kept in the data folder', async () => {
  const data = await tempDir('lan');
  const dist = await tinyDist();
  // --host 127.0.0.1 keeps the test off the network; the certificate and the wss signaling are what is tested.
  const run = await startCli(['--data', data, '--port', '0', '--dist', dist, '--lan', '--host', '127.0.0.1']);
  try {
    assert.match(run.url, /^https:\/\/127\.0\.0\.1:\d+\/$/);
    assert.match(run.out(), /not private/);
    const cfg = (await insecureJson(`${run.url}config.json`)) as { signalUrl: string; rootKey: string };
    assert.equal(cfg.signalUrl, `${run.url.replace('https', 'wss')}signal`);
    assert.match(cfg.rootKey, /^[0-9a-f]{64}$/);
    const health = (await insecureJson(`${run.url}signal/health`)) as { ok: boolean };
    assert.equal(health.ok, true);
    // The full nodes trust the stack's certificate and reach signaling over wss.
    await until(async () => ((await insecureJson(`${run.url}signal/health`)) as { connections: number }).connections >= 4, 'the nodes connect over wss');
    assert.equal((await stat(join(data, 'tls', 'key.pem'))).mode & 0o777, 0o600);
    await assert.rejects(fetch(`${run.url}config.json`), 'an ordinary client does not trust the self-signed certificate');
  } finally {
    run.child.kill('SIGINT');
    assert.equal(await run.exit, 0);
  }
});

test('the stack as a library: validators checkpoint, a diagnosis published by a test reaches the solver child, whose notification comes back', async () => {
  const data = await tempDir('mesh');
  const dist = await tinyDist();
  const lines: string[] = [];
  // Yesterday's epoch key too: on a Thursday before 01:30 UTC the stay below is on Wednesday.
  await authorityMadeYesterday(data);
  const stack = await startStack({ dataDir: data, port: 0, distDir: dist, ticks: { solver: 1, validator: 1 }, log: (l) => lines.push(l) });
  try {
    const ledger = stack.authority.ledger;
    /** Has the authority's ledger a block of `kind` signed by `key` (that is, it came over the mesh)? */
    const hasSigned = async (kind: number, key: Uint8Array) => {
      for (const e of ledger.entries(Chain.NOTIFICATION)) {
        if (e.kind !== kind) continue;
        const bytes = await ledger.get(e.id);
        const signer = bytes && decodeBlock(bytes).signer;
        if (signer && equal(signer, key)) return true;
      }
      return false;
    };
    for (const v of stack.authority.keys.validators) await until(() => hasSigned(Kind.CHECKPOINT, v.publicKey), `a checkpoint of validator ${toHex(v.publicKey).slice(0, 8)}: ${lines.join('\n')}`);

    // Two devices spend 30 minutes within a few metres; A is diagnosed by the local clinic.
    const nowSec = Math.floor(Date.now() / 1000);
    // 90 minutes ago, but within one UTC day: a stay never crosses midnight (between 01:00 and
    // 01:30 UTC the 30 minutes from 90 minutes ago would).
    const ago = Math.floor(nowSec / 60) - 90;
    const startMin = Math.min(ago, (Math.floor(ago / 1440) + 1) * 1440 - 30);
    const day: Day = Math.floor(startMin / 1440);
    const policy = ledger.authority.policy;
    const epoch = epochOf(policy, day);
    const epochPub = ledger.authority.epochKey(epoch)!;
    assert.ok(epochPub, 'the epoch key is on the chain');
    const a = new UserKeys(c, c.randomBytes(32));
    const b = new UserKeys(c, c.randomBytes(32));
    for (const [keys, dLat] of [[a, 0], [b, 20]] as const) {
      await stack.publish(traceBatchBlock(c, keys, {
        region: 1, timeSec: nowSec - 60, parents: [], day, part: 0, epoch, epochPub, powBits: policy.pow.traceBits, // uploaded before the diagnosis
        stays: [{ start: startMin, minutes: 30, latE7: 558_721_000 + dLat, lonE7: -42_882_000, radius: 5, source: Source.GNSS, precision: Precision.EXACT }],
      }));
    }
    const diagnostician = await readKeyFile(join(data, 'authority', 'keys', 'diagnostician.key'), c);
    const today = Math.floor(nowSec / 86_400);
    const days: Day[] = [];
    for (let d = Math.max(day - 1, today - policy.retentionDays + 1); d <= today; d++) days.push(d);
    const challenge = c.randomBytes(32);
    const todayEpoch = epochOf(policy, today);
    await stack.publish(diagnosisBlock(c, diagnostician, {
      region: 1, timeSec: nowSec, parents: ledger.tips(Chain.TRACING), epoch: todayEpoch, epochPub: ledger.authority.epochKey(todayEpoch)!,
      onset: day, lookback: 1, challenge, endorsed: proveDays(a, days, diagnostician.publicKey, challenge),
    }));
    await until(() => hasSigned(Kind.NOTIFICATION, stack.authority.keys.solver.publicKey), `the solver's notification: ${lines.join('\n')}`);
    const n = ledger.entries(Chain.NOTIFICATION).find((e) => e.kind === Kind.NOTIFICATION)!;
    assert.equal(decodeBlock((await ledger.get(n.id))!).chain, Chain.NOTIFICATION);
  } finally {
    await stack.stop();
  }
  for (const kid of stack.nodes) assert.equal(alive(kid.pid!), false);
});

/**
 * A real `beeptrace node --role solver --admin 127.0.0.1:0` process (its key in an encrypted key
 * file, its epoch keys from the CA's hand-over file): the CA publishes through POST /blocks
 * (`sendPending`, what `beeptrace ca publish` does), GET /metrics reports it in Prometheus text,
 * malformed, altered, empty and oversized blocks get 4xx with the typed error and the node keeps
 * running; GET /health and /ready say whether it runs and whether it can do its job (and why not);
 * every log line starts with its UTC time; --admin refuses a non-loopback address, and a port
 * already taken stops the node (exit 2).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeCrypto as c } from '../../src/node/node-crypto.ts';
import { MAX_BLOCK_BYTES } from '../../src/core/codec/block.ts';
import { CertificateAuthority } from '../../src/node/ca/authority.ts';
import { sendPending } from '../../src/node/ca/outbox.ts';
import { writeRoleKey } from '../../src/node/ca/secrets.ts';
import { BIN } from '../../src/node/start/children.ts';
import { startSignalingServer } from '../../signaling/server.ts';
import { createServer } from 'node:net';

process.env.BEEPTRACE_SCRYPT_LOGN = '10';
const tmp = await mkdtemp(join(tmpdir(), 'node-admin-'));
after(() => rm(tmp, { recursive: true, force: true }));

test('a solver node\'s admin endpoint: POST /blocks publishes, GET /metrics reports, bad input is a 4xx and no crash', async () => {
  const ca = await CertificateAuthority.init({ dir: join(tmp, 'ca'), region: 5, signalUrl: 'ws://127.0.0.1:1', passphrase: 'ca', crypto: c });
  const nodeDir = join(tmp, 'solver');
  const secretKey = c.randomBytes(32);
  const publicKey = c.ed25519PublicKey(secretKey);
  await writeRoleKey(c, join(nodeDir, 'solver.key'), { role: 'solver', name: 'Solver A', secretKey }, 'solver pass');
  await ca.certify({ role: 'solver', subject: publicKey, region: 5, days: 10, name: 'Solver A' });
  const { handover } = await ca.epoch();
  assert.equal(handover.length, 1);
  await copyFile(handover[0], join(nodeDir, 'epochs.json'));
  await writeFile(join(nodeDir, 'node.json'), JSON.stringify({ region: 5, rootKey: ca.state.rootKey, roleKeyFile: 'solver.key', epochKeysFile: 'epochs.json' }));

  const signal = await startSignalingServer({ port: 0, host: '127.0.0.1' });
  const child = spawn(process.execPath, [BIN, 'node', '--role', 'solver', '--data', nodeDir, '--signal', signal.url, '--admin', '127.0.0.1:0', '--tick', '1', '--status', '0'], {
    env: { ...process.env, BEEPTRACE_PASSPHRASE: 'solver pass' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters: { re: RegExp; ok: (m: RegExpMatchArray) => void }[] = [];
  createInterface({ input: child.stderr! }).on('line', (l) => {
    lines.push(l);
    for (const w of [...waiters]) {
      const m = l.match(w.re);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.ok(m);
      }
    }
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const waitFor = (re: RegExp) => new Promise<RegExpMatchArray>((ok, fail) => {
    const m = lines.map((l) => l.match(re)).find(Boolean);
    if (m) return ok(m);
    waiters.push({ re, ok });
    void exited.then((code) => fail(new Error(`node exited (${code}) before ${re}:\n${lines.join('\n')}`)));
  });
  try {
    const url = (await waitFor(/admin: (http:\/\/127\.0\.0\.1:\d+)/))[1];
    await waitFor(/may not publish: no certificate/); // before the CA's statements reach it, it does nothing
    await waitFor(/signaling server .* connected$/);
    const health = await fetch(`${url}/health`);
    assert.equal(health.status, 200);
    assert.deepEqual({ ...((await health.json()) as object), uptimeSeconds: 0 }, { ok: true, role: 'solver', region: 5, uptimeSeconds: 0 });
    const notReady = await fetch(`${url}/ready`);
    assert.equal(notReady.status, 503);
    const nr = (await notReady.json()) as { ready: boolean; reasons: string[] };
    assert.equal(nr.ready, false);
    assert.ok(nr.reasons.some((r) => /no certificate of the CA held yet/.test(r)), nr.reasons.join('; '));
    assert.ok(nr.reasons.some((r) => /may not act as solver: no certificate for this key/.test(r)), nr.reasons.join('; '));

    const outbox = await readdir(join(tmp, 'ca', 'outbox'));
    const altered = new Uint8Array(await readFile(join(tmp, 'ca', 'outbox', outbox.find((n) => n.includes('certificate'))!)));
    altered[altered.length - 1] ^= 1; // the signature's last byte
    const sent = await sendPending(join(tmp, 'ca'), url);
    assert.deepEqual(sent.map((s) => s.status), ['added', 'added', 'added', 'added'], 'policy, certificate, two epoch keys');
    assert.equal((await readdir(join(tmp, 'ca', 'outbox'))).length, 0);
    assert.equal((await sendPending(join(tmp, 'ca'), url)).length, 0, 'nothing twice');
    const ready = await fetch(`${url}/ready`);
    assert.deepEqual(await ready.json(), { ready: true, role: 'solver', reasons: [] });
    assert.equal(ready.status, 200);
    const m = await (await fetch(`${url}/metrics`)).text();
    assert.match(m, new RegExp(`^beeptrace_certificate_expiry_seconds ${ca.state.certificates[0].notAfter}$`, 'm'));
    assert.match(m, /^beeptrace_certified 1$/m);
    assert.match(m, /^beeptrace_solver_epochs_held 2$/m);
    assert.match(m, /^beeptrace_blocks_not_counting\{chain="notification"\} 0$/m);
    assert.match(m, /^beeptrace_pruned_blocks_total 0$/m);
    await waitFor(/solver: 0 batches, 0 stays .* epochs held \d+, \d+/); // certified now: it solves

    const metrics = await fetch(`${url}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(metrics.headers.get('content-type')!, /^text\/plain; version=0\.0\.4/);
    const text = await metrics.text();
    assert.match(text, /^# TYPE beeptrace_blocks gauge$/m);
    assert.match(text, /^beeptrace_blocks\{chain="notification"\} 4$/m);
    assert.match(text, /^beeptrace_blocks\{chain="tracing"\} 0$/m);
    assert.match(text, /^beeptrace_blocks_ingested_total\{chain="notification"\} 4$/m);
    assert.match(text, /^beeptrace_peers 0$/m);
    assert.match(text, /^beeptrace_node_info\{role="solver",region="5"\} 1$/m);
    assert.match(text, /^beeptrace_solver_runs_total [1-9]\d*$/m);
    assert.match(text, /^beeptrace_checkpoint_final_to_seconds\{chain="tracing"\} 0$/m);
    for (const l of text.trim().split('\n')) assert.match(l, /^(# (HELP|TYPE) \w+ .+|\w+(\{[^}]*\})? -?[\d.]+)$/, `Prometheus text line: ${l}`);

    const post = (body: Uint8Array) => fetch(`${url}/blocks`, { method: 'POST', body: Buffer.from(body) });
    const garbage = await post(new TextEncoder().encode('not a block'));
    assert.equal(garbage.status, 400);
    const gj = (await garbage.json()) as { error: string; message: string };
    assert.equal(typeof gj.error, 'string');
    assert.ok(gj.message.length > 0);
    const bad = await post(altered);
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { error: string }).error, 'bad_signature');
    assert.equal((await post(new Uint8Array(0))).status, 400);
    assert.equal((await post(new Uint8Array(MAX_BLOCK_BYTES + 1))).status, 413);
    assert.equal((await fetch(`${url}/blocks`)).status, 405);
    assert.equal((await fetch(`${url}/nothing`)).status, 404);
    const again = await fetch(`${url}/metrics`);
    assert.equal(again.status, 200, 'still running after bad input');
    assert.match(await again.text(), /^beeptrace_blocks\{chain="notification"\} 4$/m, 'nothing bad was stored');
    assert.equal(child.exitCode, null);
    for (const l of lines) assert.match(l, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \S/, 'every log line starts with its UTC time');
  } finally {
    child.kill('SIGTERM');
    await exited;
    await signal.close();
  }
});

test('--admin takes loopback addresses only; a wrong passphrase for the key file stops the node with exit 2', async () => {
  const run = (args: string[], env: Record<string, string> = {}) => new Promise<{ code: number | null; err: string }>((resolve) => {
    const p = spawn(process.execPath, [BIN, 'node', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr!.on('data', (d) => (err += d));
    p.once('exit', (code) => resolve({ code, err }));
  });
  const dir = join(tmp, 'solver');
  const open = await run(['--role', 'solver', '--data', dir, '--signal', 'ws://127.0.0.1:1', '--admin', '0.0.0.0:9464']);
  assert.equal(open.code, 2);
  assert.match(open.err, /--admin must be a loopback/);
  const taken = createServer();
  await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
  const port = (taken.address() as { port: number }).port;
  const busy = await run(['--role', 'solver', '--data', dir, '--signal', 'ws://127.0.0.1:1', '--admin', `127.0.0.1:${port}`], { BEEPTRACE_PASSPHRASE: 'solver pass' });
  taken.close();
  assert.equal(busy.code, 2, busy.err);
  assert.match(busy.err, new RegExp(`--admin: cannot listen on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE.*another node uses this port`));
  assert.doesNotMatch(busy.err, /beeptrace node: solver/, 'it never joined the mesh');
  const wrong = await run(['--role', 'solver', '--data', dir, '--signal', 'ws://127.0.0.1:1'], { BEEPTRACE_PASSPHRASE: 'nope' });
  assert.equal(wrong.code, 2);
  assert.match(wrong.err, /solver\.key: the passphrase does not open/);
});

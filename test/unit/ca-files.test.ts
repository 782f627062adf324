/**
 * The CA's files and secrets (issue 18): every secret-bearing file is written atomically (a writer
 * killed at any moment leaves the old file or the new one, whole); `ca keygen` seals a new key
 * file with that file's own passphrase, never the root's; the CA process keeps no copy of an epoch
 * secret in the crypto provider's cache after it used it (crypto-shredding holds in `npm start`'s
 * long-lived authority).
 */
import { runCli } from './cli-fixture.ts';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Prng } from '../../src/core/prng.ts';
import { loadState, saveState, type CaState } from '../../src/node/ca/state.ts';
import { writePrivate } from '../../src/node/ca/secrets.ts';
import { DEFAULT_POLICY } from '../../src/core/policy.ts';

let tmp: string;
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'ca-files-'));
});
after(() => rm(tmp, { recursive: true, force: true }));

const ROOT = resolve(import.meta.dirname, '../..');

/** A CA record of a few megabytes (so one write takes a while), marked by `created`. */
function bigState(created: number): CaState {
  return {
    format: 'beeptrace-ca/1', region: 1, signalUrl: 'ws://127.0.0.1:8787', rootKey: '00'.repeat(32), created, policy: DEFAULT_POLICY, policyTime: 0,
    certificates: Array.from({ length: 20_000 }, (_, i) => ({
      serial: i.toString(16).padStart(32, '0'), role: 'solver' as const, region: 1, subject: `${created}`.repeat(64).slice(0, 64), name: `Solver ${i}`, notBefore: i, notAfter: i + 1, block: 'ab'.repeat(32),
    })),
    revocations: [], epochs: { 2930: { publicKey: '11'.repeat(32), sealedToRoot: '22'.repeat(80), created, block: '33'.repeat(32) } }, shredded: [],
  };
}

/**
 * A child process that rewrites DIR/ca.json (saveState) in a loop, alternating two records, and
 * says "ready" once the first is on disk. Killed with SIGKILL after `delayMs`.
 */
function writeUntilKilled(dir: string, delayMs: number): Promise<void> {
  const code = `
    import { saveState } from ${JSON.stringify(join(ROOT, 'src/node/ca/state.ts'))};
    import { DEFAULT_POLICY } from ${JSON.stringify(join(ROOT, 'src/core/policy.ts'))};
    const big = ${bigState.toString()};
    const states = [big(1), big(2)];
    await saveState(${JSON.stringify(dir)}, states[0]);
    process.stdout.write('ready\\n');
    for (let i = 1; ; i++) await saveState(${JSON.stringify(dir)}, states[i % 2]);
  `;
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.once('data', () => setTimeout(() => child.kill('SIGKILL'), delayMs));
    child.on('exit', (_code, signal) => (signal === 'SIGKILL' ? done() : fail(new Error(`the writer exited by itself (${_code})`))));
  });
}

test('issue 18 finding 7: ca.json (and every secret file, through writePrivate) is replaced atomically; a writer killed mid-way leaves the old or the new file, whole', { timeout: 180_000 }, async () => {
  const rnd = new Prng(18);
  for (let round = 0; round < 8; round++) {
    const dir = join(tmp, `kill-${round}`);
    await writeUntilKilled(dir, 20 + rnd.int(400));
    const st = await loadState(dir); // throws bad_config on a cut-off file
    assert.ok(st.created === 1 || st.created === 2, `round ${round}: one of the two records, whole`);
    assert.equal(st.certificates.length, 20_000, `round ${round}: every certificate is there`);
    assert.equal((await stat(join(dir, 'ca.json'))).mode & 0o777, 0o600);
    // The next write removes what the killed writer left half-done (a temporary file, 0600).
    await saveState(dir, bigState(3));
    assert.deepEqual((await readdir(dir)).sort(), ['ca.json'], `round ${round}: no temporary file left`);
    assert.equal((await loadState(dir)).created, 3);
  }
});

test('writePrivate: 0600 in a 0700 folder, replaces the old content, leaves another running writer\'s temporary file alone', async () => {
  const dir = join(tmp, 'private', 'deeper');
  const f = join(dir, 'secret.json');
  await writePrivate(f, 'one');
  await writePrivate(f, new TextEncoder().encode('two'));
  assert.equal(await readFile(f, 'utf8'), 'two');
  assert.equal((await stat(f)).mode & 0o777, 0o600);
  assert.equal((await stat(dir)).mode & 0o777, 0o700);
  // A temporary file of a process still running (this one's parent) is not touched.
  const { writeFile } = await import('node:fs/promises');
  const other = join(dir, `.secret.json.${process.ppid}.abcdef.tmp`);
  await writeFile(other, 'half');
  await writePrivate(f, 'three');
  assert.deepEqual((await readdir(dir)).sort(), [`.secret.json.${process.ppid}.abcdef.tmp`, 'secret.json']);
});

const run = runCli;

/** Set environment variables for `f` and put them back after. */
async function withEnv<T>(vars: Record<string, string | undefined>, f: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const set = (o: Record<string, string | undefined>) => { for (const [k, v] of Object.entries(o)) { if (v === undefined) delete process.env[k]; else process.env[k] = v; } };
  set(vars);
  try {
    return await f();
  } finally {
    set(saved);
  }
}

test('issue 18 finding 4: `ca keygen` never seals an operator\'s key with the root\'s passphrase: it needs BEEPTRACE_NEW_PASSPHRASE (or a terminal) and refuses otherwise', async () => {
  const { openKeyFile } = await import('../../src/core/keyfile.ts');
  const { nodeCrypto } = await import('../../src/node/node-crypto.ts');
  const file = join(tmp, 'clinic.key');
  await withEnv({ BEEPTRACE_SCRYPT_LOGN: '10', BEEPTRACE_PASSPHRASE: 'root pass', BEEPTRACE_NEW_PASSPHRASE: undefined }, async () => {
    // The CA's shell holds the root's passphrase; no passphrase of the new file's own: refused, nothing written.
    const r = await run('ca', 'keygen', '--role', 'diagnostician', '--name', 'Clinic 1', '--out', file, '--json');
    assert.equal(r.code, 2);
    assert.match(r.err, /BEEPTRACE_NEW_PASSPHRASE/);
    assert.equal(JSON.parse(r.out.trim()).error, 'no_passphrase');
    await assert.rejects(stat(file), /ENOENT/, 'no key file');
    assert.deepEqual((await readdir(tmp)).filter((n) => n.includes('clinic')), [], 'no temporary file either');
  });
  await withEnv({ BEEPTRACE_SCRYPT_LOGN: '10', BEEPTRACE_PASSPHRASE: 'root pass', BEEPTRACE_NEW_PASSPHRASE: 'clinic pass' }, async () => {
    const r = await run('ca', 'keygen', '--role', 'diagnostician', '--name', 'Clinic 1', '--out', file, '--json');
    assert.equal(r.code, 0, r.err);
    const text = await readFile(file, 'utf8');
    assert.equal((await openKeyFile(nodeCrypto, text, 'clinic pass')).name, 'Clinic 1');
    await assert.rejects(openKeyFile(nodeCrypto, text, 'root pass'), /passphrase/, 'the root\'s passphrase does not open it');
    // An existing key file is never replaced, even by a writer that checks late.
    const again = await run('ca', 'keygen', '--role', 'diagnostician', '--name', 'Clinic 2', '--out', file);
    assert.equal(again.code, 2);
    assert.match(again.err, /exists already/);
    assert.equal(await readFile(file, 'utf8'), text);
  });
});

test('issue 18 finding 5: the CA process keeps no epoch secret in the crypto provider\'s cache — not after making and handing over epoch keys, not after shredding them', async () => {
  const { nodeCrypto } = await import('../../src/node/node-crypto.ts');
  const { nobleCrypto } = await import('../../src/core/crypto.ts');
  const { openEpochKey } = await import('../../src/core/epoch-handover.ts');
  const { fromHex } = await import('../../src/core/bytes.ts');
  const { CertificateAuthority } = await import('../../src/node/ca/authority.ts');
  let t = Date.UTC(2026, 2, 5, 12);
  const ca = await CertificateAuthority.init({ dir: join(tmp, 'ca-cache'), region: 1, signalUrl: 'ws://127.0.0.1:8787', passphrase: 'p', crypto: nodeCrypto, now: () => t, scrypt: { N: 1024, r: 8, p: 1 } });
  await ca.certify({ role: 'solver', subject: nodeCrypto.ed25519PublicKey(nodeCrypto.randomBytes(32)), region: 1, days: 400, name: 'Solver 1' });
  const { made } = await ca.epoch();
  assert.equal(made.length, 2);
  // The secrets as the CA keeps them (sealed to its root), opened here with the other provider so
  // that this test adds nothing to the Node provider's cache.
  const secrets = new Map(made.map((e) => {
    const v = ca.state.epochs[e];
    return [e, openEpochKey(nobleCrypto, ca.root.secretKey, e, fromHex(v.publicKey), fromHex(v.sealedToRoot)).secretKey] as const;
  }));
  await ca.handover();
  // forgetSecret answers whether a cached copy existed (and drops it): none may be left.
  for (const [e, sk] of secrets) assert.equal(nodeCrypto.forgetSecret!(sk.slice()), false, `epoch ${e}: no cached copy after epoch and handover`);
  // Past retention, shred destroys them: still no cached copy, and the hand-over file has none.
  await ca.handover();
  t += (ca.state.policy.retentionDays + 3 * ca.state.policy.epochDays) * 86_400_000;
  const { shredded } = await ca.shred();
  assert.deepEqual(shredded.sort(), [...made].sort());
  for (const [e, sk] of secrets) assert.equal(nodeCrypto.forgetSecret!(sk.slice()), false, `epoch ${e}: no cached copy after shred`);
});

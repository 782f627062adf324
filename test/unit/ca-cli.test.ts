/**
 * `beeptrace ca …` (src/node/ca/): every command through the CLI's main with argv — --help and
 * --json of each, the files it writes and their modes, the statements it signs (decoded), wrong
 * passphrase, missing passphrase, unknown role, a policy that does not validate (exit 2 naming
 * the field), an unreachable node (exit 1, the outbox kept). scrypt runs at 2^10 here through
 * BEEPTRACE_SCRYPT_LOGN (the default stays 2^17).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './cli-fixture.ts';
import { nodeCrypto as c } from '../../src/node/node-crypto.ts';
import { toHex } from '../../src/core/bytes.ts';
import { decodeBlock, Kind } from '../../src/core/codec/block.ts';
import { decodeCertificate, decodeEpochKey, decodePolicyStatement, decodeRevocation, Role } from '../../src/core/codec/records.ts';
import { openKeyFile, parseKeyFile } from '../../src/core/keyfile.ts';
import { parseConfig } from '../../src/app/page/config.ts';
import { readHandover } from '../../src/node/ca/handover.ts';
import { CA_HELP } from '../../src/node/ca/help.ts';

let tmp: string;
const env = process.env;
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'ca-cli-'));
  env.BEEPTRACE_SCRYPT_LOGN = '10';
  env.BEEPTRACE_PASSPHRASE = 'root pass';
  delete env.BEEPTRACE_NEW_PASSPHRASE;
});
after(() => rm(tmp, { recursive: true, force: true }));

/** Run the CLI in this process; stdout and stderr captured; `json()` parses the last line. */
async function run(...argv: string[]): Promise<{ code: number; out: string; err: string; json: () => Record<string, unknown> }> {
  const r = await runCli(...argv);
  return { ...r, json: () => JSON.parse(r.out.trim().split('\n').pop()!) as Record<string, unknown> };
}

async function outbox(dir: string): Promise<{ name: string; kind: number; body: Uint8Array; signer?: Uint8Array }[]> {
  const names = (await readdir(join(dir, 'outbox'))).sort();
  return Promise.all(names.map(async (name) => {
    const b = decodeBlock(new Uint8Array(await readFile(join(dir, 'outbox', name))));
    return { name, kind: b.kind, body: b.body, signer: b.signer };
  }));
}
const mode = async (f: string) => (await stat(f)).mode & 0o777;

test('ca --help and every command\'s --help exit 0 and describe it', async () => {
  const top = await run('ca', '--help');
  assert.equal(top.code, 0);
  for (const cmd of ['init', 'keygen', 'certify', 'revoke', 'epoch', 'shred', 'policy', 'republish', 'publish', 'status', 'config', 'backup', 'restore']) {
    assert.match(top.out, new RegExp(`\\b${cmd}\\b`), `overview names ${cmd}`);
    const r = await run('ca', cmd, '--help');
    assert.equal(r.code, 0, cmd);
    assert.equal(r.out, CA_HELP[cmd]);
    assert.match(r.out, new RegExp(`^beeptrace ca ${cmd} `));
  }
  assert.match((await run('--help')).out, /beeptrace ca COMMAND/);
  const bad = await run('ca', 'frobnicate');
  assert.equal(bad.code, 2);
  assert.match(bad.err, /unknown ca command "frobnicate"/);
  assert.equal((await run('ca', 'status', '--data', tmp, '--role', 'solver')).code, 2, 'a flag the command does not take');
});

test('the whole life of an authority: init, keygen, certify (all four roles), revoke, epoch, shred, policy, status', async () => {
  const dir = join(tmp, 'ca');
  const init = await run('ca', 'init', '--data', dir, '--region', '7', '--signal', 'wss://example.org/signal', '--json');
  assert.equal(init.code, 0, init.err);
  const ij = init.json();
  assert.equal(ij.region, 7);
  assert.equal(await mode(dir), 0o700);
  for (const f of ['root.key', 'ca.json', 'config.json']) assert.equal(await mode(join(dir, f)), 0o600, f);
  const rootText = await readFile(join(dir, 'root.key'), 'utf8');
  assert.equal(parseKeyFile(rootText).role, 'root');
  assert.equal(parseKeyFile(rootText).publicKey, ij.rootKey);
  assert.equal((await openKeyFile(c, rootText, 'root pass')).role, 'root');
  const cfg = parseConfig(JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')));
  assert.deepEqual(cfg, { region: 7, signalUrl: 'wss://example.org/signal', rootKey: ij.rootKey, iceServers: [] });
  let ob = await outbox(dir);
  assert.equal(ob.length, 1);
  assert.equal(ob[0].kind, Kind.POLICY);
  assert.equal(toHex(ob[0].signer!), ij.rootKey);
  assert.equal(JSON.parse(decodePolicyStatement(ob[0].body)).version, 1);
  assert.equal((await run('ca', 'init', '--data', dir)).code, 2, 'a folder that holds an authority is not overwritten');

  // keygen: one key file per operator, its own passphrase
  env.BEEPTRACE_NEW_PASSPHRASE = 'solver pass';
  const kg = await run('ca', 'keygen', '--role', 'solver', '--name', 'Solver One', '--out', join(tmp, 'solver.key'), '--json');
  assert.equal(kg.code, 0, kg.err);
  const solverText = await readFile(join(tmp, 'solver.key'), 'utf8');
  assert.equal(await mode(join(tmp, 'solver.key')), 0o600);
  const solver = await openKeyFile(c, solverText, 'solver pass');
  assert.equal(toHex(solver.publicKey), kg.json().publicKey);
  assert.equal(solver.name, 'Solver One');
  await assert.rejects(openKeyFile(c, solverText, 'root pass'), /passphrase/);
  assert.equal((await run('ca', 'keygen', '--role', 'solver', '--name', 'x', '--out', join(tmp, 'solver.key'))).code, 2, 'an existing file is not overwritten');
  const kd = await run('ca', 'keygen', '--role', 'diagnostician', '--name', 'Clinic 4', '--out', join(tmp, 'clinic.key'), '--json');
  assert.equal(kd.code, 0);
  delete env.BEEPTRACE_NEW_PASSPHRASE;

  // epoch before any solver: keys made, nobody to hand them to
  const ep = await run('ca', 'epoch', '--data', dir, '--json');
  assert.equal(ep.code, 0, ep.err);
  const made = ep.json().made as number[];
  assert.equal(made.length, 2, 'this epoch and the next');
  assert.deepEqual(ep.json().handover, []);

  // certify: a key file (name from it) and bare public keys
  const cs = await run('ca', 'certify', '--data', dir, '--role', 'solver', '--key', join(tmp, 'solver.key'), '--days', '30', '--json');
  assert.equal(cs.code, 0, cs.err);
  const cert = (cs.json().certificate as Record<string, unknown>);
  assert.equal(cert.name, 'Solver One');
  const handoverFile = cert.handover as string;
  assert.ok(handoverFile, 'a new solver gets the live epoch keys at once');
  const handed = await readHandover(c, handoverFile, solver);
  assert.deepEqual([...handed.keys()].sort(), made.sort());
  const text = await readFile(handoverFile, 'utf8');
  for (const kp of handed.values()) assert.ok(!text.includes(toHex(kp.secretKey)), 'no epoch secret in plain hex');
  await assert.rejects(readHandover(c, handoverFile, { secretKey: c.randomBytes(32), publicKey: solver.publicKey }), /does not open/);

  const venueKey = toHex(c.ed25519PublicKey(c.randomBytes(32)));
  const validatorKey = toHex(c.ed25519PublicKey(c.randomBytes(32)));
  assert.equal((await run('ca', 'certify', '--data', dir, '--role', 'diagnostician', '--key', join(tmp, 'clinic.key'), '--days', '365', '--region', '65535')).code, 0);
  assert.equal((await run('ca', 'certify', '--data', dir, '--role', 'validator', '--key', validatorKey, '--name', 'Validator 1', '--days', '90')).code, 0);
  assert.equal((await run('ca', 'certify', '--data', dir, '--role', 'venue', '--key', venueKey, '--name', 'Café Lund', '--days', '30')).code, 0);
  const noName = await run('ca', 'certify', '--data', dir, '--role', 'venue', '--key', venueKey, '--days', '30');
  assert.equal(noName.code, 2);
  assert.match(noName.err, /--name/);
  const certs = (await outbox(dir)).filter((b) => b.kind === Kind.CERTIFICATE).map((b) => decodeCertificate(b.body));
  assert.deepEqual(certs.map((x) => x.role), [Role.SOLVER, Role.DIAGNOSTICIAN, Role.VALIDATOR, Role.VENUE]);
  assert.equal(certs[0].region, 7);
  assert.equal(certs[1].region, 0xffff);
  assert.equal(certs[1].name, 'Clinic 4');
  assert.equal(toHex(certs[3].subject), venueKey);
  assert.equal(certs[0].notAfter - certs[0].notBefore, 30 * 86_400 + 3600);

  // revoke
  const rv = await run('ca', 'revoke', '--data', dir, '--key', validatorKey, '--reason', '3', '--json');
  assert.equal(rv.code, 0, rv.err);
  const rev = (await outbox(dir)).filter((b) => b.kind === Kind.REVOCATION).map((b) => decodeRevocation(b.body));
  assert.equal(rev.length, 1);
  assert.equal(toHex(rev[0].subject), validatorKey);
  assert.equal(rev[0].reason, 3);

  // policy
  const good = join(tmp, 'policy.json');
  await writeFile(good, JSON.stringify({ rules: [{ level: 'high', withinMetres: 5, minMinutes: 10 }], retentionDays: 21 }));
  const pol = await run('ca', 'policy', '--data', dir, good, '--json');
  assert.equal(pol.code, 0, pol.err);
  ob = await outbox(dir);
  const policies = ob.filter((b) => b.kind === Kind.POLICY);
  assert.equal(policies.length, 2);
  assert.equal(JSON.parse(decodePolicyStatement(policies[1].body)).retentionDays, 21);
  assert.ok(decodeBlock(new Uint8Array(await readFile(join(dir, 'outbox', policies[1].name)))).time > decodeBlock(new Uint8Array(await readFile(join(dir, 'outbox', policies[0].name)))).time - 1);

  // shred one epoch: gone from the CA and from the solver's hand-over
  const sh = await run('ca', 'shred', '--data', dir, '--epoch', String(made[0]), '--json');
  assert.equal(sh.code, 0, sh.err);
  assert.deepEqual(sh.json().shredded, [made[0]]);
  const after = await readHandover(c, handoverFile, solver);
  assert.deepEqual([...after.keys()], [made[1]]);
  assert.equal((await run('ca', 'epoch', '--data', dir, '--epoch', String(made[0]))).code, 2, 'a shredded epoch is not made again');
  const none = await run('ca', 'shred', '--data', dir, '--json');
  assert.equal(none.code, 0);
  assert.deepEqual(none.json().shredded, [], 'nothing else is past retention');

  // status
  const st = await run('ca', 'status', '--data', dir, '--json');
  assert.equal(st.code, 0);
  const sj = st.json() as { certificates: { role: string; state: string }[]; revocations: unknown[]; epochs: { epoch: number }[]; shredded: number[]; outbox: string[]; rootKey: string };
  assert.deepEqual(sj.certificates.map((x) => `${x.role}:${x.state}`), ['solver:live', 'diagnostician:live', 'validator:revoked', 'venue:live']);
  assert.equal(sj.revocations.length, 1);
  assert.deepEqual(sj.epochs.map((e) => e.epoch), [made[1]]);
  assert.deepEqual(sj.shredded, [made[0]]);
  assert.equal(sj.outbox.length, (await outbox(dir)).length);
  assert.equal(sj.rootKey, ij.rootKey);
  const human = await run('ca', 'status', '--data', dir);
  assert.match(human.out, /revoked\s+validator/);
  assert.match(human.out, /live\s+venue/);

  // revoking the solver removes its hand-over file
  assert.equal((await run('ca', 'revoke', '--data', dir, '--key', toHex(solver.publicKey))).code, 0);
  await assert.rejects(stat(handoverFile), /ENOENT/);
});

test('wrong, missing passphrase; unknown role; bad policy: exit 2 with a message naming it', async () => {
  const dir = join(tmp, 'ca2');
  assert.equal((await run('ca', 'init', '--data', dir)).code, 0);
  const before = (await readdir(join(dir, 'outbox'))).length;
  env.BEEPTRACE_PASSPHRASE = 'not it';
  const wrong = await run('ca', 'epoch', '--data', dir, '--json');
  env.BEEPTRACE_PASSPHRASE = 'root pass';
  assert.equal(wrong.code, 2);
  assert.match(wrong.err, /passphrase does not open/);
  assert.equal(wrong.json().error, 'wrong_passphrase', '--json: the error as JSON on stdout');

  delete env.BEEPTRACE_PASSPHRASE;
  const missing = await run('ca', 'certify', '--data', dir, '--role', 'solver', '--key', 'ab'.repeat(32), '--name', 'x', '--days', '1');
  env.BEEPTRACE_PASSPHRASE = 'root pass';
  assert.equal(missing.code, 2);
  assert.match(missing.err, /BEEPTRACE_PASSPHRASE/);

  const role = await run('ca', 'certify', '--data', dir, '--role', 'nurse', '--key', 'ab'.repeat(32), '--name', 'x', '--days', '1');
  assert.equal(role.code, 2);
  assert.match(role.err, /unknown role "nurse"/);
  const kr = await run('ca', 'keygen', '--role', 'admin', '--name', 'x', '--out', join(tmp, 'x.key'));
  assert.equal(kr.code, 2);
  assert.match(kr.err, /unknown role "admin"/);

  const bad = join(tmp, 'bad-policy.json');
  await writeFile(bad, JSON.stringify({ rules: [{ level: 'high', withinMetres: 5, minMinutes: 10 }], retentionDays: -3 }));
  const p1 = await run('ca', 'policy', '--data', dir, bad);
  assert.equal(p1.code, 2);
  assert.match(p1.err, /retentionDays/);
  await writeFile(bad, JSON.stringify({ rules: [{ level: 'severe', minMinutes: 10 }] }));
  const p2 = await run('ca', 'policy', '--data', dir, bad, '--json');
  assert.equal(p2.code, 2);
  assert.match(p2.err, /rules\[0\]\.level/);
  await writeFile(bad, JSON.stringify({ rules: [], advise: {} }));
  const p3 = await run('ca', 'policy', '--data', dir, bad);
  assert.equal(p3.code, 2);
  assert.match(p3.err, /advise/);
  assert.equal((await readdir(join(dir, 'outbox'))).length, before, 'nothing was signed');

  assert.equal((await run('ca', 'certify', '--data', dir, '--role', 'solver', '--key', 'ab'.repeat(32), '--name', 'x', '--days', '0')).code, 2, '--days 0');
  assert.equal((await run('ca', 'init', '--data', join(tmp, 'ca3'), '--region', '65535')).code, 2, 'region 65535 means "any"; not a CA region');
  assert.equal((await run('ca', 'status', '--data', join(tmp, 'nothing-here'))).code, 2);
});

test('publish to a node that is not there: exit 1, the statements stay in the outbox', async () => {
  const dir = join(tmp, 'ca4');
  assert.equal((await run('ca', 'init', '--data', dir)).code, 0);
  const r = await run('ca', 'publish', '--data', dir, '--node', 'http://127.0.0.1:1', '--json');
  assert.equal(r.code, 1);
  assert.match(r.err, /cannot reach the node/);
  assert.equal(r.json().error, 'node_unreachable');
  assert.equal((await readdir(join(dir, 'outbox'))).length, 1);
  assert.equal((await run('ca', 'publish', '--data', dir, '--node', 'ftp://x')).code, 2);
});

test('revoke --at: on a checkpoint boundary (default: the one at or before now); a time between boundaries exits 2 naming both', async () => {
  const dir = join(tmp, 'ca-at');
  assert.equal((await run('ca', 'init', '--data', dir)).code, 0);
  const key = toHex(c.ed25519PublicKey(c.randomBytes(32)));
  const before = Math.floor(Date.now() / 1000);
  const dflt = await run('ca', 'revoke', '--data', dir, '--key', key, '--json');
  assert.equal(dflt.code, 0, dflt.err);
  const at = (dflt.json().revocation as { revokedAt: number }).revokedAt;
  assert.equal(at % 600, 0, 'on a 10-minute boundary');
  assert.ok(at <= before + 1 && at > before - 600, 'the boundary at or before now');
  const human = await run('ca', 'revoke', '--data', dir, '--key', key, '--at', '2026-03-02T09:40:00Z');
  assert.equal(human.code, 0, human.err);
  assert.match(human.out, /from 2026-03-02T09:40:00Z \(a checkpoint boundary\)/);
  assert.match(human.out, /still store and pass on/, 'says that nothing is refused');
  assert.doesNotMatch(human.out + CA_HELP.revoke, /refused by every node/);
  const revs = (await outbox(dir)).filter((b) => b.kind === Kind.REVOCATION).map((b) => decodeRevocation(b.body).revokedAt);
  assert.deepEqual(revs, [at, Date.parse('2026-03-02T09:40:00Z') / 1000]);
  const off = await run('ca', 'revoke', '--data', dir, '--key', key, '--at', '2026-03-02T09:43:00Z');
  assert.equal(off.code, 2);
  assert.match(off.err, /not on a checkpoint boundary \(every 600 s\): use 2026-03-02T09:40:00Z \(before it\) or 2026-03-02T09:50:00Z/);
  assert.equal((await run('ca', 'revoke', '--data', dir, '--key', key, '--at', '2026-03-02T09:43:00Z', '--interval', '60')).code, 0, 'another interval, another boundary');
  assert.equal((await run('ca', 'revoke', '--data', dir, '--key', key, '--at', 'yesterday')).code, 2);
  assert.equal((await run('ca', 'revoke', '--data', dir, '--key', key, '--at', '2026-03-02T09:40:00')).code, 2, 'a time without its zone is refused');
});

test('republish signs every standing statement again; epoch does it when a third of the window has passed; status says when it is due', async () => {
  const dir = join(tmp, 'ca-re');
  assert.equal((await run('ca', 'init', '--data', dir)).code, 0);
  const sol = toHex(c.ed25519PublicKey(c.randomBytes(32)));
  const val = toHex(c.ed25519PublicKey(c.randomBytes(32)));
  assert.equal((await run('ca', 'certify', '--data', dir, '--role', 'solver', '--key', sol, '--name', 'S', '--days', '365')).code, 0);
  assert.equal((await run('ca', 'certify', '--data', dir, '--role', 'validator', '--key', val, '--name', 'V', '--days', '10')).code, 0);
  assert.equal((await run('ca', 'revoke', '--data', dir, '--key', val)).code, 0);
  const ep = await run('ca', 'epoch', '--data', dir, '--json');
  assert.equal(ep.json().republished, 0, 'not due right after init');
  const n0 = (await outbox(dir)).length;
  const re = await run('ca', 'republish', '--data', dir, '--json');
  assert.equal(re.code, 0, re.err);
  assert.equal(re.json().statements, 1 + 2 + 1 + 2, 'policy, two certificates (the revoked key\'s too), one revocation, two epoch keys');
  const added = (await outbox(dir)).slice(n0);
  assert.deepEqual(added.map((b) => b.kind), [Kind.POLICY, Kind.CERTIFICATE, Kind.CERTIFICATE, Kind.REVOCATION, Kind.EPOCH_KEY, Kind.EPOCH_KEY]);
  const first = (await outbox(dir)).filter((b) => b.kind === Kind.CERTIFICATE).map((b) => decodeCertificate(b.body));
  assert.deepEqual(first.slice(2), first.slice(0, 2), 'the same certificate bodies (serials, validity) in new blocks');
  const st = await run('ca', 'status', '--data', dir, '--json');
  const sj = st.json() as { republishedAt: number; republishDue: number };
  assert.ok(Math.abs(sj.republishDue - sj.republishedAt - (14 * 86_400_000) / 3) < 1000, 'due a third of the 14-day window later');
  // a third of the window later, ca epoch re-publishes on its own
  const state = JSON.parse(await readFile(join(dir, 'ca.json'), 'utf8'));
  state.republishedAt -= 5 * 86_400_000;
  await writeFile(join(dir, 'ca.json'), JSON.stringify(state));
  assert.match((await run('ca', 'status', '--data', dir)).out, /OVERDUE: beeptrace ca republish/);
  const ep2 = await run('ca', 'epoch', '--data', dir, '--json');
  assert.equal(ep2.json().republished, 6);
  assert.doesNotMatch((await run('ca', 'status', '--data', dir)).out, /OVERDUE/);
});

test('config changes the signaling URL and ICE servers after init (config.json rewritten); bad ones exit 2', async () => {
  const dir = join(tmp, 'ca-cfg');
  const init = await run('ca', 'init', '--data', dir, '--json');
  const ice = '[{"urls":"stun:stun.example.org:3478"},{"urls":["turn:turn.example.org:3478"],"username":"u","credential":"p"}]';
  const r = await run('ca', 'config', '--data', dir, '--signal', 'wss://bt.example.org/signal', '--ice-servers', ice, '--json');
  assert.equal(r.code, 0, r.err);
  const cfg = parseConfig(JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')));
  assert.deepEqual(cfg, { region: 1, signalUrl: 'wss://bt.example.org/signal', rootKey: init.json().rootKey, iceServers: JSON.parse(ice) });
  assert.equal(await mode(join(dir, 'config.json')), 0o600);
  const file = join(tmp, 'ice.json');
  await writeFile(file, '[]');
  assert.equal((await run('ca', 'config', '--data', dir, '--ice-servers', file)).code, 0);
  assert.deepEqual(JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')).iceServers, []);
  assert.equal(JSON.parse(await readFile(join(dir, 'ca.json'), 'utf8')).signalUrl, 'wss://bt.example.org/signal', 'kept in ca.json');
  for (const [flag, value, msg] of [['--ice-servers', '[{"urls":"http://x"}]', /stun:, stuns:, turn: or turns:/], ['--ice-servers', '[{"urls":"stun:x","password":"p"}]', /unknown key "password"/], ['--signal', 'http://x', /ws:\/\/ or wss:\/\//]] as const) {
    const bad = await run('ca', 'config', '--data', dir, flag, value);
    assert.equal(bad.code, 2, value);
    assert.match(bad.err, msg);
  }
  assert.equal((await run('ca', 'config', '--data', dir)).code, 2, 'nothing to change');
});

test('backup is a plain tar of the folder; restore checks the passphrase and gives a working authority, or leaves nothing', async () => {
  const dir = join(tmp, 'ca-bk');
  assert.equal((await run('ca', 'init', '--data', dir, '--region', '5')).code, 0);
  assert.equal((await run('ca', 'epoch', '--data', dir)).code, 0);
  const tar = join(tmp, 'ca-bk.tar');
  const b = await run('ca', 'backup', '--data', dir, '--out', tar, '--json');
  assert.equal(b.code, 0, b.err);
  assert.equal(await mode(tar), 0o600);
  const { execFileSync } = await import('node:child_process');
  const listed = execFileSync('tar', ['-tf', tar], { encoding: 'utf8' }).trim().split('\n');
  for (const f of ['beeptrace-ca/ca.json', 'beeptrace-ca/root.key', 'beeptrace-ca/config.json', 'beeptrace-ca/outbox/']) assert.ok(listed.includes(f), `tar -tf lists ${f}`);
  assert.equal(listed.filter((f) => f.startsWith('beeptrace-ca/outbox/') && f.endsWith('.block')).length, 3, 'policy and two epoch keys');
  assert.equal((await run('ca', 'backup', '--data', dir, '--out', tar)).code, 2, 'an existing backup is not overwritten');

  const wrong = join(tmp, 'ca-wrong');
  env.BEEPTRACE_PASSPHRASE = 'not it';
  const w = await run('ca', 'restore', '--data', wrong, '--from', tar);
  env.BEEPTRACE_PASSPHRASE = 'root pass';
  assert.equal(w.code, 2);
  assert.match(w.err, /passphrase/);
  await assert.rejects(stat(wrong), /ENOENT/, 'a failed restore leaves nothing');
  assert.deepEqual((await readdir(tmp)).filter((n) => n.includes('restoring')), []);

  const back = join(tmp, 'ca-restored');
  const r = await run('ca', 'restore', '--data', back, '--from', tar, '--json');
  assert.equal(r.code, 0, r.err);
  assert.equal(await mode(back), 0o700);
  for (const f of ['root.key', 'ca.json']) assert.equal(await mode(join(back, f)), 0o600, f);
  assert.deepEqual(await readFile(join(back, 'ca.json')), await readFile(join(dir, 'ca.json')));
  const st = (await run('ca', 'status', '--data', back, '--json')).json();
  assert.equal(st.region, 5);
  assert.equal((st.epochs as unknown[]).length, 2);
  assert.equal((await run('ca', 'certify', '--data', back, '--role', 'solver', '--key', toHex(c.ed25519PublicKey(c.randomBytes(32))), '--name', 'S2', '--days', '30')).code, 0, 'the restored authority signs');
  assert.equal((await run('ca', 'restore', '--data', back, '--from', tar)).code, 2, 'not over an authority');
  const junk = join(tmp, 'junk.tar');
  await writeFile(junk, new Uint8Array(1536).fill(7));
  const j = await run('ca', 'restore', '--data', join(tmp, 'ca-junk'), '--from', junk);
  assert.equal(j.code, 2);
  assert.match(j.err, /not a tar file/);
});

test('the authority folder defaults to BEEPTRACE_CA_DIR, else ~/.local/share/beeptrace/ca; init warns about a folder inside a git checkout', async () => {
  const { defaultCaDir } = await import('../../src/node/ca/folder.ts');
  assert.equal(defaultCaDir({ HOME: '/home/op' }), '/home/op/.local/share/beeptrace/ca');
  assert.equal(defaultCaDir({ HOME: '/home/op', XDG_DATA_HOME: '/data' }), '/data/beeptrace/ca');
  assert.equal(defaultCaDir({ HOME: '/home/op', BEEPTRACE_CA_DIR: '/srv/ca' }), '/srv/ca');
  env.BEEPTRACE_CA_DIR = join(tmp, 'by-env');
  try {
    const r = await run('ca', 'init', '--json');
    assert.equal(r.code, 0, r.err);
    assert.equal(r.json().dir, join(tmp, 'by-env'));
    assert.doesNotMatch(r.err, /warning/);
    assert.equal((await run('ca', 'status', '--json')).json().dir, join(tmp, 'by-env'));
  } finally {
    delete env.BEEPTRACE_CA_DIR;
  }
  const repo = join(tmp, 'checkout');
  const { mkdir } = await import('node:fs/promises');
  await mkdir(join(repo, '.git'), { recursive: true });
  const inRepo = await run('ca', 'init', '--data', join(repo, 'ca'));
  assert.equal(inRepo.code, 0);
  assert.match(inRepo.err, /warning: .*checkout\/ca is inside the git checkout .*checkout: keep the authority outside it/);
});

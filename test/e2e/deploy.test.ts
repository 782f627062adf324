/**
 * The production recipes in deploy/ (docs/DEPLOY.md §2), tested as far as a machine without
 * systemd or a container engine allows.
 *
 * - The systemd units run as systemd would run them, emulated: each in its own mount namespace
 *   with `ProtectSystem=strict` (every mount read-only but /proc, /sys, /dev and the
 *   StateDirectory), `PrivateTmp`, `ProtectHome`, the unit's `User=` as an unprivileged uid, its
 *   `UMask`, `Environment`, `EnvironmentFile`s and `ExecStart` with `%i` and `${VAR}` expanded, the
 *   paths it names (/opt/beeptrace: a copy of the checkout, compiled with `npm run build:node`;
 *   /var/lib/beeptrace/%i; /etc/beeptrace) made to exist in that namespace only; all three in one
 *   private network namespace, so their fixed ports (8787, 8080) clash with nothing. A directive
 *   the emulator does not know fails the test. Signaling, a validator and the app server start,
 *   answer (/health, /ready once the CA's statements are posted, /config.json), stop on SIGTERM
 *   with status 0, and the validator restarts with its blocks.
 * - compose.yaml is checked against the Compose Specification's JSON schema
 *   (test/fixtures/compose-spec/), then for what a schema cannot see: host networking with
 *   127.0.0.1 only, a passphrase and an admin port per node, a non-root user, and every command
 *   accepted by the real `beeptrace` argument parser.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { nodeCrypto as c } from '../../src/node/node-crypto.ts';
import { appConfig, CertificateAuthority } from '../../src/node/ca/authority.ts';
import { writeRoleKey } from '../../src/node/ca/secrets.ts';
import { REPO_ROOT } from '../../src/node/repo.ts';
import { until } from './harness.ts';
import { copyCheckout, privateNetwork } from './sandbox.ts';

const run = promisify(execFile);
const tmp = await mkdtemp(join(tmpdir(), 'bt-deploy-'));
after(() => rm(tmp, { recursive: true, force: true }));
const SERVICE_UID = 65534; // nobody: the unit's User=, an unprivileged uid that owns the state directory

/** A unit file: its [Service] directives (repeatable ones as lists). */
function parseUnit(text: string, instance: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const s = /^\[(\w+)\]$/.exec(line);
    if (s) {
      section = s[1];
      continue;
    }
    const kv = /^(\w+)=(.*)$/.exec(line);
    assert.ok(kv, `a unit line is KEY=VALUE: ${line}`);
    if (section !== 'Service') continue;
    const v = kv[2].replaceAll('%i', instance);
    out.set(kv[1], [...(out.get(kv[1]) ?? []), v]);
  }
  return out;
}

/** What the emulator does with each directive (a directive not listed fails the test). */
const EMULATED = new Set(['Type', 'User', 'Group', 'WorkingDirectory', 'Environment', 'EnvironmentFile', 'ExecStart', 'KillSignal', 'TimeoutStopSec', 'StateDirectory', 'StateDirectoryMode', 'UMask', 'NoNewPrivileges', 'ProtectSystem', 'ProtectHome', 'PrivateTmp']);
/** Directives that only take away what these processes never use (devices, kernel knobs, setuid), or that act after the process ends. */
const NOT_NEEDED = new Set(['Restart', 'RestartPreventExitStatus', 'PrivateDevices', 'ProtectKernelTunables', 'ProtectKernelModules', 'ProtectControlGroups', 'RestrictSUIDSGID', 'LockPersonality']);

function envAssignments(v: string): [string, string][] {
  return v.split(/\s+/).filter(Boolean).map((a) => {
    const i = a.indexOf('=');
    return [a.slice(0, i), a.slice(i + 1)];
  });
}

/** The paths a unit names, made on this machine: the tree, the state folders, /etc/beeptrace. */
interface Host {
  tree: string;
  etc: string;
  state: (instance: string) => string;
  netns: string;
}

/** /opt/beeptrace in a namespace: the tree, with the checkout's node_modules inside it (bound before /root may be hidden). */
function mountTree(host: Host): string[] {
  return ['mount -t tmpfs -o mode=755 tmpfs /opt', 'mkdir -p /opt/beeptrace', `mount --bind ${host.tree} /opt/beeptrace`, `mount --bind ${join(REPO_ROOT, 'node_modules')} /opt/beeptrace/node_modules`];
}

/** Start a unit under the emulated sandbox; resolves once spawned. */
async function startUnit(host: Host, file: string, instance = ''): Promise<{ child: ChildProcess; log: () => string; exited: Promise<number | null>; unit: Map<string, string[]> }> {
  const unit = parseUnit(await readFile(join(REPO_ROOT, 'deploy', 'systemd', file), 'utf8'), instance);
  for (const k of unit.keys()) assert.ok(EMULATED.has(k) || NOT_NEEDED.has(k), `${file}: the emulator does not know ${k}=`);
  const one = (k: string) => unit.get(k)?.at(-1);
  assert.equal(one('ProtectSystem'), 'strict', `${file}: ProtectSystem=strict`);
  assert.equal(one('PrivateTmp'), 'true', `${file}: PrivateTmp (a read-only /tmp breaks what writes there)`);
  assert.equal(one('User'), 'beeptrace');
  const env = new Map<string, string>([['PATH', '/usr/bin:/bin']]);
  for (const v of unit.get('Environment') ?? []) for (const [k, x] of envAssignments(v)) env.set(k, x);
  for (const f of unit.get('EnvironmentFile') ?? []) {
    assert.ok(f.startsWith('/etc/beeptrace/'), f);
    for (const line of (await readFile(join(host.etc, f.slice('/etc/beeptrace/'.length)), 'utf8')).split('\n')) {
      const m = /^(\w+)=(.*)$/.exec(line.trim());
      if (m) env.set(m[1], m[2]);
    }
  }
  const argv = one('ExecStart')!.split(/\s+/).map((w) => w.replace(/\$\{(\w+)\}/g, (_, k: string) => {
    assert.ok(env.has(k), `${file}: ExecStart uses \${${k}}, which no Environment gives`);
    return env.get(k)!;
  }));
  const state = one('StateDirectory');
  const stateMount = state ? `/var/lib/${state}` : '';
  const ov = await mkdtemp(join(tmp, 'etc-overlay-'));
  await mkdir(join(ov, 'u'));
  await mkdir(join(ov, 'w'));
  const script = [
    'set -e',
    // the paths the unit names, in this namespace only
    `mount -t overlay overlay -o lowerdir=/etc,upperdir=${ov}/u,workdir=${ov}/w /etc`,
    'mkdir -p /etc/beeptrace', `mount --bind ${host.etc} /etc/beeptrace`,
    ...mountTree(host),
    'mount -t tmpfs -o mode=755 tmpfs /var/lib',
    ...(state ? [`mkdir -p ${stateMount}`, `mount --bind ${host.state(instance)} ${stateMount}`] : []),
    // ProtectSystem=strict: every mount read-only but the API file systems and the StateDirectory
    `for mp in $(awk '{print $5}' /proc/self/mountinfo | sort -u); do case "$mp" in /proc*|/sys*|/dev*${state ? `|${stateMount}` : ''}) ;; *) mount -o remount,bind,ro "$mp" 2>/dev/null || true ;; esac; done`,
    'touch /usr/.bt-probe 2>/dev/null && { echo "emulator: / is writable"; exit 97; } || true',
    // PrivateTmp, ProtectHome
    'mount -t tmpfs tmpfs /tmp', 'mount -t tmpfs tmpfs /var/tmp', 'mount -t tmpfs -o ro tmpfs /root', 'mount -t tmpfs -o ro tmpfs /home',
    `umask ${one('UMask') ?? '0022'}`,
    `cd ${one('WorkingDirectory') ?? '/'}`,
    `exec setpriv --reuid=${SERVICE_UID} --regid=${SERVICE_UID} --clear-groups ${one('NoNewPrivileges') === 'true' ? '--no-new-privs' : ''} env -i ${[...env].map(([k, v]) => `${k}='${v}'`).join(' ')} "$@"`,
  ].join('\n');
  const child = spawn('nsenter', [`--net=${host.netns}`, 'unshare', '-m', '--propagation', 'private', 'sh', '-c', script, 'sh', ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (d) => (log += d));
  child.stderr!.on('data', (d) => (log += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, log: () => log, exited, unit };
}

/** An HTTP request from inside the units' network namespace: status and body. */
async function fetchIn(host: Host, url: string, post?: string): Promise<{ status: number; body: string }> {
  const js = `fetch(${JSON.stringify(url)}, ${post ? `{ method: 'POST', body: require('fs').readFileSync(${JSON.stringify(post)}) }` : '{}'}).then(async (r) => process.stdout.write(r.status + '\\n' + await r.text()), () => process.stdout.write('0\\n'))`;
  const { stdout } = await run('nsenter', [`--net=${host.netns}`, process.execPath, '-e', js]);
  const i = stdout.indexOf('\n');
  return { status: Number(stdout.slice(0, i)), body: stdout.slice(i + 1) };
}

async function stop(u: { child: ChildProcess; exited: Promise<number | null>; unit: Map<string, string[]>; log: () => string }, name: string): Promise<void> {
  u.child.kill((u.unit.get('KillSignal')?.at(-1) ?? 'SIGTERM') as NodeJS.Signals);
  const grace = Number(u.unit.get('TimeoutStopSec')?.at(-1) ?? 90) * 1000;
  const code = await Promise.race([u.exited, new Promise((r) => setTimeout(() => r('timeout'), grace))]);
  assert.equal(code, 0, `${name} stops on its KillSignal with status 0 within TimeoutStopSec:\n${u.log()}`);
}

test('the systemd units run under their sandbox (read-only system, private /tmp, unprivileged user) from compiled JavaScript', { timeout: 240_000 }, async () => {
  // /opt/beeptrace: the checkout as a clone has it, compiled (npm run build:node); node_modules linked
  const tree = join(tmp, 'opt-beeptrace');
  await copyCheckout(tree);
  await symlink(join(REPO_ROOT, 'node_modules'), join(tree, 'node_modules'));
  await run(process.execPath, [join(tree, 'scripts', 'build-node.mjs')], { cwd: tree });
  await rm(join(tree, 'node_modules'));
  await mkdir(join(tree, 'node_modules')); // the units' namespaces bind the checkout's node_modules here
  await mkdir(join(tree, 'dist'));
  await writeFile(join(tree, 'dist', 'index.html'), '<!doctype html><title>BeepTrace</title>');

  // the authority (elsewhere), a validator's state folder and /etc/beeptrace as the docs make them
  process.env.BEEPTRACE_SCRYPT_LOGN = '10';
  const ca = await CertificateAuthority.init({ dir: join(tmp, 'ca'), region: 1, signalUrl: 'ws://127.0.0.1:8787/', passphrase: 'root', crypto: c });
  const state = join(tmp, 'var-lib', 'validator-1');
  const secretKey = c.randomBytes(32);
  await writeRoleKey(c, join(state, 'validator.key'), { role: 'validator', name: 'Validator 1', region: 1, secretKey }, 'validator-1 pass');
  await writeFile(join(state, 'node.json'), JSON.stringify({ region: 1, rootKey: ca.state.rootKey, roleKeyFile: 'validator.key' }), { mode: 0o600 });
  await ca.certify({ role: 'validator', subject: c.ed25519PublicKey(secretKey), region: 1, days: 365, name: 'Validator 1' });
  await chmod(state, 0o700);
  for (const f of ['', 'validator.key', 'node.json']) await chown(join(state, f), SERVICE_UID, SERVICE_UID);
  const etc = join(tmp, 'etc-beeptrace');
  await mkdir(etc);
  await writeFile(join(etc, 'validator-1.env'), 'ROLE=validator\nTICK=60\nADMIN_PORT=9464\nSIGNAL=ws://127.0.0.1:8787/\n');
  await writeFile(join(etc, 'validator-1.secret'), 'BEEPTRACE_PASSPHRASE=validator-1 pass\n', { mode: 0o600 });
  await writeFile(join(etc, 'config.json'), JSON.stringify(appConfig(ca.state)));

  const net = await privateNetwork();
  const host: Host = { tree, etc, state: (i) => join(tmp, 'var-lib', i), netns: net.path };
  const running: { child: ChildProcess }[] = [];
  try {
    // a compiled start writes nothing: even with /tmp read-only too, --version runs
    const ro = await run('nsenter', [`--net=${host.netns}`, 'unshare', '-m', '--propagation', 'private', 'sh', '-c',
      `${mountTree(host).join(' && ')} && for mp in $(awk '{print $5}' /proc/self/mountinfo | sort -u); do case "$mp" in /proc*|/sys*|/dev*) ;; *) mount -o remount,bind,ro "$mp" 2>/dev/null || true ;; esac; done; cd /opt/beeptrace && BEEPTRACE_RUNTIME=compiled setpriv --reuid=${SERVICE_UID} --regid=${SERVICE_UID} --clear-groups ${process.execPath} bin/beeptrace.js --version`]);
    assert.equal(ro.stdout.trim(), JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')).version);

    const signaling = await startUnit(host, 'beeptrace-signaling.service');
    running.push(signaling);
    await until(async () => (await fetchIn(host, 'http://127.0.0.1:8787/health')).status === 200, 'signaling answers /health', 30_000);
    assert.match(signaling.log(), /^\d{4}-\d\d-\d\dT[\d:.]+Z BeepTrace signaling server listening on ws:\/\/127\.0\.0\.1:8787\//m);

    let node = await startUnit(host, 'beeptrace-node@.service', 'validator-1');
    running.push(node);
    await until(async () => (await fetchIn(host, 'http://127.0.0.1:9464/health')).status === 200, 'the validator answers /health', 30_000);
    assert.match(node.log(), /Z beeptrace node: validator, region 1, 0 blocks on disk/, node.log());
    const notReady = await fetchIn(host, 'http://127.0.0.1:9464/ready');
    assert.equal(notReady.status, 503);
    assert.match(notReady.body, /no certificate of the CA held yet/);
    for (const f of (await readdir(join(ca.dir, 'outbox'))).sort()) assert.equal((await fetchIn(host, 'http://127.0.0.1:9464/blocks', join(ca.dir, 'outbox', f))).status, 200, f);
    await until(async () => (await fetchIn(host, 'http://127.0.0.1:9464/ready')).status === 200, 'the validator is ready (signaling, certificate)', 20_000);
    const blocks = /beeptrace_blocks\{chain="notification"\} (\d+)/.exec((await fetchIn(host, 'http://127.0.0.1:9464/metrics')).body)![1];
    assert.equal(Number(blocks), 2, 'policy and certificate stored');
    const written = await readdir(join(state, 'blocks'));
    assert.ok(written.length > 0, 'the chains are written in the state directory');

    const app = await startUnit(host, 'beeptrace-app.service');
    running.push(app);
    await until(async () => (await fetchIn(host, 'http://127.0.0.1:8080/config.json')).status === 200, 'the app server answers', 30_000);
    assert.deepEqual(JSON.parse((await fetchIn(host, 'http://127.0.0.1:8080/config.json')).body), appConfig(ca.state));
    assert.match((await fetchIn(host, 'http://127.0.0.1:8080/')).body, /<title>BeepTrace<\/title>/);

    await stop(node, 'the validator');
    node = await startUnit(host, 'beeptrace-node@.service', 'validator-1');
    running.push(node);
    await until(async () => (await fetchIn(host, 'http://127.0.0.1:9464/health')).status === 200, 'the validator is back', 30_000);
    assert.match(node.log(), /beeptrace node: validator, region 1, 2 blocks on disk/, 'restarted with its blocks');
    for (const [u, name] of [[node, 'the validator'], [app, 'the app server'], [signaling, 'signaling']] as const) await stop(u, name);
  } finally {
    for (const r of running) r.child.kill('SIGKILL');
    net.close();
  }
});

test('compose.yaml validates against the Compose Specification and runs each process as the units do', async () => {
  const file = join(REPO_ROOT, 'deploy', 'compose.yaml');
  const schema = join(REPO_ROOT, 'test', 'fixtures', 'compose-spec', 'compose-spec.json');
  const py = 'import json, sys, yaml, jsonschema\nd = yaml.safe_load(open(sys.argv[1]))\njsonschema.validate(d, json.load(open(sys.argv[2])))\nprint(json.dumps(d))';
  const { stdout } = await run('python3', ['-c', py, file, schema]);
  const doc = JSON.parse(stdout) as { services: Record<string, { command: string[]; network_mode?: string; user?: string; env_file?: string[]; volumes?: string[]; healthcheck?: { test: string[] }; read_only?: boolean; build?: { dockerfile: string; args?: Record<string, string> } }> };
  assert.deepEqual(Object.keys(doc.services).sort(), ['app', 'signaling', 'solver', 'validator-1', 'validator-2']);
  const admin = new Set<string>();
  for (const [name, s] of Object.entries(doc.services)) {
    assert.equal(s.network_mode, 'host', `${name}: host networking (WebRTC)`);
    assert.match(s.user ?? '', /^\$\{BEEPTRACE_UID:-\d+\}:\$\{BEEPTRACE_GID:-\d+\}$/, `${name}: runs as the owner of its files, not root`);
    assert.equal(s.read_only, true, `${name}: a read-only image`);
    assert.equal(s.build?.dockerfile, 'deploy/Dockerfile');
    assert.match(String(s.build?.args?.BEEPTRACE_ROOT_KEY), /^\$\{BEEPTRACE_ROOT_KEY:\?/, `${name}: the image pins the root key (a missing one is an error)`);
    for (const a of s.command) for (const u of a.match(/\w+:\/\/[^/\s]+/g) ?? []) assert.match(u, /:\/\/127\.0\.0\.1(:\d+)?$/, `${name}: ${u} (no service names under host networking)`);
    if (s.command[0] === 'node') {
      const i = s.command.indexOf('--admin');
      assert.ok(i > 0, `${name}: --admin`);
      assert.ok(!admin.has(s.command[i + 1]), `${name}: its own admin port`);
      admin.add(s.command[i + 1]);
      assert.deepEqual(s.env_file, [`./secrets/${name}.env`], `${name}: its key file's passphrase`);
      assert.deepEqual(s.volumes, [`./nodes/${name}:/data`]);
      assert.ok(s.healthcheck?.test.join(' ').includes(`${s.command[i + 1]}/health`), `${name}: the health check asks its own /health`);
    }
    // the real argument parser takes each command (strict: an unknown flag would exit 2)
    const r = await run(process.execPath, [join(REPO_ROOT, 'bin', 'beeptrace.js'), ...s.command, '--help']).catch((e: { code: number; stderr: string }) => e);
    assert.equal('code' in r ? r.code : 0, 0, `${name}: ${s.command.join(' ')}: ${'stderr' in r ? r.stderr : ''}`);
  }
  assert.equal(admin.size, 3);
  const docker = await readFile(join(REPO_ROOT, 'deploy', 'Dockerfile'), 'utf8');
  assert.match(docker, /ARG BEEPTRACE_ROOT_KEY=""\n(#.*\n)*RUN npm run build && npm prune --omit=dev/);
  assert.match(docker, /ENV NODE_ENV=production BEEPTRACE_RUNTIME=compiled/);
  assert.match(docker, /^USER node$/m);
  assert.match(docker, /ENTRYPOINT \["node", "\/opt\/beeptrace\/bin\/beeptrace\.js"\]/);
  const ignored = (await readFile(join(REPO_ROOT, '.dockerignore'), 'utf8')).split('\n');
  for (const p of ['node_modules', 'deploy/secrets', 'deploy/nodes', '*.key', '.beeptrace']) assert.ok(ignored.includes(p), `.dockerignore: ${p}`);
});


/**
 * README.md "The walk-through", run as an operator runs it: every ```sh block of that section,
 * verbatim and in order, in one bash (variables and background processes carry over), in a fresh
 * copy of the checkout (the files a clone has; node_modules linked, as `npm ci` made them), HOME a
 * new folder, in a private network namespace (its fixed ports are its own). The passphrase
 * questions are answered on stdin; BEEPTRACE_SCRYPT_LOGN=10 keeps the key files quick.
 *
 * After each block, what the README's "Makes:" line after it names must exist (globs allowed);
 * the test also checks what the text around the blocks says: separate processes on real signaling,
 * /ready of every node once the statements are published and carried by the mesh, the app served
 * with the CA's config.json and the root key compiled into its bundle, the revoked validator's
 * /ready saying so, a node stopped and restarted with its blocks, the backup restoring, and
 * everything stopped with exit status 0.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { REPO_ROOT } from '../../src/node/repo.ts';
import { copyCheckout, privateNetwork } from './sandbox.ts';

const tmp = await mkdtemp(join(tmpdir(), 'bt-walk-'));
after(() => rm(tmp, { recursive: true, force: true }));

/** The walk-through's steps: each ```sh block of the section and the paths its "Makes:" line names. */
function steps(readme: string): { code: string; makes: string[] }[] {
  const start = readme.indexOf('### The walk-through');
  assert.ok(start > 0, 'README.md has "### The walk-through"');
  const end = readme.indexOf('\n### ', start + 10);
  const section = readme.slice(start, end);
  const out: { code: string; makes: string[] }[] = [];
  const re = /```sh\n([\s\S]*?)```\n/g;
  for (let m; (m = re.exec(section)); ) {
    const next = /^\n*(Makes: [\s\S]*?)(\n\n|$)/.exec(section.slice(re.lastIndex));
    out.push({ code: m[1], makes: [...(next?.[1] ?? '').matchAll(/`(~\/[^`]+)`/g)].map((x) => x[1]) });
  }
  return out;
}

/** Does `pattern` (a path from HOME, `*` within one name) name an existing file or folder? */
function exists(home: string, pattern: string): boolean {
  const parts = pattern.replace(/^~\//, '').replace(/\/$/, '').split('/');
  const walk = (dir: string, i: number): boolean => {
    if (i === parts.length) return true;
    if (!parts[i].includes('*')) return existsSync(join(dir, parts[i])) && walk(join(dir, parts[i]), i + 1);
    const re = new RegExp(`^${parts[i].split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
    return existsSync(dir) && readdirSync(dir).some((n) => re.test(n) && walk(join(dir, n), i + 1));
  };
  return walk(home, 0);
}

test('README.md\'s walk-through, run from a fresh copy of the checkout, does what it says at every step', { timeout: 420_000 }, async () => {
  const readme = await readFile(join(REPO_ROOT, 'README.md'), 'utf8');
  const walk = steps(readme);
  assert.equal(walk.length, 12, 'twelve steps');
  const clone = join(tmp, 'beeptrace');
  const home = join(tmp, 'home');
  await copyCheckout(clone);
  await symlink(join(REPO_ROOT, 'node_modules'), join(clone, 'node_modules'));
  await mkdir(home);
  for (const d of ['dist', 'build', '.beeptrace']) assert.equal(existsSync(join(clone, d)), false, `a fresh clone has no ${d}/`);

  const net = await privateNetwork();
  // fd 3 brings the steps; stdin answers the passphrase questions
  const sh = spawn('nsenter', [`--net=${net.path}`, 'bash', '--noprofile', '--norc', '-c', 'set -eo pipefail; while IFS= read -r -u 3 line; do eval "$line"; done'], {
    cwd: clone, detached: true, stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH, HOME: home, LANG: 'C.UTF-8', BEEPTRACE_SCRYPT_LOGN: '10', CI: process.env.CI ?? '' },
  });
  let out = '';
  sh.stdout!.on('data', (d) => (out += d));
  sh.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => sh.once('exit', (code) => r(code)));
  sh.stdin!.write(['ca root pass', 'validator one pass', 'validator two pass', 'solver pass', 'clinic pass'].join('\n') + '\n');
  const logs = async () => {
    let s = '';
    for (const f of ['beeptrace/signaling.log', 'beeptrace/app.log', ...['validator-1', 'validator-2', 'solver'].map((n) => `beeptrace/nodes/${n}/node.log`)]) {
      if (existsSync(join(home, f))) s += `\n--- ${f}\n${(await readFile(join(home, f), 'utf8')).slice(-3000)}`;
    }
    return s;
  };
  const runStep = async (i: number, code: string, limitMs: number): Promise<string> => {
    const file = join(tmp, `step-${i + 1}.sh`);
    await writeFile(file, code);
    const from = out.length;
    const marker = `__step ${i + 1} done__`;
    (sh.stdio[3] as NodeJS.WritableStream).write(`source ${file}; echo "${marker}"\n`);
    const started = Date.now();
    while (!out.includes(marker, from)) {
      if (sh.exitCode !== null) assert.fail(`step ${i + 1} failed (bash exited ${sh.exitCode}):\n${code}\n--- output\n${out.slice(from)}${await logs()}`);
      if (Date.now() - started > limitMs) assert.fail(`step ${i + 1} did not finish in ${limitMs / 1000} s:\n${code}\n--- output\n${out.slice(from)}${await logs()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return out.slice(from, out.indexOf(marker, from));
  };

  try {
    const said: string[] = [];
    for (const [i, s] of walk.entries()) {
      said.push(await runStep(i, s.code, 120_000));
      for (const p of s.makes) assert.ok(exists(home, p), `step ${i + 1} makes ${p}`);
      if (i === 0) assert.ok(!existsSync(join(home, 'beeptrace')), 'step 1 only asks and sets');
      if (i === 1) {
        const ca = join(home, 'beeptrace', 'ca');
        assert.equal(statSync(ca).mode & 0o777, 0o700);
        for (const f of ['root.key', 'ca.json', 'config.json']) assert.equal(statSync(join(ca, f)).mode & 0o777, 0o600, f);
        assert.doesNotMatch(said[i], /warning/, 'the authority is outside the checkout');
      }
      if (i === 5) {
        for (const d of ['dist/index.html', 'build/node/src/node/cli.js']) assert.ok(existsSync(join(clone, d)), d);
        const rootKey = JSON.parse(await readFile(join(home, 'beeptrace', 'ca', 'config.json'), 'utf8')).rootKey as string;
        const assets = await readdir(join(clone, 'dist', 'assets'));
        let pinned = false;
        for (const a of assets.filter((n) => n.endsWith('.js'))) if ((await readFile(join(clone, 'dist', 'assets', a), 'utf8')).includes(rootKey)) pinned = true;
        assert.ok(pinned, 'the root key is compiled into the app');
      }
      if (i === 6) {
        const ps = (n: string) => readFile(n, 'utf8').then((p) => Number(p.trim()));
        const pids = await Promise.all([join(home, 'beeptrace/signaling.pid'), join(home, 'beeptrace/app.pid'), ...['validator-1', 'validator-2', 'solver'].map((n) => join(home, 'beeptrace/nodes', n, 'pid'))].map(ps));
        assert.equal(new Set(pids).size, 5, 'five processes');
        for (const pid of pids) {
          const cmd = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
          assert.equal(basename(cmd[0]), 'node', `PID ${pid} is the node process itself (kill PID stops it)`);
        }
      }
      if (i === 7) {
        assert.equal((said[i].match(/\{"ready":true,"role":"(validator|solver)","reasons":\[\]\}/g) ?? []).length, 3, `every node ready:\n${said[i]}${await logs()}`);
        assert.match(said[i], /certificates \(4\):/);
        assert.deepEqual(await readdir(join(home, 'beeptrace', 'ca', 'outbox')), [], 'everything sent');
        for (const n of ['validator-2', 'solver']) assert.match(await readFile(join(home, 'beeptrace/nodes', n, 'node.log'), 'utf8'), /^\S+Z signaling server ws:\/\/127\.0\.0\.1:8787\/ connected$/m, `${n} on the real signaling server`);
        const config = await fetchIn(net.path, 'http://127.0.0.1:8080/config.json');
        assert.deepEqual(JSON.parse(config), JSON.parse(await readFile(join(home, 'beeptrace', 'ca', 'config.json'), 'utf8')), 'the app serves the CA\'s config.json');
        assert.match(await fetchIn(net.path, 'http://127.0.0.1:8080/'), /<title>/);
      }
      if (i === 8) {
        assert.match(said[i], /revoked [0-9a-f]{64} from \d{4}-\d\d-\d\dT\d\d:[0-5]0:00Z \(a checkpoint boundary\)/);
        assert.match(said[i], /still store and pass on/);
        assert.match(said[i], /"ready":false.*may not act as validator: certificate revoked at/);
      }
      if (i === 9) {
        const log = await readFile(join(home, 'beeptrace/nodes/solver/node.log'), 'utf8');
        assert.match(log, /SIGTERM: stopping/);
        const starts = [...log.matchAll(/beeptrace node: solver, region 1, (\d+) blocks on disk/g)].map((m) => Number(m[1]));
        assert.equal(starts.length, 2, 'started twice');
        assert.ok(starts[1] >= 7, `restarted with its blocks (${starts[1]}): policy, four certificates, two epoch keys, a revocation`);
        assert.match(said[i], /"ready":true/);
      }
      if (i === 10) assert.ok(!existsSync(join(home, 'beeptrace', 'ca-restore-check')), 'the check folder is removed');
    }
    const pids = [join(home, 'beeptrace/signaling.pid'), join(home, 'beeptrace/app.pid'), ...['validator-1', 'validator-2', 'solver'].map((n) => join(home, 'beeptrace/nodes', n, 'pid'))];
    for (const p of pids) {
      const pid = Number((await readFile(p, 'utf8')).trim());
      const deadline = Date.now() + 30_000;
      while (existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(await readFile(`/proc/${pid}/status`, 'utf8').catch(() => ''))) {
        assert.ok(Date.now() < deadline, `PID ${pid} (${basename(dirname(p))}) stopped after step 12`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    for (const n of ['validator-1', 'validator-2', 'solver']) assert.match(await readFile(join(home, 'beeptrace/nodes', n, 'node.log'), 'utf8'), /SIGTERM: stopping\s*$/, `${n} stopped cleanly`);
    assert.match(await readFile(join(home, 'beeptrace/app.log'), 'utf8'), /serve: stopping\s*$/);
    // The README's words about what the steps make hold for the checkout too: nothing of the authority's in it.
    for (const f of ['ca', 'ca.json', 'root.key', 'clinic.key']) assert.equal(existsSync(join(clone, f)), false, `${f} is not in the checkout`);
  } finally {
    sh.stdin!.end();
    (sh.stdio[3] as NodeJS.WritableStream).end();
    try {
      process.kill(-sh.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
    await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
    net.close();
  }
});

/** GET from inside the walk-through's network namespace. */
async function fetchIn(netns: string, url: string): Promise<string> {
  const p = spawn('nsenter', [`--net=${netns}`, process.execPath, '-e', `fetch(${JSON.stringify(url)}).then(async (r) => process.stdout.write(await r.text()))`], { stdio: ['ignore', 'pipe', 'inherit'] });
  let s = '';
  p.stdout!.on('data', (d) => (s += d));
  await new Promise((r) => p.once('exit', r));
  return s;
}

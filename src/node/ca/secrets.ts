/**
 * Passphrases and role key files on disk for the CA and the full nodes. A passphrase comes from
 * the environment or from a prompt that does not echo (when stdin is a terminal) — never from a
 * command-line flag (it would sit in the shell history and in `ps`).
 *
 *   BEEPTRACE_PASSPHRASE       opens (and seals) key files
 *   BEEPTRACE_NEW_PASSPHRASE   seals the key file `ca keygen` writes for an operator: that file's
 *                              own passphrase (required, or asked twice on a terminal; keygen
 *                              never uses BEEPTRACE_PASSPHRASE)
 *   BEEPTRACE_SCRYPT_LOGN      scrypt cost of newly written files, log2 N (10..20; default 17 —
 *                              lower it only in tests)
 *
 * @example
 * const pass = await passphrase('root key', 'BEEPTRACE_PASSPHRASE');
 * const key = await readRoleKey(nodeCrypto, 'ca/root.key', pass, 'root');
 * @module
 */
import { link, mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { CryptoProvider } from '../../core/crypto.ts';
import { InputError } from '../../core/errors.ts';
import { DEFAULT_SCRYPT, openKeyFile, sealKeyFile, type KeyFileRole, type RoleKeyMaterial } from '../../core/keyfile.ts';

/** The scrypt cost for newly sealed key files (BEEPTRACE_SCRYPT_LOGN or the default). @example scryptCost().N */
export function scryptCost(env: NodeJS.ProcessEnv = process.env): { N: number; r: number; p: number } {
  const v = env.BEEPTRACE_SCRYPT_LOGN;
  if (v === undefined || v === '') return DEFAULT_SCRYPT;
  if (!/^\d+$/.test(v) || +v < 10 || +v > 20) throw new InputError('usage', `BEEPTRACE_SCRYPT_LOGN must be an integer 10..20, got "${v}"`);
  return { ...DEFAULT_SCRYPT, N: 2 ** +v };
}

/**
 * A passphrase from `envName` (then BEEPTRACE_PASSPHRASE), else a prompt without echo on a
 * terminal (asked twice when `confirm`). Throws InputError('no_passphrase') when neither.
 * @example await passphrase('the new root key', 'BEEPTRACE_PASSPHRASE', true)
 */
export async function passphrase(what: string, envName = 'BEEPTRACE_PASSPHRASE', confirm = false): Promise<string> {
  const v = process.env[envName] ?? process.env.BEEPTRACE_PASSPHRASE;
  if (v !== undefined && v !== '') return v;
  if (!process.stdin.isTTY) throw new InputError('no_passphrase', `no passphrase for ${what}: set ${envName} in the environment, or run in a terminal to be asked`);
  return prompt(what, confirm);
}

/**
 * The passphrase of a key file `ca keygen` makes for an operator: its own, from
 * BEEPTRACE_NEW_PASSPHRASE or a prompt asked twice on a terminal — never BEEPTRACE_PASSPHRASE (the
 * root key's, in the CA's shell: the operator would have to be told it to open the file).
 * Throws InputError('no_passphrase') when neither.
 * @example await newKeyPassphrase('the new solver key')
 */
export async function newKeyPassphrase(what: string): Promise<string> {
  const v = process.env.BEEPTRACE_NEW_PASSPHRASE;
  if (v !== undefined && v !== '') return v;
  if (!process.stdin.isTTY) {
    throw new InputError('no_passphrase', `no passphrase for ${what}: a new key file gets a passphrase of its own — set BEEPTRACE_NEW_PASSPHRASE, or run in a terminal to be asked (BEEPTRACE_PASSPHRASE, the one that opens the root key, is never used for it)`);
  }
  return prompt(`${what} (its own, not the root key's)`, true);
}

async function prompt(what: string, confirm: boolean): Promise<string> {
  const first = await ask(`Passphrase for ${what}: `);
  if (!first) throw new InputError('no_passphrase', 'an empty passphrase is not allowed');
  if (confirm && (await ask('Again: ')) !== first) throw new InputError('no_passphrase', 'the two passphrases differ');
  return first;
}

/** Ask on stderr, reading stdin with echo off. */
function ask(question: string): Promise<string> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    let asked = false;
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s: string) => {
      if (!asked) {
        process.stderr.write(s);
        asked = true;
      }
    };
    rl.question(question, (a) => {
      rl.close();
      process.stderr.write('\n');
      resolve(a);
    });
  });
}

/**
 * Write a file only its owner may read (0600), creating its folder (0700), atomically: the bytes
 * go to a temporary file beside it (`.NAME.PID.RANDOM.tmp`, 0600, created exclusively), which is
 * fsynced and then renamed over NAME; the folder is fsynced so the rename itself lasts. A crash or
 * a kill at any moment leaves NAME either as it was or complete with the new bytes, never cut off
 * (a key file, ca.json with the sealed epoch keys, a hand-over file). Temporary files a killed
 * writer left behind are removed by the next write of the same file. With `exclusive`, an existing
 * NAME is never replaced (InputError `exists`).
 * @example await writePrivate(f, text)
 */
export async function writePrivate(file: string, text: string | Uint8Array, o: { exclusive?: boolean } = {}): Promise<void> {
  const dir = dirname(file);
  const base = basename(file);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await removeStale(dir, base);
  const tmp = join(dir, `.${base}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.chmod(0o600);
    await fh.writeFile(text);
    await fh.sync();
  } catch (e) {
    await fh.close();
    await rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  try {
    // exclusive: link() fails if NAME exists, so a file made meanwhile is never replaced
    if (o.exclusive) await link(tmp, file);
    else await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    if (o.exclusive && (e as NodeJS.ErrnoException).code === 'EEXIST') throw new InputError('exists', `${file} exists already`);
    throw e;
  }
  if (o.exclusive) await rm(tmp, { force: true });
  await syncDir(dir);
}

/** fsync a folder (where the platform allows it: not on Windows). */
async function syncDir(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch {
    // a platform that cannot open or sync a folder: the rename is still atomic
  } finally {
    await fh?.close();
  }
}

/** Remove `.BASE.PID.*.tmp` files of writers that are no longer running (killed mid-way). */
async function removeStale(dir: string, base: string): Promise<void> {
  const prefix = `.${base}.`;
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const pid = Number(name.slice(prefix.length).split('.')[0]);
    // a write under way (this process's, or another running one's) is left alone
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || alive(pid)) continue;
    await rm(join(dir, name), { force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Seal `secretKey` into a key file at `file` (0600, atomically; `exclusive`: never over an existing file).
 * @example await writeRoleKey(c, 'solver.key', { role: 'solver', name: 'Solver 1', secretKey }, pass)
 */
export async function writeRoleKey(
  c: CryptoProvider, file: string, key: { role: KeyFileRole; name: string; region?: number; secretKey: Uint8Array }, pass: string, cost = scryptCost(), o: { exclusive?: boolean } = {},
): Promise<void> {
  await writePrivate(file, await sealKeyFile(c, key, pass, cost), o);
}

/**
 * Open a key file; `role` (when given) must match. Errors are InputError naming the file
 * (`wrong_passphrase`, `bad_key_file`, `file`).
 * @example const root = await readRoleKey(c, 'ca/root.key', pass, 'root')
 */
export async function readRoleKey(c: CryptoProvider, file: string, pass: string, role?: KeyFileRole): Promise<RoleKeyMaterial> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new InputError('file', `cannot read key file ${file}: ${(e as Error).message}`);
  }
  try {
    const k = await openKeyFile(c, text, pass);
    if (role && k.role !== role) throw new InputError('bad_key_file', `holds a ${k.role} key, not a ${role} key`);
    return k;
  } catch (e) {
    if (e instanceof InputError) throw new InputError(e.code, `${file}: ${e.message}`);
    throw e;
  }
}

/**
 * Passphrases and role key files on disk for the CA and the full nodes. A passphrase comes from
 * the environment or from a prompt that does not echo (when stdin is a terminal) — never from a
 * command-line flag (it would sit in the shell history and in `ps`).
 *
 *   BEEPTRACE_PASSPHRASE       opens (and seals) key files
 *   BEEPTRACE_NEW_PASSPHRASE   seals the key file `ca keygen` writes for another operator
 *                              (falls back to BEEPTRACE_PASSPHRASE)
 *   BEEPTRACE_SCRYPT_LOGN      scrypt cost of newly written files, log2 N (10..20; default 17 —
 *                              lower it only in tests)
 *
 * @example
 * const pass = await passphrase('root key', 'BEEPTRACE_PASSPHRASE');
 * const key = await readRoleKey(nodeCrypto, 'ca/root.key', pass, 'root');
 * @module
 */
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
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

/** Write a file only its owner may read (0600), creating its folder (0700). @example await writePrivate(f, text) */
export async function writePrivate(file: string, text: string | Uint8Array): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, text, { mode: 0o600 });
  await chmod(file, 0o600);
}

/**
 * Seal `secretKey` into a key file at `file` (0600).
 * @example await writeRoleKey(c, 'solver.key', { role: 'solver', name: 'Solver 1', secretKey }, pass)
 */
export async function writeRoleKey(
  c: CryptoProvider, file: string, key: { role: KeyFileRole; name: string; region?: number; secretKey: Uint8Array }, pass: string, cost = scryptCost(),
): Promise<void> {
  await writePrivate(file, await sealKeyFile(c, key, pass, cost));
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

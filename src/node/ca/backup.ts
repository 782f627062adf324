/**
 * Backup and restore of an authority's folder (`beeptrace ca backup`, `ca restore`). The backup
 * is one plain tar file (POSIX ustar; `tar -tf` lists it) of everything the folder holds: the
 * encrypted root key, ca.json (certificates, revocations, the epoch secrets sealed to the root
 * key), config.json, the outbox (statements not sent yet), sent/ and the hand-over files. Nothing
 * in it is in the clear that is not in the folder in the clear: keep it where the root key's
 * passphrase is not.
 *
 * Restore writes into a new folder (refused if it holds an authority), through a temporary
 * sibling renamed into place only after the root key opened with the passphrase and matched
 * ca.json — so a restore either gives a working authority or leaves nothing.
 *
 * @example
 * const r = await backupCa('/srv/ca', '/backup/ca-2026-03-02.tar');      // { files: 12, bytes }
 * await restoreCa('/backup/ca-2026-03-02.tar', '/srv/ca', pass, nodeCrypto);
 * @module
 */
import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { CryptoProvider } from '../../core/crypto.ts';
import { InputError } from '../../core/errors.ts';
import { CertificateAuthority } from './authority.ts';
import { paths } from './state.ts';

/** The folder name inside the archive. @example entries[0].name === 'beeptrace-ca/ca.json' */
export const BACKUP_ROOT = 'beeptrace-ca';
const FILES = ['ca.json', 'root.key', 'config.json'];
const FOLDERS = ['outbox', 'sent', 'handover'];
const NAME = /^beeptrace-ca\/(?:(ca\.json|root\.key|config\.json)|(outbox|sent|handover)\/([A-Za-z0-9._-]{1,90}))$/;

/** Write `dir`'s authority into a tar file `out` (0600). Returns what it holds. @example await backupCa(dir, 'ca.tar') */
export async function backupCa(dir: string, out: string): Promise<{ file: string; files: string[]; bytes: number }> {
  const p = paths(dir);
  if (!existsSync(p.state) || !existsSync(p.rootKey)) throw new InputError('no_ca', `${dir} holds no authority (ca.json and root.key): nothing to back up`);
  if (existsSync(out)) throw new InputError('exists', `${out} exists already; choose another --out`);
  const entries: { name: string; data?: Uint8Array }[] = [{ name: `${BACKUP_ROOT}/` }];
  for (const f of FILES) if (existsSync(join(dir, f))) entries.push({ name: `${BACKUP_ROOT}/${f}`, data: await readFile(join(dir, f)) });
  for (const d of FOLDERS) {
    const names = (await readdir(join(dir, d)).catch(() => [] as string[])).sort();
    entries.push({ name: `${BACKUP_ROOT}/${d}/` });
    for (const n of names) if ((await stat(join(dir, d, n))).isFile()) entries.push({ name: `${BACKUP_ROOT}/${d}/${n}`, data: await readFile(join(dir, d, n)) });
  }
  const tar = writeTar(entries);
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, tar, { mode: 0o600, flag: 'wx' });
  return { file: out, files: entries.filter((e) => e.data).map((e) => e.name.slice(BACKUP_ROOT.length + 1)), bytes: tar.length };
}

/**
 * Restore a backup into `dir` (which must not hold an authority): checked with the root key's
 * passphrase before it is put in place. Returns the restored authority's root key (hex).
 * @example const { rootKey } = await restoreCa('ca.tar', '/srv/ca', pass, nodeCrypto)
 */
export async function restoreCa(file: string, dir: string, passphrase: string, c: CryptoProvider): Promise<{ dir: string; rootKey: string; files: string[] }> {
  if (existsSync(paths(dir).state) || existsSync(paths(dir).rootKey)) throw new InputError('exists', `${dir} already holds an authority: restore into a new folder`);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(file));
  } catch (e) {
    throw new InputError('file', `cannot read the backup ${file}: ${(e as Error).message}`);
  }
  const entries = readTar(bytes, file);
  const files = entries.filter((e) => e.data);
  for (const e of files) if (!NAME.test(e.name)) throw new InputError('bad_backup', `${file}: "${e.name}" is not a file of an authority's folder`);
  for (const f of ['ca.json', 'root.key']) if (!files.some((e) => e.name === `${BACKUP_ROOT}/${f}`)) throw new InputError('bad_backup', `${file}: holds no ${f}`);
  const tmp = join(dirname(dir), `.${basename(dir)}.restoring-${process.pid}`);
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true, mode: 0o700 });
  try {
    for (const d of FOLDERS) await mkdir(join(tmp, d), { mode: 0o700 });
    for (const e of files) {
      const target = join(tmp, e.name.slice(BACKUP_ROOT.length + 1));
      await writeFile(target, e.data!, { mode: 0o600 });
      await chmod(target, 0o600);
    }
    const ca = await CertificateAuthority.open({ dir: tmp, passphrase, crypto: c });
    const rootKey = ca.state.rootKey;
    ca.root.secretKey.fill(0);
    if (existsSync(dir)) {
      if ((await readdir(dir)).length) throw new InputError('exists', `${dir} is not empty: restore into a new folder`);
      await rm(dir, { recursive: true });
    }
    await mkdir(dirname(dir), { recursive: true });
    await rename(tmp, dir);
    await chmod(dir, 0o700);
    return { dir, rootKey, files: files.map((e) => e.name.slice(BACKUP_ROOT.length + 1)) };
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

// ───────────── POSIX ustar, the subset a backup needs: regular files and folders ─────────────

const BLOCK = 512;

function octal(n: number, width: number): string {
  return `${n.toString(8).padStart(width - 1, '0')}\0`;
}

/** A ustar archive of `entries` (a name ending in "/" is a folder). @example writeTar([{ name: 'a/' }, { name: 'a/b', data }]) */
export function writeTar(entries: { name: string; data?: Uint8Array }[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const enc = new TextEncoder();
  for (const e of entries) {
    const dirEntry = e.name.endsWith('/');
    const data = e.data ?? new Uint8Array(0);
    const name = enc.encode(e.name);
    if (name.length > 100) throw new RangeError(`tar: the name ${e.name} is longer than 100 bytes`);
    const h = new Uint8Array(BLOCK);
    const put = (off: number, s: string) => h.set(enc.encode(s), off);
    h.set(name, 0);
    put(100, octal(dirEntry ? 0o700 : 0o600, 8));
    put(108, octal(0, 8));
    put(116, octal(0, 8));
    put(124, octal(data.length, 12));
    put(136, octal(0, 12)); // mtime 0: the same folder gives the same bytes
    put(148, '        ');
    put(156, dirEntry ? '5' : '0');
    put(257, 'ustar\0');
    put(263, '00');
    let sum = 0;
    for (const b of h) sum += b;
    put(148, `${sum.toString(8).padStart(6, '0')}\0 `);
    parts.push(h, data, new Uint8Array((BLOCK - (data.length % BLOCK)) % BLOCK));
  }
  parts.push(new Uint8Array(2 * BLOCK));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) out.set(p, (o += p.length) - p.length);
  return out;
}

/** Read a ustar archive: its folders and regular files. Throws InputError('bad_backup') naming what is wrong. @example readTar(bytes, 'ca.tar') */
export function readTar(bytes: Uint8Array, file: string): { name: string; data?: Uint8Array }[] {
  const bad = (m: string): never => {
    throw new InputError('bad_backup', `${file}: ${m}`);
  };
  const dec = new TextDecoder();
  const field = (h: Uint8Array, off: number, len: number) => dec.decode(h.subarray(off, off + len)).replace(/\0.*$/s, '');
  const out: { name: string; data?: Uint8Array }[] = [];
  for (let o = 0; ; ) {
    if (o + BLOCK > bytes.length) bad('not a tar file (it ends before its end marker)');
    const h = bytes.subarray(o, o + BLOCK);
    if (h.every((b) => b === 0)) return out;
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i];
    if (parseInt(field(h, 148, 8).trim(), 8) !== sum) bad(`not a tar file (bad header checksum at byte ${o})`);
    const name = field(h, 0, 100);
    const type = field(h, 156, 1) || '0';
    const size = parseInt(field(h, 124, 12).trim() || '0', 8);
    if (!Number.isSafeInteger(size) || o + BLOCK + size > bytes.length) bad(`the entry ${name} is cut short`);
    if (type === '5') out.push({ name: name.endsWith('/') ? name : `${name}/` });
    else if (type === '0') out.push({ name, data: bytes.slice(o + BLOCK, o + BLOCK + size) });
    else bad(`the entry ${name} is not a file or a folder (type ${type})`);
    o += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
  }
}

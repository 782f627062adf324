/**
 * The encrypted backup a person exports to move to a new phone with the same keys (docs/APP.md
 * §Backup format): the seed, the settings, every day record (stays, and the part counters, so a
 * restored device never reuses an AEAD part number) and the alerts.
 *
 * File (all integers unsigned bytes):
 *
 *   0  4  magic "BTBK"
 *   4  1  format version = 1
 *   5  1  KDF = 1 (scrypt)
 *   6  1  log2 N (default 17: N = 131072)   accepted 10..20
 *   7  1  r (default 8)                     accepted 1..32
 *   8  1  p (default 1)                     accepted 1..16
 *   9 16  salt (random)
 *  25 24  nonce (random)
 *  49  n  XChaCha20-Poly1305(key, nonce, plaintext, AAD = bytes 0..48), tag included
 *  49+n 32  SHA-256 of bytes 0 … 48+n: tells a damaged file ('bad_backup') from a wrong passphrase
 *
 * key = scrypt(NFKC(passphrase) as UTF-8, salt, N, r, p, 32 bytes). Plaintext: UTF-8 JSON of `BackupDoc`.
 *
 * @example
 * const file = await sealBackup(doc, 'correct horse battery staple');
 * const back = await openBackup(file, 'correct horse battery staple'); // BackupDoc
 * @module
 */
import { scryptAsync } from '@noble/hashes/scrypt.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { concat, equal, fromUtf8, utf8 } from '../../core/bytes.ts';
import type { Settings } from '../protocol.ts';
import { checkSettings, type DayRecord, type RecordingDoc, type StoredAlert } from './state.ts';

const MAGIC = utf8('BTBK');
const VERSION = 1;
const KDF_SCRYPT = 1;
const HEADER = 49;

/** scrypt cost: N = 2^logN, r, p. The default costs about 128 MiB and a second or two. @example { logN: 17, r: 8, p: 1 } */
export interface KdfParams {
  logN: number;
  r: number;
  p: number;
}
/** @example DEFAULT_KDF.logN === 17 */
export const DEFAULT_KDF: KdfParams = { logN: 17, r: 8, p: 1 };

/** Everything a backup restores. @example (await openBackup(bytes, passphrase)).seed */
export interface BackupDoc {
  v: 1;
  /** When it was made (ms). */
  exportedAt: number;
  /** The device seed, hex. */
  seed: string;
  keysCreated: number;
  settings: Settings;
  onboarded: boolean;
  recording: RecordingDoc | null;
  days: DayRecord[];
  alerts: StoredAlert[];
  /** The watch schedule (PROTOCOL §13.2); absent in backups of devices that never rotated. */
  watchSchedule?: { fromDay: number; generation: number }[];
}

/** A backup could not be made or read; `code` is the reply's error code. @example if (e instanceof BackupError && e.code === 'bad_passphrase') … */
export class BackupError extends Error {
  constructor(
    readonly code: 'bad_passphrase' | 'bad_backup' | 'weak_passphrase',
    message: string,
  ) {
    super(message);
    this.name = 'BackupError';
  }
}

function keyOf(passphrase: string, salt: Uint8Array, k: KdfParams): Promise<Uint8Array> {
  return scryptAsync(utf8(passphrase.normalize('NFKC')), salt, { N: 2 ** k.logN, r: k.r, p: k.p, dkLen: 32, maxmem: 2 ** 31 });
}

/**
 * Encrypt a backup. Throws BackupError('weak_passphrase') for a passphrase under 8 characters.
 * @example const bytes = await sealBackup(doc, passphrase, randomBytes)
 */
export async function sealBackup(doc: BackupDoc, passphrase: string, random: (n: number) => Uint8Array, kdf: KdfParams = DEFAULT_KDF): Promise<Uint8Array> {
  if (typeof passphrase !== 'string' || [...passphrase].length < 8) throw new BackupError('weak_passphrase', 'the passphrase must have at least 8 characters');
  const header = new Uint8Array(HEADER);
  header.set(MAGIC, 0);
  header.set([VERSION, KDF_SCRYPT, kdf.logN, kdf.r, kdf.p], 4);
  header.set(random(16), 9);
  header.set(random(24), 25);
  const key = await keyOf(passphrase, header.subarray(9, 25), kdf);
  const ct = xchacha20poly1305(key, header.subarray(25, 49), header).encrypt(utf8(JSON.stringify(doc)));
  const body = concat(header, ct);
  return concat(body, sha256(body));
}

/**
 * Decrypt and check a backup. BackupError('bad_backup') if the file is damaged or not a backup,
 * ('bad_passphrase') if the passphrase is wrong. Nothing else happens: the caller writes only a
 * document this returned.
 * @example const doc = await openBackup(bytes, passphrase)
 */
export async function openBackup(bytes: Uint8Array, passphrase: string): Promise<BackupDoc> {
  if (!(bytes instanceof Uint8Array) || bytes.length < HEADER + 16 + 32) throw new BackupError('bad_backup', 'this is not a BeepTrace backup (too short)');
  if (!equal(bytes.subarray(0, 4), MAGIC)) throw new BackupError('bad_backup', 'this is not a BeepTrace backup');
  const body = bytes.subarray(0, bytes.length - 32);
  if (!equal(sha256(body), bytes.subarray(bytes.length - 32))) throw new BackupError('bad_backup', 'the backup file is damaged');
  const [version, kdfId, logN, r, p] = bytes.subarray(4, 9);
  if (version !== VERSION) throw new BackupError('bad_backup', `backup format version ${version} is not supported`);
  if (kdfId !== KDF_SCRYPT || logN < 10 || logN > 20 || r < 1 || r > 32 || p < 1 || p > 16) throw new BackupError('bad_backup', 'the backup names key-derivation parameters this app does not accept');
  if (typeof passphrase !== 'string') throw new BackupError('bad_passphrase', 'no passphrase');
  const key = await keyOf(passphrase, bytes.subarray(9, 25), { logN, r, p });
  let pt: Uint8Array;
  try {
    pt = xchacha20poly1305(key, bytes.subarray(25, 49), bytes.subarray(0, HEADER)).decrypt(body.subarray(HEADER));
  } catch {
    throw new BackupError('bad_passphrase', 'wrong passphrase');
  }
  let doc: unknown;
  try {
    doc = JSON.parse(fromUtf8(pt));
  } catch {
    throw new BackupError('bad_backup', 'the backup content is not readable');
  }
  return checkDoc(doc);
}

const isInt = (v: unknown, lo = 0, hi = Number.MAX_SAFE_INTEGER) => typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;
const isHex = (v: unknown) => typeof v === 'string' && /^([0-9a-f]{2})*$/.test(v);

function checkDoc(d: unknown): BackupDoc {
  const bad = (what: string): never => {
    throw new BackupError('bad_backup', `the backup content is not valid: ${what}`);
  };
  if (typeof d !== 'object' || d === null) bad('not an object');
  const o = d as Record<string, unknown>;
  if (o.v !== 1) bad('version');
  if (!isHex(o.seed) || (o.seed as string).length !== 64) bad('seed');
  if (!isInt(o.exportedAt) || !isInt(o.keysCreated)) bad('times');
  try {
    const s = checkSettings(o.settings as Settings);
    if (!s.lang || !s.precision || !s.uploadPolicy) bad('settings');
  } catch {
    bad('settings');
  }
  if (typeof o.onboarded !== 'boolean') bad('onboarded');
  if (!Array.isArray(o.days) || !Array.isArray(o.alerts)) bad('days or alerts');
  for (const r of o.days as DayRecord[]) {
    const ok = typeof r === 'object' && r !== null && isInt(r.day) && Array.isArray(r.stays) && isInt(r.uploaded) && r.uploaded <= r.stays.length &&
      isInt(r.nextPart, 0, 256) && Array.isArray(r.pending) && Array.isArray(r.sent) && typeof r.withdrawn === 'boolean' &&
      r.pending.every((q) => isHex(q?.hex) && isHex(q?.bytes) && (q.kind === 'trace' || q.kind === 'withdrawal')) &&
      r.sent.every((s) => isHex(s?.hex) && isInt(s?.time)) &&
      r.stays.every((s) => isInt(s?.start) && isInt(s?.minutes, 1, 1440) && Math.floor(s.start / 1440) === r.day);
    if (!ok) bad(`day record ${JSON.stringify((r as { day?: unknown })?.day)}`);
  }
  if (o.watchSchedule !== undefined) {
    const ws = o.watchSchedule as { fromDay: unknown; generation: unknown }[];
    if (!Array.isArray(ws) || ws.length === 0 || ws.length > 32 || !ws.every((e) => isInt(e?.fromDay) && isInt(e?.generation))) bad('watch schedule');
  }
  for (const a of o.alerts as StoredAlert[]) if (!(isInt(a?.day) && (a.level === 'low' || a.level === 'high') && isInt(a.foundAt))) bad('alert');
  return d as BackupDoc;
}

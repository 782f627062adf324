/**
 * Role key files: a role's Ed25519 secret key at rest, encrypted with a passphrase
 * (docs/PROTOCOL.md §3.3). One format for every holder: the CA root, a diagnostician (imported
 * into the app's diagnostician mode), a solver, a validator, a venue. Pure: it runs unchanged in
 * the page, a worker and Node.
 *
 * Format (JSON, UTF-8):
 * ```json
 * { "format": "beeptrace-key/2", "role": "diagnostician", "name": "Clinic 4", "region": 1,
 *   "publicKey": "<32 bytes hex>",
 *   "kdf": { "name": "scrypt", "N": 131072, "r": 8, "p": 1, "salt": "<16 bytes hex>" },
 *   "cipher": { "name": "xchacha20-poly1305", "nonce": "<24 bytes hex>" },
 *   "secretKey": "<48 bytes hex: the 32-byte seed sealed, with its 16-byte tag>" }
 * ```
 * KDF: scrypt (RFC 7914), memory-hard; the default N = 2^17, r = 8 (128 MiB, about a second).
 * AEAD: XChaCha20-Poly1305 with AAD = the UTF-8 JSON array ["beeptrace-key/2", role, name, region
 * or null, publicKey hex], so a file whose role, name, region or public key was edited does not
 * open. A file opens only when the sealed seed derives the stated public key. Files of format
 * "beeptrace-key/1" (written before issue 18) still open; their AAD covered only role and public
 * key, so their name and region are not authenticated: seal a new file (`ca keygen`) to bind them.
 *
 * @example
 * const file = await sealKeyFile(nobleCrypto, { role: 'diagnostician', name: 'Clinic 4', region: 1, secretKey }, 'correct horse');
 * const key = await openKeyFile(nobleCrypto, file, 'correct horse'); // { role, name, region, publicKey, secretKey }
 * @module
 */
import { scryptAsync } from '@noble/hashes/scrypt.js';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import type { CryptoProvider } from './crypto.ts';
import { equal, fromHex, toHex, utf8 } from './bytes.ts';
import { InputError } from './errors.ts';

/** The format tag of a key file as written now. */
export const KEY_FILE_FORMAT = 'beeptrace-key/2';
/** The earlier format (AAD over role and public key only), still read. */
export const KEY_FILE_FORMAT_1 = 'beeptrace-key/1';

/** Roles a key file may hold. */
export const KEY_FILE_ROLES = ['root', 'diagnostician', 'solver', 'validator', 'venue'] as const;
export type KeyFileRole = (typeof KEY_FILE_ROLES)[number];

/** scrypt cost bounds a reader accepts (a file cannot make a reader spend unbounded memory). */
export const SCRYPT_LIMITS = { minLogN: 10, maxLogN: 20, maxR: 16, maxP: 4 } as const;
/** The default scrypt cost: N = 2^17, r = 8, p = 1 (128 MiB). */
export const DEFAULT_SCRYPT = { N: 2 ** 17, r: 8, p: 1 } as const;

/** A key file as stored (JSON). @example JSON.parse(text) as KeyFileJson */
export interface KeyFileJson {
  format: typeof KEY_FILE_FORMAT | typeof KEY_FILE_FORMAT_1;
  role: KeyFileRole;
  name: string;
  region?: number;
  publicKey: string;
  kdf: { name: 'scrypt'; N: number; r: number; p: number; salt: string };
  cipher: { name: 'xchacha20-poly1305'; nonce: string };
  secretKey: string;
}

/** An opened role key. @example (await openKeyFile(c, text, pass)).secretKey.length === 32 */
export interface RoleKeyMaterial {
  role: KeyFileRole;
  name: string;
  region?: number;
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

/** The AAD of a file: every public field (format 2), or role and public key only (format 1). */
function aad(f: { format: string; role: string; name: string; region?: number; publicKey: string }): Uint8Array {
  if (f.format === KEY_FILE_FORMAT_1) return utf8(`${KEY_FILE_FORMAT_1}\n${f.role}\n${f.publicKey}`);
  return utf8(JSON.stringify([f.format, f.role, f.name, f.region ?? null, f.publicKey]));
}

function kek(passphrase: string, salt: Uint8Array, k: { N: number; r: number; p: number }): Promise<Uint8Array> {
  return scryptAsync(utf8(passphrase.normalize('NFKC')), salt, { N: k.N, r: k.r, p: k.p, dkLen: 32, maxmem: 2 ** 31 });
}

/**
 * Encrypt a role's secret key with a passphrase into a key file (JSON text).
 * `scrypt` may lower the cost for tests (never below 2^10).
 * @example const text = await sealKeyFile(c, { role: 'solver', name: 'solver-1', secretKey }, pass)
 */
export async function sealKeyFile(
  c: CryptoProvider,
  key: { role: KeyFileRole; name: string; region?: number; secretKey: Uint8Array },
  passphrase: string,
  scrypt: { N: number; r: number; p: number } = DEFAULT_SCRYPT,
): Promise<string> {
  if (!(KEY_FILE_ROLES as readonly string[]).includes(key.role)) throw new TypeError(`sealKeyFile: unknown role ${JSON.stringify(key.role)}`);
  if (!(key.secretKey instanceof Uint8Array) || key.secretKey.length !== 32) throw new RangeError('sealKeyFile: the secret key must be 32 bytes');
  if (typeof passphrase !== 'string' || passphrase.length === 0) throw new TypeError('sealKeyFile: a passphrase is required');
  if (typeof key.name !== 'string') throw new TypeError('sealKeyFile: the name must be a string');
  checkCost(scrypt, 'sealKeyFile');
  const publicKey = toHex(c.ed25519PublicKey(key.secretKey));
  const salt = c.randomBytes(16);
  const nonce = c.randomBytes(24);
  const k = await kek(passphrase, salt, scrypt);
  const sealed = xchacha20poly1305(k, nonce, aad({ format: KEY_FILE_FORMAT, role: key.role, name: key.name, region: key.region, publicKey })).encrypt(key.secretKey);
  const file: KeyFileJson = {
    format: KEY_FILE_FORMAT,
    role: key.role,
    name: key.name,
    ...(key.region !== undefined ? { region: key.region } : {}),
    publicKey,
    kdf: { name: 'scrypt', N: scrypt.N, r: scrypt.r, p: scrypt.p, salt: toHex(salt) },
    cipher: { name: 'xchacha20-poly1305', nonce: toHex(nonce) },
    secretKey: toHex(sealed),
  };
  return JSON.stringify(file, null, 2) + '\n';
}

function checkCost(k: { N: number; r: number; p: number }, where: string): void {
  const logN = Math.log2(k.N);
  if (!Number.isInteger(logN) || logN < SCRYPT_LIMITS.minLogN || logN > SCRYPT_LIMITS.maxLogN) {
    throw new InputError('bad_key_file', `${where}: scrypt N must be a power of two from 2^${SCRYPT_LIMITS.minLogN} to 2^${SCRYPT_LIMITS.maxLogN}, got ${k.N}`);
  }
  if (!Number.isInteger(k.r) || k.r < 1 || k.r > SCRYPT_LIMITS.maxR) throw new InputError('bad_key_file', `${where}: scrypt r must be 1..${SCRYPT_LIMITS.maxR}, got ${k.r}`);
  if (!Number.isInteger(k.p) || k.p < 1 || k.p > SCRYPT_LIMITS.maxP) throw new InputError('bad_key_file', `${where}: scrypt p must be 1..${SCRYPT_LIMITS.maxP}, got ${k.p}`);
}

function hexField(o: Record<string, unknown>, field: string, bytes: number, where: string): Uint8Array {
  const v = o[field];
  if (typeof v !== 'string' || v.length !== bytes * 2 || !/^[0-9a-f]*$/.test(v)) {
    throw new InputError('bad_key_file', `${where}: "${field}" must be ${bytes} bytes of lowercase hex`);
  }
  return fromHex(v);
}

/**
 * Read a key file's public part without the passphrase (role, name, region, public key), checking
 * its shape. Throws InputError('bad_key_file') naming the field that is wrong.
 * @example parseKeyFile(text).role === 'diagnostician'
 */
export function parseKeyFile(text: string): KeyFileJson & { publicKeyBytes: Uint8Array } {
  const where = 'key file';
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new InputError('bad_key_file', `${where}: not JSON (${(e as Error).message})`);
  }
  if (!o || typeof o !== 'object' || Array.isArray(o)) throw new InputError('bad_key_file', `${where}: must be a JSON object`);
  if (o.format !== KEY_FILE_FORMAT && o.format !== KEY_FILE_FORMAT_1) throw new InputError('bad_key_file', `${where}: "format" must be "${KEY_FILE_FORMAT}" (or the earlier "${KEY_FILE_FORMAT_1}"), got ${JSON.stringify(o.format)}`);
  if (!(KEY_FILE_ROLES as readonly unknown[]).includes(o.role)) throw new InputError('bad_key_file', `${where}: "role" must be one of ${KEY_FILE_ROLES.join(', ')}, got ${JSON.stringify(o.role)}`);
  if (typeof o.name !== 'string' || o.name.length > 200) throw new InputError('bad_key_file', `${where}: "name" must be a string of at most 200 characters`);
  if (o.region !== undefined && (!Number.isInteger(o.region) || (o.region as number) < 0 || (o.region as number) > 0xffff)) {
    throw new InputError('bad_key_file', `${where}: "region" must be an integer 0..65535`);
  }
  const publicKeyBytes = hexField(o, 'publicKey', 32, where);
  hexField(o, 'secretKey', 48, where);
  const kdf = o.kdf as Record<string, unknown> | undefined;
  if (!kdf || kdf.name !== 'scrypt') throw new InputError('bad_key_file', `${where}: "kdf.name" must be "scrypt"`);
  checkCost({ N: kdf.N as number, r: kdf.r as number, p: kdf.p as number }, where);
  hexField(kdf, 'salt', 16, `${where} kdf`);
  const cipher = o.cipher as Record<string, unknown> | undefined;
  if (!cipher || cipher.name !== 'xchacha20-poly1305') throw new InputError('bad_key_file', `${where}: "cipher.name" must be "xchacha20-poly1305"`);
  hexField(cipher, 'nonce', 24, `${where} cipher`);
  return { ...(o as unknown as KeyFileJson), publicKeyBytes };
}

/**
 * Decrypt a key file. Throws InputError with code `bad_key_file` (malformed, or the seed does not
 * match the stated public key) or `wrong_passphrase`.
 * @example const { secretKey, publicKey, role } = await openKeyFile(c, text, pass)
 */
export async function openKeyFile(c: CryptoProvider, text: string, passphrase: string): Promise<RoleKeyMaterial> {
  const f = parseKeyFile(text);
  if (typeof passphrase !== 'string') throw new TypeError('openKeyFile: the passphrase must be a string');
  const k = await kek(passphrase, fromHex(f.kdf.salt), f.kdf);
  let secretKey: Uint8Array;
  try {
    secretKey = xchacha20poly1305(k, fromHex(f.cipher.nonce), aad(f)).decrypt(fromHex(f.secretKey));
  } catch {
    throw new InputError('wrong_passphrase', 'the passphrase does not open this key file (or the file was altered)');
  }
  const publicKey = c.ed25519PublicKey(secretKey);
  if (!equal(publicKey, f.publicKeyBytes)) throw new InputError('bad_key_file', 'key file: the secret key does not match "publicKey"');
  return { role: f.role, name: f.name, ...(f.region !== undefined ? { region: f.region } : {}), publicKey, secretKey };
}

/**
 * The device's identity: its seed, created on first run and kept only in this browser's
 * IndexedDB (never sent anywhere). Everything else — day keys, pseudonyms, the watch key — is
 * derived from it by src/core/keys.ts.
 *
 * @example
 * const store = await openIdbStore('beeptrace');
 * const device = await loadDevice(store, nobleCrypto);
 * device.pseudonymToday(Date.now())
 * @module
 */
import type { BlockStore } from '../core/store.ts';
import type { CryptoProvider } from '../core/crypto.ts';
import { UserKeys, pseudonym } from '../core/keys.ts';
import { toHex } from '../core/bytes.ts';
import { dayOfMs } from '../core/types.ts';

const SEED_KEY = 'device/seed';
const CREATED_KEY = 'device/created';

export interface Device {
  keys: UserKeys;
  /** When this device's seed was created (ms). */
  created: number;
  /** Today's pseudonym (hex), which changes at every UTC midnight. */
  pseudonymToday(nowMs: number): string;
}

/** Load the seed from the store, or create and persist one. @example await loadDevice(store, nobleCrypto) */
export async function loadDevice(store: BlockStore, c: CryptoProvider, nowMs = Date.now()): Promise<Device> {
  let seed = await store.getValue(SEED_KEY);
  let created = await store.getValue(CREATED_KEY);
  if (!seed || seed.length !== 32) {
    seed = c.randomBytes(32);
    created = new TextEncoder().encode(String(nowMs));
    await store.setValue(SEED_KEY, seed);
    await store.setValue(CREATED_KEY, created);
  }
  const keys = new UserKeys(c, seed);
  return {
    keys,
    created: Number(new TextDecoder().decode(created ?? new Uint8Array())) || nowMs,
    pseudonymToday: (ms) => toHex(pseudonym(c, keys.daySigning(dayOfMs(ms)).publicKey)),
  };
}

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
import { UserKeys, pseudonym, type WatchEpoch } from '../core/keys.ts';
import { toHex } from '../core/bytes.ts';
import { dayOfMs } from '../core/types.ts';

/** Store key of the device's 32-byte seed. */
export const SEED_KEY = 'device/seed';
/** Store key of the seed's creation time (decimal ms, UTF-8). */
export const CREATED_KEY = 'device/created';
/** Store key of the watch schedule (JSON `[{ fromDay, generation }]`, PROTOCOL §13.2); absent = never rotated. */
export const WATCH_SCHEDULE_KEY = 'device/watch-schedule';

/** Read the device's watch schedule (default: generation 0 from day 0). @example await loadWatchSchedule(store) */
export async function loadWatchSchedule(store: BlockStore): Promise<WatchEpoch[]> {
  const raw = await store.getValue(WATCH_SCHEDULE_KEY);
  if (!raw) return [{ fromDay: 0, generation: 0 }];
  const v = JSON.parse(new TextDecoder().decode(raw)) as WatchEpoch[];
  if (!Array.isArray(v) || v.length === 0 || !v.every((e) => Number.isInteger(e?.fromDay) && Number.isInteger(e?.generation))) {
    throw new Error('loadDevice: the stored watch schedule is not valid; refusing to guess (it decides which guardians see which days)');
  }
  return v;
}

/** Keep the device's watch schedule (one atomic write). @example await saveWatchSchedule(store, rotateWatch(old, today)) */
export async function saveWatchSchedule(store: BlockStore, schedule: readonly WatchEpoch[]): Promise<void> {
  await store.setValue(WATCH_SCHEDULE_KEY, new TextEncoder().encode(JSON.stringify(schedule)));
}

export interface Device {
  keys: UserKeys;
  /** When this device's seed was created (ms). */
  created: number;
  /** Today's pseudonym (hex), which changes at every UTC midnight. */
  pseudonymToday(nowMs: number): string;
}

/**
 * Load the seed from the store, or create and persist one. The seed is created with the store's
 * atomic get-or-create (one IndexedDB readwrite transaction), so two tabs opening a fresh
 * database at once end up with the same seed.
 * @example await loadDevice(store, nobleCrypto)
 */
export async function loadDevice(store: BlockStore, c: CryptoProvider, nowMs = Date.now()): Promise<Device> {
  const seed = await store.getOrCreateValue(SEED_KEY, () => c.randomBytes(32));
  if (seed.length !== 32) throw new Error(`loadDevice: the stored seed has ${seed.length} bytes, not 32; refusing to replace it`);
  const created = await store.getOrCreateValue(CREATED_KEY, () => new TextEncoder().encode(String(nowMs)));
  const keys = new UserKeys(c, seed, await loadWatchSchedule(store));
  return {
    keys,
    created: Number(new TextDecoder().decode(created)) || nowMs,
    pseudonymToday: (ms) => toHex(pseudonym(c, keys.daySigning(dayOfMs(ms)).publicKey)),
  };
}

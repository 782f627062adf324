/**
 * The user's key schedule (docs/PROTOCOL.md §Keys, DESIGN §3).
 *
 *   seed (32 random bytes, never leaves the device unless the user hands it to a guardian)
 *   ├─ day signing key(d)   = HKDF(seed, "day-sign" ‖ d)          → Ed25519; pseudonym(d) = H(pub)[0..16]
 *   ├─ day ephemeral key(d) = HKDF(seed, "day-ephemeral" ‖ d)     → X25519, one per pseudonym-day
 *   └─ watch key, generation g = HKDF(seed, "watch") for g = 0, HKDF(seed, "watch" ‖ g) for g ≥ 1
 *        └─ notification secret n_d = HKDF(watch_g(d), "notify" ‖ d); tag(d) = H("…/tag/v1" ‖ n_d)
 *
 * The watch schedule says which generation is in force from which day (PROTOCOL §13.2): ending
 * a guardian's access rotates the watch key for future days, so the old key names no new day.
 *
 * Every HKDF uses salt "BeepTrace/v1" and a distinct info label, so keys of different purposes
 * and days are independent. Day keys of different days cannot be linked without the seed; a
 * holder of the watch key (a guardian) can compute tags for every day but cannot sign as the user.
 *
 * @example
 * const keys = new UserKeys(c, seed);
 * const { publicKey } = keys.daySigning(day);
 * const p = pseudonym(c, publicKey);
 * @module
 */
import { hkdf, type CryptoProvider } from './crypto.ts';
import { abytes, concat, u32be, utf8 } from './bytes.ts';
import type { Day } from './types.ts';

const SALT = utf8('BeepTrace/v1');
const L_DAY_SIGN = utf8('day-sign');
const L_DAY_EPH = utf8('day-ephemeral');
const L_WATCH = utf8('watch');
const L_NOTIFY = utf8('notify');
const L_TAG = utf8('BeepTrace/notification-tag/v1');
const L_PSEUDONYM = utf8('BeepTrace/pseudonym/v1');

/** Length of a pseudonym (TraceCode prefix) in bytes. */
export const PSEUDONYM_BYTES = 16;

function checkDay(day: Day): Day {
  if (!Number.isInteger(day) || day < 0 || day > 0xffffffff) throw new RangeError(`day ${day} is not a UTC day number`);
  return day;
}

/** A key pair: 32-byte secret and 32-byte public key. */
export interface KeyPair {
  secretKey: Uint8Array;
  publicKey: Uint8Array;
}

/**
 * Everything derived from a user's seed. Derivations are cached per day.
 * @example const k = new UserKeys(nobleCrypto, seed); k.notificationSecret(20500)
 */
export class UserKeys {
  /** The watch keys in force by day: the tag source of the user's own self-match. */
  readonly watch: WatchSchedule;
  private signCache = new Map<Day, KeyPair>();
  /**
   * @param schedule which watch-key generation is in force from which day (default: generation
   *   0 from day 0, the schedule of a user who never rotated). See {@link WatchSchedule}.
   */
  constructor(
    readonly c: CryptoProvider,
    readonly seed: Uint8Array,
    schedule: readonly WatchEpoch[] = [{ fromDay: 0, generation: 0 }],
  ) {
    abytes(seed, 32, 'seed');
    this.watch = new WatchSchedule(
      schedule.map((e) => ({ fromDay: e.fromDay, keys: new WatchKeys(c, watchKeyOf(c, seed, e.generation), e.generation) })),
    );
  }
  /** The watch key of generation `g` (what a guardian is handed). @example keys.watchKey(0).length === 32 */
  watchKey(generation: number): Uint8Array {
    return watchKeyOf(this.c, this.seed, generation);
  }
  /** Ed25519 key pair of day `day`; its public key is that day's identity on the tracing chain. */
  daySigning(day: Day): KeyPair {
    let kp = this.signCache.get(checkDay(day));
    if (!kp) {
      const secretKey = hkdf(this.c, this.seed, SALT, concat(L_DAY_SIGN, u32be(day)), 32);
      kp = { secretKey, publicKey: this.c.ed25519PublicKey(secretKey) };
      this.signCache.set(day, kp);
    }
    return kp;
  }
  /** X25519 ephemeral key pair of day `day` (one per pseudonym-day, shared by all parts of that day). */
  dayEphemeral(day: Day): KeyPair {
    const secretKey = hkdf(this.c, this.seed, SALT, concat(L_DAY_EPH, u32be(checkDay(day))), 32);
    return { secretKey, publicKey: this.c.x25519PublicKey(secretKey) };
  }
  /** Notification secret n_d of day `day` under the generation in force that day (what the trace batch carries, sealed, to the solver). */
  notificationSecret(day: Day): Uint8Array {
    return this.watch.notificationSecret(day);
  }
}

/** The watch key of generation `g` from a seed (PROTOCOL §3.1, §13.2). */
function watchKeyOf(c: CryptoProvider, seed: Uint8Array, generation: number): Uint8Array {
  if (!Number.isInteger(generation) || generation < 0 || generation > 0xffffffff) throw new RangeError(`watch key generation ${generation} is not a u32`);
  return hkdf(c, seed, SALT, generation === 0 ? L_WATCH : concat(L_WATCH, u32be(generation)), 32);
}

/** One entry of a watch schedule: generation `generation` is in force from day `fromDay` on. */
export interface WatchEpoch {
  fromDay: Day;
  generation: number;
}

/** Anything that yields the user's notification tag for a day, or null for a day it does not cover. */
export interface TagSource {
  tag(day: Day): Uint8Array | null;
}

/**
 * The watch keys of a user by day: entry i covers days [fromDay_i, fromDay_{i+1}). Entries must
 * start at day 0 (for the user's own schedule) or at the first day a guardian was given, with
 * strictly increasing days and generations (RangeError otherwise).
 * @example new WatchSchedule([{ fromDay: 0, keys: new WatchKeys(c, w0) }]).tag(20500)
 */
export class WatchSchedule implements TagSource {
  constructor(readonly entries: readonly { fromDay: Day; keys: WatchKeys }[]) {
    if (entries.length === 0) throw new RangeError('a watch schedule needs at least one entry');
    for (let i = 1; i < entries.length; i++) {
      if (!(entries[i].fromDay > entries[i - 1].fromDay)) throw new RangeError('watch schedule: days must strictly increase');
      if (!(entries[i].keys.generation > entries[i - 1].keys.generation)) throw new RangeError('watch schedule: generations must strictly increase');
    }
  }
  /** The watch keys in force on `day`, or null before the first entry. */
  at(day: Day): WatchKeys | null {
    checkDay(day);
    for (let i = this.entries.length - 1; i >= 0; i--) if (day >= this.entries[i].fromDay) return this.entries[i].keys;
    return null;
  }
  /** n_d under the generation in force on `day` (RangeError for a day before the schedule). */
  notificationSecret(day: Day): Uint8Array {
    const k = this.at(day);
    if (!k) throw new RangeError(`day ${day} is before this watch schedule`);
    return k.notificationSecret(day);
  }
  tag(day: Day): Uint8Array | null {
    return this.at(day)?.tag(day) ?? null;
  }
}

/**
 * What a guardian holds: it can compute the user's notification secrets and tags for every day,
 * but not the day signing keys (it cannot publish or sign as the user).
 * @example new WatchKeys(c, watchKey).tag(day)
 */
export class WatchKeys implements TagSource {
  constructor(
    readonly c: CryptoProvider,
    readonly watchKey: Uint8Array,
    /** The generation of this watch key (0 unless rotated, PROTOCOL §13.2). */
    readonly generation = 0,
  ) {
    abytes(watchKey, 32, 'watch key');
  }
  notificationSecret(day: Day): Uint8Array {
    return hkdf(this.c, this.watchKey, SALT, concat(L_NOTIFY, u32be(checkDay(day))), 32);
  }
  /** The user's notification tag for exposure day `day`. */
  tag(day: Day): Uint8Array {
    return notificationTag(this.c, this.notificationSecret(day));
  }
}

/** Tag t = SHA-256("BeepTrace/notification-tag/v1" ‖ n_d). @example notificationTag(c, nd) */
export function notificationTag(c: CryptoProvider, nd: Uint8Array): Uint8Array {
  return c.sha256(concat(L_TAG, abytes(nd, 32, 'notification secret')));
}

/** Pseudonym (TraceCode prefix) of a day public key: first 16 bytes of SHA-256(label ‖ pub). @example pseudonym(c, pub) */
export function pseudonym(c: CryptoProvider, dayPublicKey: Uint8Array): Uint8Array {
  return c.sha256(concat(L_PSEUDONYM, abytes(dayPublicKey, 32, 'day public key'))).subarray(0, PSEUDONYM_BYTES);
}

/** A fresh random 32-byte seed. @example const seed = newSeed(c) */
export function newSeed(c: CryptoProvider): Uint8Array {
  return c.randomBytes(32);
}

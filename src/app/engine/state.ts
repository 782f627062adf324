/**
 * What the app engine keeps in the store's key–value space, and how (docs/APP.md §Engine storage).
 * Every key is one JSON document (UTF-8) written by one `setValue`, so each write is atomic:
 *
 * - `app/settings` — Settings; `app/onboarded` — `true` once the first run is done;
 * - `app/recording` — `{ on, lastFixAt, recorder }` (the recorder snapshot keeps the open stay);
 * - `app/days` — the UTC days that have a record; `app/day/<day>` — one `DayRecord`: the day's
 *   closed stays, how many of them are sealed, the next AEAD part number, sealed blocks not yet
 *   handed to the node, blocks handed to it, and whether the day was withdrawn. Keeping them in
 *   one document makes "stays sealed" and "blocks queued" one write: nothing lost, nothing twice;
 * - `app/alerts` — exposures found; `app/exposure` — when the chain was last checked.
 *
 * The device seed stays where src/app/device.ts keeps it (`device/seed`, `device/created`).
 *
 * @example
 * const rec = await readDay(store, 20500); rec.stays.push(stay); await writeDay(store, rec);
 * @module
 */
import type { BlockStore } from '../../core/store.ts';
import { fromUtf8, utf8 } from '../../core/bytes.ts';
import type { Day, RiskLevel, Stay } from '../../core/types.ts';
import type { RecorderSnapshot } from '../../core/recorder.ts';
import type { Settings } from '../protocol.ts';

/** Store keys of the engine. @example K.day(20500) === 'app/day/20500' */
export const K = {
  settings: 'app/settings',
  onboarded: 'app/onboarded',
  recording: 'app/recording',
  days: 'app/days',
  alerts: 'app/alerts',
  exposure: 'app/exposure',
  day: (d: Day) => `app/day/${d}`,
} as const;

/** A sealed block of this device's: its id (hex) and bytes (hex). @example { hex: 'ab…', bytes: '01…', kind: 'trace' } */
export interface QueuedBlock {
  hex: string;
  bytes: string;
  kind: 'trace' | 'withdrawal';
}

/** A block handed to the node: its id (hex) and block time (seconds). @example { hex: 'ab…', time: 1772500000, kind: 'trace' } */
export interface SentBlock {
  hex: string;
  time: number;
  kind: 'trace' | 'withdrawal';
}

/** Everything the device holds for one UTC day. @example (await readDay(store, 20500)).nextPart */
export interface DayRecord {
  day: Day;
  /** Closed stays, in time order (local only; deleted by 'delete-day'). */
  stays: Stay[];
  /** stays[0 … uploaded) are sealed into trace batches. */
  uploaded: number;
  /** Next unused AEAD part number of this pseudonym-day (persisted before sealing). */
  nextPart: number;
  /** Sealed, not yet handed to the node. */
  pending: QueuedBlock[];
  /** Handed to the node (kept by its outbox, or added to its ledger). */
  sent: SentBlock[];
  withdrawn: boolean;
  /** When stays of this day were last sealed (ms), null if never. */
  lastSealAt: number | null;
}

/** An exposure as kept: the advice text is looked up when shown (language may change). @example { day: 20500, level: 'high', foundAt: 1772500000000 } */
export interface StoredAlert {
  day: Day;
  level: Exclude<RiskLevel, 'none'>;
  foundAt: number;
}

/** The recording document (`app/recording`). @example { on: true, lastFixAt: null, recorder: rec.snapshot() } */
export interface RecordingDoc {
  on: boolean;
  lastFixAt: number | null;
  recorder: RecorderSnapshot | null;
}

/** A fresh record of `day`. @example emptyDay(20500).nextPart === 0 */
export function emptyDay(day: Day): DayRecord {
  return { day, stays: [], uploaded: 0, nextPart: 0, pending: [], sent: [], withdrawn: false, lastSealAt: null };
}

/** Read a JSON document, or `fallback` if there is none. @example await readJson(store, K.days, []) */
export async function readJson<T>(store: BlockStore, key: string, fallback: T): Promise<T> {
  const v = await store.getValue(key);
  if (!v) return fallback;
  try {
    return JSON.parse(fromUtf8(v)) as T;
  } catch {
    throw new Error(`engine store: the document at "${key}" is not valid JSON`);
  }
}

/** Write a JSON document (one atomic write). @example await writeJson(store, K.settings, settings) */
export function writeJson(store: BlockStore, key: string, value: unknown): Promise<void> {
  return store.setValue(key, utf8(JSON.stringify(value)));
}

/** The record of `day` (empty if none). @example await readDay(store, 20500) */
export async function readDay(store: BlockStore, day: Day): Promise<DayRecord> {
  return { ...emptyDay(day), ...(await readJson<Partial<DayRecord>>(store, K.day(day), {})), day };
}

/** Days with a record, ascending. @example await listDays(store) */
export async function listDays(store: BlockStore): Promise<Day[]> {
  return (await readJson<Day[]>(store, K.days, [])).slice().sort((a, b) => a - b);
}

/**
 * Write a day record; the day is added to the index first (an indexed day without a record reads
 * as empty, so a crash between the two writes loses nothing).
 * @example await writeDay(store, rec)
 */
export async function writeDay(store: BlockStore, rec: DayRecord): Promise<void> {
  const days = await listDays(store);
  if (!days.includes(rec.day)) await writeJson(store, K.days, [...days, rec.day].sort((a, b) => a - b));
  await writeJson(store, K.day(rec.day), rec);
}

/** Default settings of a new device. @example DEFAULT_SETTINGS.precision === '10m' */
export const DEFAULT_SETTINGS: Settings = { precision: '10m', uploadPolicy: 'asap', lang: 'en' };

/** A strict check of settings from a view or a backup; throws TypeError naming the field. @example checkSettings({ lang: 'de' }) */
export function checkSettings(s: Partial<Settings>): Partial<Settings> {
  if (typeof s !== 'object' || s === null) throw new TypeError('settings must be an object');
  const out: Partial<Settings> = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === 'precision' && (v === 'exact' || v === '10m' || v === '100m')) out.precision = v;
    else if (k === 'uploadPolicy' && (v === 'asap' || v === 'charging-wifi')) out.uploadPolicy = v;
    else if (k === 'lang' && (v === 'en' || v === 'de' || v === 'ar')) out.lang = v;
    else if (k === 'elder' && typeof v === 'boolean') out.elder = v;
    else throw new TypeError(`settings.${k}: ${JSON.stringify(v)} is not allowed`);
  }
  return out;
}

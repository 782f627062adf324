/**
 * "My data" on the store side: what a backup holds, restoring one, and deleting the database.
 * The caller holds the engine's lock for `collectBackup` and `restoreBackup`.
 *
 * @example
 * const doc = await collectBackup(ctx, { settings, onboarded, keysCreated, alerts });
 * await restoreBackup(ctx.store, doc); // after openBackup() checked it
 * @module
 */
import type { BlockStore } from '../../core/store.ts';
import { fromHex, toHex } from '../../core/bytes.ts';
import { dayOfMs } from '../../core/types.ts';
import type { Settings } from '../protocol.ts';
import { CREATED_KEY, SEED_KEY, saveWatchSchedule } from '../device.ts';
import type { EngineCtx } from './context.ts';
import type { BackupDoc } from './backup.ts';
import { K, listDays, readDay, readJson, writeDay, writeJson, type RecordingDoc, type StoredAlert } from './state.ts';

/** Part numbers a restored backup skips on the days it was exported (the old phone may go on recording them). @example IMPORT_PART_MARGIN === 16 */
export const IMPORT_PART_MARGIN = 16;

/** Everything a backup holds, read from the store. @example await collectBackup(ctx, { settings, onboarded, keysCreated: 0, alerts: [] }) */
export async function collectBackup(
  ctx: EngineCtx,
  o: { settings: Settings; onboarded: boolean; keysCreated: number; alerts: StoredAlert[] },
): Promise<BackupDoc> {
  const days = [];
  for (const d of await listDays(ctx.store)) days.push(await readDay(ctx.store, d));
  return {
    v: 1, exportedAt: ctx.now(), seed: toHex(ctx.keys.seed), keysCreated: o.keysCreated, settings: { ...o.settings }, onboarded: o.onboarded,
    recording: await readJson<RecordingDoc | null>(ctx.store, K.recording, null), days, alerts: o.alerts,
    watchSchedule: ctx.keys.watch.entries.map((e) => ({ fromDay: e.fromDay, generation: e.keys.generation })),
  };
}

/**
 * Replace the device's day records, alerts, settings and seed with a checked backup's. Part
 * counters of the export day and later (and the day before) skip `IMPORT_PART_MARGIN` numbers.
 * @example await restoreBackup(store, await openBackup(bytes, passphrase))
 */
export async function restoreBackup(store: BlockStore, doc: BackupDoc): Promise<void> {
  const exportDay = dayOfMs(doc.exportedAt);
  for (const d of await listDays(store)) await store.deleteValue(K.day(d));
  await writeJson(store, K.days, []);
  for (const rec of doc.days) {
    const margin = rec.day >= exportDay - 1 ? IMPORT_PART_MARGIN : 0;
    await writeDay(store, { ...rec, nextPart: Math.min(256, rec.nextPart + margin) });
  }
  await writeJson(store, K.alerts, doc.alerts);
  await writeJson(store, K.settings, doc.settings);
  await writeJson(store, K.onboarded, doc.onboarded);
  await store.setValue(SEED_KEY, fromHex(doc.seed));
  await saveWatchSchedule(store, doc.watchSchedule ?? [{ fromDay: 0, generation: 0 }]);
  await store.setValue(CREATED_KEY, new TextEncoder().encode(String(doc.keysCreated)));
}

/**
 * Delete an IndexedDB database (its connections must be closed, or close on 'versionchange').
 * @example await deleteDatabase(indexedDB, 'beeptrace')
 */
export function deleteDatabase(factory: IDBFactory, name: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const r = factory.deleteDatabase(name);
    r.onsuccess = () => resolve();
    r.onerror = () => reject(new Error(`deleting the database failed: ${r.error?.message}`));
  });
}

/**
 * `BlockStore` on IndexedDB (browsers), through the `idb` wrapper. Browser code: no Node imports.
 *
 * Schema (version 1):
 * - `blocks`: records `{ idhex, chain, time, kind, bytes }`, key path `idhex` (lower-case hex of
 *   the id, so string order equals id byte order). Index `order` on
 *   `[chain, time, idhex, kind]`: the (chain, time, id) order the contract asks for, with `kind`
 *   appended so that listing and pruning walk index *keys* only (key cursors) and never load a
 *   block body.
 * - `values`: out-of-line string keys → Uint8Array.
 *
 * `putBlock` uses a `durability: 'strict'` transaction and resolves when it commits.
 *
 * @example
 * const store = await openIdbStore('beeptrace');
 * await store.putBlock({ id, chain: Chain.NOTIFICATION, time, kind }, bytes);
 * @module
 */
import { wrap, type DBSchema, type IDBPDatabase } from 'idb';
import type { BlockMeta, BlockStore } from '../core/store.ts';
import type { ChainId } from '../core/types.ts';
import { fromHex, toHex } from '../core/bytes.ts';
import { checkBound, checkChain, checkId, checkKey, checkPut, checkValue } from './memory-store.ts';

interface BlockRecord {
  idhex: string;
  chain: ChainId;
  time: number;
  kind: number;
  bytes: Uint8Array;
}

interface Schema extends DBSchema {
  blocks: { key: string; value: BlockRecord; indexes: { order: [number, number, string, number] } };
  values: { key: string; value: Uint8Array };
}

type OrderKey = [ChainId, number, string, number];

/**
 * A `BlockStore` backed by one IndexedDB database. Create it with `openIdbStore`.
 * @example
 * const store = await openIdbStore('beeptrace');
 * const n = await store.countBlocks(Chain.TRACING);
 */
export class IdbStore implements BlockStore {
  private closed = false;

  /** Use `openIdbStore`. @example new IdbStore(await openDB('x', 1, { upgrade })) */
  constructor(private readonly db: IDBPDatabase<Schema>) {}

  /** The IndexedDB database's name (to delete it: `indexedDB.deleteDatabase(store.name)` after `close()`). */
  get name(): string {
    return this.db.name;
  }

  private use(where: string): IDBPDatabase<Schema> {
    if (this.closed) throw new Error(`IdbStore.${where}: store is closed`);
    return this.db;
  }

  /** Index range of one chain with lowerTime ≤ time < upperTime (±Infinity allowed). */
  private chainRange(chain: ChainId, lowerTime: number, upperTime: number): IDBKeyRange | undefined {
    if (!(lowerTime < upperTime)) return undefined;
    // [chain, t] sorts before every [chain, t, idhex, kind]; an array sorts after every number.
    const lower = lowerTime === -Infinity ? [chain] : [chain, lowerTime];
    const upper = upperTime === Infinity ? [chain, []] : [chain, upperTime];
    return IDBKeyRange.bound(lower, upper, false, true);
  }

  async putBlock(meta: BlockMeta, bytes: Uint8Array): Promise<void> {
    const db = this.use('putBlock');
    const m = checkPut(meta, bytes, 'IdbStore.putBlock');
    const idhex = toHex(m.id);
    const tx = db.transaction('blocks', 'readwrite', { durability: 'strict' });
    // slice(): a subarray view would otherwise clone its whole underlying ArrayBuffer.
    const rec: BlockRecord = { idhex, chain: m.chain, time: m.time, kind: m.kind, bytes: bytes.slice() };
    if ((await tx.store.getKey(idhex)) === undefined) await tx.store.add(rec);
    await tx.done;
  }

  async getBlock(id: Uint8Array): Promise<Uint8Array | undefined> {
    const db = this.use('getBlock');
    const rec = await db.get('blocks', toHex(checkId(id, 'IdbStore.getBlock')));
    return rec === undefined ? undefined : new Uint8Array(rec.bytes);
  }

  async hasBlock(id: Uint8Array): Promise<boolean> {
    const db = this.use('hasBlock');
    return (await db.getKey('blocks', toHex(checkId(id, 'IdbStore.hasBlock')))) !== undefined;
  }

  async listBlocks(chain: ChainId, fromTime: number, toTime: number): Promise<BlockMeta[]> {
    const db = this.use('listBlocks');
    checkChain(chain, 'IdbStore.listBlocks');
    const range = this.chainRange(chain, checkBound(fromTime, 'IdbStore.listBlocks fromTime'), checkBound(toTime, 'IdbStore.listBlocks toTime'));
    if (range === undefined) return [];
    const out: BlockMeta[] = [];
    const tx = db.transaction('blocks', 'readonly');
    for (let c = await tx.store.index('order').openKeyCursor(range); c; c = await c.continue()) {
      const [ch, time, idhex, kind] = c.key as OrderKey;
      out.push({ id: fromHex(idhex), chain: ch, time, kind });
    }
    await tx.done;
    return out;
  }

  async countBlocks(chain?: ChainId): Promise<number> {
    const db = this.use('countBlocks');
    if (chain === undefined) return db.count('blocks');
    const range = this.chainRange(checkChain(chain, 'IdbStore.countBlocks'), -Infinity, Infinity);
    return db.countFromIndex('blocks', 'order', range);
  }

  async deleteBlocksBefore(chain: ChainId, time: number): Promise<number> {
    const db = this.use('deleteBlocksBefore');
    checkChain(chain, 'IdbStore.deleteBlocksBefore');
    const range = this.chainRange(chain, -Infinity, checkBound(time, 'IdbStore.deleteBlocksBefore time'));
    if (range === undefined) return 0;
    const tx = db.transaction('blocks', 'readwrite', { durability: 'strict' });
    let n = 0;
    // Key cursor on the index: only [chain, time, idhex, kind] and the primary key are read.
    for (let c = await tx.store.index('order').openKeyCursor(range); c; c = await c.continue()) {
      tx.store.delete(c.primaryKey).catch(() => undefined); // a failure aborts tx: tx.done rejects
      n++;
    }
    await tx.done;
    return n;
  }

  async getValue(key: string): Promise<Uint8Array | undefined> {
    const db = this.use('getValue');
    const v = await db.get('values', checkKey(key, 'IdbStore.getValue'));
    return v === undefined ? undefined : new Uint8Array(v);
  }

  async setValue(key: string, value: Uint8Array): Promise<void> {
    const db = this.use('setValue');
    checkKey(key, 'IdbStore.setValue');
    const tx = db.transaction('values', 'readwrite', { durability: 'strict' });
    await tx.store.put(checkValue(value, 'IdbStore.setValue').slice(), key);
    await tx.done;
  }

  /**
   * Read `key` and, if it is missing, store `create()` — in one readwrite transaction, so two tabs
   * opening the database at once cannot both create a value (IndexedDB runs readwrite transactions
   * on the same store one after the other). `create` must be synchronous: the transaction would
   * commit while it awaited.
   * @example const seed = await store.getOrCreateValue('device/seed', () => c.randomBytes(32));
   */
  async getOrCreateValue(key: string, create: () => Uint8Array): Promise<Uint8Array> {
    const db = this.use('getOrCreateValue');
    checkKey(key, 'IdbStore.getOrCreateValue');
    const tx = db.transaction('values', 'readwrite', { durability: 'strict' });
    const old = await tx.store.get(key);
    let value: Uint8Array;
    if (old !== undefined) value = new Uint8Array(old);
    else {
      value = checkValue(create(), 'IdbStore.getOrCreateValue').slice();
      await tx.store.put(value.slice(), key);
    }
    await tx.done;
    return value;
  }

  async deleteValue(key: string): Promise<void> {
    const db = this.use('deleteValue');
    await db.delete('values', checkKey(key, 'IdbStore.deleteValue'));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }
}

/**
 * Open (creating if needed) the IndexedDB database `name` as a `BlockStore`.
 * `idbFactory` defaults to the global `indexedDB`. The `idb` wrapper recognises requests, cursors
 * and key ranges through the IndexedDB *globals* (`IDBRequest`, `IDBKeyRange`, …), so a factory
 * must come from the same implementation as those globals: in Node, `import 'fake-indexeddb/auto'`
 * first (a `new IDBFactory()` from fake-indexeddb then gives an isolated set of databases).
 *
 * @example
 * import 'fake-indexeddb/auto';
 * import { indexedDB } from 'fake-indexeddb';
 * const store = await openIdbStore('test-db', indexedDB);
 */
export async function openIdbStore(name: string, idbFactory: IDBFactory | undefined = globalThis.indexedDB): Promise<IdbStore> {
  if (typeof name !== 'string' || name === '') throw new TypeError(`openIdbStore: name must be a non-empty string, got ${JSON.stringify(name)}`);
  if (!idbFactory) throw new Error('openIdbStore: no IndexedDB here (globalThis.indexedDB is undefined); pass an IDBFactory');
  if (typeof IDBRequest === 'undefined' || typeof IDBKeyRange === 'undefined') {
    throw new Error("openIdbStore: the IndexedDB globals (IDBRequest, IDBKeyRange, …) are missing; in Node import 'fake-indexeddb/auto'");
  }
  // idb's openDB always uses the global indexedDB; open through the given factory and wrap instead.
  const request = idbFactory.open(name, 1);
  request.onupgradeneeded = () => {
    const db = request.result;
    const blocks = db.createObjectStore('blocks', { keyPath: 'idhex' });
    blocks.createIndex('order', ['chain', 'time', 'idhex', 'kind'], { unique: false });
    db.createObjectStore('values');
  };
  const db = (await wrap(request)) as unknown as IDBPDatabase<Schema>;
  const store = new IdbStore(db);
  // Another tab deleting the database ("Erase everything") must not wait for this connection:
  // close it; later calls then fail with "store is closed".
  db.addEventListener('versionchange', () => void store.close());
  return store;
}

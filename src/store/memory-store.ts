/**
 * In-memory `BlockStore` for tests and simulation, plus the argument checks and ordering that
 * all three adapters (memory, IndexedDB, segment files) share so they behave identically.
 *
 * Shared rules (enforced by every adapter through the helpers below):
 * - `id`: a 32-byte Uint8Array (TypeError if not a Uint8Array, RangeError if another length).
 * - `chain`: 1 (tracing) or 2 (notification); `kind`: integer 0..255 (the wire's u8).
 * - `time`: integer milliseconds in [0, MAX_TIME) (years 1970–9999).
 * - `listBlocks`/`deleteBlocksBefore` bounds: any number but NaN (±Infinity allowed).
 * - value keys: well-formed strings of 1..MAX_KEY_BYTES UTF-8 bytes.
 * - `putBlock` of an id already stored is a no-op, even with different meta (first write wins).
 * - Every returned Uint8Array is a fresh copy; inputs are copied before being kept.
 * - After `close()` every method rejects with an Error naming the store.
 * @module
 */
import type { BlockMeta, BlockStore } from '../core/store.ts';
import type { ChainId } from '../core/types.ts';
import { compare, fromUtf8, toHex, utf8 } from '../core/bytes.ts';

/** Exclusive upper bound of block times: 10000-01-01T00:00Z in ms. @example checkMeta({ ...m, time: MAX_TIME }) // throws RangeError */
export const MAX_TIME = 253_402_300_800_000;
/** Longest value key, in UTF-8 bytes (the file store hex-encodes keys into file names). @example 'seed'.length <= MAX_KEY_BYTES */
export const MAX_KEY_BYTES = 120;

/** Check a block id: 32-byte Uint8Array. Returns it. @example checkId(new Uint8Array(32), 'getBlock') */
export function checkId(id: unknown, where: string): Uint8Array {
  if (!(id instanceof Uint8Array)) throw new TypeError(`${where}: id must be a Uint8Array, got ${describe(id)}`);
  if (id.length !== 32) throw new RangeError(`${where}: id must be 32 bytes, got ${id.length}`);
  return id;
}

/** Check a chain id (1 or 2). @example checkChain(Chain.TRACING, 'listBlocks') */
export function checkChain(chain: unknown, where: string): ChainId {
  if (chain !== 1 && chain !== 2) throw new RangeError(`${where}: chain must be 1 (tracing) or 2 (notification), got ${String(chain)}`);
  return chain;
}

/** Check a range bound for listBlocks/deleteBlocksBefore: a number, not NaN. @example checkBound(Infinity, 'listBlocks toTime') */
export function checkBound(t: unknown, where: string): number {
  if (typeof t !== 'number' || Number.isNaN(t)) throw new TypeError(`${where}: expected a number (ms), got ${describe(t)}`);
  return t;
}

/**
 * Check `putBlock` arguments and return a private copy of the meta (id copied too).
 * @example const m = checkPut({ id, chain: 1, time: Date.now(), kind: 1 }, bytes, 'putBlock');
 */
export function checkPut(meta: unknown, bytes: unknown, where: string): BlockMeta {
  if (typeof meta !== 'object' || meta === null) throw new TypeError(`${where}: meta must be an object, got ${describe(meta)}`);
  const m = meta as Record<string, unknown>;
  const id = checkId(m.id, where);
  const chain = checkChain(m.chain, where);
  const time = m.time;
  if (typeof time !== 'number' || !Number.isInteger(time) || time < 0 || time >= MAX_TIME) {
    throw new RangeError(`${where}: time must be integer ms in [0, ${MAX_TIME}), got ${String(time)}`);
  }
  const kind = m.kind;
  if (typeof kind !== 'number' || !Number.isInteger(kind) || kind < 0 || kind > 255) {
    throw new RangeError(`${where}: kind must be an integer 0..255, got ${String(kind)}`);
  }
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`${where}: bytes must be a Uint8Array, got ${describe(bytes)}`);
  return { id: id.slice(), chain, time, kind };
}

/** Check a value key: well-formed string, 1..MAX_KEY_BYTES UTF-8 bytes. @example checkKey('seed', 'getValue') */
export function checkKey(key: unknown, where: string): string {
  if (typeof key !== 'string') throw new TypeError(`${where}: key must be a string, got ${describe(key)}`);
  const n = utf8(key).length;
  if (n === 0 || n > MAX_KEY_BYTES) throw new RangeError(`${where}: key must be 1..${MAX_KEY_BYTES} UTF-8 bytes, got ${n}`);
  if (fromUtf8(utf8(key)) !== key) throw new RangeError(`${where}: key contains a lone surrogate (not well-formed UTF-16)`);
  return key;
}

/** Check a value: a Uint8Array. @example checkValue(new Uint8Array(1), 'setValue') */
export function checkValue(value: unknown, where: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${where}: value must be a Uint8Array, got ${describe(value)}`);
  return value;
}

/** Canonical block order: time, then id bytes lexicographically. @example metas.sort(compareMeta) */
export function compareMeta(a: BlockMeta, b: BlockMeta): number {
  return a.time - b.time || compare(a.id, b.id);
}

/** First index in sorted `arr` whose element is not less than the key (time, id). @example lowerBound(arr, 0) */
export function lowerBound<T extends BlockMeta>(arr: readonly T[], time: number, id?: Uint8Array): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const e = arr[mid];
    const less = e.time < time || (e.time === time && id !== undefined && compare(e.id, id) < 0);
    if (less) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A copy of a meta (fresh id) to hand out. @example copyMeta(m).id !== m.id */
export function copyMeta(m: BlockMeta): BlockMeta {
  return { id: m.id.slice(), chain: m.chain, time: m.time, kind: m.kind };
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'object';
  return typeof v;
}

interface Entry extends BlockMeta {
  bytes: Uint8Array;
}

/**
 * `BlockStore` kept in memory: per-chain arrays sorted by (time, id) plus a hash map by id hex.
 * Nothing survives the process; `putBlock` is "durable" at once.
 *
 * @example
 * const store = new MemoryStore();
 * await store.putBlock({ id, chain: Chain.TRACING, time: Date.now(), kind: 1 }, bytes);
 * (await store.listBlocks(Chain.TRACING, 0, Infinity)).length === 1;
 */
export class MemoryStore implements BlockStore {
  private readonly byId = new Map<string, Entry>();
  private readonly chains: Record<ChainId, Entry[]> = { 1: [], 2: [] };
  /** Chains whose array has had appends since it was last sorted (sorting is deferred to reads). */
  private readonly unsorted = new Set<ChainId>();
  private readonly values = new Map<string, Uint8Array>();
  private closed = false;

  private open(where: string): void {
    if (this.closed) throw new Error(`MemoryStore.${where}: store is closed`);
  }

  async putBlock(meta: BlockMeta, bytes: Uint8Array): Promise<void> {
    this.open('putBlock');
    const m = checkPut(meta, bytes, 'MemoryStore.putBlock');
    const hex = toHex(m.id);
    if (this.byId.has(hex)) return;
    const e: Entry = { ...m, bytes: bytes.slice() };
    const arr = this.chains[m.chain];
    // Append, and sort lazily on the next ordered read: an ordered splice per put is O(n).
    if (arr.length && compareMeta(arr[arr.length - 1], e) > 0) this.unsorted.add(m.chain);
    arr.push(e);
    this.byId.set(hex, e);
  }

  private sorted(chain: ChainId): Entry[] {
    const arr = this.chains[chain];
    if (this.unsorted.delete(chain)) arr.sort(compareMeta);
    return arr;
  }

  async getBlock(id: Uint8Array): Promise<Uint8Array | undefined> {
    this.open('getBlock');
    return this.byId.get(toHex(checkId(id, 'MemoryStore.getBlock')))?.bytes.slice();
  }

  async hasBlock(id: Uint8Array): Promise<boolean> {
    this.open('hasBlock');
    return this.byId.has(toHex(checkId(id, 'MemoryStore.hasBlock')));
  }

  async listBlocks(chain: ChainId, fromTime: number, toTime: number): Promise<BlockMeta[]> {
    this.open('listBlocks');
    const arr = this.sorted(checkChain(chain, 'MemoryStore.listBlocks'));
    const lo = lowerBound(arr, checkBound(fromTime, 'MemoryStore.listBlocks fromTime'));
    const hi = lowerBound(arr, checkBound(toTime, 'MemoryStore.listBlocks toTime'));
    return arr.slice(lo, Math.max(lo, hi)).map(copyMeta);
  }

  async countBlocks(chain?: ChainId): Promise<number> {
    this.open('countBlocks');
    if (chain === undefined) return this.byId.size;
    return this.chains[checkChain(chain, 'MemoryStore.countBlocks')].length;
  }

  async deleteBlocksBefore(chain: ChainId, time: number): Promise<number> {
    this.open('deleteBlocksBefore');
    const arr = this.sorted(checkChain(chain, 'MemoryStore.deleteBlocksBefore'));
    const n = lowerBound(arr, checkBound(time, 'MemoryStore.deleteBlocksBefore time'));
    for (const e of arr.splice(0, n)) this.byId.delete(toHex(e.id));
    return n;
  }

  async getValue(key: string): Promise<Uint8Array | undefined> {
    this.open('getValue');
    return this.values.get(checkKey(key, 'MemoryStore.getValue'))?.slice();
  }

  async setValue(key: string, value: Uint8Array): Promise<void> {
    this.open('setValue');
    checkKey(key, 'MemoryStore.setValue');
    this.values.set(key, checkValue(value, 'MemoryStore.setValue').slice());
  }

  /** Atomic here by construction: no await between the read and the write. @example await store.getOrCreateValue('seed', () => newSeed(c)) */
  async getOrCreateValue(key: string, create: () => Uint8Array): Promise<Uint8Array> {
    this.open('getOrCreateValue');
    const old = this.values.get(checkKey(key, 'MemoryStore.getOrCreateValue'));
    if (old) return old.slice();
    const v = checkValue(create(), 'MemoryStore.getOrCreateValue').slice();
    this.values.set(key, v);
    return v.slice();
  }

  async deleteValue(key: string): Promise<void> {
    this.open('deleteValue');
    this.values.delete(checkKey(key, 'MemoryStore.deleteValue'));
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/**
 * The storage interface every ledger and app state goes through. Implementations are adapters
 * in src/store/: memory (tests), IndexedDB through idb (browsers), segment files (Node full nodes).
 * The core only sees this interface, so it stays free of I/O.
 *
 * Contract:
 * - `putBlock` is idempotent (same id twice stores once) and durable when its promise resolves
 *   (a full node acknowledges a block only after that).
 * - `listBlocks` returns metadata ordered by (time, id) for `fromTime ≤ time < toTime`.
 * - `deleteBlocksBefore(chain, time)` removes every block of the chain with `time < time`
 *   (retention pruning) and returns how many went.
 * - values: a small key–value space for device state (seed, settings, own uploads), not for blocks.
 * - `getOrCreateValue(key, create)` is atomic: of two callers racing on a missing key (two browser
 *   tabs on one IndexedDB database), exactly one value is stored and both get it.
 *
 * @example
 * await store.putBlock({ id, chain: Chain.NOTIFICATION, time, kind }, bytes);
 * const bytes = await store.getBlock(id);
 * @module
 */
import type { ChainId } from './types.ts';

export interface BlockMeta {
  /** SHA-256 of the block's canonical bytes (32 bytes). */
  id: Uint8Array;
  chain: ChainId;
  /** Block time, milliseconds since the Unix epoch. */
  time: number;
  /** Record type code (docs/PROTOCOL.md §Records). */
  kind: number;
}

export interface BlockStore {
  putBlock(meta: BlockMeta, bytes: Uint8Array): Promise<void>;
  getBlock(id: Uint8Array): Promise<Uint8Array | undefined>;
  hasBlock(id: Uint8Array): Promise<boolean>;
  listBlocks(chain: ChainId, fromTime: number, toTime: number): Promise<BlockMeta[]>;
  countBlocks(chain?: ChainId): Promise<number>;
  deleteBlocksBefore(chain: ChainId, time: number): Promise<number>;
  getValue(key: string): Promise<Uint8Array | undefined>;
  setValue(key: string, value: Uint8Array): Promise<void>;
  deleteValue(key: string): Promise<void>;
  /** The value of `key`; if there is none, `create()` is stored and returned — in one atomic step. */
  getOrCreateValue(key: string, create: () => Uint8Array): Promise<Uint8Array>;
  close(): Promise<void>;
}

/**
 * What the parts of the app engine share: the opened store, crypto, the one clock, the device
 * keys, the node, and a lock that runs store read-modify-writes one at a time.
 * @module
 */
import type { BlockStore } from '../../core/store.ts';
import type { CryptoProvider } from '../../core/crypto.ts';
import type { UserKeys } from '../../core/keys.ts';
import type { Ledger } from '../../core/ledger/ledger.ts';
import type { NetNode } from '../../net/node.ts';

/** The network side the engine drives: a ledger and the NetNode on it (built by src/net/assemble.ts, or by a test). @example { ledger, node, stop: () => thin.stop() } */
export interface NodeHandle {
  ledger: Ledger;
  node: NetNode;
  /** Start the node and its transport (default: `node.start()`). */
  start?(): void;
  /** Stop the network and finish pending writes (default: `node.stop()` then `node.settle()`). It may close the store; the engine closes it afterwards anyway (close is idempotent). */
  stop?(): Promise<void>;
}

/** Shared by the engine's parts. @example await ctx.locked(async () => writeDay(ctx.store, rec)) */
export interface EngineCtx {
  store: BlockStore;
  c: CryptoProvider;
  /** All time goes through this (ms since the Unix epoch). */
  now: () => number;
  region: number;
  keys: UserKeys;
  net: NodeHandle;
  /** Run `fn` after every earlier locked task (store read-modify-write). */
  locked<T>(fn: () => Promise<T>): Promise<T>;
  /** Something a view shows changed: push a new state soon. */
  changed(): void;
}

/** A promise chain that runs tasks one at a time. @example const lock = serialQueue(); await lock(() => work()) */
export function serialQueue(): <T>(fn: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>) => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => undefined);
    return run;
  };
}

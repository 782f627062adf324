/**
 * A bounded set that forgets its least recently added (or touched) keys: the seen-cache of block
 * ids, and each peer's "already knows" set.
 *
 * @example
 * const seen = new LruSet(3);
 * seen.add('a'); seen.add('b'); seen.add('c'); seen.add('d');
 * seen.has('a') // false: evicted
 * @module
 */

/** Bounded set with least-recently-added eviction. @example const s = new LruSet(1024); s.add(hex); s.has(hex) */
export class LruSet {
  private m = new Map<string, true>();
  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`LruSet: capacity must be a positive integer, got ${capacity}`);
  }
  /** Add (or refresh) a key, evicting the oldest one when full. */
  add(key: string): void {
    if (this.m.has(key)) this.m.delete(key);
    else if (this.m.size >= this.capacity) this.m.delete(this.m.keys().next().value as string);
    this.m.set(key, true);
  }
  has(key: string): boolean {
    return this.m.has(key);
  }
  delete(key: string): boolean {
    return this.m.delete(key);
  }
  get size(): number {
    return this.m.size;
  }
}

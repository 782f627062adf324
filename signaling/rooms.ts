/**
 * Room membership: which peer ids are in which room, from which source (source.ts), with O(1)
 * join/leave and samples of a room's members that no source can dominate: a sample takes sources
 * first, uniformly, and then one random member of each — so a host with thousands of ids in a
 * room appears in a sample about as often as one honest member (issue 17 finding 2). A room with
 * no members is deleted at once.
 */
import { randomInt } from 'node:crypto';

/** A set of ids with O(1) add, remove and uniform pick. */
class Bag {
  readonly items: string[] = [];
  private readonly index = new Map<string, number>();

  get size(): number {
    return this.items.length;
  }

  has(id: string): boolean {
    return this.index.has(id);
  }

  add(id: string): void {
    if (this.index.has(id)) return;
    this.index.set(id, this.items.length);
    this.items.push(id);
  }

  remove(id: string): void {
    const i = this.index.get(id);
    if (i === undefined) return;
    const last = this.items.pop()!;
    this.index.delete(id);
    if (last !== id) {
      this.items[i] = last;
      this.index.set(last, i);
    }
  }
}

/** Members of one room, grouped by source. */
class Room {
  private readonly all = new Bag();
  private readonly sourceOf = new Map<string, string>();
  private readonly groups = new Map<string, Bag>();
  private readonly sources = new Bag();

  get size(): number {
    return this.all.size;
  }

  has(id: string): boolean {
    return this.all.has(id);
  }

  /** Members from `source`. */
  fromSource(source: string): number {
    return this.groups.get(source)?.size ?? 0;
  }

  add(id: string, source: string): void {
    if (this.all.has(id)) return;
    this.all.add(id);
    this.sourceOf.set(id, source);
    let g = this.groups.get(source);
    if (!g) {
      this.groups.set(source, (g = new Bag()));
      this.sources.add(source);
    }
    g.add(id);
  }

  remove(id: string): void {
    if (!this.all.has(id)) return;
    this.all.remove(id);
    const source = this.sourceOf.get(id)!;
    this.sourceOf.delete(id);
    const g = this.groups.get(source)!;
    g.remove(id);
    if (g.size === 0) {
      this.groups.delete(source);
      this.sources.remove(source);
    }
  }

  /**
   * Up to `k` distinct members other than `self`: sources in a uniformly random order, one random
   * member of each; when there are fewer than `k` sources, round after round of one more member of
   * each source that has one left, but never more than ⌈k / sources⌉ from one source — a source
   * with many members does not take the share of sources with few.
   */
  sample(k: number, self: string): string[] {
    const out: string[] = [];
    const n = this.sources.size;
    if (n > k) {
      // enough sources for one member each: k + 1 of them (one spare, in case self's is the only
      // member of its source), chosen in O(k) — a room of thousands costs no more than a small one
      for (const i of shuffled(floydSample(n, k + 1).map(String))) {
        if (out.length >= k) break;
        const g = this.groups.get(this.sources.items[Number(i)])!;
        if (g.size === 1 && g.items[0] === self) continue;
        let pick = g.items[randomInt(g.size)];
        while (pick === self) pick = g.items[randomInt(g.size)];
        out.push(pick);
      }
      return out;
    }
    const order = shuffled(this.sources.items);
    const taken = new Map<string, Set<string>>();
    // no source takes more than its share of the sample, even when others have fewer members
    const share = Math.ceil(k / Math.max(1, n));
    for (let round = 0; round < share && out.length < k; round++) {
      let added = 0;
      for (const s of order) {
        if (out.length >= k) break;
        const g = this.groups.get(s)!;
        let t = taken.get(s);
        if (!t) taken.set(s, (t = new Set([self])));
        const left = g.size - [...t].filter((x) => g.has(x)).length;
        if (left <= 0) continue;
        // a random member not taken yet: a few tries at random, then a scan (the group is small then)
        let pick: string | undefined;
        for (let tries = 0; tries < 8 && pick === undefined; tries++) {
          const c = g.items[randomInt(g.size)];
          if (!t.has(c)) pick = c;
        }
        pick ??= g.items.find((c) => !t.has(c));
        if (pick === undefined) continue;
        t.add(pick);
        out.push(pick);
        added++;
      }
      if (!added) break;
    }
    return out;
  }
}

/** Floyd's algorithm: `k` distinct integers from [0, n), uniformly, in O(k). */
function floydSample(n: number, k: number): number[] {
  const chosen = new Set<number>();
  for (let j = n - k; j < n; j++) {
    const t = randomInt(j + 1);
    chosen.add(chosen.has(t) ? j : t);
  }
  return [...chosen];
}

/** A copy of `a` in uniformly random order (Fisher–Yates). */
function shuffled(a: readonly string[]): string[] {
  const out = [...a];
  for (let i = out.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/**
 * All rooms of a server.
 *
 * @example
 * const rooms = new Rooms();
 * rooms.join('beeptrace/v1/r1/tracing', 'aa…', 'v4/198.51.100.0/24');
 * rooms.sample('beeptrace/v1/r1/tracing', 20, 'bb…'); // ['aa…']
 * rooms.leave('beeptrace/v1/r1/tracing', 'aa…');      // room deleted: rooms.count === 0
 */
export class Rooms {
  private readonly rooms = new Map<string, Room>();

  /** Number of rooms that have at least one member. */
  get count(): number {
    return this.rooms.size;
  }

  /** Members of `room` (0 if it does not exist). */
  size(room: string): number {
    return this.rooms.get(room)?.size ?? 0;
  }

  /** Members of `room` from `source`. */
  fromSource(room: string, source: string): number {
    return this.rooms.get(room)?.fromSource(source) ?? 0;
  }

  /** True if `id` is a member of `room`. */
  has(room: string, id: string): boolean {
    return this.rooms.get(room)?.has(id) ?? false;
  }

  /** Adds `id` (from `source`) to `room`, creating the room. Idempotent. */
  join(room: string, id: string, source = id): void {
    let r = this.rooms.get(room);
    if (!r) this.rooms.set(room, (r = new Room()));
    r.add(id, source);
  }

  /** Removes `id` from `room`; deletes the room when it becomes empty. Idempotent. */
  leave(room: string, id: string): void {
    const r = this.rooms.get(room);
    if (!r) return;
    r.remove(id);
    if (r.size === 0) this.rooms.delete(room);
  }

  /** At most `k` members of `room`, never `self`, sampled source first (see Room.sample). */
  sample(room: string, k: number, self: string): string[] {
    return this.rooms.get(room)?.sample(k, self) ?? [];
  }
}

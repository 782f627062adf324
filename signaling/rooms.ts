/**
 * Room membership: which peer ids are in which room, with O(1) join/leave and uniform random
 * samples of a room's members. A room with no members is deleted at once.
 */
import { randomInt } from 'node:crypto';

/** Members of one room: an array for sampling plus an index for O(1) swap-removal. */
class Room {
  readonly members: string[] = [];
  private readonly index = new Map<string, number>();

  get size(): number {
    return this.members.length;
  }

  has(id: string): boolean {
    return this.index.has(id);
  }

  add(id: string): void {
    if (this.index.has(id)) return;
    this.index.set(id, this.members.length);
    this.members.push(id);
  }

  remove(id: string): void {
    const i = this.index.get(id);
    if (i === undefined) return;
    const last = this.members.pop()!;
    this.index.delete(id);
    if (last !== id) {
      this.members[i] = last;
      this.index.set(last, i);
    }
  }

  /** Up to `k` distinct members other than `self`, uniformly at random, in random order. */
  sample(k: number, self: string): string[] {
    const selfAt = this.index.get(self);
    const n = this.members.length - (selfAt === undefined ? 0 : 1);
    const picked = floydSample(n, Math.min(k, n));
    const out = picked.map((i) => this.members[selfAt !== undefined && i >= selfAt ? i + 1 : i]);
    for (let i = out.length - 1; i > 0; i--) {
      const j = randomInt(i + 1);
      [out[i], out[j]] = [out[j], out[i]];
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

/**
 * All rooms of a server.
 *
 * @example
 * const rooms = new Rooms();
 * rooms.join('beeptrace/v1/r1/tracing', 'aa…');
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

  /** True if `id` is a member of `room`. */
  has(room: string, id: string): boolean {
    return this.rooms.get(room)?.has(id) ?? false;
  }

  /** Adds `id` to `room`, creating the room. Idempotent. */
  join(room: string, id: string): void {
    let r = this.rooms.get(room);
    if (!r) this.rooms.set(room, (r = new Room()));
    r.add(id);
  }

  /** Removes `id` from `room`; deletes the room when it becomes empty. Idempotent. */
  leave(room: string, id: string): void {
    const r = this.rooms.get(room);
    if (!r) return;
    r.remove(id);
    if (r.size === 0) this.rooms.delete(room);
  }

  /** A uniform random sample of at most `k` members of `room`, never containing `self`. */
  sample(room: string, k: number, self: string): string[] {
    return this.rooms.get(room)?.sample(k, self) ?? [];
  }
}

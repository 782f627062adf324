/**
 * Shared fixture of the network tests (not a test file: the runner's glob is *.test.ts).
 *
 * Everything is reproducible from a seed: the World's keys, the devices' day keys and every other
 * "random" byte come from `seededCrypto`, so a seeded network test replays exactly. To rerun one
 * seed of a seed loop from the command line: `SEED=7 node --import tsx --test test/unit/net-gossip.test.ts`.
 */
import { World } from '../../src/node/sim/world.ts';
import { UserKeys } from '../../src/core/keys.ts';
import { Chain, Precision, Source } from '../../src/core/types.ts';
import { seededCrypto } from './seeded-crypto.ts';

export const D = Math.floor(Date.UTC(2026, 2, 2) / 86_400_000);

/**
 * The seeds a seed loop runs: `defaults`, or only the one in the environment variable SEED.
 * @example for (const seed of seeds([1, 2, 3])) …
 */
export function seeds(defaults: number[]): number[] {
  const one = process.env.SEED;
  if (one === undefined || one === '') return defaults;
  const n = Number(one);
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`SEED must be a non-negative integer, got ${one}`);
  return [n];
}

/**
 * A World with the CA statements, `nTrace` trace batches and `nCheckpoints` rounds of validator
 * checkpoints (blocks with parents). The same `seed` gives the same blocks, byte for byte; `c` is
 * the seeded provider (use `c.randomBytes` for any further key a test makes).
 */
export async function fixture(nTrace: number, nCheckpoints: number, seed = 1) {
  const c = seededCrypto(`net-fixture/${seed}`);
  const w = await World.create({ crypto: c, startMs: (D + 1) * 86_400_000 + 3_600_000 });
  const get = async (id: Uint8Array) => (await w.ledger.get(id))!;
  const ca: Uint8Array[] = [];
  for (const e of w.ledger.entries(Chain.NOTIFICATION)) ca.push(await get(e.id));
  const trace: Uint8Array[] = [];
  const from = w.timeSec();
  for (let i = 0; i < nTrace; i++) {
    w.advanceTo(w.nowMs + 1000);
    const stays = [{ start: D * 1440 + 600 + (i % 800), minutes: 10, latE7: 558_000_000 + i * 1000, lonE7: -42_000_000, radius: 8, source: Source.GNSS, precision: Precision.M10 }];
    await w.upload(new UserKeys(c, c.randomBytes(32)), D, stays as never);
    trace.push(await get(w.ledger.entries(Chain.TRACING).at(-1)!.id));
  }
  const notif: Uint8Array[] = [];
  for (let k = 0; k < nCheckpoints; k++) {
    w.advanceTo(w.nowMs + 1000);
    const before = new Set(w.ledger.entries(Chain.NOTIFICATION).map((e) => e.hex));
    await w.checkpoint(Chain.TRACING, from, w.timeSec(), 2);
    for (const e of w.ledger.entries(Chain.NOTIFICATION)) if (!before.has(e.hex)) notif.push(await get(e.id));
  }
  return { w, c, ca, trace, notif, startMs: w.nowMs + 1000 };
}

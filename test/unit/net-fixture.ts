/**
 * Shared fixture of the network tests (not a test file: the runner's glob is *.test.ts).
 */
import { World } from '../../src/node/sim/world.ts';
import { nodeCrypto as c } from '../../src/node/node-crypto.ts';
import { UserKeys } from '../../src/core/keys.ts';
import { Chain, Precision, Source } from '../../src/core/types.ts';

export const D = Math.floor(Date.UTC(2026, 2, 2) / 86_400_000);

/** A World with the CA statements, `nTrace` trace batches and `nCheckpoints` rounds of validator checkpoints (blocks with parents). */
export async function fixture(nTrace: number, nCheckpoints: number) {
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
  return { w, ca, trace, notif, startMs: w.nowMs + 1000 };
}

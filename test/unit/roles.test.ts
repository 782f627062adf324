/** Full-node duties: the validator's schedule and the solver role publishing through a ledger. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { World } from '../../src/node/sim/world.ts';
import { nodeCrypto as c } from '../../src/node/node-crypto.ts';
import { ValidatorRole } from '../../src/node/roles/validator-role.ts';
import { checkpointRecords } from '../../src/core/ledger/checkpoints.ts';
import { UserKeys } from '../../src/core/keys.ts';
import { Chain, Precision, Source } from '../../src/core/types.ts';

const D = Math.floor(Date.UTC(2026, 2, 2) / 86_400_000);

test('a validator checkpoints each closed interval of both chains once, and the quorum finalises it', async () => {
  const w = await World.create({ crypto: c, startMs: (D + 1) * 86_400_000 + 3_600_000 });
  for (let i = 0; i < 3; i++) {
    await w.upload(new UserKeys(c, c.randomBytes(32)), D, [{ start: D * 1440 + 600, minutes: 10, latE7: 558_000_000 + i, lonE7: -42_000_000, radius: 8, source: Source.GNSS, precision: Precision.M10 }]);
  }
  const [v1, v2] = w.validators.map((k) => new ValidatorRole(c, w.ledger, k, 600));
  const skew = w.policy.maxSkewSeconds;
  w.advanceTo((w.timeSec() + 600 + skew) * 1000); // the interval holding the uploads has closed
  const t = w.timeSec();
  const first = await v1.tick(t);
  assert.ok(first.length >= 2, 'both chains checkpointed');
  assert.deepEqual(await v1.tick(t), [], 'nothing twice');
  await v2.tick(t);
  const recs = await checkpointRecords(w.ledger);
  const tracing = recs.filter((r) => r.chain === Chain.TRACING && r.size > 0);
  assert.equal(tracing.length, 1);
  assert.equal(tracing[0].size, 3, 'the three uploads');
  assert.equal(tracing[0].signers.length, 2, 'two validators signed the same checkpoint: final at quorum 2');
  w.advanceTo((t + 1200) * 1000);
  const later = await v1.tick(w.timeSec());
  assert.equal(later.length, 4, 'two more closed intervals × two chains');
});

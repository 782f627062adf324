/**
 * The solver as a service (src/node/roles/solver-role.ts, src/node/full-node.ts): two solvers on
 * a memory network do not publish the same tags twice; a revoked solver publishes nothing; epoch
 * keys come from the CA's sealed hand-over file, re-read on every duty, so an epoch the CA shredded
 * is destroyed on the solver and its records become unreadable there; progress is in the log.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { World } from '../../src/node/sim/world.ts';
import { nodeCrypto as c } from '../../src/node/node-crypto.ts';
import { SolverRole } from '../../src/node/roles/solver-role.ts';
import { FullNode } from '../../src/node/full-node.ts';
import { writeHandover } from '../../src/node/ca/handover.ts';
import { sealEpochKey, openEpochKey } from '../../src/core/epoch-handover.ts';
import { newRoleKey, revocationBlock } from '../../src/core/blocks.ts';
import { Kind } from '../../src/core/codec/block.ts';
import { Role } from '../../src/core/codec/records.ts';
import { UserKeys } from '../../src/core/keys.ts';
import { SimNetwork } from '../../src/net/sim.ts';
import type { EpochKeyPair } from '../../src/core/solver.ts';
import { Chain, Precision, Source, type Stay } from '../../src/core/types.ts';

const D = Math.floor(Date.UTC(2026, 2, 2) / 86_400_000);
const tmp = await mkdtemp(join(tmpdir(), 'solver-service-'));
after(() => rm(tmp, { recursive: true, force: true }));

/** A and B 30 minutes side by side on day D, C far away; A diagnosed. */
async function town(): Promise<World> {
  const w = await World.create({ crypto: c, startMs: (D + 1) * 86_400_000 + 3_600_000 });
  const stay = (lonE7: number): Stay[] => [{ start: D * 1440 + 600, minutes: 30, latE7: 558_000_000, lonE7, radius: 8, source: Source.GNSS, precision: Precision.M10 }];
  const [a, b, cc] = [1, 2, 3].map(() => new UserKeys(c, c.randomBytes(32)));
  await w.upload(a, D, stay(-42_000_000));
  await w.upload(b, D, stay(-42_000_000));
  await w.upload(cc, D, stay(-41_000_000));
  w.advanceTo(w.nowMs + 600_000); // the diagnosis endorses only batches published before it
  await w.diagnose(a, D);
  return w;
}
const copyKeys = (m: Map<number, EpochKeyPair>) => new Map([...m].map(([e, kp]) => [e, { secretKey: kp.secretKey.slice(), publicKey: kp.publicKey }]));
async function allBlocks(w: World): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (const chain of [Chain.NOTIFICATION, Chain.TRACING]) for (const e of w.ledger.entries(chain)) out.push((await w.ledger.get(e.id))!);
  return out;
}

test('two solvers on a memory network: the second does not republish tags the first published; a revoked solver publishes nothing', async () => {
  const w = await town();
  const second = newRoleKey(c);
  const t = w.timeSec();
  await w.certify(second, Role.SOLVER, 'Solver 2', t - 3600, t + 86_400);
  const preload = await allBlocks(w);
  const sim = new SimNetwork({ crypto: c, rootKey: w.root.publicKey, region: w.region, seed: 3, startMs: w.nowMs });
  const n1 = await sim.addNode('s1', 'full', { preload });
  const n2 = await sim.addNode('s2', 'full', { preload });
  const nowSec = () => Math.floor(sim.net.now() / 1000);
  const s1 = new SolverRole(c, n1.ledger, w.solver, copyKeys(w.epochKeys));
  const s2 = new SolverRole(c, n2.ledger, second, copyKeys(w.epochKeys));

  const r1 = await s1.run(nowSec());
  assert.equal(r1.published.length, 1, 'one set: B, high, on day D');
  assert.equal(r1.stats.tags, 1);
  const notifications = () => n2.ledger.entries(Chain.NOTIFICATION).filter((e) => e.kind === Kind.NOTIFICATION).length;
  for (let i = 0; i < 60 && notifications() === 0; i++) await sim.net.run(sim.net.now() + 1000);
  assert.equal(notifications(), 1, 'the first solver\'s notification reached the second over the network');

  const r2 = await s2.run(nowSec());
  assert.equal(r2.exposures.length, 1, 'the second solver finds the same exposure');
  assert.equal(r2.stats.alreadyPublished, 1, '… sees its tag on the chain');
  assert.equal(r2.published.length, 0, '… and publishes nothing');
  assert.equal(r2.stats.tags, 0);

  // a third solver, on a ledger the first's notification has not reached, does publish (the check is the chain, not luck)
  const w3 = await sim.addNode('s3', 'full', { preload, start: false });
  const r3 = await new SolverRole(c, w3.ledger, second, copyKeys(w.epochKeys)).run(nowSec());
  assert.equal(r3.published.length, 1);

  // revoked: nothing solved, nothing published, and it says why
  await n2.ledger.add(revocationBlock(c, w.root, { subject: second.publicKey, revokedAt: nowSec() - 10, reason: 0 }, { region: w.region, timeSec: nowSec(), parents: n2.ledger.tips(Chain.NOTIFICATION) }));
  const fresh = new SolverRole(c, n2.ledger, second, copyKeys(w.epochKeys));
  const r4 = await fresh.run(nowSec());
  assert.equal(r4.published.length, 0);
  assert.match(r4.skipped ?? '', /may not publish: .*revoked/);
  for (const n of [n1, n2]) n.node.stop();
});

test('epoch keys from the sealed hand-over file; a shredded epoch is destroyed on the solver and its records become unreadable', async () => {
  const w = await town();
  const epochs = [...w.epochKeys];
  assert.equal(epochs.length, 1);
  const [epoch, kp] = epochs[0];
  const file = join(tmp, 'epochs.json');
  const handOver = (list: [number, EpochKeyPair][]) => writeHandover(file, {
    region: w.region, solver: w.solver.publicKey, name: 'Regional Solver',
    epochs: list.map(([e, k]) => ({ epoch: e, publicKey: k.publicKey, sealed: sealEpochKey(c, w.solver.publicKey, { epoch: e, ...k }) })),
  });
  await handOver(epochs);
  // the box opens only with the solver's key, and only as the stated epoch
  const box = sealEpochKey(c, w.solver.publicKey, { epoch, ...kp });
  assert.deepEqual(openEpochKey(c, w.solver.secretKey, epoch, kp.publicKey, box).secretKey, kp.secretKey);
  assert.throws(() => openEpochKey(c, w.diagnostician.secretKey, epoch, kp.publicKey, box), /does not open/);
  assert.throws(() => openEpochKey(c, w.solver.secretKey, epoch + 1, kp.publicKey, box), /does not open/);

  const blocks = await allBlocks(w);
  const open = async (name: string, log: string[]) => {
    const node = await FullNode.open({
      dir: join(tmp, name), role: 'solver', crypto: c, now: () => w.nowMs,
      config: { region: w.region, rootKey: w.root.publicKey, roleKey: w.solver, epochKeys: new Map(), epochKeysFile: file },
    });
    node.log = (m) => log.push(m);
    for (const b of blocks) await node.ingest(b);
    return node;
  };
  const log1: string[] = [];
  const n1 = await open('n1', log1);
  const published = await n1.tick();
  assert.equal(published.length, 1, 'with the handed-over key it reads the records and notifies B');
  assert.match(log1.at(-1)!, /solver: 3 batches, 3 stays .* 1 cases, .* 0 unreadable; 1 new tags in 1 block\(s\).* epochs held \d+/);
  assert.equal(n1.solverStats.tags, 1);

  await handOver([]); // beeptrace ca shred --epoch E: the CA rewrites the hand-over without it
  await n1.tick();
  assert.ok(log1.some((l) => l === `solver: epoch key(s) ${epoch} shredded by the CA: destroyed here`), log1.join('\n'));
  assert.equal(log1.at(-1)!.endsWith('epochs held none'), true);
  await n1.close();

  const log2: string[] = [];
  const n2 = await open('n2', log2); // a solver starting fresh from the same chain after the shredding
  assert.deepEqual(await n2.tick(), []);
  const m = log2.at(-1)!.match(/solver: 3 batches, 0 stays .* 0 cases, .* (\d+) unreadable; 0 new tags in 0 block\(s\)/);
  assert.ok(m, log2.at(-1));
  assert.ok(Number(m[1]) >= 1, 'the case sealed to the shredded epoch does not open (so no batch is scanned)');
  assert.ok(log2.at(-1)!.endsWith('epochs held none'));
  await n2.close();
});

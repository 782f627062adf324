/**
 * Durability: a full node killed with SIGKILL while receiving blocks restarts with every block it
 * had acknowledged (a block is acknowledged only after the file store fsync'ed it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { World } from '../../src/node/sim/world.ts';
import { nodeCrypto as c } from '../../src/node/node-crypto.ts';
import { UserKeys } from '../../src/core/keys.ts';
import { traceBatchBlock } from '../../src/core/blocks.ts';
import { toHex } from '../../src/core/bytes.ts';
import { FullNode } from '../../src/node/full-node.ts';
import { Chain, Precision, Source } from '../../src/core/types.ts';

const CHILD = new URL('./fixtures/ingest-child.ts', import.meta.url).pathname;
const D = Math.floor(Date.UTC(2026, 2, 2) / 86_400_000);

function start(dir: string, nowMs: number): Promise<{ child: ChildProcess; blocks: number }> {
  const child = fork(CHILD, [dir, String(nowMs)], { execArgv: ['--import', 'tsx'], serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('message', (m: { ready?: boolean; blocks: number }) => (m.ready ? resolve({ child, blocks: m.blocks }) : reject(new Error('no ready'))));
    child.once('exit', (code) => reject(new Error(`child exited ${code}`)));
  });
}

test('a full node SIGKILLed while receiving restarts with every block it acknowledged', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'beeptrace-kill-'));
  try {
    const w = await World.create({ crypto: c, startMs: (D + 1) * 86_400_000 + 3_600_000, policy: undefined });
    const { epoch, publicKey } = await w.ensureEpoch(D);
    writeFileSync(join(dir, 'node.json'), JSON.stringify({ region: w.region, rootKey: toHex(w.root.publicKey) }));
    const authority: Uint8Array[] = [];
    for (const e of w.ledger.entries(Chain.NOTIFICATION)) authority.push((await w.ledger.get(e.id))!);
    const batches = Array.from({ length: 400 }, (_, i) =>
      traceBatchBlock(c, new UserKeys(c, c.randomBytes(32)), {
        region: w.region, timeSec: w.timeSec() - 60, parents: [], day: D, part: 0, epoch, epochPub: publicKey, powBits: w.policy.pow.traceBits,
        stays: [{ start: D * 1440 + 600, minutes: 30, latE7: 558_000_000 + i, lonE7: -42_000_000, radius: 8, source: Source.GNSS, precision: Precision.M10 }],
      }),
    );
    const { child } = await start(dir, w.nowMs);
    const acked = new Set<string>();
    const errors: string[] = [];
    let killedAt = -1;
    await new Promise<void>((resolve) => {
      const total = authority.length + batches.length;
      child.on('message', (m: { ack?: string; error?: string }) => {
        if (m.error) errors.push(m.error);
        if (m.ack) acked.add(m.ack);
        if (errors.length + acked.size >= total) child.kill('SIGKILL'); // never reached the kill point: fail below
        if (killedAt < 0 && acked.size >= authority.length + 150) {
          killedAt = acked.size;
          child.kill('SIGKILL');
        }
      });
      child.on('exit', () => resolve());
      for (const b of [...authority, ...batches]) child.send({ bytes: b });
    });
    assert.deepEqual(errors, []);
    assert.ok(killedAt > 0 && acked.size < authority.length + batches.length, `killed mid-stream (${acked.size} of ${authority.length + batches.length} acknowledged)`);
    // Restart on the same directory: every acknowledged block is there.
    const node = await FullNode.open({ dir, role: 'archive', crypto: c, now: () => w.nowMs });
    try {
      const missing = [...acked].filter((h) => !node.ledger.has(h));
      assert.deepEqual(missing, [], 'acknowledged blocks lost');
      assert.ok(node.ledger.count() >= acked.size);
      // and it still works: the rest can be added
      for (const b of batches) await node.ingest(b);
      assert.equal(node.ledger.count(Chain.TRACING), batches.length);
    } finally {
      await node.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

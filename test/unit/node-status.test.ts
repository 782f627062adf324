/**
 * What a full node says (src/node/status.ts): the status line names the role, the peers, the blocks
 * and the last final checkpoint of each chain (a checkpoint short of the quorum is not final), and
 * the signaling server's loss and return are each told once, however many retries lie between.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { World } from '../../src/node/sim/world.ts';
import { nodeCrypto as c } from '../../src/node/node-crypto.ts';
import { UserKeys } from '../../src/core/keys.ts';
import { Chain, Precision, Source } from '../../src/core/types.ts';
import { CheckpointWatch, signalingReporter, statusLine } from '../../src/node/status.ts';

const D = Math.floor(Date.UTC(2026, 2, 2) / 86_400_000);

test('the status line: role, peers, blocks and the last final checkpoint per chain', async () => {
  const w = await World.create({ crypto: c, startMs: (D + 1) * 86_400_000 + 3_600_000 });
  const from = w.timeSec();
  for (let i = 0; i < 3; i++) {
    w.advanceTo(w.nowMs + 1000);
    await w.upload(new UserKeys(c, c.randomBytes(32)), D, [{ start: D * 1440 + 600 + i, minutes: 10, latE7: 558_000_000, lonE7: -42_000_000, radius: 8, source: Source.GNSS, precision: Precision.M10 }]);
  }
  w.advanceTo(w.nowMs + 60_000);
  const to = w.timeSec();
  const watch = await CheckpointWatch.open(w.ledger);
  const peers = { peers: () => [1, 2] };
  const n = () => w.ledger.count(Chain.NOTIFICATION);
  assert.equal(statusLine('archive', peers, w.ledger, watch), `status: archive, 2 peers, tracing 3 blocks (no final checkpoint yet), notification ${n()} blocks (no final checkpoint yet)`);
  await w.checkpoint(Chain.TRACING, from, to, 1);
  assert.match(statusLine('archive', peers, w.ledger, watch), /tracing 3 blocks \(no final checkpoint yet\)/, 'one signature is short of the quorum');
  await w.checkpoint(Chain.TRACING, from, to, 2);
  const iso = new Date(to * 1000).toISOString().replace('.000Z', 'Z');
  const line = `status: validator, 1 peer, tracing 3 blocks (final checkpoint to ${iso}), notification ${n()} blocks (no final checkpoint yet)`;
  assert.equal(statusLine('validator', { peers: () => [1] }, w.ledger, watch), line, 'seen as the blocks arrive');
  assert.equal(statusLine('validator', { peers: () => [1] }, w.ledger, await CheckpointWatch.open(w.ledger)), line, 'and read back from the ledger');
});

test('a lost signaling server is told once, and its return once', () => {
  const lines: string[] = [];
  const on = signalingReporter('ws://127.0.0.1:8787', (m) => lines.push(m));
  for (const s of ['connecting', 'open', 'closed', 'connecting', 'closed', 'connecting', 'closed', 'connecting', 'open', 'closed', 'connecting', 'open'] as const) on(s, s === 'closed' ? 'closed 1006 ' : undefined);
  assert.deepEqual(lines, [
    'signaling server ws://127.0.0.1:8787 connected',
    'signaling server ws://127.0.0.1:8787 unreachable; retrying with backoff',
    'signaling server ws://127.0.0.1:8787 reachable again',
    'signaling server ws://127.0.0.1:8787 unreachable; retrying with backoff',
    'signaling server ws://127.0.0.1:8787 reachable again',
  ]);
  const never: string[] = [];
  const off = signalingReporter('ws://x', (m) => never.push(m));
  for (let i = 0; i < 5; i++) (off('connecting'), off('closed', 'cannot open'));
  assert.deepEqual(never, ['signaling server ws://x unreachable; retrying with backoff'], 'a server down from the start: once');
});

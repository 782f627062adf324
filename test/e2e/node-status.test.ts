/**
 * `beeptrace node` says what it does: a status line every `--status` seconds (role, peers, blocks
 * and the last final checkpoint per chain), and when its signaling server goes away it says so
 * once — not once per retry — and once more when the server is back.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSignalingServer } from '../../signaling/server.ts';
import { until } from './harness.ts';

const BIN = new URL('../../bin/beeptrace.js', import.meta.url).pathname;

test('beeptrace node reports its status, and a lost signaling server once until it is back', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'beeptrace-status-'));
  let signal = await startSignalingServer({ port: 0, host: '127.0.0.1' });
  const port = signal.port;
  writeFileSync(join(dir, 'node.json'), JSON.stringify({ region: 1, rootKey: '07'.repeat(32) }));
  const child = spawn(process.execPath, [BIN, 'node', '--role', 'archive', '--signal', signal.url, '--data', dir, '--status', '1'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (d) => (log += d));
  const count = (re: RegExp) => log.split('\n').filter((l) => re.test(l)).length;
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  try {
    await until(() => count(/connected$/) === 1, 'the node on signaling', 20_000);
    await until(() => /status: archive, 0 peers, tracing 0 blocks \(no final checkpoint yet\), notification 0 blocks \(no final checkpoint yet\)/.test(log), 'a status line', 10_000);
    await signal.close();
    await until(() => count(/unreachable; retrying with backoff$/) === 1, 'the loss reported', 10_000);
    // several retries pass (the status lines mark time), and the loss is not told again
    const statusNow = count(/^\S+Z status: /);
    await until(() => count(/^\S+Z status: /) >= statusNow + 4, 'four more status lines', 15_000);
    assert.equal(count(/unreachable/), 1, log);
    assert.doesNotMatch(log, /1006/, 'no close codes on every retry');
    signal = await startSignalingServer({ port, host: '127.0.0.1' });
    await until(() => count(/reachable again$/) === 1, 'the return reported', 40_000);
    assert.match(log, new RegExp(`signaling server ws://127\\.0\\.0\\.1:${port}\\S* unreachable; retrying with backoff\\n`));
    child.kill('SIGTERM');
    assert.equal(await exited, 0, log);
    assert.equal(count(/unreachable/), 1, log);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await signal.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

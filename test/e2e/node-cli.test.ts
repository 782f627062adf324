/**
 * `beeptrace node` as a real process: it joins the WebRTC mesh through the signaling server,
 * syncs both chains from a peer onto disk, stops cleanly on SIGTERM, and its data directory then
 * holds every block. Bad flags exit 2.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Peer from 'simple-peer';
import wrtc from '@roamhq/wrtc';
import WebSocket from 'ws';
import { startSignalingServer } from '../../signaling/server.ts';
import { World } from '../../src/node/sim/world.ts';
import { nodeCrypto as c } from '../../src/node/node-crypto.ts';
import { toHex } from '../../src/core/bytes.ts';
import { UserKeys } from '../../src/core/keys.ts';
import { FullNode } from '../../src/node/full-node.ts';
import { NetNode } from '../../src/net/node.ts';
import { WebRtcTransport } from '../../src/net/webrtc/transport.ts';
import type { SimplePeerCtor } from '../../src/net/webrtc/connector.ts';
import type { WebSocketCtor } from '../../src/net/webrtc/signaling-client.ts';
import { Chain, Precision, Source } from '../../src/core/types.ts';
import { until } from './harness.ts';

const BIN = new URL('../../bin/beeptrace.js', import.meta.url).pathname;
const clock = { now: () => Date.now(), setTimeout: (f: () => void, ms: number) => setTimeout(f, ms), clearTimeout: (h: unknown) => clearTimeout(h as ReturnType<typeof setTimeout>) };

test('beeptrace node syncs both chains from the mesh onto disk and stops cleanly', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'beeptrace-node-'));
  const signal = await startSignalingServer({ port: 0, host: '127.0.0.1' });
  const w = await World.create({ crypto: c, startMs: Date.now() - 60_000 });
  const day = w.day();
  for (let i = 0; i < 20; i++) {
    await w.upload(new UserKeys(c, c.randomBytes(32)), day, [{ start: Math.max(day * 1440, Math.floor(Date.now() / 60_000) - 90) + i, minutes: 10, latE7: 558_000_000 + i, lonE7: -42_000_000, radius: 8, source: Source.GNSS, precision: Precision.M10 }]);
  }
  const total = w.ledger.count();
  writeFileSync(join(dir, 'node.json'), JSON.stringify({ region: w.region, rootKey: toHex(w.root.publicKey) }));
  // the peer it syncs from: the World's ledger on the mesh
  const transport = new WebRtcTransport({ url: signal.url, region: w.region, chains: ['tracing', 'notification'], Peer: Peer as unknown as SimplePeerCtor, wrtc, WebSocketImpl: WebSocket as unknown as WebSocketCtor });
  const peer = new NetNode({ ledger: w.ledger, clock, role: 'full', connect: transport.connect, discover: transport.discover, tickMs: 250 });
  transport.attach(peer);
  transport.start();
  peer.start();
  const child = spawn(process.execPath, [BIN, 'node', '--role', 'archive', '--signal', signal.url, '--data', dir, '--region', String(w.region)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (d) => (log += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  try {
    await until(() => /beeptrace node: archive, region 1/.test(log), 'the node to start', 20_000);
    await until(() => peer.peers().length > 0, 'the node to join the mesh', 30_000);
    // every block served once (each fits one BLOCK frame), then a moment for the node to store them
    await until(() => (peer.stats().traffic.outByType.block ?? 0) >= total, 'the peer to serve every block', 30_000);
    await new Promise((r) => setTimeout(r, 1500));
    child.kill('SIGTERM');
    assert.equal(await exited, 0, log);
    const node = await FullNode.open({ dir, role: 'archive', crypto: c });
    try {
      assert.equal(node.ledger.count(), total, 'every block of both chains on disk');
      assert.equal(node.ledger.count(Chain.TRACING), 20);
    } finally {
      await node.close();
    }
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    peer.stop();
    transport.stop();
    await signal.close();
    rmSync(dir, { recursive: true, force: true });
  }

});

test('beeptrace node refuses bad flags and a bad configuration with exit 2', () => {
  const dir = mkdtempSync(join(tmpdir(), 'beeptrace-node-bad-'));
  try {
    let r = spawnSync(process.execPath, [BIN, 'node', '--role', 'oracle', '--signal', 'ws://127.0.0.1:1', '--data', dir], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--role must be archive, validator or solver/);
    r = spawnSync(process.execPath, [BIN, 'node', '--role', 'archive', '--signal', 'ws://127.0.0.1:1', '--data', dir], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /node\.json/);
    writeFileSync(join(dir, 'node.json'), JSON.stringify({ region: 1, rootKey: 'xyz' }));
    r = spawnSync(process.execPath, [BIN, 'node', '--role', 'archive', '--signal', 'ws://127.0.0.1:1', '--data', dir], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /"rootKey" must be 32 bytes/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

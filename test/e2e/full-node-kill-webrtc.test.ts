/**
 * Durability on the real path: a `beeptrace node` process receiving a stream of trace-batch
 * uploads from a thin node — over the real signaling server and real WebRTC data channels — and
 * killed with SIGKILL mid-stream restarts with every block it had acknowledged (sent a RECEIPT
 * for; the node sends one only after its file store fsync'ed the block).
 *
 * The restarted process proves it: re-uploading every batch, each acknowledged one is answered
 * "already stored"; the rest are stored; after a clean SIGTERM the data directory holds them all.
 * (test/e2e/full-node-kill.test.ts is the same property with blocks fed over IPC.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
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
import { traceBatchBlock } from '../../src/core/blocks.ts';
import { Ledger } from '../../src/core/ledger/ledger.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { FullNode } from '../../src/node/full-node.ts';
import { NetNode } from '../../src/net/node.ts';
import type { Clock } from '../../src/net/link.ts';
import { WebRtcTransport } from '../../src/net/webrtc/transport.ts';
import type { SimplePeerCtor } from '../../src/net/webrtc/connector.ts';
import type { WebSocketCtor } from '../../src/net/webrtc/signaling-client.ts';
import { Chain, Precision, Source } from '../../src/core/types.ts';
import { until } from './harness.ts';

const BIN = new URL('../../bin/beeptrace.js', import.meta.url).pathname;
const clock: Clock = { now: () => Date.now(), setTimeout: (f, ms) => setTimeout(f, ms), clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>) };
const BATCHES = 400;
/** SIGKILL once this many uploads have been acknowledged. */
const KILL_AFTER = 100;

/** A running `beeptrace node` process and its stderr. */
interface NodeProc {
  child: ChildProcess;
  log: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Blocks on disk, from its start line. */
  blocksOnDisk: number;
}

async function startNode(signalUrl: string, dir: string, region: number): Promise<NodeProc> {
  const child = spawn(process.execPath, [BIN, 'node', '--role', 'archive', '--signal', signalUrl, '--data', dir, '--tick', '1'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (d) => (log += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));
  const started = new RegExp(`beeptrace node: archive, region ${region}, (\\d+) blocks on disk`);
  const m = await until(() => started.exec(log) ?? (child.exitCode !== null ? assert.fail(`the node exited ${child.exitCode} before starting:\n${log}`) : null), 'the node process to start', 30_000);
  return { child, log: () => log, exited, blocksOnDisk: Number(m[1]) };
}

/** A browser-like thin node in this process: notification chain only, uploads over WebRTC. */
async function startThin(signalUrl: string, region: number, rootKey: Uint8Array, authority: Uint8Array[]) {
  const ledger = new Ledger({ crypto: c, store: new MemoryStore(), rootKey, region, now: () => Date.now(), carries: [Chain.NOTIFICATION] });
  await ledger.open();
  for (const b of authority) await ledger.add(b);
  const transport = new WebRtcTransport({
    url: signalUrl, region, chains: ['notification'], Peer: Peer as unknown as SimplePeerCtor, wrtc, WebSocketImpl: WebSocket as unknown as WebSocketCtor, iceServers: [],
  });
  const node = new NetNode({ ledger, clock, role: 'thin', connect: transport.connect, discover: transport.discover, tickMs: 250 });
  transport.attach(node);
  transport.start();
  node.start();
  return {
    node,
    /** Resolves once a peer carrying the tracing chain has said HELLO (uploads can go). */
    ready: () => until(() => node.peers().some((p) => p.role === 'full' && p.chains.includes(Chain.TRACING)), 'the thin node to reach a full node over WebRTC', 30_000),
    stop() {
      node.stop();
      transport.stop();
    },
  };
}

test('a beeptrace node SIGKILLed while receiving uploads over WebRTC restarts with every block it acknowledged', { timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'beeptrace-kill-rtc-'));
  const signal = await startSignalingServer({ port: 0, host: '127.0.0.1' });
  const children: ChildProcess[] = [];
  const thins: { stop(): void }[] = [];
  try {
    // The CA's statements (policy, certificates, epoch keys) and the trace batches, for yesterday
    // (the node runs on the real clock).
    const w = await World.create({ crypto: c, startMs: Date.now() - 60_000 });
    const day = w.day() - 1;
    const { epoch, publicKey } = await w.ensureEpoch(day);
    const authority: Uint8Array[] = [];
    for (const e of w.ledger.entries(Chain.NOTIFICATION)) authority.push((await w.ledger.get(e.id))!);
    const batches = Array.from({ length: BATCHES }, (_, i) =>
      traceBatchBlock(c, new UserKeys(c, c.randomBytes(32)), {
        region: w.region, timeSec: w.timeSec() - 60, parents: [], day, part: 0, epoch, epochPub: publicKey, powBits: w.policy.pow.traceBits,
        stays: [{ start: day * 1440 + 600, minutes: 30, latE7: 558_000_000 + i, lonE7: -42_000_000, radius: 8, source: Source.GNSS, precision: Precision.M10 }],
      }),
    );
    const ids = batches.map((b) => toHex(c.sha256(b)));

    // The node's data directory: node.json, and the CA's statements already on disk, so it
    // accepts trace batches from the first one.
    writeFileSync(join(dir, 'node.json'), JSON.stringify({ region: w.region, rootKey: toHex(w.root.publicKey) }));
    const seed = await FullNode.open({ dir, role: 'archive', crypto: c });
    for (const b of authority) await seed.ingest(b);
    await seed.close();

    // ── 1. Stream uploads at the node; SIGKILL it once KILL_AFTER are acknowledged. ──
    const first = await startNode(signal.url, dir, w.region);
    children.push(first.child);
    assert.equal(first.blocksOnDisk, authority.length, 'the node starts with the CA statements on disk');
    const thin1 = await startThin(signal.url, w.region, w.root.publicKey, authority);
    thins.push(thin1);
    await thin1.ready();
    const acked = new Set<string>();
    const receipts = new Map<string, number>();
    const odd: string[] = [];
    let rejected = 0;
    let killedWith = -1;
    const settled = batches.map((b, i) =>
      thin1.node.publish(b).then(
        (r) => {
          receipts.set(r.receipt!, (receipts.get(r.receipt!) ?? 0) + 1);
          if (r.status !== 'uploaded' || toHex(r.id) !== ids[i]) odd.push(`${ids[i].slice(0, 16)}…: ${r.status} ${toHex(r.id).slice(0, 16)}…`);
          // 'held' would mean "waiting for parents", not stored; a trace batch has none
          if (r.receipt === 'stored' || r.receipt === 'duplicate') acked.add(ids[i]);
          if (killedWith < 0 && acked.size >= KILL_AFTER) {
            killedWith = acked.size;
            first.child.kill('SIGKILL');
          }
        },
        () => void rejected++,
      ),
    );
    await until(() => killedWith >= 0 || first.child.exitCode !== null, `${KILL_AFTER} receipts from the node`, 60_000);
    const exit1 = await first.exited;
    assert.equal(exit1.signal, 'SIGKILL', `the node was killed, not exited by itself (${JSON.stringify(exit1)}):\n${first.log()}`);
    // Receipts already on the wire may still arrive; every one counts. Then the uploads still
    // pending reject when the thin node stops.
    await new Promise((r) => setTimeout(r, 300));
    thin1.stop();
    await Promise.all(settled);
    assert.deepEqual(odd, [], 'every publish resolved as an upload of its own id');
    assert.ok(killedWith >= KILL_AFTER, `killed after ${KILL_AFTER} receipts (at ${killedWith})`);
    assert.ok(acked.size > 0, 'some uploads were acknowledged before the kill');
    assert.ok(acked.size < BATCHES, `killed mid-stream: ${acked.size} of ${BATCHES} acknowledged`);
    assert.equal(acked.size + rejected, BATCHES, `every upload was acknowledged or rejected on stop (receipts ${JSON.stringify(Object.fromEntries(receipts))}, rejected ${rejected})`);

    // ── 2. Restart on the same directory: it holds every acknowledged block. ──
    const second = await startNode(signal.url, dir, w.region);
    children.push(second.child);
    assert.ok(second.blocksOnDisk >= authority.length + acked.size, `restarted with ${second.blocksOnDisk} blocks on disk, at least ${authority.length} + ${acked.size} acknowledged`);
    const thin2 = await startThin(signal.url, w.region, w.root.publicKey, authority);
    thins.push(thin2);
    await thin2.ready();
    // Re-upload everything: an acknowledged batch must be "already stored"; the rest get stored now.
    const again = await Promise.all(batches.map((b) => thin2.node.publish(b)));
    const notStored = again.flatMap((r, i) => (acked.has(ids[i]) && r.receipt !== 'duplicate' ? [`${ids[i].slice(0, 16)}… ${r.receipt}`] : []));
    assert.deepEqual(notStored, [], 'the restarted node answers "already stored" for every acknowledged batch');
    const fresh = again.filter((r) => r.receipt === 'stored').length;
    assert.ok(fresh >= 1, 'the restarted node stores the batches it had not received');
    t.diagnostic(`killed at ${killedWith} receipts; ${acked.size} of ${BATCHES} acknowledged, ${rejected} pending at the kill; restarted with ${second.blocksOnDisk - authority.length} batches on disk; ${fresh} stored on re-upload`);
    thin2.stop();
    second.child.kill('SIGTERM');
    const exit2 = await second.exited;
    assert.equal(exit2.code, 0, `the restarted node stops cleanly on SIGTERM:\n${second.log()}`);

    // ── 3. The directory itself: every acknowledged block, and then every batch. ──
    const node = await FullNode.open({ dir, role: 'archive', crypto: c });
    try {
      const missing = [...acked].filter((h) => !node.ledger.has(h));
      assert.deepEqual(missing, [], 'acknowledged blocks lost');
      assert.equal(node.ledger.count(Chain.TRACING), BATCHES, 'every batch on disk after the re-upload');
      assert.equal(node.ledger.count(Chain.NOTIFICATION), authority.length, 'the CA statements on disk');
    } finally {
      await node.close();
    }
  } finally {
    for (const t of thins) t.stop();
    for (const ch of children) if (ch.exitCode === null && ch.signalCode === null) ch.kill('SIGKILL');
    await signal.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * The node in a Worker, over real WebRTC: a Chromium page whose NetNode runs in a dedicated module
 * Worker while the page holds the WebRTC links (src/app/page/net-bridge.ts) and proxies their
 * frames over MessagePorts (src/net/port-link.ts). Through the real signaling server it syncs the
 * notification chain from a Node full node (assembled like the browser's, src/net/assemble.ts) and
 * hands it an upload, which the full node stores. The page's main thread never loads the ledger.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Peer from 'simple-peer';
import wrtc from '@roamhq/wrtc';
import WebSocket from 'ws';
import { startSignalingServer } from '../../signaling/server.ts';
import { World } from '../../src/node/sim/world.ts';
import { nodeCrypto as c } from '../../src/node/node-crypto.ts';
import { toHex } from '../../src/core/bytes.ts';
import { FullNode } from '../../src/node/full-node.ts';
import { assembleNode, hostClock } from '../../src/net/assemble.ts';
import { WebRtcTransport } from '../../src/net/webrtc/transport.ts';
import type { SimplePeerCtor } from '../../src/net/webrtc/connector.ts';
import type { WebSocketCtor } from '../../src/net/webrtc/signaling-client.ts';
import { Chain } from '../../src/core/types.ts';
import { launchChromium, startVite, until } from './harness.ts';

test('a page whose node runs in a Worker syncs from a full node and hands it an upload', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'beeptrace-worker-'));
  const signal = await startSignalingServer({ port: 0, host: '127.0.0.1' });
  const vite = await startVite();
  const browser = await launchChromium();
  const w = await World.create({ crypto: c, startMs: Date.now() - 5_000 });
  const full = await FullNode.open({ dir, role: 'archive', crypto: c, config: { region: w.region, rootKey: w.root.publicKey, epochKeys: new Map() } });
  for (const e of w.ledger.entries(Chain.NOTIFICATION)) await full.ingest((await w.ledger.get(e.id))!);
  // it proves a certified key (a validator's) on each link, over the DTLS fingerprints of the real connection (src/net/auth.ts)
  const n = assembleNode({
    ledger: full.ledger, role: 'full', clock: hostClock(), crypto: c, tickMs: 250, auth: w.validators[0],
    transport: (chains, { certified }) => new WebRtcTransport({ url: signal.url, region: w.region, chains, certified, Peer: Peer as unknown as SimplePeerCtor, wrtc, WebSocketImpl: WebSocket as unknown as WebSocketCtor }),
  });
  n.start();
  try {
    const page = await browser.newPage();
    // every script parsed in the page's main-thread context (a worker's scripts are parsed in the worker's)
    const parsed: string[] = [];
    const cdp = await page.context().newCDPSession(page);
    cdp.on('Debugger.scriptParsed', (e) => e.url.startsWith('http') && parsed.push(e.url));
    await cdp.send('Debugger.enable');
    page.on('pageerror', (e) => console.error(`[page] ${e.message}`));
    page.on('console', (m) => m.type() === 'error' && console.error(`[page] ${m.text()}`));
    await page.goto(`${vite.url}/test/e2e/pages/worker.html?name=w${Date.now()}&region=${w.region}&root=${toHex(w.root.publicKey)}&signal=${encodeURIComponent(signal.url)}`);
    const call = (method: string, ...args: unknown[]) => page.evaluate(([m, a]) => (window as any).bt.call(m, ...a), [method, args] as const);

    assert.equal(await until(() => call('inWorker'), 'the worker node', 20_000), true, 'the node answers from a dedicated worker');
    assert.equal(await call('role'), 'thin');
    const total = full.ledger.count(Chain.NOTIFICATION);
    await until(async () => {
      const have = await call('count', Chain.NOTIFICATION);
      if (process.env.BEEPTRACE_DEBUG) console.error('worker has', have, 'of', total, 'peers', await call('peers'), 'signaling', await call('signaling'), 'full peers', JSON.stringify(n.node.peers()), 'worker peers', JSON.stringify(await call('peerInfo')));
      return have === total;
    }, 'the worker synced the notification chain through the page', 60_000, 500);
    assert.equal(await call('signaling'), 'open', 'the page tells the worker the signaling state');
    assert.ok((await call('peers')) as number >= 1);
    // the channel binding crossed from the page's RTCPeerConnection to the worker: the proof verified there
    const infos = (await until(async () => {
      const p = (await call('peerInfo')) as { certified: boolean; score: number }[];
      return p.some((x) => x.certified) ? p : null;
    }, 'the worker node sees the full node as a certified peer', 15_000)) as { certified: boolean; score: number }[];
    assert.ok(infos.every((x) => x.score === 0), `no peer was penalised (a bad binding would be a BAD_AUTH): ${JSON.stringify(infos)}`);

    const up = (await call('upload')) as { id: string; status: string };
    assert.equal(up.status, 'uploaded');
    await until(() => full.ledger.has(up.id), 'the upload stored at the full node', 15_000);
    assert.equal(await call('count', Chain.TRACING), 0, 'the thin node in the worker stores no tracing block');

    // the ledger lives in the worker only: the scripts the page's own JavaScript context parsed
    const pageScripts = parsed.map((u) => new URL(u).pathname);
    assert.ok(pageScripts.some((p) => p.endsWith('/src/app/page/net-bridge.ts')), `the page parsed the net bridge: ${pageScripts.join(' ')}`);
    assert.deepEqual(pageScripts.filter((p) => /\/src\/(core\/ledger|store|net\/node\.ts|app\/thin-node)/.test(p)), [], 'the main thread holds no ledger, store or NetNode');
  } finally {
    await n.stop();
    await browser.close();
    await vite.server.close();
    await signal.close();
    await full.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * What a page syncs from during the audit: the real signaling server and one Node full node
 * (archive role, file store in a temporary folder) on the WebRTC mesh, holding the world's
 * authority statements plus `extra` notification blocks — the same setup as test/e2e/mesh.test.ts.
 */
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
import { NetNode } from '../../src/net/node.ts';
import { WebRtcTransport } from '../../src/net/webrtc/transport.ts';
import type { SimplePeerCtor } from '../../src/net/webrtc/connector.ts';
import type { WebSocketCtor } from '../../src/net/webrtc/signaling-client.ts';
import { notificationBlock } from '../../src/core/blocks.ts';
import { buildTagSet } from '../../src/core/tagset.ts';
import { Chain } from '../../src/core/types.ts';
import type { AppConfig } from '../../src/app/protocol.ts';

export interface SyncSource {
  /** What the app reads at /config.json to join this network. */
  config: AppConfig;
  /** Notification blocks the full node holds (what a complete sync ends with). */
  total: number;
  /** Block frames the full node has sent so far. */
  blocksSent(): number;
  close(): Promise<void>;
}

const clock = { now: () => Date.now(), setTimeout: (f: () => void, ms: number) => setTimeout(f, ms), clearTimeout: (h: unknown) => clearTimeout(h as ReturnType<typeof setTimeout>) };

/**
 * Start signaling and a full node with `extra` notification blocks beyond the authority statements.
 *
 * @example
 * const src = await startSyncSource(3000);
 * // page: thin.html?region=${src.config.region}&root=${src.config.rootKey}&signal=${src.config.signalUrl}
 * await src.close();
 */
export async function startSyncSource(extra: number): Promise<SyncSource> {
  const dir = mkdtempSync(join(tmpdir(), 'beeptrace-audit-node-'));
  const signal = await startSignalingServer({ port: 0, host: '127.0.0.1' });
  const w = await World.create({ crypto: c, startMs: Date.now() - 5_000 });
  const full = await FullNode.open({ dir, role: 'archive', crypto: c, config: { region: w.region, rootKey: w.root.publicKey, epochKeys: new Map() } });
  for (const e of w.ledger.entries(Chain.NOTIFICATION)) await full.ingest((await w.ledger.get(e.id))!);
  const day = Math.floor(Date.now() / 86_400_000);
  for (let i = 0; i < extra; i++) {
    const set = buildTagSet(c, [c.randomBytes(32)], c.randomBytes(16), 20);
    await full.ingest(notificationBlock(c, w.solver, { exposureDay: day, level: 1, P: set.P, n: set.n, salt: set.salt, data: set.data }, { region: w.region, timeSec: Math.floor(Date.now() / 1000) - 2, parents: [] }));
  }
  const transport = new WebRtcTransport({ url: signal.url, region: w.region, chains: ['tracing', 'notification'], Peer: Peer as unknown as SimplePeerCtor, wrtc, WebSocketImpl: WebSocket as unknown as WebSocketCtor });
  const net = new NetNode({ ledger: full.ledger, clock, role: 'full', connect: transport.connect, discover: transport.discover, tickMs: 250 });
  transport.attach(net);
  transport.start();
  net.start();
  return {
    config: { region: w.region, signalUrl: signal.url, rootKey: toHex(w.root.publicKey), iceServers: [] },
    total: full.ledger.count(Chain.NOTIFICATION),
    blocksSent: () => net.stats().traffic.outByType.block ?? 0,
    async close() {
      net.stop();
      transport.stop();
      await signal.close();
      await full.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

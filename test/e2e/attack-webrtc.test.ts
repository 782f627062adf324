/**
 * Issue 9 "must hold": the flood and stall attacks once over real WebSocket signaling and real
 * WebRTC data channels (@roamhq/wrtc) between Node peers. A victim and an honest full node meet
 * through the signaling server; an attacker with one ordinary data channel per node either floods
 * announcements of random ids at 100 frames/s, or re-announces every id it hears and answers each
 * request with the first chunk of a fake 1 MB body, resent every 2 s. The victim still receives
 * every honest block, and no honest peer is penalised.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Peer from 'simple-peer';
import wrtc from '@roamhq/wrtc';
import WebSocket from 'ws';
import { startSignalingServer } from '../../signaling/server.ts';
import { World } from '../../src/node/sim/world.ts';
import { nodeCrypto as c } from '../../src/node/node-crypto.ts';
import { toHex } from '../../src/core/bytes.ts';
import { Ledger } from '../../src/core/ledger/ledger.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { UserKeys } from '../../src/core/keys.ts';
import { NetNode } from '../../src/net/node.ts';
import type { NetEvent } from '../../src/net/context.ts';
import type { Link } from '../../src/net/link.ts';
import { blockFrames, decodeFrame, encodeFrame, sortIds } from '../../src/net/frames.ts';
import { WebRtcTransport } from '../../src/net/webrtc/transport.ts';
import { WebRtcConnector, type SimplePeerCtor } from '../../src/net/webrtc/connector.ts';
import { roomName, SignalingClient, type WebSocketCtor } from '../../src/net/webrtc/signaling-client.ts';
import { Chain, Precision, Source } from '../../src/core/types.ts';
import { until } from './harness.ts';

const clock = { now: () => Date.now(), setTimeout: (f: () => void, ms: number) => setTimeout(f, ms), clearTimeout: (h: unknown) => clearTimeout(h as ReturnType<typeof setTimeout>) };

for (const attack of ['flood', 'stall'] as const) {
  test(`over real signaling and WebRTC: an attacker's ${attack} does not keep honest blocks from the victim`, async () => {
    const signal = await startSignalingServer({ port: 0, host: '127.0.0.1' });
    const w = await World.create({ crypto: c, startMs: Date.now() - 5_000 });
    const ca: Uint8Array[] = [];
    for (const e of w.ledger.entries(Chain.NOTIFICATION)) ca.push((await w.ledger.get(e.id))!);
    const blocks: Uint8Array[] = [];
    for (let i = 0; i < 10; i++) {
      await w.upload(new UserKeys(c, c.randomBytes(32)), w.day(), [{ start: w.day() * 1440 + i, minutes: 10, latE7: 558_000_000 + i, lonE7: -42_000_000, radius: 8, source: Source.GNSS, precision: Precision.M10 }]);
      blocks.push((await w.ledger.get(w.ledger.entries(Chain.TRACING).at(-1)!.id))!);
    }
    const events: NetEvent[] = [];
    const nodes: { net: NetNode; transport: WebRtcTransport; ledger: Ledger }[] = [];
    for (const name of ['victim', 'honest']) {
      const ledger = new Ledger({ crypto: c, store: new MemoryStore(), rootKey: w.root.publicKey, region: w.region, now: () => Date.now(), carries: [Chain.TRACING, Chain.NOTIFICATION] });
      await ledger.open();
      for (const b of ca) await ledger.add(b);
      const transport = new WebRtcTransport({ url: signal.url, region: w.region, chains: ['tracing', 'notification'], Peer: Peer as unknown as SimplePeerCtor, wrtc, WebSocketImpl: WebSocket as unknown as WebSocketCtor });
      const net = new NetNode({ ledger, clock, role: 'full', connect: transport.connect, discover: transport.discover, tickMs: 250, onEvent: name === 'victim' ? (e) => events.push(e) : undefined });
      transport.attach(net);
      transport.start();
      net.start();
      nodes.push({ net, transport, ledger });
    }
    const [victim, honest] = nodes;
    // The attacker: raw data channels to every node in the tracing room, HELLO as a full node.
    const room = roomName(`r${w.region}`, 'tracing');
    const sig = new SignalingClient({ url: signal.url, rooms: [room], WebSocketImpl: WebSocket as unknown as WebSocketCtor });
    const conn = new WebRtcConnector(sig, Peer as unknown as SimplePeerCtor, { wrtc });
    const links: Link[] = [];
    const dialed = new Set<string>();
    const timers: ReturnType<typeof setInterval>[] = [];
    const fakes = new Map<string, Uint8Array>();
    let gets = 0;
    sig.onPeers = (_r, peers) => {
      for (const p of peers) {
        if (dialed.has(p)) continue;
        dialed.add(p);
        conn.connect(room, p).then((l) => {
          links.push(l);
          const asked = new Map<string, Uint8Array>();
          l.onFrame = (fr) => {
            if (attack !== 'stall') return;
            const x = decodeFrame(fr);
            if (x.type === 'inv') for (const o of links) o.send(encodeFrame({ type: 'inv', chain: x.chain, ids: x.ids }));
            if (x.type === 'get') for (const id of x.ids) { asked.set(toHex(id), id); gets++; }
          };
          l.send(encodeFrame({ type: 'hello', version: 1, region: w.region, chains: [1, 2], role: 'full' }));
          if (attack === 'flood') timers.push(setInterval(() => l.send(encodeFrame({ type: 'inv', chain: Chain.TRACING, ids: sortIds(Array.from({ length: 256 }, () => c.randomBytes(32))) })), 10));
          else timers.push(setInterval(() => {
            for (const [h, id] of asked) {
              if (!fakes.has(h)) fakes.set(h, blockFrames(id, c.randomBytes(1_000_000), false)[0]);
              l.send(fakes.get(h)!);
            }
          }, 2_000));
        }, () => undefined);
      }
    };
    sig.start();
    try {
      await until(() => victim.net.peers().length >= 2 && links.length >= 2, 'victim linked to the honest node and the attacker', 60_000);
      const via = new Set<string | null>();
      const want = new Set(blocks.map((b) => toHex(c.sha256(b))));
      victim.net.onBlock((e, _b, link) => { if (want.has(e.hex)) via.add(link); });
      await new Promise((r) => setTimeout(r, 3_000)); // the attack runs before the honest blocks
      for (const b of blocks) {
        await honest.net.publish(b);
        await new Promise((r) => setTimeout(r, 300));
      }
      await until(() => blocks.every((b) => victim.ledger.has(c.sha256(b))), 'every honest block at the victim', 60_000);
      assert.ok(via.size > 0 && !via.has(null), 'the honest blocks came over links');
      if (attack === 'flood') assert.ok(victim.net.stats().gossip.wantsOverBudget > 0, 'the flood reached the victim: announcements beyond the attacker\'s budget were ignored');
      else assert.ok(gets > 0, 'the victim asked the attacker for blocks it claimed (the stall was engaged)');
      const penalised = events.filter((e) => e.type === 'penalty' && via.has(e.link));
      assert.deepEqual(penalised, [], 'the honest peer (the link the blocks came over) was not penalised');
    } finally {
      for (const t of timers) clearInterval(t);
      sig.stop();
      for (const n of nodes) {
        n.net.stop();
        n.transport.stop();
      }
      await signal.close();
    }
  });
}

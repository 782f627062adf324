/**
 * The browser thin node, assembled: a Ledger on IndexedDB that carries the notification chain,
 * a NetNode in the thin role, and the WebRTC transport through the signaling server. This is the
 * network API the app uses: start, stop, publish, subscribe to blocks, sync progress, peers.
 *
 * @example
 * const thin = await openThinNode({ signalUrl: 'ws://127.0.0.1:8787', region: 1, rootKey, dbName: 'beeptrace' });
 * thin.start();
 * thin.node.onBlock((e) => …);
 * await thin.node.publish(traceBatchBytes); // handed to a full node (UPLOAD)
 * @module
 */
import Peer from 'simple-peer';
import { Ledger } from '../core/ledger/ledger.ts';
import { nobleCrypto } from '../core/crypto.ts';
import { Chain } from '../core/types.ts';
import { NetNode } from '../net/node.ts';
import type { Clock } from '../net/link.ts';
import { WebRtcTransport } from '../net/webrtc/transport.ts';
import type { SimplePeerCtor } from '../net/webrtc/connector.ts';
import { openIdbStore, type IdbStore } from '../store/idb-store.ts';

export interface ThinNodeOptions {
  signalUrl: string;
  region: number;
  /** The CA root public key from the app's configuration. */
  rootKey: Uint8Array;
  /** IndexedDB database name. */
  dbName: string;
  iceServers?: unknown[];
  /** Housekeeping period of the NetNode, ms. */
  tickMs?: number;
}

export interface ThinNode {
  ledger: Ledger;
  node: NetNode;
  transport: WebRtcTransport;
  store: IdbStore;
  start(): void;
  stop(): Promise<void>;
}

const browserClock: Clock = { now: () => Date.now(), setTimeout: (f, ms) => setTimeout(f, ms), clearTimeout: (h) => clearTimeout(h as number) };

/** Open the device's ledger from IndexedDB and wire it to the mesh (not started yet). */
export async function openThinNode(o: ThinNodeOptions): Promise<ThinNode> {
  const store = await openIdbStore(o.dbName);
  const ledger = new Ledger({ crypto: nobleCrypto, store, rootKey: o.rootKey, region: o.region, now: () => Date.now(), carries: [Chain.NOTIFICATION] });
  await ledger.open();
  const transport = new WebRtcTransport({ url: o.signalUrl, region: o.region, chains: ['notification'], Peer: Peer as unknown as SimplePeerCtor, iceServers: o.iceServers });
  const node = new NetNode({ ledger, clock: browserClock, role: 'thin', connect: transport.connect, discover: transport.discover, tickMs: o.tickMs });
  transport.attach(node);
  return {
    ledger, node, transport, store,
    start() {
      transport.start();
      node.start();
    },
    async stop() {
      node.stop();
      transport.stop();
      await store.close();
    },
  };
}

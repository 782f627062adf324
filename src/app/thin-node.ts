/**
 * The browser node, assembled: a Ledger on IndexedDB, a NetNode, and the WebRTC transport through
 * the signaling server. This is the network API the app uses: start, stop, publish, subscribe to
 * blocks, sync progress, peers, and the uploads kept until a checkpoint proves them.
 *
 * Roles (docs/NET.md §Roles): by default a *thin* node — it carries the notification chain only
 * and hands its own trace batches to a peer that carries the tracing chain. A desktop browser may
 * opt in as a tracing *relay* (`setRelay(store, true)`, or `relay: true`): it then stores and
 * forwards the region's tracing chain too (about a kilobyte per user per day of the region), and
 * answers other nodes' sync and proof requests like a full node. The choice is kept in the store.
 *
 * With the device's keys, an own upload that a final checkpoint left out is re-issued at the
 * current time (renewBlock, src/net/outbox.ts).
 *
 * @example
 * const thin = await openThinNode({ signalUrl: 'ws://127.0.0.1:8787', region: 1, rootKey, dbName: 'beeptrace', keys: device.keys });
 * thin.start();
 * thin.node.onBlock((e) => …);
 * await thin.node.publish(traceBatchBytes); // handed to a full node (UPLOAD), kept until proven
 * thin.node.retained()                      // [{ id, chain: 1, time, state: 'received' }]
 * @module
 */
import Peer from 'simple-peer';
import { Ledger } from '../core/ledger/ledger.ts';
import { nobleCrypto } from '../core/crypto.ts';
import { renewBlock } from '../core/blocks.ts';
import { decodeBlock, Kind } from '../core/codec/block.ts';
import type { UserKeys } from '../core/keys.ts';
import type { BlockStore } from '../core/store.ts';
import { Chain } from '../core/types.ts';
import { NetNode } from '../net/node.ts';
import type { Clock } from '../net/link.ts';
import type { RenewFn } from '../net/outbox.ts';
import { WebRtcTransport } from '../net/webrtc/transport.ts';
import type { SimplePeerCtor } from '../net/webrtc/connector.ts';
import { openIdbStore, type IdbStore } from '../store/idb-store.ts';

/** Store key of the relay opt-in (one byte, 1 = relay). @example await store.getValue(RELAY_KEY) */
export const RELAY_KEY = 'net/relay';

export interface ThinNodeOptions {
  signalUrl: string;
  region: number;
  /** The CA root public key from the app's configuration. */
  rootKey: Uint8Array;
  /** IndexedDB database name. */
  dbName: string;
  /** Carry the tracing chain too. Default: the choice kept in the store (`setRelay`), else false. */
  relay?: boolean;
  /** The device's keys: lets the node re-issue an own upload a checkpoint left out. */
  keys?: UserKeys;
  iceServers?: unknown[];
  /** Housekeeping period of the NetNode, ms. */
  tickMs?: number;
}

export interface ThinNode {
  ledger: Ledger;
  node: NetNode;
  transport: WebRtcTransport;
  store: IdbStore;
  /** 'thin' or 'relay'. */
  role: 'thin' | 'relay';
  start(): void;
  /** Stop the network, finish pending writes, close the store. */
  stop(): Promise<void>;
}

/** Keep the relay opt-in; it takes effect the next time the node is opened. @example await setRelay(store, true) */
export async function setRelay(store: BlockStore, on: boolean): Promise<void> {
  await store.setValue(RELAY_KEY, new Uint8Array([on ? 1 : 0]));
}

/** The kept relay opt-in (false if never set). @example if (await isRelay(store)) … */
export async function isRelay(store: BlockStore): Promise<boolean> {
  return (await store.getValue(RELAY_KEY))?.[0] === 1;
}

const browserClock: Clock = { now: () => Date.now(), setTimeout: (f, ms) => setTimeout(f, ms), clearTimeout: (h) => clearTimeout(h as number) };

/** Re-issue an own block now, with the proof-of-work the policy asks for its kind. */
function renewWith(keys: UserKeys, ledger: Ledger): RenewFn {
  return (bytes) => {
    const pow = ledger.authority.policy.pow;
    const kind = decodeBlock(bytes).kind;
    const powBits = kind === Kind.TRACE_BATCH ? pow.traceBits : kind === Kind.WITHDRAWAL ? pow.withdrawalBits : pow.selfReportBits;
    return renewBlock(nobleCrypto, keys, bytes, { timeSec: Math.floor(Date.now() / 1000), powBits });
  };
}

/** Open the device's ledger from IndexedDB and wire it to the mesh (not started yet). */
export async function openThinNode(o: ThinNodeOptions): Promise<ThinNode> {
  const store = await openIdbStore(o.dbName);
  const relay = o.relay ?? (await isRelay(store));
  const role = relay ? 'relay' : 'thin';
  const carries = relay ? [Chain.TRACING, Chain.NOTIFICATION] : [Chain.NOTIFICATION];
  const ledger = new Ledger({ crypto: nobleCrypto, store, rootKey: o.rootKey, region: o.region, now: () => Date.now(), carries });
  await ledger.open();
  const transport = new WebRtcTransport({
    url: o.signalUrl, region: o.region, chains: relay ? ['tracing', 'notification'] : ['notification'], Peer: Peer as unknown as SimplePeerCtor, iceServers: o.iceServers,
  });
  const node = new NetNode({
    ledger, clock: browserClock, role, connect: transport.connect, discover: transport.discover, tickMs: o.tickMs,
    renew: o.keys ? renewWith(o.keys, ledger) : undefined,
  });
  transport.attach(node);
  return {
    ledger, node, transport, store, role,
    start() {
      transport.start();
      node.start();
    },
    async stop() {
      node.stop();
      transport.stop();
      await node.settle();
      await store.close();
    },
  };
}

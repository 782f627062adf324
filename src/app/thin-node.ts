/**
 * The browser node, assembled: a Ledger on IndexedDB, a NetNode, and the WebRTC transport through
 * the signaling server. This is the network API the app uses: start, stop, publish, subscribe to
 * blocks, sync progress, peers, and the uploads kept until a checkpoint proves them.
 *
 * Roles (docs/NET.md §Roles): by default a *thin* node — it carries the notification chain and
 * the tracing chain's case blocks (diagnoses, self-reports, withdrawals: docs/PROTOCOL.md §15 item
 * 34, so the patient sees its diagnosis recorded and the dashboard counts cases without relaying)
 * and hands its own trace batches to a peer that carries the tracing chain. A desktop browser may
 * opt in as a tracing *relay* (`setRelay(store, true)`, or `relay: true`): it then stores and
 * forwards the region's tracing chain too (about a kilobyte per user per day of the region), and
 * answers other nodes' sync and proof requests like a full node. The choice is kept in the store.
 *
 * With the device's keys, an own upload that a final checkpoint left out is re-issued at the
 * current time (renewBlock, src/net/outbox.ts).
 *
 * The node is assembled by src/net/assemble.ts (as the full node is). `openThinNode` holds the
 * WebRTC links itself (a page); `openPortNode` runs where RTCPeerConnection does not exist (a
 * Worker) and dials through the page's links over a control port (src/net/port-link.ts,
 * src/app/page/net-bridge.ts). simple-peer is loaded only by `openThinNode`.
 *
 * @example
 * const thin = await openThinNode({ signalUrl: 'ws://127.0.0.1:8787', region: 1, rootKey, dbName: 'beeptrace', keys: device.keys });
 * thin.start();
 * thin.node.onBlock((e) => …);
 * await thin.node.publish(traceBatchBytes); // handed to a full node (UPLOAD), kept until proven
 * thin.node.retained()                      // [{ id, chain: 1, time, state: 'received' }]
 * // in a Worker, with the page serving the control port (src/app/page/net-bridge.ts):
 * const inWorker = await openPortNode({ net: init.net, region: 1, rootKey, dbName: 'beeptrace', keys });
 * @module
 */
import { nobleCrypto } from '../core/crypto.ts';
import { fromHex } from '../core/bytes.ts';
import { InputError } from '../core/errors.ts';
import type { Ledger } from '../core/ledger/ledger.ts';
import type { BlockStore } from '../core/store.ts';
import type { NetNode } from '../net/node.ts';
import { assembleNode, hostClock, openLedger, type ChainName, type KeysNow, type NodeTransport } from '../net/assemble.ts';
import { PortTransport, type MessagePortLike } from '../net/port-link.ts';
import { WebRtcTransport } from '../net/webrtc/transport.ts';
import type { SimplePeerCtor } from '../net/webrtc/connector.ts';
import { openIdbStore, type IdbStore } from '../store/idb-store.ts';
import type { WorkerInit } from './protocol.ts';

/** Store key of the relay opt-in (one byte, 1 = relay). @example await store.getValue(RELAY_KEY) */
export const RELAY_KEY = 'net/relay';

/** What every browser node needs, wherever it runs. @example { region: 1, rootKey, dbName: 'beeptrace', keys } */
export interface DeviceNodeOptions {
  region: number;
  /** The CA root public key from the app's configuration. */
  rootKey: Uint8Array;
  /** IndexedDB database name (opened here), unless `store` is given. */
  dbName?: string;
  /** An already open store (the node then does not close it on `stop`). */
  store?: IdbStore;
  /** Carry the tracing chain too. Default: the choice kept in the store (`setRelay`), else false. */
  relay?: boolean;
  /** The device's keys, or what they are now (a backup import replaces them): lets the node re-issue an own upload a checkpoint left out. */
  keys?: KeysNow;
  /** Housekeeping period of the NetNode, ms. */
  tickMs?: number;
  /** Told after each retention pruning (at start, then hourly: src/net/assemble.ts). */
  onPrune?: (r: { pruned: number; error?: string }) => void;
}

/** `openThinNode`'s options: a device node plus the signaling server. @example { signalUrl: 'ws://127.0.0.1:8787', region: 1, rootKey, dbName: 'beeptrace' } */
export interface ThinNodeOptions extends DeviceNodeOptions {
  signalUrl: string;
  iceServers?: unknown[];
}

/** A browser node over some transport. @example const { node, ledger } = await openThinNode(o); */
export interface DeviceNode<T extends NodeTransport> {
  ledger: Ledger;
  node: NetNode;
  transport: T;
  store: IdbStore;
  /** 'thin' or 'relay'. */
  role: 'thin' | 'relay';
  start(): void;
  /** Stop the network, finish pending writes, close the store (if opened here). */
  stop(): Promise<void>;
}

/** The node on a page, holding its own WebRTC links. @example thin.transport.sig.connected */
export type ThinNode = DeviceNode<WebRtcTransport>;
/** The node in a Worker, dialling through the page's links. @example worker.transport.signaling // 'open' */
export type PortNode = DeviceNode<PortTransport>;

/** Keep the relay opt-in; it takes effect the next time the node is opened. @example await setRelay(store, true) */
export async function setRelay(store: BlockStore, on: boolean): Promise<void> {
  await store.setValue(RELAY_KEY, new Uint8Array([on ? 1 : 0]));
}

/** The kept relay opt-in (false if never set). @example if (await isRelay(store)) … */
export async function isRelay(store: BlockStore): Promise<boolean> {
  return (await store.getValue(RELAY_KEY))?.[0] === 1;
}

/**
 * Open the device's ledger from IndexedDB and wire it to a transport made for its chains (not started yet).
 * @example const n = await openDeviceNode({ region, rootKey, dbName }, (chains) => new PortTransport(port, { chains }))
 */
export async function openDeviceNode<T extends NodeTransport>(o: DeviceNodeOptions, transport: (chains: ChainName[]) => T): Promise<DeviceNode<T>> {
  if (!o.store && !o.dbName) throw new TypeError('openDeviceNode: give dbName or store');
  const store = o.store ?? (await openIdbStore(o.dbName!));
  const relay = o.relay ?? (await isRelay(store));
  const role = relay ? 'relay' : 'thin';
  const clock = hostClock();
  const ledger = await openLedger({ crypto: nobleCrypto, store, rootKey: o.rootKey, region: o.region, role, now: clock.now });
  const n = assembleNode({ ledger, role, clock, crypto: nobleCrypto, transport, keys: o.keys, tickMs: o.tickMs, onPrune: o.onPrune });
  return {
    ledger, node: n.node, transport: n.transport, store, role,
    start: () => n.start(),
    async stop() {
      await n.stop();
      if (!o.store) await store.close();
    },
  };
}

/** The node on a page: WebRTC through the signaling server (not started yet). @example const thin = await openThinNode({ signalUrl, region, rootKey, dbName: 'beeptrace' }); thin.start(); */
export async function openThinNode(o: ThinNodeOptions): Promise<ThinNode> {
  const { default: Peer } = await import('simple-peer');
  return openDeviceNode(o, (chains) => new WebRtcTransport({ url: o.signalUrl, region: o.region, chains, Peer: Peer as unknown as SimplePeerCtor, iceServers: o.iceServers }));
}

/**
 * The node in a Worker: links come from the page over the control port `net`, which the page
 * serves with `serveNetBridge` (src/app/page/net-bridge.ts). Not started yet.
 * @example const n = await openPortNode({ net: init.net, region, rootKey, dbName: 'beeptrace' }); n.start();
 */
export async function openPortNode(o: DeviceNodeOptions & { net: MessagePortLike }): Promise<PortNode> {
  return openDeviceNode(o, (chains) => new PortTransport(o.net, { chains }));
}

/**
 * The worker's node from the page's first message (`WorkerInit`, src/app/protocol.ts): region and
 * CA root key from its configuration, links from its `net` control port. Not started yet.
 * @example self.onmessage = async (ev) => { const n = await openWorkerNode(ev.data, { dbName: 'beeptrace', keys }); n.start(); };
 */
export async function openWorkerNode(init: Pick<WorkerInit, 'config' | 'net'>, o: Omit<DeviceNodeOptions, 'region' | 'rootKey'>): Promise<PortNode> {
  if (!/^[0-9a-f]{64}$/.test(init.config.rootKey)) throw new InputError('bad_config', 'config.rootKey must be 32 bytes of lower-case hex');
  return openPortNode({ ...o, net: init.net as unknown as MessagePortLike, region: init.config.region, rootKey: fromHex(init.config.rootKey) });
}

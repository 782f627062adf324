/**
 * The page's half of the node-in-a-Worker: `RTCPeerConnection` exists only on the page, so the page
 * holds the WebRTC links (simple-peer, through the signaling server) and serves them to the
 * worker's NetNode over a control port (src/net/port-link.ts). The worker decides what the node
 * carries; on its `start` the page joins those chains' signaling rooms. Each dialled or incoming
 * link crosses to the worker as a new transferred MessagePort, with the real link's back-pressure.
 * The page holds no Ledger and sees only frames.
 *
 * @example
 * const bridge = openNetBridge({ signalUrl: config.signalUrl, region: config.region, iceServers: config.iceServers });
 * worker.postMessage({ kind: 'init', config, app: appPort, net: bridge.port }, [appPort, bridge.port]);
 * // the worker: const n = await openWorkerNode(init, { store, keys }); n.start();   (src/app/thin-node.ts)
 * @module
 */
import Peer from 'simple-peer';
import { serveTransport, type MessagePortLike, type PortProtocolError } from '../../net/port-link.ts';
import { WebRtcTransport } from '../../net/webrtc/transport.ts';
import type { SimplePeerCtor } from '../../net/webrtc/connector.ts';

/** @example openNetBridge({ signalUrl: 'ws://127.0.0.1:8787', region: 1, iceServers: [] }) */
export interface NetBridgeOptions {
  /** The signaling server (AppConfig.signalUrl). */
  signalUrl: string;
  region: number;
  /** ICE servers (AppConfig.iceServers); none on a local network. */
  iceServers?: unknown[];
  /** A control or link message from the worker that breaks the protocol (the link is closed). */
  onError?: (e: PortProtocolError) => void;
}

/** @example worker.postMessage({ kind: 'init', config, app, net: bridge.port }, [app, bridge.port]) */
export interface NetBridge {
  /** Transfer this to the worker (WorkerInit.net). */
  port: MessagePort;
  /** Leave signaling and stop serving (open links close with the worker's ports). */
  stop(): void;
}

/**
 * Serve a WebRTC transport on `port` (the page's end of the control channel). Returns a stop function.
 * @example const stop = serveNetBridge(channel.port1, { signalUrl, region });
 */
export function serveNetBridge(port: MessagePort, o: NetBridgeOptions): () => void {
  return serveTransport(
    port as unknown as MessagePortLike,
    (chains) => new WebRtcTransport({ url: o.signalUrl, region: o.region, chains, Peer: Peer as unknown as SimplePeerCtor, iceServers: o.iceServers ?? [] }),
    { onError: o.onError },
  );
}

/**
 * Make the control channel and serve its page end; hand `port` to the worker.
 * @example const { port, stop } = openNetBridge({ signalUrl, region });
 */
export function openNetBridge(o: NetBridgeOptions): NetBridge {
  const ch = new MessageChannel();
  const stop = serveNetBridge(ch.port1, o);
  return { port: ch.port2, stop };
}

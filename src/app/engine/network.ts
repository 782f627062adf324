/**
 * The network view's state, from the node (peers, sync progress, uploads kept until proven) and
 * the final checkpoints the device has seen. Nothing here identifies a peer beyond its link.
 * @example networkState(node, tracker, { relayOptIn: false })
 * @module
 */
import { Chain } from '../../core/types.ts';
import type { NetNode } from '../../net/node.ts';
import type { NetworkState } from '../protocol.ts';
import type { CheckpointTracker } from './checkpoints.ts';

const chainName = (c: number): 'tracing' | 'notification' => (c === Chain.TRACING ? 'tracing' : 'notification');

/**
 * Build `AppState.network`. `signaling` is the transport's view when the caller has one; else
 * 'open' with peers and 'connecting' without.
 * @example const n = networkState(node, tracker, { relayOptIn: true }); n.retained.length
 */
export function networkState(node: NetNode, tracker: CheckpointTracker, o: { relayOptIn: boolean; signaling?: NetworkState['signaling'] }): NetworkState {
  const peers = node.peers();
  const sync = node.syncProgress();
  const notif = sync.find((s) => s.chain === Chain.NOTIFICATION);
  let lastCheckpoint: NetworkState['lastCheckpoint'] = null;
  for (const chain of [Chain.TRACING, Chain.NOTIFICATION] as const) {
    const end = tracker.latestEnd(chain);
    if (end !== null && (!lastCheckpoint || end > lastCheckpoint.toSec)) lastCheckpoint = { chain: chainName(chain), toSec: end };
  }
  return {
    role: node.role === 'thin' ? 'thin' : 'relay',
    signaling: o.signaling ?? (peers.length ? 'open' : 'connecting'),
    peers: peers.map((p) => ({ link: p.link, role: p.role, outbound: p.outbound, connectedMs: p.connectedMs })),
    chains: sync.map((s) => ({ chain: chainName(s.chain), have: s.have, lastSyncAt: s.lastSyncAt })),
    syncProgress: notif?.lastSyncAt != null ? 1 : 0,
    lastCheckpoint,
    retained: node.retained().map((u) => ({ id: u.id, time: u.time, state: u.state })),
    relayOptIn: o.relayOptIn,
  };
}

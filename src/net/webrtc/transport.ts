/**
 * The real transport of a NetNode: signaling for discovery, WebRTC data channels for links.
 * Nodes join the room of every chain they carry (`beeptrace/v1/r<region>/<chain>`); a thin node
 * joins the notification room and, to find a peer that carries the tracing chain for its uploads,
 * peeks at the tracing room's sample without staying in it. A certified full node (one with a key
 * to prove: auth.ts) also joins the region's `certified` room, the directory other nodes peek at
 * for certified peers (docs/NET.md §7.3). Addresses handed to the NetNode are `<room> <peer id>` —
 * per-connection ids, never stable identifiers; an id's first 8 hex digits are the signaling
 * server's tag of the peer's network prefix, its *source* (`sourceOf`, src/net/sources.ts).
 *
 * @example
 * const t = new WebRtcTransport({ url, region: 1, chains: ['notification'], Peer });
 * const node = new NetNode({ ledger, clock, role: 'thin', connect: t.connect, discover: t.discover });
 * t.attach(node); t.start(); node.start();
 * @module
 */
import type { Link } from '../link.ts';
import { roomName, SignalingClient, type WebSocketCtor } from './signaling-client.ts';
import { WebRtcConnector, type SimplePeerCtor } from './connector.ts';
import { Chain } from '../../core/types.ts';
import type { DiscoverQuery } from '../mesh.ts';
import { signalingSource } from '../sources.ts';

type ChainName = 'tracing' | 'notification';
type RoomKind = ChainName | 'certified';

export interface TransportOptions {
  url: string;
  region: number;
  /** Chains this node carries: it joins their rooms. */
  chains: ('tracing' | 'notification')[];
  /** This node proves a certified key (auth.ts): it joins the certified-node directory too. */
  certified?: boolean;
  Peer: SimplePeerCtor;
  wrtc?: unknown;
  WebSocketImpl?: WebSocketCtor;
  iceServers?: unknown[];
}

const CHAIN_NAME: Record<number, 'tracing' | 'notification'> = { [Chain.TRACING]: 'tracing', [Chain.NOTIFICATION]: 'notification' };

export class WebRtcTransport {
  readonly sig: SignalingClient;
  readonly connector: WebRtcConnector;
  private samples = new Map<string, string[]>();
  private accept?: (link: Link, addr?: string) => void;

  constructor(private readonly o: TransportOptions) {
    const rooms = [...o.chains, ...(o.certified ? (['certified'] as const) : [])].map((c) => roomName(`r${o.region}`, c));
    this.sig = new SignalingClient({ url: o.url, rooms, WebSocketImpl: o.WebSocketImpl });
    this.connector = new WebRtcConnector(this.sig, o.Peer, { wrtc: o.wrtc, iceServers: o.iceServers });
    this.sig.onPeers = (room, peers) => this.samples.set(room, peers);
    this.connector.onIncoming = (room, link, peer) => this.accept?.(link, `${room} ${peer}`);
  }

  /** Hand incoming links to a node (`node.accept`). */
  attach(node: { accept(link: Link, addr?: string): void }): void {
    this.accept = (l, a) => node.accept(l, a);
  }

  start(): void {
    this.sig.start();
  }
  stop(): void {
    this.sig.stop();
    this.connector.stop();
  }

  /** Candidate addresses; with `chain`, peers of that chain's room; with `certified`, of the certified-node directory (peeked if we are not in it). */
  discover = (opts?: DiscoverQuery): string[] => {
    const wanted: RoomKind[] = opts?.certified ? ['certified'] : opts?.chain ? [CHAIN_NAME[opts.chain]] : this.o.chains;
    const out: string[] = [];
    for (const name of wanted) {
      const room = roomName(`r${this.o.region}`, name);
      const peers = this.samples.get(room);
      const member = name === 'certified' ? this.o.certified === true : this.o.chains.includes(name as ChainName);
      if (!peers?.length) {
        if (member) this.sig.refresh(room);
        else this.sig.peek(room);
        continue;
      }
      // Signals are relayed only between members of a room: a peer found by peeking at a room we
      // are not in is dialled through one of ours (peer ids are per connection, the same in
      // every room; a tracing carrier is in the notification room too).
      const via = member ? room : roomName(`r${this.o.region}`, this.o.chains[0]);
      for (const p of peers) out.push(`${via} ${p}`);
    }
    return out;
  };

  /** The source of an address from `discover` or of an incoming link: its peer id's source tag (src/net/sources.ts). */
  sourceOf = signalingSource;

  /** Dial an address from `discover`. */
  connect = (addr: string): Promise<Link> => {
    const i = addr.lastIndexOf(' ');
    if (i < 0) return Promise.reject(new Error(`not a transport address: ${addr}`));
    const room = addr.slice(0, i);
    const peer = addr.slice(i + 1);
    // a dialled peer leaves every sample, so the next discover() asks for fresh candidates
    for (const [r, ps] of this.samples) this.samples.set(r, ps.filter((p) => p !== peer));
    return this.connector.connect(room, peer);
  };
}

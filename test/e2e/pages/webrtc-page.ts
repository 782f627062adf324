// Test page: joins a signaling room, opens a real data channel to every sampled peer (the later
// joiner initiates), and records the frames it receives. Driven from test/e2e/webrtc.test.ts.
import Peer from 'simple-peer';
import { SignalingClient } from '../../../src/net/webrtc/signaling-client.ts';
import { WebRtcConnector, type SimplePeerCtor } from '../../../src/net/webrtc/connector.ts';
import type { Link } from '../../../src/net/link.ts';

const q = new URLSearchParams(location.search);
const room = q.get('room')!;
const name = q.get('name')!;
const sig = new SignalingClient({ url: q.get('signal')!, rooms: [room], minBackoffMs: 100, maxBackoffMs: 1000 });
const conn = new WebRtcConnector(sig, Peer as unknown as SimplePeerCtor);
const links: Link[] = [];
const received: string[] = [];
const failures: string[] = [];
const adopt = (l: Link) => {
  links.push(l);
  l.onFrame = (f) => received.push(new TextDecoder().decode(f));
  l.send(new TextEncoder().encode(`hello from ${name}`));
};
conn.onIncoming = (_room, link) => adopt(link);
sig.onPeers = (_room, peers) => {
  for (const p of peers) conn.connect(room, p).then(adopt, (e) => failures.push(String(e)));
};
sig.start();
(window as unknown as { bt: unknown }).bt = {
  get received() { return received; },
  /** Why a connection this page initiated failed, one line each. */
  get failures() { return failures; },
  get links() { return links.length; },
  get connected() { return sig.connected; },
};

/**
 * Crossed dials in the WebRTC connector (src/net/webrtc/connector.ts): when two peers dial each
 * other at once, exactly one connection forms — the lower signaling id keeps its dial, the higher
 * one gives its own up and answers — and no peer object is ever fed signals of two sessions
 * (which left both ends with data channels that never met). Fake peers and signaling, no WebRTC.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebRtcConnector, type PeerOptions, type SimplePeerCtor } from '../../src/net/webrtc/connector.ts';
import type { SignalingClient } from '../../src/net/webrtc/signaling-client.ts';
import type { Link } from '../../src/net/link.ts';

let sessions = 0;
const mixed: string[] = [];

/** A simple-peer stand-in: offer → answer → connect; every signal names its session. */
class FakePeer {
  readonly session = ++sessions;
  private handlers = new Map<string, ((...a: any[]) => void)[]>();
  private heard: number | undefined;
  connected = false;
  destroyed = false;
  constructor(private readonly o: PeerOptions) {
    if (o.initiator) setImmediate(() => this.emit('signal', { type: 'offer', s: this.session }));
  }
  on(ev: string, fn: (...a: any[]) => void) {
    this.handlers.set(ev, [...(this.handlers.get(ev) ?? []), fn]);
  }
  private emit(ev: string, ...a: unknown[]) {
    if (this.destroyed && ev !== 'error' && ev !== 'close') return;
    for (const f of this.handlers.get(ev) ?? []) f(...a);
  }
  signal(d: { type: string; s: number }) {
    if (this.destroyed) return;
    if (d.type !== 'offer' || !this.o.initiator) {
      // an answerer hears one session; an initiator hears its answerer's
      if (this.heard !== undefined && this.heard !== d.s) mixed.push(`session ${this.session} heard ${this.heard} and ${d.s}`);
      this.heard = d.s;
    } else {
      mixed.push(`initiator ${this.session} was fed an offer`);
    }
    if (d.type === 'offer' && !this.o.initiator) {
      setImmediate(() => {
        this.emit('signal', { type: 'answer', s: this.session });
        this.emit('signal', { type: 'candidate', s: this.session });
        this.connected = true;
        this.emit('connect');
      });
    } else if (d.type === 'answer' && this.o.initiator) {
      setImmediate(() => ((this.connected = true), this.emit('connect')));
    }
  }
  send() {}
  destroy(err?: Error) {
    if (this.destroyed) return;
    this.destroyed = true;
    setImmediate(() => {
      if (err) this.emit('error', err);
      this.emit('close');
    });
  }
}

/** Two signaling clients joined to each other; delivery is asynchronous and in order. */
function pair(idA: string, idB: string) {
  const make = (id: string) => ({ id, onSignal: undefined as undefined | ((room: string, from: string, data: unknown) => void), signal: (_r: string, _to: string, _d: unknown) => true });
  const a = make(idA);
  const b = make(idB);
  a.signal = (room, _to, d) => (setImmediate(() => b.onSignal?.(room, idA, d)), true);
  b.signal = (room, _to, d) => (setImmediate(() => a.onSignal?.(room, idB, d)), true);
  return [a, b] as unknown as [SignalingClient, SignalingClient];
}

test('two peers dialling each other at once end with exactly one connection', async () => {
  for (const [idA, idB] of [['aaaa', 'bbbb'], ['zzzz', 'bbbb']]) {
    mixed.length = 0;
    const [sa, sb] = pair(idA, idB);
    const A = new WebRtcConnector(sa, FakePeer as unknown as SimplePeerCtor, { timeoutMs: 2000 });
    const B = new WebRtcConnector(sb, FakePeer as unknown as SimplePeerCtor, { timeoutMs: 2000 });
    const incoming: string[] = [];
    A.onIncoming = () => incoming.push('A');
    B.onIncoming = () => incoming.push('B');
    const results = await Promise.allSettled([A.connect('room', idB), B.connect('room', idA)]);
    const ok = results.map((r) => r.status === 'fulfilled');
    const lowerIsA = idA < idB;
    assert.deepEqual(ok, lowerIsA ? [true, false] : [false, true], 'the lower id keeps its dial');
    const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    assert.match(lost.reason.message, /crossed dials/);
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(incoming, [lowerIsA ? 'B' : 'A'], 'the other side gets it as an incoming link');
    assert.deepEqual(mixed, [], 'no peer object heard two sessions');
    ((results.find((r) => r.status === 'fulfilled') as PromiseFulfilledResult<Link>).value).close();
  }
});

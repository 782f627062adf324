/**
 * Links over MessagePorts (src/net/port-link.ts) with Node's MessageChannel: frames arrive whole
 * and in order; a slow real link holds the worker back through the credit window (send false,
 * then onDrain); either side's close reaches the other exactly once; a garbage message is a typed
 * error that closes only its own link; connect, discover, incoming links and the signaling state
 * cross the control port.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PortLink, PortProtocolError, PortTransport, pumpLink, serveTransport, PORT_WINDOW, type MessagePortLike, type ServedTransport, type SignalingState } from '../../src/net/port-link.ts';
import type { Link } from '../../src/net/link.ts';

const port = (p: MessagePort) => p as unknown as MessagePortLike;

async function until(f: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 5000; i++) {
    if (f()) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`never: ${what}`);
}

/** A stand-in for a WebRTC link: accepts frames only while `open`, drains on demand. */
class FakeLink implements Link {
  id = 'fake-' + Math.random().toString(16).slice(2);
  open = true;
  sent: Uint8Array[] = [];
  closes: string[] = [];
  onFrame?: (f: Uint8Array) => void;
  onClose?: (r: string) => void;
  onDrain?: () => void;
  bufferedAmount = 0;
  send(f: Uint8Array): boolean {
    if (!this.open || this.closes.length) return false;
    this.sent.push(f);
    return true;
  }
  close(reason = 'closed'): void {
    if (this.closes.length) return;
    this.closes.push(reason);
    this.onClose?.(reason);
  }
  drain(): void {
    this.open = true;
    this.onDrain?.();
  }
}

const frame = (i: number, size = 8) => {
  const f = new Uint8Array(size);
  new DataView(f.buffer).setUint32(0, i);
  return f;
};
const num = (f: Uint8Array) => new DataView(f.buffer, f.byteOffset).getUint32(0);

test('frames arrive whole and in order, both ways', async () => {
  const { port1, port2 } = new MessageChannel();
  const a = new PortLink(port(port1));
  const b = new PortLink(port(port2));
  const atB: number[] = [];
  const atA: number[] = [];
  b.onFrame = (f) => atB.push(num(f));
  a.onFrame = (f) => atA.push(num(f));
  let sent = 0;
  for (let i = 0; i < 200; i++) if (a.send(frame(i, 100))) sent++;
  for (let i = 0; i < 50; i++) b.send(frame(1000 + i));
  assert.equal(sent, 200, '200 × 100 bytes fit the window');
  await until(() => atB.length === 200 && atA.length === 50, 'all frames');
  assert.deepEqual(atB, [...Array(200).keys()]);
  assert.deepEqual(atA, [...Array(50).keys()].map((i) => 1000 + i));
  await until(() => a.bufferedAmount === 0, 'every frame acknowledged');
  // a view into a larger buffer crosses as just its bytes, and the sender's buffer stays usable
  const big = new Uint8Array(64 * 1024).fill(9);
  const view = big.subarray(100, 110);
  view.set([1, 2, 3]);
  let seen: Uint8Array | undefined;
  b.onFrame = (f) => (seen = f);
  assert.equal(a.send(view), true);
  await until(() => seen !== undefined, 'the view');
  assert.deepEqual([...seen!], [1, 2, 3, 9, 9, 9, 9, 9, 9, 9]);
  assert.equal(seen!.buffer.byteLength, 10, 'not the whole 64 KiB buffer');
  assert.equal(big.byteLength, 64 * 1024);
  a.close();
});

test('a slow real link holds the worker back: send false, then onDrain, nothing lost or reordered', async () => {
  const { port1, port2 } = new MessageChannel();
  const real = new FakeLink();
  real.open = false; // the data channel's buffer is full
  pumpLink(real, port(port1));
  const worker = new PortLink(port(port2));
  let drains = 0;
  worker.onDrain = () => drains++;
  const size = 16 * 1024;
  let i = 0;
  while (worker.send(frame(i, size))) i++;
  assert.equal(i, PORT_WINDOW / size, 'the worker may have one window unacknowledged');
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(worker.send(frame(i, size)), false, 'still full: the real link took nothing');
  assert.equal(drains, 0);
  real.drain();
  await until(() => drains === 1, 'onDrain at the worker');
  while (worker.send(frame(i, size))) i++;
  real.drain();
  await until(() => real.sent.length === i, 'everything reached the real link');
  assert.deepEqual(real.sent.map(num), [...Array(i).keys()]);
  worker.close();
});

test('the page drops a link whose worker does not keep up (bounded queue)', async () => {
  const { port1, port2 } = new MessageChannel();
  const real = new FakeLink();
  pumpLink(real, port(port1), { maxQueued: 64 * 1024 });
  port2.onmessage = () => {}; // a worker that never acknowledges
  for (let i = 0; i < 40 && !real.closes.length; i++) real.onFrame!(frame(i, 16 * 1024));
  assert.deepEqual(real.closes, ['the worker does not keep up']);
  port2.close();
});

test('a close from either side reaches the other exactly once', async () => {
  {
    const { port1, port2 } = new MessageChannel();
    const a = new PortLink(port(port1));
    const b = new PortLink(port(port2));
    const ca: string[] = [];
    const cb: string[] = [];
    a.onClose = (r) => ca.push(r);
    b.onClose = (r) => cb.push(r);
    a.close('bye');
    a.close('again');
    await until(() => cb.length > 0, 'b closed');
    await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(ca, ['bye']);
    assert.equal(cb.length, 1);
    assert.equal(a.send(frame(1)), false, 'a closed link takes nothing');
  }
  // through the pump: the worker closes → the real link closes; the real link closes → the worker's link closes
  for (const from of ['worker', 'real'] as const) {
    const { port1, port2 } = new MessageChannel();
    const real = new FakeLink();
    pumpLink(real, port(port1));
    const worker = new PortLink(port(port2));
    const cw: string[] = [];
    worker.onClose = (r) => cw.push(r);
    if (from === 'worker') worker.close('worker done');
    else real.close('peer closed');
    await until(() => real.closes.length === 1 && cw.length === 1, `both closed (${from})`);
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(real.closes.length, 1);
    assert.equal(cw.length, 1);
    if (from === 'worker') assert.equal(real.closes[0], 'remote closed: worker done');
    else assert.equal(cw[0], 'remote closed: peer closed');
  }
});

test('a garbage message is a typed error and closes only that link', async () => {
  const one = new MessageChannel();
  const two = new MessageChannel();
  const errors: PortProtocolError[] = [];
  const victim = new PortLink(port(one.port2), { onError: (e) => errors.push(e) });
  const a = new PortLink(port(two.port1));
  const b = new PortLink(port(two.port2));
  const closes: string[] = [];
  victim.onClose = (r) => closes.push(r);
  let gotAtVictim = 0;
  victim.onFrame = () => gotAtVictim++;
  one.port1.postMessage({ t: 'f', b: 'not bytes' });
  one.port1.postMessage({ t: 'f', b: new Uint8Array(4) }); // after the close: not delivered
  await until(() => closes.length === 1, 'the victim closed');
  assert.equal(errors.length, 1);
  assert.ok(errors[0] instanceof PortProtocolError);
  assert.equal(errors[0].code, 'bad_port_message');
  assert.match(closes[0], /must be a Uint8Array/);
  assert.equal(gotAtVictim, 0);
  // the other link is untouched
  const got: number[] = [];
  b.onFrame = (f) => got.push(num(f));
  assert.equal(a.send(frame(7)), true);
  await until(() => got.length === 1, 'the other link still carries frames');
  assert.deepEqual(got, [7]);
  // and other kinds of garbage: a string, an unknown type, an acknowledgement of bytes never sent
  for (const junk of ['hello', { t: 'zz' }, { t: 'a', n: 5 }]) {
    const ch = new MessageChannel();
    const errs: PortProtocolError[] = [];
    const l = new PortLink(port(ch.port2), { onError: (e) => errs.push(e) });
    ch.port1.postMessage(junk);
    await until(() => errs.length === 1, `an error for ${JSON.stringify(junk)}`);
    assert.equal(l.send(frame(1)), false);
    ch.port1.close();
  }
  a.close();
  one.port1.close();
});

test('connect, discover, incoming links and the signaling state cross the control port', async () => {
  const { port1, port2 } = new MessageChannel();
  const dialled: string[] = [];
  const realLinks: FakeLink[] = [];
  let made: string[] | undefined;
  let accept: ((l: Link, addr?: string) => void) | undefined;
  const sig: { onState?: (s: SignalingState, d?: string) => void } = {};
  let started = 0;
  let stopped = 0;
  const served: ServedTransport = {
    sig,
    async connect(addr) {
      dialled.push(addr);
      if (addr.endsWith('bad')) throw new Error('no data channel to bad');
      const l = new FakeLink();
      realLinks.push(l);
      return l;
    },
    discover: (o) => (o?.chain === 1 ? ['room/tracing t1'] : ['room/notification n1', 'room/notification n2']),
    attach: (node) => (accept = (l, a) => node.accept(l, a)),
    start: () => started++,
    stop: () => stopped++,
  };
  const stopServing = serveTransport(port(port1), (chains) => ((made = chains), served));
  const t = new PortTransport(port(port2), { chains: ['notification'] });
  const states: string[] = [];
  t.onSignaling = (s) => states.push(s);
  const accepted: { link: Link; addr?: string }[] = [];
  t.attach({ accept: (link, addr) => accepted.push({ link, addr }) });
  t.start();
  await until(() => started === 1, 'the page started the transport');
  assert.deepEqual(made, ['notification']);

  // discover is synchronous: first an empty answer, then what the page sent
  assert.deepEqual(t.discover(), []);
  assert.deepEqual(t.discover({ chain: 1 }), []);
  await until(() => t.discover().length === 2 && t.discover({ chain: 1 }).length === 1, 'candidates from the page');
  assert.deepEqual(t.discover(), ['room/notification n1', 'room/notification n2']);
  assert.deepEqual(t.discover({ chain: 1 }), ['room/tracing t1']);

  // a dialled link: frames both ways through the page's real link
  const link = await t.connect('room/notification n1');
  assert.deepEqual(dialled, ['room/notification n1']);
  const real = realLinks[0];
  const got: number[] = [];
  link.onFrame = (f) => got.push(num(f));
  assert.equal(link.send(frame(41)), true);
  real.onFrame!(frame(42));
  await until(() => real.sent.length === 1 && got.length === 1, 'frames through a dialled link');
  assert.deepEqual([num(real.sent[0]), got[0]], [41, 42]);
  await assert.rejects(t.connect('room/notification bad'), /no data channel to bad/);

  // an incoming link
  const inReal = new FakeLink();
  accept!(inReal, 'room/notification n9');
  await until(() => accepted.length === 1, 'the incoming link at the worker');
  assert.equal(accepted[0].addr, 'room/notification n9');
  accepted[0].link.send(frame(5));
  await until(() => inReal.sent.length === 1, 'a frame out through the incoming link');

  // the signaling state
  sig.onState!('open');
  await until(() => t.connected, 'signaling open at the worker');
  sig.onState!('closed', 'closed 1006');
  await until(() => !t.connected, 'signaling closed at the worker');
  assert.deepEqual(states, ['open', 'closed']);
  assert.equal(t.signalingDetail, 'closed 1006');

  t.stop();
  await until(() => stopped === 1, 'the page stopped the transport');
  link.close();
  accepted[0].link.close();
  await until(() => real.closes.length === 1 && inReal.closes.length === 1, 'the real links closed with the worker links');
  stopServing();
  port2.close();
});

test('a dial in flight fails when the page end of the control port goes away', async () => {
  const { port1, port2 } = new MessageChannel();
  port1.onmessage = () => {}; // a page that never answers, then closes
  const t = new PortTransport(port(port2), { chains: ['notification'] });
  const dial = t.connect('room/notification n1');
  port1.close();
  await assert.rejects(dial, /control port closed/);
  await assert.rejects(t.connect('room/notification n2'), /control port is closed/);
});

/**
 * The signaling server with real WebSocket clients on 127.0.0.1 (ephemeral ports): ids, rooms,
 * relaying, peer samples, every limit's close code, /health, shutdown and the CLI.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { startSignalingServer, type SignalingServer } from '../../signaling/server.ts';
import { CloseCode, parseClientMessage, isRoomName, depthWithin } from '../../signaling/protocol.ts';
import { resolveLimits, TokenBucket, type SignalingLimits } from '../../signaling/limits.ts';
import { Rooms } from '../../signaling/rooms.ts';
import { parseSignalingArgs, UsageError } from '../../signaling/config.ts';

const ROOM = 'beeptrace/v1/r1/notification';
const ROOM2 = 'beeptrace/v1/r2/tracing';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

type Msg = Record<string, any>;

/** A test client: every server message is queued; `next` waits for the next one of a type. */
class Peer {
  readonly msgs: Msg[] = [];
  private waiters: Array<() => void> = [];
  private readonly closing: Promise<{ code: number; reason: string }>;
  id = '';

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.msgs.push(JSON.parse(String(data)));
      for (const w of this.waiters.splice(0)) w();
    });
    ws.on('error', () => {});
    this.closing = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
  }

  /** The close code and reason; rejects if the connection is still open after 3 s. */
  get closed(): Promise<{ code: number; reason: string }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`still open after 3 s; got ${JSON.stringify(this.msgs)}`)), 3000);
    });
    return Promise.race([this.closing, timeout]).finally(() => clearTimeout(timer));
  }

  static async connect(url: string, opts: WebSocket.ClientOptions = {}): Promise<Peer> {
    const p = new Peer(new WebSocket(url, opts));
    const welcome = await p.next('welcome');
    p.id = welcome.id;
    return p;
  }

  /** Opens a connection and returns it without waiting for a welcome (for 4007). */
  static raw(url: string): Peer {
    return new Peer(new WebSocket(url));
  }

  send(msg: unknown): void {
    this.ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
  }

  /** Removes and returns the first queued message of type `t` (waits up to `ms`). */
  async next(t: string, ms = 2000): Promise<Msg> {
    const deadline = Date.now() + ms;
    for (;;) {
      const i = this.msgs.findIndex((m) => m.t === t);
      if (i >= 0) return this.msgs.splice(i, 1)[0];
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no "${t}" message within ${ms} ms; got ${JSON.stringify(this.msgs)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => (clearTimeout(timer), resolve()));
      });
    }
  }

  async join(room: string): Promise<string[]> {
    this.send({ t: 'join', room });
    const m = await this.next('peers');
    assert.equal(m.room, room);
    return m.peers;
  }

  close(): Promise<unknown> {
    this.ws.close();
    return this.closed;
  }
}

/** Runs `fn` against a fresh server with the given limits, then closes everything. */
async function withServer(limits: Partial<SignalingLimits>, fn: (s: SignalingServer) => Promise<void>): Promise<void> {
  const s = await startSignalingServer({ port: 0, limits });
  try {
    await fn(s);
  } finally {
    await s.close();
  }
}

/** Waits until `cond()` holds (polling), or fails with `what`. */
async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function health(s: SignalingServer): Promise<Msg> {
  const res = await fetch(`${s.url.replace(/^ws/, 'http')}health`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  return res.json();
}

/** The server still serves: a new client gets a welcome and can join a room. */
async function stillServes(s: SignalingServer): Promise<void> {
  const p = await Peer.connect(s.url);
  assert.deepEqual(await p.join('beeptrace/v1/ok/tracing'), []);
  await p.close();
}

/** Expects `p` to be closed by the server with `code`, and the server to keep serving. */
async function expectClosed(s: SignalingServer, p: Peer, code: number): Promise<string> {
  const c = await p.closed;
  assert.equal(c.code, code, `close code (reason ${JSON.stringify(c.reason)})`);
  assert.ok(c.reason.length > 0, 'a short reason is given');
  await stillServes(s);
  return c.reason;
}

/** One client frame (masked with a zero key, so the payload stays readable). */
function frame(opcode: number, payload: Buffer, fin = true): Buffer {
  assert.ok(payload.length < 65536);
  const head = payload.length < 126 ? Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | payload.length]) : Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | 126, payload.length >> 8, payload.length & 255]);
  return Buffer.concat([head, Buffer.alloc(4), payload]);
}

/**
 * Speaks WebSocket by hand over a net.Socket (for frames the ws client will not send): upgrades,
 * writes `bytes`, and resolves with the code of the server's close frame.
 */
async function rawCloseCode(s: SignalingServer, bytes: Buffer): Promise<number> {
  const { port } = s;
  const sock = connect(port, '127.0.0.1');
  await once(sock, 'connect');
  sock.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  let buf = Buffer.alloc(0);
  let upgraded = false;
  try {
    return await new Promise<number>((resolve, reject) => {
      sock.on('error', reject);
      sock.on('close', () => reject(new Error('socket closed without a close frame')));
      sock.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        if (!upgraded) {
          const end = buf.indexOf('\r\n\r\n');
          if (end < 0) return;
          assert.match(buf.subarray(0, end).toString(), /^HTTP\/1\.1 101/);
          buf = buf.subarray(end + 4);
          upgraded = true;
          sock.write(bytes);
        }
        // Server frames are unmasked; skip until a close frame (opcode 8).
        while (buf.length >= 2) {
          let len = buf[1] & 0x7f;
          let off = 2;
          if (len === 126) [len, off] = [buf.readUInt16BE(2), 4];
          else if (len === 127) [len, off] = [Number(buf.readBigUInt64BE(2)), 10];
          if (buf.length < off + len) return;
          if ((buf[0] & 0x0f) === 8) return resolve(buf.readUInt16BE(off));
          buf = buf.subarray(off + len);
        }
      });
    });
  } finally {
    sock.destroy();
  }
}

// ---------------------------------------------------------------- protocol

test('welcome gives each connection a distinct random 16-byte hex id and the limits', async () => {
  await withServer({ peerSampleSize: 7 }, async (s) => {
    const peers = await Promise.all(Array.from({ length: 6 }, () => Peer.connect(s.url)));
    const ids = peers.map((p) => p.id);
    for (const id of ids) assert.match(id, /^[0-9a-f]{32}$/);
    assert.equal(new Set(ids).size, ids.length, 'ids are distinct');
    // Same client (same address, same port range) reconnecting gets a new id: nothing stable.
    await peers[0].close();
    const again = await Peer.connect(s.url);
    assert.ok(!ids.includes(again.id));
    const w = await Peer.raw(s.url).next('welcome');
    assert.equal(w.limits.peerSampleSize, 7);
    assert.equal(w.limits.maxFrameBytes, 16 * 1024);
    assert.equal(w.limits.maxRoomsPerConnection, 4);
  });
});

test('two peers of a room exchange offer, answer and candidates both ways', async () => {
  await withServer({}, async (s) => {
    const a = await Peer.connect(s.url);
    const b = await Peer.connect(s.url);
    assert.deepEqual(await a.join(ROOM), []);
    assert.deepEqual(await b.join(ROOM), [a.id], 'the joiner learns the member');
    const offer = { type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\n' };
    const answer = { type: 'answer', sdp: 'v=0\r\no=- 3 4 IN IP4 0.0.0.0\r\n' };
    const cand = { candidate: { candidate: 'candidate:1 1 UDP 2122 192.0.2.1 5000 typ host', sdpMid: '0', sdpMLineIndex: 0 } };
    b.send({ t: 'signal', room: ROOM, to: a.id, data: offer });
    assert.deepEqual(await a.next('signal'), { t: 'signal', room: ROOM, from: b.id, data: offer });
    a.send({ t: 'signal', room: ROOM, to: b.id, data: answer });
    assert.deepEqual(await b.next('signal'), { t: 'signal', room: ROOM, from: a.id, data: answer });
    a.send({ t: 'signal', room: ROOM, to: b.id, data: cand });
    b.send({ t: 'signal', room: ROOM, to: a.id, data: cand, extra: 'ignored' });
    assert.deepEqual((await b.next('signal')).data, cand);
    assert.deepEqual((await a.next('signal')).data, cand);
    assert.equal(a.msgs.length + b.msgs.length, 0, 'nothing else was sent');
  });
});

test('a signal to a peer in another room is refused with an error and not delivered', async () => {
  await withServer({}, async (s) => {
    const a = await Peer.connect(s.url);
    const b = await Peer.connect(s.url);
    const c = await Peer.connect(s.url);
    await a.join(ROOM);
    await b.join(ROOM2);
    await c.join(ROOM2);
    a.send({ t: 'signal', room: ROOM, to: b.id, data: { secret: 1 } });
    const e = await a.next('error');
    assert.equal(e.code, 'unknown-peer');
    assert.equal(e.to, b.id);
    assert.match(e.message, /no peer/);
    // Naming b's room without being in it is refused too.
    a.send({ t: 'signal', room: ROOM2, to: b.id, data: { secret: 2 } });
    assert.equal((await a.next('error')).code, 'not-in-room');
    // An id that never existed gets the same answer as one in another room.
    a.send({ t: 'signal', room: ROOM, to: 'ab'.repeat(16), data: 1 });
    assert.equal((await a.next('error')).code, 'unknown-peer');
    // b's stream is ordered: c's later signal arrives, and nothing from a came before it.
    c.send({ t: 'signal', room: ROOM2, to: b.id, data: 'probe' });
    const got = await b.next('signal');
    assert.equal(got.from, c.id);
    assert.equal(got.data, 'probe');
    assert.equal(b.msgs.length, 0);
    assert.equal(a.ws.readyState, WebSocket.OPEN, 'errors are recoverable');
  });
});

test('joining twice and leaving a room one is not in are recoverable errors', async () => {
  await withServer({}, async (s) => {
    const a = await Peer.connect(s.url);
    await a.join(ROOM);
    a.send({ t: 'join', room: ROOM });
    assert.equal((await a.next('error')).code, 'already-joined');
    a.send({ t: 'leave', room: ROOM2 });
    assert.equal((await a.next('error')).code, 'not-in-room');
    a.send({ t: 'leave', room: ROOM });
    a.send({ t: 'leave', room: ROOM });
    assert.equal((await a.next('error')).code, 'not-in-room', 'left once, the second leave is an error');
    assert.deepEqual(await a.join(ROOM), [], 'can join again after leaving');
    assert.equal((await health(s)).rooms, 1);
  });
});

test('the peers sample is bounded, excludes self, and is random', async () => {
  await withServer({}, async (s) => {
    const members = await Promise.all(Array.from({ length: 30 }, () => Peer.connect(s.url)));
    for (const [i, m] of members.entries()) {
      const seen = await m.join(ROOM);
      assert.equal(seen.length, Math.min(i, 20), `member ${i} sees min(${i}, 20) others`);
      if (i === 1) assert.deepEqual(seen, [members[0].id]);
    }
    const ids = new Set(members.map((m) => m.id));
    const samples: string[] = [];
    const joiner = await Peer.connect(s.url);
    for (let i = 0; i < 4; i++) {
      const peers = await joiner.join(ROOM);
      joiner.send({ t: 'leave', room: ROOM });
      assert.equal(peers.length, 20, 'at most peerSampleSize (20) of 30');
      assert.equal(new Set(peers).size, 20, 'no duplicates');
      assert.ok(!peers.includes(joiner.id), 'never self');
      for (const p of peers) assert.ok(ids.has(p), 'only members');
      samples.push([...peers].sort().join());
    }
    const other = await Peer.connect(s.url);
    samples.push([...(await other.join(ROOM))].sort().join());
    assert.ok(new Set(samples).size > 1, 'joins do not always get the same sample');
  });
});

// ---------------------------------------------------------------- limits and close codes

test('a frame over maxFrameBytes closes with 4001', async () => {
  await withServer({ maxFrameBytes: 1024 }, async (s) => {
    const p = await Peer.connect(s.url);
    await p.join(ROOM);
    p.send({ t: 'signal', room: ROOM, to: p.id, data: 'x'.repeat(2000) });
    await expectClosed(s, p, CloseCode.FRAME_TOO_BIG);
    assert.equal(s.stats().violations[CloseCode.FRAME_TOO_BIG], 1);
    assert.equal((await health(s)).rooms, 0, 'the violator left its room');
  });
});

test('a message flood closes with 4002', async () => {
  await withServer({ messagesPerSecond: 5, burst: 5 }, async (s) => {
    const p = await Peer.connect(s.url);
    for (let i = 0; i < 20; i++) p.send({ t: 'leave', room: ROOM });
    assert.match(await expectClosed(s, p, CloseCode.RATE_LIMIT), /rate/);
    assert.ok(p.msgs.filter((m) => m.t === 'error').length <= 5, 'at most the burst was served');
  });
});

test('the token bucket allows the burst, then the refill rate', () => {
  let now = 0;
  const b = new TokenBucket(10, 3, () => now);
  assert.deepEqual([b.take(), b.take(), b.take(), b.take()], [true, true, true, false]);
  now += 100; // one token at 10/s
  assert.deepEqual([b.take(), b.take()], [true, false]);
  now += 10_000; // refills only up to the burst
  assert.deepEqual([b.take(), b.take(), b.take(), b.take()], [true, true, true, false]);
});

test('joining more than maxRoomsPerConnection rooms closes with 4003', async () => {
  await withServer({ maxRoomsPerConnection: 2 }, async (s) => {
    const p = await Peer.connect(s.url);
    await p.join('beeptrace/v1/a/tracing');
    await p.join('beeptrace/v1/a/notification');
    p.send({ t: 'join', room: 'beeptrace/v1/b/tracing' });
    await expectClosed(s, p, CloseCode.TOO_MANY_ROOMS);
    assert.equal((await health(s)).rooms, 0, 'its two rooms were deleted');
  });
});

test('joining a full room closes with 4004', async () => {
  await withServer({ maxRoomSize: 2, maxRoomMembersPerSource: 2 }, async (s) => {
    const [a, b, c] = await Promise.all([Peer.connect(s.url), Peer.connect(s.url), Peer.connect(s.url)]);
    await a.join(ROOM);
    await b.join(ROOM);
    c.send({ t: 'join', room: ROOM });
    await expectClosed(s, c, CloseCode.ROOM_FULL);
    a.send({ t: 'signal', room: ROOM, to: b.id, data: 'still here' });
    assert.equal((await b.next('signal')).data, 'still here', 'the members are unaffected');
  });
});

test('a care room holds the two devices of one pairing: a third join closes with 4004; pairing rooms relay', async () => {
  const care = `beeptrace/v1/care/${'ab'.repeat(16)}`;
  await withServer({}, async (s) => {
    const [a, b, c] = await Promise.all([Peer.connect(s.url), Peer.connect(s.url), Peer.connect(s.url)]);
    await a.join(care);
    await b.join(care);
    c.send({ t: 'join', room: care });
    await expectClosed(s, c, CloseCode.ROOM_FULL);
    a.send({ t: 'signal', room: care, to: b.id, data: { bt: 'care', m: 'x' } });
    assert.deepEqual((await b.next('signal')).data, { bt: 'care', m: 'x' });
    await a.join('beeptrace/v1/r1/pair');
    await b.join('beeptrace/v1/r1/pair');
    b.send({ t: 'signal', room: 'beeptrace/v1/r1/pair', to: a.id, data: { bt: 'pair', m: 'hello' } });
    assert.deepEqual((await a.next('signal')).data, { bt: 'pair', m: 'hello' });
  });
});

test('a bad room name closes with 4005', async () => {
  const bad = [
    'beeptrace/v1/R1/tracing', 'beeptrace/v2/r1/tracing', 'beeptrace/v1/r1/ledger', `beeptrace/v1/${'a'.repeat(33)}/tracing`, 'beeptrace/v1//tracing', 'x',
    'beeptrace/v1/care/abc', `beeptrace/v1/care/${'A'.repeat(32)}`, `beeptrace/v1/care/${'a'.repeat(32)}/tracing`, 'beeptrace/v1/r1/pair/x',
  ];
  await withServer({}, async (s) => {
    for (const room of bad) {
      const p = await Peer.connect(s.url);
      p.send({ t: 'join', room });
      await expectClosed(s, p, CloseCode.BAD_ROOM);
    }
    assert.equal(s.stats().violations[CloseCode.BAD_ROOM], bad.length);
  });
  assert.ok(isRoomName(ROOM) && isRoomName(`beeptrace/v1/${'a'.repeat(32)}/tracing`) && isRoomName('beeptrace/v1/eu-west-1/tracing'));
});

test('a binary frame closes with 4008', async () => {
  await withServer({}, async (s) => {
    const p = await Peer.connect(s.url);
    p.ws.send(Buffer.from(JSON.stringify({ t: 'join', room: ROOM })), { binary: true });
    await expectClosed(s, p, CloseCode.BINARY_FRAME);
  });
});

test('non-JSON, non-objects, unknown types and malformed fields close with 4000', async () => {
  const bad = [
    'hello',
    '{"t":"join",',
    '[1,2]',
    'null',
    '42',
    '{"room":"beeptrace/v1/r1/tracing"}',
    '{"t":"shout","room":"beeptrace/v1/r1/tracing"}',
    '{"t":"join","room":7}',
    `{"t":"signal","room":"${ROOM}","to":"not-a-peer","data":1}`,
    `{"t":"signal","room":"${ROOM}","to":"${'a'.repeat(32)}"}`,
    `{"t":"signal","room":"${ROOM}","to":"${'a'.repeat(32)}","data":${'['.repeat(40)}${']'.repeat(40)}}`,
  ];
  await withServer({}, async (s) => {
    for (const text of bad) {
      const p = await Peer.connect(s.url);
      p.send(text);
      const c = await p.closed;
      assert.equal(c.code, CloseCode.BAD_MESSAGE, `for ${text.slice(0, 60)}`);
    }
    assert.equal(s.stats().violations[CloseCode.BAD_MESSAGE], bad.length);
    await stillServes(s);
  });
});

test('a client that does not answer pings is closed with 4006; one that does stays', async () => {
  await withServer({ heartbeatIntervalMs: 40, heartbeatTimeoutMs: 120 }, async (s) => {
    const good = await Peer.connect(s.url);
    await good.join(ROOM);
    const mute = await Peer.connect(s.url, { autoPong: false });
    await mute.join(ROOM);
    const t0 = Date.now();
    await expectClosed(s, mute, CloseCode.HEARTBEAT_TIMEOUT);
    assert.ok(Date.now() - t0 < 1500, 'closed soon after the timeout');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(good.ws.readyState, WebSocket.OPEN, 'a ponging client survives many intervals');
    const h = await health(s);
    assert.equal(h.connections, 1);
    assert.equal(h.rooms, 1);
  });
});

test('connections beyond maxConnections are closed with 4007', async () => {
  await withServer({ maxConnections: 2, maxConnectionsPerSource: 2 }, async (s) => {
    const a = await Peer.connect(s.url);
    await Peer.connect(s.url);
    const c = Peer.raw(s.url);
    const closed = await c.closed;
    assert.equal(closed.code, CloseCode.SERVER_FULL);
    assert.equal(c.msgs.length, 0, 'no welcome');
    await a.close();
    await until(async () => (await health(s)).connections === 1, 'a is gone');
    await stillServes(s);
  });
});

test('garbage from many clients at once never crashes the server', async () => {
  await withServer({ maxFrameBytes: 4096 }, async (s) => {
    const sends: Array<(p: Peer) => void> = [
      (p) => p.send('\u0000\u0001'),
      (p) => p.ws.send(Buffer.from([0xff, 0xfe, 0xfd])), // binary
      (p) => p.send('{'.repeat(4000)),
      (p) => p.send(JSON.stringify({ t: 'signal', room: ROOM, to: p.id, data: { a: Array(500).fill({ b: [1] }) } })),
      (p) => p.send(`{"t":"join","room":"${ROOM}","__proto__":{"x":1}}`),
      (p) => p.send('{"t":"toString","room":"constructor"}'),
      (p) => p.send(JSON.stringify({ t: 'signal', room: ROOM, to: 'f'.repeat(32), data: null })),
      (p) => p.ws.ping(),
    ];
    const peers = await Promise.all(sends.map(() => Peer.connect(s.url)));
    peers.forEach((p, i) => sends[i](p));
    await new Promise((r) => setTimeout(r, 200));
    // Invalid UTF-8 in a text frame is a WebSocket protocol error (ws closes with 1007).
    assert.equal(await rawCloseCode(s, frame(1, Buffer.from([0xc3, 0x28]))), 1007);
    // A header announcing a 2^53-byte frame is refused before any payload is buffered.
    const huge = Buffer.from([0x81, 0xff, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert.equal(await rawCloseCode(s, huge), CloseCode.FRAME_TOO_BIG);
    // Many small fragments adding up to more than the limit count as one big frame.
    const fragments = Buffer.concat([frame(1, Buffer.alloc(1000, 32), false), ...Array.from({ length: 5 }, () => frame(0, Buffer.alloc(1000, 32), false))]);
    assert.equal(await rawCloseCode(s, fragments), CloseCode.FRAME_TOO_BIG);
    await stillServes(s);
    assert.equal((await health(s)).ok, true);
  });
});

// ---------------------------------------------------------------- membership, health, shutdown

test('a disconnected peer leaves every room and empty rooms are deleted', async () => {
  await withServer({}, async (s) => {
    const a = await Peer.connect(s.url);
    const b = await Peer.connect(s.url);
    await a.join(ROOM);
    await a.join(ROOM2);
    await b.join(ROOM);
    assert.deepEqual({ ...(await health(s)), uptimeSeconds: 0 }, { ok: true, connections: 2, rooms: 2, uptimeSeconds: 0 });
    a.ws.terminate(); // no close handshake: the TCP connection just drops
    await until(async () => (await health(s)).connections === 1, 'the server noticed');
    assert.equal((await health(s)).rooms, 1, 'ROOM2 had only a and is gone');
    const c = await Peer.connect(s.url);
    assert.deepEqual(await c.join(ROOM), [b.id], 'a is no longer sampled');
    c.send({ t: 'signal', room: ROOM, to: a.id, data: 1 });
    assert.equal((await c.next('error')).code, 'unknown-peer');
    await b.close();
    await c.close();
    await until(async () => (await health(s)).rooms === 0, 'all rooms deleted');
    assert.equal((await health(s)).connections, 0);
  });
});

test('GET /health answers JSON; other paths 404; / without upgrade 426', async () => {
  await withServer({}, async (s) => {
    const h = await health(s);
    assert.deepEqual(Object.keys(h).sort(), ['connections', 'ok', 'rooms', 'uptimeSeconds']);
    assert.equal(h.ok, true);
    assert.equal(typeof h.uptimeSeconds, 'number');
    const base = s.url.replace(/^ws/, 'http');
    assert.equal((await fetch(`${base}nope`)).status, 404);
    assert.equal((await fetch(`${base}health/x`)).status, 404);
    assert.equal((await fetch(base)).status, 426);
    assert.equal((await fetch(`${base}health`, { method: 'POST' })).status, 405);
  });
});

test('close() closes clients with 1001 and stops listening', async () => {
  const s = await startSignalingServer({ port: 0 });
  const p = await Peer.connect(s.url);
  await p.join(ROOM);
  await s.close();
  assert.equal((await p.closed).code, CloseCode.GOING_AWAY);
  await assert.rejects(fetch(`${s.url.replace(/^ws/, 'http')}health`));
  await s.close(); // idempotent
});

test('logging never includes addresses', async () => {
  const events: object[] = [];
  const s = await startSignalingServer({ port: 0, log: (e) => events.push(e) });
  const p = await Peer.connect(s.url);
  await p.join(ROOM);
  p.send('oops');
  await p.closed;
  await s.close();
  const text = JSON.stringify(events);
  assert.match(text, /"event":"join"/);
  assert.match(text, /"event":"violation"/);
  assert.doesNotMatch(text.replace(/ws:\/\/127\.0\.0\.1:\d+\//, ''), /127\.0\.0\.1|::1|::ffff/);
});

// ---------------------------------------------------------------- pure parts

test('parseClientMessage accepts the three messages and names what is wrong', () => {
  assert.deepEqual(parseClientMessage(`{"t":"join","room":"${ROOM}"}`), { ok: true, msg: { t: 'join', room: ROOM } });
  assert.deepEqual(parseClientMessage(`{"t":"leave","room":"${ROOM}"}`), { ok: true, msg: { t: 'leave', room: ROOM } });
  const to = '0123456789abcdef'.repeat(2);
  assert.deepEqual(parseClientMessage(`{"t":"signal","room":"${ROOM}","to":"${to}","data":null}`), { ok: true, msg: { t: 'signal', room: ROOM, to, data: null } });
  assert.deepEqual(parseClientMessage('nope'), { ok: false, code: 4000, reason: 'not JSON' });
  assert.deepEqual(parseClientMessage('{"t":"join","room":"a/b"}'), { ok: false, code: 4005, reason: 'bad room name' });
  assert.equal(depthWithin({ a: [1, { b: 2 }] }, 3), true);
  assert.equal(depthWithin({ a: [1, { b: 2 }] }, 2), false);
});

test('resolveLimits fills defaults and refuses bad values by name', () => {
  const l = resolveLimits({ heartbeatIntervalMs: 100 });
  assert.equal(l.heartbeatIntervalMs, 100);
  assert.equal(l.maxFrameBytes, 16384);
  assert.equal(l.peerSampleSize, 20);
  assert.throws(() => resolveLimits({ burst: 0 }), /limit "burst" must be an integer >= 1, got 0/);
  assert.throws(() => resolveLimits({ maxRoomSize: 1.5 }), /maxRoomSize/);
  assert.throws(() => resolveLimits({ nope: 1 } as Partial<SignalingLimits>), /unknown limit "nope"/);
});

test('Rooms samples uniformly and deletes empty rooms', () => {
  const rooms = new Rooms();
  for (let i = 0; i < 10; i++) rooms.join(ROOM, `p${i}`);
  const counts = new Map<string, number>();
  for (let i = 0; i < 2000; i++) for (const id of rooms.sample(ROOM, 3, 'p0')) counts.set(id, (counts.get(id) ?? 0) + 1);
  assert.equal(counts.has('p0'), false);
  assert.equal(counts.size, 9);
  for (const n of counts.values()) assert.ok(n > 500 && n < 850, `each of 9 picked ~667 times, got ${n}`);
  for (let i = 0; i < 10; i++) rooms.leave(ROOM, `p${i}`);
  assert.equal(rooms.count, 0);
  assert.deepEqual(rooms.sample(ROOM, 3, 'x'), []);
});

// ---------------------------------------------------------------- CLI

test('CLI flags and environment are parsed strictly', () => {
  assert.deepEqual(parseSignalingArgs([], {}), { help: false, options: { host: '127.0.0.1', port: 8787, limits: {} }, log: false });
  const c = parseSignalingArgs(['--port', '9001', '--host', '0.0.0.0', '--log', '--max-rooms', '2'], { BEEPTRACE_SIGNAL_PORT: '9000' });
  assert.deepEqual(c, { help: false, options: { host: '0.0.0.0', port: 9001, limits: { maxRoomsPerConnection: 2 } }, log: true });
  assert.equal((parseSignalingArgs([], { BEEPTRACE_SIGNAL_PORT: '9000', BEEPTRACE_SIGNAL_HOST: '::1' }) as any).options.host, '::1');
  for (const [argv, env, re] of [
    [['--port', 'abc'], {}, /--port must be an integer 0–65535, got "abc"/],
    [['--port', '70000'], {}, /--port/],
    [['--port', '-1'], {}, /--port/],
    [[], { BEEPTRACE_SIGNAL_PORT: '80x' }, /BEEPTRACE_SIGNAL_PORT/],
    [['--host', 'a b'], {}, /--host/],
    [['--burst', '0'], {}, /burst/],
    [['--nope'], {}, /nope/],
    [['extra'], {}, /extra/],
  ] as const) {
    assert.throws(() => parseSignalingArgs([...argv], env), (e: unknown) => e instanceof UsageError && re.test(e.message));
  }
});

function runCli(args: string[]): { child: ReturnType<typeof spawn>; out: () => string; err: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'signaling/main.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exit = once(child, 'exit').then(([code]) => code as number | null);
  return { child, out: () => out, err: () => err, exit };
}

test('the CLI prints the ws URL, serves, and exits 0 on SIGTERM after closing clients with 1001', async () => {
  const cli = runCli(['--port', '0']);
  try {
    await until(() => /ws:\/\/\S+/.test(cli.out()), 'the URL line', 8000);
    const url = /ws:\/\/127\.0\.0\.1:(\d+)\//.exec(cli.out())![0];
    assert.equal(cli.out().trim().split('\n').length, 1, 'one line');
    const p = await Peer.connect(url);
    assert.match(p.id, /^[0-9a-f]{32}$/);
    cli.child.kill('SIGTERM');
    assert.equal((await p.closed).code, 1001);
    assert.equal(await cli.exit, 0);
  } finally {
    cli.child.kill('SIGKILL');
  }
});

test('the CLI exits 2 with a message on --port abc', async () => {
  const cli = runCli(['--port', 'abc']);
  assert.equal(await cli.exit, 2);
  assert.match(cli.err(), /--port must be an integer/);
  assert.equal(cli.out(), '');
});

test('issue 9 finding 8: handshakes in progress are bounded (count, total, time); honest clients still connect', async () => {
  await withServer({ maxConnections: 3, maxHandshakes: 3, handshakeTimeoutMs: 400, maxConnectionsPerSource: 3, maxHandshakesPerSource: 3 }, async (s) => {
    // 10 TCP connections that start nothing: only maxHandshakes are kept, and only until the timeout
    const socks = await Promise.all(Array.from({ length: 10 }, async () => {
      const sock = connect(s.port, '127.0.0.1');
      sock.on('error', () => {});
      const state = { closed: false };
      sock.on('close', () => (state.closed = true));
      await once(sock, 'connect');
      return state;
    }));
    await until(() => socks.filter((x) => !x.closed).length <= 3, 'at most 3 handshakes in progress are kept');
    await until(() => socks.every((x) => x.closed), 'the rest are dropped after handshakeTimeoutMs', 3000);
    const a = await Peer.connect(s.url);
    const b = await Peer.connect(s.url);
    await a.join(ROOM);
    await b.join(ROOM);
    await stillServes(s);
  });
});

test('issue 9 finding 8: a signal a peer addresses to itself is refused, not relayed back', async () => {
  await withServer({}, async (s) => {
    const a = await Peer.connect(s.url);
    await a.join(ROOM);
    a.send({ t: 'signal', room: ROOM, to: a.id, data: { sdp: 'x' } });
    const e = await a.next('error');
    assert.equal(e.code, 'unknown-peer');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(a.msgs.filter((m) => m.t === 'signal').length, 0, 'nothing was relayed back');
  });
});

// ───────────────────────────── issue 17 finding 2: per-source quotas ─────────────────────────────
// Loopback is 127.0.0.0/8 on Linux: 127.0.0.x and 127.0.1.x are two /24 sources on one machine.

test('issue 17 finding 2: one address cannot hold more than a tenth of the connection slots; a newcomer from another address is welcomed', async () => {
  await withServer({ maxConnections: 300 }, async (s) => {
    assert.equal(s.limits.maxConnectionsPerSource, 30, 'a tenth of maxConnections by default');
    const attacker: Peer[] = [];
    let refused: { code: number; reason: string } | undefined;
    for (let i = 0; i < 300 && !refused; i++) {
      const p = Peer.raw(s.url);
      const first = await Promise.race([p.next('welcome').then(() => null), p.closed]);
      if (first) refused = first;
      else attacker.push(p);
    }
    assert.equal(attacker.length, 30, `${attacker.length} connections from one /24 were welcomed`);
    assert.equal(refused?.code, CloseCode.SOURCE_FULL);
    // a newcomer from another network is welcomed while the attacker holds its share
    const other = await Peer.connect(s.url, { localAddress: '127.0.1.1' });
    assert.match(other.id, /^[0-9a-f]{32}$/);
    assert.notEqual(other.id.slice(0, 8), attacker[0].id.slice(0, 8), 'another source, another tag');
    assert.equal(new Set(attacker.map((p) => p.id.slice(0, 8))).size, 1, 'one source, one tag');
    assert.equal((await health(s)).connections, 31);
    await Promise.all([...attacker, other].map((p) => p.close()));
  });
});

test('issue 17 finding 2: one source holds at most a tenth of a room, and room samples take sources first', async () => {
  await withServer({ maxRoomSize: 200, maxConnections: 400 }, async (s) => {
    assert.equal(s.limits.maxRoomMembersPerSource, 20);
    const sybils: Peer[] = [];
    for (let i = 0; i < 20; i++) {
      const p = await Peer.connect(s.url);
      await p.join(ROOM);
      sybils.push(p);
    }
    const extra = await Peer.connect(s.url);
    extra.send({ t: 'join', room: ROOM });
    assert.equal((await extra.closed).code, CloseCode.ROOM_FULL, 'the 21st member from one source is refused');
    const honest: Peer[] = [];
    for (let i = 2; i < 12; i++) {
      const p = await Peer.connect(s.url, { localAddress: `127.0.${i}.1` });
      await p.join(ROOM);
      honest.push(p);
    }
    const sybilTag = sybils[0].id.slice(0, 8);
    const newcomer = await Peer.connect(s.url, { localAddress: '127.0.20.1' });
    const sample = await newcomer.join(ROOM);
    const fromSybil = sample.filter((id) => id.slice(0, 8) === sybilTag).length;
    // 11 sources, a sample of 20: at most ⌈20/11⌉ = 2 from any one (uniform over the 30 members: ~13 of 20)
    assert.ok(fromSybil <= 2, `${fromSybil} of ${sample.length} sampled ids are the one source's`);
    assert.deepEqual(honest.map((p) => p.id).filter((id) => !sample.includes(id)), [], 'every honest source is in the sample');
    await Promise.all([...sybils, ...honest, newcomer].map((p) => p.close()));
  });
});

test('issue 17 finding 2: handshakes in progress from one source are bounded; another source still connects', async () => {
  await withServer({ maxHandshakes: 40, handshakeTimeoutMs: 5_000 }, async (s) => {
    assert.equal(s.limits.maxHandshakesPerSource, 4);
    const socks = await Promise.all(Array.from({ length: 12 }, async () => {
      const sock = connect({ port: s.port, host: '127.0.0.1' });
      sock.on('error', () => {});
      const state = { closed: false };
      sock.on('close', () => (state.closed = true));
      await once(sock, 'connect');
      return state;
    }));
    await until(() => socks.filter((x) => !x.closed).length === 4, 'only 4 upgrades in progress from one source are kept');
    const other = await Peer.connect(s.url, { localAddress: '127.0.1.1' });
    await other.join(ROOM);
    await other.close();
  });
});

test('issue 17 finding 2: the source of a client comes from a proxy header only when configured, and only from a trusted proxy', async () => {
  const { sourceOf, clientAddress } = await import('../../signaling/source.ts');
  const p = { v4: 24, v6: 48 };
  assert.equal(sourceOf('198.51.100.7', p), 'v4/198.51.100.0/24');
  assert.equal(sourceOf('::ffff:198.51.100.7', p), 'v4/198.51.100.0/24');
  assert.equal(sourceOf('2001:db8:1:2::5', p), 'v6/2001:db8:1::/48');
  assert.equal(sourceOf('2001:db8:1:ffff:1:2:3:4', p), 'v6/2001:db8:1::/48');
  assert.equal(sourceOf('10.1.2.3', { v4: 32, v6: 48 }), 'v4/10.1.2.3/32');
  assert.equal(sourceOf(undefined, p), 'unknown');
  const req = (remote: string, headers: Record<string, string>) => ({ socket: { remoteAddress: remote }, headers }) as never;
  const xff = { 'x-forwarded-for': '203.0.113.9, 198.51.100.7' };
  assert.equal(clientAddress(req('127.0.0.1', xff)), '127.0.0.1', 'no header configured: the socket');
  assert.equal(clientAddress(req('127.0.0.1', xff), { header: 'x-forwarded-for' }), '198.51.100.7', 'the entry the proxy added');
  assert.equal(clientAddress(req('192.0.2.1', xff), { header: 'x-forwarded-for' }), '192.0.2.1', 'an untrusted sender cannot choose its source');
  assert.equal(clientAddress(req('127.0.0.1', { 'x-forwarded-for': 'not an address' }), { header: 'x-forwarded-for' }), '127.0.0.1');
  assert.deepEqual(parseSignalingArgs(['--source-header', 'x-real-ip', '--trusted-proxies', '10.0.0.2'], {}), {
    help: false, log: false, options: { host: '127.0.0.1', port: 8787, limits: {}, sourceHeader: 'x-real-ip', trustedProxies: ['10.0.0.2', '::ffff:10.0.0.2'] },
  });
  assert.throws(() => parseSignalingArgs(['--trusted-proxies', '10.0.0.2'], {}), UsageError);
  assert.throws(() => parseSignalingArgs(['--source-prefix-v4', '33'], {}), UsageError);
});

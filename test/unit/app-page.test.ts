/**
 * The page runtime without a browser: /config.json validation, the engine client (replies, error
 * codes, a wire swapped under pending intents), the tab coordinator with a scripted lock manager
 * (one leader; a follower mirrors, is answered through the leader, and takes over), and
 * Geolocation's tolerance of the spurious code-2 error (mocked timers and Date).
 * The same parts run in real Chromium in test/e2e/shell.test.ts.
 */
import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig, parseConfig, pinnedRootKey } from '../../src/app/page/config.ts';
import { AppClient, EngineError, portWire, type Wire } from '../../src/app/page/client.ts';
import { Tabs, laterWire } from '../../src/app/page/tabs.ts';
import { PageGeo } from '../../src/app/page/geo.ts';
import { wifiFromType } from '../../src/app/page/conditions.ts';
import { initialState, type FromEngine, type ToEngine } from '../../src/app/protocol.ts';
import type { Fix } from '../../src/core/types.ts';

const KEY = 'AB'.repeat(32);

test('config: a good file is accepted (key lower-cased); each bad field is named', async () => {
  assert.deepEqual(parseConfig({ region: 3, signalUrl: 'wss://sig.example/ws', rootKey: KEY }), { region: 3, signalUrl: 'wss://sig.example/ws', rootKey: 'ab'.repeat(32) });
  const cases: [unknown, RegExp][] = [
    [null, /JSON object/],
    [[], /JSON object/],
    [{ region: 1.5, signalUrl: 'ws://x', rootKey: KEY }, /region/],
    [{ region: '1', signalUrl: 'ws://x', rootKey: KEY }, /region/],
    [{ region: 1, signalUrl: 'http://x', rootKey: KEY }, /signalUrl/],
    [{ region: 1, signalUrl: 'not a url', rootKey: KEY }, /signalUrl/],
    [{ region: 1, signalUrl: 'ws://x', rootKey: 'ab'.repeat(31) }, /rootKey/],
    [{ region: 1, signalUrl: 'ws://x', rootKey: 'zz'.repeat(32) }, /rootKey/],
    [{ region: 1, signalUrl: 'ws://x', rootKey: KEY, iceServers: {} }, /iceServers/],
  ];
  for (const [raw, msg] of cases) {
    assert.throws(() => parseConfig(raw), (e: unknown) => e instanceof ConfigError && e.code === 'invalid' && msg.test(e.message), JSON.stringify(raw));
  }
  const answer = (body: string, status = 200) => async () => new Response(body, { status });
  await assert.rejects(loadConfig('/config.json', answer('nope', 404)), (e: unknown) => e instanceof ConfigError && e.code === 'missing' && /404/.test(e.message));
  await assert.rejects(loadConfig('/config.json', answer('{')), (e: unknown) => e instanceof ConfigError && e.code === 'invalid');
  await assert.rejects(loadConfig('/config.json', async () => { throw new TypeError('Failed to fetch'); }), (e: unknown) => e instanceof ConfigError && e.code === 'unreachable');
});

test('config: a build with the root key compiled in refuses a config.json that names another key (DEPLOY §3)', () => {
  assert.equal(pinnedRootKey(), '', 'no key compiled into the sources run by the tests');
  const good = { region: 1, signalUrl: 'wss://sig.example/ws', rootKey: KEY };
  assert.equal(parseConfig(good, 'ab'.repeat(32)).rootKey, 'ab'.repeat(32), 'the pinned key, in any case');
  assert.throws(() => parseConfig({ ...good, rootKey: 'cd'.repeat(32) }, 'ab'.repeat(32)), (e: unknown) => e instanceof ConfigError && e.code === 'invalid' && /"rootKey" cdcdcdcdcdcdcdcd… is not the CA root key this app was built with \(abababababababab…\)/.test(e.message));
  assert.equal(parseConfig({ ...good, rootKey: 'cd'.repeat(32) }).rootKey, 'cd'.repeat(32), 'no key compiled in: the file\'s key is taken');
});

/** A scripted engine on a MessagePort: 'upload-now' fails with code 'offline', everything else answers its type. */
function scriptedEngine(port: MessagePort, tag: string): void {
  const post = (m: FromEngine) => port.postMessage(m);
  port.onmessage = (e: MessageEvent) => {
    const m = e.data as ToEngine;
    if (m.intent.type === 'upload-now') post({ kind: 'reply', id: m.id, ok: false, error: { code: 'offline', message: 'no peers' } });
    else if (m.intent.type === 'erase') { /* never answers */ }
    else post({ kind: 'reply', id: m.id, ok: true, value: `${tag}:${m.intent.type}` });
  };
  post({ kind: 'state', state: { ...initialState(), ready: true, keysCreated: tag.length } });
}

function engineWire(tag: string): { wire: Wire; close(): void } {
  const ch = new MessageChannel();
  scriptedEngine(ch.port2, tag);
  return { wire: portWire(ch.port1), close: () => { ch.port1.close(); ch.port2.close(); } };
}

test('client: replies resolve, refusals reject with the engine\'s code, swapping the wire rejects what was pending', async () => {
  const a = engineWire('a');
  const client = new AppClient(a.wire);
  const states: boolean[] = [];
  client.subscribe((s) => states.push(s.ready));
  assert.equal(await client.send({ type: 'set-relay', on: true }), 'a:set-relay');
  await assert.rejects(client.send({ type: 'upload-now' }), (e: unknown) => e instanceof EngineError && e.code === 'offline');
  assert.deepEqual(states, [false, true]);
  const pending = client.send({ type: 'erase' });
  const b = engineWire('b');
  client.attach(b.wire);
  await assert.rejects(pending, (e: unknown) => e instanceof EngineError && e.code === 'leader-changed');
  assert.equal(await client.send({ type: 'set-relay', on: false }), 'b:set-relay');
  client.close();
  a.close();
  b.close();
});

/** A lock manager with one lock, granted in request order; `drop()` ends the holder (its tab closed). */
class ScriptedLocks {
  queue: { grant(): void }[] = [];
  held = false;
  request(_name: string, cb: () => Promise<unknown>): Promise<unknown> {
    return new Promise((resolve) => {
      this.queue.push({ grant: () => { this.held = true; void cb(); resolve(undefined); } });
      this.#next();
    });
  }
  drop(): void {
    this.held = false;
    this.#next();
  }
  #next(): void {
    if (!this.held) this.queue.shift()?.grant();
  }
}

test('tabs: a tab alone, before the browser grants it the lock, is not "mirroring" (no banner flashes on load)', async () => {
  const locks = new ScriptedLocks();
  locks.held = true; // the grant has not come yet
  const engine = engineWire('x');
  const tabs = new Tabs({ channelName: `test-${Math.random()}`, locks: locks as unknown as LockManager, startEngine: () => engine.wire });
  tabs.start();
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual([tabs.leader, tabs.mirroring], [false, false]);
  locks.drop();
  await waitFor(() => tabs.leader, 'the lock granted');
  assert.equal(tabs.mirroring, false);
  tabs.close();
  engine.close();
});

test('tabs: an intent sent before the lock is granted, with no other tab, is answered by this tab\'s engine (not lost)', async () => {
  const locks = new ScriptedLocks();
  locks.held = true; // the grant has not come yet: the tab cannot know whether another leads
  const engine = engineWire('x');
  const tabs = new Tabs({ channelName: `test-${Math.random()}`, locks: locks as unknown as LockManager, startEngine: () => engine.wire });
  try {
    tabs.start();
    // E.g. "Easy mode" switched on at once on a first visit, on a slow machine.
    const early = tabs.client.send({ type: 'set-relay', on: true });
    await new Promise((r) => setTimeout(r, 50));
    locks.drop();
    assert.equal(await early, 'x:set-relay');
    assert.equal(tabs.leader, true);
  } finally {
    tabs.close();
    engine.close();
  }
});

/** Polls until `f()` holds (messages between tabs are delivered in later tasks). */
async function waitFor(f: () => boolean, what: string): Promise<void> {
  for (let i = 0; !f(); i++) {
    if (i > 500) throw new Error(`never happened: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('tabs: one leader runs the engine; a follower mirrors it, is answered through it, and takes over', async () => {
  const locks = new ScriptedLocks();
  const channelName = `test-${Math.random()}`;
  const started: string[] = [];
  const engines: { close(): void }[] = [];
  const mk = (tag: string) => new Tabs({
    channelName,
    locks: locks as unknown as LockManager,
    startEngine: () => { started.push(tag); const e = engineWire(tag); engines.push(e); return e.wire; },
  });
  const a = mk('a');
  const b = mk('bb');
  a.start();
  b.start();
  await waitFor(() => b.client.state.ready, 'B mirrors A');
  assert.deepEqual(started, ['a']);
  assert.equal(a.leader, true);
  assert.equal(b.leader, false);
  assert.deepEqual([a.mirroring, b.mirroring], [false, true], 'B knows it mirrors: A answered');
  assert.equal(b.client.state.ready, true, 'B mirrors A\'s engine state');
  assert.equal(b.client.state.keysCreated, 1);
  assert.equal(await b.client.send({ type: 'set-relay', on: true }), 'a:set-relay');
  await assert.rejects(b.client.send({ type: 'upload-now' }), (e: unknown) => e instanceof EngineError && e.code === 'offline');
  const lost = assert.rejects(b.client.send({ type: 'erase' }), (e: unknown) => e instanceof EngineError && e.code === 'leader-changed');
  // A's tab closes: its lock goes to B, which starts its own engine.
  a.close();
  locks.drop();
  await waitFor(() => b.client.state.keysCreated === 2, 'B runs its own engine');
  assert.deepEqual(started, ['a', 'bb']);
  assert.equal(b.leader, true);
  assert.equal(b.mirroring, false);
  await lost;
  assert.equal(await b.client.send({ type: 'set-relay', on: true }), 'bb:set-relay');
  assert.equal(b.client.state.keysCreated, 2);
  for (const e of engines) e.close();
  b.close();
});

/** A Geolocation whose watch the test drives. */
function fakeGeolocation() {
  const g = {
    ok: null as ((p: GeolocationPosition) => void) | null,
    err: null as ((e: GeolocationPositionError) => void) | null,
    options: null as PositionOptions | null,
    cleared: 0,
    watchPosition(ok: (p: GeolocationPosition) => void, err: (e: GeolocationPositionError) => void, options: PositionOptions) { g.ok = ok; g.err = err; g.options = options; return 7; },
    clearWatch() { g.cleared++; },
    move(lat: number) { g.ok?.({ coords: { latitude: lat, longitude: 8.5, accuracy: 4 }, timestamp: 0 } as unknown as GeolocationPosition); },
    fail(code: number) { g.err?.({ code, message: '' } as GeolocationPositionError); },
  };
  return g;
}

test('geo: a code-2 error followed by a position keeps "watching"; no position for the grace period says "unavailable"; code 1 says "denied"', async () => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
  try {
    const g = fakeGeolocation();
    const fixes: Fix[] = [];
    const states: string[] = [];
    const geo = new PageGeo({ geolocation: g as unknown as Geolocation, send: (f) => fixes.push(f), onChange: (s) => states.push(s), graceMs: 30_000 });
    assert.equal(geo.state, 'idle');
    const started = geo.start();
    assert.equal(geo.state, 'prompting');
    assert.equal(g.options?.enableHighAccuracy, true);
    g.move(47.1);
    assert.equal(await started, 'watching');
    assert.deepEqual(fixes, [{ t: 1_000_000, lat: 47.1, lon: 8.5, acc: 4 }]);
    // Chromium's spurious error, then the new position.
    mock.timers.tick(5_000);
    g.fail(2);
    g.move(47.2);
    mock.timers.tick(60_000);
    assert.equal(geo.state, 'watching');
    assert.equal(fixes[1].t, 1_005_000, 'fixes carry Date.now()');
    // A real outage: the error and no position for the grace period.
    g.fail(2);
    mock.timers.tick(29_999);
    assert.equal(geo.state, 'watching');
    mock.timers.tick(1);
    assert.equal(geo.state, 'unavailable');
    g.move(47.3);
    assert.equal(geo.state, 'watching');
    g.fail(1);
    assert.equal(geo.state, 'denied');
    assert.equal(g.cleared, 1);
    assert.deepEqual(states, ['prompting', 'watching', 'unavailable', 'watching', 'denied']);
    assert.equal(new PageGeo({ geolocation: null, send: () => {} }).state, 'unsupported');
  } finally {
    mock.timers.reset();
  }
});

test('conditions: only Wi-Fi and wired count as unmetered; unknown types say null', () => {
  assert.equal(wifiFromType('wifi'), true);
  assert.equal(wifiFromType('ethernet'), true);
  assert.equal(wifiFromType('cellular'), false);
  assert.equal(wifiFromType('unknown'), null);
  assert.equal(wifiFromType(undefined), null);
});

test('laterWire: an intent sent while the engine starts waits for it and is answered; nothing is lost or reordered', async () => {
  let ready!: (w: Wire) => void;
  const wire = laterWire(new Promise<Wire>((r) => { ready = r; }));
  const client = new AppClient();
  client.attach(wire);
  const first = client.send({ type: 'set-settings', settings: { elder: true } });
  const second = client.send({ type: 'upload-now' });
  await new Promise((r) => setTimeout(r, 10));
  // the engine arrives: it answers each intent it receives, in the order received
  const got: ToEngine[] = [];
  let deliver: ((m: FromEngine) => void) | null = null;
  ready({
    post(m) { const n = got.push(m); queueMicrotask(() => deliver?.({ kind: 'reply', id: m.id, ok: true, value: n })); },
    listen(fn) { deliver = fn; return () => { deliver = null; }; },
  });
  assert.deepEqual(await Promise.all([first, second]), [1, 2], 'both answered, in order');
  assert.deepEqual(got.map((m) => m.intent.type), ['set-settings', 'upload-now']);
  assert.equal(await client.send({ type: 'upload-now' }), 3, 'later intents go straight to the engine');
  client.close();
});

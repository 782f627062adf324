/**
 * The ledger travels over real WebRTC: four Chromium pages (thin nodes on IndexedDB) and one Node
 * full node (file store) meet through the real signaling server. The pages sync the notification
 * chain from the full node; a trace batch uploaded from one page reaches the full node and no
 * other page downloads it; a notification published at the full node reaches every page.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Peer from 'simple-peer';
import wrtc from '@roamhq/wrtc';
import WebSocket from 'ws';
import { startSignalingServer } from '../../signaling/server.ts';
import { World } from '../../src/node/sim/world.ts';
import { nodeCrypto as c } from '../../src/node/node-crypto.ts';
import { toHex } from '../../src/core/bytes.ts';
import { FullNode } from '../../src/node/full-node.ts';
import { NetNode } from '../../src/net/node.ts';
import { WebRtcTransport } from '../../src/net/webrtc/transport.ts';
import type { SimplePeerCtor } from '../../src/net/webrtc/connector.ts';
import type { WebSocketCtor } from '../../src/net/webrtc/signaling-client.ts';
import { notificationBlock } from '../../src/core/blocks.ts';
import { ValidatorRole } from '../../src/node/roles/validator-role.ts';
import { buildTagSet } from '../../src/core/tagset.ts';
import { Chain } from '../../src/core/types.ts';
import { launchChromium, startVite, until } from './harness.ts';

const clock = { now: () => Date.now(), setTimeout: (f: () => void, ms: number) => setTimeout(f, ms), clearTimeout: (h: unknown) => clearTimeout(h as ReturnType<typeof setTimeout>) };

test('4 pages and a full node: uploads reach the full node only, notifications reach every page', async () => {
  const run = 'u' + Date.now();
  const m = await mesh([1, 2, 3, 4].map((i) => `${run}-p${i}`));
  try {
    const { full, pages } = m;
    // Every page syncs the authority statements (notification chain) from the full node.
    const authorityBlocks = full.ledger.count(Chain.NOTIFICATION);
    for (const [i, page] of pages.entries()) {
      await until(() => page.evaluate((n) => (window as any).bt?.count(2) >= n, authorityBlocks), `page ${i + 1} synced the notification chain`, 30_000);
    }
    // An upload from page 1 reaches the full node, and no page downloads it.
    const up: { id: string; status: string } = await pages[0].evaluate(() => (window as any).bt.upload());
    assert.equal(up.status, 'uploaded');
    await until(() => full.ledger.has(up.id), 'the upload at the full node', 15_000);
    for (const page of pages) {
      assert.equal(await page.evaluate(() => (window as any).bt.count(1)), 0, 'a thin node stores no tracing block');
      const kinds: { chain: number }[] = await page.evaluate(() => (window as any).bt.received());
      assert.equal(kinds.filter((k) => k.chain === 1).length, 0, 'a thin node never receives a tracing block');
    }
    // A notification published at the full node reaches every page.
    const r = await m.net.publish(note(m.w));
    assert.equal(r.status, 'added');
    for (const [i, page] of pages.entries()) await until(() => page.evaluate((h) => (window as any).bt.has(h), toHex(r.id)), `the notification at page ${i + 1}`, 15_000);
  } finally {
    await m.close();
  }
});

// ——— shared setup for the robustness tests ———

async function mesh(pageNames: string[], opts: { extraNotifications?: number; relays?: string[]; clock?: boolean } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'beeptrace-mesh-'));
  let signal = await startSignalingServer({ port: 0, host: '127.0.0.1' });
  const vite = await startVite();
  const browser = await launchChromium();
  const w = await World.create({ crypto: c, startMs: Date.now() - 5_000 });
  const full = await FullNode.open({ dir, role: 'archive', crypto: c, config: { region: w.region, rootKey: w.root.publicKey, epochKeys: new Map() } });
  for (const e of w.ledger.entries(Chain.NOTIFICATION)) await full.ingest((await w.ledger.get(e.id))!);
  const extra: Promise<unknown>[] = [];
  for (let i = 0; i < (opts.extraNotifications ?? 0); i++) extra.push(full.ingest(note(w)));
  await Promise.all(extra);
  const transport = new WebRtcTransport({ url: signal.url, region: w.region, chains: ['tracing', 'notification'], Peer: Peer as unknown as SimplePeerCtor, wrtc, WebSocketImpl: WebSocket as unknown as WebSocketCtor });
  const net = new NetNode({ ledger: full.ledger, clock, role: 'full', connect: transport.connect, discover: transport.discover, tickMs: 250 });
  transport.attach(net);
  transport.start();
  net.start();
  const url = (name: string) => `${vite.url}/test/e2e/pages/thin.html?name=${name}&region=${w.region}&root=${toHex(w.root.publicKey)}&signal=${encodeURIComponent(signal.url)}${opts.relays?.includes(name) ? '&relay=1' : ''}`;
  const pages = [];
  for (const name of pageNames) {
    const page = await browser.newPage();
    page.on('pageerror', (e) => console.error(`[${name}] ${e.message}`));
    if (opts.clock) await page.clock.install(); // the page's time, moved by the test (it runs on until then)
    await page.goto(url(name));
    pages.push(page);
  }
  return {
    w, full, net, transport, pages, browser, url,
    get signal() { return signal; },
    async restartSignaling() {
      const port = signal.port;
      await signal.close();
      signal = await startSignalingServer({ port, host: '127.0.0.1' });
    },
    async close() {
      net.stop();
      transport.stop();
      await browser.close();
      await vite.server.close();
      await signal.close();
      await full.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A small valid notification block signed by the world's solver. */
function note(w: World): Uint8Array {
  const set = buildTagSet(c, [c.randomBytes(32)], c.randomBytes(16), 20);
  return notificationBlock(c, w.solver, { exposureDay: Math.floor(Date.now() / 86_400_000), level: 1, P: set.P, n: set.n, salt: set.salt, data: set.data }, { region: w.region, timeSec: Math.floor(Date.now() / 1000) - 2, parents: [] });
}

test('retention in the browser: the thin node prunes its IndexedDB on its own clock, to the horizon and no further', async () => {
  const run = 'k' + Date.now();
  const m = await mesh([`${run}-a`], { extraNotifications: 20, clock: true });
  try {
    const page = m.pages[0];
    const total = m.full.ledger.count(Chain.NOTIFICATION);
    await until(() => page.evaluate((n) => (window as any).bt?.count(2) >= n, total), 'the page synced the notification chain', 30_000);
    const held: number[] = await page.evaluate(() => (window as any).bt.storedTimes(2));
    assert.equal(held.length, total, 'IndexedDB holds the chain');
    assert.ok((await page.evaluate(() => (window as any).bt.prunes().length)) >= 1, 'it pruned once at start');
    const DAY = 86_400_000;
    // 13 days on (the lid closed): the hourly pruning runs, and every block is still inside the 14-day window
    let runs: number = await page.evaluate(() => (window as any).bt.prunes().length);
    await page.clock.fastForward(13 * DAY);
    await until(() => page.evaluate((n) => (window as any).bt.prunes().length > n, runs), 'a pruning 13 days on', 15_000);
    assert.equal((await page.evaluate(() => (window as any).bt.storedTimes(2))).length, total, 'nothing inside the window is deleted');
    // 2 days more: every block is now older than the horizon, and none is left, in the ledger or in IndexedDB
    runs = await page.evaluate(() => (window as any).bt.prunes().length);
    await page.clock.fastForward(2 * DAY);
    const last = await until(() => page.evaluate((n) => (window as any).bt.prunes()[n], runs), 'a pruning 15 days on', 15_000);
    assert.equal(last.error, undefined);
    const horizon = last.at - 14 * DAY;
    assert.ok(Math.max(...held) < horizon, 'the synced blocks are older than the horizon now');
    const left: number[] = await page.evaluate(() => (window as any).bt.storedTimes(2));
    assert.deepEqual(left.filter((t) => t < horizon), [], 'no block older than the horizon in IndexedDB');
    assert.equal(await page.evaluate(() => (window as any).bt.count(2)), left.length, 'the ledger holds what the store holds');
  } finally {
    await m.close();
  }
});

test('a page reloaded mid-sync resumes from IndexedDB and ends complete', async () => {
  const run = 'r' + Date.now();
  const m = await mesh([`${run}-a`], { extraNotifications: 3000 });
  try {
    const total = m.full.ledger.count(Chain.NOTIFICATION);
    const page = m.pages[0];
    const before: number = await until(async () => {
      const n: number = await page.evaluate(() => (window as any).bt?.count(2) ?? 0);
      return n >= 200 && n < total ? n : undefined;
    }, 'the page part-way through the sync', 30_000, 10);
    await page.reload();
    const after: number = await until(() => page.evaluate(() => (window as any).bt?.count(2)), 'the reloaded page', 15_000);
    assert.ok(after >= before, `IndexedDB kept what was synced before the reload (${before} → ${after})`);
    if (process.env.BEEPTRACE_DEBUG) {
      for (let i = 0; i < 20; i++) {
        await new Promise((r) => setTimeout(r, 1000));
        console.error(await page.evaluate(() => JSON.stringify({ n: (window as any).bt.count(2), peers: (window as any).bt.peers(), stats: (window as any).bt.stats() })), 'full peers', m.net.peers().length, 'total', total);
      }
    }
    await until(() => page.evaluate((t) => (window as any).bt.count(2) === t, total), 'the sync to complete after the reload', 60_000);
  } finally {
    await m.close();
  }
});

test('the signaling server restarts under connected peers: they reconnect and keep exchanging', async () => {
  const run = 's' + Date.now();
  const m = await mesh([`${run}-a`, `${run}-b`]);
  try {
    const n0 = m.full.ledger.count(Chain.NOTIFICATION);
    for (const page of m.pages) await until(() => page.evaluate((n) => (window as any).bt?.count(2) >= n, n0), 'initial sync', 30_000);
    await m.restartSignaling();
    for (const page of m.pages) await until(() => page.evaluate(() => (window as any).bt.signalConnected()), 'a page back on signaling', 30_000);
    await until(() => m.transport.sig.connected, 'the full node back on signaling', 30_000);
    const r = await m.net.publish(note(m.w));
    for (const page of m.pages) await until(() => page.evaluate((h) => (window as any).bt.has(h), toHex(r.id)), 'a notification after the restart', 20_000);
    // and new peers are introduced by the restarted server
    const late = await m.browser.newPage();
    await late.goto(m.url(`${run}-late`));
    await until(() => late.evaluate((t) => (window as any).bt?.count(2) >= t, m.full.ledger.count(Chain.NOTIFICATION)), 'a page that joined after the restart syncs', 30_000);
  } finally {
    await m.close();
  }
});

test('a peer sending invalid blocks is disconnected while honest blocks still arrive everywhere', async () => {
  const run = 'm' + Date.now();
  const m = await mesh([`${run}-a`, `${run}-b`]);
  const { encodeFrame, blockFrames } = await import('../../src/net/frames.ts');
  const evil = new WebRtcTransport({ url: m.signal.url, region: m.w.region, chains: ['notification'], Peer: Peer as unknown as SimplePeerCtor, wrtc, WebSocketImpl: WebSocket as unknown as WebSocketCtor });
  try {
    const n0 = m.full.ledger.count(Chain.NOTIFICATION);
    for (const page of m.pages) await until(() => page.evaluate((n) => (window as any).bt?.count(2) >= n, n0), 'initial sync', 30_000);
    evil.start();
    // the malicious peer finds the full node in the tracing room and dials it
    const addr = await until(() => evil.discover({ chain: Chain.TRACING })[0], 'a tracing carrier to dial', 15_000);
    const link = await evil.connect(addr);
    let closed = '';
    link.onClose = (why) => (closed = why || 'closed');
    link.send(encodeFrame({ type: 'hello', version: 1, region: m.w.region, chains: [Chain.NOTIFICATION], role: 'thin' }));
    const forged: string[] = [];
    for (let i = 0; i < 3 && !closed; i++) {
      const good = note(m.w);
      const bad = good.slice();
      bad[bad.length - 1] ^= 1; // break the signature
      const id = c.sha256(bad);
      forged.push(toHex(id));
      for (const f of blockFrames(id, bad, true)) link.send(f);
      await new Promise((r) => setTimeout(r, 300));
    }
    await until(() => closed, 'the full node to disconnect the malicious peer', 15_000);
    // honest traffic is unaffected, and nothing forged is stored anywhere
    const r = await m.net.publish(note(m.w));
    for (const page of m.pages) await until(() => page.evaluate((h) => (window as any).bt.has(h), toHex(r.id)), 'an honest notification at every page', 20_000);
    for (const h of forged) {
      assert.equal(m.full.ledger.has(h), false);
      for (const page of m.pages) assert.equal(await page.evaluate((x) => (window as any).bt.has(x), h), false);
    }
  } finally {
    evil.stop();
    await m.close();
  }
});

test('an upload stays in IndexedDB, across a reload, until a final checkpoint proves it', async () => {
  const run = 'k' + Date.now();
  const m = await mesh([`${run}-a`]);
  try {
    const page = m.pages[0];
    const authorityBlocks = m.full.ledger.count(Chain.NOTIFICATION);
    await until(() => page.evaluate((n) => (window as any).bt?.count(2) >= n, authorityBlocks), 'the page synced the authority statements', 30_000);
    const up: { id: string; status: string } = await page.evaluate(() => (window as any).bt.upload());
    assert.equal(up.status, 'uploaded');
    await until(() => m.full.ledger.has(up.id), 'the upload at the full node', 15_000);
    assert.deepEqual(await page.evaluate(() => (window as any).bt.kept()), [up.id], 'kept in IndexedDB after the receipt');
    await page.reload();
    await until(() => page.evaluate(() => !!(window as any).bt), 'the page is back', 15_000);
    const after: { id: string; state: string }[] = await until(async () => {
      const r = await page.evaluate(() => (window as any).bt.retained());
      return r.length ? r : undefined;
    }, 'the kept upload reloaded from IndexedDB', 15_000);
    assert.deepEqual(after.map((u) => [u.id, u.state]), [[up.id, 'received']], 'still kept after the reload, with its receipt');
    // Two validators (k = 2) checkpoint the interval; the checkpoints reach the page on the notification chain.
    await new Promise((r) => setTimeout(r, 1_100));
    const to = Math.floor(Date.now() / 1000);
    for (const v of m.w.validators.slice(0, 2)) await new ValidatorRole(c, m.full.ledger, v).checkpoint(Chain.TRACING, to - 600, to, to);
    await until(async () => (await page.evaluate(() => (window as any).bt.retained())).length === 0, 'the upload proven and dropped', 45_000);
    assert.deepEqual(await page.evaluate(() => (window as any).bt.kept()), [], 'and gone from IndexedDB');
    assert.ok(m.net.stats().proofs.included >= 1, 'the full node served the inclusion path');
  } finally {
    await m.close();
  }
});

test('a desktop page opted in as a tracing relay carries the tracing chain; thin pages still never download it', async () => {
  const run = 'y' + Date.now();
  const [thin, relay] = [`${run}-thin`, `${run}-relay`];
  const m = await mesh([thin, relay], { relays: [relay] });
  try {
    const [thinPage, relayPage] = m.pages;
    for (const page of m.pages) await until(() => page.evaluate(() => !!(window as any).bt), 'the page node is open', 15_000);
    assert.equal(await thinPage.evaluate(() => (window as any).bt.role), 'thin');
    assert.equal(await relayPage.evaluate(() => (window as any).bt.role), 'relay');
    const authorityBlocks = m.full.ledger.count(Chain.NOTIFICATION);
    for (const page of m.pages) await until(() => page.evaluate((n) => (window as any).bt?.count(2) >= n, authorityBlocks), 'synced the authority statements', 30_000);
    const up: { id: string; status: string } = await thinPage.evaluate(() => (window as any).bt.upload());
    assert.equal(up.status, 'uploaded');
    await until(() => relayPage.evaluate((h) => (window as any).bt.has(h), up.id), 'the thin page\'s upload at the relay page', 20_000);
    await until(() => m.full.ledger.has(up.id), 'and at the full node', 20_000);
    // The relay publishes its own batch into the tracing chain directly (it carries it).
    const own: { id: string; status: string } = await relayPage.evaluate(() => (window as any).bt.upload());
    assert.equal(own.status, 'added', 'a relay adds its own batch to its ledger and gossips it');
    await until(() => m.full.ledger.has(own.id), 'the relay\'s batch at the full node', 20_000);
    assert.equal(await thinPage.evaluate(() => (window as any).bt.count(1)), 0, 'the thin page stores no tracing block');
    const kinds: { chain: number }[] = await thinPage.evaluate(() => (window as any).bt.received());
    assert.equal(kinds.filter((k) => k.chain === 1).length, 0, 'and receives none');
    assert.ok(await relayPage.evaluate(() => (window as any).bt.count(1)) >= 2, 'the relay page stores the tracing chain');
  } finally {
    await m.close();
  }
});

/**
 * Real-browser test harness: a vite dev server for the pages, Debian's Chromium through
 * playwright-core, and the real signaling server on an ephemeral loopback port.
 * Chromium flags from TOOLCHAIN.md (no mDNS, no background networking).
 */
import { createLogger, createServer, type ViteDevServer } from 'vite';
import { chromium, type Browser } from 'playwright-core';
import { existsSync } from 'node:fs';
import { after } from 'node:test';
import Peer from 'simple-peer';
import wrtc from '@roamhq/wrtc';
import WebSocket from 'ws';
import { SignalingClient, type WebSocketCtor } from '../../src/net/webrtc/signaling-client.ts';
import { WebRtcConnector, type SimplePeerCtor } from '../../src/net/webrtc/connector.ts';
import type { Link } from '../../src/net/link.ts';

/**
 * A test file whose process does not end after its last test waits for the runner's 10-minute
 * timeout and fails without saying why. Sixty seconds after the last test, whatever still holds the
 * process open is printed (the timer itself holds nothing).
 */
after(() => {
  setTimeout(() => {
    const handles = (process as unknown as { _getActiveHandles(): { constructor?: { name?: string }; remoteAddress?: string; remotePort?: number; localPort?: number; pid?: number; spawnfile?: string }[] })._getActiveHandles();
    const what = handles.map((h) => [h.constructor?.name ?? '?', h.spawnfile ?? '', h.pid ?? '', h.remoteAddress ?? '', h.remotePort ?? '', h.localPort ?? ''].filter((x) => x !== '').join(' '));
    process.stderr.write(`harness: this file's process is still open 60 s after its last test; open handles: ${what.join('; ') || 'none (native)'}\n`);
  }, 60_000).unref();
});

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-features=WebRtcHideLocalIpsWithMdns',
];

/**
 * Vite's log, silent except for a dependency pre-bundled while pages are loaded: that reloads the
 * pages and can fail a worker's load (vite.config.ts `optimizeDeps.entries`), so a test that then
 * fails says so in its output.
 */
function quietLogger() {
  const logger = createLogger('info');
  const say = (msg: string) => { if (/optimiz/i.test(msg)) process.stderr.write(`vite: ${msg.replace(/\x1b\[[0-9;]*m/g, '')}\n`); };
  logger.info = say;
  logger.warn = say;
  logger.warnOnce = say;
  logger.error = say;
  return logger;
}

export async function startVite(): Promise<{ url: string; server: ViteDevServer }> {
  const server = await createServer({ customLogger: quietLogger(), server: { port: 0, host: '127.0.0.1', strictPort: false, hmr: false } });
  await server.listen();
  const addr = server.httpServer!.address();
  if (!addr || typeof addr === 'string') throw new Error('vite did not bind a TCP port');
  return { url: `http://127.0.0.1:${addr.port}`, server };
}

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install chromium (.ci/run does), or set CHROMIUM_PATH`);
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/** Poll until `f` returns a truthy value or time runs out. */
export async function until<T>(f: () => Promise<T | undefined | null | false> | T | undefined | null | false, what: string, ms = 15_000, pollMs = 50): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    // one poll is bounded too: a page.evaluate whose promise never settles must fail, not hang the file
    const left = Math.max(1, ms - (Date.now() - t0));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what} (a poll did not answer)`)), left + 1_000);
    });
    const v = await Promise.race([Promise.resolve(f()), late]).finally(() => clearTimeout(timer));
    if (v) return v as T;
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/**
 * A Node peer (@roamhq/wrtc) that joins `room` last, dials every peer the room lists, says
 * "hello from node" on each link, and records what it hears. Stop it with `sig.stop()`.
 */
export function nodeHelloPeer(signalUrl: string, room: string): { sig: SignalingClient; links: Link[]; received: string[] } {
  const sig = new SignalingClient({ url: signalUrl, rooms: [room], WebSocketImpl: WebSocket as unknown as WebSocketCtor });
  const conn = new WebRtcConnector(sig, Peer as unknown as SimplePeerCtor, { wrtc });
  const links: Link[] = [];
  const received: string[] = [];
  sig.onPeers = (_r, peers) => {
    for (const p of peers) conn.connect(room, p).then((l) => {
      links.push(l);
      l.onFrame = (f) => received.push(Buffer.from(f).toString());
      l.send(new TextEncoder().encode('hello from node'));
    });
  };
  sig.start();
  return { sig, links, received };
}

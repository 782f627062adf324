/**
 * Real WebRTC in the second engine: two Firefox pages (firefox-esr over WebDriver BiDi) and a Node
 * peer (@roamhq/wrtc) meet through the real signaling server over WebSocket and exchange frames on
 * real data channels — the same exchange webrtc.test.ts runs with Chromium pages.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startSignalingServer } from '../../signaling/server.ts';
import type { SignalingClient } from '../../src/net/webrtc/signaling-client.ts';
import { startVite, nodeHelloPeer, until } from './harness.ts';
import { openBrowser, type TestPage } from './engines.ts';

test('two Firefox pages and a Node peer exchange frames over real data channels', async () => {
  const signal = await startSignalingServer({ port: 0, host: '127.0.0.1' });
  const vite = await startVite();
  const browser = await openBrowser('firefox');
  let sig: SignalingClient | undefined;
  try {
    const room = 'beeptrace/v1/test-firefox/notification';
    const pages: TestPage[] = [];
    for (const name of ['A', 'B']) {
      const page = await browser.newPage();
      await page.goto(`${vite.url}/test/e2e/pages/webrtc.html?room=${encodeURIComponent(room)}&name=${name}&signal=${encodeURIComponent(signal.url)}`);
      await until(() => page.evaluate(() => (window as any).bt?.connected), `Firefox page ${name} on signaling`);
      pages.push(page);
    }
    // The Node peer joins last, so it initiates to both pages.
    const hello = nodeHelloPeer(signal.url, room);
    sig = hello.sig;
    const { links, received } = hello;
    await until(() => received.length >= 2, 'frames from both Firefox pages at the Node peer');
    assert.deepEqual([...received].sort(), ['hello from A', 'hello from B']);
    for (const [i, page] of pages.entries()) {
      const got: string[] = await until(async () => {
        const r: string[] = await page.evaluate(() => (window as any).bt.received);
        return r.length >= 2 ? r : undefined;
      }, `frames at Firefox page ${'AB'[i]}`);
      const other = i === 0 ? 'B' : 'A';
      assert.deepEqual([...got].sort(), [`hello from ${other}`, 'hello from node'].sort(), 'each page hears the other page and the Node peer');
      assert.deepEqual(page.errors, []);
    }
    assert.equal(links.length, 2);
  } finally {
    sig?.stop();
    await browser.close();
    await vite.server.close();
    await signal.close();
  }
});

/**
 * The service worker's notificationclick (src/app/sw-notify.ts, bundled by src/app/sw.ts): it
 * focuses an open window of the app and shows the status view there, or opens one at the status
 * view. Browsers give tests no way to click a system notification, so this drives the handler's
 * logic with a recording `Clients`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openStatusView, STATUS_PATH, type AppClients, type AppWindow } from '../../src/app/sw-notify.ts';

const ORIGIN = 'https://beeptrace.example';

function fakeClients(urls: string[], opts: { navigateFails?: boolean } = {}) {
  const log: string[] = [];
  const windows: AppWindow[] = urls.map((url) => {
    const w: AppWindow = {
      url,
      focus: async () => { log.push(`focus ${url}`); return w; },
      navigate: async (to) => {
        if (opts.navigateFails) throw new TypeError('not controlled');
        log.push(`navigate ${url} -> ${to}`);
        return w;
      },
    };
    return w;
  });
  const clients: AppClients = {
    matchAll: async (o) => { log.push(`matchAll ${o.type} ${o.includeUncontrolled}`); return windows; },
    openWindow: async (url) => { log.push(`open ${url}`); return null; },
  };
  return { clients, log };
}

test('a click focuses the open app window (not another origin\'s) and shows the status view in it', async () => {
  const { clients, log } = fakeClients(['https://other.example/', `${ORIGIN}/#/trail`]);
  assert.equal(await openStatusView(clients, ORIGIN, { url: STATUS_PATH }), 'focused');
  assert.deepEqual(log, [
    'matchAll window true',
    `focus ${ORIGIN}/#/trail`,
    `navigate ${ORIGIN}/#/trail -> ${ORIGIN}/#/status`,
  ]);
});

test('with no window of the app open, a click opens one at the status view', async () => {
  const { clients, log } = fakeClients(['https://other.example/']);
  assert.equal(await openStatusView(clients, ORIGIN, { url: STATUS_PATH }), 'opened');
  assert.deepEqual(log, ['matchAll window true', `open ${ORIGIN}/#/status`]);
});

test('a notification without data, or with a URL of another origin, leads to the status view', async () => {
  for (const data of [null, undefined, {}, { url: 42 }, { url: 'https://evil.example/#/status' }, { url: '//evil.example/x' }]) {
    const { clients, log } = fakeClients([]);
    await openStatusView(clients, ORIGIN, data);
    assert.deepEqual(log.at(-1), `open ${ORIGIN}/#/status`, JSON.stringify(data));
  }
});

test('a window the service worker cannot navigate (not controlled yet) is still focused, without an error', async () => {
  const { clients, log } = fakeClients([`${ORIGIN}/`], { navigateFails: true });
  assert.equal(await openStatusView(clients, ORIGIN, { url: STATUS_PATH }), 'focused');
  assert.deepEqual(log, ['matchAll window true', `focus ${ORIGIN}/`]);
});

/**
 * The service worker: precaches the app shell (the build writes the list into
 * `self.__WB_MANIFEST`: every emitted JS, CSS, HTML, worker and public file — vite.config.ts), so
 * the app opens offline after one visit; answers navigations with the cached index.html; fetches
 * /config.json network-first with the last good copy as the offline fallback; and opens or
 * focuses the app at #/status when the user clicks an exposure notification.
 *
 * Updates wait: a new version is installed but takes over only when the page sends
 * `{ type: 'SKIP_WAITING' }` (workbox-window's `messageSkipWaiting`, on the user's "reload").
 *
 * @example
 * // registered by src/app/page/update.ts:
 * new Workbox('/sw.js').register();
 * @module
 */
/// <reference lib="webworker" />
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';
import { NetworkFirst } from 'workbox-strategies';
import { openStatusView } from './sw-notify.ts';

declare const self: ServiceWorkerGlobalScope & {
  __WB_MANIFEST: { url: string; revision: string | null }[];
};

precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();

registerRoute(new NavigationRoute(createHandlerBoundToURL('/index.html')));

/** The configuration the page reads at boot (region, signaling URL, CA root key): fresh when online, cached when not. */
const CONFIG_CACHE = 'beeptrace-config';
registerRoute(
  ({ url }) => url.origin === self.location.origin && url.pathname === '/config.json',
  new NetworkFirst({ cacheName: CONFIG_CACHE }),
);
// The first visit read /config.json before this worker controlled the page: cache it at install,
// so the app also starts offline after exactly one visit. A failure here is not fatal.
self.addEventListener('install', (e) => {
  e.waitUntil(caches.open(CONFIG_CACHE).then((c) => c.add('/config.json')).catch(() => undefined));
});

// The first install takes control of open pages at once (so the first visit is enough to work
// offline); later versions wait for the user (see the module comment).
self.addEventListener('activate', (e) => e.waitUntil(self.clients.claim()));

self.addEventListener('message', (e) => {
  if ((e.data as { type?: string } | null)?.type === 'SKIP_WAITING') void self.skipWaiting();
});

self.addEventListener('notificationclick', (e) => {
  e.notification.close();
  e.waitUntil(openStatusView(self.clients, self.location.origin, e.notification.data));
});

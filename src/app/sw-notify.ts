/**
 * What the service worker does when the user clicks an exposure notification: focus a window of
 * the app that is already open and show the status view in it, or open one at the status view.
 * Kept apart from src/app/sw.ts (which bundles it) so it can be tested with any `Clients`.
 *
 * @example
 * self.addEventListener('notificationclick', (e) => {
 *   e.notification.close();
 *   e.waitUntil(openStatusView(self.clients, self.location.origin, e.notification.data));
 * });
 * @module
 */

/** Where a notification without its own `data.url` leads. */
export const STATUS_PATH = '/#/status';

/** The part of a window client this needs (the DOM's WindowClient). */
export interface AppWindow {
  readonly url: string;
  focus(): Promise<AppWindow>;
  navigate(url: string): Promise<AppWindow | null>;
}

/** The part of the service worker's `clients` this needs. */
export interface AppClients {
  matchAll(o: { type: 'window'; includeUncontrolled: boolean }): Promise<readonly AppWindow[]>;
  openWindow(url: string): Promise<AppWindow | null>;
}

/**
 * Focus an open window of the app at `origin` and navigate it to the notification's page (the
 * status view), or open a new window there. A path from the notification's data that leaves the
 * origin is ignored (the status view is used).
 * @example await openStatusView(self.clients, 'https://beeptrace.example', { url: '/#/status' }) // 'focused' | 'opened'
 */
export async function openStatusView(clients: AppClients, origin: string, data: unknown): Promise<'focused' | 'opened'> {
  const asked = (data as { url?: unknown } | null)?.url;
  let target = new URL(STATUS_PATH, origin).href;
  if (typeof asked === 'string') {
    const u = new URL(asked, origin);
    if (u.origin === origin) target = u.href;
  }
  const windows = await clients.matchAll({ type: 'window', includeUncontrolled: true });
  const open = windows.find((w) => new URL(w.url).origin === origin);
  if (open) {
    const focused = await open.focus();
    // A window the service worker does not control cannot be navigated; it is focused anyway.
    await focused.navigate(target).catch(() => null);
    return 'focused';
  }
  await clients.openWindow(target);
  return 'opened';
}

/**
 * The app's hash routes and the view of each: the route → view table the shell renders from
 * (src/app/ui/app.ts). No lit here: the page's entry (src/app/main.ts) imports it to start loading
 * the first view's chunk while the shell's own chunk loads, instead of after it.
 *
 * A new route: add it to `Route`, a line in `VIEWS`, and to the shell's NAV if the navigation lists it.
 * @example
 * void loadView(routeOf(location.hash));
 * @module
 */

/** The hash routes of the app. */
export type Route = 'status' | 'trail' | 'data' | 'network' | 'settings' | 'welcome' | 'positive' | 'report' | 'clinic' | 'transparency' | 'wearable' | 'care';

/** A route's view: the custom element that shows it and the module that defines it. */
export interface RouteView {
  /** The element's tag; it receives `state`, `client`, `services` and `rev` (src/app/ui/view-base.ts). */
  tag: string;
  /** Defines the element (a dynamic import: its own chunk). Use `loadView`, which loads it once. */
  load: () => Promise<unknown>;
}

/**
 * The route → view table.
 * @example await VIEWS.trail.load(); customElements.get(VIEWS.trail.tag) !== undefined
 */
export const VIEWS: Readonly<Record<Route, RouteView>> = {
  status: { tag: 'bt-status-view', load: () => import('./status-view.ts') },
  trail: { tag: 'bt-trail-view', load: () => import('./trail-view.ts') },
  data: { tag: 'bt-data-view', load: () => import('./data-view.ts') },
  network: { tag: 'bt-network-view', load: () => import('./network-view.ts') },
  settings: { tag: 'bt-settings-view', load: () => import('./settings-view.ts') },
  /** The first run; with `review`, its explanation again (from Settings). */
  welcome: { tag: 'bt-first-run', load: () => import('./first-run.ts') },
  /** "I tested positive", "Report symptoms", diagnostician mode (issue 11): with the QR parts. */
  positive: { tag: 'bt-positive-view', load: () => import('./positive-view.ts') },
  report: { tag: 'bt-report-view', load: () => import('./report-view.ts') },
  clinic: { tag: 'bt-clinic-view', load: () => import('./clinic-view.ts') },
  /** Family and care (issue 12): pairing over the QR parts, dependents, guardians. */
  care: { tag: 'bt-care-view', load: () => import('./care-view.ts') },
  transparency: { tag: 'bt-transparency-view', load: () => import('./transparency-view.ts') },
  /** A dedicated device's page (shown alone, without header or navigation). */
  wearable: { tag: 'bt-wearable-view', load: () => import('./wearable-view.ts') },
};

/**
 * The route of a location hash ("#/trail" → 'trail'; a query after "?" is the view's own, as in
 * "#/positive?for=ID"); unknown → 'status'. @example routeOf('#/data') === 'data'
 */
export function routeOf(hash: string): Route {
  const r = hash.replace(/^#\/?/, '').split('?')[0];
  return Object.hasOwn(VIEWS, r) ? r as Route : 'status';
}

/** The view modules asked for (each once per page, unless it failed). */
const loading = new Map<Route, Promise<unknown>>();

/**
 * Load a route's view module once; a failure (offline before the service worker cached it) is
 * forgotten, so a later visit tries again.
 * @example await loadView('trail');
 */
export function loadView(route: Route): Promise<unknown> {
  let p = loading.get(route);
  if (!p) {
    p = VIEWS[route].load().catch((e: unknown) => {
      loading.delete(route);
      throw e;
    });
    loading.set(route, p);
  }
  return p;
}

/// <reference types="vite/client" />
/**
 * Page entry (boot). In order (docs/APP-SHELL.md, "Loading order"):
 * 1. starts loading the shell (src/app/ui, which defines `<beeptrace-app>`; a dynamic import, so
 *    until it runs the root's light DOM, "Starting…", is the first paint), the browser language's
 *    dictionary when it is not English, and reads /config.json (an error screen if it is missing
 *    or bad), all at once;
 * 2. joins the tabs: mirrors the tab that runs the node and queues for the Web Lock; when this
 *    tab gets it, it starts the engine Worker (src/app/worker.ts; on a first visit once the first
 *    run has painted, which needs no engine; intents wait for it) and relays it to the others;
 * 3. creates the page services (geolocation, notifications, wake lock, conditions, update, tabs);
 * 4. hands `client`, `services` and `config` to the root `<beeptrace-app>` as properties; the shell
 *    loads the view of the route (or the first run) while the engine starts;
 * 5. once the first view has painted, in idle periods: the network bridge (simple-peer; the tab
 *    that runs the node only, once the first run is done), then the service worker's registration
 *    (production builds) with its "new version" prompt.
 *
 * @example
 * document.querySelector('beeptrace-app').client.state.exposure.status
 * @module
 */
import type { AppConfig, EngineClient } from './protocol.ts';
import type { PageServices } from './page/services.ts';
import { loadConfig } from './page/config.ts';
import { showBootError } from './page/boot-error.ts';
import { startTabs, type Tabs } from './page/tabs.ts';
import { startWorkerEngine } from './page/engine.ts';
import { createPageServices } from './page/create-services.ts';
import { PageUpdate } from './page/update.ts';
import { afterPaint, idle } from './page/idle.ts';
import { APP_DB } from './app-db.ts';
import { loadView, routeOf } from './ui/routes.ts';
import { importDictionary, pickLang } from './i18n/langs.ts';

/** The root element's properties the boot sets (the views read them). */
export interface AppRoot extends HTMLElement {
  client?: EngineClient;
  firstVisit?: boolean;
  services?: PageServices;
  config?: AppConfig;
}

/** What the boot made; also on `window.beeptrace` for tests and debugging. */
export interface Booted {
  config: AppConfig;
  tabs: Tabs;
  services: PageServices;
  update: PageUpdate;
}

/**
 * Whether this device has no BeepTrace database yet (a first visit): then the shell can show the
 * first run's explanation while the engine starts. False when the browser cannot say.
 */
async function isFirstVisit(): Promise<boolean> {
  try {
    const dbs = await indexedDB.databases();
    return !dbs.some((d) => d.name === APP_DB);
  } catch {
    return false;
  }
}
const firstVisit = isFirstVisit();

let firstViewShown!: () => void;
/** Resolves once the first view (or the error screen) has painted and the page is idle. */
const firstView = new Promise<void>((done) => { firstViewShown = done; }).then(() => afterPaint()).then(() => idle());
// A tab whose engine never answers (a stuck leader) still gets its network and service worker.
setTimeout(() => firstViewShown(), 10_000);
// The shell says when it has shown its first view (the engine's first state, or on a first visit
// the first run), or the reason it cannot; listened to from the start, since on a first visit that
// can come before the configuration is read.
const appRoot = document.querySelector<AppRoot>('beeptrace-app');
if (appRoot) appRoot.addEventListener('first-view', () => firstViewShown(), { once: true });
else firstViewShown();
let onboardedSeen!: () => void;
/**
 * Resolves once the engine says the first run is done. Joining the mesh shows this device's IP
 * address to its peers and the signaling server: it waits until the person has read what the app
 * does and chosen to use it (and a first visit's load stays free of the WebRTC stack's start).
 */
const onboarded = new Promise<void>((done) => { onboardedSeen = done; });
let netStarted!: () => void;
/** Resolves once this tab's network bridge serves the worker (never in a tab that mirrors another). */
const netStart = new Promise<void>((done) => { netStarted = done; });

/**
 * The network bridge (src/app/page/net-bridge.ts) gets the page end of the worker's network port in
 * the tab that runs the node: the page holds the WebRTC links, the worker's node sees MessagePorts
 * (which queue its messages until the bridge listens).
 */
function attachNet(port: MessagePort, config: AppConfig): void {
  // simple-peer (one large module) evaluates in its own task once the first view is up and the
  // first run is done; the bridge starts (signaling, the first RTCPeerConnection) in a later idle period.
  void Promise.all([firstView, onboarded])
    .then(() => import('./page/net-bridge.ts'))
    .then(async ({ serveNetBridge }) => {
      await idle();
      serveNetBridge(port, { signalUrl: config.signalUrl, region: config.region, iceServers: config.iceServers });
      netStarted();
    })
    .catch((e: unknown) => console.warn('BeepTrace: the network bridge did not load:', e));
}

// The shell may show the first run as soon as it knows this is a first visit (no configuration needed).
void firstVisit.then((v) => { if (appRoot) appRoot.firstVisit = v; });

async function boot(): Promise<Booted | null> {
  const update = new PageUpdate();
  let config: AppConfig;
  try {
    config = await loadConfig();
  } catch (e) {
    showBootError('BeepTrace cannot start', (e as Error).message);
    firstViewShown();
    return null;
  }

  // On a first visit the first run's text shows without the engine: the engine's Worker (the
  // largest script) loads after it has painted, so it does not compete with the view's chunks.
  // Intents sent meanwhile wait for it (src/app/page/tabs.ts, laterWire).
  const tabs = startTabs({
    startEngine: async () => {
      if (await firstVisit) await firstView;
      return startWorkerEngine(config, attachNet);
    },
  });
  const offOnboarded = tabs.client.subscribe((s) => {
    if (!s.onboarded) return;
    onboardedSeen();
    queueMicrotask(() => offOnboarded());
  });
  const services = createPageServices(tabs.client, { tabs, update });
  const root = document.querySelector<AppRoot>('beeptrace-app');
  if (root) {
    root.config = config;
    root.client = tabs.client;
    root.services = services;
  }
  const booted: Booted = { config, tabs, services, update };
  (globalThis as { beeptrace?: Booted }).beeptrace = booted;
  // The service worker's install fetches and caches the whole app shell again: after the first view
  // and the network's start (or 3 s in a tab that runs no node), when idle, so it does not compete.
  if (import.meta.env.PROD) {
    void firstView
      .then(() => Promise.race([netStart, new Promise((done) => setTimeout(done, 3000))]))
      .then(() => idle())
      .then(() => update.register('/sw.js'))
      .catch((e: unknown) => console.warn('BeepTrace: service worker not registered:', e));
  }
  return booted;
}

// While the configuration is read (the light-DOM placeholder shows until then): the shell, and at
// the same time the view of the route and the first run (one of the two shows first), so their
// chunks do not wait for the shell's.
void import('./ui/index.ts');
// The browser language's dictionary, if not English (bundled with the shell), loads alongside it.
const browserLang = pickLang(navigator.languages ?? [navigator.language]);
if (browserLang !== 'en') importDictionary(browserLang).catch(() => {}); // the shell says why, if it shows
// A first visit shows the first run only, so the route's view waits until it is shown.
void firstVisit.then((first) => {
  for (const route of new Set(first ? ['welcome'] as const : [routeOf(location.hash), 'welcome'] as const)) loadView(route).catch(() => {}); // the shell says why, if it shows
});
void boot();

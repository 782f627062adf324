/// <reference types="vite/client" />
/**
 * Page entry (boot). In order:
 * 1. registers the service worker (production builds) and listens for a waiting update;
 * 2. reads /config.json (an error screen if it is missing or bad);
 * 3. joins the tabs: mirrors the tab that runs the node and queues for the Web Lock; when this
 *    tab gets it, it starts the engine Worker (src/app/worker.ts) and relays it to the others;
 * 4. creates the page services (geolocation, notifications, wake lock, conditions, update, tabs);
 * 5. hands `client`, `services` and `config` to the root `<beeptrace-app>` as properties.
 *
 * The views (src/app/ui, which define `<beeptrace-app>`) and the network bridge are loaded with
 * dynamic imports after first paint, so the first load stays small; until then the root's light
 * DOM ("Starting…") is what shows.
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

/** The root element's properties the boot sets (the views read them). */
export interface AppRoot extends HTMLElement {
  client?: EngineClient;
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
 * The network bridge (src/app/page/net-bridge.ts) gets the page end of the worker's network port in
 * the tab that runs the node: the page holds the WebRTC links, the worker's node sees MessagePorts.
 */
function attachNet(port: MessagePort, config: AppConfig): void {
  // simple-peer and the transport load after first paint, in the tab that runs the node only.
  void import('./page/net-bridge.ts').then(({ serveNetBridge }) => serveNetBridge(port, { signalUrl: config.signalUrl, region: config.region, iceServers: config.iceServers }));
}

async function boot(): Promise<Booted | null> {
  const update = new PageUpdate();
  if (import.meta.env.PROD) update.register('/sw.js');

  let config: AppConfig;
  try {
    config = await loadConfig();
  } catch (e) {
    showBootError('BeepTrace cannot start', (e as Error).message);
    return null;
  }

  const tabs = startTabs({ startEngine: () => startWorkerEngine(config, attachNet) });
  const services = createPageServices(tabs.client, { tabs, update });
  const root = document.querySelector<AppRoot>('beeptrace-app');
  if (root) {
    root.config = config;
    root.client = tabs.client;
    root.services = services;
  }
  const booted: Booted = { config, tabs, services, update };
  (globalThis as { beeptrace?: Booted }).beeptrace = booted;
  return booted;
}

// The views load after first paint (their light-DOM placeholder shows until then).
void boot().then(() => import('./ui/index.ts'));

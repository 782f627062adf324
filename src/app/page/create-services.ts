/**
 * `createPageServices`: the page's side of the app (src/app/page/services.ts) wired to the
 * engine client. Geolocation fixes and battery/network conditions go to the engine as intents;
 * a 'new-exposure' event becomes one system notification (shown by the tab that runs the node, so
 * several open tabs do not notify twice); the wake lock is released when recording stops.
 *
 * Recording follows the engine's `recording.on`: when it turns off (here or in another tab), the
 * position watch stops; when it is on after a reload (or when this tab takes over from a closed
 * one) and location permission is already granted, the tab that runs the node resumes the watch
 * without asking (the open stay survives a reload). Starting the first time goes through
 * `geo.start()`, which the views call on "Start recording", in whichever tab the user is.
 *
 * @example
 * const services = createPageServices(tabs.client, { tabs, update });
 * services.subscribe(() => view.requestUpdate());
 * @module
 */
import type { EngineClient } from '../protocol.ts';
import type { PageServices, TabService, UpdateService } from './services.ts';
import { PageGeo } from './geo.ts';
import { PageConditions, type Conditions } from './conditions.ts';
import { PageWakeLock } from './wake-lock.ts';
import { PageNotify } from './notify.ts';

export interface PageServiceDeps {
  tabs: TabService & { subscribe?(fn: () => void): () => void };
  update: UpdateService & { subscribe?(fn: () => void): () => void };
}

/** Whether the browser already granted location (so resuming after a reload asks nothing). */
async function locationGranted(): Promise<boolean> {
  try {
    return (await navigator.permissions.query({ name: 'geolocation' })).state === 'granted';
  } catch {
    return false;
  }
}

/** See the module comment. */
export function createPageServices(client: EngineClient, deps: PageServiceDeps): PageServices {
  const subs = new Set<() => void>();
  const changed = () => { for (const fn of [...subs]) fn(); };
  const quiet = (p: Promise<unknown>) => { p.catch(() => {}); };

  const geo = new PageGeo({ send: (fix) => quiet(client.send({ type: 'fix', fix })), onChange: changed });
  // Conditions go to the engine from the tab that runs it (all tabs see the same device), and
  // again whenever this tab becomes that tab (a new engine after a takeover).
  const report = (c: Conditions) => { if (deps.tabs.leader) quiet(client.send({ type: 'conditions', ...c })); };
  const conditions = new PageConditions(report, changed);
  const wakeLock = new PageWakeLock(changed);
  const notify = new PageNotify(changed);
  void conditions.start();
  /** Resumes the watch where recording is on and location already granted: in the tab that runs the node. */
  const resume = () => {
    if (!client.state.recording.on || geo.state !== 'idle' || !deps.tabs.leader) return;
    void locationGranted().then((ok) => (ok && geo.state === 'idle' ? geo.start() : null));
  };
  deps.tabs.subscribe?.(() => {
    report({ charging: conditions.charging, wifi: conditions.wifi, online: conditions.online });
    resume();
    changed();
  });
  deps.update.subscribe?.(changed);

  // Follow the engine's recording switch on its transitions (it may change in another tab).
  let wasOn: boolean | null = null;
  client.subscribe((s) => {
    if (!s.ready) return;
    const on = s.recording.on;
    if (wasOn === true && !on) {
      geo.stop();
      if (wakeLock.active) void wakeLock.set(false);
    } else if (on && wasOn !== true) {
      resume();
    }
    wasOn = on;
  });
  client.onEvent((e) => {
    if (e.type === 'new-exposure' && deps.tabs.leader) void notify.showExposure(client.state.settings.lang).catch(() => {});
    if (e.type === 'dependent-at-risk' && deps.tabs.leader) void notify.showDependent(client.state.settings.lang, e.id, e.label).catch(() => {});
  });

  return {
    geo,
    notify,
    wakeLock,
    conditions,
    update: deps.update,
    tabs: deps.tabs,
    subscribe(fn) {
      subs.add(fn);
      return () => subs.delete(fn);
    },
  };
}

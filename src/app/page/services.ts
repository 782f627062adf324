/**
 * What the page offers the views besides the engine: the browser capabilities a Worker does not
 * have (Geolocation, notifications, the Screen Wake Lock, battery and network hints) and the
 * app's own update and tab state. Implemented in src/app/page/*; views only read these and call
 * their methods, so each can be replaced in a test page.
 * @example if (services.geo.state === 'denied') showHowToAllow();
 * @module
 */

/** Where location recording stands on the page side. */
export type GeoState = 'idle' | 'prompting' | 'watching' | 'denied' | 'unavailable' | 'unsupported';

export interface GeoService {
  readonly state: GeoState;
  /** Ask for permission (in context, after the explanation) and start watchPosition; fixes go to the engine as 'fix' intents. */
  start(): Promise<GeoState>;
  stop(): void;
}

export interface NotifyService {
  /** 'default' until asked; asked in context (when the user turns alerts on), never on first load. */
  readonly permission: NotificationPermission | 'unsupported';
  request(): Promise<NotificationPermission | 'unsupported'>;
}

export interface WakeLockService {
  readonly supported: boolean;
  readonly active: boolean;
  set(on: boolean): Promise<boolean>;
}

export interface ConditionsService {
  /** null where the browser does not say (Firefox, Safari have no Battery Status / Network Information). */
  readonly charging: boolean | null;
  readonly wifi: boolean | null;
  readonly online: boolean;
}

export interface UpdateService {
  /** A new version is installed and waiting. */
  readonly waiting: boolean;
  /** Activate it and reload (only on the user's click). */
  reload(): void;
}

export interface TabService {
  /** This tab runs the node; the others mirror it. */
  readonly leader: boolean;
  /** Another tab leads and this one mirrors it (false while this tab waits for the lock alone). */
  readonly mirroring: boolean;
}

export interface PageServices {
  geo: GeoService;
  notify: NotifyService;
  wakeLock: WakeLockService;
  conditions: ConditionsService;
  update: UpdateService;
  tabs: TabService;
  /** Called by the services when any of their states change, so views re-render. */
  subscribe(fn: () => void): () => void;
}

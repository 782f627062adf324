/**
 * Geolocation on the page (workers have none): `watchPosition` with high accuracy, each position
 * sent to the engine as a 'fix' intent stamped with `Date.now()` (the app's one clock, which tests
 * move with Playwright's `page.clock`). Permission is asked only by `start()`, which the views call
 * in context (after the explanation, on "Start recording").
 *
 * Chromium fires the watch's error callback once with code 2 (POSITION_UNAVAILABLE) on each
 * position change before delivering the position (TOOLCHAIN.md). So a code-2 (or code-3) error
 * does not flip the state: only if no position arrives within `graceMs` after it does the state
 * become 'unavailable' (and a later position makes it 'watching' again). Code 1 → 'denied'.
 *
 * @example
 * const geo = new PageGeo({ send: (fix) => client.send({ type: 'fix', fix }) });
 * if (await geo.start() === 'denied') showHowToAllow();
 * @module
 */
import type { Fix } from '../../core/types.ts';
import type { GeoService, GeoState } from './services.ts';

export interface GeoOptions {
  /** Delivers one fix (to the engine). */
  send(fix: Fix): void;
  /** Defaults to navigator.geolocation; null where the browser has none. */
  geolocation?: Geolocation | null;
  /** Called whenever `state` changes. */
  onChange?(state: GeoState): void;
  /** How long after an error with no position the state becomes 'unavailable' (ms). */
  graceMs?: number;
}

/** Default grace after a position error before saying 'unavailable'. */
export const GEO_GRACE_MS = 30_000;

/** See the module comment. @example new PageGeo({ send }).start() */
export class PageGeo implements GeoService {
  #state: GeoState;
  #geo: Geolocation | null;
  #watch: number | null = null;
  #lastPositionAt = -Infinity;
  #lastErrorAt = -Infinity;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #settled: ((s: GeoState) => void)[] = [];

  constructor(private readonly opts: GeoOptions) {
    this.#geo = opts.geolocation === undefined ? (globalThis.navigator?.geolocation ?? null) : opts.geolocation;
    this.#state = this.#geo ? 'idle' : 'unsupported';
  }

  get state(): GeoState {
    return this.#state;
  }

  /** Starts watching (the browser asks for permission the first time); resolves once the outcome is known. */
  start(): Promise<GeoState> {
    const geo = this.#geo;
    if (!geo) return Promise.resolve('unsupported');
    if (this.#watch !== null && this.#state !== 'prompting') return Promise.resolve(this.#state);
    const settled = new Promise<GeoState>((resolve) => this.#settled.push(resolve));
    if (this.#watch === null) {
      this.#set('prompting');
      this.#watch = geo.watchPosition(
        (p) => this.#position(p),
        (e) => this.#error(e),
        { enableHighAccuracy: true, maximumAge: 0 },
      );
    }
    return settled;
  }

  stop(): void {
    if (this.#watch !== null) this.#geo?.clearWatch(this.#watch);
    this.#watch = null;
    this.#clearTimer();
    if (this.#state !== 'denied' && this.#state !== 'unsupported') this.#set('idle');
  }

  #position(p: GeolocationPosition): void {
    if (this.#watch === null) return;
    const t = Date.now();
    this.#lastPositionAt = t;
    this.#clearTimer();
    this.opts.send({ t, lat: p.coords.latitude, lon: p.coords.longitude, acc: p.coords.accuracy });
    this.#set('watching');
  }

  #error(e: GeolocationPositionError): void {
    if (this.#watch === null) return;
    if (e.code === 1) {
      this.#geo?.clearWatch(this.#watch);
      this.#watch = null;
      this.#clearTimer();
      this.#set('denied');
      return;
    }
    // Code 2 (also fired spuriously before each new position) or 3: wait for a position.
    this.#lastErrorAt = Date.now();
    if (this.#timer === null) this.#arm(this.opts.graceMs ?? GEO_GRACE_MS);
  }

  #arm(ms: number): void {
    this.#timer = setTimeout(() => {
      this.#timer = null;
      if (this.#watch === null || this.#lastPositionAt >= this.#lastErrorAt) return;
      const left = this.#lastErrorAt + (this.opts.graceMs ?? GEO_GRACE_MS) - Date.now();
      if (left > 0) this.#arm(left);
      else this.#set('unavailable');
    }, ms);
  }

  #clearTimer(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #set(s: GeoState): void {
    const changed = s !== this.#state;
    this.#state = s;
    if (s !== 'prompting') for (const r of this.#settled.splice(0)) r(s);
    if (changed) this.opts.onChange?.(s);
  }
}

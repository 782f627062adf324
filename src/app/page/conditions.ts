/**
 * What the page can see of the device's conditions for the "when charging and on Wi-Fi" upload
 * policy: Battery Status (`navigator.getBattery`), Network Information (`navigator.connection.type`)
 * and online/offline. Each is null where the browser does not say (Firefox and Safari have neither
 * API; desktop Chromium has no connection type). Every change goes to the engine as a 'conditions'
 * intent, and once at start.
 *
 * @example
 * const c = new PageConditions((x) => client.send({ type: 'conditions', ...x }));
 * await c.start();
 * @module
 */
import type { ConditionsService } from './services.ts';

/** The conditions as the engine gets them. */
export interface Conditions { charging: boolean | null; wifi: boolean | null; online: boolean }

interface BatteryLike extends EventTarget { charging: boolean }
interface ConnectionLike extends EventTarget { type?: string }

/** Maps a Network Information `type` to "unmetered" (Wi-Fi or wired), or null when unknown. @example wifiFromType('wifi') === true */
export function wifiFromType(type: string | undefined): boolean | null {
  if (type === 'wifi' || type === 'ethernet') return true;
  if (type === 'cellular' || type === 'bluetooth' || type === 'wimax') return false;
  return null; // 'none', 'other', 'unknown' or no API
}

/** See the module comment. */
export class PageConditions implements ConditionsService {
  charging: boolean | null = null;
  wifi: boolean | null = null;
  online: boolean = globalThis.navigator?.onLine ?? true;

  constructor(private readonly report: (c: Conditions) => void, private readonly onChange?: () => void) {}

  /** Reads the APIs, listens for changes, and reports the first reading. */
  async start(): Promise<void> {
    const nav = globalThis.navigator as Navigator & { getBattery?: () => Promise<BatteryLike>; connection?: ConnectionLike };
    const conn = nav?.connection;
    if (conn) {
      this.wifi = wifiFromType(conn.type);
      conn.addEventListener('change', () => this.#update({ wifi: wifiFromType(conn.type) }));
    }
    addEventListener('online', () => this.#update({ online: true }));
    addEventListener('offline', () => this.#update({ online: false }));
    if (typeof nav?.getBattery === 'function') {
      try {
        const battery = await nav.getBattery();
        this.charging = battery.charging;
        battery.addEventListener('chargingchange', () => this.#update({ charging: battery.charging }));
      } catch {
        this.charging = null; // blocked by a permissions policy
      }
    }
    this.#emit();
  }

  #update(c: Partial<Conditions>): void {
    Object.assign(this, c);
    this.#emit();
  }

  #emit(): void {
    this.report({ charging: this.charging, wifi: this.wifi, online: this.online });
    this.onChange?.();
  }
}

/**
 * The Screen Wake Lock, offered while recording (a browser records only while the page is open and
 * the screen on). The browser releases it whenever the page is hidden; it is asked for again when
 * the page is visible while the user still wants it.
 *
 * @example
 * const wake = new PageWakeLock(() => rerender());
 * await wake.set(true); // false where unsupported or refused (battery saver)
 * @module
 */
import type { WakeLockService } from './services.ts';

/** See the module comment. */
export class PageWakeLock implements WakeLockService {
  #wanted = false;
  #sentinel: WakeLockSentinel | null = null;
  readonly supported: boolean = !!globalThis.navigator?.wakeLock;

  constructor(private readonly onChange?: () => void) {
    if (this.supported) {
      document.addEventListener('visibilitychange', () => {
        if (document.visibilityState === 'visible' && this.#wanted && !this.#sentinel) void this.#acquire();
      });
    }
  }

  get active(): boolean {
    return this.#sentinel !== null;
  }

  /** Wants the lock on or off; resolves whether it is held now. */
  async set(on: boolean): Promise<boolean> {
    this.#wanted = on;
    if (!on) {
      const s = this.#sentinel;
      this.#sentinel = null;
      await s?.release();
      this.onChange?.();
      return false;
    }
    if (!this.supported) return false;
    return this.#sentinel ? true : this.#acquire();
  }

  async #acquire(): Promise<boolean> {
    try {
      const s = await navigator.wakeLock.request('screen');
      this.#sentinel = s;
      s.addEventListener('release', () => {
        if (this.#sentinel === s) this.#sentinel = null;
        this.onChange?.();
      });
      this.onChange?.();
      return true;
    } catch {
      return false; // hidden page, battery saver or policy: the views say it is not held
    }
  }
}

/**
 * The service worker's registration and the "New version — reload" prompt (workbox-window):
 * a newly installed service worker waits; `waiting` becomes true and the views show the prompt;
 * only the user's click calls `reload()`, which tells the waiting worker to take over
 * (`messageSkipWaiting`) and reloads once it controls the page. Never reloads on its own.
 *
 * @example
 * const update = new PageUpdate();
 * update.subscribe(() => rerender());
 * await update.register('/sw.js');
 * if (update.waiting) showPrompt(() => update.reload());
 * @module
 */
import type { Workbox } from 'workbox-window';
import type { UpdateService } from './services.ts';

/** See the module comment. */
export class PageUpdate implements UpdateService {
  waiting = false;
  #wb: Workbox | null = null;
  #reloading = false;
  #subs = new Set<() => void>();

  /** Called when `waiting` changes. */
  subscribe(fn: () => void): () => void {
    this.#subs.add(fn);
    return () => this.#subs.delete(fn);
  }

  /**
   * Registers the service worker (where the browser has service workers), as a classic script:
   * the build makes it one self-contained file (vite.config.ts), which every engine runs.
   * While the app stays open it also looks for a new version every `checkEveryMs`.
   */
  async register(url: string, checkEveryMs = 60 * 60_000): Promise<void> {
    if (!('serviceWorker' in navigator)) return;
    // workbox-window loads with the registration (after the first view: src/app/main.ts), not with the entry.
    const { Workbox } = await import('workbox-window');
    const wb = new Workbox(url);
    this.#wb = wb;
    wb.addEventListener('waiting', () => {
      this.waiting = true;
      for (const fn of [...this.#subs]) fn();
    });
    wb.addEventListener('controlling', () => {
      // The first install also takes control (clients.claim); reload only when the user asked.
      if (this.#reloading) location.reload();
    });
    void wb.register().catch((e: unknown) => console.warn('BeepTrace: service worker not registered:', e));
    setInterval(() => void this.check().catch(() => {}), checkEveryMs);
  }

  /** Asks the service worker to look for a new version now (the browser also checks on navigation). */
  async check(): Promise<void> {
    await this.#wb?.update();
  }

  reload(): void {
    if (!this.#wb || !this.waiting) {
      location.reload();
      return;
    }
    this.#reloading = true;
    this.#wb.messageSkipWaiting();
  }
}

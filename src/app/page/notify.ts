/**
 * System notifications for a new exposure, shown through the service worker
 * (`registration.showNotification`, which works in an installed app window and on Android, where
 * `new Notification()` does not). Permission is asked only by `request()`, which the views call
 * in context (when the user turns alerts on), never on first load. The text never says the risk:
 * a lock screen shows it to anyone. The tag makes a newer notification replace an older one.
 * Clicking it opens or focuses the app at #/status (src/app/sw.ts).
 *
 * @example
 * const notify = new PageNotify();
 * await notify.request();              // in a click handler
 * await notify.showExposure('en');     // on the engine's 'new-exposure' event, in the leading tab
 * @module
 */
import type { Lang } from '../protocol.ts';
import type { NotifyService } from './services.ts';

/** The notification's tag: a new exposure replaces the previous notification. */
export const EXPOSURE_TAG = 'beeptrace-exposure';

/** The generic text, per language: it never names the risk. */
export const EXPOSURE_TEXT: Record<Lang, { title: string; body: string }> = {
  en: { title: 'BeepTrace', body: 'BeepTrace has news for you — open the app.' },
  de: { title: 'BeepTrace', body: 'BeepTrace hat Neuigkeiten für dich – öffne die App.' },
  ar: { title: 'BeepTrace', body: 'لدى BeepTrace أخبار لك — افتح التطبيق.' },
};

/** A dependent's news, per language: it names the dependent by the guardian's own label, never the risk. */
export const DEPENDENT_TEXT: Record<Lang, (label: string) => { title: string; body: string }> = {
  en: (label) => ({ title: 'BeepTrace', body: `BeepTrace has news about ${label} — open the app.` }),
  de: (label) => ({ title: 'BeepTrace', body: `BeepTrace hat Neuigkeiten zu ${label} – öffne die App.` }),
  ar: (label) => ({ title: 'BeepTrace', body: `لدى BeepTrace أخبار عن ${label} — افتح التطبيق.` }),
};

/** See the module comment. */
export class PageNotify implements NotifyService {
  constructor(private readonly onChange?: () => void) {}

  get permission(): NotificationPermission | 'unsupported' {
    return typeof Notification === 'undefined' || !('serviceWorker' in navigator) ? 'unsupported' : Notification.permission;
  }

  async request(): Promise<NotificationPermission | 'unsupported'> {
    if (this.permission === 'unsupported') return 'unsupported';
    const p = await Notification.requestPermission();
    this.onChange?.();
    return p;
  }

  /** Shows the generic exposure notification if permitted; resolves whether it was shown. */
  async showExposure(lang: Lang): Promise<boolean> {
    if (this.permission !== 'granted') return false;
    const reg = await navigator.serviceWorker.getRegistration();
    if (!reg) return false; // no service worker (dev server): the status view still says it
    const text = EXPOSURE_TEXT[lang] ?? EXPOSURE_TEXT.en;
    await reg.showNotification(text.title, {
      body: text.body,
      tag: EXPOSURE_TAG,
      icon: '/icons/icon-192.png',
      lang,
      data: { url: '/#/status' },
    });
    return true;
  }

  /** Shows "news about <label>" for a dependent who became at risk, if permitted (one notification per dependent). */
  async showDependent(lang: Lang, id: string, label: string): Promise<boolean> {
    if (this.permission !== 'granted') return false;
    const reg = await navigator.serviceWorker.getRegistration();
    if (!reg) return false;
    const text = (DEPENDENT_TEXT[lang] ?? DEPENDENT_TEXT.en)(label);
    await reg.showNotification(text.title, { body: text.body, tag: `beeptrace-dependent-${id}`, icon: '/icons/icon-192.png', lang, data: { url: '/#/care' } });
    return true;
  }
}

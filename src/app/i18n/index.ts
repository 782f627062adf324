/**
 * The one i18n module: every string a person sees comes from the current language's dictionary
 * through `i18n.t`, and every date and number through `Intl` in the current language. Setting the
 * language sets `lang` and `dir` on <html> (Arabic is right to left) and re-renders every view that
 * holds a `LocaleController`.
 *
 * English is the fallback and is bundled here; every other dictionary is its own chunk, loaded
 * when its language is first set (`setLang` resolves once it shows), so a page load carries one
 * dictionary, not all of them. Tests read every dictionary at once from `./all.ts`.
 * @example
 * await i18n.setLang('de');
 * i18n.t('status.until', { date: i18n.dayLong(20425) }); // "Bis Donnerstag, 3. Dezember"
 * @module
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { Lang } from '../protocol.ts';
import type { Day } from '../../core/types.ts';
import { en, type MessageKey, type Messages } from './en.ts';
import { DIRS, LANGS, LOCALES, importDictionary } from './langs.ts';

export type { MessageKey, Messages } from './en.ts';
export { DIRS, LANGS, LANG_NAMES, LOCALES, pickLang } from './langs.ts';

/** The dictionaries loaded so far (English always). */
const loaded: Partial<Record<Lang, Messages>> = { en };
const loading = new Map<Lang, Promise<Messages>>();

/**
 * The dictionary of `lang`, loading its chunk the first time (a failed load is tried again on the
 * next call).
 * @example await loadMessages('ar'); hasMessages('ar') === true
 */
export function loadMessages(lang: Lang): Promise<Messages> {
  const have = loaded[lang];
  if (have) return Promise.resolve(have);
  let p = loading.get(lang);
  if (!p) {
    p = importDictionary(lang as Exclude<Lang, 'en'>).then(
      (m) => { loaded[lang] = m; loading.delete(lang); return m; },
      (e: unknown) => { loading.delete(lang); throw e; },
    );
    loading.set(lang, p);
  }
  return p;
}

/** Whether the dictionary of `lang` is loaded (then `setLang(lang)` applies at once). @example hasMessages('en') === true */
export function hasMessages(lang: Lang): boolean {
  return loaded[lang] !== undefined;
}

/** Values for `{name}` placeholders. */
export type Params = Record<string, string | number>;

/**
 * Fill `{name}` placeholders.
 * @example interpolate('Until {date}', { date: 'Monday' }) === 'Until Monday'
 */
export function interpolate(s: string, params?: Params): string {
  return params ? s.replace(/\{(\w+)\}/g, (m, k: string) => (k in params ? String(params[k]) : m)) : s;
}

/**
 * Split a message around its placeholders, so a view can put markup (a `<time>`) in the gaps.
 * @example splitMessage('Exposure on {day}.') // ['Exposure on ', { name: 'day' }, '.']
 */
export function splitMessage(s: string): (string | { name: string })[] {
  const out: (string | { name: string })[] = [];
  let last = 0;
  for (const m of s.matchAll(/\{(\w+)\}/g)) {
    if (m.index! > last) out.push(s.slice(last, m.index));
    out.push({ name: m[1] });
    last = m.index! + m[0].length;
  }
  if (last < s.length) out.push(s.slice(last));
  return out;
}

const MINUTE_MS = 60_000;

/** The current language and everything formatted in it. @example const i = new I18n(); await i.setLang('de'); i.t('nav.data') === 'Meine Daten' */
export class I18n {
  #lang: Lang = 'en';
  /** The language asked for last, while its dictionary loads. */
  #wanted: Lang | null = null;
  /** Settles when the language asked for last is shown (or failed to load). */
  #settled: Promise<void> = Promise.resolve();
  #listeners = new Set<() => void>();

  get lang(): Lang { return this.#lang; }
  get locale(): string { return LOCALES[this.#lang]; }
  get dir(): 'ltr' | 'rtl' { return DIRS[this.#lang]; }
  /** A language was asked for whose dictionary is still loading (the shell holds its render). */
  get pending(): boolean { return this.#wanted !== null; }
  /** Resolves once no language is `pending` any more (never rejects). @example while (i18n.pending) await i18n.settled(); */
  settled(): Promise<void> { return this.#settled; }

  /**
   * Switch language: <html lang dir> and every LocaleController host re-renders. At once when its
   * dictionary is loaded; else once it has loaded (the language shown until then stays, and stays
   * if the load fails: the promise then rejects). Of two calls, the later one wins.
   */
  setLang(lang: Lang): Promise<void> {
    if (!LANGS.includes(lang)) throw new TypeError(`unknown language ${String(lang)}`);
    if (hasMessages(lang)) {
      const waited = this.#wanted !== null;
      this.#wanted = null;
      this.#apply(lang, waited);
      return Promise.resolve();
    }
    this.#wanted = lang;
    const shown = loadMessages(lang).then(
      () => { if (this.#wanted === lang) { this.#wanted = null; this.#apply(lang, true); } },
      (e: unknown) => {
        if (this.#wanted === lang) { this.#wanted = null; for (const fn of this.#listeners) fn(); }
        throw e;
      },
    );
    this.#settled = shown.catch(() => undefined);
    return shown;
  }

  /** Show `lang`; hosts re-render when it changed or when they were waiting (`pending`). */
  #apply(lang: Lang, waited = false): void {
    const changed = lang !== this.#lang || waited;
    this.#lang = lang;
    if (typeof document !== 'undefined') {
      document.documentElement.lang = lang;
      document.documentElement.dir = DIRS[lang];
    }
    if (changed) for (const fn of this.#listeners) fn();
  }

  subscribe(fn: () => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** The message for `key` in the current language, placeholders filled. */
  t(key: MessageKey, params?: Params): string {
    return interpolate(loaded[this.#lang]![key], params);
  }

  /** A UTC day spelled out: "Thursday 3 December" (for screen readers and people alike). */
  dayLong(day: Day): string {
    return new Intl.DateTimeFormat(this.locale, { weekday: 'long', day: 'numeric', month: 'long', timeZone: 'UTC' }).format(day * 86_400_000);
  }

  /** A UTC day, short: "Thu 3 Dec". */
  dayShort(day: Day): string {
    return new Intl.DateTimeFormat(this.locale, { weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC' }).format(day * 86_400_000);
  }

  /** A moment (ms), local date and time: "30 Nov 2026, 10:04". */
  dateTime(ms: number): string {
    return new Intl.DateTimeFormat(this.locale, { dateStyle: 'medium', timeStyle: 'short' }).format(ms);
  }

  /** A moment (ms): only the clock time when it is today, else date and time. */
  moment(ms: number, now = Date.now()): string {
    return new Date(ms).toDateString() === new Date(now).toDateString() ? this.time(ms) : this.dateTime(ms);
  }

  /** A local clock time (ms): "10:04". */
  time(ms: number): string {
    return new Intl.DateTimeFormat(this.locale, { timeStyle: 'short' }).format(ms);
  }

  number(n: number): string {
    return new Intl.NumberFormat(this.locale).format(n);
  }

  /** A duration in minutes: "45 minutes", "3 hours 20 minutes" ("45 min" when `short`). */
  duration(minutes: number, short = false): string {
    const m = Math.max(0, Math.round(minutes));
    const unitDisplay = short ? 'short' : 'long';
    const unit = (u: 'hour' | 'minute', v: number) => new Intl.NumberFormat(this.locale, { style: 'unit', unit: u, unitDisplay }).format(v);
    if (m < 60) return unit('minute', m);
    const h = Math.floor(m / 60);
    const rest = m % 60;
    return rest === 0 ? unit('hour', h) : `${unit('hour', h)} ${unit('minute', rest)}`;
  }

  /** A distance in metres or kilometres: "200 m", "1.5 km". */
  distance(metres: number): string {
    return metres >= 1000
      ? new Intl.NumberFormat(this.locale, { style: 'unit', unit: 'kilometer', maximumFractionDigits: 1 }).format(metres / 1000)
      : new Intl.NumberFormat(this.locale, { style: 'unit', unit: 'meter', maximumFractionDigits: 0 }).format(metres);
  }

  /** A duration since `ms`, rounded to minutes: used for peers' connection time. */
  since(ms: number): string {
    return this.duration(ms / MINUTE_MS);
  }
}

/** The app's one i18n instance. @example i18n.t('nav.trail') */
export const i18n = new I18n();

/**
 * Re-renders its lit host whenever the language changes.
 * @example class V extends LitElement { #l = new LocaleController(this); }
 */
export class LocaleController implements ReactiveController {
  #off: (() => void) | null = null;
  constructor(private readonly host: ReactiveControllerHost) {
    host.addController(this);
  }
  hostConnected(): void {
    this.#off = i18n.subscribe(() => this.host.requestUpdate());
  }
  hostDisconnected(): void {
    this.#off?.();
    this.#off = null;
  }
}

/**
 * The one i18n module: every string a person sees comes from `messages` through `i18n.t`, and
 * every date and number through `Intl` in the current language. Setting the language sets `lang`
 * and `dir` on <html> (Arabic is right to left) and re-renders every view that holds a
 * `LocaleController`.
 *
 * Tests look the role/name contract up per language through the exported `messages`
 * (`messages.ar['rec.start']`).
 * @example
 * i18n.setLang('de');
 * i18n.t('status.until', { date: i18n.dayLong(20425) }); // "Bis Donnerstag, 3. Dezember"
 * @module
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { Lang } from '../protocol.ts';
import type { Day } from '../../core/types.ts';
import { en, type MessageKey, type Messages } from './en.ts';
import { de } from './de.ts';
import { ar } from './ar.ts';

export type { MessageKey, Messages } from './en.ts';

/** Every dictionary, by language. @example messages.de['nav.data'] === 'Meine Daten' */
export const messages: Readonly<Record<Lang, Messages>> = { en, de, ar };
/** Languages offered, in menu order. @example LANGS.includes('ar') */
export const LANGS: readonly Lang[] = ['en', 'de', 'ar'];
/** Each language's name in itself (shown in the language menu, the same in every language). @example LANG_NAMES.de === 'Deutsch' */
export const LANG_NAMES: Readonly<Record<Lang, string>> = { en: 'English', de: 'Deutsch', ar: 'العربية' };
/** BCP 47 locale used for Intl, per language (en-GB writes "Thursday 3 December"). @example LOCALES.en === 'en-GB' */
export const LOCALES: Readonly<Record<Lang, string>> = { en: 'en-GB', de: 'de-DE', ar: 'ar' };
/** Writing direction per language. @example DIRS.ar === 'rtl' */
export const DIRS: Readonly<Record<Lang, 'ltr' | 'rtl'>> = { en: 'ltr', de: 'ltr', ar: 'rtl' };

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

/** Best language of the browser's list, English if none is offered. @example pickLang(['de-AT', 'en']) === 'de' */
export function pickLang(prefs: readonly string[]): Lang {
  for (const p of prefs) {
    const base = p.toLowerCase().split('-')[0] as Lang;
    if (LANGS.includes(base)) return base;
  }
  return 'en';
}

const MINUTE_MS = 60_000;

/** The current language and everything formatted in it. @example const i = new I18n(); i.setLang('de'); i.t('nav.data') === 'Meine Daten' */
export class I18n {
  #lang: Lang = 'en';
  #listeners = new Set<() => void>();

  get lang(): Lang { return this.#lang; }
  get locale(): string { return LOCALES[this.#lang]; }
  get dir(): 'ltr' | 'rtl' { return DIRS[this.#lang]; }

  /** Switch language: <html lang dir> and every LocaleController host re-renders. */
  setLang(lang: Lang): void {
    if (!LANGS.includes(lang)) throw new TypeError(`unknown language ${String(lang)}`);
    const changed = lang !== this.#lang;
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
    return interpolate(messages[this.#lang][key], params);
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

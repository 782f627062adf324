/**
 * The languages offered and what is known of each without its dictionary: its name, locale,
 * direction, and the chunk its dictionary is in. Small, so the boot (src/app/main.ts) can start
 * loading the browser language's dictionary at once, alongside the shell.
 * @example
 * pickLang(navigator.languages) // 'de' for a browser set to de-AT
 * @module
 */
import type { Lang } from '../protocol.ts';
import type { Messages } from './en.ts';

/** Languages offered, in menu order. @example LANGS.includes('ar') */
export const LANGS: readonly Lang[] = ['en', 'de', 'ar'];
/** Each language's name in itself (shown in the language menu, the same in every language). @example LANG_NAMES.de === 'Deutsch' */
export const LANG_NAMES: Readonly<Record<Lang, string>> = { en: 'English', de: 'Deutsch', ar: 'العربية' };
/** BCP 47 locale used for Intl, per language (en-GB writes "Thursday 3 December"). @example LOCALES.en === 'en-GB' */
export const LOCALES: Readonly<Record<Lang, string>> = { en: 'en-GB', de: 'de-DE', ar: 'ar' };
/** Writing direction per language. @example DIRS.ar === 'rtl' */
export const DIRS: Readonly<Record<Lang, 'ltr' | 'rtl'>> = { en: 'ltr', de: 'ltr', ar: 'rtl' };

/** Best language of the browser's list, English if none is offered. @example pickLang(['de-AT', 'en']) === 'de' */
export function pickLang(prefs: readonly string[]): Lang {
  for (const p of prefs) {
    const base = p.toLowerCase().split('-')[0] as Lang;
    if (LANGS.includes(base)) return base;
  }
  return 'en';
}

/**
 * Import the dictionary of a language other than English (each is its own chunk; English is
 * bundled with the i18n module). The i18n module's `loadMessages` keeps what this loads.
 * @example const ar = await importDictionary('ar'); ar['rec.start']
 */
export function importDictionary(lang: Exclude<Lang, 'en'>): Promise<Messages> {
  switch (lang) {
    case 'de': return import('./de.ts').then((m) => m.de);
    case 'ar': return import('./ar.ts').then((m) => m.ar);
    default: throw new TypeError(`no dictionary for language ${String(lang)}`);
  }
}

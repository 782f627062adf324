/**
 * Every dictionary at once, by language: for tests and tools that check the translations (the app
 * loads one at a time through `loadMessages` in ./index.ts).
 * @example messages.de['nav.data'] === 'Meine Daten'
 * @module
 */
import type { Lang } from '../protocol.ts';
import { en, type Messages } from './en.ts';
import { de } from './de.ts';
import { ar } from './ar.ts';

/** Every dictionary, by language. @example messages.ar['rec.start'] */
export const messages: Readonly<Record<Lang, Messages>> = { en, de, ar };

/**
 * `<time>` elements for days and moments, spelled out by Intl in the user's language, with a
 * machine-readable datetime ("2026-12-03") for screen readers and tests.
 * @example html`${dayTime(20425)}` // <time datetime="2025-12-04">Thursday 4 December</time>
 * @module
 */
import { html, type TemplateResult } from 'lit';
import { isoDay, type Day } from '../../core/types.ts';
import { i18n, splitMessage, type MessageKey, type Params } from '../i18n/index.ts';

/** A UTC day, long form by default ("Thursday 3 December"). */
export function dayTime(day: Day, short = false): TemplateResult {
  return html`<time datetime=${isoDay(day)}>${short ? i18n.dayShort(day) : i18n.dayLong(day)}</time>`;
}

/** A moment in ms: local clock time if today, else date and time. @example momentTime(Date.now()) // <time datetime="…">10:04</time> */
export function momentTime(ms: number): TemplateResult {
  return html`<time datetime=${new Date(ms).toISOString()}>${i18n.moment(ms)}</time>`;
}

/** A message whose placeholders are filled with templates or text. @example msg('status.until', { date: dayTime(d) }) */
export function msg(key: MessageKey, parts: Record<string, TemplateResult | string | number>, plain?: Params): (string | TemplateResult | number)[] {
  return splitMessage(i18n.t(key, plain)).map((p) => (typeof p === 'string' ? p : parts[p.name] ?? `{${p.name}}`));
}

/** Today's UTC day number, through the one clock (Date.now). @example isoDay(today()) */
export function today(): Day {
  return Math.floor(Date.now() / 86_400_000);
}

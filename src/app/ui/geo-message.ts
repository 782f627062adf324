/**
 * What to say about the page's location state: how to allow a blocked permission, that a
 * position is unavailable for now, or that the browser cannot do it.
 * @example html`${geoMessage(services.geo.state)}`
 * @module
 */
import { html, nothing, type TemplateResult } from 'lit';
import type { GeoState } from '../page/services.ts';
import { i18n, type MessageKey } from '../i18n/index.ts';

const TEXT: Partial<Record<GeoState, MessageKey>> = {
  prompting: 'geo.prompting',
  denied: 'geo.denied',
  unavailable: 'geo.unavailable',
  unsupported: 'geo.unsupported',
};

/** The sentence for a location state, or nothing when there is nothing to say. @example geoMessage('denied') */
export function geoMessage(geo: GeoState): TemplateResult | typeof nothing {
  const key = TEXT[geo];
  if (!key) return nothing;
  return html`<p class=${geo === 'prompting' ? 'help' : 'warn'}>${i18n.t(key)}</p>`;
}

/**
 * `<bt-checkin-view>` (#/checkin): venue check-in (docs/APP.md §Venue check-in, docs/VIEWS.md).
 * Not checked in: what is recorded, then the venue poster is scanned (camera or "Choose a QR
 * image"); the engine checks it is signed by a venue certified for this region on this device's
 * chain, and a refusal is said in words (forged, another region, not certified, damaged, not a
 * poster) with nothing recorded. Checked in: "Checked in at <name>", since when and when the app
 * checks out by itself, and "Check out".
 * @example html`<bt-checkin-view .state=${s} .client=${c}></bt-checkin-view>`
 * @module
 */
import { html } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import type { CheckinState } from '../protocol.ts';
import { i18n, type MessageKey } from '../i18n/index.ts';
import { ViewBase } from './view-base.ts';
import { momentTime, msg } from './dates.ts';
import './qr-parts.ts';

const REFUSALS: Record<string, MessageKey> = {
  bad_prefix: 'checkin.refuse.bad_prefix', wrong_type: 'checkin.refuse.bad_prefix', bad_signature: 'checkin.refuse.bad_signature',
  foreign_region: 'checkin.refuse.foreign_region', not_certified: 'checkin.refuse.not_certified', wrong_name: 'checkin.refuse.wrong_name',
  truncated: 'checkin.refuse.damaged', trailing: 'checkin.refuse.damaged', bad_base64: 'checkin.refuse.damaged', version: 'checkin.refuse.damaged',
  range: 'checkin.refuse.damaged', not_canonical: 'checkin.refuse.damaged',
};

/**
 * Words for an engine refusal of a venue poster (the reply's `code`).
 * @example checkinRefusal(err) // "This poster is forged or was altered. You were not checked in."
 */
export function checkinRefusal(e: unknown): string {
  const code = (e as { code?: unknown })?.code;
  if (typeof code === 'string' && REFUSALS[code]) return i18n.t(REFUSALS[code]);
  return i18n.t('refuse.other', { reason: e instanceof Error ? e.message : String(e) });
}

/** The #/checkin view (see the module comment). @example html`<bt-checkin-view .state=${s} .client=${c}></bt-checkin-view>` */
@customElement('bt-checkin-view')
export class CheckinView extends ViewBase {
  @state() private said = '';
  @state() private done = '';
  @state() private checking = false;

  private async onPoster(text: string): Promise<void> {
    this.said = '';
    this.done = '';
    this.checking = true;
    try {
      await this.client!.send<CheckinState>({ type: 'checkin', text });
    } catch (e) {
      this.said = checkinRefusal(e);
      this.renderRoot.querySelector('bt-qr-scan')?.reset();
    } finally {
      this.checking = false;
    }
  }

  private async checkOut(c: CheckinState): Promise<void> {
    const r = await this.send({ type: 'checkout' });
    if (r.ok) this.done = i18n.t('checkin.outDone', { name: c.name });
    else this.said = r.message;
  }

  override render() {
    const c = this.state.checkin ?? null;
    return html`<h1 tabindex="-1">${i18n.t('checkin.title')}</h1>
      ${c ? html`<section class="card">
          <div role="status"><h2>${i18n.t('checkin.at', { name: c.name })}</h2></div>
          <p>${msg('checkin.since', { time: momentTime(c.since), until: momentTime(c.until) })}</p>
          <p class="help">${i18n.t('checkin.fixesWait')}</p>
          <div class="actions"><button @click=${() => void this.checkOut(c)}>${i18n.t('checkin.out')}</button></div>
        </section>`
        : html`${this.done ? html`<p role="status" class="note">${this.done}</p>` : ''}
          <p>${i18n.t('checkin.intro')}</p>
          <section class="card"><h2>${i18n.t('checkin.scanTitle')}</h2>
            <bt-qr-scan @qr=${(e: CustomEvent<string>) => void this.onPoster(e.detail)}></bt-qr-scan>
          </section>`}
      <p aria-live="polite">${this.checking ? i18n.t('checkin.checking') : ''}</p>
      <p class="error" role="alert">${this.said}</p>
      <p><a href="#/status">${i18n.t('nav.status')}</a></p>`;
  }
}

declare global {
  interface HTMLElementTagNameMap { 'bt-checkin-view': CheckinView }
}

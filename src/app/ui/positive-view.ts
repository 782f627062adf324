/**
 * `<bt-positive-view>` (#/positive): "I tested positive". One step at a time:
 * 1. what will be shared (which days, that places stay sealed) — "Scan the clinic code" or "Not now";
 * 2. scan the clinic code (camera or "Choose a QR image"); the engine checks it is a certified
 *    diagnostician of this region on this device's chain, and fresh, before anything is shared;
 * 3. choose the days (all recorded days within the lookback, ticked) — "Share these days" or "Not now";
 * 4. the consent code (QR and text) for the clinic to scan; then "Your positive test was recorded"
 *    once the diagnosis answering it is seen on the chain.
 * Declining at any step shares nothing.
 *
 * "#/positive?for=ID": the same for a dependent whose keys this device keeps in custody (issue 12;
 * from Family and care): their days, with their keys; a watch-only or unknown id is refused.
 * @example html`<bt-positive-view .state=${s} .client=${c}></bt-positive-view>`
 * @module
 */
import { html } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import type { ClinicCheck, ConsentState, DependentState } from '../protocol.ts';
import type { Day } from '../../core/types.ts';
import { i18n } from '../i18n/index.ts';
import { ViewBase } from './view-base.ts';
import { dayTime, msg } from './dates.ts';
import { refusalText } from './qr-parts.ts';
import './qr-parts.ts';

type Step = 'intro' | 'scan' | 'choose' | 'show' | 'declined';

@customElement('bt-positive-view')
export class PositiveView extends ViewBase {
  @state() private step: Step = 'intro';
  @state() private said = '';
  @state() private clinic: ClinicCheck | null = null;
  @state() private clinicText = '';
  @state() private chosen = new Set<Day>();
  @state() private consentText = '';
  @state() private checking = false;

  /** A new "#/positive…" address (another person's test, or one's own) starts at the beginning. */
  #onHash = () => {
    if (this.step === 'intro') return this.requestUpdate();
    this.decline();
    this.step = 'intro';
  };
  override connectedCallback(): void {
    super.connectedCallback();
    addEventListener('hashchange', this.#onHash);
  }
  override disconnectedCallback(): void {
    super.disconnectedCallback();
    removeEventListener('hashchange', this.#onHash);
  }

  /** The dependent id of "#/positive?for=ID" ('' for this device's own test). */
  private get forId(): string {
    return new URLSearchParams(location.hash.split('?')[1] ?? '').get('for') ?? '';
  }

  /** The dependent in custody the test is for, or null (own test, or an id that is not one). */
  private get dependent(): DependentState | null {
    const id = this.forId;
    return (id && this.state.care?.dependents.find((d) => d.id === id && d.mode === 'custody')) || null;
  }

  /** The consent kept for whoever this is for. */
  private get consent(): ConsentState | null | undefined {
    return this.forId ? this.dependent?.consent : this.state.consent;
  }

  /** `for` on every intent, when the test is a dependent's. */
  private get whose(): { for?: string } {
    return this.forId ? { for: this.forId } : {};
  }

  private async onClinicCode(text: string): Promise<void> {
    this.said = '';
    this.checking = true;
    try {
      const info = await this.client!.send<ClinicCheck>({ type: 'consent-clinic', text, ...this.whose });
      this.clinic = info;
      this.clinicText = text;
      this.chosen = new Set(info.days);
      this.step = 'choose';
    } catch (e) {
      this.said = refusalText(e, 'shared');
      this.renderRoot.querySelector('bt-qr-scan')?.reset();
    } finally {
      this.checking = false;
    }
  }

  private async share(): Promise<void> {
    try {
      const r = await this.client!.send<{ text: string }>({ type: 'consent-make', clinic: this.clinicText, days: [...this.chosen], ...this.whose });
      this.consentText = r.text;
      this.said = '';
      this.step = 'show';
    } catch (e) {
      this.said = refusalText(e, 'shared');
    }
  }

  private decline(): void {
    this.clinic = null;
    this.clinicText = '';
    this.consentText = '';
    this.said = '';
    this.step = 'declined';
  }

  private async withdraw(): Promise<void> {
    await this.send({ type: 'consent-forget', ...this.whose });
    this.decline();
  }

  private toggle(day: Day, on: boolean): void {
    const next = new Set(this.chosen);
    if (on) next.add(day);
    else next.delete(day);
    this.chosen = next;
  }

  /** "Recorded", in the words for whoever this is for. */
  private recorded() {
    const d = this.dependent;
    return html`<p role="status" class="note">${d ? i18n.t('care.reportedFor', { name: d.label }) : i18n.t('status.recorded')}</p>`;
  }

  private body() {
    const c = this.consent;
    if (this.forId && !this.dependent) {
      return html`<p role="status">${i18n.t('positive.forUnknown')}</p><p><a href="#/care">${i18n.t('nav.care')}</a></p>`;
    }
    switch (this.step) {
      case 'declined':
        return html`<p role="status">${i18n.t('positive.declined')}</p>
          <p><a href="#/status">${i18n.t('nav.status')}</a></p>`;
      case 'scan':
        return html`<section class="card"><h2>${i18n.t('positive.scanTitle')}</h2>
            <bt-qr-scan @qr=${(e: CustomEvent<string>) => void this.onClinicCode(e.detail)}></bt-qr-scan></section>
          <div class="actions"><button class="secondary" @click=${() => this.decline()}>${i18n.t('positive.decline')}</button></div>`;
      case 'choose': {
        const info = this.clinic!;
        return html`<section class="card">
            <p class="note">${i18n.t('positive.clinic', { name: info.name || info.diagnostician.slice(0, 16) })}</p>
            <p>${msg('positive.validUntil', { time: html`<time datetime=${new Date(info.expiresAt).toISOString()}>${i18n.time(info.expiresAt)}</time>` })}</p>
            ${info.days.length ? html`<fieldset><legend>${i18n.t('positive.daysLegend')}</legend>
              ${info.days.map((d) => html`<div class="choice"><input type="checkbox" id=${`d${d}`} .checked=${this.chosen.has(d)}
                @change=${(e: Event) => this.toggle(d, (e.target as HTMLInputElement).checked)}><label for=${`d${d}`}>${dayTime(d)}</label></div>`)}
            </fieldset>` : html`<p>${i18n.t('positive.noDays')}</p>`}
            <p>${i18n.t('positive.what2')}</p>
          </section>
          <div class="actions">
            <button ?disabled=${this.chosen.size === 0} @click=${() => void this.share()}>${i18n.t('positive.share')}</button>
            <button class="secondary" @click=${() => this.decline()}>${i18n.t('positive.decline')}</button>
          </div>`;
      }
      case 'show':
        return html`<section class="card"><h2>${i18n.t('positive.showTitle')}</h2>
            <p>${i18n.t('positive.showHelp')}</p>
            <bt-qr-show .text=${this.consentText} label=${i18n.t('positive.qrLabel')}></bt-qr-show>
            ${c?.status === 'recorded'
              ? this.recorded()
              : html`<p role="status">${i18n.t('positive.waiting')}</p><p class="help">${i18n.t('positive.waitingThin')}</p>
                <p class="help">${i18n.t('positive.cancelHelp')}</p>`}
          </section>
          <div class="actions">
            <a href="#/status">${i18n.t('positive.done')}</a>
            ${c?.status === 'recorded' ? '' : html`<button class="secondary" @click=${() => void this.withdraw()}>${i18n.t('positive.cancel')}</button>`}
          </div>`;
      default:
        return html`${c?.status === 'recorded' ? this.recorded() : ''}
          <p>${this.dependent ? i18n.t('positive.forHelp', { name: this.dependent.label }) : i18n.t('positive.intro')}</p>
          <section class="card"><h2>${i18n.t('positive.whatTitle')}</h2>
            <ul><li>${i18n.t('positive.what1')}</li><li>${i18n.t('positive.what2')}</li><li>${i18n.t('positive.what3')}</li></ul>
          </section>
          <div class="actions">
            <button @click=${() => { this.step = 'scan'; }}>${i18n.t('positive.scan')}</button>
            <button class="secondary" @click=${() => this.decline()}>${i18n.t('positive.decline')}</button>
          </div>`;
    }
  }

  override render() {
    const d = this.dependent;
    return html`<h1 tabindex="-1">${d ? i18n.t('positive.titleFor', { name: d.label }) : i18n.t('positive.title')}</h1>${this.body()}
      <p aria-live="polite">${this.checking ? i18n.t('positive.checking') : ''}</p>
      <p class="error" role="alert">${this.said}</p>`;
  }
}

declare global {
  interface HTMLElementTagNameMap { 'bt-positive-view': PositiveView }
}

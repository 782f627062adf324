/**
 * `<bt-report-view>` (#/report): "Report symptoms". Says what a self-report is (anonymous, not
 * checked by a clinic, weighed by the authority's policy) and what it shares; the person picks
 * the day the symptoms began and sends it ('self-report').
 * @example html`<bt-report-view .state=${s} .client=${c}></bt-report-view>`
 * @module
 */
import { html } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import type { Day } from '../../core/types.ts';
import { i18n } from '../i18n/index.ts';
import { ViewBase } from './view-base.ts';
import { today } from './dates.ts';

@customElement('bt-report-view')
export class ReportView extends ViewBase {
  @state() private onset: Day | null = null;
  @state() private busy = false;
  @state() private said = '';
  @state() private sent = false;

  private async sendReport(): Promise<void> {
    const t = today();
    this.busy = true;
    this.said = i18n.t('report.sending');
    try {
      const days = await this.client!.send<Day[]>({ type: 'self-report', onset: this.onset ?? t });
      this.sent = true;
      this.said = i18n.t('report.sent', { count: i18n.number(days.length) });
    } catch (e) {
      this.said = (e as { code?: string }).code === 'no_days' ? i18n.t('report.noDays') : i18n.t('common.failed', { reason: (e as Error).message });
    } finally {
      this.busy = false;
    }
  }

  override render() {
    const t = today();
    const days = Array.from({ length: 14 }, (_, i) => t - i);
    return html`<h1 tabindex="-1">${i18n.t('report.title')}</h1>
      <section class="card">
        <p>${i18n.t('report.intro')}</p>
        <p>${i18n.t('report.what')}</p>
        <div class="field"><label for="onset">${i18n.t('report.onset')}</label>
          <select id="onset" ?disabled=${this.sent} @change=${(e: Event) => { this.onset = Number((e.target as HTMLSelectElement).value); }}>
            ${days.map((d) => html`<option value=${d} ?selected=${(this.onset ?? t) === d}>${i18n.dayLong(d)}</option>`)}
          </select></div>
        <div class="actions">
          <button ?disabled=${this.busy || this.sent} @click=${() => void this.sendReport()}>${i18n.t('report.send')}</button>
          <a href="#/status">${i18n.t('nav.status')}</a>
        </div>
        <p role="status" aria-live="polite">${this.said}</p>
      </section>`;
  }
}

declare global {
  interface HTMLElementTagNameMap { 'bt-report-view': ReportView }
}

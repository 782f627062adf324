/**
 * `<bt-upload-card>`: "Upload now", the upload policy in words (and what happens in browsers that
 * do not say whether they are charging or on Wi-Fi), and the upload state of each day: which were
 * sent, received, proven by a checkpoint, withdrawn.
 * @example html`<bt-upload-card .state=${s} .client=${c} .services=${sv}></bt-upload-card>`
 * @module
 */
import { html } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import type { DayUpload } from '../protocol.ts';
import { i18n, type MessageKey } from '../i18n/index.ts';
import { ViewBase } from './view-base.ts';
import { dayTime } from './dates.ts';

/** The words for each upload state. @example i18n.t(UPLOAD_TEXT.proven) === 'Proven by a checkpoint' */
export const UPLOAD_TEXT: Record<DayUpload, MessageKey> = {
  recording: 'up.s.recording', waiting: 'up.s.waiting', sent: 'up.s.sent',
  received: 'up.s.received', proven: 'up.s.proven', withdrawn: 'up.s.withdrawn',
};

@customElement('bt-upload-card')
export class UploadCard extends ViewBase {
  @state() private said = '';

  private async uploadNow() {
    const r = await this.send({ type: 'upload-now' });
    this.said = r.ok ? i18n.t('up.started') : r.message;
  }

  private conditionsNote() {
    if (this.state.settings.uploadPolicy !== 'charging-wifi') return '';
    const c = this.services?.conditions;
    if (!c || c.charging === null || c.wifi === null) return html`<p class="help">${i18n.t('up.unknown')}</p>`;
    if (!(c.charging && c.wifi)) return html`<p class="help">${i18n.t('up.waitingCw')}</p>`;
    return '';
  }

  override render() {
    const days = this.state.days;
    return html`<section class="card" aria-labelledby="up-h">
      <h2 id="up-h">${i18n.t('up.title')}</h2>
      <p>${i18n.t(this.state.settings.uploadPolicy === 'asap' ? 'up.policyAsap' : 'up.policyCw')}</p>
      ${this.conditionsNote()}
      <div class="actions"><button @click=${this.uploadNow}>${i18n.t('up.now')}</button></div>
      <p aria-live="polite">${this.said}</p>
      ${days.length ? html`<table>
        <thead><tr><th scope="col">${i18n.t('up.day')}</th><th scope="col">${i18n.t('up.state')}</th></tr></thead>
        <tbody>${days.map((d) => html`<tr><td>${dayTime(d.day, true)}</td><td>${i18n.t(UPLOAD_TEXT[d.upload])}</td></tr>`)}</tbody>
      </table>` : html`<p class="help">${i18n.t('up.none')}</p>`}
    </section>`;
  }
}

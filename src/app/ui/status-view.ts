/**
 * `<bt-status-view>` (#/status): the exposure status first, then recording, uploads and alerts.
 * @example html`<bt-status-view .state=${s} .client=${c} .services=${sv}></bt-status-view>`
 * @module
 */
import { html } from 'lit';
import { customElement } from 'lit/decorators.js';
import { i18n } from '../i18n/index.ts';
import { ViewBase } from './view-base.ts';
import './exposure-card.ts';
import './recording-card.ts';
import './upload-card.ts';
import './notify-card.ts';

@customElement('bt-status-view')
export class StatusView extends ViewBase {
  override render() {
    const p = { s: this.state, c: this.client, sv: this.services, r: this.rev };
    return html`<h1 tabindex="-1">${i18n.t('status.title')}</h1>
      <bt-exposure-card .state=${p.s} .client=${p.c} .services=${p.sv} .rev=${p.r}></bt-exposure-card>
      <bt-recording-card .state=${p.s} .client=${p.c} .services=${p.sv} .rev=${p.r}></bt-recording-card>
      <bt-upload-card .state=${p.s} .client=${p.c} .services=${p.sv} .rev=${p.r}></bt-upload-card>
      <bt-notify-card .state=${p.s} .client=${p.c} .services=${p.sv} .rev=${p.r}></bt-notify-card>
      <section class="card"><h2>${i18n.t('status.healthTitle')}</h2>
        ${p.s.consent?.status === 'recorded' ? html`<p class="note">${i18n.t('status.recorded')}</p>` : ''}
        <ul><li><a href="#/positive">${i18n.t('status.positive')}</a></li><li><a href="#/report">${i18n.t('status.symptoms')}</a></li></ul>
      </section>`;
  }
}

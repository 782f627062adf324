/**
 * `<bt-notify-card>`: offers system alerts and asks for the permission only when the user turns
 * them on (`services.notify.request()`), saying the notification never shows the risk itself.
 * @example html`<bt-notify-card .services=${sv}></bt-notify-card>`
 * @module
 */
import { html } from 'lit';
import { customElement } from 'lit/decorators.js';
import { i18n } from '../i18n/index.ts';
import { ViewBase } from './view-base.ts';

@customElement('bt-notify-card')
export class NotifyCard extends ViewBase {
  private async turnOn() {
    await this.services?.notify.request();
    this.requestUpdate();
  }

  override render() {
    const p = this.services?.notify.permission ?? 'unsupported';
    return html`<section class="card" aria-labelledby="nt-h">
      <h2 id="nt-h">${i18n.t('notify.title')}</h2>
      <p>${i18n.t('notify.offer')}</p>
      ${p === 'default' ? html`<div class="actions"><button @click=${this.turnOn}>${i18n.t('notify.turnOn')}</button></div>`
        : p === 'granted' ? html`<p><strong>${i18n.t('notify.on')}</strong></p>`
        : p === 'denied' ? html`<p class="warn">${i18n.t('notify.denied')}</p>`
        : html`<p class="warn">${i18n.t('notify.unsupported')}</p>`}
    </section>`;
  }
}

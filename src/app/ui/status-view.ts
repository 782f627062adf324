/**
 * `<bt-status-view>` (#/status): the exposure status first, then recording, uploads and alerts.
 * In elder mode (`settings.elder`) only the status and one action: start or pause recording (and,
 * while checked in at a venue, "Check out"). Otherwise a "Check in at a venue" button opens #/checkin.
 * @example html`<bt-status-view .state=${s} .client=${c} .services=${sv}></bt-status-view>`
 * @module
 */
import { html } from 'lit';
import { customElement } from 'lit/decorators.js';
import { i18n } from '../i18n/index.ts';
import { ViewBase } from './view-base.ts';
import { momentTime, msg } from './dates.ts';
import './exposure-card.ts';
import './recording-card.ts';
import './upload-card.ts';
import './notify-card.ts';

/** The venue check-in card: "Checked in at <name>" with "Check out", or the button that opens #/checkin. */
function checkinCard(v: ViewBase) {
  const c = v.state.checkin;
  if (c) {
    return html`<section class="card"><h2>${i18n.t('checkin.at', { name: c.name })}</h2>
      <p>${msg('checkin.since', { time: momentTime(c.since), until: momentTime(c.until) })}</p>
      <div class="actions"><button @click=${() => void v.client?.send({ type: 'checkout' }).catch(() => undefined)}>${i18n.t('checkin.out')}</button></div></section>`;
  }
  return html`<div class="actions"><button class="secondary" @click=${() => { location.hash = '#/checkin'; }}>${i18n.t('checkin.open')}</button></div>`;
}

@customElement('bt-status-view')
export class StatusView extends ViewBase {
  override render() {
    const p = { s: this.state, c: this.client, sv: this.services, r: this.rev };
    if (this.state.settings.elder) {
      // The navigation already says "Status": the heading stays for screen readers, so the status
      // and its one action both fit on a 360×640 screen.
      return html`<h1 tabindex="-1" class="visually-hidden">${i18n.t('status.title')}</h1>
        <bt-exposure-card .state=${p.s} .client=${p.c} .services=${p.sv} .rev=${p.r}></bt-exposure-card>
        <bt-recording-card simple .state=${p.s} .client=${p.c} .services=${p.sv} .rev=${p.r}></bt-recording-card>
        ${p.s.checkin ? checkinCard(this) : ''}`;
    }
    return html`<h1 tabindex="-1">${i18n.t('status.title')}</h1>
      <bt-exposure-card .state=${p.s} .client=${p.c} .services=${p.sv} .rev=${p.r}></bt-exposure-card>
      <bt-recording-card .state=${p.s} .client=${p.c} .services=${p.sv} .rev=${p.r}></bt-recording-card>
      ${checkinCard(this)}
      <bt-upload-card .state=${p.s} .client=${p.c} .services=${p.sv} .rev=${p.r}></bt-upload-card>
      <bt-notify-card .state=${p.s} .client=${p.c} .services=${p.sv} .rev=${p.r}></bt-notify-card>
      <section class="card"><h2>${i18n.t('status.healthTitle')}</h2>
        ${p.s.consent?.status === 'recorded' ? html`<p class="note">${i18n.t('status.recorded')}</p>` : ''}
        <ul><li><a href="#/positive">${i18n.t('status.positive')}</a></li><li><a href="#/report">${i18n.t('status.symptoms')}</a></li></ul>
      </section>`;
  }
}

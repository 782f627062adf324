/**
 * `<bt-recording-card>`: "Start recording" / "Pause recording", the location state (blocked: how
 * to allow; unavailable), the Screen Wake Lock offer while recording, how much of today and of
 * recent days was recorded, a reminder after a gap, and the honest note that a browser records
 * only while the app is open. With `simple` (elder mode) only the state (as its heading), the one button, the
 * location state, a gap reminder and the honest note.
 * Start asks the page for location first (`services.geo.start()`, in context), then sends
 * `set-recording`; a blocked or missing Geolocation leaves recording off and says why.
 * @example html`<bt-recording-card .state=${s} .client=${c} .services=${sv}></bt-recording-card>`
 * @module
 */
import { html, css } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { i18n } from '../i18n/index.ts';
import type { DaySummary, RecordingState } from '../protocol.ts';
import { ViewBase } from './view-base.ts';
import { base } from './styles.ts';
import { dayTime, momentTime, msg, today } from './dates.ts';
import { geoMessage } from './geo-message.ts';

/** A gap longer than this while recording is on gets a reminder. */
const GAP_MS = 15 * 60_000;
/** Paused for longer than this (no fix since) gets a reminder to start again. */
const PAUSED_MS = 12 * 3_600_000;

@customElement('bt-recording-card')
export class RecordingCard extends ViewBase {
  @state() private error = '';
  /** Elder mode: the state and one action, no details. */
  @property({ type: Boolean, reflect: true }) simple = false;
  static override styles = [base, css`:host([simple]) .actions button { inline-size: 100%; font-size: 1.25rem; min-block-size: 3.5rem; }`];

  private async start() {
    const geo = this.services ? await this.services.geo.start() : 'watching';
    if (geo === 'denied' || geo === 'unsupported') { this.requestUpdate(); return; }
    const r = await this.send({ type: 'set-recording', on: true });
    this.error = r.ok ? '' : r.message;
  }

  private async pause() {
    this.services?.geo.stop();
    if (this.services?.wakeLock.active) await this.services.wakeLock.set(false);
    const r = await this.send({ type: 'set-recording', on: false });
    this.error = r.ok ? '' : r.message;
  }

  private async wake(e: Event) {
    await this.services?.wakeLock.set((e.target as HTMLInputElement).checked);
    this.requestUpdate();
  }

  override render() {
    const rec = this.state.recording;
    const sv = this.services;
    const d0 = today();
    const todays = this.state.days.find((d) => d.day === d0);
    const minutesToday = Math.min(1440, Math.floor((Date.now() - d0 * 86_400_000) / 60_000));
    const recent = this.state.days.filter((d) => d.day < d0).slice(0, 6);
    const gap = rec.on && rec.lastFixAt !== null && Date.now() - rec.lastFixAt > GAP_MS;
    const pausedLong = !rec.on && rec.lastFixAt !== null && Date.now() - rec.lastFixAt > PAUSED_MS;
    const daysActive = this.state.days.filter((d) => d.day > d0 - 14 && d.coveredMinutes > 0).length;
    return html`<section class="card" aria-labelledby="rec-h">
      ${this.simple ? html`<h2 id="rec-h">${i18n.t(rec.on ? 'rec.on' : 'rec.off')}</h2>` : html`<h2 id="rec-h">${i18n.t('rec.title')}</h2>
      <p><strong>${i18n.t(rec.on ? 'rec.on' : 'rec.off')}</strong></p>`}
      <div class="actions">
        ${rec.on
          ? html`<button class="secondary" @click=${this.pause}>${i18n.t('rec.pause')}</button>`
          : html`<button @click=${this.start}>${i18n.t('rec.start')}</button>`}
      </div>
      <div aria-live="polite">${geoMessage(sv?.geo.state ?? 'idle')}
        ${this.error ? html`<p class="error">${this.error}</p>` : ''}</div>
      ${gap ? html`<p class="warn">${msg('rec.gap', { time: momentTime(rec.lastFixAt!) })}</p>` : ''}
      ${pausedLong ? html`<p class="warn">${msg('rec.pausedSince', { time: momentTime(rec.lastFixAt!) })}</p>` : ''}
      ${this.simple ? '' : this.details(rec, d0, todays, minutesToday, recent, daysActive)}
      <p class="note">${i18n.t('rec.honest')}</p>
    </section>`;
  }

  private details(rec: RecordingState, d0: number, todays: DaySummary | undefined, minutesToday: number, recent: DaySummary[], daysActive: number) {
    const sv = this.services;
    return html`
      ${rec.on && sv?.wakeLock.supported ? html`<div class="choice">
        <input type="checkbox" id="wake" .checked=${sv.wakeLock.active} aria-describedby="wake-help" @change=${this.wake} />
        <div><label for="wake">${i18n.t('rec.wake')}</label><span class="help" id="wake-help">${i18n.t('rec.wakeHelp')}</span></div>
      </div>` : ''}
      <p>${i18n.t('rec.today', { covered: i18n.duration(todays?.coveredMinutes ?? 0) })}
        <span class="help">(${i18n.number(Math.round(100 * Math.min(1, (todays?.coveredMinutes ?? 0) / Math.max(1, minutesToday))))} %)</span></p>
      <p>${i18n.t('rec.daysActive', { n: i18n.number(daysActive) })}</p>
      ${recent.length ? html`<table>
        <caption>${i18n.t('rec.recent')}</caption>
        <thead><tr><th scope="col">${i18n.t('rec.day')}</th><th scope="col">${i18n.t('rec.covered')}</th></tr></thead>
        <tbody>${recent.map((d) => html`<tr><td>${dayTime(d.day, true)}</td><td>${i18n.duration(d.coveredMinutes)}</td></tr>`)}</tbody>
      </table>` : ''}`;
  }
}

/**
 * `<bt-exposure-card>`: the status a person opens the app for. The element with role `status`
 * says exactly "No exposure found", "Low risk" or "High risk"; below it, for an exposure, the day
 * as <time datetime="YYYY-MM-DD">, what to do and until which day (spelled out), and that the risk
 * was computed on this device; then when it last checked and up to which verified checkpoint;
 * a reminder after 36 h without a check; and every alert ever found.
 * @example html`<bt-exposure-card .state=${s}></bt-exposure-card>`
 * @module
 */
import { html, css } from 'lit';
import { customElement } from 'lit/decorators.js';
import type { Alert } from '../protocol.ts';
import { i18n, type MessageKey } from '../i18n/index.ts';
import { ViewBase } from './view-base.ts';
import { base } from './styles.ts';
import { dayTime, momentTime, msg, today } from './dates.ts';

const STALE_MS = 36 * 3_600_000;
const LEVEL: Record<'none' | 'low' | 'high', MessageKey> = { none: 'status.none', low: 'status.low', high: 'status.high' };
/** Shapes as well as colours: a tick, a triangle, an exclamation in a circle (colour is never the only carrier). */
const ICON: Record<'none' | 'low' | 'high', string> = { none: '✓', low: '△', high: '!' };

/** The alert the status is about: the newest still within its advice period at the status level. @example currentAlert(state.exposure.alerts, state.exposure.status)?.day */
export function currentAlert(alerts: Alert[], status: 'none' | 'low' | 'high', now = today()): Alert | null {
  if (status === 'none') return null;
  return alerts.find((a) => a.level === status && a.adviceUntil >= now) ?? alerts.find((a) => a.level === status) ?? null;
}

@customElement('bt-exposure-card')
export class ExposureCard extends ViewBase {
  static override styles = [base, css`
    .card { border-inline-start-width: 8px; }
    .none { border-inline-start-color: var(--bt-ok); }
    .low { border-inline-start-color: var(--bt-warn); }
    .high { border-inline-start-color: var(--bt-danger); }
    .head { display: flex; gap: 0.75rem; align-items: center; margin-block-end: 0.75rem; }
    .icon { flex: none; inline-size: 2.5rem; block-size: 2.5rem; border-radius: 50%; display: grid; place-items: center;
      font-weight: 800; font-size: 1.4rem; border: 3px solid currentColor; }
    .none .icon { color: var(--bt-ok); } .low .icon { color: var(--bt-warn); } .high .icon { color: var(--bt-danger); }
    .headline { font-size: 1.5rem; font-weight: 800; margin: 0; }
    .advice { font-size: 1.05rem; }
  `];

  override render() {
    const x = this.state.exposure;
    const alert = currentAlert(x.alerts, x.status);
    const now = Date.now();
    const stale = x.lastCheckedAt === null ? (this.state.keysCreated !== null && now - this.state.keysCreated > STALE_MS) : now - x.lastCheckedAt > STALE_MS;
    return html`<section class="card ${x.status}" aria-labelledby="exp-h">
      <h2 id="exp-h" class="visually-hidden">${i18n.t('status.cardTitle')}</h2>
      <div class="head">
        <span class="icon" aria-hidden="true">${ICON[x.status]}</span>
        <p class="headline" role="status" id="exp-status">${i18n.t(LEVEL[x.status])}</p>
      </div>
      ${alert ? html`
        <p>${msg('status.exposureOn', { day: dayTime(alert.day) })}</p>
        <h3>${i18n.t('status.todo')}</h3>
        <p class="advice" dir="auto">${alert.advice}</p>
        <p><strong>${msg('status.until', { date: dayTime(alert.adviceUntil) })}</strong></p>
        <p class="note">${i18n.t('status.onDevice')}</p>`
        : html`<p>${i18n.t('status.noneText')}</p>`}
      <p class="help">${x.lastCheckedAt === null ? i18n.t('status.neverChecked')
        : x.checkedUpTo === null ? msg('status.lastCheckedNoCp', { time: momentTime(x.lastCheckedAt) })
        : msg('status.lastChecked', { time: momentTime(x.lastCheckedAt), checkpoint: momentTime(x.checkedUpTo * 1000) })}</p>
      ${this.state.network.signaling === 'open' && this.state.network.syncProgress < 1 ? html`<p class="help">${i18n.t('status.checking')}</p>` : ''}
      ${stale ? html`<p class="warn">${i18n.t('status.stale')}</p>` : ''}
      ${x.alerts.length ? html`<h3>${i18n.t('status.pastTitle')}</h3>
        <ul>${x.alerts.map((a) => html`<li>${msg('status.pastItem', { level: i18n.t(LEVEL[a.level]), day: dayTime(a.day), found: momentTime(a.foundAt) })}</li>`)}</ul>` : ''}
    </section>`;
  }
}

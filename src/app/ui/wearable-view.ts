/**
 * `<bt-wearable-view>` (#/wearable): the page of a dedicated device (a wristband or an old phone worn
 * or carried by someone who does not use the app). It starts recording by itself (location, then
 * `set-recording {on: true}`), uploads by the device's upload policy like any device, and shows only
 * whether it is recording and its battery state, in large type, and one button: "Pair with a carer's
 * phone".
 *
 * Keys: the device records and uploads with its own device keys, made in its first run (done once
 * by the carer on the device). The carer keeps them in custody by pairing: this page shows a code
 * (a watch pairs by showing, it need not scan), the carer's phone scans it ("Keep someone's keys" in
 * Family and care), both show six digits, and the person presses "They match" here and there
 * (docs/APP.md §Family and care). The carer then sees its risk status and can report a positive
 * test for it.
 * @example html`<bt-wearable-view .state=${s} .client=${c} .services=${sv}></bt-wearable-view>`
 * @module
 */
import { html, css } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { i18n } from '../i18n/index.ts';
import type { PairingProgress } from '../protocol.ts';
import { ViewBase } from './view-base.ts';
import { base } from './styles.ts';
import { geoMessage } from './geo-message.ts';
import { momentTime, msg } from './dates.ts';
import { pairingDigits, pairingFailText } from './pairing-parts.ts';
import './qr-parts.ts';

/** The part of the Battery Status API this page reads (Chromium; other browsers have none). */
interface Battery extends EventTarget { level: number; charging: boolean }

@customElement('bt-wearable-view')
export class WearableView extends ViewBase {
  static override styles = [base, css`
    .big { font-size: 2.5rem; font-weight: 800; line-height: 1.2; margin-block: 1rem; }
    .on { color: var(--bt-ok); } .off { color: var(--bt-danger); }
    .battery { font-size: 1.75rem; font-weight: 600; }
    .digits { font-size: 2.5rem; font-weight: 700; letter-spacing: 0.15em; font-variant-numeric: tabular-nums; direction: ltr; unicode-bidi: isolate; }
    button { min-block-size: 3rem; font-size: 1.25rem; }
  `];
  @state() private said = '';
  @state() private battery: { level: number; charging: boolean } | null = null;
  #started = false;
  #battery: Battery | null = null;
  #onBattery = () => { if (this.#battery) this.battery = { level: this.#battery.level, charging: this.#battery.charging }; };

  override connectedCallback(): void {
    super.connectedCallback();
    const nav = navigator as Navigator & { getBattery?: () => Promise<Battery> };
    void nav.getBattery?.().then((b) => {
      this.#battery = b;
      b.addEventListener('levelchange', this.#onBattery);
      b.addEventListener('chargingchange', this.#onBattery);
      this.#onBattery();
    }).catch(() => undefined);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#battery?.removeEventListener('levelchange', this.#onBattery);
    this.#battery?.removeEventListener('chargingchange', this.#onBattery);
  }

  protected override updated(): void {
    // Start recording once, as soon as the engine and the page services are there.
    if (this.#started || !this.client || !this.services || !this.state.ready) return;
    this.#started = true;
    void (async () => {
      const geo = await this.services!.geo.start();
      if (geo !== 'denied' && geo !== 'unsupported' && !this.state.recording.on) await this.send({ type: 'set-recording', on: true });
      this.requestUpdate();
    })();
  }

  private async pair(): Promise<void> {
    this.said = '';
    try {
      await this.client!.send({ type: 'pair-start', mode: 'custody' });
    } catch (e) {
      this.said = pairingFailText((e as { code?: string }).code, (e as Error).message);
    }
  }

  /** The carer's pairing, by showing a code: the code, then the digits to compare, then done or why not. */
  private renderPairing(p: PairingProgress) {
    const cancel = (text: string) => html`<button class="secondary" @click=${() => void this.send({ type: 'pair-cancel' })}>${text}</button>`;
    switch (p.stage) {
      case 'connecting':
        return html`<p>${i18n.t('care.connecting')}</p>${cancel(i18n.t('care.cancel'))}`;
      case 'show-code':
        return html`<p>${i18n.t('care.showCodeCustody')}</p>
          <bt-qr-show .text=${p.offerText} label=${i18n.t('care.qrLabel')}></bt-qr-show>
          <p>${msg('care.expires', { time: momentTime(p.expires) })}</p>${cancel(i18n.t('care.cancel'))}`;
      case 'compare':
        return html`<p>${i18n.t('wear.compare')}</p>${pairingDigits(p.sas)}
          <div class="actions"><button @click=${() => void this.send({ type: 'pair-confirm', label: i18n.t('wear.carer') })}>${i18n.t('care.match')}</button>${cancel(i18n.t('care.differ'))}</div>`;
      case 'waiting':
        return html`${pairingDigits(p.sas)}<p>${i18n.t('care.waiting')}</p>${cancel(i18n.t('care.cancel'))}`;
      case 'done':
        return html`<p>${i18n.t('wear.paired')}</p>${cancel(i18n.t('care.ok'))}`;
      case 'failed':
        return html`<p role="alert">${pairingFailText(p.code, p.message)}</p>${cancel(i18n.t('care.ok'))}`;
    }
  }

  override render() {
    const on = this.state.recording.on && this.services?.geo.state !== 'denied' && this.services?.geo.state !== 'unsupported';
    const b = this.battery;
    const level = b ? `${i18n.number(Math.round(b.level * 100))} %` : '';
    const p = this.state.care?.pairing ?? null;
    return html`<h1 tabindex="-1" class="visually-hidden">${i18n.t('app.name')}</h1>
      <p class="big ${on ? 'on' : 'off'}" role="status">${i18n.t(on ? 'wear.recording' : 'wear.notRecording')}</p>
      ${on ? '' : geoMessage(this.services?.geo.state ?? 'idle')}
      <p class="battery">${b ? i18n.t(b.charging ? 'wear.charging' : 'wear.battery', { level }) : i18n.t('wear.batteryUnknown')}</p>
      ${p ? html`<section aria-label=${i18n.t('wear.pair')}>${this.renderPairing(p)}</section>`
        : html`<div class="actions"><button class="secondary" @click=${() => void this.pair()}>${i18n.t('wear.pair')}</button></div>${this.said ? html`<p role="alert">${this.said}</p>` : ''}`}`;
  }
}

declare global {
  interface HTMLElementTagNameMap { 'bt-wearable-view': WearableView }
}

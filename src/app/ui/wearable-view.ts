/**
 * `<bt-wearable-view>` (#/wearable): the page of a dedicated device (a wristband or an old phone worn
 * or carried by someone who does not use the app). It starts recording by itself (location, then
 * `set-recording {on: true}`), uploads by the device's upload policy like any device, and shows only
 * whether it is recording and its battery state, in large type; nothing to press.
 *
 * Keys: the device records and uploads with its own device keys, made in its first run (done once
 * by the carer on the device). The carer keeps them in custody by pairing the device from Family
 * and care ("Let someone look after me" on the device, "Keep someone's keys" on the carer's phone,
 * docs/APP.md §Family and care): the carer then sees its risk status and can report a positive test
 * for it. This page does not depend on how the keys were made.
 * @example html`<bt-wearable-view .state=${s} .client=${c} .services=${sv}></bt-wearable-view>`
 * @module
 */
import { html, css } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { i18n } from '../i18n/index.ts';
import { ViewBase } from './view-base.ts';
import { base } from './styles.ts';
import { geoMessage } from './geo-message.ts';

/** The part of the Battery Status API this page reads (Chromium; other browsers have none). */
interface Battery extends EventTarget { level: number; charging: boolean }

@customElement('bt-wearable-view')
export class WearableView extends ViewBase {
  static override styles = [base, css`
    .big { font-size: 2.5rem; font-weight: 800; line-height: 1.2; margin-block: 1rem; }
    .on { color: var(--bt-ok); } .off { color: var(--bt-danger); }
    .battery { font-size: 1.75rem; font-weight: 600; }
  `];
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

  override render() {
    const on = this.state.recording.on && this.services?.geo.state !== 'denied' && this.services?.geo.state !== 'unsupported';
    const b = this.battery;
    const level = b ? `${i18n.number(Math.round(b.level * 100))} %` : '';
    return html`<h1 tabindex="-1" class="visually-hidden">${i18n.t('app.name')}</h1>
      <p class="big ${on ? 'on' : 'off'}" role="status">${i18n.t(on ? 'wear.recording' : 'wear.notRecording')}</p>
      ${on ? '' : geoMessage(this.services?.geo.state ?? 'idle')}
      <p class="battery">${b ? i18n.t(b.charging ? 'wear.charging' : 'wear.battery', { level }) : i18n.t('wear.batteryUnknown')}</p>`;
  }
}

declare global {
  interface HTMLElementTagNameMap { 'bt-wearable-view': WearableView }
}

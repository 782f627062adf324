/**
 * Page entry: opens the device's IndexedDB store and shows the device card. The full app
 * (recording, uploads, exposure status, guardians) is built on this in the app issue.
 */
import { LitElement, html, css } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { nobleCrypto } from '../core/crypto.ts';
import { openIdbStore } from '../store/idb-store.ts';
import { loadDevice, type Device } from './device.ts';

@customElement('beeptrace-device')
export class DeviceCard extends LitElement {
  static override styles = css`
    :host { display: block; background: #fff; border-radius: 12px; padding: 1.25rem; box-shadow: 0 1px 3px #0002; }
    h1 { font-size: 1.4rem; margin: 0 0 0.75rem; color: #1d4e89; }
    code { font-size: 1rem; letter-spacing: 0.05em; word-break: break-all; }
    .err { color: #a30000; }
  `;
  @state() private device?: Device;
  @state() private error?: string;

  override async connectedCallback(): Promise<void> {
    super.connectedCallback();
    try {
      this.device = await loadDevice(await openIdbStore('beeptrace'), nobleCrypto);
    } catch (e) {
      this.error = (e as Error).message;
    }
  }

  override render() {
    if (this.error) return html`<h1>BeepTrace</h1><p class="err" role="alert">This browser cannot keep BeepTrace's keys: ${this.error}</p>`;
    if (!this.device) return html`<h1>BeepTrace</h1><p>Opening this device's key store…</p>`;
    return html`
      <h1>BeepTrace</h1>
      <p>This device's secret key was created ${new Date(this.device.created).toLocaleString()} and never leaves it.</p>
      <p>Today's pseudonym (it changes every day at midnight UTC, and no one can link the days without your key):</p>
      <p><code data-testid="pseudonym">${this.device.pseudonymToday(Date.now())}</code></p>
    `;
  }
}

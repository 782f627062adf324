/**
 * `<bt-clinic-view>` (#/clinic, from Settings "Diagnostician mode"). Locked: a key file input
 * and its passphrase ("Open key file"); the engine opens the file in the worker (scrypt, a few
 * seconds: a busy message meanwhile) and refuses a key that is not a certified diagnostician on
 * this device's chain. Unlocked: 1. "Show a new clinic code" (QR with a fresh challenge, valid 10
 * minutes, one patient); 2. scan the patient's consent code (camera or "Choose a QR image"); the
 * engine checks it; the diagnostician sets onset and lookback and endorses → a diagnosis is
 * published; "Leave diagnostician mode" forgets the key. The key never reaches the page.
 * @example html`<bt-clinic-view .state=${s} .client=${c}></bt-clinic-view>`
 * @module
 */
import { html } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import type { ConsentCheck } from '../protocol.ts';
import type { Day } from '../../core/types.ts';
import { i18n } from '../i18n/index.ts';
import { ViewBase } from './view-base.ts';
import { dayTime, msg } from './dates.ts';
import { refusalText } from './qr-parts.ts';
import './qr-parts.ts';

const UNLOCK_ERRORS: Record<string, 'clinic.wrongPass' | 'clinic.badFile' | 'clinic.wrongRole' | 'clinic.notCertified'> = {
  wrong_passphrase: 'clinic.wrongPass', bad_key_file: 'clinic.badFile', wrong_role: 'clinic.wrongRole', not_certified: 'clinic.notCertified',
};

@customElement('bt-clinic-view')
export class ClinicView extends ViewBase {
  @state() private busy = false;
  @state() private said = '';
  @state() private error = '';
  @state() private code: { text: string; expiresAt: number } | null = null;
  @state() private consent: { text: string; check: ConsentCheck } | null = null;
  @state() private onset: Day | null = null;
  @state() private lookback = 0;

  private async unlock(ev: Event): Promise<void> {
    ev.preventDefault();
    const form = ev.target as HTMLFormElement;
    const file = (form.elements.namedItem('keyfile') as HTMLInputElement).files?.[0];
    const pass = form.elements.namedItem('passphrase') as HTMLInputElement;
    this.error = '';
    if (!file) {
      this.error = i18n.t('clinic.badFile');
      return;
    }
    this.busy = true;
    this.said = i18n.t('clinic.opening');
    try {
      await this.client!.send({ type: 'clinic-unlock', keyFile: await file.text(), passphrase: pass.value });
      this.said = '';
    } catch (e) {
      this.said = '';
      const key = UNLOCK_ERRORS[(e as { code?: string }).code ?? ''];
      this.error = key ? i18n.t(key) : refusalText(e, 'published');
    } finally {
      pass.value = '';
      this.busy = false;
    }
  }

  private async newCode(): Promise<void> {
    this.error = '';
    try {
      this.code = await this.client!.send<{ text: string; expiresAt: number }>({ type: 'clinic-code' });
    } catch (e) {
      this.code = null;
      this.error = refusalText(e, 'published');
    }
  }

  private async onConsent(text: string): Promise<void> {
    this.error = '';
    this.said = i18n.t('clinic.checking');
    try {
      const check = await this.client!.send<ConsentCheck>({ type: 'clinic-check', text });
      this.consent = { text, check };
      this.onset = check.days[check.days.length - 1];
      this.lookback = check.lookback;
      this.said = '';
    } catch (e) {
      this.said = '';
      this.error = refusalText(e, 'published');
      this.renderRoot.querySelector('bt-qr-scan')?.reset();
    }
  }

  private async endorse(): Promise<void> {
    const c = this.consent;
    if (!c || this.onset === null) return;
    this.busy = true;
    this.error = '';
    try {
      const r = await this.client!.send<{ days: Day[] }>({ type: 'clinic-endorse', text: c.text, onset: this.onset, lookback: this.lookback });
      this.said = i18n.t('clinic.endorsed', { count: i18n.number(r.days.length) });
      this.consent = null;
      this.code = null;
    } catch (e) {
      this.error = refusalText(e, 'published');
    } finally {
      this.busy = false;
    }
  }

  private reject(): void {
    this.consent = null;
    this.said = '';
    this.renderRoot.querySelector('bt-qr-scan')?.reset();
  }

  private async leave(): Promise<void> {
    await this.send({ type: 'clinic-leave' });
    this.code = null;
    this.consent = null;
    this.said = '';
  }

  private locked() {
    return html`<p>${i18n.t('clinic.intro')}</p>
      <form class="card" @submit=${(e: Event) => void this.unlock(e)}>
        <div class="field"><label for="keyfile">${i18n.t('clinic.keyFile')}</label>
          <input id="keyfile" name="keyfile" type="file" accept=".key,.json,application/json" required></div>
        <div class="field"><label for="passphrase">${i18n.t('clinic.passphrase')}</label>
          <input id="passphrase" name="passphrase" type="password" autocomplete="current-password" required></div>
        <button type="submit" ?disabled=${this.busy} aria-busy=${this.busy ? 'true' : 'false'}>${i18n.t('clinic.unlock')}</button>
      </form>`;
  }

  private consentForm(c: { text: string; check: ConsentCheck }) {
    return html`<p>${i18n.t('clinic.proven', { count: i18n.number(c.check.days.length) })}</p>
      <ul>${c.check.days.map((d) => html`<li>${dayTime(d)}</li>`)}</ul>
      <div class="field"><label for="onset">${i18n.t('clinic.onset')}</label>
        <select id="onset" @change=${(e: Event) => { this.onset = Number((e.target as HTMLSelectElement).value); }}>
          ${c.check.days.map((d) => html`<option value=${d} ?selected=${d === this.onset}>${i18n.dayLong(d)}</option>`)}
        </select></div>
      <div class="field"><label for="lookback">${i18n.t('clinic.lookback')}</label>
        <input id="lookback" type="number" min="0" max=${c.check.lookback} .value=${String(this.lookback)}
          @change=${(e: Event) => { this.lookback = Math.max(0, Math.min(c.check.lookback, Number((e.target as HTMLInputElement).value) || 0)); }}></div>
      <div class="actions">
        <button ?disabled=${this.busy} @click=${() => void this.endorse()}>${i18n.t('clinic.endorse')}</button>
        <button class="secondary" @click=${() => this.reject()}>${i18n.t('clinic.reject')}</button>
      </div>`;
  }

  private unlocked() {
    const cl = this.state.clinic!;
    return html`<p class="note">${i18n.t('clinic.as', { name: cl.name })}</p>
      <section class="card"><h2>${i18n.t('clinic.codeTitle')}</h2>
        <div class="actions"><button @click=${() => void this.newCode()}>${i18n.t('clinic.newCode')}</button></div>
        ${this.code ? html`<bt-qr-show .text=${this.code.text} label=${i18n.t('clinic.qrLabel')}></bt-qr-show>
          <p>${msg('clinic.validUntil', { time: html`<time datetime=${new Date(this.code.expiresAt).toISOString()}>${i18n.time(this.code.expiresAt)}</time>` })}</p>` : ''}
      </section>
      <section class="card"><h2>${i18n.t('clinic.scanTitle')}</h2>
        ${this.consent ? this.consentForm(this.consent) : html`<bt-qr-scan @qr=${(e: CustomEvent<string>) => void this.onConsent(e.detail)}></bt-qr-scan>`}
      </section>
      <div class="actions"><button class="secondary" @click=${() => void this.leave()}>${i18n.t('clinic.leave')}</button></div>`;
  }

  override render() {
    return html`<h1 tabindex="-1">${i18n.t('clinic.title')}</h1>
      ${this.state.clinic ? this.unlocked() : this.locked()}
      <p role="status" aria-live="polite">${this.said}</p>
      <p class="error" role="alert">${this.error}</p>`;
  }
}

declare global {
  interface HTMLElementTagNameMap { 'bt-clinic-view': ClinicView }
}

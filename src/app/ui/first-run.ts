/**
 * `<bt-first-run>`: offers elder mode ("Easy mode", a way of showing things, saved at once so the
 * rest of the first run is already large), then explains, before asking anything else, what is recorded, what leaves the device
 * and who can read what (DESIGN §2 in plain words); then the choices (language, precision, upload
 * policy); then location permission asked in context, with the honest note that a browser records
 * only while the app is open. Ends with the 'finish-first-run' intent. With `review` it only shows
 * the explanation again (from Settings).
 * @example html`<bt-first-run .state=${s} .client=${c} .services=${sv}></bt-first-run>`
 * @module
 */
import { html, css } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { Lang, PrecisionChoice, UploadPolicy } from '../protocol.ts';
import { i18n } from '../i18n/index.ts';
import { ViewBase } from './view-base.ts';
import { base } from './styles.ts';
import { langChoices, precisionChoices, uploadChoices } from './choices.ts';
import { geoMessage } from './geo-message.ts';
import { elderSwitch } from './elder.ts';

@customElement('bt-first-run')
export class FirstRun extends ViewBase {
  static override styles = [base, css`
    .who li { margin-block-end: 0.4rem; }
  `];
  /** Only the explanation, for reading it again. */
  @property({ type: Boolean }) review = false;
  @state() private precision: PrecisionChoice = '10m';
  @state() private uploadPolicy: UploadPolicy = 'asap';
  @state() private error = '';
  /** Why Easy mode was not saved (shown under its switch, which turned back). */
  @state() private elderError = '';
  @state() private busy = false;

  private explanation() {
    return html`
      <section class="card" aria-labelledby="fr-rec"><h2 id="fr-rec">${i18n.t('first.recordedTitle')}</h2>
        <p>${i18n.t('first.recorded')}</p></section>
      <section class="card" aria-labelledby="fr-leaves"><h2 id="fr-leaves">${i18n.t('first.leavesTitle')}</h2>
        <p>${i18n.t('first.leaves')}</p></section>
      <section class="card" aria-labelledby="fr-who"><h2 id="fr-who">${i18n.t('first.whoTitle')}</h2>
        <ul class="who">
          <li>${i18n.t('first.whoPublic')}</li>
          <li>${i18n.t('first.whoSolver')}</li>
          <li>${i18n.t('first.whoClinic')}</li>
          <li>${i18n.t('first.whoYou')}</li>
        </ul></section>`;
  }

  private async allowLocation() {
    await this.services?.geo.start();
    this.requestUpdate();
  }

  private async saveElder(elder: boolean): Promise<boolean> {
    const r = await this.send({ type: 'set-settings', settings: { elder } });
    this.elderError = r.ok ? '' : r.message;
    return r.ok;
  }

  private async finish() {
    this.busy = true;
    const r = await this.send({ type: 'finish-first-run', precision: this.precision, uploadPolicy: this.uploadPolicy, lang: i18n.lang as Lang });
    this.busy = false;
    this.error = r.ok ? '' : r.message;
  }

  override render() {
    if (this.review) {
      return html`<h1 tabindex="-1">${i18n.t('first.title')}</h1>
        <p>${i18n.t('first.intro')}</p>
        ${this.explanation()}
        <p><a href="#/settings">${i18n.t('first.back')}</a></p>`;
    }
    const geo = this.services?.geo.state ?? 'idle';
    // On a first visit the shell shows this before the engine is ready (the text needs no engine),
    // even before the boot has read the configuration and set the client: what sends intents
    // waits for the engine (Easy mode only for the client, whose intents queue until the engine runs).
    const ready = this.state.ready && !!this.client;
    return html`<h1 tabindex="-1">${i18n.t('first.title')}</h1>
      <p>${i18n.t('first.intro')}</p>
      <div class="card">${elderSwitch(this.state.settings.elder === true, (elder) => this.saveElder(elder), !this.client)}
        ${this.elderError ? html`<p class="error" role="alert">${this.elderError}</p>` : ''}</div>
      ${this.explanation()}
      <section class="card" aria-labelledby="fr-choices"><h2 id="fr-choices">${i18n.t('first.choicesTitle')}</h2>
        <p class="help">${i18n.t('first.choicesIntro')}</p>
        ${langChoices(i18n.lang, (l) => { i18n.setLang(l).catch((e: unknown) => console.warn('BeepTrace: language not loaded:', e)); })}
        ${precisionChoices(this.precision, (p) => { this.precision = p; })}
        ${uploadChoices(this.uploadPolicy, (u) => { this.uploadPolicy = u; })}
      </section>
      <section class="card" aria-labelledby="fr-loc"><h2 id="fr-loc">${i18n.t('first.locTitle')}</h2>
        <p>${i18n.t('first.locText')}</p>
        <p class="note">${i18n.t('first.locHonest')}</p>
        ${geo === 'watching'
          ? html`<p>${i18n.t('first.locWatching')}</p>`
          : html`<div class="actions"><button class="secondary" ?disabled=${!ready} @click=${this.allowLocation}>${i18n.t('first.locButton')}</button></div>`}
        ${geoMessage(geo)}
      </section>
      ${this.error ? html`<p class="error">${this.error}</p>` : ''}
      <div class="actions"><button ?disabled=${this.busy || !ready} @click=${this.finish}>${i18n.t('first.finish')}</button></div>`;
  }
}

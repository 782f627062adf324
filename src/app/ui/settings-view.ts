/**
 * `<bt-settings-view>` (#/settings): elder mode ("Easy mode"), precision, upload policy and language (each change is saved
 * at once with 'set-settings'), and a link to read the first-run explanation again.
 * @example html`<bt-settings-view .state=${s} .client=${c}></bt-settings-view>`
 * @module
 */
import { html } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import type { Settings } from '../protocol.ts';
import { i18n } from '../i18n/index.ts';
import { ViewBase } from './view-base.ts';
import { langChoices, precisionChoices, uploadChoices } from './choices.ts';
import { elderSwitch } from './elder.ts';

@customElement('bt-settings-view')
export class SettingsView extends ViewBase {
  @state() private said = '';

  /** Saves one change; says "Saved" or why not (the control turns back: choices.ts `OnChoice`). */
  private async save(settings: Partial<Settings>): Promise<boolean> {
    // the new language's dictionary loads while the engine stores the choice; "Saved" is said in it
    const shown = settings.lang ? i18n.setLang(settings.lang).catch((e: unknown) => console.warn('BeepTrace: language not loaded:', e)) : null;
    const r = await this.send({ type: 'set-settings', settings });
    await shown;
    this.said = r.ok ? i18n.t('settings.saved') : r.message;
    return r.ok;
  }

  override render() {
    const s = this.state.settings;
    return html`<h1 tabindex="-1">${i18n.t('settings.title')}</h1>
      <section class="card">
        ${elderSwitch(s.elder === true, (elder) => this.save({ elder }))}
        ${precisionChoices(s.precision, (precision) => this.save({ precision }))}
        ${uploadChoices(s.uploadPolicy, (uploadPolicy) => this.save({ uploadPolicy }))}
        ${langChoices(s.lang, (lang) => this.save({ lang }))}
        <p aria-live="polite">${this.said}</p>
      </section>
      <p><a href="#/welcome">${i18n.t('settings.again')}</a></p>
      ${s.elder ? html`<p><a href="#/care">${i18n.t('nav.care')}</a></p>` /* easy mode's navigation has Status and Settings only */ : ''}
      <p><a href="#/clinic">${i18n.t('settings.clinic')}</a></p>`;
  }
}

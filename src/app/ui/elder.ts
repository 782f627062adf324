/**
 * Elder mode ("Easy mode" on screen; docs/APP.md §Elder mode): its on/off switch, shared by the
 * first run and Settings, and what the shell does when it is on. The mode is the setting
 * `settings.elder`; the shell reflects it as the attribute `elder` (high-contrast tokens and large
 * targets, src/app/ui/styles.ts `elderTokens`) and sets the root text size to 125 %, so every view,
 * sized in rem, grows without being rewritten. The status view then shows only the status and one
 * action; the navigation only Status and Settings. Nothing in the app goes away by itself, in any mode.
 * @example html`${elderSwitch(s.settings.elder === true, (elder) => save({ elder }))}`
 * @module
 */
import { html, type TemplateResult } from 'lit';
import { i18n } from '../i18n/index.ts';
import { keepIfSaved, type OnChoice } from './choices.ts';

/** Root text size in elder mode (the user's own browser text size times this). */
export const ELDER_TEXT = '125%';

/**
 * The switch: a check box with role "switch", named "Easy mode" (in the current language), its
 * explanation linked by aria-describedby; `disabled` while there is no engine client to send to.
 * When `onChange` resolves to false (not saved), the switch turns back.
 * @example elderSwitch(false, (on) => client.send({ type: 'set-settings', settings: { elder: on } }))
 */
export function elderSwitch(on: boolean, onChange: OnChoice<boolean>, disabled = false): TemplateResult {
  return html`<div class="choice elder-switch">
    <input type="checkbox" role="switch" id="elder" .checked=${on} ?disabled=${disabled} aria-describedby="elder-help"
      @change=${(e: Event) => { const box = e.target as HTMLInputElement; keepIfSaved(onChange(box.checked), () => { box.checked = on; }); }} />
    <div><label for="elder">${i18n.t('elder.switch')}</label>
      <span class="help" id="elder-help">${i18n.t('elder.help')}</span></div>
  </div>`;
}

/**
 * Apply elder mode to the document: the root text size (rem everywhere follows it). Called by the
 * shell whenever the setting changes; restores the browser's own size when off.
 * @example applyElderText(document.documentElement, true)
 */
export function applyElderText(root: HTMLElement, on: boolean): void {
  if (on) root.style.setProperty('font-size', ELDER_TEXT);
  else if (root.style.getPropertyValue('font-size') === ELDER_TEXT) root.style.removeProperty('font-size');
}

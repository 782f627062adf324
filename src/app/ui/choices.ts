/**
 * The radio groups shared by the first run and Settings: precision, upload policy, language.
 * Each radio's accessible name is exactly its label ("About 10 m"); the explanation is linked by
 * aria-describedby, so screen readers read it and tests can find the radio by name.
 * @example html`${precisionChoices('10m', (p) => save({ precision: p }))}`
 * @module
 */
import { html, type TemplateResult } from 'lit';
import type { Lang, PrecisionChoice, UploadPolicy } from '../protocol.ts';
import { i18n, LANGS, LANG_NAMES, type MessageKey } from '../i18n/index.ts';

interface Option<T extends string> { value: T; label: MessageKey; help?: MessageKey }

/**
 * What a control does with a change. When it saves the change it may say whether that worked: a
 * promise of false (not saved) turns the control back to the value it showed, so it never shows a
 * choice that was not kept (the caller says why).
 * @example const save: OnChoice<Lang> = async (lang) => (await send({ type: 'set-settings', settings: { lang } })).ok;
 */
export type OnChoice<T> = (v: T) => void | Promise<boolean>;

/**
 * Runs `onChange(v)`; if it resolves to false, calls `turnBack`.
 * @example keepIfSaved(onChange(true), () => { input.checked = false; })
 */
export function keepIfSaved(saving: void | Promise<boolean>, turnBack: () => void): void {
  if (saving) void saving.then((ok) => { if (!ok) turnBack(); }, turnBack);
}

/** For a radio's change event: a function that checks the group's radio of `value` again (the one shown before). */
const turnBackTo = (value: string) => (e: Event) => () => {
  for (const i of (e.target as HTMLElement).closest('fieldset')?.querySelectorAll('input') ?? []) i.checked = i.value === value;
};

function radios<T extends string>(name: string, legend: string, options: Option<T>[], value: T, onChange: OnChoice<T>): TemplateResult {
  const turnBack = turnBackTo(value);
  return html`<fieldset>
    <legend>${legend}</legend>
    ${options.map((o) => {
      const id = `${name}-${o.value}`;
      return html`<div class="choice">
        <input type="radio" id=${id} name=${name} .value=${o.value} .checked=${o.value === value}
          aria-describedby=${o.help ? `${id}-help` : ''}
          @change=${(e: Event) => keepIfSaved(onChange(o.value), turnBack(e))} />
        <div><label for=${id}>${i18n.t(o.label)}</label>
          ${o.help ? html`<span class="help" id=${`${id}-help`}>${i18n.t(o.help)}</span>` : ''}</div>
      </div>`;
    })}
  </fieldset>`;
}

/** Precision radios: "Exact", "About 10 m", "About 100 m". @example precisionChoices('10m', (p) => save({ precision: p })) */
export function precisionChoices(value: PrecisionChoice, onChange: OnChoice<PrecisionChoice>): TemplateResult {
  return radios<PrecisionChoice>('precision', i18n.t('precision.legend'), [
    { value: 'exact', label: 'precision.exact', help: 'precision.exactHelp' },
    { value: '10m', label: 'precision.10m', help: 'precision.10mHelp' },
    { value: '100m', label: 'precision.100m', help: 'precision.100mHelp' },
  ], value, onChange);
}

/** Upload policy radios: "As soon as possible", "Only when charging and on Wi-Fi". @example uploadChoices('asap', (u) => save({ uploadPolicy: u })) */
export function uploadChoices(value: UploadPolicy, onChange: OnChoice<UploadPolicy>): TemplateResult {
  return radios<UploadPolicy>('upload', i18n.t('upload.legend'), [
    { value: 'asap', label: 'upload.asap', help: 'upload.asapHelp' },
    { value: 'charging-wifi', label: 'upload.chargingWifi', help: 'upload.chargingWifiHelp' },
  ], value, onChange);
}

/** Language radios, each language named in itself (with its own lang attribute). @example langChoices(i18n.lang, (l) => { void i18n.setLang(l); }) */
export function langChoices(value: Lang, onChange: OnChoice<Lang>): TemplateResult {
  const turnBack = turnBackTo(value);
  return html`<fieldset>
    <legend>${i18n.t('lang.legend')}</legend>
    ${LANGS.map((l) => html`<div class="choice">
      <input type="radio" id=${`lang-${l}`} name="lang" .value=${l} .checked=${l === value} @change=${(e: Event) => keepIfSaved(onChange(l), turnBack(e))} />
      <label for=${`lang-${l}`} lang=${l}>${LANG_NAMES[l]}</label>
    </div>`)}
  </fieldset>`;
}

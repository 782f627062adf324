/**
 * What both pairing screens share — Family and care (care-view.ts) and the wearable page
 * (wearable-view.ts): the six digits to compare, and a failed pairing in words (docs/VIEWS.md).
 * @example html`${pairingDigits('123456')}<p>${pairingFailText('second_sender', '')}</p>`
 * @module
 */
import { html, type TemplateResult } from 'lit';
import { i18n, type MessageKey } from '../i18n/index.ts';

const FAILED: Record<string, MessageKey> = {
  expired: 'care.failExpired', second_sender: 'care.failSecond', not_confirmed: 'care.failNotConfirmed', bad_grant: 'care.failBadGrant',
  offline: 'care.failOffline', bad_code: 'care.failBadCode', wrong_mode: 'care.failWrongMode', no_pairing: 'care.failNoPairing',
};

/** A pairing's failure in words, by the engine's code (else the message). @example pairingFailText('second_sender', '…') */
export function pairingFailText(code: string | undefined, message: string): string {
  const key = code ? FAILED[code] : undefined;
  return key ? i18n.t(key) : i18n.t('common.failed', { reason: message });
}

/** The six digits, large (the page's `.digits` style), and spelled out for screen readers. @example pairingDigits('042917') */
export function pairingDigits(sas: string): TemplateResult {
  return html`<p class="digits"><span aria-hidden="true">${sas.slice(0, 3)} ${sas.slice(3)}</span><span class="visually-hidden">${i18n.t('care.digitsLabel', { digits: sas.split('').join(' ') })}</span></p>`;
}

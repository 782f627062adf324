/**
 * `<bt-care-view>` (#/care): "Family and care" (docs/VIEWS.md). Two lists and one pairing panel:
 *
 * - "People you look after": each dependent's status in words, when the app last heard from
 *   their device (its last sync and upload), or that they ended the access; "Stop looking after",
 *   asked first (a dependent in custody: their keys are deleted for good; no backup holds them).
 * - "People who look after you": each guardian, and "End access" (the watch key rotates: they see
 *   nothing from today on, and are told).
 * - Pairing: "Look after someone" / "Keep someone's keys" show a code (this device receives);
 *   "Let someone look after me" scans their code (this device sends). Both screens then show six
 *   digits; the person names the other and presses "They match", or "They differ".
 *
 * It renders `state.care` and sends intents; the pairing runs in the engine (care-relay.ts).
 * @example html`<bt-care-view .state=${s} .client=${c}></bt-care-view>`
 * @module
 */
import { html, css, nothing, type PropertyValues } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import type { DependentState, GuardianState, PairingProgress } from '../protocol.ts';
import { i18n, type MessageKey } from '../i18n/index.ts';
import { ViewBase } from './view-base.ts';
import { base } from './styles.ts';
import { dayTime, momentTime, msg } from './dates.ts';
import './qr-parts.ts';

const FAILED: Record<string, MessageKey> = {
  expired: 'care.failExpired', second_sender: 'care.failSecond', not_confirmed: 'care.failNotConfirmed', bad_grant: 'care.failBadGrant',
  offline: 'care.failOffline', bad_code: 'care.failBadCode',
};

@customElement('bt-care-view')
export class CareView extends ViewBase {
  static override styles = [base, css`
    .digits { font-size: 2.5rem; font-weight: 700; letter-spacing: 0.15em; font-variant-numeric: tabular-nums; margin: 0.5rem 0; direction: ltr; unicode-bidi: isolate; }
    ul.people { list-style: none; padding: 0; margin: 0; display: grid; gap: 0.75rem; }
    ul.people > li { border: 1px solid var(--bt-border); border-radius: 0.5rem; padding: 0.75rem; }
    .who { font-weight: 700; font-size: 1.1rem; }
    .level-high, .level-low { font-weight: 700; }
    .hint { color: var(--bt-muted); }
  `];
  @state() private scanning = false;
  @state() private label = '';
  @state() private said = '';
  @state() private confirmEnd: string | null = null;
  /** The dependent whose "Stop looking after" waits for a confirmation. */
  @state() private confirmStop: string | null = null;

  private get pairing(): PairingProgress | null {
    return this.state.care?.pairing ?? null;
  }

  private async start(mode: 'watch' | 'custody'): Promise<void> {
    this.said = '';
    this.label = '';
    try {
      await this.client!.send({ type: 'pair-start', mode });
    } catch (e) {
      this.said = this.failText((e as { code?: string }).code, (e as Error).message);
    }
  }

  private async scanned(text: string): Promise<void> {
    if (this.pairing) return; // a pairing is under way: a second reading of the code changes nothing
    this.label = '';
    try {
      await this.client!.send({ type: 'pair-scan', offerText: text });
      this.scanning = false;
    } catch (e) {
      this.said = this.failText((e as { code?: string }).code, (e as Error).message);
      this.renderRoot.querySelector('bt-qr-scan')?.reset();
    }
  }

  private failText(code: string | undefined, message: string): string {
    const key = code ? FAILED[code] : undefined;
    return key ? i18n.t(key) : i18n.t('common.failed', { reason: message });
  }

  private async match(): Promise<void> {
    if (!this.label.trim()) {
      this.said = i18n.t('care.nameNeeded');
      (this.renderRoot.querySelector('#other-name') as HTMLInputElement | null)?.focus();
      return;
    }
    this.said = '';
    const r = await this.send({ type: 'pair-confirm', label: this.label.trim() });
    if (!r.ok) this.said = r.message;
  }

  private async cancel(): Promise<void> {
    this.scanning = false;
    this.said = '';
    await this.send({ type: 'pair-cancel' });
  }

  private async endAccess(g: GuardianState): Promise<void> {
    const r = await this.send<{ fromDay: number }>({ type: 'end-guardian', id: g.id });
    this.confirmEnd = null;
    this.said = r.ok ? i18n.t('care.ended', { name: g.label, date: i18n.dayLong(r.value.fromDay) }) : r.message;
  }

  private async stopLooking(d: DependentState): Promise<void> {
    const r = await this.send({ type: 'remove-dependent', id: d.id });
    this.confirmStop = null;
    this.said = r.ok ? i18n.t('care.removed', { name: d.label }) : r.message;
  }

  private renderPairing(p: PairingProgress) {
    switch (p.stage) {
      case 'connecting':
        return html`<p>${i18n.t('care.connecting')}</p><div class="actions"><button class="secondary" @click=${() => void this.cancel()}>${i18n.t('care.cancel')}</button></div>`;
      case 'show-code':
        return html`<p>${i18n.t('care.showCode')}</p>
          <bt-qr-show .text=${p.offerText} label=${i18n.t('care.qrLabel')}></bt-qr-show>
          <p>${msg('care.expires', { time: momentTime(p.expires) })}</p>
          <div class="actions"><button class="secondary" @click=${() => void this.cancel()}>${i18n.t('care.cancel')}</button></div>`;
      case 'compare':
        return html`<p>${i18n.t('care.compare')}</p>
          <p class="digits"><span aria-hidden="true">${p.sas.slice(0, 3)} ${p.sas.slice(3)}</span><span class="visually-hidden">${i18n.t('care.digitsLabel', { digits: p.sas.split('').join(' ') })}</span></p>
          <div class="field"><label for="other-name">${i18n.t(p.role === 'receiver' ? 'care.nameOfDependent' : 'care.nameOfGuardian')}</label>
            <input id="other-name" autocomplete="off" maxlength="60" .value=${this.label} @input=${(e: Event) => { this.label = (e.target as HTMLInputElement).value; }}></div>
          <div class="actions">
            <button @click=${() => void this.match()}>${i18n.t('care.match')}</button>
            <button class="secondary" @click=${() => void this.cancel()}>${i18n.t('care.differ')}</button>
          </div>`;
      case 'waiting':
        return html`<p class="digits"><span aria-hidden="true">${p.sas.slice(0, 3)} ${p.sas.slice(3)}</span><span class="visually-hidden">${i18n.t('care.digitsLabel', { digits: p.sas.split('').join(' ') })}</span></p><p>${i18n.t('care.waiting')}</p>
          <div class="actions"><button class="secondary" @click=${() => void this.cancel()}>${i18n.t('care.cancel')}</button></div>`;
      case 'done':
        return html`<p>${i18n.t(p.role === 'receiver' ? 'care.doneReceiver' : 'care.doneSender', { name: p.label })}</p>
          <div class="actions"><button @click=${() => void this.cancel()}>${i18n.t('care.ok')}</button></div>`;
      case 'failed':
        return html`<p>${this.failText(p.code, p.message)}</p>
          <div class="actions"><button @click=${() => void this.cancel()}>${i18n.t('care.ok')}</button></div>`;
    }
  }

  private renderDependent(d: DependentState) {
    const level = html`<span class=${`level-${d.status}`}>${i18n.t(`status.${d.status}` as MessageKey)}</span>`;
    return html`<li>
      <p class="who">${d.label}</p>
      ${d.endedFrom !== null
        ? html`<p>${msg('care.accessEnded', { date: dayTime(d.endedFrom) })}</p>`
        : html`<p>${level}${d.alerts.length && d.status !== 'none' ? html` — ${msg('care.exposedOn', { date: dayTime(d.alerts[0].day) })}` : nothing}</p>`}
      <p>${d.mode === 'custody' ? i18n.t('care.modeCustody') : i18n.t('care.modeWatch')}</p>
      <p>${msg('care.lastHeard', { time: momentTime(d.lastHeardAt) })}</p>
      <p>${d.lastSyncAt !== null ? msg('care.lastSync', { time: momentTime(d.lastSyncAt) }) : i18n.t('care.noSync')}</p>
      <p>${d.lastUploadAt !== null ? msg('care.lastUpload', { time: momentTime(d.lastUploadAt) }) : i18n.t('care.noUpload')}</p>
      ${d.mode === 'custody' && d.consent?.status === 'recorded' ? html`<p role="status">${i18n.t('care.reportedFor', { name: d.label })}</p>` : nothing}
      <div class="actions">${d.mode === 'custody' && d.endedFrom === null ? html`<a href=${`#/positive?for=${encodeURIComponent(d.id)}`}>${i18n.t('care.reportFor', { name: d.label })}</a>` : nothing}${this.confirmStop === d.id ? nothing : html`<button class="secondary" data-ask=${d.id} aria-label=${i18n.t('care.stopFor', { name: d.label })} @click=${() => { this.confirmEnd = null; this.confirmStop = d.id; }}>${i18n.t('care.stop')}</button>`}</div>
      ${this.confirmStop === d.id
        // Custody keys are deleted for good (a backup does not hold them): said, and asked, first.
        ? this.confirmation(i18n.t(d.mode === 'custody' ? 'care.stopExplainCustody' : 'care.stopExplainWatch', { name: d.label }),
          i18n.t('care.stopConfirm'), () => void this.stopLooking(d), i18n.t('care.keepLooking'), () => { this.confirmStop = null; })
        : nothing}
    </li>`;
  }

  /**
   * A question before an action that cannot be undone: what it does, then "yes" and "keep". A group
   * named by its explanation; the keyboard's focus moves to "keep" (the safe answer) when it opens.
   * One is open at a time (its ids are fixed).
   */
  private confirmation(explain: string, yes: string, onYes: () => void, keep: string, onKeep: () => void) {
    return html`<div class="confirm" role="group" aria-labelledby="confirm-text">
      <p id="confirm-text">${explain}</p>
      <div class="actions"><button @click=${onYes}>${yes}</button>
      <button class="secondary keep" @click=${onKeep}>${keep}</button></div></div>`;
  }

  /** Focus follows a question: into it when it opens, back to the button that asked when it is kept. */
  override updated(changed: PropertyValues): void {
    for (const k of ['confirmStop', 'confirmEnd'] as const) {
      if (!changed.has(k)) continue;
      const was = changed.get(k) as string | null | undefined;
      if (this[k]) this.renderRoot.querySelector<HTMLElement>('.confirm .keep')?.focus();
      else if (was && !this.confirmStop && !this.confirmEnd) this.renderRoot.querySelector<HTMLElement>(`[data-ask="${CSS.escape(was)}"]`)?.focus();
    }
  }

  private renderGuardian(g: GuardianState) {
    return html`<li>
      <p class="who">${g.label}</p>
      <p>${g.mode === 'custody' ? i18n.t('care.theyHoldKeys') : i18n.t('care.theySeeStatus')} ${msg('care.since', { time: momentTime(g.pairedAt) })}</p>
      ${g.endedFrom !== null
        ? html`<p>${msg('care.accessEnded', { date: dayTime(g.endedFrom) })}</p>`
        : this.confirmEnd === g.id
          ? this.confirmation(i18n.t('care.endExplain', { name: g.label }),
            i18n.t('care.endConfirm'), () => void this.endAccess(g), i18n.t('care.keep'), () => { this.confirmEnd = null; })
          : html`<div class="actions"><button class="secondary" data-ask=${g.id} aria-label=${i18n.t('care.endFor', { name: g.label })} @click=${() => { this.confirmStop = null; this.confirmEnd = g.id; }}>${i18n.t('care.end')}</button></div>`}
    </li>`;
  }

  override render() {
    const care = this.state.care ?? { dependents: [], guardians: [], pairing: null };
    const p = this.pairing;
    return html`<h1 tabindex="-1">${i18n.t('care.title')}</h1>
      <p>${i18n.t('care.intro')}</p>
      ${p
        ? html`<section class="card" aria-labelledby="pair-h"><h2 id="pair-h">${i18n.t('care.pairTitle')}</h2>${this.renderPairing(p)}</section>`
        : this.scanning
          ? html`<section class="card" aria-labelledby="scan-h"><h2 id="scan-h">${i18n.t('care.scanTitle')}</h2>
              <p>${i18n.t('care.scanIntro')}</p>
              <bt-qr-scan @qr=${(e: CustomEvent<string>) => void this.scanned(e.detail)}></bt-qr-scan>
              <div class="actions"><button class="secondary" @click=${() => { this.scanning = false; }}>${i18n.t('care.cancel')}</button></div></section>`
          : nothing}
      <p role="status" aria-live="polite">${this.said}</p>
      <section class="card" aria-labelledby="dep-h">
        <h2 id="dep-h">${i18n.t('care.dependentsTitle')}</h2>
        ${care.dependents.length ? html`<ul class="people">${care.dependents.map((d) => this.renderDependent(d))}</ul>` : html`<p>${i18n.t('care.noDependents')}</p>`}
        <div class="actions">
          <button ?disabled=${!!p} @click=${() => void this.start('watch')}>${i18n.t('care.lookAfter')}</button>
          <button class="secondary" ?disabled=${!!p} @click=${() => void this.start('custody')}>${i18n.t('care.keepKeys')}</button>
        </div>
        <p class="hint">${i18n.t('care.lookAfterHint')}</p>
      </section>
      <section class="card" aria-labelledby="guard-h">
        <h2 id="guard-h">${i18n.t('care.guardiansTitle')}</h2>
        ${care.guardians.length ? html`<ul class="people">${care.guardians.map((g) => this.renderGuardian(g))}</ul>` : html`<p>${i18n.t('care.noGuardians')}</p>`}
        <div class="actions"><button ?disabled=${!!p || this.scanning} @click=${() => { this.scanning = true; this.said = ''; }}>${i18n.t('care.letLookAfter')}</button></div>
        <p class="hint">${i18n.t('care.letHint')}</p>
      </section>`;
  }
}

declare global {
  interface HTMLElementTagNameMap { 'bt-care-view': CareView }
}

/**
 * `<bt-care-view>` (#/care): "Family and care" (docs/VIEWS.md). Two lists and one pairing panel:
 *
 * - "People you look after": each dependent's status in words (kept after they ended the access:
 *   what was found stays), when the app last heard from their device (its last sync and upload),
 *   or that they ended the access; "Stop looking after", asked first (a dependent in custody: their
 *   keys are deleted for good; no backup holds them).
 * - "People who look after you": each guardian, and "End access": for a watch guardian, asked with
 *   the day it takes effect (today, or tomorrow once today's records left); for a guardian who keeps
 *   this device's keys, the reason it cannot be ended here and what to do instead.
 * - Pairing: "Look after someone" shows a code (this device will keep a watch key) and "Let someone
 *   look after me" scans it; "Let someone keep my keys" shows a code (a watch pairs so, by showing)
 *   and "Keep someone's keys" scans it. Both screens then show six digits; the person names the
 *   other and presses "They match", or "They differ". A code two devices answered is said spoiled
 *   on every screen involved.
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
import { dayTime, momentTime, msg, today } from './dates.ts';
import { pairingDigits, pairingFailText } from './pairing-parts.ts';
import './qr-parts.ts';

/** What a finished pairing says, by this device's role and the mode. */
const DONE: Record<PairingProgress['role'], Record<PairingProgress['mode'], MessageKey>> = {
  keeper: { watch: 'care.doneReceiver', custody: 'care.doneKeeperCustody' },
  holder: { watch: 'care.doneSender', custody: 'care.doneHolderCustody' },
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
  /** The scanner is open: to be looked after (a watch code) or to keep someone's keys (a custody code). */
  @state() private scanning: false | 'watch' | 'custody' = false;
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
    this.scanning = false;
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
      await this.client!.send({ type: 'pair-scan', offerText: text, mode: this.scanning || undefined });
      this.scanning = false;
    } catch (e) {
      this.said = this.failText((e as { code?: string }).code, (e as Error).message);
      this.renderRoot.querySelector('bt-qr-scan')?.reset();
    }
  }

  private failText(code: string | undefined, message: string): string {
    return pairingFailText(code, message);
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

  /** The day an access ended (or ends): past tense up to today, future after. */
  private endedLine(day: number) {
    return day > today() ? msg('care.accessEnds', { date: dayTime(day) }) : msg('care.accessEnded', { date: dayTime(day) });
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
        return html`<p>${i18n.t(p.mode === 'custody' ? 'care.showCodeCustody' : 'care.showCode')}</p>
          <bt-qr-show .text=${p.offerText} label=${i18n.t('care.qrLabel')}></bt-qr-show>
          <p>${msg('care.expires', { time: momentTime(p.expires) })}</p>
          <div class="actions"><button class="secondary" @click=${() => void this.cancel()}>${i18n.t('care.cancel')}</button></div>`;
      case 'compare':
        return html`<p>${i18n.t('care.compare')}</p>
          ${pairingDigits(p.sas)}
          <div class="field"><label for="other-name">${i18n.t(p.role === 'keeper' ? 'care.nameOfDependent' : 'care.nameOfGuardian')}</label>
            <input id="other-name" autocomplete="off" maxlength="60" .value=${this.label} @input=${(e: Event) => { this.label = (e.target as HTMLInputElement).value; }}></div>
          <div class="actions">
            <button @click=${() => void this.match()}>${i18n.t('care.match')}</button>
            <button class="secondary" @click=${() => void this.cancel()}>${i18n.t('care.differ')}</button>
          </div>`;
      case 'waiting':
        return html`${pairingDigits(p.sas)}<p>${i18n.t('care.waiting')}</p>
          <div class="actions"><button class="secondary" @click=${() => void this.cancel()}>${i18n.t('care.cancel')}</button></div>`;
      case 'done':
        return html`<p>${i18n.t(DONE[p.role][p.mode], { name: p.label })}</p>
          <div class="actions"><button @click=${() => void this.cancel()}>${i18n.t('care.ok')}</button></div>`;
      case 'failed':
        return html`<p role="alert">${this.failText(p.code, p.message)}</p>
          <div class="actions"><button @click=${() => void this.cancel()}>${i18n.t('care.ok')}</button></div>`;
    }
  }

  private renderDependent(d: DependentState) {
    const level = html`<span class=${`level-${d.status}`}>${i18n.t(`status.${d.status}` as MessageKey)}</span>`;
    // What was found stays shown after the dependent ended the access ("what they saw before stays with them").
    return html`<li>
      <p class="who">${d.label}</p>
      <p>${level}${d.alerts.length && d.status !== 'none' ? html` — ${msg('care.exposedOn', { date: dayTime(d.alerts[0].day) })}` : nothing}</p>
      ${d.endedFrom !== null ? html`<p>${msg('care.theyEnded', { date: dayTime(d.endedFrom) }, { name: d.label })}</p>` : nothing}
      <p>${d.mode === 'custody' ? i18n.t('care.modeCustody') : i18n.t('care.modeWatch')}</p>
      <p>${msg('care.lastHeard', { time: momentTime(d.lastHeardAt) })}</p>
      <p>${d.lastSyncAt !== null ? msg('care.lastSync', { time: momentTime(d.lastSyncAt) }) : i18n.t('care.noSync')}</p>
      <p>${d.lastUploadAt !== null ? msg('care.lastUpload', { time: momentTime(d.lastUploadAt) }) : i18n.t('care.noUpload')}</p>
      ${d.mode === 'custody' && d.consent?.status === 'recorded' ? html`<p role="status">${i18n.t('care.reportedFor', { name: d.label })}</p>` : nothing}
      <div class="actions">${d.mode === 'custody' && d.endedFrom === null ? html`<a href=${`#/positive?for=${encodeURIComponent(d.id)}`}>${i18n.t('care.reportFor', { name: d.label })}</a>` : nothing}${this.confirmStop === d.id ? nothing : html`<button class="secondary" data-ask=${d.id} aria-label=${i18n.t('care.stopFor', { name: d.label })} @click=${() => { this.confirmEnd = null; this.confirmStop = d.id; }}>${i18n.t('care.stop')}</button>`}</div>
      ${this.confirmStop === d.id
        // Custody keys are deleted for good (a backup does not hold them): said, and asked, first.
        ? this.confirmation(i18n.t(d.mode === 'custody' ? 'care.stopExplainCustody' : 'care.stopExplainWatch', { name: d.label }),
          html`<button @click=${() => void this.stopLooking(d)}>${i18n.t('care.stopConfirm')}</button>`, i18n.t('care.keepLooking'), () => { this.confirmStop = null; })
        : nothing}
    </li>`;
  }

  /**
   * A question before an action that cannot be undone: what it does, then the action (`yes`: a
   * button, or a link elsewhere) and "keep". A group named by its explanation; the keyboard's
   * focus moves to "keep" (the safe answer) when it opens. One is open at a time (its ids are fixed).
   */
  private confirmation(explain: string, yes: unknown, keep: string, onKeep: () => void) {
    return html`<div class="confirm" role="group" aria-labelledby="confirm-text">
      <p id="confirm-text">${explain}</p>
      <div class="actions">${yes}
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
    const endFrom = this.state.care?.endFrom ?? today();
    const ask = () => html`<div class="actions"><button class="secondary" data-ask=${g.id} aria-label=${i18n.t('care.endFor', { name: g.label })} @click=${() => { this.confirmStop = null; this.confirmEnd = g.id; }}>${i18n.t('care.end')}</button></div>`;
    const question = g.mode === 'custody'
      // A guardian who keeps this device's whole key: no rotation shuts them out. Said, with what to do instead.
      ? this.confirmation(i18n.t('care.endCustodyExplain', { name: g.label }), html`<a href="#/data">${i18n.t('care.goErase')}</a>`, i18n.t('care.keep'), () => { this.confirmEnd = null; })
      : this.confirmation(i18n.t('care.endExplain', { name: g.label, date: i18n.dayLong(endFrom) }),
        html`<button @click=${() => void this.endAccess(g)}>${i18n.t('care.endConfirm')}</button>`, i18n.t('care.keep'), () => { this.confirmEnd = null; });
    return html`<li>
      <p class="who">${g.label}</p>
      <p>${g.mode === 'custody' ? i18n.t('care.theyHoldKeys') : i18n.t('care.theySeeStatus')} ${msg('care.since', { time: momentTime(g.pairedAt) })}</p>
      ${g.endedFrom !== null ? html`<p>${this.endedLine(g.endedFrom)}</p>` : this.confirmEnd === g.id ? question : ask()}
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
              <p>${i18n.t(this.scanning === 'custody' ? 'care.scanIntroCustody' : 'care.scanIntro')}</p>
              <bt-qr-scan @qr=${(e: CustomEvent<string>) => void this.scanned(e.detail)}></bt-qr-scan>
              <div class="actions"><button class="secondary" @click=${() => { this.scanning = false; }}>${i18n.t('care.cancel')}</button></div></section>`
          : nothing}
      <p role="status" aria-live="polite">${this.said}</p>
      <section class="card" aria-labelledby="dep-h">
        <h2 id="dep-h">${i18n.t('care.dependentsTitle')}</h2>
        ${care.dependents.length ? html`<ul class="people">${care.dependents.map((d) => this.renderDependent(d))}</ul>` : html`<p>${i18n.t('care.noDependents')}</p>`}
        <div class="actions">
          <button ?disabled=${!!p} @click=${() => void this.start('watch')}>${i18n.t('care.lookAfter')}</button>
          <button class="secondary" ?disabled=${!!p || !!this.scanning} @click=${() => { this.scanning = 'custody'; this.said = ''; }}>${i18n.t('care.keepKeys')}</button>
        </div>
        <p class="hint">${i18n.t('care.lookAfterHint')}</p>
      </section>
      <section class="card" aria-labelledby="guard-h">
        <h2 id="guard-h">${i18n.t('care.guardiansTitle')}</h2>
        ${care.guardians.length ? html`<ul class="people">${care.guardians.map((g) => this.renderGuardian(g))}</ul>` : html`<p>${i18n.t('care.noGuardians')}</p>`}
        <div class="actions"><button ?disabled=${!!p || !!this.scanning} @click=${() => { this.scanning = 'watch'; this.said = ''; }}>${i18n.t('care.letLookAfter')}</button></div>
        <p class="hint">${i18n.t('care.letHint')}</p>
        <div class="actions"><button class="secondary" ?disabled=${!!p} @click=${() => void this.start('custody')}>${i18n.t('care.letKeep')}</button></div>
        <p class="hint">${i18n.t('care.letKeepHint')}</p>
      </section>`;
  }
}

declare global {
  interface HTMLElementTagNameMap { 'bt-care-view': CareView }
}

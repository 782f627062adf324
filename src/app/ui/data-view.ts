/**
 * `<bt-data-view>` (#/data): withdraw chosen days; "Erase everything on this device" behind a
 * confirmation that says what is lost (the keys too); export an encrypted backup (passphrase
 * twice → a file download) and import one (file + passphrase); every stored item and how long it
 * is kept.
 * @example html`<bt-data-view .state=${s} .client=${c}></bt-data-view>`
 * @module
 */
import { html } from 'lit';
import { customElement, state, query } from 'lit/decorators.js';
import type { Day } from '../../core/types.ts';
import { isoDay } from '../../core/types.ts';
import { i18n, type MessageKey } from '../i18n/index.ts';
import { ViewBase } from './view-base.ts';
import { dayTime } from './dates.ts';

/** Retention of each stored item (DESIGN §5: 14 days, the WHO window). */
const STORED: { item: MessageKey; days: number | null }[] = [
  { item: 'data.i.keys', days: null },
  { item: 'data.i.stays', days: 14 },
  { item: 'data.i.batches', days: 14 },
  { item: 'data.i.ledger', days: 14 },
  { item: 'data.i.alerts', days: null },
  { item: 'data.i.settings', days: null },
  { item: 'data.i.care', days: null },
];
const MIN_PASSPHRASE = 8;

@customElement('bt-data-view')
export class DataView extends ViewBase {
  @state() private chosen = new Set<Day>();
  @state() private withdrawSaid = '';
  @state() private exportSaid = '';
  @state() private importSaid = '';
  @query('#erase-dialog') private eraseDialog!: HTMLDialogElement;

  private toggle(day: Day, on: boolean) {
    const next = new Set(this.chosen);
    if (on) next.add(day); else next.delete(day);
    this.chosen = next;
  }

  private async withdraw() {
    if (this.chosen.size === 0) { this.withdrawSaid = i18n.t('data.withdrawPick'); return; }
    const r = await this.send<Day[]>({ type: 'withdraw', days: [...this.chosen].sort((a, b) => a - b) });
    if (r.ok) {
      this.withdrawSaid = i18n.t('data.withdrawn', { days: (r.value ?? [...this.chosen]).map((d) => i18n.dayLong(d)).join(', ') });
      this.chosen = new Set();
    } else this.withdrawSaid = r.message;
  }

  private async erase() {
    this.eraseDialog.close();
    await this.send({ type: 'erase' });
  }

  private value(id: string): string {
    return (this.renderRoot.querySelector(`#${id}`) as HTMLInputElement).value;
  }

  private async exportBackup(e: Event) {
    e.preventDefault();
    const p1 = this.value('pass1'), p2 = this.value('pass2');
    if (p1.length < MIN_PASSPHRASE) { this.exportSaid = i18n.t('data.passShort'); return; }
    if (p1 !== p2) { this.exportSaid = i18n.t('data.passMismatch'); return; }
    const r = await this.send<Uint8Array>({ type: 'export-backup', passphrase: p1 });
    if (!r.ok) { this.exportSaid = r.message; return; }
    const blob = new Blob([r.value as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = `beeptrace-backup-${isoDay(Math.floor(Date.now() / 86_400_000))}.bin`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
    (e.target as HTMLFormElement).reset();
    this.exportSaid = i18n.t('data.exported');
  }

  private async importBackup(e: Event) {
    e.preventDefault();
    const file = (this.renderRoot.querySelector('#file') as HTMLInputElement).files?.[0];
    if (!file) { this.importSaid = i18n.t('data.noFile'); return; }
    const bytes = new Uint8Array(await file.arrayBuffer());
    const r = await this.send({ type: 'import-backup', bytes, passphrase: this.value('ipass') });
    this.importSaid = r.ok ? i18n.t('data.imported') : r.message;
    if (r.ok) (e.target as HTMLFormElement).reset();
  }

  override render() {
    const sent = this.state.days.filter((d) => d.upload === 'sent' || d.upload === 'received' || d.upload === 'proven');
    return html`<h1 tabindex="-1">${i18n.t('data.title')}</h1>
      <section class="card" aria-labelledby="wd-h">
        <h2 id="wd-h">${i18n.t('data.withdrawTitle')}</h2>
        <p>${i18n.t('data.withdrawText')}</p>
        ${sent.length ? html`<fieldset><legend>${i18n.t('data.withdrawLegend')}</legend>
          ${sent.map((d) => html`<div class="choice">
            <input type="checkbox" id=${`wd-${d.day}`} .checked=${this.chosen.has(d.day)}
              @change=${(e: Event) => this.toggle(d.day, (e.target as HTMLInputElement).checked)} />
            <label for=${`wd-${d.day}`}>${dayTime(d.day)}</label></div>`)}
          </fieldset>
          <div class="actions"><button @click=${this.withdraw}>${i18n.t('data.withdraw')}</button></div>`
          : html`<p class="help">${i18n.t('data.withdrawNone')}</p>`}
        <p aria-live="polite">${this.withdrawSaid}</p>
      </section>

      <section class="card" aria-labelledby="ex-h">
        <h2 id="ex-h">${i18n.t('data.exportTitle')}</h2>
        <p>${i18n.t('data.exportText')}</p>
        <form @submit=${this.exportBackup}>
          <div class="field"><label for="pass1">${i18n.t('data.pass1')}</label>
            <input type="password" id="pass1" autocomplete="new-password" required minlength=${MIN_PASSPHRASE} /></div>
          <div class="field"><label for="pass2">${i18n.t('data.pass2')}</label>
            <input type="password" id="pass2" autocomplete="new-password" required minlength=${MIN_PASSPHRASE} /></div>
          <div class="actions"><button type="submit">${i18n.t('data.export')}</button></div>
        </form>
        <p aria-live="polite">${this.exportSaid}</p>
      </section>

      <section class="card" aria-labelledby="im-h">
        <h2 id="im-h">${i18n.t('data.importTitle')}</h2>
        <p>${i18n.t('data.importText')}</p>
        <form @submit=${this.importBackup}>
          <div class="field"><label for="file">${i18n.t('data.file')}</label><input type="file" id="file" /></div>
          <div class="field"><label for="ipass">${i18n.t('data.importPass')}</label>
            <input type="password" id="ipass" autocomplete="current-password" required /></div>
          <div class="actions"><button type="submit" class="secondary">${i18n.t('data.import')}</button></div>
        </form>
        <p aria-live="polite">${this.importSaid}</p>
      </section>

      <section class="card" aria-labelledby="st-h">
        <h2 id="st-h">${i18n.t('data.storedTitle')}</h2>
        <table>
          <thead><tr><th scope="col">${i18n.t('data.item')}</th><th scope="col">${i18n.t('data.kept')}</th></tr></thead>
          <tbody>${STORED.map((s) => html`<tr><td>${i18n.t(s.item)}</td>
            <td>${s.days === null ? i18n.t('data.k.untilErase') : i18n.t('data.k.days', { n: i18n.number(s.days) })}</td></tr>`)}</tbody>
        </table>
      </section>

      <section class="card" aria-labelledby="er-h">
        <h2 id="er-h">${i18n.t('data.eraseTitle')}</h2>
        <p>${i18n.t('data.eraseText')}</p>
        <div class="actions"><button class="danger" @click=${() => this.eraseDialog.showModal()}>${i18n.t('data.erase')}</button></div>
      </section>
      <dialog id="erase-dialog" aria-labelledby="erd-h" aria-describedby="erd-t">
        <h2 id="erd-h">${i18n.t('data.eraseConfirmTitle')}</h2>
        <p id="erd-t">${i18n.t('data.eraseConfirmText')}</p>
        <div class="actions">
          <button class="secondary" @click=${() => this.eraseDialog.close()}>${i18n.t('common.cancel')}</button>
          <button class="danger" @click=${this.erase}>${i18n.t('data.eraseConfirm')}</button>
        </div>
      </dialog>`;
  }
}

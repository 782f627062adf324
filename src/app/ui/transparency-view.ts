/**
 * `<bt-transparency-view>` (#/transparency): the public audit of the authority, counted by this
 * device from the blocks its own ledger verified (the 'transparency' intent; nothing from a
 * server's summary, so it works offline from the synced chain). Cases per diagnostician per day,
 * notification tag sets per solver per day, self-reports, withdrawals, checkpoint signatures per
 * validator, the latest checkpoints, certificates and revocations. Each chart is an inline SVG
 * (role="img", its name summarises it) followed by a real table with its numbers. Keys are named
 * by a short fingerprint and their certificate (name, region, validity).
 * @example html`<bt-transparency-view .state=${s} .client=${c}></bt-transparency-view>`
 * @module
 */
import { html, css, svg, type PropertyValues } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { fingerprint, type CertificateRow, type TransparencySummary } from '../../core/ledger/transparency.ts';
import { Chain, type Day } from '../../core/types.ts';
import { i18n, type MessageKey } from '../i18n/index.ts';
import { ViewBase } from './view-base.ts';
import { base } from './styles.ts';
import { dayTime, today } from './dates.ts';

/** Days each chart covers, ending today. */
const WINDOW_DAYS = 14;
const ROLE: Record<CertificateRow['role'], MessageKey> = { diagnostician: 'tr.r.diagnostician', solver: 'tr.r.solver', validator: 'tr.r.validator' };

@customElement('bt-transparency-view')
export class TransparencyView extends ViewBase {
  static override styles = [base, css`
    svg.chart { display: block; inline-size: 100%; block-size: auto; max-block-size: 12rem; margin-block-end: 0.5rem; }
    svg.chart .bar { fill: var(--bt-primary); }
    svg.chart .axis { stroke: var(--bt-border-strong); stroke-width: 1; }
    svg.chart text { fill: var(--bt-text); font-size: 11px; font-family: inherit; }
    .key { font-family: ui-monospace, monospace; font-size: 0.9em; white-space: nowrap; }
    /* Whole words in the tables: a table wider than the screen scrolls inside its own region. */
    .table-wrap td, .table-wrap th[scope='row'] { min-inline-size: 4rem; }
    .sub { display: block; color: var(--bt-muted); font-size: 0.9em; }
  `];
  @state() private summary: TransparencySummary | null = null;
  @state() private error = '';
  #asked = '';

  protected override willUpdate(changed: PropertyValues<this>): void {
    // Ask again whenever the chains grew (a new block may change a count) or a checkpoint arrived.
    const n = this.state.network;
    const key = `${!!this.client}|${n.chains.map((c) => `${c.chain}:${c.have}`).join()}|${n.lastCheckpoint?.toSec ?? ''}`;
    if ((changed.has('state') || changed.has('client')) && key !== this.#asked && this.client) {
      this.#asked = key;
      void this.load();
    }
  }

  private async load(): Promise<void> {
    const r = await this.send<TransparencySummary>({ type: 'transparency' });
    if (r.ok) {
      this.summary = r.value;
      this.error = '';
    } else this.error = r.message;
  }

  override render() {
    const s = this.summary;
    return html`<h1 tabindex="-1">${i18n.t('tr.title')}</h1>
      <p>${i18n.t('tr.intro')}</p>
      ${this.error ? html`<p class="error">${this.error}</p>` : ''}
      ${!s ? html`<p>${i18n.t('tr.loading')}</p>` : this.sections(s)}`;
  }

  private sections(s: TransparencySummary) {
    const tracing = s.chains.includes(Chain.TRACING);
    const days = windowDays();
    const who = (hex: string, role: CertificateRow['role']) => this.who(s, hex, role);
    const thin = html`<p class="note">${i18n.t('tr.thinNote')} <a href="#/network">${i18n.t('tr.goNetwork')}</a></p>`;
    return html`
      <section class="card" aria-labelledby="ca-h">
        <h2 id="ca-h">${i18n.t('tr.casesTitle')}</h2>
        ${tracing ? html`
          ${chart('tr.m.cases', days, perDay(s.cases, (r) => r.cases))}
          ${table('tr.casesCaption', ['tr.day', 'tr.cases', 'tr.caseDays', 'tr.diagnostician'], [...s.cases].reverse().map((r) => [dayTime(r.day, true), num(r.cases), num(r.caseDays), who(r.signer, 'diagnostician')]))}` : thin}
      </section>
      <section class="card" aria-labelledby="ts-h">
        <h2 id="ts-h">${i18n.t('tr.tagsTitle')}</h2>
        ${chart('tr.m.sets', days, perDay(s.tagSets, (r) => r.sets))}
        ${table('tr.tagsCaption', ['tr.day', 'tr.sets', 'tr.tags', 'tr.solver'], [...s.tagSets].reverse().map((r) => [dayTime(r.day, true), num(r.sets), num(r.tags), who(r.signer, 'solver')]))}
      </section>
      <section class="card" aria-labelledby="sr-h">
        <h2 id="sr-h">${i18n.t('tr.selfTitle')}</h2>
        ${tracing ? html`
          ${chart('tr.m.self', days, perDay(s.selfReports, (r) => r.count))}
          ${table('tr.selfCaption', ['tr.day', 'tr.count'], [...s.selfReports].reverse().map((r) => [dayTime(r.day, true), num(r.count)]))}` : thin}
      </section>
      <section class="card" aria-labelledby="wd-h">
        <h2 id="wd-h">${i18n.t('tr.wdTitle')}</h2>
        ${tracing ? html`
          ${chart('tr.m.wd', days, perDay(s.withdrawals, (r) => r.count))}
          ${table('tr.wdCaption', ['tr.day', 'tr.count'], [...s.withdrawals].reverse().map((r) => [dayTime(r.day, true), num(r.count)]))}` : thin}
      </section>
      <section class="card" aria-labelledby="cp-h">
        <h2 id="cp-h">${i18n.t('tr.cpTitle')}</h2>
        ${chart('tr.m.sigs', days, perDay(s.signatures, (r) => r.count))}
        ${table('tr.sigCaption', ['tr.day', 'tr.signatures', 'tr.validator'], [...s.signatures].reverse().map((r) => [dayTime(r.day, true), num(r.count), who(r.signer, 'validator')]))}
        ${table(i18n.t('tr.recentCaption', { shown: i18n.number(s.checkpoints.length), total: i18n.number(s.checkpointCount) }), ['tr.interval', 'tr.blocks', 'tr.signers', 'tr.final'],
          s.checkpoints.map((c) => [
            html`${i18n.dateTime(c.fromTime * 1000)} – ${i18n.time(c.toTime * 1000)}<span class="sub">${i18n.t(c.chain === Chain.TRACING ? 'net.c.tracing' : 'net.c.notification')}</span>`,
            num(c.size),
            html`${c.signers.map((v) => html`<span class="key sub">${fingerprint(v)}</span>`)}`,
            i18n.t(c.final ? 'tr.yes' : 'tr.no'),
          ]))}
      </section>
      <section class="card" aria-labelledby="ce-h">
        <h2 id="ce-h">${i18n.t('tr.certTitle')}</h2>
        ${table('tr.certCaption', ['tr.key', 'tr.role', 'tr.region', 'tr.valid', 'tr.status'], s.certificates.map((c) => [
          html`<span dir="auto">${c.name}</span><span class="key sub">${fingerprint(c.subject)}</span>`, i18n.t(ROLE[c.role]), region(c.region),
          i18n.t('tr.validRange', { from: day(c.notBefore), until: day(c.notAfter) }), certStatus(c),
        ]))}
        ${table('tr.revCaption', ['tr.key', 'tr.revokedAt', 'tr.reason'], s.revocations.map((r) => [html`<span class="key">${fingerprint(r.subject)}</span>`, date(r.revokedAt), num(r.reason)]))}
      </section>`;
  }

  /** A key by its fingerprint and, if the authority certified it for this role, its certificate. */
  private who(s: TransparencySummary, hex: string, role: CertificateRow['role']) {
    const cert = s.certificates.filter((c) => c.subject === hex && c.role === role).sort((a, b) => b.notAfter - a.notAfter)[0];
    const key = html`<span class="key">${fingerprint(hex)}</span>`;
    if (!cert) return key;
    return html`${key}<span class="sub"><span dir="auto">${cert.name}</span>, ${i18n.t('tr.whoCert', { region: region(cert.region), until: day(cert.notAfter) })}${cert.revokedAt !== null ? html`, ${certStatus(cert)}` : ''}</span>`;
  }
}

function num(n: number): string {
  return i18n.number(n);
}

/** A moment in seconds as a medium date and time. */
function date(sec: number): string {
  return i18n.dateTime(sec * 1000);
}

/** A moment in seconds as a date only ("30 Nov 2026"). */
function day(sec: number): string {
  return new Intl.DateTimeFormat(i18n.locale, { dateStyle: 'medium' }).format(sec * 1000);
}

function region(r: number): string {
  return r === 0xffff ? i18n.t('tr.anyRegion') : i18n.number(r);
}

function certStatus(c: CertificateRow): string {
  const now = Date.now() / 1000;
  if (c.revokedAt !== null) return i18n.t('tr.s.revoked', { date: date(c.revokedAt) });
  if (now < c.notBefore) return i18n.t('tr.s.notYet');
  if (now >= c.notAfter) return i18n.t('tr.s.expired');
  return i18n.t('tr.s.valid');
}

/** The chart window: the last WINDOW_DAYS UTC days, oldest first. */
function windowDays(): Day[] {
  const t = today();
  return Array.from({ length: WINDOW_DAYS }, (_, i) => t - WINDOW_DAYS + 1 + i);
}

/** Sum a value over rows per day. */
function perDay<T extends { day: Day }>(rows: T[], value: (r: T) => number): Map<Day, number> {
  const m = new Map<Day, number>();
  for (const r of rows) m.set(r.day, (m.get(r.day) ?? 0) + value(r));
  return m;
}

/**
 * A bar per day, drawn left to right (oldest first) in every language. Its accessible name says
 * what it shows and the totals; the table after it has every number.
 */
function chart(what: MessageKey, days: Day[], values: Map<Day, number>) {
  const v = days.map((d) => values.get(d) ?? 0);
  const total = v.reduce((a, b) => a + b, 0);
  const max = Math.max(0, ...v);
  const peak = max > 0 ? days[v.indexOf(max)] : null;
  const name = i18n.t(peak === null ? 'tr.chartEmpty' : 'tr.chartName', {
    what: i18n.t(what), n: i18n.number(days.length), total: i18n.number(total), max: i18n.number(max), day: peak === null ? '' : i18n.dayLong(peak),
  });
  const W = 24;
  const H = 100;
  const top = 16;
  const width = days.length * W + 8;
  const dayNum = new Intl.DateTimeFormat(i18n.locale, { day: 'numeric', timeZone: 'UTC' });
  return html`<svg class="chart" role="img" aria-label=${name} viewBox="0 0 ${width} ${H + top + 20}" dir="ltr" preserveAspectRatio="xMinYMin meet">
    ${days.map((d, i) => {
      const h = max ? Math.round((v[i] / max) * H) : 0;
      const x = 4 + i * W;
      return svg`<rect class="bar" x=${x + 3} y=${top + H - h} width=${W - 6} height=${h}></rect>
        ${v[i] ? svg`<text x=${x + W / 2} y=${top + H - h - 3} text-anchor="middle">${i18n.number(v[i])}</text>` : ''}
        <text x=${x + W / 2} y=${top + H + 14} text-anchor="middle">${dayNum.format(d * 86_400_000)}</text>`;
    })}
    <line class="axis" x1="2" x2=${width - 2} y1=${top + H + 0.5} y2=${top + H + 0.5}></line>
  </svg>`;
}

/** A table with a caption and column headers, in its own scrollable region; "None yet." when empty. */
function table(caption: MessageKey | string, cols: MessageKey[], rows: unknown[][]) {
  const cap = caption.startsWith('tr.') ? i18n.t(caption as MessageKey) : caption;
  if (!rows.length) return html`<p><strong>${cap}</strong>: ${i18n.t('tr.none')}</p>`;
  return html`<div class="table-wrap" role="region" tabindex="0" aria-label=${cap}><table>
    <caption>${cap}</caption>
    <thead><tr>${cols.map((c) => html`<th scope="col">${i18n.t(c)}</th>`)}</tr></thead>
    <tbody>${rows.map((r) => html`<tr>${r.map((cell, i) => (i === 0 ? html`<th scope="row">${cell}</th>` : html`<td class=${typeof cell === 'string' && /^[\d\s.,٠-٩٬٫]+$/.test(cell) ? 'num' : ''}>${cell}</td>`))}</tr>`)}</tbody>
  </table></div>`;
}


declare global {
  interface HTMLElementTagNameMap { 'bt-transparency-view': TransparencyView }
}

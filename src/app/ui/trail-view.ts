/**
 * `<bt-trail-view>` (#/trail): the user's own stays of a chosen day, drawn on this device with a
 * lit `svg` template (no third-party map tiles: they would leak where the user was), circles sized
 * by the stay's radius, numbered like the rows of the table below (the accessible alternative),
 * with a scale bar; a day picker; "Delete this day" behind a confirmation.
 * The stays come from the engine's 'trail' reply; they never leave the page.
 * @example html`<bt-trail-view .state=${s} .client=${c}></bt-trail-view>`
 * @module
 */
import { html, svg, css, type PropertyValues } from 'lit';
import { customElement, state, query } from 'lit/decorators.js';
import type { Day, Stay } from '../../core/types.ts';
import { i18n } from '../i18n/index.ts';
import { ViewBase } from './view-base.ts';
import { base } from './styles.ts';
import { dayTime } from './dates.ts';
import { projectStays } from './trail-geometry.ts';

const W = 320, H = 240;

@customElement('bt-trail-view')
export class TrailView extends ViewBase {
  static override styles = [base, css`
    .map { display: block; inline-size: 100%; max-inline-size: 30rem; block-size: auto; background: var(--bt-map);
      border: 1px solid var(--bt-border); border-radius: 0.5rem;
      direction: ltr; /* a drawing of the ground: east stays on the right in every language */ }
    .stay { fill: color-mix(in srgb, var(--bt-primary) 25%, transparent); stroke: var(--bt-primary); stroke-width: 2; }
    .path { fill: none; stroke: var(--bt-muted); stroke-width: 1.5; stroke-dasharray: 4 3; }
    .label { fill: var(--bt-text); font-size: 12px; font-weight: 700; }
    .bar { stroke: var(--bt-text); stroke-width: 3; }
    .bartext { fill: var(--bt-text); font-size: 12px; }
  `];
  @state() private day: Day | null = null;
  @state() private stays: Stay[] | null = null;
  @state() private said = '';
  @query('dialog') private dialog!: HTMLDialogElement;
  #loadedFor = '';

  private days(): Day[] {
    const ds = this.state.days.map((d) => d.day);
    return ds.length ? ds : [];
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    const ds = this.days();
    if (this.day === null || !ds.includes(this.day)) this.day = ds[0] ?? null;
    // Reload when the day changes or its stays do (a stay closed, the day was deleted).
    const summary = this.state.days.find((d) => d.day === this.day);
    const key = `${this.day}:${summary?.stays ?? 0}:${summary?.coveredMinutes ?? 0}`;
    if (this.day !== null && key !== this.#loadedFor && this.client) {
      this.#loadedFor = key;
      const day = this.day;
      void this.send<Stay[]>({ type: 'trail', day }).then((r) => {
        if (this.day === day) this.stays = r.ok ? r.value : [];
        if (!r.ok) this.said = r.message;
      });
    }
    void changed;
  }

  private async confirmDelete() {
    this.dialog.close();
    if (this.day === null) return;
    const r = await this.send({ type: 'delete-day', day: this.day });
    this.said = r.ok ? i18n.t('trail.deleted') : r.message;
    this.#loadedFor = '';
    this.requestUpdate();
  }

  private drawing(day: Day, stays: Stay[]) {
    const g = projectStays(stays.filter((s) => !s.venue), W, H);
    const label = i18n.t('trail.mapLabel', { count: i18n.number(stays.length), day: i18n.dayLong(day) });
    const x0 = 12, y0 = H - 14;
    return html`<svg class="map" viewBox="0 0 ${W} ${H}" role="img" aria-label=${label}>
      ${g.points.length > 1 ? svg`<polyline class="path" points=${g.points.map((p) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ')} />` : ''}
      ${g.points.map((p) => svg`<circle class="stay" cx=${p.x.toFixed(1)} cy=${p.y.toFixed(1)} r=${p.r.toFixed(1)} />`)}
      ${g.points.map((p, i) => svg`<text class="label" x=${(p.x + p.r + 2).toFixed(1)} y=${(p.y + 4).toFixed(1)}>${i18n.number(i + 1)}</text>`)}
      <line class="bar" x1=${x0} y1=${y0} x2=${(x0 + g.scale.units).toFixed(1)} y2=${y0} />
      <line class="bar" x1=${x0} y1=${y0 - 5} x2=${x0} y2=${y0 + 1} />
      <line class="bar" x1=${(x0 + g.scale.units).toFixed(1)} y1=${y0 - 5} x2=${(x0 + g.scale.units).toFixed(1)} y2=${y0 + 1} />
      <text class="bartext" x=${x0} y=${y0 - 8}>${i18n.distance(g.scale.metres)}</text>
    </svg>`;
  }

  private table(day: Day, stays: Stay[]) {
    const t = (min: number) => html`<time datetime=${new Date(min * 60_000).toISOString()}>${i18n.time(min * 60_000)}</time>`;
    const caption = i18n.t('trail.caption', { day: i18n.dayLong(day) });
    return html`<div class="table-wrap" role="region" tabindex="0" aria-label=${caption}><table>
      <caption>${caption}</caption>
      <thead><tr><th scope="col">${i18n.t('trail.n')}</th><th scope="col">${i18n.t('trail.from')} – ${i18n.t('trail.to')}</th>
        <th scope="col">${i18n.t('trail.length')}</th><th scope="col">${i18n.t('trail.radius')}</th></tr></thead>
      <tbody>${stays.map((s, i) => html`<tr><td>${i18n.number(i + 1)}</td><td class="num">${t(s.start)}–${t(s.start + s.minutes)}</td>
        <td>${i18n.duration(s.minutes, true)}</td><td>${s.venue ? '—' : i18n.distance(s.radius)}</td></tr>`)}</tbody>
    </table></div>`;
  }

  override render() {
    const ds = this.days();
    const day = this.day;
    const stays = this.stays;
    return html`<h1 tabindex="-1">${i18n.t('trail.title')}</h1>
      <p>${i18n.t('trail.intro')}</p>
      ${day === null ? html`<p>${i18n.t('trail.noDays')}</p>` : html`
        <div class="field">
          <label for="day">${i18n.t('trail.day')}</label>
          <select id="day" @change=${(e: Event) => { this.day = Number((e.target as HTMLSelectElement).value); this.stays = null; this.said = ''; }}>
            ${ds.map((d) => html`<option value=${d} ?selected=${d === day}>${i18n.dayLong(d)}</option>`)}
          </select>
        </div>
        <section class="card" aria-labelledby="tr-day">
          <h2 id="tr-day">${dayTime(day)}</h2>
          ${stays === null ? html`<p>${i18n.t('trail.loading')}</p>`
            : stays.length === 0 ? html`<p>${i18n.t('trail.none')}</p>`
            : html`${this.drawing(day, stays)}${this.table(day, stays)}`}
          <div class="actions"><button class="danger" @click=${() => this.dialog.showModal()}>${i18n.t('trail.delete')}</button></div>
          <p aria-live="polite">${this.said}</p>
        </section>
        <dialog aria-labelledby="del-h">
          <h2 id="del-h">${i18n.t('trail.deleteTitle', { day: i18n.dayLong(day) })}</h2>
          <p>${i18n.t('trail.deleteText')}</p>
          <div class="actions">
            <button class="secondary" @click=${() => this.dialog.close()}>${i18n.t('common.cancel')}</button>
            <button class="danger" @click=${this.confirmDelete}>${i18n.t('trail.deleteConfirm')}</button>
          </div>
        </dialog>`}`;
  }
}

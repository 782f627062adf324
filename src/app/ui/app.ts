/**
 * `<beeptrace-app>`: the shell. A header, the navigation landmark ("Status", "Trail", "My data",
 * "Network", "Settings" as hash routes #/status …), the current view in <main>, and the banners:
 * "New version — reload" when an update waits, "open in another tab" when this tab mirrors the
 * leader, "offline". Until the user is onboarded it shows the first run instead.
 *
 * It receives the engine and the page services as properties (set by src/app/main.ts):
 * @example
 * const app = document.querySelector('beeptrace-app')!;
 * app.services = services; app.client = client;
 * @module
 */
import { LitElement, html, css, type PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { initialState, type Alert, type AppState, type EngineClient } from '../protocol.ts';
import type { PageServices } from '../page/services.ts';
import { i18n, LocaleController, pickLang, type MessageKey } from '../i18n/index.ts';
import { base, tokens } from './styles.ts';
import { dayTime, msg } from './dates.ts';
import './first-run.ts';
import './status-view.ts';
import './trail-view.ts';
import './data-view.ts';
import './network-view.ts';
import './settings-view.ts';

/** The hash routes of the app. */
export type Route = 'status' | 'trail' | 'data' | 'network' | 'settings' | 'welcome' | ConsentRoute;
/** The views that pass QR codes (diagnosis, self-report, family and care): loaded on first visit, with the QR code library. */
type ConsentRoute = 'positive' | 'report' | 'clinic' | 'care';
const CONSENT_VIEWS: Record<ConsentRoute, () => Promise<unknown>> = {
  positive: () => import('./positive-view.ts'),
  report: () => import('./report-view.ts'),
  clinic: () => import('./clinic-view.ts'),
  care: () => import('./care-view.ts'),
};
const NAV: { route: Exclude<Route, 'welcome'>; label: MessageKey }[] = [
  { route: 'status', label: 'nav.status' },
  { route: 'trail', label: 'nav.trail' },
  { route: 'data', label: 'nav.data' },
  { route: 'network', label: 'nav.network' },
  { route: 'care', label: 'nav.care' },
  { route: 'settings', label: 'nav.settings' },
];

/** The route of a location hash ("#/trail" → 'trail'); unknown → 'status'. @example routeOf('#/data') === 'data' */
export function routeOf(hash: string): Route {
  const r = hash.replace(/^#\/?/, '');
  return (['status', 'trail', 'data', 'network', 'settings', 'welcome', 'positive', 'report', 'clinic', 'care'] as const).find((x) => x === r) ?? 'status';
}

@customElement('beeptrace-app')
export class BeepTraceApp extends LitElement {
  static override styles = [tokens, base, css`
    :host { display: block; min-block-size: 100vh; background: var(--bt-bg); }
    header { background: var(--bt-surface); border-block-end: 1px solid var(--bt-border); }
    .bar { max-inline-size: 48rem; margin-inline: auto; padding-inline: 1rem; padding-block: 0.5rem 0; }
    .brand { font-weight: 700; font-size: 1.2rem; margin: 0; }
    .tagline { margin: 0; color: var(--bt-muted); font-size: 0.95rem; }
    nav ul { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: 0.25rem; }
    nav a { display: inline-flex; align-items: center; min-block-size: 2.75rem; padding-inline: 0.6rem;
      text-decoration: none; color: var(--bt-text); border-block-end: 3px solid transparent; font-weight: 600; }
    nav a[aria-current='page'] { border-block-end-color: var(--bt-primary); color: var(--bt-link); }
    main { max-inline-size: 48rem; margin-inline: auto; padding: 1rem; }
    @media (max-width: 30rem) { main { padding-inline: 0.5rem; } .bar { padding-inline: 0.5rem; } }
    main:focus { outline: none; }
    .banner.alert { border-inline-start: 6px solid var(--bt-danger); }
    .banner { background: var(--bt-banner); border: 1px solid var(--bt-border-strong); border-radius: 0.5rem;
      padding: 0.75rem; margin-block-end: 1rem; display: flex; flex-wrap: wrap; gap: 0.75rem; align-items: center; }
    .banner p { margin: 0; flex: 1 1 14rem; }
  `];

  @property({ attribute: false }) client: EngineClient | null = null;
  @property({ attribute: false }) services: PageServices | null = null;
  @state() private appState: AppState = initialState();
  @state() private route: Route = routeOf(location.hash);
  @state() private rev = 0;
  /** A new exposure found while the app is open: told even when the status already says at risk. */
  @state() private newAlert: Alert | null = null;
  readonly #locale = new LocaleController(this);
  #offClient: (() => void) | null = null;
  #offEvents: (() => void) | null = null;
  #offServices: (() => void) | null = null;
  #appliedLang: string | null = null;
  #onHash = () => { this.route = routeOf(location.hash); };

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('hashchange', this.#onHash);
    if (this.#appliedLang === null) i18n.setLang(pickLang(navigator.languages ?? [navigator.language]));
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('hashchange', this.#onHash);
    this.#offClient?.(); this.#offClient = null;
    this.#offEvents?.(); this.#offEvents = null;
    this.#offServices?.(); this.#offServices = null;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('client')) {
      this.#offClient?.();
      this.#offEvents?.();
      this.#offClient = this.client ? this.client.subscribe((s) => { this.appState = s; }) : null;
      this.#offEvents = this.client ? this.client.onEvent((e) => {
        if (e.type === 'new-exposure') this.newAlert = e.alert;
        if (e.type === 'erased') { this.newAlert = null; location.hash = '#/status'; }
      }) : null;
    }
    if (changed.has('services')) {
      this.#offServices?.();
      this.#offServices = this.services ? this.services.subscribe(() => { this.rev++; }) : null;
    }
    // The stored language rules once the user chose it; before that the first run picks it.
    const s = this.appState;
    if (s.onboarded && s.settings.lang !== this.#appliedLang) {
      this.#appliedLang = s.settings.lang;
      i18n.setLang(s.settings.lang);
    }
  }

  protected override updated(changed: PropertyValues): void {
    if (changed.has('route') && changed.get('route') !== undefined) {
      // Move focus to the new view's heading, so keyboard and screen-reader users land on it.
      void this.updateComplete.then(() => {
        const view = this.renderRoot.querySelector('main > *') as HTMLElement | null;
        const h1 = view?.shadowRoot?.querySelector('h1') as HTMLElement | null;
        (h1 ?? this.renderRoot.querySelector('main') as HTMLElement | null)?.focus();
      });
    }
  }

  private banners() {
    const sv = this.services;
    const na = this.newAlert;
    return html`
      ${na ? html`<div class="banner alert"><p>${msg('shell.newExposure', { day: dayTime(na.day) })}
          ${this.route === 'status' ? '' : html` <a href="#/status">${i18n.t('shell.seeStatus')}</a>`}</p>
        <button class="secondary" @click=${() => { this.newAlert = null; }}>${i18n.t('shell.dismiss')}</button></div>` : ''}
      ${sv?.update.waiting ? html`<div class="banner"><p>${i18n.t('shell.update')}</p>
        <button @click=${() => sv.update.reload()}>${i18n.t('shell.reload')}</button></div>` : ''}
      ${sv && !sv.tabs.leader ? html`<div class="banner"><p>${i18n.t('shell.mirror')}</p></div>` : ''}
      ${sv && !sv.conditions.online ? html`<div class="banner"><p>${i18n.t('shell.offline')}</p></div>` : ''}`;
  }

  private view() {
    const s = this.appState;
    if (s.fatal) return html`<p class="error">${i18n.t('shell.fatal', { reason: s.fatal })}</p>`;
    if (!s.ready) return html`<p>${i18n.t('shell.starting')}</p>`;
    const p = { state: s, client: this.client, services: this.services, rev: this.rev };
    if (!s.onboarded) return html`<bt-first-run .state=${p.state} .client=${p.client} .services=${p.services} .rev=${p.rev}></bt-first-run>`;
    switch (this.route) {
      case 'welcome': return html`<bt-first-run .state=${p.state} .client=${p.client} .services=${p.services} .rev=${p.rev} review></bt-first-run>`;
      case 'trail': return html`<bt-trail-view .state=${p.state} .client=${p.client} .services=${p.services} .rev=${p.rev}></bt-trail-view>`;
      case 'data': return html`<bt-data-view .state=${p.state} .client=${p.client} .services=${p.services} .rev=${p.rev}></bt-data-view>`;
      case 'network': return html`<bt-network-view .state=${p.state} .client=${p.client} .services=${p.services} .rev=${p.rev}></bt-network-view>`;
      case 'positive': void CONSENT_VIEWS.positive(); return html`<bt-positive-view .state=${p.state} .client=${p.client} .services=${p.services} .rev=${p.rev}></bt-positive-view>`;
      case 'report': void CONSENT_VIEWS.report(); return html`<bt-report-view .state=${p.state} .client=${p.client} .services=${p.services} .rev=${p.rev}></bt-report-view>`;
      case 'clinic': void CONSENT_VIEWS.clinic(); return html`<bt-clinic-view .state=${p.state} .client=${p.client} .services=${p.services} .rev=${p.rev}></bt-clinic-view>`;
      case 'care': void CONSENT_VIEWS.care(); return html`<bt-care-view .state=${p.state} .client=${p.client} .services=${p.services} .rev=${p.rev}></bt-care-view>`;
      case 'settings': return html`<bt-settings-view .state=${p.state} .client=${p.client} .services=${p.services} .rev=${p.rev}></bt-settings-view>`;
      default: return html`<bt-status-view .state=${p.state} .client=${p.client} .services=${p.services} .rev=${p.rev}></bt-status-view>`;
    }
  }

  override render() {
    const s = this.appState;
    const showNav = s.ready && s.onboarded && !s.fatal;
    const current = this.route === 'welcome' || this.route === 'clinic' ? 'settings' : this.route === 'positive' || this.route === 'report' ? 'status' : this.route;
    return html`
      <header>
        <div class="bar">
          <p class="brand">${i18n.t('app.name')}</p>
          <p class="tagline">${i18n.t('app.tagline')}</p>
          ${showNav ? html`<nav aria-label=${i18n.t('nav.label')}><ul>
            ${NAV.map((n) => html`<li><a href=${`#/${n.route}`} aria-current=${current === n.route ? 'page' : 'false'}>${i18n.t(n.label)}</a></li>`)}
          </ul></nav>` : html`<div style="block-size: 0.5rem"></div>`}
        </div>
      </header>
      <main id="main" tabindex="-1">${this.banners()}${this.view()}</main>`;
  }
}

declare global {
  interface HTMLElementTagNameMap { 'beeptrace-app': BeepTraceApp }
}

/**
 * `<beeptrace-app>`: the shell. A header, the navigation landmark ("Status", "Trail", "My data",
 * "Network", "Settings" as hash routes #/status …), the current view in <main>, and the banners:
 * "New version — reload" when an update waits, "open in another tab" when this tab mirrors the
 * leader, "offline". Until the user is onboarded it shows the first run instead. In elder mode
 * (`settings.elder`, src/app/ui/elder.ts) it carries the attribute `elder` and its navigation
 * offers only Status and Settings (the other routes still open by their address).
 *
 * Each route's view is its own chunk, loaded the first time the route shows (`VIEWS` in ./routes.ts:
 * route → element tag and `import()`), so a page load evaluates only the shell and the view on
 * screen. While the engine starts, the boot (src/app/main.ts) already loads the current route's
 * view and the first run (one of the two shows once the engine is ready; on a first visit only
 * the first run).
 *
 * It fires `first-view` (an Event, once) when it first shows the engine's state in a view (on a
 * first visit: the first run, which needs no engine), or why it cannot; the boot (src/app/main.ts)
 * starts the network and the service worker after that, and on a first visit the engine too.
 *
 * It receives the engine and the page services as properties (set by src/app/main.ts):
 * @example
 * const app = document.querySelector('beeptrace-app')!;
 * app.services = services; app.client = client;
 * @module
 */
import { LitElement, html, css, type PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { html as staticHtml, unsafeStatic } from 'lit/static-html.js';
import { initialState, type Alert, type AppState, type EngineClient } from '../protocol.ts';
import type { PageServices } from '../page/services.ts';
import { i18n, LocaleController, pickLang, type MessageKey } from '../i18n/index.ts';
import { base, elderTokens, tokens } from './styles.ts';
import { applyElderText } from './elder.ts';
import { dayTime, msg } from './dates.ts';
import { VIEWS, loadView, routeOf, type Route } from './routes.ts';

export { VIEWS, routeOf, loadView, type Route, type RouteView } from './routes.ts';
const NAV: { route: Exclude<Route, 'welcome'>; label: MessageKey }[] = [
  { route: 'status', label: 'nav.status' },
  { route: 'trail', label: 'nav.trail' },
  { route: 'data', label: 'nav.data' },
  { route: 'network', label: 'nav.network' },
  { route: 'transparency', label: 'nav.transparency' },
  { route: 'care', label: 'nav.care' },
  { route: 'settings', label: 'nav.settings' },
];

@customElement('beeptrace-app')
export class BeepTraceApp extends LitElement {
  static override styles = [tokens, elderTokens, base, css`
    :host { display: block; min-block-size: 100vh; background: var(--bt-bg); }
    header { background: var(--bt-surface); border-block-end: 1px solid var(--bt-border); }
    .bar { max-inline-size: 48rem; margin-inline: auto; padding-inline: 1rem; padding-block: 0.5rem 0; }
    .brand { font-weight: 700; font-size: 1.2rem; margin: 0; }
    .tagline { margin: 0; color: var(--bt-muted); font-size: 0.95rem; }
    :host([elder]) .tagline { display: none; }
    nav ul { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: 0.25rem; }
    nav a { display: inline-flex; align-items: center; min-block-size: 2.75rem; min-inline-size: 2.75rem; padding-inline: 0.6rem;
      text-decoration: none; color: var(--bt-text); border-block-end: 3px solid transparent; font-weight: 600; }
    nav a[aria-current='page'] { border-block-end-color: var(--bt-primary); color: var(--bt-link); }
    main { max-inline-size: 48rem; margin-inline: auto; padding: 1rem; }
    .nav-gap { block-size: 0.5rem; } /* a class, not a style attribute: the CSP allows no inline style */
    @media (max-width: 30rem) { main { padding-inline: 0.5rem; } .bar { padding-inline: 0.5rem; } }
    main:focus { outline: none; }
    .banner.alert { border-inline-start: 6px solid var(--bt-danger); }
    .banner { background: var(--bt-banner); border: 1px solid var(--bt-border-strong); border-radius: 0.5rem;
      padding: 0.75rem; margin-block-end: 1rem; display: flex; flex-wrap: wrap; gap: 0.75rem; align-items: center; }
    .banner p { margin: 0; flex: 1 1 14rem; }
  `];

  @property({ attribute: false }) client: EngineClient | null = null;
  @property({ attribute: false }) services: PageServices | null = null;
  /** This device has no BeepTrace data yet (set by the boot): the first run shows before the engine is ready. */
  @property({ attribute: false }) firstVisit = false;
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
  /** Move focus to the view's heading once it has rendered (after a route change). */
  #focusPending = false;
  #firstViewTold = false;
  /** A view module that could not be loaded (offline before the service worker cached it). */
  @state() private loadError = '';
  #onHash = () => { this.route = routeOf(location.hash); this.loadError = ''; };

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('hashchange', this.#onHash);
    if (this.#appliedLang === null) i18n.setLang(pickLang(navigator.languages ?? [navigator.language])).catch((e: unknown) => console.warn('BeepTrace: language not loaded:', e));
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
      this.#offClient = this.client ? this.client.subscribe((s) => { this.#applyLang(s); this.appState = s; }) : null;
      this.#offEvents = this.client ? this.client.onEvent((e) => {
        if (e.type === 'new-exposure') this.newAlert = e.alert;
        if (e.type === 'erased') { this.newAlert = null; location.hash = '#/status'; }
      }) : null;
    }
    if (changed.has('services')) {
      this.#offServices?.();
      this.#offServices = this.services ? this.services.subscribe(() => { this.rev++; }) : null;
    }
    const s = this.appState;
    // Elder mode: high-contrast tokens and large targets through the attribute, large text on the root.
    const elder = s.settings.elder === true;
    if (this.hasAttribute('elder') !== elder) { this.toggleAttribute('elder', elder); applyElderText(document.documentElement, elder); }
  }

  /**
   * The stored language rules once the user chose it; before that the first run picks it. Set
   * before the state renders, so a language still loading holds the render (`scheduleUpdate`)
   * rather than showing one frame in the language before.
   */
  #applyLang(s: AppState): void {
    if (s.onboarded && s.settings.lang !== this.#appliedLang) {
      this.#appliedLang = s.settings.lang;
      i18n.setLang(s.settings.lang).catch((e: unknown) => console.warn('BeepTrace: language not loaded:', e));
    }
  }

  /**
   * Nothing renders while the language's dictionary loads: the update waits (its changed
   * properties kept) until the language shows.
   */
  protected override async scheduleUpdate(): Promise<void> {
    while (i18n.pending) await i18n.settled();
    super.scheduleUpdate();
  }

  protected override updated(changed: PropertyValues): void {
    const s = this.appState;
    const aView = Object.values(VIEWS).some((v) => this.renderRoot.querySelector(v.tag));
    // a first visit shows the first run before the engine is ready (its text needs no engine)
    if (!this.#firstViewTold && (s.fatal || this.loadError || (aView && (s.ready || this.firstVisit)))) {
      this.#firstViewTold = true;
      this.dispatchEvent(new Event('first-view'));
    }
    // Move focus to the new view's heading, so keyboard and screen-reader users land on it
    // (once its module has loaded and it has rendered).
    if (changed.has('route') && changed.get('route') !== undefined) this.#focusPending = true;
    if (!this.#focusPending) return;
    const shown = this.renderRoot.querySelector(VIEWS[this.route].tag) as LitElement | null;
    if (!shown && !this.loadError && s.ready && !s.fatal) return;
    this.#focusPending = false;
    void (shown?.updateComplete ?? Promise.resolve(true)).then(() => {
      const h1 = shown?.shadowRoot?.querySelector('h1') as HTMLElement | null;
      (h1 ?? this.renderRoot.querySelector('main') as HTMLElement | null)?.focus();
    });
  }

  /** Load a route's view module once; the shell re-renders when it is defined. */
  #load(route: Route): boolean {
    if (customElements.get(VIEWS[route].tag)) return true;
    loadView(route).then(() => { this.loadError = ''; this.requestUpdate(); }, (e: unknown) => { this.loadError = e instanceof Error ? e.message : String(e); });
    return false;
  }

  /** The view of `route` with the shell's properties, or a line while its module loads. */
  private shown(route: Route, review = false) {
    if (!this.#load(route)) {
      return this.loadError
        ? html`<p class="error">${i18n.t('shell.fatal', { reason: this.loadError })}</p>`
        : html`<p>${i18n.t('shell.starting')}</p>`;
    }
    const tag = unsafeStatic(VIEWS[route].tag);
    return staticHtml`<${tag} .state=${this.appState} .client=${this.client} .services=${this.services} .rev=${this.rev} ?review=${review}></${tag}>`;
  }

  private banners() {
    const sv = this.services;
    const na = this.newAlert;
    return html`
      ${na ? html`<div class="banner alert" role="alert"><p>${msg('shell.newExposure', { day: dayTime(na.day) })}
          ${this.route === 'status' ? '' : html` <a href="#/status">${i18n.t('shell.seeStatus')}</a>`}</p>
        <button class="secondary" @click=${() => { this.newAlert = null; }}>${i18n.t('shell.dismiss')}</button></div>` : ''}
      <div aria-live="polite">
        ${sv?.update.waiting ? html`<div class="banner"><p>${i18n.t('shell.update')}</p>
          <button @click=${() => sv.update.reload()}>${i18n.t('shell.reload')}</button></div>` : ''}
        ${sv?.tabs.mirroring ? html`<div class="banner"><p>${i18n.t('shell.mirror')}</p></div>` : ''}
        ${sv && !sv.conditions.online ? html`<div class="banner"><p>${i18n.t('shell.offline')}</p></div>` : ''}
      </div>`;
  }

  private view() {
    const s = this.appState;
    if (s.fatal) return html`<p class="error">${i18n.t('shell.fatal', { reason: s.fatal })}</p>`;
    // A first visit (no database yet: src/app/main.ts) shows the first run's explanation at once.
    if (!s.ready) return this.firstVisit ? this.shown('welcome') : html`<p>${i18n.t('shell.starting')}</p>`;
    if (!s.onboarded) return this.shown('welcome');
    return this.shown(this.route, this.route === 'welcome');
  }

  override render() {
    const s = this.appState;
    // A dedicated device (#/wearable, once set up): only its page, no header, navigation or banners.
    if (this.route === 'wearable' && s.ready && s.onboarded && !s.fatal) {
      return html`<main id="main" tabindex="-1">${this.shown('wearable')}</main>`;
    }
    const showNav = s.ready && s.onboarded && !s.fatal;
    const current = this.route === 'welcome' || this.route === 'clinic' || this.route === 'wearable' ? 'settings' : this.route === 'positive' || this.route === 'report' || this.route === 'checkin' ? 'status' : this.route;
    return html`
      <header>
        <div class="bar">
          <p class="brand">${i18n.t('app.name')}</p>
          <p class="tagline">${i18n.t('app.tagline')}</p>
          ${showNav ? html`<nav aria-label=${i18n.t('nav.label')}><ul>
            ${NAV.filter((n) => !s.settings.elder || n.route === 'status' || n.route === 'settings').map((n) => html`<li><a href=${`#/${n.route}`} aria-current=${current === n.route ? 'page' : 'false'}>${i18n.t(n.label)}</a></li>`)}
          </ul></nav>` : html`<div class="nav-gap"></div>`}
        </div>
      </header>
      <main id="main" tabindex="-1">${this.banners()}${this.view()}</main>`;
  }
}

declare global {
  interface HTMLElementTagNameMap { 'beeptrace-app': BeepTraceApp }
}

/**
 * What every view holds: the engine's state, the engine client to send intents, the page
 * services, and a LocaleController so a language change re-renders it. The app shell sets these
 * properties; `rev` changes whenever a page service reports a change (their objects stay the same).
 * @example class MyView extends ViewBase { render() { return html`${this.state.days.length}`; } }
 * @module
 */
import { LitElement } from 'lit';
import { property } from 'lit/decorators.js';
import { initialState, type AppState, type EngineClient, type Intent } from '../protocol.ts';
import type { PageServices } from '../page/services.ts';
import { LocaleController, i18n } from '../i18n/index.ts';
import { base } from './styles.ts';

export class ViewBase extends LitElement {
  static override styles = [base];
  @property({ attribute: false }) state: AppState = initialState();
  @property({ attribute: false }) client: EngineClient | null = null;
  @property({ attribute: false }) services: PageServices | null = null;
  /** Bumped by the shell when a page service changed. */
  @property({ type: Number }) rev = 0;
  protected readonly locale = new LocaleController(this);

  /** Send an intent; a failure becomes the message to show. */
  protected async send<T = unknown>(intent: Intent): Promise<{ ok: true; value: T } | { ok: false; message: string }> {
    if (!this.client) return { ok: false, message: 'no engine' };
    try {
      return { ok: true, value: await this.client.send<T>(intent) };
    } catch (e) {
      return { ok: false, message: i18n.t('common.failed', { reason: e instanceof Error ? e.message : String(e) }) };
    }
  }
}

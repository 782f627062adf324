/**
 * `<bt-network-view>` (#/network): the signaling state, peers connected, blocks per chain, a sync
 * progress bar with a label, the last verified checkpoint, own uploads waiting for proof, and the
 * relay opt-in (for desktop browsers; its cost said).
 * @example html`<bt-network-view .state=${s} .client=${c}></bt-network-view>`
 * @module
 */
import { html, css } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { i18n, type MessageKey } from '../i18n/index.ts';
import { ViewBase } from './view-base.ts';
import { base } from './styles.ts';
import { momentTime, msg } from './dates.ts';

const CHAIN: Record<'tracing' | 'notification', MessageKey> = { tracing: 'net.c.tracing', notification: 'net.c.notification' };
const RETAINED: Record<'sending' | 'received' | 'unprovable', MessageKey> = { sending: 'net.r.sending', received: 'net.r.received', unprovable: 'net.r.unprovable' };
const SIG: Record<'connecting' | 'open' | 'closed', MessageKey> = { connecting: 'net.sig.connecting', open: 'net.sig.open', closed: 'net.sig.closed' };

@customElement('bt-network-view')
export class NetworkView extends ViewBase {
  static override styles = [base, css`
    progress { inline-size: 100%; block-size: 1.25rem; accent-color: var(--bt-primary); }
    .peer { font-family: ui-monospace, monospace; font-size: 0.85em; }
  `];
  @state() private error = '';

  private async relay(e: Event) {
    const r = await this.send({ type: 'set-relay', on: (e.target as HTMLInputElement).checked });
    this.error = r.ok ? '' : r.message;
  }

  override render() {
    const n = this.state.network;
    const pct = Math.round(Math.max(0, Math.min(1, n.syncProgress)) * 100);
    // The switch shows the kept choice; the node takes it up the next time it is opened.
    const relayOn = n.relayOptIn ?? n.role === 'relay';
    return html`<h1 tabindex="-1">${i18n.t('net.title')}</h1>
      <section class="card" aria-labelledby="pe-h">
        <h2 id="pe-h">${i18n.t('net.peers', { n: i18n.number(n.peers.length) })}</h2>
        <p>${i18n.t('net.signaling', { state: i18n.t(SIG[n.signaling]) })}</p>
        ${n.peers.length ? html`<div class="table-wrap" role="region" tabindex="0" aria-label=${i18n.t('net.peersTable')}><table>
          <thead><tr><th scope="col">${i18n.t('net.peer')}</th><th scope="col">${i18n.t('net.role')}</th><th scope="col">${i18n.t('net.since')}</th></tr></thead>
          <tbody>${n.peers.map((p) => html`<tr><td class="peer">${shortLink(p.link)}</td><td>${p.role ?? '—'}</td><td>${i18n.since(p.connectedMs)}</td></tr>`)}</tbody>
        </table></div>` : ''}
      </section>
      <section class="card" aria-labelledby="ch-h">
        <h2 id="ch-h">${i18n.t('net.chainsTitle')}</h2>
        <div class="field">
          <label for="sync">${i18n.t('net.sync')}: ${i18n.number(pct)} %</label>
          <progress id="sync" max="100" .value=${pct}>${pct} %</progress>
        </div>
        ${n.chains.length ? html`<div class="table-wrap" role="region" tabindex="0" aria-label=${i18n.t('net.chainsTable')}><table>
          <thead><tr><th scope="col">${i18n.t('net.chain')}</th><th scope="col">${i18n.t('net.blocks')}</th><th scope="col">${i18n.t('net.lastSync')}</th></tr></thead>
          <tbody>${n.chains.map((c) => html`<tr><td>${i18n.t(CHAIN[c.chain])}</td><td class="num">${i18n.number(c.have)}</td>
            <td>${c.lastSyncAt === null ? i18n.t('common.never') : momentTime(c.lastSyncAt)}</td></tr>`)}</tbody>
        </table></div>` : ''}
        <p>${n.lastCheckpoint ? msg('net.checkpoint', { time: momentTime(n.lastCheckpoint.toSec * 1000) }) : i18n.t('net.noCheckpoint')}</p>
        <h3>${i18n.t('net.retained', { n: i18n.number(n.retained.length) })}</h3>
        ${n.retained.length ? html`<ul>${n.retained.map((r) => html`<li>${momentTime(r.time)}: ${i18n.t(RETAINED[r.state])}</li>`)}</ul>` : ''}
      </section>
      <section class="card" aria-labelledby="rl-h">
        <h2 id="rl-h">${i18n.t('net.relayTitle')}</h2>
        <div class="choice">
          <input type="checkbox" role="switch" id="relay" .checked=${relayOn} aria-describedby="relay-help" @change=${this.relay} />
          <div><label for="relay">${i18n.t('net.relay')}</label><span class="help" id="relay-help">${i18n.t('net.relayHelp')}</span></div>
        </div>
        <div aria-live="polite">${relayOn !== (n.role === 'relay') ? html`<p class="note">${i18n.t('net.relayNext')}</p>` : ''}
          ${this.error ? html`<p class="error">${this.error}</p>` : ''}</div>
      </section>`;
  }
}

/** A link's id is random per connection (never the peer's identity); 8 characters tell the rows apart. @example shortLink('138da097904b9f5a') === '138da097' */
function shortLink(link: string): string {
  return link.slice(0, 8);
}

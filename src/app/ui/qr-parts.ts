/**
 * Two reusable parts for any flow that passes a code between devices (diagnosis now; guardian
 * pairing and venue check-in later), over src/app/page/qr.ts:
 *
 * - `<bt-qr-show .text=${t} label="…">` — the QR code (SVG, labelled for screen readers) and the
 *   same code as text in a disclosure, for a device that cannot scan;
 * - `<bt-qr-scan @qr=${(e) => e.detail}>` — "Scan with the camera" (a live preview, stopped when a
 *   code is read or the part goes away) and a file input labelled "Choose a QR image"; a refused
 *   or missing camera is said in words and the file route stays. Fires `qr` (detail: the text) once
 *   per code read; call `reset()` to read another.
 *
 * Both are in a module the app shell imports only when a view that uses them opens.
 * @example html`<bt-qr-scan @qr=${(e: CustomEvent<string>) => this.onCode(e.detail)}></bt-qr-scan>`
 * @module
 */
import { LitElement, html, css } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import { unsafeSVG } from 'lit/directives/unsafe-svg.js';
import { QrCamera, QrError, qrSvg, readQrImage } from '../page/qr.ts';
import { i18n, LocaleController, type MessageKey } from '../i18n/index.ts';
import { base } from './styles.ts';

const QR_ERRORS: Record<string, MessageKey> = {
  denied: 'qr.denied', no_camera: 'qr.noCamera', unsupported: 'qr.unsupported', no_code: 'qr.noCode', bad_image: 'qr.badImage',
};

/** Words for a QrError (or any error while reading). @example qrErrorText(new QrError('denied', '…')) */
export function qrErrorText(e: unknown): string {
  if (e instanceof QrError) return i18n.t(QR_ERRORS[e.code]);
  return i18n.t('refuse.other', { reason: e instanceof Error ? e.message : String(e) });
}

@customElement('bt-qr-show')
export class QrShow extends LitElement {
  static override styles = [base, css`
    .qr { background: #fff; padding: 0.5rem; border-radius: 0.5rem; inline-size: min(100%, 24rem); aspect-ratio: 1; }
    .qr svg { display: block; inline-size: 100%; block-size: 100%; }
    textarea { font: 0.85rem/1.3 monospace; inline-size: 100%; min-block-size: 6rem; overflow-wrap: anywhere; }
    summary { cursor: pointer; min-block-size: 2.75rem; display: flex; align-items: center; }
  `];
  /** The code's text. */
  @property() text = '';
  /** Accessible name of the QR picture. */
  @property() label = '';
  protected readonly locale = new LocaleController(this);

  override render() {
    if (!this.text) return html``;
    const svg = qrSvg(this.text).replace('<svg ', `<svg aria-label="${this.label.replace(/[<>&"]/g, '')}" `);
    return html`<div class="qr" data-qr-text=${this.text}>${unsafeSVG(svg)}</div>
      <details><summary>${i18n.t('qr.asText')}</summary>
        <label class="field"><span>${i18n.t('qr.textLabel')}</span><textarea readonly .value=${this.text}></textarea></label>
      </details>`;
  }
}

@customElement('bt-qr-scan')
export class QrScan extends LitElement {
  static override styles = [base, css`
    video { inline-size: min(100%, 24rem); background: #000; border-radius: 0.5rem; display: block; margin-block: 0.5rem; }
    video[hidden] { display: none; }
  `];
  @state() private cameraOn = false;
  @state() private said = '';
  @state() private busy = false;
  @query('video') private video!: HTMLVideoElement;
  protected readonly locale = new LocaleController(this);
  #cam: QrCamera | null = null;
  #done = false;

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.stopCamera();
  }

  /** Read another code (after the last one was refused). */
  reset(): void {
    this.#done = false;
    this.said = '';
    if (this.#cam) this.#cam.scan((t) => this.found(t));
  }

  private found(text: string): void {
    if (this.#done) return;
    this.#done = true;
    this.stopCamera();
    this.dispatchEvent(new CustomEvent<string>('qr', { detail: text, bubbles: true, composed: true }));
  }

  private async startCamera(): Promise<void> {
    this.said = '';
    this.#done = false;
    this.cameraOn = true;
    await this.updateComplete;
    try {
      this.#cam = await QrCamera.open(this.video);
      this.said = i18n.t('qr.pointAt');
      this.#cam.scan((t) => this.found(t));
    } catch (e) {
      this.cameraOn = false;
      this.said = qrErrorText(e);
    }
  }

  private stopCamera(): void {
    this.#cam?.stop();
    this.#cam = null;
    this.cameraOn = false;
  }

  private async onFile(ev: Event): Promise<void> {
    const input = ev.target as HTMLInputElement;
    const file = input.files?.[0];
    if (!file) return;
    this.busy = true;
    this.said = i18n.t('qr.reading');
    try {
      const text = await readQrImage(file);
      this.said = '';
      this.#done = false;
      this.found(text);
    } catch (e) {
      this.said = qrErrorText(e);
    } finally {
      this.busy = false;
      input.value = '';
    }
  }

  override render() {
    return html`<div class="actions">
        ${this.cameraOn
          ? html`<button class="secondary" @click=${() => this.stopCamera()}>${i18n.t('qr.stopCamera')}</button>`
          : html`<button @click=${() => void this.startCamera()}>${i18n.t('qr.camera')}</button>`}
      </div>
      <video ?hidden=${!this.cameraOn} aria-label=${i18n.t('qr.video')} muted playsinline></video>
      <div class="field"><label for="qrfile">${i18n.t('qr.file')}</label>
        <input id="qrfile" type="file" accept="image/*" ?disabled=${this.busy} @change=${(e: Event) => void this.onFile(e)}></div>
      <p role="status" aria-live="polite">${this.said}</p>`;
  }
}

declare global {
  interface HTMLElementTagNameMap { 'bt-qr-show': QrShow; 'bt-qr-scan': QrScan }
}

const REFUSALS: Record<string, MessageKey> = {
  bad_prefix: 'refuse.bad_prefix', wrong_type: 'refuse.wrong_type', bad_signature: 'refuse.bad_signature', foreign_region: 'refuse.foreign_region',
  stale_challenge: 'refuse.stale_challenge', not_certified: 'refuse.not_certified', wrong_diagnostician: 'refuse.wrong_diagnostician',
  unknown_challenge: 'refuse.unknown_challenge', used_challenge: 'refuse.used_challenge', bad_proofs: 'refuse.bad_proofs', locked: 'refuse.locked',
  truncated: 'refuse.damaged', trailing: 'refuse.damaged', bad_base64: 'refuse.damaged', version: 'refuse.damaged', range: 'refuse.damaged', not_canonical: 'refuse.damaged',
};

/** Refusals of a code's form (not BeepTrace's, the wrong kind, damaged): said with what did not happen on this side. */
const FORM = new Set<MessageKey>(['refuse.bad_prefix', 'refuse.wrong_type', 'refuse.damaged']);

/**
 * Words for an engine refusal of a clinic or consent code (the reply's `code`, docs/APP.md
 * §Diagnosis), ending with what did not happen: on the patient's side (`'shared'`) nothing was
 * shared, on the clinic's (`'published'`) nothing was published.
 * @example refusalText(err, 'shared') // "This code has expired. Ask for a new one. Nothing was shared."
 */
export function refusalText(e: unknown, side: 'shared' | 'published'): string {
  const code = (e as { code?: unknown })?.code;
  const key = typeof code === 'string' ? REFUSALS[code] : undefined;
  if (key && FORM.has(key)) return `${i18n.t(key)} ${i18n.t(side === 'shared' ? 'refuse.nothingShared' : 'refuse.nothingPublished')}`;
  if (key) return i18n.t(key);
  return i18n.t('refuse.other', { reason: e instanceof Error ? e.message : String(e) });
}

/**
 * Shared look of every view: colour tokens for light and dark schemes (contrast ≥ 4.5:1 for text,
 * ≥ 3:1 for controls and the focus ring), logical properties only (right-to-left works by itself),
 * targets at least 44 px tall, a visible focus ring. Elder mode (`elderTokens`, on the shell's
 * `elder` attribute) changes only custom properties, which inherit into every view's shadow root.
 * @example static styles = [base, css`…`];
 * @module
 */
import { css } from 'lit';

/** Colour tokens, set once on the app's root; custom properties inherit into every shadow root. */
export const tokens = css`
  :host {
    color-scheme: light dark;
    --bt-bg: #f4f6f9; --bt-surface: #ffffff; --bt-text: #1b1f24; --bt-muted: #4a5360;
    --bt-border: #c9d1db; --bt-border-strong: #6b7480; --bt-primary: #1d4e89; --bt-on-primary: #ffffff;
    --bt-link: #1d4e89; --bt-focus: #b45309; --bt-danger: #b3261e; --bt-on-danger: #ffffff;
    --bt-ok: #1e6b35; --bt-warn: #8a5300; --bt-banner: #fff4d6; --bt-map: #eef2f7;
  }
  @media (prefers-color-scheme: dark) {
    :host {
      --bt-bg: #101418; --bt-surface: #1a2027; --bt-text: #e8eaed; --bt-muted: #b5bec9;
      --bt-border: #3a4450; --bt-border-strong: #8b95a1; --bt-primary: #9cc3ff; --bt-on-primary: #0b1b33;
      --bt-link: #9cc3ff; --bt-focus: #fbbf24; --bt-danger: #ffb4ab; --bt-on-danger: #410002;
      --bt-ok: #8fd9a0; --bt-warn: #ffcf70; --bt-banner: #3a2e10; --bt-map: #141a20;
    }
  }
`;

/**
 * Elder mode ("Easy mode"): the shell carries the attribute `elder`; these tokens then give black on
 * white (white on black in a dark scheme, contrast ≥ 7:1 for text), stronger borders, and targets of
 * at least 2.75rem (44 CSS px at the default text size; the shell also sets the root text to 125 %)
 * for check boxes, radios and links, which `base` reads through `--bt-check`, `--bt-link-*`.
 * @example static styles = [tokens, elderTokens, base];
 */
export const elderTokens = css`
  :host([elder]) {
    --bt-bg: #ffffff; --bt-surface: #ffffff; --bt-text: #000000; --bt-muted: #1b1f24;
    --bt-border: #4a5360; --bt-border-strong: #000000; --bt-primary: #0b3a75; --bt-on-primary: #ffffff;
    --bt-link: #0b3a75; --bt-focus: #9a4300; --bt-danger: #8c1d18; --bt-on-danger: #ffffff;
    --bt-ok: #14532d; --bt-warn: #6b3f00; --bt-banner: #fff4d6;
    --bt-check: 2.75rem; --bt-link-display: inline-flex; --bt-link-min: 2.75rem; --bt-line: 2px;
  }
  @media (prefers-color-scheme: dark) {
    :host([elder]) {
      --bt-bg: #000000; --bt-surface: #000000; --bt-text: #ffffff; --bt-muted: #e8eaed;
      --bt-border: #b5bec9; --bt-border-strong: #ffffff; --bt-primary: #bcd7ff; --bt-on-primary: #000000;
      --bt-link: #bcd7ff; --bt-focus: #fbbf24; --bt-danger: #ffb4ab; --bt-on-danger: #000000;
      --bt-ok: #a7f3b5; --bt-warn: #ffd98a; --bt-banner: #2a2208;
    }
  }
`;

/** Elements every view uses. */
export const base = css`
  :host { display: block; color: var(--bt-text); font-size: 1rem; line-height: 1.5; overflow-wrap: anywhere; hyphens: auto; }
  /* Narrow screens and large text: less padding, so words keep their room. */
  @media (max-width: 30rem) { .card { padding: 0.75rem; } fieldset { padding: 0.5rem; } }
  .choice > div, .choice > label { min-inline-size: 0; }
  /* A wide data table may scroll inside its own focusable region (WCAG 1.4.10 allows it for tables). */
  .table-wrap { overflow-x: auto; margin-block-end: 0.75rem; }
  .table-wrap table { margin: 0; }
  /* Inside such a region cells break between words only (the rule for th, td below breaks anywhere). */
  .table-wrap th, .table-wrap td { overflow-wrap: normal; hyphens: manual; }
  *, *::before, *::after { box-sizing: border-box; }
  h1 { font-size: 1.6rem; line-height: 1.25; margin-block: 0 1rem; }
  h2 { font-size: 1.25rem; line-height: 1.3; margin-block: 0 0.5rem; }
  h3 { font-size: 1.05rem; margin-block: 0.75rem 0.25rem; }
  p { margin-block: 0 0.75rem; }
  ul { margin-block: 0 0.75rem; padding-inline-start: 1.25rem; }
  a { color: var(--bt-link); text-underline-offset: 0.15em; display: var(--bt-link-display, inline);
    align-items: center; min-block-size: var(--bt-link-min, 0); min-inline-size: var(--bt-link-min, 0); }
  .card { background: var(--bt-surface); border: var(--bt-line, 1px) solid var(--bt-border); border-radius: 0.75rem;
    padding: 1rem; margin-block-end: 1rem; }
  button { font: inherit; min-block-size: 2.75rem; min-inline-size: 2.75rem; padding-block: 0.5rem; padding-inline: 1rem;
    border-radius: 0.5rem; border: 2px solid var(--bt-primary); background: var(--bt-primary);
    color: var(--bt-on-primary); cursor: pointer; font-weight: 600; }
  button.secondary { background: transparent; color: var(--bt-primary); }
  button.danger { background: var(--bt-danger); border-color: var(--bt-danger); color: var(--bt-on-danger); }
  button:disabled { opacity: 0.6; cursor: not-allowed; }
  :focus-visible { outline: 3px solid var(--bt-focus); outline-offset: 2px; }
  /* Headings take focus only when a view opens (to move screen readers there); no ring on them. */
  h1[tabindex='-1']:focus { outline: none; }
  fieldset { border: 1px solid var(--bt-border); border-radius: 0.5rem; padding: 0.75rem; margin: 0 0 1rem; min-inline-size: 0; }
  legend { font-weight: 600; padding-inline: 0.25rem; }
  .choice { display: flex; gap: 0.6rem; align-items: flex-start; padding-block: 0.4rem; }
  .choice label { font-weight: 600; display: block; }
  .choice .help { display: block; }
  input[type='radio'], input[type='checkbox'] { inline-size: var(--bt-check, 1.5rem); block-size: var(--bt-check, 1.5rem); margin: 0; margin-block-start: 0.05rem;
    flex: none; accent-color: var(--bt-primary); }
  input[type='password'], input[type='file'], select { font: inherit; min-block-size: 2.75rem; inline-size: 100%;
    max-inline-size: 24rem; padding: 0.4rem; border: 1px solid var(--bt-border-strong); border-radius: 0.4rem;
    background: var(--bt-surface); color: var(--bt-text); }
  .field { display: flex; flex-direction: column; gap: 0.25rem; margin-block-end: 0.75rem; }
  .field label { font-weight: 600; }
  .help, .muted { color: var(--bt-muted); }
  .note { border-inline-start: 4px solid var(--bt-primary); padding-inline-start: 0.75rem; }
  .warn { border-inline-start: 4px solid var(--bt-warn); padding-inline-start: 0.75rem; }
  .error { color: var(--bt-danger); font-weight: 600; }
  .actions { display: flex; flex-wrap: wrap; gap: 0.75rem; align-items: center; margin-block: 0.5rem; }
  table { border-collapse: collapse; inline-size: 100%; margin-block-end: 0.75rem; }
  caption { text-align: start; font-weight: 600; padding-block-end: 0.25rem; }
  th, td { text-align: start; padding: 0.4rem; border-block-end: 1px solid var(--bt-border); vertical-align: top; overflow-wrap: anywhere; }
  td.num, th.num { overflow-wrap: normal; white-space: nowrap; }
  .num { font-variant-numeric: tabular-nums; }
  dialog { background: var(--bt-surface); color: var(--bt-text); border: 2px solid var(--bt-border-strong);
    border-radius: 0.75rem; padding: 1rem; max-inline-size: min(32rem, calc(100vw - 2rem)); }
  dialog::backdrop { background: rgb(0 0 0 / 0.5); }
  .visually-hidden { position: absolute; inline-size: 1px; block-size: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
`;

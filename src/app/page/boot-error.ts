/**
 * The screen shown when the app cannot start at all (no or bad /config.json): plain DOM, no
 * views needed, so it works even when nothing else loaded. Replaces the root `<beeptrace-app>`.
 *
 * @example
 * showBootError('BeepTrace cannot start', 'config.json: "rootKey" must be 64 hexadecimal characters');
 * @module
 */

/** Replaces the app's root with a titled error and what to do about it. */
export function showBootError(title: string, detail: string, hint = 'If you run this server, check its config.json (docs/DEPLOY.md). Otherwise try again later.'): void {
  const main = document.createElement('main');
  main.className = 'bt-boot';
  main.setAttribute('role', 'alert');
  const h1 = document.createElement('h1');
  h1.textContent = title;
  const p = document.createElement('p');
  p.textContent = detail;
  const p2 = document.createElement('p');
  p2.textContent = hint;
  main.append(h1, p, p2);
  const root = document.querySelector('beeptrace-app');
  if (root) root.replaceWith(main);
  else document.body.prepend(main);
}

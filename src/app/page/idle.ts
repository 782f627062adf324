/**
 * Waiting for the page to be idle, so work that can wait (the WebRTC bridge, the service worker's
 * registration) does not delay the first view or block input while it loads.
 *
 * @example
 * await afterPaint(); await idle();   // after the next frame, in an idle period (≤ 2 s later)
 * @module
 */

/**
 * Resolves in an idle period of the page (`requestIdleCallback`), at the latest after `timeoutMs`;
 * a timer where the browser has no idle callbacks (Safari).
 * @example await idle(1000);
 */
export function idle(timeoutMs = 2000): Promise<void> {
  return new Promise((done) => {
    if (typeof requestIdleCallback === 'function') requestIdleCallback(() => done(), { timeout: timeoutMs });
    else setTimeout(done, 50);
  });
}

/**
 * Resolves after the next frame has been produced (the task after the next animation frame), so
 * what the page just rendered paints before the caller's work starts. Hidden tabs get no frames:
 * there it resolves after `timeoutMs`.
 * @example root.textContent = 'Ready'; await afterPaint();
 */
export function afterPaint(timeoutMs = 500): Promise<void> {
  return new Promise((done) => {
    let finished = false;
    const finish = () => { if (!finished) { finished = true; done(); } };
    requestAnimationFrame(() => setTimeout(finish, 0));
    setTimeout(finish, timeoutMs);
  });
}

/**
 * The security headers `beeptrace start` sends on every response (docs/DEPLOY.md §Security
 * headers, where the same policy is given for a reverse proxy), and the endpoint that collects the
 * browser's reports of what the policy blocked.
 *
 * - `Content-Security-Policy`: scripts, styles, workers and the manifest from the app's own origin
 *   only — no inline script or style, no `eval`; connections to the origin and its signaling
 *   WebSocket (`ws:`/`wss:` of the Host the browser used); images also as `data:` and `blob:` (a
 *   chosen QR picture); no plugins, no `<base>`, no form posts; `frame-ancestors 'none'` (no other
 *   page may frame the app: the pairing digits and the clinic's screens cannot be overlaid);
 *   violations reported to `/csp-report` (`report-uri`).
 * - `Referrer-Policy: no-referrer`, `X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY`
 *   (for browsers without frame-ancestors), `Cross-Origin-Opener-Policy: same-origin`,
 *   `Cross-Origin-Resource-Policy: same-origin`.
 * - `Permissions-Policy`: geolocation and camera for the app's own origin only; microphone,
 *   payment, USB and display capture for nobody.
 * - `Strict-Transport-Security` on HTTPS (one year), except for `localhost`: a browser that
 *   trusts the local certificate would otherwise refuse plain `npm start` on localhost for a year.
 *
 * @example
 * for (const [k, v] of Object.entries(securityHeaders(req))) res.setHeader(k, v);
 * if (isCspReport(req)) return collectCspReport(req, res, (r) => log(describeCspReport(r)));
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';

/** Path the browser posts CSP violation reports to. @example CSP_REPORT_PATH === '/csp-report' */
export const CSP_REPORT_PATH = '/csp-report';
/** Largest report body read (bytes); a longer one is refused with 413. */
export const MAX_REPORT_BYTES = 64 * 1024;
/** HSTS lifetime, seconds (one year). */
export const HSTS_MAX_AGE = 31_536_000;

const HOST = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

/**
 * The Content-Security-Policy for an app whose signaling WebSocket is `signalOrigins` (e.g.
 * `ws://127.0.0.1:8080 wss://127.0.0.1:8080`; '' when it is only the origin itself).
 * @example contentSecurityPolicy('wss://beeptrace.example.org')
 */
export function contentSecurityPolicy(signalOrigins: string): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    `connect-src 'self'${signalOrigins ? ` ${signalOrigins}` : ''}`,
    "worker-src 'self'",
    "manifest-src 'self'",
    "font-src 'self'",
    "media-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    // report-uri only: a browser that also sees report-to ignores report-uri and batches its
    // reports for up to a minute (Chromium), and Firefox knows only report-uri
    `report-uri ${CSP_REPORT_PATH}`,
  ].join('; ');
}

/** The Permissions-Policy: geolocation and camera for the app's origin only. */
export const PERMISSIONS_POLICY = 'geolocation=(self), camera=(self), microphone=(), payment=(), usb=(), display-capture=()';

/** Whether `req` came over TLS. */
function overTls(req: IncomingMessage): boolean {
  return (req.socket as TLSSocket).encrypted === true;
}

/**
 * Every security header for a response to `req` (the WebSocket origins follow its Host header,
 * as /config.json's signaling URL does).
 * @example res.writeHead(200, { ...securityHeaders(req), 'content-type': 'text/html' })
 */
export function securityHeaders(req: IncomingMessage): Record<string, string> {
  const host = req.headers.host && HOST.test(req.headers.host) ? req.headers.host : '';
  const h: Record<string, string> = {
    'content-security-policy': contentSecurityPolicy(host ? `ws://${host} wss://${host}` : ''),
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'permissions-policy': PERMISSIONS_POLICY,
  };
  const name = host.replace(/:\d{1,5}$/, '').toLowerCase();
  if (overTls(req) && name !== 'localhost' && !name.endsWith('.localhost')) h['strict-transport-security'] = `max-age=${HSTS_MAX_AGE}`;
  return h;
}

/** One violation, as either report format gives it. */
export interface CspReport {
  directive: string;
  blocked: string;
  document: string;
  sample?: string;
}

/** Whether `req` posts a CSP report. */
export function isCspReport(req: IncomingMessage): boolean {
  return req.method === 'POST' && (req.url ?? '').split('?')[0] === CSP_REPORT_PATH;
}

/**
 * Read a posted report (`application/csp-report` from `report-uri`, or `application/reports+json`
 * from the Reporting API, should a proxy's policy name one), answer 204, and hand each violation to `onReport`. A body that is too
 * long or not JSON is answered 413 / 400 and reported nowhere.
 * @example if (isCspReport(req)) return collectCspReport(req, res, (r) => reports.push(r));
 */
export function collectCspReport(req: IncomingMessage, res: ServerResponse, onReport: (r: CspReport) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  const end = (status: number) => {
    if (res.headersSent) return;
    res.writeHead(status, { 'cache-control': 'no-store', 'content-length': 0 });
    res.end();
  };
  req.on('data', (c: Buffer) => {
    size += c.length;
    if (size > MAX_REPORT_BYTES) {
      end(413);
      req.destroy();
    } else chunks.push(c);
  });
  req.on('end', () => {
    if (size > MAX_REPORT_BYTES) return;
    let reports: CspReport[];
    try {
      reports = parseCspReports(JSON.parse(Buffer.concat(chunks).toString('utf8')));
    } catch {
      return end(400);
    }
    end(204);
    for (const r of reports) onReport(r);
  });
  req.on('error', () => end(400));
}

/** The violations in a report body of either format (TypeError when it is neither). */
export function parseCspReports(body: unknown): CspReport[] {
  const str = (v: unknown) => (typeof v === 'string' ? v.slice(0, 300) : '');
  if (Array.isArray(body)) {
    return body.filter((r) => r && typeof r === 'object' && (r as { type?: unknown }).type === 'csp-violation').map((r) => {
      const b = ((r as { body?: unknown }).body ?? {}) as Record<string, unknown>;
      return { directive: str(b.effectiveDirective), blocked: str(b.blockedURL), document: str(b.documentURL), sample: str(b.sample) || undefined };
    });
  }
  const r = (body as { 'csp-report'?: Record<string, unknown> } | null)?.['csp-report'];
  if (!r || typeof r !== 'object') throw new TypeError('not a CSP report');
  return [{ directive: str(r['effective-directive'] ?? r['violated-directive']), blocked: str(r['blocked-uri']), document: str(r['document-uri']), sample: str(r['script-sample']) || undefined }];
}

/** One line for the log. @example describeCspReport(r) // 'csp: blocked inline by script-src-elem at http://…/' */
export function describeCspReport(r: CspReport): string {
  return `csp: blocked ${r.blocked || '(unknown)'} by ${r.directive || '(unknown directive)'} at ${r.document || '(unknown page)'}${r.sample ? ` (${r.sample.slice(0, 60)})` : ''}`;
}

/**
 * Sources: the network a client connects from, for the per-source quotas (docs/SIGNALING.md
 * "Sources"). One host can open many connections, but not from many networks, so the server
 * counts connections, handshakes and room members per *source* — the client's address prefix:
 * IPv4 /24 and IPv6 /48 by default (an IPv4-mapped IPv6 address counts as IPv4). Behind a reverse
 * proxy, the address is taken from a header only when the server is told to (`sourceHeader`) and
 * only for connections from a proxy it trusts (`trustedProxies`, default loopback); otherwise the
 * header is ignored, so a client cannot pick its own source.
 *
 * Each peer id starts with its source's *tag*: 8 hex digits of HMAC-SHA256(secret, source), the
 * secret random per server and replaced every day. Peers can tell that two ids share a network
 * prefix today — which their ICE candidates tell them anyway — and nodes key what must survive
 * reconnection by it (src/net/sources.ts); nobody learns the prefix from the tag, and tags of
 * different days do not link.
 *
 * @example
 * sourceOf('198.51.100.7', { v4: 24, v6: 48 }) // 'v4/198.51.100.0/24'
 * sourceOf('2001:db8:1:2::5', { v4: 24, v6: 48 }) // 'v6/2001:db8:1::/48'
 * @module
 */
import { createHmac, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import type { IncomingMessage } from 'node:http';

/** Prefix lengths that make a source. @example { v4: 24, v6: 48 } */
export interface SourcePrefixes {
  v4: number;
  v6: number;
}

/**
 * The source of an address: its prefix, as text. An address that is not an IP (a Unix socket,
 * nothing) is a source of its own kind: 'unknown'.
 * @example sourceOf('::ffff:10.1.2.3', { v4: 24, v6: 48 }) // 'v4/10.1.2.0/24'
 */
export function sourceOf(address: string | undefined, p: SourcePrefixes): string {
  if (!address) return 'unknown';
  let a = address;
  if (a.startsWith('::ffff:') && isIP(a.slice(7)) === 4) a = a.slice(7);
  const kind = isIP(a);
  if (kind === 4) {
    const n = a.split('.').reduce((acc, x) => (acc << 8) | Number(x), 0) >>> 0;
    const masked = p.v4 === 0 ? 0 : (n & (0xffffffff << (32 - p.v4))) >>> 0;
    return `v4/${[24, 16, 8, 0].map((s) => (masked >>> s) & 255).join('.')}/${p.v4}`;
  }
  if (kind === 6) {
    const groups = expand6(a);
    const out: number[] = [];
    for (let i = 0; i < 8; i++) {
      const bits = Math.max(0, Math.min(16, p.v6 - i * 16));
      out.push(bits === 0 ? 0 : groups[i] & ((0xffff << (16 - bits)) & 0xffff));
    }
    return `v6/${compress6(out)}/${p.v6}`;
  }
  return 'unknown';
}

/** The eight 16-bit groups of an IPv6 address (zone id dropped, embedded IPv4 expanded). */
function expand6(a: string): number[] {
  let s = a.split('%')[0];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const b = v4[1].split('.').map(Number);
    s = `${s.slice(0, -v4[1].length)}${((b[0] << 8) | b[1]).toString(16)}:${((b[2] << 8) | b[3]).toString(16)}`;
  }
  const [head, tail] = s.includes('::') ? s.split('::') : [s, undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const fill = tail === undefined ? [] : Array(8 - h.length - t.length).fill('0');
  return [...h, ...fill, ...t].map((x) => parseInt(x || '0', 16));
}

function compress6(g: number[]): string {
  const text = g.map((x) => x.toString(16));
  // the longest run of zero groups becomes '::'
  let best = -1;
  let len = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > len && j - i > 1) {
      best = i;
      len = j - i;
    }
    i = j;
  }
  if (best < 0) return text.join(':');
  return `${text.slice(0, best).join(':')}::${text.slice(best + len).join(':')}`;
}

/** Where to find a client's address behind a proxy. @example { header: 'x-forwarded-for', trusted: ['127.0.0.1', '::1'] } */
export interface ProxyTrust {
  /** Header naming the client's address (`x-forwarded-for`: its last entry, the one the proxy added; any other: its value). */
  header?: string;
  /** Addresses of proxies whose header is believed (default: loopback). */
  trusted?: string[];
}

const LOOPBACK = ['127.0.0.1', '::1', '::ffff:127.0.0.1'];

/**
 * The client's address of a request: the socket's, or — from a trusted proxy, when a header is
 * configured — the header's (if it is an IP address).
 * @example clientAddress(req, { header: 'x-forwarded-for' })
 */
export function clientAddress(req: IncomingMessage, trust: ProxyTrust = {}): string | undefined {
  const direct = req.socket.remoteAddress;
  if (!trust.header || !direct || !(trust.trusted ?? LOOPBACK).includes(direct)) return direct;
  const raw = req.headers[trust.header.toLowerCase()];
  const value = Array.isArray(raw) ? raw[raw.length - 1] : raw;
  if (!value) return direct;
  const parts = value.split(',').map((x) => x.trim()).filter(Boolean);
  const last = trust.header.toLowerCase() === 'x-forwarded-for' ? parts[parts.length - 1] : parts[0];
  return last && isIP(last.replace(/^\[|\]$/g, '')) ? last.replace(/^\[|\]$/g, '') : direct;
}

/** Hex digits of a source tag at the start of every peer id. @example SOURCE_TAG_HEX === 8 */
export const SOURCE_TAG_HEX = 8;

/**
 * Source tags: a keyed hash of the source, the key random and replaced every `rotateMs`.
 * @example const tags = new SourceTags(); const id = tags.tag(src) + randomBytes(12).toString('hex');
 */
export class SourceTags {
  private key = randomBytes(32);
  private at: number;
  constructor(
    private readonly rotateMs = 86_400_000,
    private readonly now: () => number = () => Date.now(),
  ) {
    this.at = now();
  }
  /** The tag of `source` today: SOURCE_TAG_HEX hex digits. */
  tag(source: string): string {
    if (this.now() - this.at >= this.rotateMs) {
      this.key = randomBytes(32);
      this.at = this.now();
    }
    return createHmac('sha256', this.key).update(source).digest('hex').slice(0, SOURCE_TAG_HEX);
  }
}

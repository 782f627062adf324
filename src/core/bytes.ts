/**
 * Small byte helpers shared by the whole core (no Node Buffer: this runs in browsers too).
 * @module
 */

/** Concatenate byte arrays. @example concat(a, b).length === a.length + b.length */
export function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Constant-length-aware equality (not constant-time; use only on public data). @example equal(a, a) === true */
export function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Lexicographic comparison, for canonical ordering. @example compare(a, b) < 0 */
export function compare(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

// Hex digit pairs as char codes: one String.fromCharCode per chunk is ~10× faster than 32 concatenations.
const HEX_CODES = new Uint16Array(512);
for (let i = 0; i < 256; i++) {
  const h = i.toString(16).padStart(2, '0');
  HEX_CODES[2 * i] = h.charCodeAt(0);
  HEX_CODES[2 * i + 1] = h.charCodeAt(1);
}

/** Lower-case hex. @example toHex(new Uint8Array([1, 255])) === '01ff' */
export function toHex(b: Uint8Array): string {
  let s = '';
  for (let o = 0; o < b.length; o += 4096) {
    const n = Math.min(4096, b.length - o);
    const codes = new Uint16Array(2 * n);
    for (let i = 0; i < n; i++) {
      codes[2 * i] = HEX_CODES[2 * b[o + i]];
      codes[2 * i + 1] = HEX_CODES[2 * b[o + i] + 1];
    }
    s += String.fromCharCode.apply(null, codes as unknown as number[]);
  }
  return s;
}

/** Parse hex (even length, [0-9a-f] in either case). Throws TypeError on bad characters. @example fromHex('01ff') */
export function fromHex(s: string): Uint8Array {
  if (typeof s !== 'string') throw new TypeError(`fromHex: expected string, got ${typeof s}`);
  if (s.length % 2) throw new RangeError(`fromHex: odd length ${s.length}`);
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) {
    const pair = s.slice(2 * i, 2 * i + 2);
    if (!/^[0-9a-fA-F]{2}$/.test(pair)) throw new TypeError(`fromHex: bad hex at ${2 * i}`);
    out[i] = parseInt(pair, 16);
  }
  return out;
}

const enc = new TextEncoder();
// ignoreBOM: keep a leading U+FEFF in the output (stripping it would give two encodings one value)
const dec = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
/** UTF-8 encode. @example utf8('BeepTrace') */
export function utf8(s: string): Uint8Array {
  return enc.encode(s);
}
/** Strict UTF-8 decode (throws TypeError on invalid UTF-8). @example fromUtf8(utf8('x')) === 'x' */
export function fromUtf8(b: Uint8Array): string {
  return dec.decode(b);
}

/** Big-endian u32 as 4 bytes. @example u32be(1) // [0,0,0,1] */
export function u32be(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`u32be: ${n} out of range`);
  return new Uint8Array([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
}

/** Check a Uint8Array argument and its length. @example abytes(key, 32, 'key') */
export function abytes(b: unknown, len: number | undefined, name: string): Uint8Array {
  if (!(b instanceof Uint8Array)) throw new TypeError(`${name}: expected Uint8Array, got ${b === null ? 'null' : typeof b}`);
  if (len !== undefined && b.length !== len) throw new RangeError(`${name}: expected ${len} bytes, got ${b.length}`);
  return b;
}

/** base64url without padding (for QR payloads and JSON). @example toBase64url(new Uint8Array([255])) === '_w' */
export function toBase64url(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Parse base64url (no padding). Throws TypeError on bad characters. @example fromBase64url('_w') */
export function fromBase64url(s: string): Uint8Array {
  if (typeof s !== 'string' || !/^[A-Za-z0-9_-]*$/.test(s)) throw new TypeError('fromBase64url: not base64url');
  if (s.length % 4 === 1) throw new RangeError('fromBase64url: impossible length');
  const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

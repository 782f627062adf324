/**
 * Canonical binary reader / writer: big-endian integers, length-prefixed byte strings,
 * hard limits, typed errors. Every wire format of BeepTrace is written with these
 * (spec: docs/PROTOCOL.md §Encoding).
 *
 * Strictness: a Reader must be `end()`-ed; trailing bytes are an error. Every integer has a
 * declared range; out-of-range values are `CodecError('range')`, so each value has exactly one
 * encoding.
 *
 * @example
 * const w = new Writer(); w.u8(1); w.bytes(id, 32); const b = w.finish();
 * const r = new Reader(b, 'block'); r.u8(); r.bytes(32); r.end();
 * @module
 */
import { CodecError } from '../errors.ts';

export class Writer {
  private buf: Uint8Array;
  private view: DataView;
  private n = 0;
  constructor(initial = 256) {
    this.buf = new Uint8Array(initial);
    this.view = new DataView(this.buf.buffer);
  }
  private need(k: number): void {
    if (this.n + k <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.n + k) cap *= 2;
    const nb = new Uint8Array(cap);
    nb.set(this.buf.subarray(0, this.n));
    this.buf = nb;
    this.view = new DataView(nb.buffer);
  }
  /** Current length in bytes. */
  get length(): number {
    return this.n;
  }
  u8(v: number): this {
    rangeCheck(v, 0, 0xff, 'u8');
    this.need(1);
    this.buf[this.n++] = v;
    return this;
  }
  u16(v: number): this {
    rangeCheck(v, 0, 0xffff, 'u16');
    this.need(2);
    this.view.setUint16(this.n, v);
    this.n += 2;
    return this;
  }
  u32(v: number): this {
    rangeCheck(v, 0, 0xffffffff, 'u32');
    this.need(4);
    this.view.setUint32(this.n, v);
    this.n += 4;
    return this;
  }
  i32(v: number): this {
    rangeCheck(v, -0x80000000, 0x7fffffff, 'i32');
    this.need(4);
    this.view.setInt32(this.n, v);
    this.n += 4;
    return this;
  }
  /** Unsigned integer up to 2^53−1 as 8 bytes. */
  u64(v: number): this {
    rangeCheck(v, 0, Number.MAX_SAFE_INTEGER, 'u64');
    this.need(8);
    this.view.setUint32(this.n, Math.floor(v / 2 ** 32));
    this.view.setUint32(this.n + 4, v >>> 0);
    this.n += 8;
    return this;
  }
  /** Fixed-length bytes (length is part of the format, not written). */
  bytes(b: Uint8Array, len: number): this {
    if (b.length !== len) throw new RangeError(`expected ${len} bytes, got ${b.length}`);
    this.need(len);
    this.buf.set(b, this.n);
    this.n += len;
    return this;
  }
  /** Variable-length bytes with a u16 length prefix; `max` is enforced on write too. */
  vbytes(b: Uint8Array, max: number): this {
    if (b.length > max) throw new RangeError(`byte string of ${b.length} over limit ${max}`);
    this.u16(b.length);
    this.need(b.length);
    this.buf.set(b, this.n);
    this.n += b.length;
    return this;
  }
  /** Variable-length bytes with a u32 length prefix. */
  lbytes(b: Uint8Array, max: number): this {
    if (b.length > max) throw new RangeError(`byte string of ${b.length} over limit ${max}`);
    this.u32(b.length);
    this.need(b.length);
    this.buf.set(b, this.n);
    this.n += b.length;
    return this;
  }
  /** Bytes written so far (a copy). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.n);
  }
}

function rangeCheck(v: number, lo: number, hi: number, what: string): void {
  if (!Number.isInteger(v) || v < lo || v > hi) throw new RangeError(`${what}: ${v} out of range ${lo}..${hi}`);
}

export class Reader {
  private view: DataView;
  private o = 0;
  /** @param what names the structure in error messages. */
  constructor(
    private readonly buf: Uint8Array,
    private readonly what: string,
  ) {
    if (!(buf instanceof Uint8Array)) throw new TypeError(`${what}: expected Uint8Array, got ${typeof buf}`);
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  get offset(): number {
    return this.o;
  }
  get remaining(): number {
    return this.buf.length - this.o;
  }
  private take(k: number, field: string): number {
    if (this.o + k > this.buf.length) {
      throw new CodecError('truncated', `${this.what}: ${field} needs ${k} bytes at offset ${this.o}, only ${this.buf.length - this.o} left`);
    }
    const at = this.o;
    this.o += k;
    return at;
  }
  u8(field = 'u8'): number {
    return this.buf[this.take(1, field)];
  }
  u16(field = 'u16'): number {
    return this.view.getUint16(this.take(2, field));
  }
  u32(field = 'u32'): number {
    return this.view.getUint32(this.take(4, field));
  }
  i32(field = 'i32'): number {
    return this.view.getInt32(this.take(4, field));
  }
  u64(field = 'u64'): number {
    const at = this.take(8, field);
    const hi = this.view.getUint32(at);
    if (hi > 0x1fffff) throw new CodecError('range', `${this.what}: ${field} above 2^53`);
    return hi * 2 ** 32 + this.view.getUint32(at + 4);
  }
  /** Fixed-length bytes (a view into the input; copy if you keep it past the input's life). */
  bytes(len: number, field = 'bytes'): Uint8Array {
    const at = this.take(len, field);
    return this.buf.subarray(at, at + len);
  }
  vbytes(max: number, field = 'vbytes'): Uint8Array {
    const len = this.u16(`${field} length`);
    if (len > max) throw new CodecError('too_long', `${this.what}: ${field} of ${len} bytes over limit ${max}`);
    return this.bytes(len, field);
  }
  lbytes(max: number, field = 'lbytes'): Uint8Array {
    const len = this.u32(`${field} length`);
    if (len > max) throw new CodecError('too_long', `${this.what}: ${field} of ${len} bytes over limit ${max}`);
    return this.bytes(len, field);
  }
  /** Integer in [lo, hi], else CodecError('range'). */
  check(v: number, lo: number, hi: number, field: string): number {
    if (v < lo || v > hi) throw new CodecError('range', `${this.what}: ${field} = ${v} outside ${lo}..${hi}`);
    return v;
  }
  /** Require that all input was consumed. */
  end(): void {
    if (this.o !== this.buf.length) {
      throw new CodecError('trailing', `${this.what}: ${this.buf.length - this.o} trailing bytes after offset ${this.o}`);
    }
  }
}

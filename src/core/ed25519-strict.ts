/**
 * The one Ed25519 verification rule of BeepTrace (docs/PROTOCOL.md §2, issue 9 finding 9): every
 * provider applies it, so a block verifies on every node or on none. Libraries differ at the edges
 * (noble checks the cofactored equation, OpenSSL the cofactorless one; OpenSSL accepts the identity
 * as a public key): a signature that one accepts and another refuses would split the ledger, and
 * `bad_signature` is worth a disconnect, so honest nodes would ban each other.
 *
 * The rule (cheap checks first, on the bytes, before any library sees them):
 * 1. S < L (canonical scalar);
 * 2. A and R are canonical encodings (y < p);
 * 3. neither A nor R is one of the 8 points of small order (in either sign-bit form);
 * 4. the cofactorless equation [S]B = R + [k]A, k = SHA-512(R ‖ A ‖ M) mod L, holds exactly.
 *
 * OpenSSL checks exactly 4 (and decodes A); after 1–3 it agrees with `verifyCofactorless` here,
 * which the noble provider uses instead of noble's cofactored `verify`.
 *
 * @example
 * if (!ed25519Precheck(pk, sig)) return false; // then the provider's cofactorless check
 * @module
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';

/** Group order L = 2^252 + 27742317777372353535851937790883648493, little-endian bytes. */
const L_LE = hex('edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010');
const L = 2n ** 252n + 27742317777372353535851937790883648493n;

/** Canonical encodings of the 8 small-order points (y, sign bit 0); their sign-bit-1 forms are refused too. */
const SMALL_ORDER = [
  '0100000000000000000000000000000000000000000000000000000000000000',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  '0000000000000000000000000000000000000000000000000000000000000000',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
].map(hex);

function hex(s: string): Uint8Array {
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Little-endian a < b for 32-byte values. */
function lessLE(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 31; i >= 0; i--) if (a[i] !== b[i]) return a[i] < b[i];
  return false;
}

/** y < p = 2^255 − 19 (the sign bit, bit 255, is not part of y). */
function canonicalY(p: Uint8Array): boolean {
  if ((p[31] & 0x7f) !== 0x7f) return true;
  for (let i = 30; i >= 1; i--) if (p[i] !== 0xff) return true;
  return p[0] < 0xed;
}

function smallOrder(p: Uint8Array): boolean {
  outer: for (const q of SMALL_ORDER) {
    for (let i = 0; i < 31; i++) if (p[i] !== q[i]) continue outer;
    if ((p[31] & 0x7f) === q[31]) return true;
  }
  return false;
}

/**
 * Rules 1–3 on the bytes: canonical S, canonical A and R, neither of small order. False for wrong lengths.
 * @example ed25519Precheck(new Uint8Array(32).fill(0).with(0, 1), new Uint8Array(64)) // false: A is the identity
 */
export function ed25519Precheck(publicKey: Uint8Array, sig: Uint8Array): boolean {
  if (publicKey.length !== 32 || sig.length !== 64) return false;
  const r = sig.subarray(0, 32);
  const s = sig.subarray(32, 64);
  if (!lessLE(s, L_LE)) return false;
  if (!canonicalY(publicKey) || !canonicalY(r)) return false;
  return !smallOrder(publicKey) && !smallOrder(r);
}

function leToBig(b: Uint8Array): bigint {
  let n = 0n;
  for (let i = b.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i]);
  return n;
}

/**
 * The whole rule (1–4) on noble: the cofactorless equation, checked exactly. Never throws.
 * @example verifyCofactorless(pk, msg, sig) === nodeCrypto.ed25519Verify(pk, msg, sig)
 */
export function verifyCofactorless(publicKey: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean {
  if (!ed25519Precheck(publicKey, sig)) return false;
  try {
    const P = ed25519.Point;
    const A = P.fromBytes(publicKey);
    const R = P.fromBytes(sig.subarray(0, 32));
    const S = leToBig(sig.subarray(32, 64));
    const h = new Uint8Array(64 + msg.length);
    h.set(sig.subarray(0, 32), 0);
    h.set(publicKey, 32);
    h.set(msg, 64);
    const k = leToBig(sha512(h)) % L;
    const SB = S === 0n ? P.ZERO : P.BASE.multiply(S);
    const kA = k === 0n ? P.ZERO : A.multiplyUnsafe(k);
    return SB.equals(R.add(kA));
  } catch {
    return false;
  }
}

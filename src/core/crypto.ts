/**
 * The crypto provider: every primitive the protocol uses, behind one small synchronous interface,
 * so the core stays pure and each runtime can plug in its fastest implementation.
 *
 * - `nobleCrypto` (this file) is the portable default: @noble/curves, @noble/hashes, @noble/ciphers.
 *   It runs unchanged in a page, a worker and Node.
 * - `src/node/node-crypto.ts` fills the same interface with node:crypto (OpenSSL) for full nodes,
 *   the solver and benchmarks (10–30× faster for Ed25519 / X25519).
 *
 * Both produce identical bytes for identical inputs (tested in test/unit/crypto.test.ts).
 * Algorithms: SHA-256 (FIPS 180-4), HMAC-SHA256 (RFC 2104), HKDF-SHA256 (RFC 5869),
 * Ed25519 (RFC 8032), X25519 (RFC 7748), ChaCha20-Poly1305 (RFC 8439).
 *
 * @example
 * const c = nobleCrypto;
 * const sk = c.randomBytes(32);
 * const sig = c.ed25519Sign(sk, msg);
 * c.ed25519Verify(c.ed25519PublicKey(sk), msg, sig) === true;
 * @module
 */
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { hmac } from '@noble/hashes/hmac.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { abytes, concat } from './bytes.ts';
import { verifyCofactorless } from './ed25519-strict.ts';

/** All primitives the core needs. Inputs are never mutated. */
export interface CryptoProvider {
  readonly name: string;
  /** SHA-256 digest (32 bytes). */
  sha256(data: Uint8Array): Uint8Array;
  /** HMAC-SHA256 (32 bytes). */
  hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array;
  /** Ed25519 public key (32 bytes) from a 32-byte secret seed. */
  ed25519PublicKey(secret: Uint8Array): Uint8Array;
  /** Ed25519 signature (64 bytes). */
  ed25519Sign(secret: Uint8Array, msg: Uint8Array): Uint8Array;
  /** Ed25519 verification; false for any malformed key or signature (never throws on bad bytes). */
  ed25519Verify(publicKey: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean;
  /** X25519 public key (32 bytes) from a 32-byte secret. */
  x25519PublicKey(secret: Uint8Array): Uint8Array;
  /** X25519 shared secret (32 bytes). Throws RangeError for a low-order public key (all-zero output). */
  x25519(secret: Uint8Array, publicKey: Uint8Array): Uint8Array;
  /** ChaCha20-Poly1305 seal: ciphertext ‖ 16-byte tag. */
  aeadSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array;
  /** ChaCha20-Poly1305 open: plaintext, or null when authentication fails. */
  aeadOpen(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array | null;
  /** Cryptographically secure random bytes. */
  randomBytes(n: number): Uint8Array;
  /**
   * Drop every copy of this secret key the provider keeps (an imported-key cache), so a key that
   * must be destroyed (a shredded epoch key, PROTOCOL §3.2) does not outlive the caller's copy.
   * Returns whether a copy was dropped. Providers without a cache may omit it.
   */
  forgetSecret?(secret: Uint8Array): boolean;
}

function isAllZero(b: Uint8Array): boolean {
  let acc = 0;
  for (let i = 0; i < b.length; i++) acc |= b[i];
  return acc === 0;
}

/** Portable provider on the noble libraries. @example nobleCrypto.sha256(new Uint8Array()) */
export const nobleCrypto: CryptoProvider = {
  name: 'noble',
  sha256: (d) => sha256(d),
  hmacSha256: (k, d) => hmac(sha256, k, d),
  ed25519PublicKey: (sk) => ed25519.getPublicKey(abytes(sk, 32, 'ed25519 secret')),
  ed25519Sign: (sk, m) => ed25519.sign(m, abytes(sk, 32, 'ed25519 secret')),
  // the one strict rule every provider applies (src/core/ed25519-strict.ts): same answer as nodeCrypto
  ed25519Verify: (pk, m, s) => verifyCofactorless(pk, m, s),
  x25519PublicKey: (sk) => x25519.getPublicKey(abytes(sk, 32, 'x25519 secret')),
  x25519: (sk, pk) => {
    abytes(pk, 32, 'x25519 public key');
    let out: Uint8Array;
    try {
      out = x25519.getSharedSecret(abytes(sk, 32, 'x25519 secret'), pk);
    } catch {
      throw new RangeError('x25519: low-order public key');
    }
    if (isAllZero(out)) throw new RangeError('x25519: low-order public key');
    return out;
  },
  aeadSeal: (k, n, p, aad) => chacha20poly1305(abytes(k, 32, 'aead key'), abytes(n, 12, 'aead nonce'), aad).encrypt(p),
  aeadOpen: (k, n, c, aad) => {
    if (c.length < 16) return null;
    try {
      return chacha20poly1305(abytes(k, 32, 'aead key'), abytes(n, 12, 'aead nonce'), aad).decrypt(c);
    } catch {
      return null;
    }
  },
  randomBytes: (n) => {
    const out = new Uint8Array(n);
    // globalThis.crypto exists in browsers, workers and Node ≥ 19; it is not an I/O API.
    for (let o = 0; o < n; o += 65536) crypto.getRandomValues(out.subarray(o, Math.min(n, o + 65536)));
    return out;
  },
};

/**
 * HKDF-SHA256 (RFC 5869) on any provider's HMAC. `length` ≤ 255·32.
 * @example hkdf(nobleCrypto, seed, utf8('BeepTrace/v1'), utf8('watch'), 32)
 */
export function hkdf(c: CryptoProvider, ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  if (!Number.isInteger(length) || length < 1 || length > 255 * 32) throw new RangeError(`hkdf: length ${length} out of range`);
  const prk = c.hmacSha256(salt.length ? salt : new Uint8Array(32), ikm);
  const out = new Uint8Array(length);
  let t: Uint8Array = new Uint8Array(0);
  for (let i = 0, o = 0; o < length; i++) {
    t = c.hmacSha256(prk, concat(t, info, new Uint8Array([i + 1])));
    out.set(t.subarray(0, Math.min(32, length - o)), o);
    o += 32;
  }
  return out;
}

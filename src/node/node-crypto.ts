/**
 * The crypto provider on node:crypto (OpenSSL), for full nodes, the solver and benchmarks.
 * Same bytes as `nobleCrypto`; 10–30× faster for Ed25519 and X25519.
 *
 * Keys are imported through JWK, not DER: on Node 20 a DER/SPKI public-key import costs ~85 µs
 * and a PKCS#8 private-key import ~450 µs (OpenSSL 3 decoders), a JWK import 6–35 µs. Private
 * keys are cached by value (small cache), since the same role or epoch key signs or decrypts many times;
 * `forgetSecret` drops a key from the cache (a shredded epoch key must not outlive its holder's copy).
 *
 * @example
 * import { nodeCrypto } from './node-crypto.ts';
 * const sig = nodeCrypto.ed25519Sign(sk, msg);
 * @module
 */
import crypto, { type KeyObject } from 'node:crypto';
import type { CryptoProvider } from '../core/crypto.ts';
import { abytes } from '../core/bytes.ts';
import { ed25519Precheck } from '../core/ed25519-strict.ts';

const b64u = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.length).toString('base64url');
const buf = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.length);

class KeyCache {
  private m = new Map<string, KeyObject>();
  constructor(private max: number) {}
  get(k: string, make: () => KeyObject): KeyObject {
    let v = this.m.get(k);
    if (v) return v;
    v = make();
    if (this.m.size >= this.max) this.m.delete(this.m.keys().next().value as string);
    this.m.set(k, v);
    return v;
  }
  delete(k: string): boolean {
    return this.m.delete(k);
  }
}
const edPriv = new KeyCache(256);
const xPriv = new KeyCache(256);

const ZERO_X = Buffer.alloc(32).toString('base64url');
const PKCS8_PREFIX = { Ed25519: '302e020100300506032b657004220420', X25519: '302e020100300506032b656e04220420' };

/**
 * Import a raw 32-byte private key. A PKCS#8 DER import costs ~450 µs on Node 20 (OpenSSL 3
 * decoders); a JWK import ~35 µs, but JWK wants the public `x` we do not have yet. OpenSSL derives
 * the public key from `d` and ignores `x` on import, so we pass zeros and read the true key back
 * (tested: providers agree byte for byte). Should a Node version validate `x`, fall back to DER.
 */
function importPrivate(crv: 'Ed25519' | 'X25519', sk: Uint8Array): KeyObject {
  try {
    return crypto.createPrivateKey({ key: { kty: 'OKP', crv, d: b64u(sk), x: ZERO_X }, format: 'jwk' });
  } catch {
    const pkcs8 = Buffer.concat([Buffer.from(PKCS8_PREFIX[crv], 'hex'), buf(sk)]);
    return crypto.createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  }
}
function edPrivate(sk: Uint8Array): KeyObject {
  abytes(sk, 32, 'ed25519 secret');
  return edPriv.get(b64u(sk), () => importPrivate('Ed25519', sk));
}
function xPrivate(sk: Uint8Array): KeyObject {
  abytes(sk, 32, 'x25519 secret');
  return xPriv.get(b64u(sk), () => importPrivate('X25519', sk));
}
function rawPublic(k: KeyObject): Uint8Array {
  const jwk = k.export({ format: 'jwk' }) as { x: string };
  return new Uint8Array(Buffer.from(jwk.x, 'base64url'));
}

/** node:crypto provider. @example nodeCrypto.x25519(sk, pk) */
export const nodeCrypto: CryptoProvider = {
  name: 'node',
  sha256: (d) => new Uint8Array(crypto.createHash('sha256').update(d).digest()),
  hmacSha256: (k, d) => new Uint8Array(crypto.createHmac('sha256', k).update(d).digest()),
  ed25519PublicKey: (sk) => rawPublic(crypto.createPublicKey(edPrivate(sk))),
  ed25519Sign: (sk, m) => new Uint8Array(crypto.sign(null, m, edPrivate(sk))),
  ed25519Verify: (pk, m, s) => {
    // the strict rule's byte checks first (src/core/ed25519-strict.ts); OpenSSL then checks the cofactorless equation
    if (!ed25519Precheck(pk, s)) return false;
    try {
      const key = crypto.createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64u(pk) }, format: 'jwk' });
      return crypto.verify(null, m, key, s);
    } catch {
      return false;
    }
  },
  x25519PublicKey: (sk) => rawPublic(crypto.createPublicKey(xPrivate(sk))),
  x25519: (sk, pk) => {
    abytes(pk, 32, 'x25519 public key');
    try {
      const publicKey = crypto.createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: b64u(pk) }, format: 'jwk' });
      return new Uint8Array(crypto.diffieHellman({ privateKey: xPrivate(sk), publicKey }));
    } catch {
      throw new RangeError('x25519: low-order public key');
    }
  },
  forgetSecret: (sk) => {
    if (sk.length !== 32) return false;
    const k = b64u(sk);
    const a = edPriv.delete(k);
    const b = xPriv.delete(k);
    return a || b;
  },
  aeadSeal: (k, n, p, aad) => {
    const c = crypto.createCipheriv('chacha20-poly1305', abytes(k, 32, 'aead key'), abytes(n, 12, 'aead nonce'), { authTagLength: 16 });
    c.setAAD(aad, { plaintextLength: p.length });
    const a = c.update(p);
    const b = c.final();
    return new Uint8Array(Buffer.concat([a, b, c.getAuthTag()]));
  },
  aeadOpen: (k, n, sealed, aad) => {
    if (sealed.length < 16) return null;
    try {
      const d = crypto.createDecipheriv('chacha20-poly1305', abytes(k, 32, 'aead key'), abytes(n, 12, 'aead nonce'), { authTagLength: 16 });
      d.setAAD(aad, { plaintextLength: sealed.length - 16 });
      d.setAuthTag(sealed.subarray(sealed.length - 16));
      const a = d.update(sealed.subarray(0, sealed.length - 16));
      const b = d.final();
      return new Uint8Array(Buffer.concat([a, b]));
    } catch {
      return null;
    }
  },
  randomBytes: (n) => new Uint8Array(crypto.randomBytes(n)),
};

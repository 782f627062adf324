import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { nobleCrypto, hkdf } from '../../src/core/crypto.ts';
import { nodeCrypto } from '../../src/node/node-crypto.ts';
import { fromHex, toHex, utf8 } from '../../src/core/bytes.ts';

test('HKDF-SHA256 matches RFC 5869 test case 1', () => {
  const ikm = fromHex('0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b');
  const salt = fromHex('000102030405060708090a0b0c');
  const info = fromHex('f0f1f2f3f4f5f6f7f8f9');
  const okm = '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865';
  assert.equal(toHex(hkdf(nobleCrypto, ikm, salt, info, 42)), okm);
  assert.equal(toHex(hkdf(nodeCrypto, ikm, salt, info, 42)), okm);
});

test('Ed25519 RFC 8032 test 1 on both providers', () => {
  const sk = fromHex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
  const pk = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';
  const sig = 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b';
  for (const c of [nobleCrypto, nodeCrypto]) {
    assert.equal(toHex(c.ed25519PublicKey(sk)), pk, c.name);
    assert.equal(toHex(c.ed25519Sign(sk, new Uint8Array())), sig, c.name);
    assert.equal(c.ed25519Verify(fromHex(pk), new Uint8Array(), fromHex(sig)), true, c.name);
    const bad = fromHex(sig);
    bad[0] ^= 1;
    assert.equal(c.ed25519Verify(fromHex(pk), new Uint8Array(), bad), false, c.name);
    assert.equal(c.ed25519Verify(new Uint8Array(31), new Uint8Array(), fromHex(sig)), false, c.name);
  }
});

test('X25519 RFC 7748 §6.1 on both providers, and low-order keys are refused', () => {
  const a = fromHex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
  const bPub = fromHex('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
  for (const c of [nobleCrypto, nodeCrypto]) {
    assert.equal(toHex(c.x25519PublicKey(a)), '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a', c.name);
    assert.equal(toHex(c.x25519(a, bPub)), '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742', c.name);
    assert.throws(() => c.x25519(a, new Uint8Array(32)), RangeError, c.name);
  }
});

test('providers agree byte for byte (property)', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 40 }), (sk, msg, aad) => {
      assert.equal(toHex(nobleCrypto.sha256(msg)), toHex(nodeCrypto.sha256(msg)));
      assert.equal(toHex(nobleCrypto.hmacSha256(sk, msg)), toHex(nodeCrypto.hmacSha256(sk, msg)));
      assert.equal(toHex(nobleCrypto.ed25519Sign(sk, msg)), toHex(nodeCrypto.ed25519Sign(sk, msg)));
      assert.equal(toHex(nobleCrypto.x25519PublicKey(sk)), toHex(nodeCrypto.x25519PublicKey(sk)));
      const nonce = sk.subarray(0, 12);
      const sealed = nobleCrypto.aeadSeal(sk, nonce, msg, aad);
      assert.equal(toHex(sealed), toHex(nodeCrypto.aeadSeal(sk, nonce, msg, aad)));
      assert.equal(toHex(nodeCrypto.aeadOpen(sk, nonce, sealed, aad)!), toHex(msg));
      const flipped = sealed.slice();
      flipped[flipped.length - 1] ^= 1;
      assert.equal(nobleCrypto.aeadOpen(sk, nonce, flipped, aad), null);
      assert.equal(nodeCrypto.aeadOpen(sk, nonce, flipped, aad), null);
      assert.equal(nodeCrypto.aeadOpen(sk, nonce, sealed, utf8('other aad')), null);
    }),
    { numRuns: 60 },
  );
});

test('issue 9 finding 12: the Node provider drops a cached secret key on forgetSecret; a shredded epoch key leaves no cached copy', async () => {
  const sk = nodeCrypto.randomBytes(32);
  nodeCrypto.x25519PublicKey(sk); // imports and caches it
  nodeCrypto.ed25519Sign(sk, utf8('m'));
  assert.equal(nodeCrypto.forgetSecret!(sk), true, 'a cached copy was dropped');
  assert.equal(nodeCrypto.forgetSecret!(sk), false, 'no copy is left');
  // World.destroyEpoch (crypto-shredding) purges the provider's cache as well as its own copy
  const { World } = await import('../../src/node/sim/world.ts');
  const w = await World.create({ crypto: nodeCrypto, startMs: Date.UTC(2026, 2, 3) });
  const epoch = [...w.epochKeys.keys()][0];
  const copy = w.epochKeys.get(epoch)!.secretKey.slice();
  nodeCrypto.x25519PublicKey(copy);
  w.destroyEpoch(epoch);
  assert.equal(nodeCrypto.forgetSecret!(copy), false, 'the shredded key was already purged from the cache');
});

test('issue 9 finding 9: Ed25519 verification is one strict rule, identical on noble and OpenSSL (edge cases and mutations)', async () => {
  const { ed25519 } = await import('@noble/curves/ed25519.js');
  const { sha512 } = await import('@noble/hashes/sha2.js');
  const L = 2n ** 252n + 27742317777372353535851937790883648493n;
  const le = (n: bigint) => { const b = new Uint8Array(32); for (let i = 0; i < 32; i++) { b[i] = Number(n & 255n); n >>= 8n; } return b; };
  const big = (b: Uint8Array) => b.reduceRight((n, x) => (n << 8n) | BigInt(x), 0n);
  const both = (pk: Uint8Array, m: Uint8Array, s: Uint8Array) => [nobleCrypto.ed25519Verify(pk, m, s), nodeCrypto.ed25519Verify(pk, m, s)];
  const msg = utf8('trace batch');
  // 1. A = identity with signature (R = identity, S = 0): OpenSSL alone used to accept it for any message
  const id = new Uint8Array(32); id[0] = 1;
  assert.deepEqual(both(id, msg, new Uint8Array([...id, ...new Uint8Array(32)])), [false, false]);
  // 2. R with a small-order component: noble's cofactored check used to accept it, OpenSSL refused it
  const sk = fromHex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
  const { scalar: a, pointBytes: A } = ed25519.utils.getExtendedPublicKey(sk);
  const T8 = ed25519.Point.fromBytes(fromHex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a'));
  const r = 1234567890123456789n;
  const R = ed25519.Point.BASE.multiply(r).add(T8).toBytes();
  const k = big(sha512(new Uint8Array([...R, ...A, ...msg]))) % L;
  const mixed = new Uint8Array([...R, ...le((r + k * a) % L)]);
  assert.deepEqual(both(A, msg, mixed), [false, false], 'a mixed-order R is refused by both');
  // 3. S ≥ L (S + L of a valid signature), non-canonical A: refused by both; the valid one accepted by both
  const good = nodeCrypto.ed25519Sign(sk, msg);
  assert.deepEqual(both(A, msg, good), [true, true]);
  const sPlusL = new Uint8Array([...good.subarray(0, 32), ...le(big(good.subarray(32)) + L)]);
  assert.deepEqual(both(A, msg, sPlusL), [false, false]);
  const nonCanon = fromHex('eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f');
  assert.deepEqual(both(nonCanon, msg, good), [false, false]);
  // 4. random signatures and every kind of mutation: the providers always agree
  fc.assert(fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 40 }), fc.nat(95), fc.integer({ min: 0, max: 255 }), (s, m, at, v) => {
    const pk = nodeCrypto.ed25519PublicKey(s);
    const sig = nodeCrypto.ed25519Sign(s, m);
    const x = new Uint8Array([...pk, ...sig]);
    x[at] = v;
    const [p2, s2] = [x.subarray(0, 32), x.subarray(32)];
    const [n, o] = both(p2, m, s2);
    assert.equal(n, o, `providers disagree on a mutation at byte ${at}`);
  }), { numRuns: 300, seed: 9 });
});

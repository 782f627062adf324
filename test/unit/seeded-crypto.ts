/**
 * Shared helper of the unit tests (not a test file: the runner's glob is *.test.ts): nodeCrypto
 * with randomBytes from an HMAC-SHA256 counter, so a World built with it is reproducible.
 */
import { nodeCrypto } from '../../src/node/node-crypto.ts';
import type { CryptoProvider } from '../../src/core/crypto.ts';
import { u32be, utf8 } from '../../src/core/bytes.ts';

/** A reproducible crypto provider: the same label gives the same "random" bytes. @example const c = seededCrypto('privacy-test') */
export function seededCrypto(label: string): CryptoProvider {
  const key = utf8(label);
  let counter = 0;
  return {
    ...nodeCrypto,
    name: `seeded(${label})`,
    randomBytes: (n: number) => {
      const out = new Uint8Array(n);
      for (let o = 0; o < n; o += 32) out.set(nodeCrypto.hmacSha256(key, u32be(counter++)).subarray(0, Math.min(32, n - o)), o);
      return out;
    },
  };
}

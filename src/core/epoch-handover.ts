/**
 * Epoch key hand-over (docs/PROTOCOL.md §3.2): the CA gives an epoch's X25519 private key to a
 * certified solver sealed to that solver's Ed25519 role key, so the secret never sits as plain hex
 * in a file. A sealed box: the recipient's X25519 key is its Ed25519 key mapped to Montgomery form
 * (RFC 7748 birational map; @noble/curves `toMontgomery` / `toMontgomerySecret`), an ephemeral
 * X25519 key agrees a secret with it, HKDF-SHA256 derives the key, ChaCha20-Poly1305 seals.
 *
 *   box = E (32) ‖ ChaCha20-Poly1305(k, nonce = 0^12, epochSecret (32), aad) (48)   — 80 bytes
 *   k   = HKDF-SHA256(ikm = X25519(e, R), salt = E ‖ R, info = "BeepTrace/v1 epoch hand-over", 32)
 *   aad = "beeptrace-epoch/1" ‖ u32be(epoch) ‖ epochPublicKey (32)
 * where R = toMontgomery(recipient Ed25519 public key), E = X25519(e, 9) for a fresh e. The key is
 * fresh per box, so the fixed nonce is used once. The opener checks that the secret derives the
 * stated epoch public key. Pure: no I/O.
 *
 * @example
 * const box = sealEpochKey(nobleCrypto, solverPub, { epoch: 2930, secretKey, publicKey });
 * const kp = openEpochKey(nobleCrypto, solverSecret, 2930, publicKey, box); // { secretKey, publicKey }
 * @module
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import type { CryptoProvider } from './crypto.ts';
import { hkdf } from './crypto.ts';
import { concat, equal, utf8 } from './bytes.ts';
import { InputError } from './errors.ts';

/** Bytes of one sealed epoch key. @example sealEpochKey(c, pub, k).length === EPOCH_BOX_BYTES */
export const EPOCH_BOX_BYTES = 80;
const INFO = utf8('BeepTrace/v1 epoch hand-over');
const NONCE = new Uint8Array(12);

function aad(epoch: number, epochPub: Uint8Array): Uint8Array {
  const e = new Uint8Array(4);
  new DataView(e.buffer).setUint32(0, epoch);
  return concat(utf8('beeptrace-epoch/1'), e, epochPub);
}

function checkEpoch(epoch: number): void {
  if (!Number.isInteger(epoch) || epoch < 0 || epoch > 0xffffffff) throw new RangeError(`epoch ${epoch} outside 0..2^32-1`);
}

/**
 * Seal an epoch's private key to a solver's Ed25519 public key (80 bytes).
 * @example const box = sealEpochKey(c, solver.publicKey, { epoch, secretKey, publicKey })
 */
export function sealEpochKey(c: CryptoProvider, recipientEd25519: Uint8Array, k: { epoch: number; secretKey: Uint8Array; publicKey: Uint8Array }): Uint8Array {
  checkEpoch(k.epoch);
  if (k.secretKey.length !== 32 || k.publicKey.length !== 32) throw new RangeError('sealEpochKey: epoch keys are 32 bytes');
  const R = ed25519.utils.toMontgomery(recipientEd25519);
  const e = c.randomBytes(32);
  const E = c.x25519PublicKey(e);
  const key = hkdf(c, c.x25519(e, R), concat(E, R), INFO, 32);
  c.forgetSecret?.(e); // the provider's cached copy too: e opens the box
  e.fill(0);
  return concat(E, c.aeadSeal(key, NONCE, k.secretKey, aad(k.epoch, k.publicKey)));
}

/**
 * Open a sealed epoch key with the solver's Ed25519 secret (seed). Throws InputError
 * `bad_handover` when the box is not for this key, was altered, or does not give `epochPub`.
 * @example const { secretKey } = openEpochKey(c, solverSecret, 2930, epochPub, box)
 */
export function openEpochKey(c: CryptoProvider, recipientSecret: Uint8Array, epoch: number, epochPub: Uint8Array, box: Uint8Array): { secretKey: Uint8Array; publicKey: Uint8Array } {
  checkEpoch(epoch);
  if (box.length !== EPOCH_BOX_BYTES) throw new InputError('bad_handover', `epoch ${epoch}: a sealed epoch key is ${EPOCH_BOX_BYTES} bytes, got ${box.length}`);
  const x = ed25519.utils.toMontgomerySecret(recipientSecret);
  const R = c.x25519PublicKey(x);
  const E = box.subarray(0, 32);
  let shared: Uint8Array;
  try {
    shared = c.x25519(x, E);
  } catch {
    throw new InputError('bad_handover', `epoch ${epoch}: the sealed key's ephemeral key is invalid`);
  } finally {
    c.forgetSecret?.(x);
    x.fill(0);
  }
  const key = hkdf(c, shared, concat(E, R), INFO, 32);
  const secretKey = c.aeadOpen(key, NONCE, box.subarray(32), aad(epoch, epochPub));
  if (!secretKey) throw new InputError('bad_handover', `epoch ${epoch}: the sealed key does not open with this solver's key (sealed to another key, or altered)`);
  const publicKey = c.x25519PublicKey(secretKey);
  if (!equal(publicKey, epochPub)) throw new InputError('bad_handover', `epoch ${epoch}: the sealed key does not match the epoch public key`);
  return { secretKey, publicKey };
}

/**
 * Role key files (src/core/keyfile.ts): a round trip, a wrong passphrase, an edited file, bounds
 * on the scrypt cost a file may ask for, and that no secret appears in the file's text.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nobleCrypto as c } from '../../src/core/crypto.ts';
import { toHex } from '../../src/core/bytes.ts';
import { InputError } from '../../src/core/errors.ts';
import { openKeyFile, parseKeyFile, sealKeyFile } from '../../src/core/keyfile.ts';

const FAST = { N: 2 ** 10, r: 8, p: 1 };
const secretKey = c.randomBytes(32);

test('a sealed key file opens with its passphrase and gives back the same key', async () => {
  const text = await sealKeyFile(c, { role: 'diagnostician', name: 'Clinic 4', region: 7, secretKey }, 'correct horse', FAST);
  assert.ok(!text.includes(toHex(secretKey)), 'the secret key must not appear in the file');
  const k = await openKeyFile(c, text, 'correct horse');
  assert.deepEqual(k.secretKey, secretKey);
  assert.deepEqual(k.publicKey, c.ed25519PublicKey(secretKey));
  assert.equal(k.role, 'diagnostician');
  assert.equal(k.name, 'Clinic 4');
  assert.equal(k.region, 7);
  assert.equal(parseKeyFile(text).publicKey, toHex(c.ed25519PublicKey(secretKey)));
});

test('a wrong passphrase is refused with wrong_passphrase', async () => {
  const text = await sealKeyFile(c, { role: 'solver', name: 's', secretKey }, 'right', FAST);
  await assert.rejects(openKeyFile(c, text, 'wrong'), (e: unknown) => e instanceof InputError && e.code === 'wrong_passphrase');
});

test('a file whose role was edited does not open (the role is authenticated)', async () => {
  const text = await sealKeyFile(c, { role: 'solver', name: 's', secretKey }, 'pw', FAST);
  const edited = text.replace('"solver"', '"diagnostician"');
  assert.notEqual(edited, text);
  await assert.rejects(openKeyFile(c, edited, 'pw'), (e: unknown) => e instanceof InputError && e.code === 'wrong_passphrase');
});

test('malformed files name the field that is wrong', async () => {
  const good = JSON.parse(await sealKeyFile(c, { role: 'validator', name: 'v', secretKey }, 'pw', FAST));
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ ...good, format: 'x' }, /"format"/],
    [{ ...good, role: 'mayor' }, /"role"/],
    [{ ...good, publicKey: 'zz' }, /"publicKey"/],
    [{ ...good, kdf: { ...good.kdf, N: 2 ** 30 } }, /scrypt N/],
    [{ ...good, kdf: { ...good.kdf, N: 1000 } }, /scrypt N/],
    [{ ...good, cipher: { ...good.cipher, nonce: '00' } }, /"nonce"/],
  ];
  for (const [o, re] of cases) {
    assert.throws(() => parseKeyFile(JSON.stringify(o)), (e: unknown) => e instanceof InputError && e.code === 'bad_key_file' && re.test(e.message));
  }
  assert.throws(() => parseKeyFile('{'), (e: unknown) => e instanceof InputError && /not JSON/.test(e.message));
});

test('a file whose public key is another key does not open', async () => {
  const o = JSON.parse(await sealKeyFile(c, { role: 'venue', name: 'v', secretKey }, 'pw', FAST));
  o.publicKey = toHex(c.ed25519PublicKey(c.randomBytes(32)));
  // The AAD binds the public key, so the AEAD refuses before the key comparison.
  await assert.rejects(openKeyFile(c, JSON.stringify(o), 'pw'), (e: unknown) => e instanceof InputError);
});

test('sealing refuses a wrong role, a short key and an empty passphrase', async () => {
  await assert.rejects(sealKeyFile(c, { role: 'king' as never, name: 'k', secretKey }, 'pw', FAST), TypeError);
  await assert.rejects(sealKeyFile(c, { role: 'root', name: 'k', secretKey: new Uint8Array(31) }, 'pw', FAST), RangeError);
  await assert.rejects(sealKeyFile(c, { role: 'root', name: 'k', secretKey }, '', FAST), TypeError);
});

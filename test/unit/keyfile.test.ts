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

test('issue 18 finding 7: a file whose name or region was edited does not open (every public field is authenticated)', async () => {
  const text = await sealKeyFile(c, { role: 'venue', name: 'Café Nord', region: 1, secretKey }, 'pw', FAST);
  assert.equal(JSON.parse(text).format, 'beeptrace-key/2');
  const edits: [string, (o: Record<string, unknown>) => void][] = [
    ['name', (o) => { o.name = 'City Hospital'; }],
    ['region', (o) => { o.region = 2; }],
    ['region removed', (o) => { delete o.region; }],
  ];
  for (const [what, edit] of edits) {
    const o = JSON.parse(text) as Record<string, unknown>;
    edit(o);
    await assert.rejects(openKeyFile(c, JSON.stringify(o), 'pw'), (e: unknown) => e instanceof InputError && e.code === 'wrong_passphrase', what);
  }
  // Relabelled as the earlier format (whose aad names neither): it does not open either.
  const o = JSON.parse(text) as Record<string, unknown>;
  o.format = 'beeptrace-key/1';
  o.name = 'City Hospital';
  await assert.rejects(openKeyFile(c, JSON.stringify(o), 'pw'), (e: unknown) => e instanceof InputError && e.code === 'wrong_passphrase', 'downgraded to format 1');
  assert.equal((await openKeyFile(c, text, 'pw')).name, 'Café Nord');
});

test('a key file of the earlier format 1 (aad over role and public key) still opens', async () => {
  const { scryptAsync } = await import('@noble/hashes/scrypt.js');
  const { xchacha20poly1305 } = await import('@noble/ciphers/chacha.js');
  const salt = c.randomBytes(16);
  const nonce = c.randomBytes(24);
  const publicKey = toHex(c.ed25519PublicKey(secretKey));
  const k = await scryptAsync(new TextEncoder().encode('pw'), salt, { ...FAST, dkLen: 32 });
  const sealed = xchacha20poly1305(k, nonce, new TextEncoder().encode(`beeptrace-key/1\nsolver\n${publicKey}`)).encrypt(secretKey);
  const v1 = { format: 'beeptrace-key/1', role: 'solver', name: 'Solver 1', publicKey, kdf: { name: 'scrypt', ...FAST, salt: toHex(salt) }, cipher: { name: 'xchacha20-poly1305', nonce: toHex(nonce) }, secretKey: toHex(sealed) };
  const opened = await openKeyFile(c, JSON.stringify(v1), 'pw');
  assert.deepEqual([opened.role, opened.name], ['solver', 'Solver 1']);
  assert.deepEqual(opened.secretKey, secretKey);
});

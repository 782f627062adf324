/**
 * The device's own flows (src/core/device.ts), the recorder snapshot the app persists, and the
 * policy's advice texts:
 * - a day's stays split into parts of at most the largest bucket, numbered from the caller's first
 *   part; the solver opens each; a day that would pass part 255 is refused before anything is sealed;
 * - sealingParams says when the CA has no epoch key for the day;
 * - diagnosisDays and possession proofs bind to the diagnostician;
 * - StayRecorder.snapshot/restore continues exactly where the recorder was, through JSON;
 * - policy advice: defaults in en/de/ar, strict parsing, language fallback.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nodeCrypto as c } from '../../src/node/node-crypto.ts';
import { UserKeys } from '../../src/core/keys.ts';
import { decodeBlock } from '../../src/core/codec/block.ts';
import { decodeTraceBatch } from '../../src/core/codec/records.ts';
import { openTraceBatch, badProofs } from '../../src/core/sealing.ts';
import { AuthorityState } from '../../src/core/ledger/authority.ts';
import { DeviceError, MAX_PART_STAYS, diagnosisDays, partsFor, possessionProofs, sealingParams, traceBatches } from '../../src/core/device.ts';
import { StayRecorder } from '../../src/core/recorder.ts';
import { DEFAULT_ADVICE, DEFAULT_POLICY, adviceFor, parsePolicy } from '../../src/core/policy.ts';
import { Precision, Source, type Fix, type Stay } from '../../src/core/types.ts';

const DAY = 20_500;
const stay = (i: number): Stay => ({ start: DAY * 1440 + i, minutes: 1, latE7: 558_000_000 + i, lonE7: -42_000_000, radius: 10, source: Source.GNSS, precision: Precision.M10 });

test('a day of stays → parts of at most the largest bucket, numbered from the first part, each opened by the solver', () => {
  const keys = new UserKeys(c, c.randomBytes(32));
  const epochSecret = c.randomBytes(32);
  const epochPub = c.x25519PublicKey(epochSecret);
  const stays = Array.from({ length: MAX_PART_STAYS + 3 }, (_, i) => stay(i));
  assert.equal(partsFor(0), 1);
  assert.equal(partsFor(MAX_PART_STAYS), 1);
  assert.equal(partsFor(stays.length), 2);
  const { blocks, parts } = traceBatches(c, keys, { region: 1, timeSec: DAY * 86_400 + 3600, day: DAY, stays, firstPart: 7, epoch: 2928, epochPub, powBits: 0 });
  assert.deepEqual(parts, [7, 8]);
  const opened = blocks.map((b) => {
    const body = decodeTraceBatch(decodeBlock(b).body);
    assert.deepEqual(body.dayPub, keys.daySigning(DAY).publicKey);
    return { part: body.part, stays: openTraceBatch(c, epochSecret, epochPub, body)!.stays };
  });
  assert.deepEqual(opened.map((o) => o.part), [7, 8]);
  assert.deepEqual(opened.flatMap((o) => o.stays), stays, 'every stay once, in order');
  assert.throws(
    () => traceBatches(c, keys, { region: 1, timeSec: DAY * 86_400, day: DAY, stays, firstPart: 255, epoch: 2928, epochPub, powBits: 0 }),
    (e: unknown) => e instanceof DeviceError && e.code === 'parts_exhausted',
  );
});

test('sealingParams needs the epoch key; possession proofs bind to the diagnostician', () => {
  const a = new AuthorityState(new Uint8Array(32));
  assert.throws(() => sealingParams(a, DAY), (e: unknown) => e instanceof DeviceError && e.code === 'no_epoch_key');
  assert.deepEqual(diagnosisDays(100, 95, 3, 14), [92, 93, 94, 95, 96, 97, 98, 99, 100]);
  assert.deepEqual(diagnosisDays(100, 95, 14, 5), [96, 97, 98, 99, 100], 'not before the retention window');
  const keys = new UserKeys(c, c.randomBytes(32));
  const clinic = c.randomBytes(32);
  const challenge = c.randomBytes(32);
  const proofs = possessionProofs(keys, [DAY, DAY + 1], clinic, challenge);
  assert.deepEqual(badProofs(c, proofs, clinic, challenge), []);
  assert.deepEqual(badProofs(c, proofs, c.randomBytes(32), challenge), [DAY, DAY + 1], 'useless for another clinic');
});

test('StayRecorder snapshot → JSON → restore continues exactly where the recorder was', () => {
  const t0 = DAY * 86_400_000 + 9 * 3_600_000;
  const fixes: Fix[] = [];
  for (let m = 0; m < 50; m++) fixes.push({ t: t0 + m * 60_000, lat: m < 20 ? 48.85 : 48.86, lon: 2.35, acc: 8 });
  const whole = new StayRecorder();
  const a = new StayRecorder();
  const out1: Stay[] = [];
  const out2: Stay[] = [];
  for (const f of fixes) out1.push(...whole.addFix(f));
  for (const f of fixes.slice(0, 35)) out2.push(...a.addFix(f));
  const b = new StayRecorder();
  b.restore(JSON.parse(JSON.stringify(a.snapshot())));
  assert.deepEqual(b.openStay(), a.openStay());
  for (const f of fixes.slice(35)) out2.push(...b.addFix(f));
  out1.push(...whole.flush(t0 + 60 * 60_000));
  out2.push(...b.flush(t0 + 60 * 60_000));
  assert.deepEqual(out2, out1);
  assert.deepEqual(new StayRecorder().snapshot(), { v: 2, open: null, lastT: null, cursorMin: null });
  assert.throws(() => b.restore({ v: 1, open: null, lastT: null, cursorMin: null } as never), TypeError, 'a snapshot of the old recorder (version 1) is refused');
  assert.throws(() => b.restore({ v: 2, open: { startMin: 'x' }, lastT: null, cursorMin: null } as never), TypeError);
  assert.deepEqual(b.openStay(), null, 'a refused snapshot changes nothing');
});

test('policy advice: defaults in en, de, ar; strict parsing; language fallback', () => {
  for (const level of ['low', 'high'] as const) for (const lang of ['en', 'de', 'ar']) assert.ok(DEFAULT_ADVICE[level].text[lang].length > 40);
  assert.deepEqual(parsePolicy('{}').advice, DEFAULT_ADVICE);
  const own = { low: { days: 5, text: { en: 'Watch for symptoms.', 'pt-BR': 'Observe os sintomas.' } }, high: { days: 14, text: { fr: 'Faites un test.' } } };
  const p = parsePolicy(JSON.stringify({ advice: own }));
  assert.deepEqual(p.advice, own);
  assert.deepEqual(adviceFor(p, 'low', 100, 'pt-BR'), { text: 'Observe os sintomas.', until: 105 });
  assert.deepEqual(adviceFor(p, 'low', 100, 'de'), { text: 'Watch for symptoms.', until: 105 }, 'English when the language is missing');
  assert.deepEqual(adviceFor(p, 'high', 100, 'en'), { text: 'Faites un test.', until: 114 }, 'any text when English is missing too');
  assert.deepEqual(adviceFor(DEFAULT_POLICY, 'high', 100, 'de-AT').text, DEFAULT_ADVICE.high.text.de, 'the base language of a regional tag');
  const bad: [unknown, RegExp][] = [
    [{ low: own.low }, /advice: needs both "low" and "high"/],
    [{ ...own, medium: own.low }, /advice: unknown key "medium"/],
    [{ ...own, low: { days: -1, text: { en: 'x' } } }, /advice\.low\.days: must be an integer in 0\.\.60/],
    [{ ...own, low: { days: 1, text: {} } }, /advice\.low\.text: must have 1\.\.16 languages/],
    [{ ...own, low: { days: 1, text: { 'EN!': 'x' } } }, /not a language tag/],
    [{ ...own, low: { days: 1, text: { en: '' } } }, /advice\.low\.text\.en: must be a non-empty string/],
    [{ ...own, low: { days: 1, text: { en: 'x'.repeat(601) } } }, /at most 600 characters/],
    [{ ...own, low: { days: 1, text: { en: 'x' }, note: 1 } }, /advice\.low: unknown key "note"/],
  ];
  for (const [advice, re] of bad) assert.throws(() => parsePolicy(JSON.stringify({ advice })), re);
  assert.ok(new TextEncoder().encode(JSON.stringify(DEFAULT_POLICY)).length <= 4096, 'the default policy fits one POLICY block');
});

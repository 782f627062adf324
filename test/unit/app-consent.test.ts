/**
 * The engine's diagnosis parts (src/app/engine/clinic.ts, consent.ts) over a real ledger that
 * carries both chains (so every block they publish meets the acceptance rules): a clinic and a
 * patient, each with its own store; the key file unlock and its refusals; one consent → one
 * diagnosis, recognised by the patient; replay, second diagnostician, expiry and revocation
 * refused with nothing published; the self-report accepted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nodeCrypto as c } from '../../src/node/node-crypto.ts';
import { certificateBlock, diagnosisBlock, epochKeyBlock, newRoleKey, revocationBlock, type RoleKey } from '../../src/core/blocks.ts';
import { sealKeyFile } from '../../src/core/keyfile.ts';
import { UserKeys } from '../../src/core/keys.ts';
import { diagnosisDays, possessionProofs } from '../../src/core/device.ts';
import { Ledger } from '../../src/core/ledger/ledger.ts';
import { decodeBlock, Kind } from '../../src/core/codec/block.ts';
import { decodeCase, Role } from '../../src/core/codec/records.ts';
import { openCase } from '../../src/core/sealing.ts';
import { epochOf, DEFAULT_POLICY } from '../../src/core/policy.ts';
import { Chain, dayOfMs } from '../../src/core/types.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { serialQueue, type EngineCtx } from '../../src/app/engine/context.ts';
import { Clinic } from '../../src/app/engine/clinic.ts';
import { Consent } from '../../src/app/engine/consent.ts';
import { emptyDay, writeDay } from '../../src/app/engine/state.ts';
import { decodeConsentCode, MAX_CONSENT_DAYS } from '../../src/core/codec/consent.ts';
import { toHex } from '../../src/core/bytes.ts';
import type { NetNode } from '../../src/net/node.ts';

const REGION = 1;
const SCRYPT = { N: 2 ** 10, r: 8, p: 1 };

async function world() {
  let nowMs = Date.UTC(2026, 10, 30, 12, 0, 0);
  const now = () => nowMs;
  const root = newRoleKey(c);
  const ledger = new Ledger({ crypto: c, store: new MemoryStore(), rootKey: root.publicKey, region: REGION, now, carries: [Chain.TRACING, Chain.NOTIFICATION] });
  await ledger.open();
  const common = () => ({ region: REGION, timeSec: Math.floor(nowMs / 1000), parents: ledger.tips(Chain.NOTIFICATION) });
  const add = async (b: Uint8Array) => assert.equal((await ledger.add(b)).status, 'added');
  const certify = async (k: RoleKey, name: string, notAfter = Math.floor(nowMs / 1000) + 86_400) => add(certificateBlock(c, root, {
    serial: c.randomBytes(16), role: Role.DIAGNOSTICIAN, region: REGION, subject: k.publicKey, notBefore: Math.floor(nowMs / 1000) - 3600, notAfter, name,
  }, common()));
  const epoch = epochOf(DEFAULT_POLICY, dayOfMs(nowMs));
  const epochSecret = c.randomBytes(32);
  await add(epochKeyBlock(c, root, epoch, c.x25519PublicKey(epochSecret), common()));
  const published: Uint8Array[] = [];
  const node = { publish: async (b: Uint8Array) => { await ledger.add(b).then((r) => { if (r.status !== 'added') throw new Error(r.status); }); published.push(b); return { status: 'added' }; } } as unknown as NetNode;
  const ctx = (keys: UserKeys): EngineCtx => ({ store: new MemoryStore(), c, now, region: REGION, keys, net: { ledger, node }, locked: serialQueue(), changed: () => undefined });
  const diagnoses = () => ledger.entries(Chain.TRACING).filter((e) => e.kind === Kind.DIAGNOSIS).length;
  /** The days a published diagnosis endorses, as a solver opens it (the epoch key). */
  const endorsedBy = (block: Uint8Array) => openCase(c, epochSecret, c.x25519PublicKey(epochSecret), decodeCase(decodeBlock(block).body, 'diagnosis'))!.endorsed;
  return { root, ledger, common, add, certify, ctx, published, diagnoses, endorsedBy, advance: (ms: number) => { nowMs += ms; }, now };
}

async function rejects(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => (e as { code?: string }).code === code, `expected ${code}`);
}

test('diagnostician mode: a certified key file opens; a wrong passphrase, another role, an uncertified or expired key do not', async () => {
  const w = await world();
  const key = newRoleKey(c);
  const clinic = new Clinic(w.ctx(new UserKeys(c, c.randomBytes(32))));
  const file = await sealKeyFile(c, { role: 'diagnostician', name: 'Clinic 4', region: REGION, secretKey: key.secretKey }, 'pass word', SCRYPT);
  await rejects(clinic.unlock(file, 'pass word'), 'not_certified');
  await rejects(clinic.code(), 'locked');
  await w.certify(key, 'Clinic 4');
  await rejects(clinic.unlock(file, 'wrong'), 'wrong_passphrase');
  await rejects(clinic.unlock(await sealKeyFile(c, { role: 'solver', name: 's', secretKey: key.secretKey }, 'pass word', SCRYPT), 'pass word'), 'wrong_role');
  const st = await clinic.unlock(file, 'pass word');
  assert.equal(st.name, 'Clinic 4');
  assert.equal(JSON.stringify(clinic.state()).includes('secret'), false, 'the state names no secret');
  clinic.leave();
  assert.equal(clinic.state(), null);
  const old = newRoleKey(c);
  await w.certify(old, 'Old Clinic', Math.floor(w.now() / 1000) + 60);
  w.advance(120_000);
  await rejects(clinic.unlock(await sealKeyFile(c, { role: 'diagnostician', name: 'Old', secretKey: old.secretKey }, 'pass word', SCRYPT), 'pass word'), 'not_certified');
});

test('one consent, one diagnosis the ledger accepts and the patient recognises; replays, another clinic, expiry and revocation are refused and publish nothing', async () => {
  const w = await world();
  const k1 = newRoleKey(c);
  const k2 = newRoleKey(c);
  await w.certify(k1, 'Clinic 1');
  await w.certify(k2, 'Clinic 2');
  const clinic = new Clinic(w.ctx(new UserKeys(c, c.randomBytes(32))));
  const clinic2 = new Clinic(w.ctx(new UserKeys(c, c.randomBytes(32))));
  await clinic.unlock(await sealKeyFile(c, { role: 'diagnostician', name: 'Clinic 1', secretKey: k1.secretKey }, 'pass word', SCRYPT), 'pass word');
  await clinic2.unlock(await sealKeyFile(c, { role: 'diagnostician', name: 'Clinic 2', secretKey: k2.secretKey }, 'pass word', SCRYPT), 'pass word');
  const pctx = w.ctx(new UserKeys(c, c.randomBytes(32)));
  const today = dayOfMs(w.now());
  for (const d of [today - 20, today - 2, today - 1, today]) await writeDay(pctx.store, { ...emptyDay(d), stays: [] });
  const patient = new Consent(pctx);
  await patient.load();

  const { text: clinicText } = await clinic.code();
  const info = await patient.checkClinic(clinicText);
  assert.equal(info.name, 'Clinic 1');
  assert.deepEqual(info.days, [today, today - 1, today - 2], 'days with a record within the lookback, newest first');
  await rejects(patient.make(clinicText, [today - 20]), 'bad_input');
  const { text } = await patient.make(clinicText, [today - 2, today]);
  assert.equal(patient.state()?.status, 'waiting');
  assert.equal(w.diagnoses(), 0, 'nothing is published before the clinic endorses');

  await rejects(clinic2.check(text), 'wrong_diagnostician');
  await rejects(clinic2.endorse(text, today, 14), 'wrong_diagnostician');
  const check = await clinic.check(text);
  assert.deepEqual(check.days, [today - 2, today]);
  const r = await clinic.endorse(text, today, 1);
  assert.deepEqual(r.days, [today], 'only the days from onset − lookback on');
  assert.equal(w.diagnoses(), 1);
  patient.accepted(decodeBlock(w.published.at(-1)!));
  assert.equal(patient.state()?.status, 'recorded');
  await rejects(clinic.endorse(text, today, 1), 'used_challenge');
  await rejects(clinic.check(text), 'used_challenge');

  // Another patient's diagnosis by the same clinic is not mistaken for this one.
  const other = new Consent(w.ctx(new UserKeys(c, c.randomBytes(32))));
  await writeDay((other as unknown as { ctx: EngineCtx }).ctx.store, emptyDay(today));
  const second = await clinic.code();
  await other.make(second.text, [today]);
  await clinic.endorse((await new Consent(pctx).make(second.text, [today])).text, today, 0);
  other.accepted(decodeBlock(w.published.at(-1)!));
  assert.equal(other.state()?.status, 'waiting');

  // Expired: the challenge is 11 minutes old.
  const third = await clinic.code();
  const late = (await patient.make(third.text, [today])).text;
  w.advance(11 * 60_000);
  await rejects(patient.checkClinic(third.text), 'stale_challenge');
  await rejects(clinic.endorse(late, today, 0), 'stale_challenge');

  // Revoked: the clinic can no longer issue or endorse; the patient refuses its code; the ledger refuses its diagnosis.
  const fourth = await clinic2.code();
  const fourthConsent = (await patient.make(fourth.text, [today])).text;
  await w.add(revocationBlock(c, w.root, { subject: k2.publicKey, revokedAt: Math.floor(w.now() / 1000), reason: 1 }, w.common()));
  await rejects(clinic2.code(), 'not_certified');
  await rejects(clinic2.endorse(fourthConsent, today, 0), 'not_certified');
  await rejects(patient.checkClinic(fourth.text), 'not_certified');
  assert.equal(w.diagnoses(), 2);
  // Even built by hand, the revoked key's diagnosis does not count: the ledger stores it (what a node
  // stores must not depend on when it saw the revocation) but it is void (PROTOCOL §9.1).
  const epoch = epochOf(DEFAULT_POLICY, today);
  const forged = diagnosisBlock(c, k2, {
    region: REGION, timeSec: Math.floor(w.now() / 1000), parents: w.ledger.tips(Chain.TRACING), epoch, epochPub: w.ledger.authority.epochKey(epoch)!, onset: today, lookback: 0,
    challenge: c.randomBytes(32), endorsed: possessionProofs(pctx.keys, [today], k2.publicKey, c.randomBytes(32)),
  });
  await w.ledger.add(forged);
  const forgedId = c.sha256(forged);
  assert.equal(w.ledger.counts(forgedId), false);
  assert.match(String(w.ledger.whyVoid(forgedId)), /revoked/);
  assert.equal(w.ledger.entries(Chain.TRACING).filter((e) => e.kind === Kind.DIAGNOSIS && w.ledger.counts(e.hex)).length, 2, 'two diagnoses count');

  // Self-report: anonymous, accepted by the ledger.
  const days = await patient.selfReport(today - 1);
  assert.deepEqual(days, [today - 2, today - 1, today]);
  assert.equal(w.ledger.entries(Chain.TRACING).filter((e) => e.kind === Kind.SELF_REPORT).length, 1);
});

test('custody: a guardian reports a positive test for a dependent with the dependent’s day keys; a watch-only or unknown id is refused; each subject keeps its own consent', async () => {
  const w = await world();
  const k1 = newRoleKey(c);
  await w.certify(k1, 'Clinic 1');
  const clinic = new Clinic(w.ctx(new UserKeys(c, c.randomBytes(32))));
  await clinic.unlock(await sealKeyFile(c, { role: 'diagnostician', name: 'Clinic 1', secretKey: k1.secretKey }, 'pass word', SCRYPT), 'pass word');
  const guardianKeys = new UserKeys(c, c.randomBytes(32));
  const gctx = w.ctx(guardianKeys);
  const dependentKeys = new UserKeys(c, c.randomBytes(32));
  const kept = new Map<string, UserKeys | 'watch'>([['gran', dependentKeys], ['neighbour', 'watch']]);
  const custody = (id: string): UserKeys => {
    const k = kept.get(id);
    if (!k) throw Object.assign(new Error('no such person'), { code: 'not_found' });
    if (k === 'watch') throw Object.assign(new Error('status only'), { code: 'not_custody' });
    return k;
  };
  const guardian = new Consent(gctx, custody);
  await guardian.load(['gran', 'neighbour']);
  const today = dayOfMs(w.now());

  const { text: clinicText } = await clinic.code();
  await rejects(guardian.checkClinic(clinicText, 'neighbour'), 'not_custody');
  await rejects(guardian.checkClinic(clinicText, 'stranger'), 'not_found');
  await rejects(guardian.make(clinicText, [today], 'neighbour'), 'not_custody');
  const info = await guardian.checkClinic(clinicText, 'gran');
  assert.equal(info.days[0], today, 'the guardian holds none of gran’s records: every day of the window is offered, newest first');
  assert.deepEqual(info.days, diagnosisDays(today, today, Math.min(DEFAULT_POLICY.lookbackDays, MAX_CONSENT_DAYS - 1), DEFAULT_POLICY.retentionDays).sort((a, b) => b - a), 'the lookback within retention');
  assert.ok(info.days.length >= 10);
  assert.deepEqual(await guardian.checkClinic(clinicText).then((i) => i.days), [], 'the guardian’s own device recorded nothing');

  const { text } = await guardian.make(clinicText, [today - 1, today], 'gran');
  assert.equal(decodeConsentCode(text).sealed.length, 21 + 2 * 97, 'two days, sealed');
  assert.equal(guardian.state('gran')?.status, 'waiting');
  assert.equal(guardian.state(), null, 'the guardian’s own consent is untouched');

  await clinic.endorse(text, today, 1);
  const code = { days: w.endorsedBy(w.published.at(-1)!) };
  assert.deepEqual(code.days.map((d) => toHex(d.dayPub)), [today - 1, today].map((d) => toHex(dependentKeys.daySigning(d).publicKey)), 'gran’s day keys');
  assert.ok(code.days.every((d) => toHex(d.dayPub) !== toHex(guardianKeys.daySigning(d.day).publicKey)), 'not the guardian’s');
  guardian.accepted(decodeBlock(w.published.at(-1)!));
  assert.equal(guardian.state('gran')?.status, 'recorded');
  assert.equal(guardian.state(), null);
  // kept across a restart, per subject
  const again = new Consent(gctx, custody);
  await again.load(['gran']);
  assert.equal(again.state('gran')?.status, 'recorded');
  await again.forget('gran');
  await again.load(['gran']);
  assert.equal(again.state('gran'), null, 'forgotten (the dependent was removed)');
});

test('a thin patient (relay off) holds its diagnosis — a case block, without its tracing parents — and recognises it, also from its store after a restart', async () => {
  const w = await world();
  const k1 = newRoleKey(c);
  await w.certify(k1, 'Clinic 1');
  const clinic = new Clinic(w.ctx(new UserKeys(c, c.randomBytes(32))));
  await clinic.unlock(await sealKeyFile(c, { role: 'diagnostician', name: 'Clinic 1', secretKey: k1.secretKey }, 'pass word', SCRYPT), 'pass word');
  // the patient's own ledger is a thin node's: the notification chain, and the tracing chain's case blocks
  const thin = new Ledger({ crypto: c, store: new MemoryStore(), rootKey: w.root.publicKey, region: REGION, now: w.now, carries: [Chain.NOTIFICATION] });
  await thin.open();
  for (const e of w.ledger.entries(Chain.NOTIFICATION)) await thin.add((await w.ledger.get(e.id))!);
  const pctx: EngineCtx = { ...w.ctx(new UserKeys(c, c.randomBytes(32))), net: { ledger: thin, node: {} as NetNode } };
  const today = dayOfMs(w.now());
  await writeDay(pctx.store, { ...emptyDay(today), stays: [] });
  const patient = new Consent(pctx);
  await patient.load();
  const { text: clinicText } = await clinic.code();
  const { text } = await patient.make(clinicText, [today]);
  await clinic.endorse(text, today, 1);
  const diagnosis = w.published.at(-1)!;
  assert.equal((await thin.add(diagnosis)).status, 'added');
  // the app was closed when it arrived: on the next start, the held diagnosis is recognised
  const again = new Consent(pctx);
  await again.load();
  assert.equal(again.state()?.status, 'waiting');
  await again.scanHeld();
  assert.equal(again.state()?.status, 'recorded');
});

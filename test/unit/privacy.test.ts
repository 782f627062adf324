/**
 * The privacy contract (DESIGN §2, issue "Must hold"): what a user and a clinic publish carries no
 * location, no secret, and nothing that links one day's pseudonym to another's; notification
 * tags cannot be computed from anything public; padded batches all look alike; the solver's
 * output names no pseudonym.
 *
 * Every scan looks for exact byte strings ("needles") in the encoded blocks. The world runs on a
 * seeded crypto provider, so every key and ciphertext is the same on every run: a 4-byte needle
 * that appeared in random-looking bytes by chance (p ≈ 2^-32 per position) would fail every run,
 * not one run in a thousand.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { concat, toHex, u32be, utf8 } from '../../src/core/bytes.ts';
import { Kind, type Block } from '../../src/core/codec/block.ts';
import { encodeStay } from '../../src/core/codec/stay.ts';
import { BUCKETS, decodeCase, decodeNotification, decodeTraceBatch, decodeWithdrawal, type NotificationBody } from '../../src/core/codec/records.ts';
import { openTraceBatch } from '../../src/core/sealing.ts';
import { traceBatchBlock } from '../../src/core/blocks.ts';
import { notificationTag, pseudonym, UserKeys } from '../../src/core/keys.ts';
import { TagSetIndex } from '../../src/core/tagset.ts';
import { World } from '../../src/node/sim/world.ts';
import { seededCrypto } from './seeded-crypto.ts';
import { Precision, Source, type Day, type Stay } from '../../src/core/types.ts';

// ───────────────────────────── helpers ─────────────────────────────

const c = seededCrypto('privacy-test'); // a reproducible world
const D: Day = Math.floor(Date.UTC(2026, 2, 2) / 86_400_000); // 2026-03-02; the epoch boundary falls between D − 5 and D − 4
const LAT = 558_721_000;
const LON = -42_882_000;

/** Where a needle first occurs in a byte string, or −1. */
function find(hay: Uint8Array, needle: Uint8Array): number {
  return Buffer.from(hay.buffer, hay.byteOffset, hay.length).indexOf(Buffer.from(needle.buffer, needle.byteOffset, needle.length));
}

interface Needle {
  what: string;
  bytes: Uint8Array;
}
const needle = (what: string, bytes: Uint8Array): Needle => ({ what, bytes });
const i32be = (v: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, v);
  return b;
};

/** Every way a coordinate could leak: 4-byte big-endian E7, E7 as decimal text, degrees as decimal text (≈ 10 m: 4 decimals, truncated). */
function coordinateNeedles(s: Stay): Needle[] {
  const out: Needle[] = [];
  for (const [axis, v] of [['lat', s.latE7], ['lon', s.lonE7]] as const) {
    out.push(needle(`${axis} ${v} as i32be`, i32be(v)));
    out.push(needle(`${axis} ${v} as decimal E7`, utf8(String(v))));
    const deg = (v / 1e7).toFixed(7);
    out.push(needle(`${axis} ${v} as degrees`, utf8(deg.slice(0, deg.indexOf('.') + 5))));
  }
  return out;
}

/** Fail naming the first needle found in any of the blocks. Returns how many (block, needle) pairs were checked. */
function assertNoNeedles(blocks: { what: string; bytes: Uint8Array }[], needles: Needle[]): number {
  let checked = 0;
  for (const b of blocks) {
    for (const n of needles) {
      const at = find(b.bytes, n.bytes);
      assert.equal(at, -1, `${b.what} contains ${n.what} at byte ${at}`);
      checked++;
    }
  }
  return checked;
}

/** Alice's stays of day d: `count` stays of 10 minutes from midnight, each at its own spot (≈ 1 m apart). */
function staysOf(d: Day, count: number): Stay[] {
  return Array.from({ length: count }, (_, i) => ({
    start: d * 1440 + i * 10, minutes: 10, latE7: LAT + (d - D + 10) * 100_000 + i * 97, lonE7: LON - (d - D + 10) * 100_000 - i * 89,
    radius: 5, source: Source.GNSS, precision: Precision.EXACT,
  }));
}

/** How many stays Alice records on each day: 1 to 130 (two parts). */
const ALICE_DAYS = new Map<Day, number>([[D - 5, 3], [D - 4, 1], [D - 3, 30], [D - 2, 70], [D - 1, 130], [D, 12]]);
const CONTACT_DAY = D - 2;

interface Published {
  actor: string;
  block: Block;
}

interface Scenario {
  w: World;
  alice: UserKeys;
  bob: UserKeys;
  carol: UserKeys;
  aliceStays: Stay[];
  published: Published[];
  notifications: { block: Block; body: NotificationBody }[];
}

/**
 * Alice uploads six days (one of them in two parts), withdraws a day, self-reports, and is
 * diagnosed by the clinic; Bob was next to her on D − 2, Carol far away; the solver runs.
 * Every accepted block is recorded with who caused it.
 */
async function buildScenario(): Promise<Scenario> {
  const w = await World.create({ crypto: c, startMs: D * 86_400_000 + 22 * 3_600_000 });
  const alice = new UserKeys(c, c.randomBytes(32));
  const bob = new UserKeys(c, c.randomBytes(32));
  const carol = new UserKeys(c, c.randomBytes(32));
  const published: Published[] = [];
  let actor = 'ca';
  w.ledger.onBlock((_, block) => published.push({ actor, block }));
  const aliceStays: Stay[] = [];
  actor = 'alice';
  for (const [d, n] of ALICE_DAYS) {
    const stays = staysOf(d, n);
    aliceStays.push(...stays);
    await w.upload(alice, d, stays);
  }
  const near = staysOf(CONTACT_DAY, 63).slice(60).map((s) => ({ ...s, latE7: s.latE7 + 27 })); // ≈ 3 m from Alice, 10:00–10:30
  actor = 'bob';
  await w.upload(bob, CONTACT_DAY, near);
  actor = 'carol';
  await w.upload(carol, CONTACT_DAY, near.map((s) => ({ ...s, latE7: s.latE7 + 50_000 }))); // ≈ 5.5 km away
  w.advanceTo(D * 86_400_000 + 23 * 3_600_000); // cases count only batches published before them
  actor = 'alice';
  await w.withdraw(alice, D - 5);
  await w.selfReport(alice, D - 3, [D - 3, CONTACT_DAY]);
  actor = 'clinic';
  await w.diagnose(alice, D - 3);
  actor = 'solver';
  const run = await w.runSolver();
  assert.ok(run.notifications.length >= 1, 'the solver published something');
  const notifications = published.filter((p) => p.block.kind === Kind.NOTIFICATION).map((p) => ({ block: p.block, body: decodeNotification(p.block.body) }));
  return { w, alice, bob, carol, aliceStays, published, notifications };
}
let scenarioPromise: Promise<Scenario> | undefined;
const scenario = () => (scenarioPromise ??= buildScenario());

const DAYS_OF_INTEREST: Day[] = Array.from({ length: 24 }, (_, i) => D - 20 + i); // D − 20 … D + 3

/** The secrets of a user that must never be published (for any day we look at). */
function secretNeedles(name: string, k: UserKeys): Needle[] {
  const out = [needle(`${name}'s seed`, k.seed), needle(`${name}'s watch key`, k.watchKey(0))];
  for (const d of DAYS_OF_INTEREST) {
    out.push(needle(`${name}'s n_d of day ${d}`, k.notificationSecret(d)));
    out.push(needle(`${name}'s tag of day ${d}`, k.watch.tag(d)!));
    out.push(needle(`${name}'s day signing secret of day ${d}`, k.daySigning(d).secretKey));
    out.push(needle(`${name}'s day ephemeral secret of day ${d}`, k.dayEphemeral(d).secretKey));
  }
  return out;
}

/** Day public keys and pseudonyms of a user, for every day except `except`. */
function identityNeedles(name: string, k: UserKeys, except?: Day): Needle[] {
  const out: Needle[] = [];
  for (const d of DAYS_OF_INTEREST) {
    if (d === except) continue;
    const pub = k.daySigning(d).publicKey;
    out.push(needle(`${name}'s day public key of day ${d}`, pub));
    out.push(needle(`${name}'s pseudonym of day ${d}`, pseudonym(c, pub)));
  }
  return out;
}

/** The UTC day a tracing block is about (trace batch / withdrawal), else undefined. */
function dayOfBlock(b: Block): Day | undefined {
  if (b.kind === Kind.TRACE_BATCH) return decodeTraceBatch(b.body).day;
  if (b.kind === Kind.WITHDRAWAL) return decodeWithdrawal(b.body).day;
  return undefined;
}

const label = (p: Published) => `${p.actor}'s ${Kind.TRACE_BATCH === p.block.kind ? `trace batch of day ${dayOfBlock(p.block)}` : `block of kind ${p.block.kind}`}`;

// ───────────────────────────── the contract ─────────────────────────────

test('the needle scanner finds what it looks for (control): coordinates in an unsealed stay, the own day key in a batch', async () => {
  const s = await scenario();
  const stay = s.aliceStays[0];
  const plain = encodeStay(stay, Math.floor(stay.start / 1440));
  const [lat, , , lon] = coordinateNeedles(stay);
  assert.equal(find(plain, lat.bytes), 4);
  assert.equal(find(plain, lon.bytes), 8);
  assert.equal(find(utf8(`{"lat":${stay.latE7 / 1e7}}`), coordinateNeedles(stay)[2].bytes), 7);
  const batch = s.published.find((p) => p.actor === 'alice' && p.block.kind === Kind.TRACE_BATCH)!.block;
  assert.ok(find(batch.bytes, s.alice.daySigning(dayOfBlock(batch)!).publicKey) > 0, 'a batch carries its own day public key (its signer)');
});

test('a solver with the epoch key does read the sealed stays and n_d (so the scans below look at real ciphertext)', async () => {
  const s = await scenario();
  let stays = 0;
  for (const p of s.published.filter((x) => x.actor === 'alice' && x.block.kind === Kind.TRACE_BATCH)) {
    const body = decodeTraceBatch(p.block.body);
    const kp = s.w.epochKeys.get(body.epoch)!;
    const opened = openTraceBatch(c, kp.secretKey, kp.publicKey, body)!;
    assert.deepEqual(opened.nd, s.alice.notificationSecret(body.day));
    stays += opened.stays.length;
  }
  assert.equal(stays, s.aliceStays.length);
});

test("no coordinate, seed, watch key, n_d, tag or other-day key appears in any block Alice publishes (batches of 6 days, a withdrawal, a self-report)", async () => {
  const s = await scenario();
  const mine = s.published.filter((p) => p.actor === 'alice' && p.block.kind !== Kind.EPOCH_KEY);
  const kinds = mine.map((p) => p.block.kind);
  assert.equal(kinds.filter((k) => k === Kind.TRACE_BATCH).length, ALICE_DAYS.size + 1, 'one batch per day, two on the 130-stay day');
  assert.ok(kinds.includes(Kind.WITHDRAWAL) && kinds.includes(Kind.SELF_REPORT));
  const coords = s.aliceStays.flatMap(coordinateNeedles);
  const secrets = secretNeedles('Alice', s.alice);
  let checked = 0;
  for (const p of mine) {
    const day = dayOfBlock(p.block); // undefined for the self-report: no day key of any day may show
    checked += assertNoNeedles([{ what: label(p), bytes: p.block.bytes }], [...coords, ...secrets, ...identityNeedles('Alice', s.alice, day)]);
  }
  assert.ok(checked > 10_000, `${checked} checks`);
});

test('the diagnosis block the clinic publishes carries no coordinate, secret, day public key or pseudonym of the patient', async () => {
  const s = await scenario();
  const dx = s.published.filter((p) => p.block.kind === Kind.DIAGNOSIS);
  assert.equal(dx.length, 1);
  assert.equal(dx[0].actor, 'clinic');
  const body = decodeCase(dx[0].block.body);
  assert.ok(body.days >= 4, 'it endorses several days (sealed)');
  assertNoNeedles([{ what: 'the diagnosis', bytes: dx[0].block.bytes }], [...s.aliceStays.flatMap(coordinateNeedles), ...secretNeedles('Alice', s.alice), ...identityNeedles('Alice', s.alice)]);
});

test('a self-report carries no day public key, pseudonym or signature in clear, and its key is not one of the reporter\'s batch keys', async () => {
  const s = await scenario();
  const [report] = s.published.filter((p) => p.block.kind === Kind.SELF_REPORT).map((p) => p.block);
  assert.equal(report.signer, undefined);
  assert.equal(report.signature, undefined);
  assert.equal(report.bytes.length, report.powPrefixLength + 8, 'nothing after the nonce');
  assertNoNeedles([{ what: 'the self-report', bytes: report.bytes }], identityNeedles('Alice', s.alice));
  // its ephemeral key is fresh: equal to a batch's ephemeral key, it would link report and pseudonym-day
  const reportKey = decodeCase(report.body).ephPub;
  const batchKeys = s.published.filter((p) => p.block.kind === Kind.TRACE_BATCH).map((p) => decodeTraceBatch(p.block.body).ephPub);
  assert.ok(batchKeys.length > 5);
  for (const k of batchKeys) assert.notDeepEqual(reportKey, k);
  for (const d of DAYS_OF_INTEREST) assert.equal(find(report.bytes, s.alice.dayEphemeral(d).publicKey), -1, `day ${d} ephemeral key`);
  const dxKey = decodeCase(s.published.find((p) => p.block.kind === Kind.DIAGNOSIS)!.block.body).ephPub;
  for (const k of [...batchKeys, reportKey]) assert.notDeepEqual(dxKey, k);
});

test('the notification sets find Bob with his n_d, but no tag an attacker derives from public data hits any set', async () => {
  const s = await scenario();
  const sets = s.notifications.map((n) => new TagSetIndex(n.body));
  const bobTag = notificationTag(c, s.bob.notificationSecret(CONTACT_DAY));
  assert.ok(sets.some((x) => x.has(c, bobTag)), 'control: the real n_d finds Bob');
  assert.deepEqual(await s.w.selfMatch(s.bob.watch), [{ day: CONTACT_DAY, level: 'high' }]);
  assert.deepEqual(await s.w.selfMatch(s.carol.watch), [], 'control: Carol, 5 km away, is not in any set');

  // Everything public: every block's id, bytes and body, and every key / id field inside them.
  const publicFields: Uint8Array[] = [];
  for (const { block } of s.published) {
    publicFields.push(c.sha256(block.bytes), block.bytes, block.body, ...block.parents.map((p) => p.id));
    if (block.signer) publicFields.push(block.signer);
    if (block.signature) publicFields.push(block.signature);
    if (block.kind === Kind.TRACE_BATCH) {
      const t = decodeTraceBatch(block.body);
      publicFields.push(t.dayPub, pseudonym(c, t.dayPub), t.ephPub, t.sealed, t.sealed.subarray(0, 32));
    } else if (block.kind === Kind.WITHDRAWAL) {
      const wd = decodeWithdrawal(block.body);
      publicFields.push(wd.dayPub, pseudonym(c, wd.dayPub));
    } else if (block.kind === Kind.DIAGNOSIS || block.kind === Kind.SELF_REPORT) {
      const k = decodeCase(block.body);
      publicFields.push(k.ephPub, k.sealed);
    }
  }
  const label32 = utf8('BeepTrace/notification-tag/v1');
  const guesses: Uint8Array[] = [];
  for (const f of publicFields) {
    const h = c.sha256(f);
    guesses.push(h, c.sha256(concat(label32, f)), notificationTag(c, h));
    if (f.length === 32) guesses.push(f, notificationTag(c, f));
    for (const d of [CONTACT_DAY]) guesses.push(c.sha256(concat(f, u32be(d))), c.sha256(concat(u32be(d), f)));
  }
  assert.ok(guesses.length > 500, `${guesses.length} guesses`);
  const bobFields = [s.bob.daySigning(CONTACT_DAY).publicKey, pseudonym(c, s.bob.daySigning(CONTACT_DAY).publicKey)];
  assert.ok(bobFields.every((f) => publicFields.some((g) => toHex(g) === toHex(f))), 'Bob\'s public day key and pseudonym are among the attacker\'s inputs');
  for (const [i, g] of guesses.entries()) {
    for (const set of sets) assert.equal(set.has(c, g), false, `guess ${i} (from public data) is in a tag set`);
  }
  // and the raw tag bytes are not in the published notifications either
  for (const n of s.notifications) assert.equal(find(n.block.bytes, bobTag), -1);
});

test("the solver's notifications carry no pseudonym, day public key, batch key, n_d or raw tag of anyone", async () => {
  const s = await scenario();
  assert.ok(s.notifications.length >= 1);
  const needles: Needle[] = [];
  for (const [name, k] of [['Alice', s.alice], ['Bob', s.bob], ['Carol', s.carol]] as const) {
    needles.push(...identityNeedles(name, k), ...secretNeedles(name, k));
  }
  for (const { block } of s.published.filter((p) => p.block.kind === Kind.TRACE_BATCH)) {
    const t = decodeTraceBatch(block.body);
    needles.push(needle(`batch key of day ${t.day}`, t.ephPub), needle(`a batch id`, c.sha256(block.bytes)));
  }
  assertNoNeedles(s.notifications.map((n, i) => ({ what: `notification ${i}`, bytes: n.block.bytes })), needles);
});

test('trace batches of 0, 1, 30, 31 and 32 stays encode to the same size (and 33–64, 65–128 to the next buckets)', () => {
  const k = new UserKeys(c, c.randomBytes(32));
  const epochPub = c.x25519PublicKey(c.randomBytes(32));
  const size = (n: number) => traceBatchBlock(c, k, { region: 1, timeSec: D * 86_400 + 80_000, day: D, part: 0, stays: staysOf(D, n), epoch: 2930, epochPub, powBits: 0 }).length;
  const sizes = new Map([0, 1, 2, 30, 31, 32, 33, 64, 65, 128].map((n) => [n, size(n)]));
  for (const n of [0, 1, 2, 30, 31]) assert.equal(sizes.get(n), sizes.get(32), `${n} stays`);
  assert.equal(sizes.get(33), sizes.get(64));
  assert.equal(sizes.get(65), sizes.get(128));
  assert.equal(sizes.get(64)! - sizes.get(32)!, (BUCKETS[1] - BUCKETS[0]) * 16, 'buckets differ by whole padded stays');
  const other = new UserKeys(c, c.randomBytes(32));
  assert.equal(traceBatchBlock(c, other, { region: 1, timeSec: D * 86_400 + 80_000, day: D - 3, part: 7, stays: staysOf(D - 3, 17), epoch: 2930, epochPub, powBits: 0 }).length, sizes.get(1));
});

test('day public keys of one seed differ every day and its pseudonyms are unlinkable (no shared prefix or bit bias beyond chance)', () => {
  const seeds = [0, 1, 2].map(() => new UserKeys(c, c.randomBytes(32)));
  const days = Array.from({ length: 60 }, (_, i) => D - 59 + i);
  const pubs = seeds.flatMap((k) => days.map((d) => k.daySigning(d).publicKey));
  const pseuds = pubs.map((p) => pseudonym(c, p));
  assert.equal(new Set(pubs.map(toHex)).size, pubs.length, 'all day public keys distinct');
  assert.equal(new Set(pseuds.map(toHex)).size, pseuds.length, 'all pseudonyms distinct');
  const prefixBits = (a: Uint8Array, b: Uint8Array) => {
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i * 8 + Math.clz32(a[i] ^ b[i]) - 24;
    return a.length * 8;
  };
  const hamming = (a: Uint8Array, b: Uint8Array) => a.reduce((n, x, i) => n + (x ^ b[i]).toString(2).replace(/0/g, '').length, 0);
  let longest = 0;
  for (const set of [pubs, pseuds]) for (let i = 0; i < set.length; i++) for (let j = i + 1; j < set.length; j++) longest = Math.max(longest, prefixBits(set[i], set[j]));
  // 2 × C(180, 2) ≈ 32k pairs: the longest common prefix of random strings is ≈ 15 bits; 28 would be a 1-in-8000 event
  assert.ok(longest < 28, `two keys share a ${longest}-bit prefix`);
  for (const k of seeds) {
    let sum = 0;
    for (const d of days.slice(1)) sum += hamming(pseudonym(c, k.daySigning(d - 1).publicKey), pseudonym(c, k.daySigning(d).publicKey));
    const mean = sum / (days.length - 1); // 128-bit pseudonyms: mean 64, standard error ≈ 0.74
    assert.ok(Math.abs(mean - 64) < 5, `consecutive pseudonyms differ in ${mean} bits on average`);
  }
});

/**
 * Shared helper of the unit tests (not a test file): a seeded history with the events whose outcome
 * used to depend on arrival order (issue 9 findings 5 and 9) — a revoked diagnostician's statements
 * before, around and after its revocation (one backdated after the fact), a revoked validator, a
 * policy that raises proof-of-work mid-way — and a replay of its blocks into a fresh ledger in any
 * order, summarised as what an auditor compares: stored ids, which of them count, checkpoint roots.
 */
import type { CryptoProvider } from '../../src/core/crypto.ts';
import { toHex } from '../../src/core/bytes.ts';
import { decodeBlock, Kind, powBitsOf, sealBlock } from '../../src/core/codec/block.ts';
import { diagnosisBlock, epochKeyBlock, policyBlock, revocationBlock, type RoleKey } from '../../src/core/blocks.ts';
import { proveDays, sealTraceBatch } from '../../src/core/sealing.ts';
import { UserKeys } from '../../src/core/keys.ts';
import { Ledger } from '../../src/core/ledger/ledger.ts';
import { buildCheckpoint } from '../../src/core/ledger/checkpoints.ts';
import { DEFAULT_POLICY } from '../../src/core/policy.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { World } from '../../src/node/sim/world.ts';
import { Chain, Precision, Source, type ChainId, type Day } from '../../src/core/types.ts';

export const D: Day = Math.floor(Date.UTC(2026, 2, 2) / 86_400_000);
/** Start of interval A (10:00 UTC, a multiple of 600 s). */
export const A = D * 86_400 + 10 * 3_600;
export const INTERVAL = 600;

/** A small deterministic PRNG (mulberry32). @example const r = rng(7); r() // in [0, 1) */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random permutation of 0..n-1. */
export function shuffled(n: number, r: () => number): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

export interface History {
  w: World;
  /** Every block, in publication order. */
  blocks: Uint8Array[];
  /** Named blocks (hex ids) whose standing is known. */
  named: Record<string, string>;
  /** Expected: counts (true) or void (false). */
  expect: Record<string, boolean>;
  /** Clock at the end, ms. */
  endMs: number;
}

/**
 * Build the history with `c` (a seeded provider: the same seed gives the same bytes).
 * `j` jitters times inside their intervals so that seeds differ in more than keys.
 */
export async function history(c: CryptoProvider, seed: number): Promise<History> {
  const r = rng(seed);
  const j = (span: number) => Math.floor(r() * span);
  const w = await World.create({ crypto: c, startMs: (A - 3_600) * 1000 });
  const at = (sec: number) => w.advanceTo(sec * 1000);
  const tips = (chain: ChainId) => w.ledger.tips(chain);
  const named: Record<string, string> = {};
  const name = (n: string, bytes: Uint8Array) => (named[n] = toHex(c.sha256(bytes)));
  const { epoch, publicKey: epochPub } = await w.ensureEpoch(D);
  const patient = new UserKeys(c, c.randomBytes(32));

  const batch = (keys: UserKeys, time: number, bits: number) =>
    sealBlock(c, {
      chain: Chain.TRACING, kind: Kind.TRACE_BATCH, region: w.region, time, parents: [],
      body: sealTraceBatch(c, keys, { day: D, epoch, epochPub, part: 0, stays: [{ start: D * 1440 + 600, minutes: 30, latE7: 558_721_000, lonE7: -42_882_000, radius: 5, source: Source.GNSS, precision: Precision.EXACT }] }),
    }, { powBits: bits, secretKey: keys.daySigning(D).secretKey });
  const diag = (clinic: RoleKey, time: number, backdated = false) => {
    const challenge = c.randomBytes(32);
    return diagnosisBlock(c, clinic, {
      region: w.region, timeSec: time, parents: backdated ? [] : tips(Chain.TRACING), epoch, epochPub, onset: D, lookback: 1, challenge,
      endorsed: proveDays(patient, [D - 1, D], clinic.publicKey, challenge),
    });
  };
  const publish = async (n: string | null, bytes: Uint8Array) => {
    await w.publish(bytes);
    if (n) name(n, bytes);
  };

  // Interval A: batches and an honest diagnosis d1.
  at(A + 50 + j(40));
  await publish('tb0', batch(patient, w.timeSec(), 8));
  for (let i = 0, n = 1 + j(3); i < n; i++) await publish(null, batch(new UserKeys(c, c.randomBytes(32)), w.timeSec() + i, 8));
  at(A + 100 + j(100));
  await publish('d1', diag(w.diagnostician, w.timeSec()));
  // Interval B: d2, honest, before the revocation.
  at(A + INTERVAL + 100 + j(150));
  await publish('d2', diag(w.diagnostician, w.timeSec()));
  // A is checkpointed by all three validators.
  at(A + 2 * INTERVAL + 100 + j(50));
  await w.checkpoint(Chain.TRACING, A, A + INTERVAL);
  // The CA revokes the diagnostician from mid-B, and validator 3 (its checkpoint of A does not count; 1 and 2 still make the quorum).
  at(w.timeSec() + 60);
  const revokedAt = A + INTERVAL + 300;
  await publish(null, revocationBlock(c, w.root, { subject: w.diagnostician.publicKey, revokedAt, reason: 1 }, { region: w.region, timeSec: w.timeSec(), parents: tips(Chain.NOTIFICATION) }));
  await publish(null, revocationBlock(c, w.root, { subject: w.validators[2].publicKey, revokedAt: w.timeSec() - 1, reason: 2 }, { region: w.region, timeSec: w.timeSec(), parents: tips(Chain.NOTIFICATION) }));
  // The revoked key backdates: d3 into B before revokedAt, d5 into an interval nobody checkpointed; d4 after revokedAt.
  at(w.timeSec() + 60);
  await publish('d3', diag(w.diagnostician, revokedAt - 100 + j(50), true));
  await publish('d5', diag(w.diagnostician, A - 300 + j(100), true));
  await publish('d4', diag(w.diagnostician, revokedAt + j(100), true));
  // The policy raises trace batches to 10 bits: tb1 (8 bits, after it) is stored and void, tb2 (10 bits) counts.
  at(w.timeSec() + 60);
  await publish(null, policyBlock(c, w.root, JSON.stringify({ ...DEFAULT_POLICY, pow: { ...DEFAULT_POLICY.pow, traceBits: 10 } }), { region: w.region, timeSec: w.timeSec(), parents: tips(Chain.NOTIFICATION) }));
  at(w.timeSec() + 60);
  let tb1 = batch(new UserKeys(c, c.randomBytes(32)), w.timeSec(), 8);
  while (powBitsOf(c, decodeBlock(tb1)) >= 10) tb1 = batch(new UserKeys(c, c.randomBytes(32)), w.timeSec(), 8); // 8 or 9 bits, not by luck 10
  await publish('tb1', tb1);
  await publish('tb2', batch(new UserKeys(c, c.randomBytes(32)), w.timeSec(), 10));
  // Two CA keys for one future epoch, in one second: the one with the smaller id is in force everywhere.
  for (let i = 0; i < 2; i++) await publish(null, epochKeyBlock(c, w.root, epoch + 3, c.x25519PublicKey(c.randomBytes(32)), { region: w.region, timeSec: w.timeSec(), parents: tips(Chain.NOTIFICATION) }));
  // B is checkpointed after all that (it holds d2 and d3, and ends after revokedAt: seals nothing of the revoked key).
  at(A + 3 * INTERVAL + 100);
  await w.checkpoint(Chain.TRACING, A + INTERVAL, A + 2 * INTERVAL, 2);
  at(w.timeSec() + 10);

  const blocks: Uint8Array[] = [];
  for (const chain of [Chain.NOTIFICATION, Chain.TRACING] as ChainId[]) for (const e of w.ledger.entries(chain)) blocks.push((await w.ledger.get(e.id))!);
  const expect = { tb0: true, d1: true, d2: false, d3: false, d4: false, d5: false, tb1: false, tb2: true };
  return { w, blocks, named, expect, endMs: w.nowMs };
}

/** What two nodes must agree on: stored ids, which count, and checkpoint roots of every interval. */
export interface Summary {
  /** Epoch keys in force for the epochs around A, and the policy in force now. */
  authority: string[];
  stored: string[];
  counting: string[];
  roots: string[];
  pending: number;
}

/**
 * Add `blocks` in `order` to a fresh ledger verifying with `c` — a full node's, or with `thin` a
 * browser's (the notification chain and the tracing chain's case blocks; its other blocks are
 * refused `not_carried`) — and summarise it. Rejections are returned, not thrown.
 */
export async function replay(c: CryptoProvider, h: { w: World; endMs: number }, blocks: Uint8Array[], order: number[], thin = false): Promise<{ ledger: Ledger; summary: Summary; rejected: string[] }> {
  const carries: ChainId[] = thin ? [Chain.NOTIFICATION] : [Chain.TRACING, Chain.NOTIFICATION];
  const ledger = new Ledger({ crypto: c, store: new MemoryStore(), rootKey: h.w.root.publicKey, region: h.w.region, now: () => h.endMs, carries });
  await ledger.open();
  const rejected: string[] = [];
  for (const i of order) {
    try {
      await ledger.add(blocks[i]);
    } catch (e) {
      rejected.push(`${i}:${(e as { code?: string }).code ?? (e as Error).message}`);
    }
  }
  return { ledger, summary: summarise(c, ledger), rejected };
}

/** @example summarise(c, ledger).counting */
export function summarise(c: CryptoProvider, ledger: Ledger): Summary {
  const all = [...ledger.entries(Chain.NOTIFICATION), ...ledger.entries(Chain.TRACING)];
  const roots: string[] = [];
  for (const chain of [Chain.TRACING, Chain.NOTIFICATION] as ChainId[]) {
    for (let from = A - 2 * INTERVAL; from < A + 4 * INTERVAL; from += INTERVAL) {
      const cp = buildCheckpoint(c, ledger, chain, from, from + INTERVAL);
      roots.push(`${chain}:${from}:${cp.size}:${toHex(cp.root)}`);
    }
  }
  const epoch = Math.floor(D / 7);
  const authority = [JSON.stringify(ledger.authority.policy)];
  for (let e = epoch - 1; e <= epoch + 4; e++) authority.push(`${e}:${ledger.authority.epochKey(e) ? toHex(ledger.authority.epochKey(e)!) : '-'}`);
  return {
    authority,
    stored: all.map((e) => e.hex).sort(),
    counting: all.filter((e) => ledger.counts(e.hex)).map((e) => e.hex).sort(),
    roots,
    pending: ledger.pendingCount,
  };
}


/**
 * Standing: whether a stored block *counts* (docs/PROTOCOL.md §9.1). What a ledger stores is
 * monotone — a later block never un-stores an earlier one — so two nodes that got the same blocks
 * hold the same set whatever the arrival order. Whether a stored block counts for the solver, a
 * thin node's exposure check or a checkpoint quorum is then a pure function of that set:
 *
 * - **Proof-of-work and epochs at the block's time.** A trace batch, self-report or withdrawal counts
 *   only if it has the bits of the policy in force at its declared time, and a trace batch only if
 *   it names the epoch that policy gives its day (`AuthorityState.policyAt`).
 * - **Revocation, ordered by checkpoints.** A diagnosis, notification or checkpoint whose signer is
 *   revoked (revokedAt r, the earliest of its revocations) counts only if its time is before r *and*
 *   a final checkpoint of its chain that ends at or before r covers it: the validators saw it in an
 *   interval closed before the revocation, so a revoked key cannot backdate a statement into the
 *   past. "Covers" means the checkpoint's (size, root) equals this ledger's own for the interval,
 *   which then holds the block. The checkpoints' own signers are judged by the same rule; a
 *   checkpoint's interval ends at or before its block time (rules.ts), so the recursion only looks
 *   at later blocks and ends.
 * - CA statements, trace batches, withdrawals and self-reports have no revocable signer.
 * - A case block (cases.ts) is sealed by a tracing checkpoint's *case* root — the root of the
 *   interval's case blocks alone — on every node: a thin node holds only the case blocks, so the
 *   full root is beyond it, and judging case blocks by the full root on full nodes made a diagnosis
 *   sealed before its diagnostician's revocation count there and not on thin nodes (issue 17
 *   finding 6). Every other block is sealed by the full root.
 *
 * @example
 * const s = new Standing(view);
 * s.whyVoid(entry) // null: counts; else why not
 * s.reset();       // after the ledger changed
 * @module
 */
import { toHex } from '../bytes.ts';
import { Kind } from '../codec/block.ts';
import type { CheckpointBody } from '../codec/records.ts';
import { leafHash, merkleRoot } from '../merkle.ts';
import { epochOf } from '../policy.ts';
import type { ChainId } from '../types.ts';
import type { AuthorityState } from './authority.ts';
import { powBitsFor } from './rules.ts';
import { CASE_KINDS, isCaseBlock } from './cases.ts';

/** What standing needs to know of a stored block (kept in the ledger's index). */
export interface StandingFacts {
  hex: string;
  chain: ChainId;
  /** Seconds. */
  time: number;
  kind: number;
  /** Hex of the role signer (diagnosis, notification, checkpoint). */
  signer?: string;
  /** Proof-of-work bits achieved (kinds that need work). */
  bits?: number;
  /** A trace batch's day and epoch. */
  day?: number;
  epoch?: number;
  /** A checkpoint's body. */
  cp?: CheckpointBody;
}

/** The ledger as standing sees it. */
export interface StandingView {
  readonly authority: AuthorityState;
  /** Every stored checkpoint block. */
  checkpointFacts(): StandingFacts[];
  /** Ids of the stored blocks of `chain` with fromSec ≤ time < toSec, in (time, id) order (of some kinds only, with `kinds`). */
  intervalIds(chain: ChainId, fromSec: number, toSec: number, kinds?: ReadonlySet<number>): Uint8Array[];
  sha256(data: Uint8Array): Uint8Array;
}

const REVOCABLE = new Set<number>([Kind.DIAGNOSIS, Kind.NOTIFICATION, Kind.CHECKPOINT]);

/** Memoised standing of a ledger's blocks; `reset()` whenever a block is stored or pruned. */
export class Standing {
  private memo = new Map<string, string | null>();
  private roots = new Map<string, { size: number; root: string }>();

  constructor(private readonly view: StandingView) {}

  /** Forget memoised answers (the ledger changed). */
  reset(): void {
    this.memo.clear();
    this.roots.clear();
  }

  /** Why `e` does not count, or null if it does. */
  whyVoid(e: StandingFacts): string | null {
    return this.judge(e, new Set());
  }

  private judge(e: StandingFacts, visiting: Set<string>): string | null {
    const known = this.memo.get(e.hex);
    if (known !== undefined) return known;
    if (visiting.has(e.hex)) return 'its standing depends on itself'; // unreachable while checkpoints end by their block time
    visiting.add(e.hex);
    const why = this.decide(e, visiting);
    visiting.delete(e.hex);
    this.memo.set(e.hex, why);
    return why;
  }

  private decide(e: StandingFacts, visiting: Set<string>): string | null {
    const a = this.view.authority;
    const p = a.policyAt(e.time);
    const need = powBitsFor(p.pow, e.kind);
    if (need > 0 && (e.bits ?? 0) < need) return `${e.bits} bits of proof-of-work, the policy in force at its time asks ${need}`;
    if (e.kind === Kind.TRACE_BATCH && e.day !== undefined && e.epoch !== epochOf(p, e.day)) {
      return `epoch ${e.epoch}, the policy in force at its time gives day ${e.day} epoch ${epochOf(p, e.day)}`;
    }
    if (!REVOCABLE.has(e.kind) || !e.signer) return null;
    const r = a.revokedAt(hexToBytes(e.signer));
    if (r === undefined) return null;
    if (e.time >= r) return `signer revoked from ${r}`;
    if (this.sealing(e, r, visiting) !== 'sealed') return `signer revoked from ${r}; no final checkpoint ending by then covers it`;
    return null;
  }

  /**
   * Is `e` held by a final checkpoint of its chain whose interval ends at or before `by`?
   * 'sealed': yes; 'unsealed': a final checkpoint covers its time but none ending by `by` holds
   * it; 'unchecked': no final checkpoint covers its time yet.
   * @example s.sealing(batch, diagnosis.time) === 'sealed'
   */
  sealing(e: StandingFacts, by: number, visiting = new Set<string>()): 'sealed' | 'unsealed' | 'unchecked' {
    const cases = isCaseBlock(e.chain, e.kind);
    /** The part of a checkpoint that seals `e`: its case root for a case block, else its root. */
    const part = (cp: CheckpointBody) => (cases ? cp.cases : { size: cp.size, root: cp.root });
    const groups = new Map<string, { cp: CheckpointBody; signers: Set<string> }>();
    for (const f of this.view.checkpointFacts()) {
      const cp = f.cp!;
      if (cp.chain !== e.chain || cp.fromTime > e.time || e.time >= cp.toTime) continue;
      const sealer = part(cp);
      if (!sealer) continue;
      if (this.judge(f, visiting) !== null) continue;
      const key = `${cp.fromTime}:${cp.toTime}:${sealer.size}:${toHex(sealer.root)}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { cp, signers: new Set() }));
      g.signers.add(f.signer!);
    }
    const quorum = this.view.authority.policy.checkpointQuorum;
    let covered = false;
    for (const g of groups.values()) {
      if (g.signers.size < quorum) continue;
      covered = true;
      if (g.cp.toTime > by) continue;
      const own = this.root(e.chain, g.cp.fromTime, g.cp.toTime, cases);
      const sealer = part(g.cp)!;
      if (own.size === sealer.size && own.root === toHex(sealer.root)) return 'sealed';
    }
    return covered ? 'unsealed' : 'unchecked';
  }

  private root(chain: ChainId, from: number, to: number, cases: boolean): { size: number; root: string } {
    const key = `${chain}:${from}:${to}:${cases}`;
    let r = this.roots.get(key);
    if (!r) {
      const h = (d: Uint8Array) => this.view.sha256(d);
      const leaves = this.view.intervalIds(chain, from, to, cases ? CASE_KINDS : undefined).map((id) => leafHash(h, id));
      r = { size: leaves.length, root: toHex(merkleRoot(h, leaves)) };
      this.roots.set(key, r);
    }
    return r;
  }
}

function hexToBytes(h: string): Uint8Array {
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
}
